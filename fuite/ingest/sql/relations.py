"""Relations between tables: declared foreign keys, and the ones column names imply (``patient_id`` → ``patients.id``)."""

from __future__ import annotations

import re

from fuite.schema import Relation

_PATTERNS = (
    re.compile(r"^(?:id|num|no|numero|code|ref)_?(?P<t>[a-z][a-z0-9]*?)$"),
    re.compile(r"^(?P<t>[a-z][a-z0-9]*?)_?(?:id|num|no|numero|ref)$"),
)


def referenced_name(column: str) -> str | None:
    """The table name a column points at by its name: ``patient_id``, ``id_patient``, ``patientId``, ``num_patient``."""
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", column).lower()
    for pattern in _PATTERNS:
        m = pattern.match(snake)
        if m and m.group("t") not in ("", "id"):
            return m.group("t").rstrip("_")
    return None


def _table_for(name: str, tables: dict[str, list[str]]) -> str | None:
    lower = {t.lower(): t for t in tables}
    for candidate in (name, name + "s", name + "es", name.rstrip("s")):
        if candidate in lower:
            return lower[candidate]
    return None


def _key_of(table: str, columns: list[str], keys: list[str], stem: str) -> str | None:
    if len(keys) == 1:
        return keys[0]
    lower = {c.lower(): c for c in columns}
    for candidate in ("id", f"id_{stem}", f"{stem}_id", f"{stem}id", f"num_{stem}"):
        if candidate in lower:
            return lower[candidate]
    return None


def infer_relations(tables: dict[str, list[str]], keys: dict[str, list[str]],
                    declared: dict[str, list[Relation]]) -> dict[str, list[Relation]]:
    """Declared relations plus inferred ones (``declared=False``) for every table."""
    out: dict[str, list[Relation]] = {}
    for table, columns in tables.items():
        relations = list(declared.get(table, []))
        taken = {r.child_column for r in relations}
        for column in columns:
            stem = referenced_name(column)
            if column in taken or stem is None:
                continue
            parent = _table_for(stem, tables)
            if parent is None or parent == table:
                continue
            key = _key_of(parent, tables[parent], keys.get(parent, []), stem)
            if key is not None and not (key == column and parent == table):
                relations.append(Relation(column, parent, key, False))
        out[table] = relations
    return out
