"""The install plan: every file and registry value ``install`` will write, as plain data.

:func:`make_plan` decides nothing by looking at the machine: the platform, home, data folder,
host program and Python are all passed in. That keeps the whole matrix (3 OS x 5 browsers x
2 scopes) testable on Linux, and lets ``--dry-run`` print exactly what would happen.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any

from bridge.identity import NATIVE_HOST_NAME
from bridge.install import locations as loc
from bridge.install.manifest import launcher_name, launcher_text, manifest_text


@dataclass(frozen=True)
class FileWrite:
    path: str
    content: str
    mode: int  # permission bits on Linux/macOS
    purpose: str  # "launcher", or "manifest for chrome, edge" ...


@dataclass(frozen=True)
class RegistryWrite:
    hive: str  # HKCU or HKLM
    key: str
    value: str  # the manifest path (the key's default value)
    browser: str


@dataclass(frozen=True)
class Plan:
    platform: loc.Platform
    scope: loc.Scope
    browsers: tuple[str, ...]
    host_path: str
    #: Folder of the launcher, Windows manifests and the install record.
    host_dir: str
    files: tuple[FileWrite, ...] = ()
    registry: tuple[RegistryWrite, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def record_path(self) -> str:
        return str(loc.pure_path(self.platform, self.host_dir, loc.RECORD_NAME))

    def to_json(self) -> dict[str, Any]:
        """The plan as ``install --json`` prints it: lowerCamelCase keys, modes in octal."""
        return {
            "platform": self.platform,
            "scope": self.scope,
            "browsers": list(self.browsers),
            "hostPath": self.host_path,
            "hostDir": self.host_dir,
            "files": [{**asdict(f), "mode": oct(f.mode)} for f in self.files],
            "registry": [asdict(r) for r in self.registry],
            "notes": list(self.notes),
            "recordPath": self.record_path,
        }

    def describe(self) -> list[str]:
        lines = [f"{self.scope} install for {', '.join(self.browsers)} on {self.platform}", f"host program: {self.host_path}"]
        for f in self.files:
            lines.append(f"write {f.path}  ({f.purpose})")
        for r in self.registry:
            lines.append(f"set   {r.hive}\\{r.key} = {r.value}  ({r.browser})")
        lines.append(f"record what was written in {self.record_path}")
        lines.extend(f"note: {n}" for n in self.notes)
        return lines


def resolve_browsers(names: list[str] | None) -> tuple[str, ...]:
    if not names or "all" in names:
        return loc.BROWSERS
    unknown = sorted(set(names) - set(loc.BROWSERS))
    if unknown:
        raise ValueError(f"unknown browser {', '.join(unknown)}: choose from {', '.join(loc.BROWSERS)} or all")
    return tuple(b for b in loc.BROWSERS if b in names)


def make_plan(
    *,
    platform: loc.Platform,
    scope: loc.Scope,
    browsers: tuple[str, ...],
    home: str,
    user_data_dir: str,
    python: str | None = None,
    host_path: str | None = None,
    bridge_home: str | None = None,
    program_data: str = r"C:\ProgramData",
    lib64: bool = False,
) -> Plan:
    """Build the plan.

    Either *host_path* (a PyInstaller binary, used as is) or *python* (a launcher running
    ``python -m bridge native`` is written) must be given. *user_data_dir* is the bridge's data
    folder (user scope keeps its launcher there); *bridge_home* is carried into the launcher.
    """
    host_dir = loc.host_dir(platform, scope, user_data_dir=user_data_dir, program_data=program_data)
    files: list[FileWrite] = []
    notes: list[str] = []
    if host_path is None:
        if python is None:
            raise ValueError("make_plan needs a host program or a Python to launch")
        launcher = str(host_dir / launcher_name(platform))
        files.append(FileWrite(launcher, launcher_text(platform, python, bridge_home), 0o755, "launcher"))
        host_path = launcher
    elif bridge_home:
        notes.append(
            "the host program is used as is: it reads VITALE_BRIDGE_HOME from the environment, "
            "not the --home of this install"
        )

    registry: list[RegistryWrite] = []
    if platform == "windows":
        for family in ("chrome", "firefox"):
            members = [b for b in browsers if loc.FAMILY[b] == family]
            if not members:
                continue
            path = str(host_dir / f"{NATIVE_HOST_NAME}.{family}.json")
            files.append(FileWrite(path, manifest_text(family, host_path), 0o644, "manifest for " + ", ".join(members)))
            for b in members:
                where = loc.registry_location(scope, b, NATIVE_HOST_NAME)
                registry.append(RegistryWrite(where.hive, where.key, path, b))
    else:
        for b in browsers:
            for d in loc.manifest_dirs(platform, scope, b, home=home, lib64=lib64):
                path = str(PurePath(d) / f"{NATIVE_HOST_NAME}.json")
                files.append(FileWrite(path, manifest_text(loc.FAMILY[b], host_path), 0o644, f"manifest for {b}"))
    return Plan(
        platform=platform,
        scope=scope,
        browsers=browsers,
        host_path=host_path,
        host_dir=str(host_dir),
        files=tuple(files),
        registry=tuple(registry),
        notes=tuple(notes),
    )
