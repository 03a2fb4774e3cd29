"""``vitale-bridge doctor``: what is wrong on this machine, and what to do about it.

One screen for a user or a support desk. Each check returns a status (ok / warn / fail), a
one-line finding and, when it is not ok, the action that fixes it. ``--json`` gives the same
for a support ticket.

Privacy: the report names versions, paths, reader names, card *types* and codes; it never
reads or prints anything from a card beyond its type (no NIR, no name, no date), nor the token.

Each check is independent and guarded: a check that crashes is reported as ``fail`` with the
exception type, and the others still run.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bridge.settings import Paths

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    summary: str
    fix: str = ""


# --- host and manifests -------------------------------------------------------------------


def check_host() -> list[Check]:
    from bridge import PROTOCOL_VERSION, __version__

    how = "PyInstaller build" if getattr(sys, "frozen", False) else f"Python {sys.version.split()[0]}"
    return [Check("host", OK, f"vitale-bridge {__version__} (protocol {PROTOCOL_VERSION}), {how}, {sys.executable}")]


#: Programs or folders whose presence says a browser is installed (to tell "missing" from "unused").
_BROWSER_HINTS = {
    "chrome": (["google-chrome", "google-chrome-stable"], [".config/google-chrome", "Library/Application Support/Google/Chrome"]),
    "chromium": (["chromium", "chromium-browser"], [".config/chromium", "Library/Application Support/Chromium"]),
    "edge": (["microsoft-edge", "microsoft-edge-stable"], [".config/microsoft-edge", "Library/Application Support/Microsoft Edge"]),
    "brave": (["brave-browser", "brave"], [".config/BraveSoftware", "Library/Application Support/BraveSoftware"]),
    "firefox": (["firefox", "firefox-esr"], [".mozilla", "Library/Application Support/Firefox"]),
}


def _browser_present(browser: str, home: Path) -> bool:
    programs, dirs = _BROWSER_HINTS[browser]
    return any(shutil.which(p) for p in programs) or any((home / d).exists() for d in dirs)


def inspect_manifest(path: Path, family: str) -> tuple[str, str]:
    """(status, finding) for one manifest file: right name, our extension, executable host."""
    from bridge.identity import FIREFOX_ADDON_ID, NATIVE_HOST_NAME
    from bridge.install.manifest import chrome_origin

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return FAIL, f"{path} cannot be read as JSON ({type(exc).__name__})"
    if not isinstance(data, dict) or data.get("name") != NATIVE_HOST_NAME:
        return FAIL, f"{path} does not name the host {NATIVE_HOST_NAME}"
    if family == "firefox":
        if FIREFOX_ADDON_ID not in (data.get("allowed_extensions") or []):
            return FAIL, f"{path} does not allow the add-on {FIREFOX_ADDON_ID}"
    elif chrome_origin() not in (data.get("allowed_origins") or []):
        return FAIL, f"{path} does not allow {chrome_origin()}"
    host = Path(str(data.get("path", "")))
    if not host.is_absolute() or not host.is_file():
        return FAIL, f"{path} points to {host}, which does not exist"
    if os.name == "posix" and not os.access(host, os.X_OK):
        return FAIL, f"{path} points to {host}, which is not executable"
    return OK, f"{path} -> {host}"


def check_manifests() -> list[Check]:
    from bridge.identity import NATIVE_HOST_NAME
    from bridge.install import current_platform
    from bridge.install import locations as loc

    platform = current_platform()
    home = Path.home()
    checks = []
    for browser in loc.BROWSERS:
        family = loc.FAMILY[browser]
        found: list[tuple[str, str]] = []
        for scope in ("user", "system"):
            if platform == "windows":
                manifest = _registry_manifest(scope, browser, NATIVE_HOST_NAME)
                candidates = [Path(manifest)] if manifest else []
            else:
                dirs = loc.manifest_dirs(platform, scope, browser, home=str(home), lib64=True)
                candidates = [Path(str(d)) / f"{NATIVE_HOST_NAME}.json" for d in dirs]
            for path in candidates:
                if path.exists():
                    status, finding = inspect_manifest(path, family)
                    found.append((status, f"{scope}: {finding}"))
        name = f"manifest {browser}"
        fix = f"run 'vitale-bridge install --browser {browser}'"
        if any(s == FAIL for s, _ in found):
            checks.append(Check(name, FAIL, "; ".join(f for _, f in found), fix + " to rewrite it"))
        elif found:
            checks.append(Check(name, OK, "; ".join(f for _, f in found)))
        elif _browser_present(browser, home):
            checks.append(Check(name, WARN, "browser found but no host manifest: the extension will use the WebSocket", fix))
        else:
            checks.append(Check(name, OK, "browser not found, no manifest (nothing to do)"))
    return checks


def _registry_manifest(scope: str, browser: str, host_name: str) -> str | None:
    import winreg  # noqa: PLC0415 - Windows only

    from bridge.install.locations import registry_location

    where = registry_location(scope, browser, host_name)  # type: ignore[arg-type]
    hive = winreg.HKEY_CURRENT_USER if where.hive == "HKCU" else winreg.HKEY_LOCAL_MACHINE
    try:
        with winreg.OpenKey(hive, where.key) as key:
            return str(winreg.QueryValueEx(key, "")[0])
    except OSError:
        return None


# --- PC/SC, readers and cards (fallback without the card API) ----------------------------


def _card_type(atr: bytes) -> str:
    try:
        from bridge.cards import atr as atr_mod

        return str(atr_mod.label(atr))
    except Exception:  # noqa: BLE001 - the card layer may not offer this: the type is a nicety
        return "card"


def check_pcsc_direct() -> list[Check]:
    """Fallback when the card API is not in this build: ask pyscard directly (types only)."""
    try:
        from smartcard.System import readers
    except ImportError:
        return [Check("pcsc", FAIL, "pyscard is not installed", "reinstall vitale-bridge (pip install vitale-bridge)")]
    try:
        found = readers()
    except Exception as exc:  # noqa: BLE001 - pyscard raises several unrelated types
        text = f"{type(exc).__name__}: {exc}".upper()
        if "ESTABLISHCONTEXT" in text or "0X8010001D" in text or "NO_SERVICE" in text:
            return [_pcsc_down()]
        return [Check("pcsc", FAIL, f"listing readers failed ({type(exc).__name__})", "restart the smart-card service")]
    checks = [Check("pcsc", OK, "smart-card service reachable")]
    if not found:
        return [*checks, _no_reader()]
    for reader in found:
        checks.append(_reader_check(reader))
    return checks


def _pcsc_down() -> Check:
    return Check(
        "pcsc",
        FAIL,
        "the smart-card service is not reachable",
        "start it: 'sudo systemctl start pcscd' (Linux), the 'Smart Card' service (Windows)",
    )


def _no_reader() -> Check:
    return Check("readers", WARN, "no card reader connected", "plug in the reader (and check its driver)")


def _reader_check(reader: Any) -> Check:
    name = f"reader {reader}"
    try:
        connection = reader.createConnection()
        connection.connect()
    except Exception as exc:  # noqa: BLE001
        kind = type(exc).__name__
        if "NoCard" in kind:
            return Check(name, OK, "no card inserted")
        return Check(name, WARN, f"card not readable ({kind})", "remove the card and insert it again")
    try:
        atr = bytes(connection.getATR())
    finally:
        try:
            connection.disconnect()
        except Exception:  # noqa: BLE001
            pass
    return Check(name, OK, f"card present: {_card_type(atr)}")


# --- through the core: readers and cards, the OD table ----------------------------------------


def core_checks(paths: Paths) -> list[Check]:
    """Ask the bridge's own methods, in-process, as a client would (``readers.list``, ``od.info``).

    Going through the core means doctor sees what the host sees (same driver, same table
    store), and tolerates a build where a service is missing.
    """
    import asyncio

    from bridge.app import Bridge
    from bridge.rpc import Peer
    from bridge.settings import Settings

    bridge = Bridge(Settings(paths=paths))
    methods = bridge.dispatcher.methods

    async def call(method: str) -> dict[str, Any]:
        session = bridge.open_session(Peer(transport="inproc", authenticated_by="local"))
        try:
            request = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method})
            raw = await asyncio.wait_for(bridge.handle(request, session), 10)
        finally:
            await bridge.close_session(session)
        return json.loads(raw or "{}")

    async def run() -> list[Check]:
        out: list[Check] = []
        await asyncio.wait_for(bridge.start(), 10)
        try:
            if "readers.list" in methods:
                out.extend(_readers_from(await call("readers.list")))
            else:
                out.extend(await asyncio.to_thread(check_pcsc_direct))
            if "od.info" in methods:
                out.extend(_od_from(await call("od.info")))
            else:
                out.append(Check("od table", WARN, "this build has no TOD table service", "update vitale-bridge"))
        finally:
            await bridge.stop()
        return out

    return asyncio.run(run())


def _error_code(answer: dict[str, Any]) -> str:
    error = answer.get("error") or {}
    return str((error.get("data") or {}).get("code", error.get("code", "?")))


def _readers_from(answer: dict[str, Any]) -> list[Check]:
    if "error" in answer:
        code = _error_code(answer)
        if code == "PCSC_UNAVAILABLE":
            return [_pcsc_down()]
        if code == "NO_READER":
            return [Check("pcsc", OK, "smart-card service reachable"), _no_reader()]
        return [Check("pcsc", FAIL, f"readers.list failed: {code}", "restart the smart-card service")]
    result = answer.get("result") or {}
    readers = result.get("readers") or []
    checks = [Check("pcsc", OK, f"smart-card service reachable (driver {result.get('driver', '?')})")]
    if not readers:
        return [*checks, _no_reader()]
    for r in readers:
        name = f"reader {r.get('name', '?')}"
        if r.get("cardPresent"):
            checks.append(Check(name, OK, f"card present: {r.get('cardType') or 'unknown type'}"))
        else:
            checks.append(Check(name, OK, "no card inserted"))
    return checks


def _od_from(answer: dict[str, Any]) -> list[Check]:
    if "error" in answer:
        return [
            Check("od table", FAIL, f"od.info failed: {_error_code(answer)}",
                  "import the table again with 'vitale-bridge od import FILE'")
        ]
    result = answer.get("result") or {}
    source = result.get("source") or {}
    summary = f"TOD {result.get('version', '?')} ({source.get('kind', '?')}, {result.get('rowCount', '?')} rows)"
    imported = source.get("importedAt")
    age = _age_days(imported) if imported else None
    if age is not None:
        summary += f", imported {age} days ago"
        if age > STALE_TABLE_DAYS:
            return [Check("od table", WARN, summary, "import the current TOD: 'vitale-bridge od import FILE'")]
    if result.get("notice"):
        return [Check("od table", WARN, summary, str(result["notice"]))]
    return [Check("od table", OK, summary)]


#: The TOD is republished a few times a year; older than this, suggest importing it again.
STALE_TABLE_DAYS = 120


def _age_days(iso: str) -> int | None:
    import datetime as dt

    try:
        when = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0, (dt.datetime.now(dt.timezone.utc) - when).days)


# --- WebSocket port, token, origins -------------------------------------------------------


def check_port(paths: Paths, port: int) -> list[Check]:
    name = f"websocket port {port}"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            pass
    except OSError:
        return [
            Check(
                name,
                OK,
                "free: no bridge serves the WebSocket (fine when the browser uses native messaging)",
                "",
            )
        ]
    version = _hello_over_websocket(paths, port)
    if version:
        return [Check(name, OK, f"in use by vitale-bridge {version}, which answers bridge.hello")]
    return [
        Check(
            name,
            FAIL,
            "in use by a program that does not answer as vitale-bridge",
            "stop that program, or run 'vitale-bridge serve --port N' with a free port N",
        )
    ]


def _hello_over_websocket(paths: Paths, port: int) -> str | None:
    import asyncio

    async def hello() -> str | None:
        from bridge.client import BridgeClient

        async with BridgeClient.connect(port=port, paths=paths, open_timeout=2) as client:
            result = await asyncio.wait_for(
                client.call("bridge.hello", {"clientName": "doctor", "clientVersion": "1"}), 3
            )
            return str(result.get("version"))

    try:
        return asyncio.run(hello())
    except Exception:  # noqa: BLE001 - any failure means "not a bridge we can talk to"
        return None


def check_token(paths: Paths) -> list[Check]:
    path = paths.token_file
    try:
        st = path.stat()
    except FileNotFoundError:
        return [Check("token file", OK, f"{path} not created yet (the first 'vitale-bridge serve' creates it)")]
    if os.name != "posix":
        return [Check("token file", OK, f"{path} exists")]
    mode = stat.S_IMODE(st.st_mode)
    if st.st_uid != os.getuid():
        return [Check("token file", FAIL, f"{path} belongs to another user (uid {st.st_uid})", f"remove {path}; the next 'serve' creates a new one")]
    if mode & 0o077:
        return [Check("token file", FAIL, f"{path} is readable by others (mode {mode:o})", f"chmod 600 {path}")]
    return [Check("token file", OK, f"{path} (mode {mode:o})")]


def check_origins(paths: Paths) -> list[Check]:
    from bridge.identity import CHROME_EXTENSION_ID, FIREFOX_ADDON_ID
    from bridge.settings import user_origins

    extra = user_origins(paths)
    summary = f"extension chrome-extension://{CHROME_EXTENSION_ID}/ and Firefox add-on {FIREFOX_ADDON_ID}"
    summary += f"; web origins allowed on the WebSocket: {', '.join(extra) if extra else 'none'}"
    return [Check("extensions allowed", OK, summary)]


# --- the report ----------------------------------------------------------------------------------


def run_checks(paths: Paths, port: int) -> list[Check]:
    steps: list[tuple[str, Callable[[], list[Check]]]] = [
        ("host", check_host),
        ("manifests", check_manifests),
        ("cards and od table", lambda: core_checks(paths)),
        ("websocket", lambda: check_port(paths, port)),
        ("token file", lambda: check_token(paths)),
        ("extensions", lambda: check_origins(paths)),
    ]
    checks: list[Check] = []
    for name, step in steps:
        try:
            checks.extend(step())
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            checks.append(Check(name, FAIL, f"the check itself failed ({type(exc).__name__})", "report this to support"))
    return checks


def report_json(checks: list[Check]) -> dict[str, Any]:
    from bridge import PROTOCOL_VERSION, __version__

    counts = {s: sum(c.status == s for c in checks) for s in (OK, WARN, FAIL)}
    return {
        "version": __version__,
        "protocolVersion": PROTOCOL_VERSION,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "summary": counts,
        "checks": [asdict(c) for c in checks],
    }


def report_text(checks: list[Check]) -> list[str]:
    width = max((len(c.name) for c in checks), default=10)
    lines = []
    for c in checks:
        lines.append(f"{c.status:<4}  {c.name:<{width}}  {c.summary}")
        if c.fix and c.status != OK:
            lines.append(f"{'':<4}  {'':<{width}}  -> {c.fix}")
    return lines
