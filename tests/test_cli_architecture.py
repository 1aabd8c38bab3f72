"""The layout holds: no import cycle between fuite's packages, and each area's command line goes through its stage."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "fuite"


def _unit(path: Path) -> str:
    """The package (``resolve``) or top-level module (``console``) a file belongs to."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imported_units(tree: ast.AST) -> set[str]:
    """Every ``fuite.<unit>`` a module imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "fuite":
                found |= {a.name for a in node.names}
            elif node.module.startswith("fuite."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("fuite.")}
    return found


def import_graph() -> dict[str, set[str]]:
    """unit -> the other units it imports."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        unit = _unit(path)
        graph.setdefault(unit, set()).update(_imported_units(ast.parse(path.read_text(encoding="utf-8"))) - {unit})
    return graph


#: Imports that still close a cycle, each with the change that removes it (the list only shrinks).
KNOWN_CYCLE_EDGES: dict[tuple[str, str], str] = {}


def test_no_import_cycle_between_packages():
    graph = import_graph()
    for unit, imported in KNOWN_CYCLE_EDGES:
        assert imported in graph[unit], f"{unit} no longer imports {imported}: drop it from KNOWN_CYCLE_EDGES"
        graph[unit].discard(imported)
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle between fuite packages: {' -> '.join(exc.args[1])}")
    assert order.index("errors") < order.index("store") < order.index("scan")


def test_the_graph_sees_function_level_imports():
    tree = ast.parse("def f():\n    from fuite.resolve.stage import resolve_case\n    import fuite.store.case\n"
                     "from fuite import console\n")
    assert _imported_units(tree) == {"resolve", "store", "console"}


AREAS = ("resolve", "assess", "notify", "report", "lookup", "scan")


@pytest.mark.parametrize("area", AREAS)
def test_every_area_has_one_stage_module(area):
    stage = PACKAGE / area / "stage.py"
    assert stage.exists(), f"fuite/{area}/stage.py is missing"
    assert "case.audit(" in stage.read_text(encoding="utf-8"), f"the {area} stage writes no audit entry"


@pytest.mark.parametrize("cli", sorted(p.relative_to(ROOT).as_posix() for p in PACKAGE.glob("*/cli.py")))
def test_cli_modules_do_not_write_tables_or_audit(cli):
    """The command line parses, resolves the secret, calls the stage and prints: tables and audit entries are the
    stages' business."""
    text = (ROOT / cli).read_text(encoding="utf-8")
    for call in (".put_table(", ".append_table(", ".drop_table(", "build_index(", "resolve_records("):
        assert call not in text, f"{cli} calls {call} itself: move it to the area's stage"
