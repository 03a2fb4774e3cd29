"""The page SDK's TypeScript declarations (extension/sdk/vitale-bridge.d.ts) against the host's
own description of its API (``rpc.discover``, generated from the pydantic models): every
property name and every enum value of what the SDK's methods return must appear in the .d.ts,
so a field added, renamed or given a new value on the host fails here until the types follow."""

from __future__ import annotations

import re
from pathlib import Path

DTS = Path(__file__).resolve().parents[2] / "extension" / "sdk" / "vitale-bridge.d.ts"

# bridge.hello's answer as the SDK shows it (HostInfo): only these fields are passed on.
HELLO_FIELDS = {"name", "version", "protocolVersion", "transport", "driver"}


def _walk(schema, components, interfaces, owner: str, found: dict[str, tuple[set, set]], seen: set) -> None:
    """Collect property names and enum values of *schema* under the .d.ts interface that
    declares them: a component with an interface of its own name owns its fields; one without
    (an inline type in the .d.ts) is checked within its parent's interface."""
    if isinstance(schema, list):
        for item in schema:
            _walk(item, components, interfaces, owner, found, seen)
        return
    if not isinstance(schema, dict):
        return
    names, values = found.setdefault(owner, (set(), set()))
    ref = schema.get("$ref")
    if isinstance(ref, str):
        key = ref.rsplit("/", 1)[-1]
        if (key, owner) not in seen:
            seen.add((key, owner))
            _walk(components[key], components, interfaces, key if key in interfaces else owner, found, seen)
    values.update(v for v in schema.get("enum", []) if isinstance(v, str))
    if isinstance(schema.get("const"), str):
        values.add(schema["const"])
    for name, sub in (schema.get("properties") or {}).items():
        names.add(name)
        _walk(sub, components, interfaces, owner, found, seen)
    for key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties"):
        if key in schema:
            _walk(schema[key], components, interfaces, owner, found, seen)


def interfaces_of(dts: str) -> dict[str, str]:
    """Each ``export interface Name {...}`` of the .d.ts, by name, with its body."""
    return dict(re.findall(r"^export interface (\w+)[^{]*\{(.*?)^\}", dts, re.MULTILINE | re.DOTALL))


def declared(body: str, aliases: dict[str, str]) -> tuple[set[str], set[str]]:
    """Property names (nested inline types included) and string literals of an interface body,
    with those of the type aliases it names (``cardType: CardType``)."""
    props = set(re.findall(r"(?:^|[{;,])\s*(?:readonly\s+)?(\w+)\??:", body, re.MULTILINE))
    text = body + "".join(alias for name, alias in aliases.items() if re.search(rf"\b{name}\b", body))
    return props, set(re.findall(r'"([^"\n]*)"', text))


# The interface that declares each SDK method's result.
RESULT_INTERFACE = {
    "readers.list": "ReadersList",
    "vitale.read": "VitaleRead",
    "cps.status": "CpsStatus",
    "od.resolve": "OrganismeDestinataire",
    "od.search": "OdSearchResult",
}


def drift(discover: dict, dts: str) -> list[str]:
    """What the host returns and the .d.ts does not declare, as readable lines."""
    methods = {m["name"]: m for m in discover["methods"]}
    components = discover.get("components", {}).get("schemas", {})
    interfaces = interfaces_of(dts)
    aliases = dict(re.findall(r"^export type (\w+) = (.*?);", dts, re.MULTILINE | re.DOTALL))
    found: dict[str, tuple[set, set]] = {}
    for method, interface in RESULT_INTERFACE.items():
        assert method in methods, f"{method} is no longer offered by the host: update the SDK"
        _walk(methods[method]["result"]["schema"], components, interfaces, interface, found, set())
    problems = []
    for interface, (names, values) in sorted(found.items()):
        props, literals = declared(interfaces.get(interface, ""), aliases)
        problems += [f"{interface}.{n}: not declared" for n in sorted(names - props)]
        problems += [f'{interface}: value "{v}" not listed' for v in sorted(values - literals)]
    return problems


def test_every_result_property_and_enum_value_is_declared(discover):
    problems = drift(discover, DTS.read_text(encoding="utf-8"))
    assert not problems, "vitale-bridge.d.ts has drifted from rpc.discover:\n" + "\n".join(problems)


def test_host_info_fields_exist_on_the_host(discover):
    hello = next(m for m in discover["methods"] if m["name"] == "bridge.hello")
    found: dict[str, tuple[set, set]] = {}
    _walk(hello["result"]["schema"], discover["components"]["schemas"], {}, "HostInfo", found, set())
    assert HELLO_FIELDS <= found["HostInfo"][0], sorted(HELLO_FIELDS - found["HostInfo"][0])


def test_the_check_fails_on_drift(discover):
    """The comparison itself can fail: a .d.ts missing one field and one enum value is caught."""
    text = DTS.read_text(encoding="utf-8")
    assert not drift(discover, text)
    broken = text.replace("keyValid: boolean | null;", "").replace('"exact" | ', "")
    assert set(drift(discover, broken)) == {"Nir.keyValid: not declared", 'OrganismeDestinataire: value "exact" not listed'}
