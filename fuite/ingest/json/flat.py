"""Flatten JSON records into rows: dotted paths, ``path[]`` for arrays of scalars, child tables for arrays of objects.

Arrays of scalars are joined into one cell with ``" ; "`` (every value kept, in order).
An array of objects becomes a child table named by its dotted path (``analyses``,
``analyses.resultats``); each child row points at its parent row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

ARRAY_JOIN = " ; "
SCALAR_COLUMN = "#0"   # records that are not objects (an array of plain values)


def scalar_text(value: Any) -> str | None:
    """The text of a JSON scalar as a cell: null/empty → None, booleans as ``true``/``false``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value or None
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False)


def flatten(obj: Any, prefix: str = "", containers: set[str] | None = None,
            ) -> tuple[dict[str, str | None], dict[str, list[Any]]]:
    """``(cells, children)``: scalar cells by dotted path, and arrays of objects by path.

    ``containers``, when given, collects the paths that held an object or an array.
    """
    cells: dict[str, str | None] = {}
    children: dict[str, list[Any]] = {}
    if not isinstance(obj, dict):
        cells[prefix or SCALAR_COLUMN] = scalar_text(obj)
        return cells, children
    for key, value in obj.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            if containers is not None:
                containers.add(path)
            sub_cells, sub_children = flatten(value, path, containers)
            cells.update(sub_cells)
            children.update(sub_children)
        elif isinstance(value, list):
            if containers is not None:
                containers.add(path)
            objects = [v for v in value if isinstance(v, dict)]
            scalars = [v for v in value if not isinstance(v, dict)]
            if objects:
                children[path] = objects
            if scalars or not objects:
                texts = [t for t in map(scalar_text, scalars) if t is not None]
                cells[path + "[]"] = ARRAY_JOIN.join(texts) or None
        else:
            cells[path] = scalar_text(value)
    return cells, children


def explode(record: Any, counters: dict[str, int], table: str = "", parent: str | None = None,
            parent_row: int | None = None, containers: dict[str, set[str]] | None = None,
            ) -> Iterator[tuple[str, int, str | None, int | None, dict[str, str | None]]]:
    """``(table, row, parent_table, parent_row, cells)`` for a record and, depth first, every child row.

    ``counters`` carries the next row index of each table across records;
    ``containers``, when given, collects each table's paths that held an object or an array.
    """
    index = counters.get(table, 0)
    counters[table] = index + 1
    found = containers.setdefault(table, set()) if containers is not None else None
    cells, children = flatten(record, "", found)
    yield table, index, parent, parent_row, cells
    for path, items in children.items():
        child = f"{table}.{path}" if table else path
        for item in items:
            yield from explode(item, counters, child, table, index, containers)
