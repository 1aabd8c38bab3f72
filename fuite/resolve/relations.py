"""Child rows -> their parent row: SQL foreign keys and JSON nesting (pure, polars).

A SQL table whose ``relations`` say ``patient_id -> patients.id`` has each row's
``patient_id`` value looked up among the ``id`` values of ``patients`` in the same
file; a JSON child table carries ``__parent_row`` directly. Keys are compared
trimmed; a parent key held by several rows is ambiguous and links nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl
import pyarrow as pa

__all__ = ["ChildLinks", "child_links", "parent_record_ids"]

PARENT_ROW = "__parent_row"
_EMPTY = {"source_id": pl.Int32, "row": pl.Int64, "parent_source_id": pl.Int32, "parent_row": pl.Int64}


@dataclass
class ChildLinks:
    """(source_id, row) -> (parent_source_id, parent_row), with counts of what could not be linked."""

    rows: pl.DataFrame
    unmatched: int = 0              # child rows whose key found no parent row
    ambiguous_keys: int = 0         # parent key values held by more than one row
    problems: list[str] = field(default_factory=list)   # relation-level problems, no values


def _source_list(sources: pa.Table) -> list[dict]:
    out = []
    for s in sources.to_pylist():
        s["columns"] = json.loads(s.get("columns") or "[]")
        s["relations"] = json.loads(s.get("relations") or "[]")
        s["parent"] = s.get("parent") or ""
        out.append(s)
    return out


def _find_parent(sources: list[dict], child: dict, table: str) -> dict | None:
    same_file = [s for s in sources if s["file"] == child["file"] and s["source_id"] != child["source_id"]]
    for s in same_file:
        if s["table"] == table:
            return s
    folded = [s for s in same_file if s["table"].lower() == table.lower()]
    return folded[0] if len(folded) == 1 else None


def _key_column(raw: pa.Table, columns: list[str], name: str) -> pl.DataFrame | None:
    if name not in columns:
        return None
    field_name = f"c{columns.index(name)}"
    if field_name not in raw.column_names:
        return None
    frame = pl.from_arrow(raw.select(["__row", field_name]))
    return frame.select(pl.col("__row").cast(pl.Int64).alias("row"),
                        pl.col(field_name).cast(pl.String).str.strip_chars().alias("key")).drop_nulls("key")


def _fields(columns: list[str], name: str) -> list[str]:
    """The raw fields a relation reads: the row number and the key column."""
    return ["__row", f"c{columns.index(name)}"] if name in columns else ["__row"]


def _foreign_key_rows(child: dict, parent: dict, relation: dict, load_raw, result: ChildLinks) -> pl.DataFrame:
    where = f"{child['file']}: relation {relation.get('child_column')} -> {relation.get('parent_table')}"
    child_raw = load_raw(child["source_id"], _fields(child["columns"], relation.get("child_column", "")))
    parent_raw = load_raw(parent["source_id"], _fields(parent["columns"], relation.get("parent_column", "")))
    if child_raw is None or parent_raw is None:
        result.problems.append(f"{where}: raw rows not stored")
        return pl.DataFrame(schema=_EMPTY)
    fk = _key_column(child_raw, child["columns"], relation.get("child_column", ""))
    pk = _key_column(parent_raw, parent["columns"], relation.get("parent_column", ""))
    if fk is None or pk is None:
        result.problems.append(f"{where}: column not found")
        return pl.DataFrame(schema=_EMPTY)
    counts = pk.group_by("key").len()
    result.ambiguous_keys += int((counts["len"] > 1).sum())
    unique = pk.join(counts.filter(pl.col("len") == 1).select("key"), on="key")
    linked = fk.join(unique.rename({"row": "parent_row"}), on="key", how="left")
    result.unmatched += int(linked["parent_row"].null_count())
    return linked.drop_nulls("parent_row").select(
        pl.lit(child["source_id"], pl.Int32).alias("source_id"), "row",
        pl.lit(parent["source_id"], pl.Int32).alias("parent_source_id"), "parent_row")


def _nested_rows(child: dict, parent: dict, load_raw) -> pl.DataFrame:
    raw = load_raw(child["source_id"], ["__row", PARENT_ROW])
    if raw is None or PARENT_ROW not in raw.column_names:
        return pl.DataFrame(schema=_EMPTY)
    frame = pl.from_arrow(raw.select(["__row", PARENT_ROW])).drop_nulls(PARENT_ROW)
    return frame.select(pl.lit(child["source_id"], pl.Int32).alias("source_id"),
                        pl.col("__row").cast(pl.Int64).alias("row"),
                        pl.lit(parent["source_id"], pl.Int32).alias("parent_source_id"),
                        pl.col(PARENT_ROW).cast(pl.Int64).alias("parent_row"))


def _nested_parent(listed: list[dict], child: dict, raw_fields) -> dict | None:
    """The parent of a JSON child table: the one named in ``parent``, else the file's top-level table
    when the child's raw rows carry ``__parent_row``."""
    if child["parent"]:
        return _find_parent(listed, child, child["parent"])
    siblings = [s for s in listed if s["file"] == child["file"] and s["source_id"] != child["source_id"]]
    if not siblings or PARENT_ROW not in (raw_fields(child["source_id"]) or ()):
        return None
    top = [s for s in siblings if s["table"] == ""]
    return top[0] if len(top) == 1 else None


