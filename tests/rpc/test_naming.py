"""The wire's naming rules (docs/api.md, "Naming rules") hold over the whole API as the host
describes it (``rpc.discover``), every model the bridge serialises (notifications, the CLI's
JSON), the error classes and the ``reason`` values errors carry, so a new field, value or
error cannot bring back a second casing."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any, get_args

from pydantic import TypeAdapter

import bridge
from bridge.api.events import EventName
from bridge.errors import BridgeError
from bridge.rpc.openrpc import REF
from bridge.wire import WireModel

CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")
PASCAL = re.compile(r"^[A-Z][a-zA-Z0-9]*$")
UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")
#: Enum values that are not names of ours but notification names (and their wildcard).
NOTIFICATIONS = set(get_args(EventName))
BRIDGE_PACKAGE = Path(__file__).resolve().parents[2] / "bridge"


def offenders(schema: Any, where: str = "") -> list[str]:
    """Property names and enum values of *schema* (any JSON schema) that break the rules."""
    found: list[str] = []
    if isinstance(schema, list):
        for i, item in enumerate(schema):
            found += offenders(item, f"{where}[{i}]")
    elif isinstance(schema, dict):
        values = list(schema.get("enum") or []) + ([schema["const"]] if "const" in schema else [])
        for v in values:
            if isinstance(v, str) and not CAMEL.match(v) and v not in NOTIFICATIONS:
                found.append(f'{where}: value "{v}"')
        for name, sub in (schema.get("properties") or {}).items():
            if not CAMEL.match(name):
                found.append(f"{where}: property {name}")
            found += offenders(sub, f"{where}.{name}")
        for key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties", "prefixItems"):
            if key in schema:
                found += offenders(schema[key], where)
    return found


def code_of(cls: type) -> str:
    """The rule: the class name without ``Error``, in UPPER_SNAKE_CASE."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__.removesuffix("Error")).upper()


def every_error_class() -> list[type[BridgeError]]:
    out, stack = [], [BridgeError]
    while stack:
        cls = stack.pop()
        out.append(cls)
        stack += cls.__subclasses__()
    return out


def test_every_name_and_enum_value_of_the_api_follows_the_rules(discover):
    problems = []
    for m in discover["methods"]:
        for p in m["params"]:
            if not CAMEL.match(p["name"]):
                problems.append(f"{m['name']}: param {p['name']}")
            problems += offenders(p["schema"], f"{m['name']}({p['name']})")
        problems += offenders(m["result"]["schema"], m["name"])
        for e in m.get("errors", []):
            if not UPPER_SNAKE.match(e["data"]["code"]):
                problems.append(f"{m['name']}: error code {e['data']['code']}")
    for name, schema in discover["components"]["schemas"].items():
        if not PASCAL.match(name):
            problems.append(f"schema name {name}")
        problems += offenders(schema, name)
    assert not problems, "\n".join(problems)


def wire_models() -> list[type[WireModel]]:
    """Every WireModel of the package (its modules imported), the CLI's JSON and the
    notifications' params included, which ``rpc.discover`` does not describe."""
    for module in pkgutil.walk_packages(bridge.__path__, "bridge."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    out, stack = [], [WireModel]
    while stack:
        cls = stack.pop()
        out.append(cls)
        stack += cls.__subclasses__()
    return out[1:]


def test_every_wire_model_follows_them_too():
    """The notifications' params, ``od import|update --json`` (with the comparison that
    OD_IMPORT_SUSPICIOUS also carries) and every other model the bridge serialises."""
    models = wire_models()
    assert {"CardEvent", "OdTableChanged", "OdImportReport", "OdUpdateReport"} <= {m.__name__ for m in models}
    problems = []
    for model in models:
        if not PASCAL.match(model.__name__):
            problems.append(f"model name {model.__name__}")
        schema = TypeAdapter(model).json_schema(ref_template=REF, by_alias=True, mode="serialization")
        problems += offenders(schema, model.__name__)
        for name, sub in schema.get("$defs", {}).items():
            problems += offenders(sub, name)
    assert not problems, "\n".join(sorted(set(problems)))


def test_the_checks_can_fail():
    bad = {"properties": {"od_status": {"enum": ["resolved", "not-found"]}, "ok": {"const": "CPS_ABSENT"}}}
    assert offenders(bad) == [": property od_status", '.od_status: value "not-found"', '.ok: value "CPS_ABSENT"']
    assert offenders({"enum": ["card.inserted", "*", "od.tableChanged"]}) == []
    assert code_of(type("CardCommunicationError", (), {})) == "CARD_COMMUNICATION"


def test_every_error_code_is_its_class_name(discover):
    wrong = [f"{cls.__name__}: {cls.code}" for cls in every_error_class() if cls.code != code_of(cls)]
    assert not wrong, wrong
    by_number = {cls.rpc_code: cls.code for cls in every_error_class() if cls.rpc_code != -32000}
    for m in discover["methods"]:
        for e in m.get("errors", []):
            assert by_number.get(e["code"], "BRIDGE") == e["data"]["code"], (m["name"], e)


def test_error_reasons_are_lower_camel_case():
    """Every constant ``reason=...`` given to an error in the package (``error.data.reason``)."""
    problems, seen = [], 0
    for path in sorted(BRIDGE_PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
            if not name.endswith("Error"):
                continue
            for kw in node.keywords:
                value = kw.value
                if kw.arg == "reason" and isinstance(value, ast.Constant):
                    seen += 1
                    if not CAMEL.match(str(value.value)):
                        problems.append(f"{path.relative_to(BRIDGE_PACKAGE.parent)}:{node.lineno}: {value.value}")
    assert seen >= 5 and not problems, (seen, problems)
