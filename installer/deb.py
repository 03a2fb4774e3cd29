"""Build the Debian package from a PyInstaller one-folder build (``installer/package.sh deb``).

    python installer/deb.py [--out dist] [--frozen DIR] [--extension-dist DIR]

The package is assembled here with ``dpkg-deb``, not with debhelper: what goes in is a
finished PyInstaller folder, which debhelper's steps would damage (``dh_strip`` on the
bootloader, ``dh_python3`` on a private interpreter), and every other file comes from data
this repository already has:

- the native messaging manifests from :func:`bridge.install.make_plan` (the same plan as
  ``vitale-bridge install --system``), so the package and the CLI can never disagree;
- the static files (man page, copyright header, lintian overrides, example system
  configuration) from ``installer/debian/``;
- ``Depends:`` from ``dpkg-shlibdeps`` on the ELF files that remain in the folder.

Shared libraries that Debian ships (libssl, libz, libffi ...) are removed from the PyInstaller
folder: the host then loads the system's copies, which get Debian's security updates, and
``dpkg-shlibdeps`` turns them into dependencies. ``libpython`` and the Python modules stay
inside: the target needs no Python.

Prints the path of the ``.deb`` on the last line.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEBIAN = ROOT / "installer" / "debian"
sys.path.insert(0, str(ROOT))

from bridge import __version__  # noqa: E402
from bridge.identity import NATIVE_HOST_NAME  # noqa: E402
from bridge.install.locations import BROWSERS  # noqa: E402
from bridge.install.plan import make_plan  # noqa: E402

PACKAGE = "vitale-bridge"
#: Where the PyInstaller folder is installed; the manifests point at the binary in it.
LIBDIR = Path("usr/lib/vitale-bridge")
HOST = f"/{LIBDIR}/vitale-bridge"
SHARE = Path("usr/share/vitale-bridge")
DOC = Path("usr/share/doc/vitale-bridge")
#: Run-time needs that no ELF file shows: pyscard loads libpcsclite with dlopen, and without
#: the daemon there is no reader.
RUNTIME_DEPENDS = ["pcscd", "libpcsclite1"]
#: Kept inside the folder even when the build machine has a Debian package of the same name:
#: the private interpreter must match its bundled standard library exactly.
KEEP_BUNDLED = ("libpython",)
DOCS = ["README.md", "docs/install.md", "docs/native-messaging.md", "docs/security.md", "docs/extension.md"]
#: A fixed timestamp for every file, so two builds of one commit give the same package.
EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "1767225600"))  # 2026-01-01


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, **kw)


def architecture() -> str:
    return run(["dpkg", "--print-architecture"], capture_output=True).stdout.strip()


def system_manifests() -> dict[str, str]:
    """Path (relative to /) -> content of every system manifest, from the install plan."""
    plan = make_plan(
        platform="linux", scope="system", browsers=BROWSERS,
        home="/root", user_data_dir="/nonexistent", host_path=HOST,
    )
    return {f.path.lstrip("/"): f.content for f in plan.files}


def install_file(src: Path | bytes | str, dest: Path, mode: int = 0o644) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(src, Path):
        shutil.copyfile(src, dest)
    else:
        dest.write_bytes(src.encode() if isinstance(src, str) else src)
    dest.chmod(mode)


def gzip_file(data: bytes, dest: Path) -> None:
    """gzip -9n: no name nor time in the header (reproducible, as lintian asks)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "wb") as raw, gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0) as gz:
        gz.write(data)
    dest.chmod(0o644)


