"""mcp_llm's parts depend on each other one way only: no package imports one that imports it back.

The graph is read from the source with ``ast`` (every ``import`` and ``from ... import``, at any depth,
including those inside functions), one node per top-level part of ``mcp_llm`` (a subpackage or a module).
"""

from __future__ import annotations

import ast
from pathlib import Path

import mcp_llm

ROOT = Path(mcp_llm.__file__).parent


def part_of(module: str) -> str | None:
    """``mcp_llm.gateway.cache`` -> ``gateway``; modules outside mcp_llm -> None."""
    head, _, rest = module.partition(".")
    if head != "mcp_llm" or not rest:
        return None
    return rest.split(".")[0]


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def _is_part(name: str) -> bool:
    """A subpackage or module of mcp_llm (``from mcp_llm import __version__`` names neither)."""
    return (ROOT / name).is_dir() or (ROOT / f"{name}.py").is_file()


def part_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        source = part_of(module_name(path))
        if source is None:
            continue
        edges = graph.setdefault(source, set())
        for target in map(part_of, imports_of(path)):
            if target is not None and target != source and _is_part(target):
                edges.add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for after in graph.get(node, ()):
            if after not in index:
                visit(after)
                low[node] = min(low[node], low[after])
            elif after in on_stack:
                low[node] = min(low[node], index[after])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_parts_of_mcp_llm_import_each_other_without_cycles() -> None:
    assert cycles(part_graph()) == []


def test_routing_sits_below_gateway_and_governance() -> None:
    graph = part_graph()
    assert "routing" in graph["gateway"]
    assert "routing" in graph["governance"]
    assert not graph["routing"] & {"gateway", "governance"}
    assert "gateway" not in graph["governance"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
