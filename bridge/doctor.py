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
from typing import TYPE_CHECKING, Any

from bridge.settings import Paths

if TYPE_CHECKING:
    from bridge.sysconfig import SystemConfig

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
    if sys.platform != "win32":  # no registry here; also tells mypy (on Linux) to skip the calls below
        return None
    import winreg  # Windows only

    from bridge.install.locations import registry_location

    where = registry_location(scope, browser, host_name)
    hive = winreg.HKEY_CURRENT_USER if where.hive == "HKCU" else winreg.HKEY_LOCAL_MACHINE
    try:
        with winreg.OpenKey(hive, where.key) as key:
            return str(winreg.QueryValueEx(key, "")[0])
    except OSError:
        return None


# --- through the core: readers and cards, the OD table ----------------------------------------


def core_checks(paths: Paths) -> list[Check]:
    """Ask the bridge's own services in-process (the card service behind ``readers.list``, the
    OD store behind ``od.info``), so doctor sees what the host sees: same driver, same store."""
    import asyncio

    from bridge.app import Bridge
    from bridge.settings import Settings

    async def run() -> list[Check]:
        bridge = Bridge(Settings(paths=paths))
        await asyncio.wait_for(bridge.start(), 10)
        try:
            return [*await _readers(bridge), *await _busy_readers(bridge), *_od_table(bridge)]
        finally:
            await bridge.stop()

    return asyncio.run(run())


def _pcsc_down() -> Check:
    return Check(
        "pcsc",
        FAIL,
        "the smart-card service is not reachable",
        "start it: 'sudo systemctl start pcscd' (Linux), the 'Smart Card' service (Windows)",
    )


async def _readers(bridge: Any) -> list[Check]:
    import asyncio

    from bridge.errors import BridgeError, PcscUnavailableError

    try:
        readers = await asyncio.wait_for(bridge.cards.readers(), 10)
    except PcscUnavailableError:
        return [_pcsc_down()]
    except BridgeError as exc:
        return [Check("pcsc", FAIL, f"listing readers failed: {exc.code}", "restart the smart-card service")]
    checks = [Check("pcsc", OK, f"smart-card service reachable (driver {bridge.cards.driver.name})")]
    if bench := os.environ.get("VITALE_BRIDGE_BENCH"):  # set by bridge.bench.discover
        checks.append(Check("bench", OK, f"using the virtual readers of this home's running bench ({bench}): "
                            "its private pcscd socket, not the system's"))
    if not readers:
        return [*checks, Check("readers", WARN, "no card reader connected", "plug in the reader (and check its driver)")]
    for r in readers:
        summary = f"card present: {r.card_type or 'unknown type'}" if r.card_present else "no card inserted"
        checks.append(Check(f"reader {r.name}", OK, summary))
    return checks


async def _busy_readers(bridge: Any) -> list[Check]:
    """A reader whose card another program holds exclusively (READER_BUSY for every read)."""
    import asyncio

    from bridge.errors import BridgeError

    try:
        busy = await asyncio.wait_for(bridge.cards.busy_readers(), 10)
    except (BridgeError, TimeoutError):
        return []  # _readers has said what is wrong with the smart-card service
    return [
        Check(f"reader {name}", WARN, "busy: another program holds the card exclusively (reads get READER_BUSY)",
              "close the program using the card (often the billing software), or wait until it has finished")
        for name in busy
    ]


def _od_table(bridge: Any) -> list[Check]:
    from bridge.errors import BridgeError

    try:
        info = bridge.od.info()
    except BridgeError as exc:
        return [
            Check("od table", FAIL, f"od.info failed: {exc.code}",
                  "import the table again with 'vitale-bridge od import FILE'")
        ]
    config = _system_or_empty()
    return [od_table_check(info, config.od_max_age_days or DEFAULT_OD_MAX_AGE_DAYS,
                           update_configured=bool(config.od_update_source))]


#: The GIE republishes the TOD several times a year (3.37 to 3.70 in the years the embedded copy
#: has been around): after about four months a newer version has most likely been published.
#: IT changes it with ``odMaxAgeDays`` in the system configuration.
DEFAULT_OD_MAX_AGE_DAYS = 120


def od_table_check(info: Any, max_age_days: int, *, update_configured: bool) -> Check:
    """The OD table's version, age and provenance; a warning when older than *max_age_days*."""
    source = info.source
    summary = f"TOD {info.version} ({source.kind}, {info.row_count} rows)"
    if info.age_days is not None:
        summary += f", imported {info.age_days} days ago"
    if source.origin:
        summary += f" from {source.origin}"
    fix = (
        "run 'vitale-bridge od update' (the update source is configured)" if update_configured
        else "import the current TOD: 'vitale-bridge od import FILE', or have IT set odUpdateSource"
    )
    if info.age_days is not None and info.age_days > max_age_days:
        return Check("od table", WARN, f"{summary}: older than {max_age_days} days", fix)
    if info.notice:
        return Check("od table", WARN, summary, info.notice)
    return Check("od table", OK, summary)


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
    from bridge.transport import peers

    if peers.listener_owned_by_us(port) is False:  # a shared machine: never send our token there
        return [Check(name, FAIL, "held by another user's program (a shared machine)",
                      "use another port: 'vitale-bridge serve --port N', or websocketPort in the system configuration")]
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