def is_elf(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def debian_owner(library: str) -> str | None:
    """The Debian package that ships *library* (a file name) on this machine, if any."""
    for folder in ("/lib", "/usr/lib"):
        for candidate in Path(folder).glob(f"*-linux-gnu*/{library}"):
            found = subprocess.run(["dpkg", "-S", str(candidate)], capture_output=True, text=True)
            if found.returncode == 0:
                return found.stdout.split(":")[0]
    return None


def unbundle_system_libraries(internal: Path) -> list[str]:
    """Remove the libraries Debian provides from the PyInstaller folder; returns what went."""
    removed = []
    for lib in sorted(internal.glob("lib*.so*")):
        if lib.name.startswith(KEEP_BUNDLED):
            continue
        owner = debian_owner(lib.name)
        if owner:
            lib.unlink()
            removed.append(f"{lib.name} ({owner})")
    return removed


def strip_objects(folder: Path) -> None:
    """Strip debug symbols from shared objects (not the bootloader: its archive is appended)."""
    for path in folder.rglob("*.so*"):
        if path.is_file() and not path.is_symlink() and is_elf(path):
            run(["strip", "--strip-unneeded", "--remove-section=.comment", "--remove-section=.note", str(path)])


def drop_runpaths(folder: Path) -> list[str]:
    """Remove RPATH/RUNPATH from the bundled objects: one built elsewhere (a wheel from pip's
    cache built by another Python) may point at the build machine's folders."""
    dropped = []
    for path in folder.rglob("*.so*"):
        if not path.is_file() or path.is_symlink() or not is_elf(path):
            continue
        dynamic = run(["readelf", "-d", str(path)], capture_output=True).stdout
        if "(RPATH)" in dynamic or "(RUNPATH)" in dynamic:
            run(["chrpath", "-d", str(path)], stdout=subprocess.DEVNULL)
            dropped.append(path.name)
    return dropped


def shlib_depends(stage: Path) -> list[str]:
    """``dpkg-shlibdeps`` over every ELF file of the package (it needs a debian/control)."""
    elves = [p for p in (stage / LIBDIR).rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p)]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "debian").mkdir()
        (Path(tmp) / "debian" / "control").write_text(f"Source: {PACKAGE}\n\nPackage: {PACKAGE}\nArchitecture: any\n")
        out = run(
            ["dpkg-shlibdeps", "-O", "--ignore-missing-info", f"-l{stage / LIBDIR / '_internal'}",
             *[str(p) for p in elves]],
            cwd=tmp, capture_output=True,
        ).stdout
    line = next((x for x in out.splitlines() if x.startswith("shlibs:Depends=")), "shlibs:Depends=")
    return [d.strip() for d in line.split("=", 1)[1].split(",") if d.strip()]


def completion(binary: Path, shell: str) -> str | None:
    """``vitale-bridge completion SHELL`` if this build has the command, else None."""
    proc = subprocess.run([str(binary), "completion", shell], capture_output=True, text=True, timeout=60)
    return proc.stdout if proc.returncode == 0 and proc.stdout.strip() else None


def changelog(version: str) -> bytes:
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(EPOCH))
    return (
        f"{PACKAGE} ({version}) unstable; urgency=medium\n\n"
        f"  * Release {version}: see README.md for what it does.\n\n"
        f" -- {maintainer()}  {date}\n"
    ).encode()


def maintainer() -> str:
    """The Maintainer field: set VB_DEB_MAINTAINER for a real release (the default names the
    project's add-on domain, not a mailbox known to exist)."""
    return os.environ.get("VB_DEB_MAINTAINER", "vitale-bridge maintainers <maintainers@vitale-bridge.org>")


def bundled_distributions() -> list[str]:
    """Name, version and licence of every Python distribution the host needs at run time (the
    dependency tree of vitale-bridge, read from this Python's installed metadata)."""
    import re
    from importlib import metadata

    seen: dict[str, str] = {}
    todo = ["vitale-bridge"]
    while todo:
        name = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        key = dist.metadata["Name"].lower()
        if key in seen:
            continue
        license_ = dist.metadata.get("License-Expression") or ""
        if not license_:
            classifiers = [c.split(" :: ")[-1] for c in dist.metadata.get_all("Classifier") or [] if c.startswith("License ::")]
            license_ = ", ".join(classifiers) or (dist.metadata.get("License") or "see its metadata").splitlines()[0][:80]
        seen[key] = f"{dist.metadata['Name']} {dist.version}: {license_}"
        for req in dist.requires or []:
            if "extra ==" not in req:
                todo.append(re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0])
    seen.pop("vitale-bridge", None)
    python = f"Python {sys.version.split()[0]} (interpreter and standard library): PSF-2.0"
    bootloader = f"PyInstaller {metadata.version('pyinstaller')} bootloader: GPL-2.0-or-later WITH the bootloader exception"
    return [python, bootloader, *sorted(seen.values(), key=str.lower)]


def copyright_text() -> str:
    """installer/debian/copyright, plus the list of what the PyInstaller folder bundles."""
    text = (DEBIAN / "copyright").read_text(encoding="utf-8")
    return text.replace("@BUNDLED@", "\n".join(f" {line}" for line in bundled_distributions()))


def control(version: str, arch: str, depends: list[str], installed_kib: int) -> str:
    template = (DEBIAN / "control.in").read_text(encoding="utf-8")
    deps = ", ".join(dict.fromkeys([*RUNTIME_DEPENDS, *depends]))
    return (
        template.replace("@VERSION@", version)
        .replace("@ARCH@", arch)
        .replace("@DEPENDS@", deps)
        .replace("@SIZE@", str(installed_kib))
        .replace("@MAINTAINER@", maintainer())
    )


