"""Carry out an install plan, and undo exactly that.

Every file written (with its SHA-256), every folder created and every registry value set is
appended to the install record (``install-record.json`` in the plan's host folder). Uninstall
reads only that record: it removes a file only if it still holds what we wrote (a manifest
changed by someone since is left in place and reported), a folder only if we created it and it
is empty, a registry key only if it still points where we set it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bridge.install.plan import Plan

RECORD_VERSION = 1


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Record:
    path: Path
    files: dict[str, str] = field(default_factory=dict)  # path -> sha256 of what we wrote
    dirs: list[str] = field(default_factory=list)  # folders we created, parents first
    registry: list[dict[str, str]] = field(default_factory=list)  # hive, key, value

    @classmethod
    def load(cls, path: Path) -> Record:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except ValueError:
            raise ValueError(f"the install record {path} is damaged; remove the listed files by hand") from None
        return cls(path, dict(data.get("files", {})), list(data.get("dirs", [])), list(data.get("registry", [])))

    def save(self) -> None:
        from bridge.fileio import write_json

        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {"version": RECORD_VERSION, "files": self.files, "dirs": self.dirs, "registry": self.registry}
        write_json(self.path, body, mode=0o644)

    @property
    def empty(self) -> bool:
        return not (self.files or self.dirs or self.registry)


def _makedirs(path: Path, record: Record) -> None:
    """mkdir -p that remembers which folders did not exist before."""
    missing: list[Path] = []
    p = path
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        d.mkdir(mode=0o755)
        if str(d) not in record.dirs:
            record.dirs.append(str(d))


def _write(path: Path, content: str, mode: int) -> bytes:
    from bridge.fileio import atomic_write

    data = content.encode("utf-8")
    atomic_write(path, data, mode=mode)
    return data


def install(plan: Plan, registry: Any = None) -> list[str]:
    """Write the plan; returns what was done (lines). *registry* is the ``winreg`` module (Windows)."""
    record_path = Path(plan.record_path)
    record = Record.load(record_path)
    done: list[str] = []
    _makedirs(Path(plan.host_dir), record)
    try:
        for f in plan.files:
            path = Path(f.path)
            if path.is_symlink():  # the Debian package's manifests are links: never replace theirs
                done.append(f"left {path}: it is a link installed by something else (the vitale-bridge package?)")
                continue
            _makedirs(path.parent, record)
            data = _write(path, f.content, f.mode)
            record.files[str(path)] = _sha256(data)
            done.append(f"wrote {path}")
        if plan.registry:
            if registry is None:
                import winreg as registry  # Windows only
            for r in plan.registry:
                hive = getattr(registry, "HKEY_CURRENT_USER" if r.hive == "HKCU" else "HKEY_LOCAL_MACHINE")
                with registry.CreateKeyEx(hive, r.key, 0, registry.KEY_WRITE) as key:
                    registry.SetValueEx(key, "", 0, registry.REG_SZ, r.value)
                entry = {"hive": r.hive, "key": r.key, "value": r.value}
                if entry not in record.registry:
                    record.registry.append(entry)
                done.append(f"set {r.hive}\\{r.key}")
    finally:
        record.save()
    return done


def uninstall(record_path: Path, registry: Any = None) -> list[str]:
    """Remove what the record lists; returns what was done and what was left (lines)."""
    record = Record.load(record_path)
    if record.empty and not record_path.exists():
        return [f"nothing to remove: no install record at {record_path}"]
    done: list[str] = []
    for path_s, digest in list(record.files.items()):
        path = Path(path_s)
        try:
            current = path.read_bytes()
        except FileNotFoundError:
            done.append(f"already gone: {path}")
            del record.files[path_s]
            continue
        if _sha256(current) != digest:
            done.append(f"left {path}: it changed since install (remove it by hand if it is ours)")
            continue
        path.unlink()
        del record.files[path_s]
        done.append(f"removed {path}")
    if record.registry:
        if registry is None:
            import winreg as registry  # Windows only
        for entry in list(record.registry):
            hive = getattr(registry, "HKEY_CURRENT_USER" if entry["hive"] == "HKCU" else "HKEY_LOCAL_MACHINE")
            where = f"{entry['hive']}\\{entry['key']}"
            try:
                with registry.OpenKey(hive, entry["key"]) as key:
                    value, _ = registry.QueryValueEx(key, "")
            except FileNotFoundError:
                done.append(f"already gone: {where}")
                record.registry.remove(entry)
                continue
            if value != entry["value"]:
                done.append(f"left {where}: it now points elsewhere")
                continue
            registry.DeleteKey(hive, entry["key"])
            record.registry.remove(entry)
            done.append(f"removed {where}")
    leftover = bool(record.files or record.registry)
    if not leftover:
        record_path.unlink(missing_ok=True)
    for d in reversed(list(record.dirs)):
        try:
            Path(d).rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            continue  # not empty: something else lives there now
        record.dirs.remove(d)
        done.append(f"removed folder {d}")
    if leftover:
        record.save()
    return done