def check_secret_contents(paths: Paths) -> list[Check]:
    """The token and the pairing key must hold a well-formed secret: an empty file (a crash
    between creating and writing it) is never accepted, so clients would all be refused."""
    from bridge.settings import PAIRING_KEY_PATTERN, TOKEN_PATTERN, secret_file_problem

    checks = []
    for name, path, pattern in (
        ("token content", paths.token_file, TOKEN_PATTERN),
        ("pairing key content", paths.pairing_key_file, PAIRING_KEY_PATTERN),
    ):
        problem = secret_file_problem(path, pattern)
        if problem:
            checks.append(Check(name, FAIL, f"{path} is {problem}: it is never accepted",
                                "run 'vitale-bridge serve' or 'vitale-bridge pair', which make a new one"))
    return checks


def check_origins(paths: Paths) -> list[Check]:
    from bridge.identity import CHROME_EXTENSION_ID, FIREFOX_ADDON_ID

    extra = _effective_web_origins(paths)
    summary = f"extension chrome-extension://{CHROME_EXTENSION_ID}/ and Firefox add-on {FIREFOX_ADDON_ID}"
    summary += f"; web origins allowed on the WebSocket: {', '.join(extra) if extra else 'none'}"
    return [Check("extensions allowed", OK, summary)]


# --- which settings come from where ------------------------------------------------------------


def _system_or_empty() -> SystemConfig:
    """The system configuration, or an empty one when it is broken (check_configuration
    reports that, once, with the fix; the other checks go on with the defaults)."""
    from bridge.errors import SetupError
    from bridge.sysconfig import SystemConfig, load_system_config

    try:
        return load_system_config()
    except SetupError:
        return SystemConfig()


def port_to_check(port: int | None) -> int:
    """``--port``, else the configured port (the default when the system file is broken)."""
    from bridge.settings import configured_port

    return port if port is not None else configured_port(_system_or_empty())


def _effective_web_origins(paths: Paths) -> list[str]:
    from bridge.settings import web_origins

    return web_origins(paths, _system_or_empty())[0]


def check_configuration(paths: Paths) -> list[Check]:
    """The system configuration file, then each setting IT may set: its value and its source
    (the system file, the user's own file, or the built-in default)."""
    from bridge.errors import SetupError
    from bridge.identity import DEFAULT_PORT
    from bridge.settings import user_origins, web_origins
    from bridge.sysconfig import config_path, load_system_config

    path = config_path()
    try:
        system = load_system_config(path)
    except SetupError as exc:
        return [Check("system configuration", FAIL, str(exc), f"fix {path} (docs/install.md lists its keys) or remove it")]
    if path.exists():
        checks = [Check("system configuration", OK, f"{path}, set by the organisation")]
    else:
        checks = [Check("system configuration", OK, f"{path} absent: built-in defaults and your own settings apply")]
    from_system = f"from the system configuration {path}"
    origins, source = web_origins(paths, system)
    if source == "system":
        ignored = len(user_origins(paths))
        origins_text = f"{', '.join(origins) or 'none'} ({from_system}; your own list is not used"
        origins_text += f": {ignored} origin(s) ignored)" if ignored else ")"
    else:
        origins_text = f"{', '.join(origins) or 'none'} (your own list, {paths.origins_file}; 'vitale-bridge origins')"
    rows = [
        ("websocketPort", system.websocket_port, f"{DEFAULT_PORT} (built-in default; --port overrides it for one run)"),
        ("odUpdateSource", system.od_update_source, "not set (none built in)"),
        ("odMaxAgeDays", system.od_max_age_days, f"{DEFAULT_OD_MAX_AGE_DAYS} (built-in default)"),
        ("pkcs11Module", system.pkcs11_module, "not set (none built in)"),
    ]
    checks.append(Check("setting websocketAllowedOrigins", OK, origins_text))
    for key, value, default in rows:
        checks.append(Check(f"setting {key}", OK, f"{value} ({from_system})" if value is not None else default))
    return checks


# --- the report ----------------------------------------------------------------------------------


def run_checks(paths: Paths, port: int) -> list[Check]:
    steps: list[tuple[str, Callable[[], list[Check]]]] = [
        ("host", check_host),
        ("configuration", lambda: check_configuration(paths)),
        ("manifests", check_manifests),
        ("cards and od table", lambda: core_checks(paths)),
        ("websocket", lambda: check_port(paths, port)),
        ("token file", lambda: check_token(paths)),
        ("secrets", lambda: check_secret_contents(paths)),
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