def stage_tree(stage: Path, frozen: Path, extension_dist: Path) -> list[str]:
    """Fill *stage* with the package's files; returns notes for the build log."""
    notes = []
    libdir = stage / LIBDIR
    shutil.copytree(frozen, libdir, symlinks=True)
    notes += [f"unbundled {x}" for x in unbundle_system_libraries(libdir / "_internal")]
    notes += [f"removed the RUNPATH of {x}" for x in drop_runpaths(libdir / "_internal")]
    strip_objects(libdir / "_internal")
    (stage / "usr/bin").mkdir(parents=True)
    (stage / "usr/bin/vitale-bridge").symlink_to("../lib/vitale-bridge/vitale-bridge")

    # Manifests: the real files in /usr/share, the browsers' /etc folders get symlinks, so
    # that 'apt-get remove' (not only purge) leaves no manifest pointing at a removed program.
    for rel, content in system_manifests().items():
        dest = stage / rel
        if rel.startswith("etc/"):
            family = "firefox" if "mozilla" in rel else "chrome"
            shared = SHARE / "native-messaging-hosts" / family / f"{NATIVE_HOST_NAME}.json"
            install_file(content, stage / shared)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.symlink_to("/" + str(shared))  # absolute: it crosses top-level folders (policy 10.5)
        else:
            install_file(content, dest)

    zips = sorted(extension_dist.glob(f"vitale-bridge-*-{__version__}.zip"))
    if not zips:
        raise SystemExit(f"no extension package vitale-bridge-*-{__version__}.zip in {extension_dist}: build it first")
    for z in zips:
        install_file(z, stage / SHARE / z.name)

    for doc in DOCS:
        install_file(ROOT / doc, stage / DOC / Path(doc).name)
    install_file(DEBIAN / "config.json.example", stage / DOC / "examples" / "config.json")
    install_file(copyright_text(), stage / DOC / "copyright")
    gzip_file(changelog(__version__), stage / DOC / "changelog.gz")
    gzip_file((DEBIAN / "vitale-bridge.1").read_bytes(), stage / "usr/share/man/man1/vitale-bridge.1.gz")
    install_file(DEBIAN / "lintian-overrides", stage / "usr/share/lintian/overrides" / PACKAGE)

    for shell, dest in (("bash", "usr/share/bash-completion/completions/vitale-bridge"),
                        ("zsh", "usr/share/zsh/vendor-completions/_vitale-bridge")):
        script = completion(libdir / "vitale-bridge", shell)
        if script is None:
            notes.append(f"no {shell} completion: this build has no 'vitale-bridge completion' command")
        else:
            install_file(script, stage / dest)
    return notes


def md5sums(stage: Path) -> str:
    lines = []
    for path in sorted(stage.rglob("*")):
        if path.is_file() and not path.is_symlink() and "DEBIAN" not in path.relative_to(stage).parts:
            lines.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {path.relative_to(stage)}")  # noqa: S324 - dpkg's format
    return "\n".join(lines) + "\n"


def installed_size_kib(stage: Path) -> int:
    total = sum(p.stat().st_size for p in stage.rglob("*") if p.is_file() and not p.is_symlink())
    return (total + 1023) // 1024


def normalise(stage: Path) -> None:
    """Directories 0755, files 0644 unless executable (0755), one timestamp for all."""
    for path in [stage, *stage.rglob("*")]:
        if path.is_symlink():
            os.utime(path, (EPOCH, EPOCH), follow_symlinks=False)
            continue
        if path.is_dir():
            path.chmod(0o755)
        else:
            executable = path.stat().st_mode & 0o111 and ".so" not in path.name  # libraries are 0644
            path.chmod(0o755 if executable else 0o644)
        os.utime(path, (EPOCH, EPOCH))


def build_deb(out: Path, frozen: Path, extension_dist: Path) -> Path:
    arch = architecture()
    with tempfile.TemporaryDirectory(prefix="vb-deb-") as tmp:
        stage = Path(tmp) / PACKAGE
        for note in stage_tree(stage, frozen, extension_dist):
            print(note, file=sys.stderr)
        depends = shlib_depends(stage)
        (stage / "DEBIAN").mkdir()
        install_file(md5sums(stage), stage / "DEBIAN" / "md5sums")
        install_file(control(__version__, arch, depends, installed_size_kib(stage)), stage / "DEBIAN" / "control")
        normalise(stage)
        out.mkdir(parents=True, exist_ok=True)
        deb = out / f"{PACKAGE}_{__version__}_{arch}.deb"
        run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(stage), str(deb)],
            env={**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)}, stdout=subprocess.DEVNULL)
    return deb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--frozen", type=Path, help="an existing PyInstaller one-folder build (folder)")
    parser.add_argument("--extension-dist", type=Path, default=ROOT / "extension" / "dist")
    args = parser.parse_args()
    frozen = args.frozen
    if frozen is None:
        import importlib.util

        spec = importlib.util.spec_from_file_location("vb_installer_build", ROOT / "installer" / "build.py")
        build = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(build)  # type: ignore[union-attr]
        work = ROOT / "build" / "deb"
        frozen = build.build(work / "dist", work / "pyinstaller", quiet=True).parent
    print(build_deb(args.out, frozen, args.extension_dist))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
