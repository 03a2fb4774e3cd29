"""The layering of the ``bridge`` packages (docs/ARCHITECTURE.md), checked on every run.

Runtime imports between packages must form no cycle, and the lower layers must not reach up:
the card layer knows nothing of the OD table or of sockets, the JSON-RPC core knows no
transport, no service knows the CLI. Imports inside ``if TYPE_CHECKING:`` are type-only and
allowed (a handler may name ``Bridge`` in its annotations).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

BRIDGE = Path(__file__).resolve().parents[2] / "bridge"

#: package -> packages it must never import at run time.
FORBIDDEN = {
    "bridge.cards": {"bridge.od", "bridge.api", "bridge.app", "bridge.transport", "bridge.cli", "bridge.bench"},
    "bridge.virtualcards": {"bridge.cards", "bridge.bench", "bridge.api", "bridge.app", "bridge.cli"},
    "bridge.od": {"bridge.cards", "bridge.api", "bridge.app", "bridge.transport", "bridge.cli"},
    "bridge.rpc": {"bridge.transport", "bridge.api", "bridge.app", "bridge.cards", "bridge.od", "bridge.cli"},
    "bridge.api": {"bridge.transport", "bridge.cli"},
    "bridge.app": {"bridge.transport", "bridge.cli"},
    "bridge.transport": {"bridge.cli", "bridge.cards", "bridge.od"},
    "bridge.install": {"bridge.cli", "bridge.app", "bridge.transport"},
}


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def _type_only(tree: ast.AST) -> set[int]:
    nodes: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            nodes.update(id(n) for n in ast.walk(node))
    return nodes


def import_graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for path in BRIDGE.rglob("*.py"):
        module = ".".join(path.relative_to(BRIDGE.parent).with_suffix("").parts).removesuffix(".__init__")
        source = _package(module)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_only(tree)
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("bridge"):
                names = [node.module] if node.module != "bridge" else [f"bridge.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("bridge")]
            else:
                continue
            for name in names:
                target = _package(name)
                if target != source and "." in target:
                    edges[source].add(target)
    return edges


def test_no_package_imports_what_its_layer_must_not_know():
    edges = import_graph()
    wrong = sorted(f"{src} -> {dst}" for src, banned in FORBIDDEN.items() for dst in edges.get(src, set()) & banned)
    assert wrong == []


def test_no_cycles_between_packages():
    edges = import_graph()

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    cycles = sorted({tuple(sorted((a, b))) for a in edges for b in edges[a] if a in reachable(b)})
    assert cycles == []


def test_the_check_sees_a_real_edge():
    """The graph is not empty by mistake: the API does import the card layer."""
    assert "bridge.cards" in import_graph()["bridge.api"]