def child_links(sources: pa.Table | None, load_raw: Callable[[int], pa.Table | None],
                raw_fields: Callable[[int], list[str] | None] | None = None, *,
                load_fields: Callable[[int, list[str]], pa.Table | None] | None = None) -> ChildLinks:
    """Every child row's parent row, over all sources (``load_raw(source_id)`` gives ``raw/<id>``;
    ``raw_fields(source_id)`` its field names, cheaper when the store can peek; ``load_fields(source_id, fields)``
    only those fields of ``raw/<id>``, so that a store reads no other column)."""
    whole = load_raw
    raw_fields = raw_fields or (lambda sid: (lambda t: None if t is None else t.column_names)(whole(sid)))
    load_raw = load_fields or (lambda sid, fields: whole(sid))
    result = ChildLinks(rows=pl.DataFrame(schema=_EMPTY))
    if sources is None or sources.num_rows == 0:
        return result
    listed = _source_list(sources)
    parts = []
    for child in listed:
        best = pl.DataFrame(schema=_EMPTY)
        for relation in child["relations"]:
            parent = _find_parent(listed, child, relation.get("parent_table", ""))
            if parent is None:
                result.problems.append(f"{child['file']}: parent table of a relation not found")
                continue
            rows = _foreign_key_rows(child, parent, relation, load_raw, result)
            if rows.height > best.height:
                best = rows
        if best.height == 0 and not child["relations"]:
            parent = _nested_parent(listed, child, raw_fields)
            if parent is not None:
                best = _nested_rows(child, parent, load_raw)
        if best.height:
            parts.append(best)
    if parts:
        result.rows = pl.concat(parts)
    return result


def parent_record_ids(records: pa.Table, links: ChildLinks) -> pa.Array:
    """``parent_record_id`` for every record (null for rows that are no child), in record order."""
    rec = pl.from_arrow(records.select(["record_id", "source_id", "row"])).with_columns(
        pl.col("source_id").cast(pl.Int32), pl.col("row").cast(pl.Int64))
    parents = rec.rename({"record_id": "parent_record_id", "source_id": "parent_source_id", "row": "parent_row"})
    mapped = links.rows.join(parents, on=["parent_source_id", "parent_row"], how="inner").select(
        "source_id", "row", "parent_record_id")
    out = rec.join(mapped, on=["source_id", "row"], how="left", maintain_order="left")
    return out["parent_record_id"].cast(pl.Int64).to_arrow()
