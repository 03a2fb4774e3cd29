"""No health data in logs or diagnostics, user-only files, no PIN anywhere in the API.

Every shipped profile goes through the real stack (bench + pcscd) and is read three ways:
over the WebSocket of a ``serve --driver pcsc`` process, with the ``vitale-bridge read`` CLI,
and through a native host process. Everything those processes write at the default log level
(stderr and the log files), and the ``doctor`` report with the card in the reader, is searched
for the profile's NIRs, names, birth dates and CPS card number: none may appear.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from bridge import profiles
from bridge.client import BridgeClient

pytestmark = pytest.mark.asyncio

ROOT = Path(__file__).resolve().parents[2]


def secrets_of(profile) -> set[str]:
    """The strings of a profile that must never reach a log: NIR (with and without its key),
    nom, prénom, birth date (as on the card and in ISO form), CPS card number."""
    found: set[str] = set()
    if isinstance(profile, profiles.CpsProfile):
        raw = profile.card_number
        found |= {raw.upper(), raw.lower()}
        with_text = bytes.fromhex(raw)
        if all(0x20 <= b < 0x7F for b in with_text):
            found.add(with_text.decode())
        return {s for s in found if len(s) >= 6}
    for b in profile.beneficiaries:
        found |= {b.nir, b.nir[:13], b.nom, b.prenom, b.date_naissance}
        d = b.date_naissance
        if len(d) == 8:
            found |= {f"{d[:4]}-{d[4:6]}-{d[6:]}", f"{d[6:]}/{d[4:6]}/{d[:4]}"}
    return {s for s in found if len(s) >= 3}


def leaks(text: str, secrets: set[str]) -> list[str]:
    return sorted(s for s in secrets if re.search(rf"(?<![0-9A-Za-z]){re.escape(s)}(?![0-9A-Za-z])", text))


PROFILES = profiles.shipped_names()


def _frame(obj) -> bytes:
    data = json.dumps(obj).encode()
    return struct.pack("=I", len(data)) + data


def _unframe(data: bytes) -> list[dict]:
    out = []
    while len(data) >= 4:
        (n,) = struct.unpack("=I", data[:4])
        out.append(json.loads(data[4 : 4 + n]))
        data = data[4 + n :]
    return out


def _log_files(home: Path) -> str:
    logs = home / "logs"
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(logs.glob("*")) if p.is_file())


async def test_no_health_data_in_logs_or_doctor_for_any_profile(vitale_readers, served, tmp_path):
    cli_home = tmp_path / "cli-home"
    env = {**os.environ, **vitale_readers.env, "VITALE_BRIDGE_HOME": str(cli_home)}
    env.pop("VITALE_BRIDGE_LOG_LEVEL", None)
    problems: dict[str, list[str]] = {}
    checked = 0
    async with BridgeClient.connect(port=served.port, token=served.token) as client:
        native = subprocess.Popen(  # starting it does not block
            [sys.executable, "-m", "bridge", "native", "--driver", "pcsc"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT,
        )
        native_requests = []
        outputs: list[tuple[str, str, str, set[str]]] = []  # (profile, where, text, secrets)
        for i, name in enumerate(PROFILES):
            profile = profiles.load(name)
            secrets = secrets_of(profile)
            is_cps = isinstance(profile, profiles.CpsProfile)
            reader = vitale_readers.insert(name, "CPS" if is_cps else "Vitale")
            method = "cps.status" if is_cps else "vitale.read"
            answer = await client.request(method, {"reader": reader})
            if "result" in answer and not is_cps and profile.card_type != "vitale1":
                # The test means something only if the data really went through.
                assert answer["result"]["beneficiaries"][0]["nom"] == profile.beneficiaries[0].nom
            native_requests.append(_frame({"jsonrpc": "2.0", "method": method, "params": {"reader": reader}, "id": i}))
            native.stdin.write(native_requests[-1])
            native.stdin.flush()
            cli = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "bridge", "read", "--reader", reader]
                if not is_cps else [sys.executable, "-m", "bridge", "readers"],
                capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=False,
            )
            # stdout is the practitioner's own terminal (the card's content is what it is for):
            # only stderr and the log files are logs.
            doctor = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "bridge", "doctor", "--json", "--port", str(served.port)],
                capture_output=True, text=True, env=env, cwd=ROOT, timeout=90, check=False,
            )
            outputs += [
                (name, "cli stderr", cli.stderr, secrets),
                (name, "doctor", doctor.stdout + doctor.stderr, secrets),
            ]
            # A read answered by the native host before the card changes.
            header = native.stdout.read(4)
            (n,) = struct.unpack("=I", header)
            reply = json.loads(native.stdout.read(n))
            assert reply["id"] == i
            vitale_readers.remove("CPS" if is_cps else "Vitale")
            checked += 1
        native.stdin.close()
        native_err = native.stderr.read().decode(errors="replace")
        assert native.wait(20) == 0
    all_secrets = set().union(*(secrets_of(profiles.load(n)) for n in PROFILES))
    outputs += [
        ("*", "serve stderr + log file", served.output(), all_secrets),
        ("*", "native host stderr", native_err, all_secrets),
        ("*", "cli and native log files", _log_files(cli_home), all_secrets),
    ]
    for name, where, text, secrets in outputs:
        if found := leaks(text, secrets):
            problems.setdefault(f"{name}: {where}", []).extend(found)
    assert checked == len(PROFILES)
    assert "vitale.read" in served.output()  # the logs do say what happened
    assert not problems, f"health data in logs: {problems}"


async def test_files_are_user_only(vitale_readers, served):
    """Token 0600 (also tests/rpc/test_websocket.py::test_token_file_is_user_only), the
    config, data and log folders 0700, the log file 0600."""
    async with BridgeClient.connect(port=served.port, token=served.token) as client:
        await client.call("readers.list")
    paths = served.paths
    assert stat.S_IMODE(paths.token_file.stat().st_mode) == 0o600
    for folder in (paths.config_dir, paths.data_dir, paths.log_dir):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE(paths.log_file.stat().st_mode) == 0o600
    # After an import, every file of the OD folder is user-only too (tables, state, lock).
    import subprocess
    import sys

    fixture = Path(__file__).resolve().parents[1] / "od" / "fixtures" / "tod-6col-plain-latin1-crlf.csv"
    env = {**os.environ, "VITALE_BRIDGE_HOME": str(served.home)}
    out = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bridge", "od", "import", str(fixture), "--force"],
                                  capture_output=True, env=env, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    for f in paths.od_dir.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f"{f.name} is {oct(stat.S_IMODE(f.stat().st_mode))}"
    assert stat.S_IMODE(paths.od_dir.stat().st_mode) == 0o700


def _param_names(schema, defs) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        if "$ref" in schema:
            ref = schema["$ref"].split("/")[-1]
            return _param_names(defs.get(ref, {}), defs)
        for key, value in schema.get("properties", {}).items():
            names.add(key)
            names |= _param_names(value, defs)
        for key in ("items", "anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []) if isinstance(schema.get(key), list) else [schema.get(key)]:
                names |= _param_names(sub, defs)
    return names


async def test_no_method_takes_a_pin(server):
    """The API as it describes itself (rpc.discover): no parameter anywhere is a PIN."""
    async with BridgeClient.connect(port=server.port, token=server.token) as client:
        doc = await client.call("rpc.discover")
    defs = doc.get("components", {}).get("schemas", {})
    offenders = []
    for method in doc["methods"]:
        for param in method.get("params", []):
            names = {param["name"]} | _param_names(param.get("schema", {}), defs)
            offenders += [f"{method['name']}.{n}" for n in names if re.search("pin|code.?porteur|password", n, re.IGNORECASE)]
    assert len(doc["methods"]) >= 10
    assert not offenders, offenders
