"""The export contract (docs/exports.md): the only way identifiers leave the case in clear."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from fuite.errors import CaseError
from fuite.store import Case

RECORD_COLUMNS = ["file", "table", "row", "person_id", "hiv", "health"]
PERSON_COLUMNS = ["person_id", "records", "hiv", "health", "categories", "last_name", "first_name",
                  "birth_date", "nir", "email", "phone"]


def _require(case: Case, name: str) -> pa.Table:
    table = case.get_table(name)
    if table is None:
        raise CaseError(f"the case has no {name} yet: run `fuite scan` first")
    return table


def _flag(col: pa.ChunkedArray) -> pa.Array:
    return pc.cast(pc.fill_null(col, False), pa.int8())


def columns(case: Case) -> list[dict]:
    """One object per source column: file, table, column, category, confidence."""
    t = _require(case, "columns")
    rows = t.select(["file", "table", "column", "category", "confidence"]).to_pylist()
    for r in rows:
        r["confidence"] = round(float(r["confidence"]), 4)
    return rows


def records(case: Case) -> pa.Table:
    """file, table, row, person_id, hiv, health — one line per data row of every table."""
    t = _require(case, "records")
    return pa.table({
        "file": t["file"], "table": t["table"], "row": t["row"], "person_id": t["person_id"],
        "hiv": _flag(t["hiv"]), "health": _flag(t["health"]),
    })


def persons(case: Case) -> pa.Table:
    """One line per distinct person (``PERSON_COLUMNS``)."""
    t = case.get_table("persons")
    if t is None:
        raise CaseError("the case has no persons yet: run `fuite resolve` (or `fuite scan`) first")
    out = {name: t[name] for name in PERSON_COLUMNS}
    out["hiv"], out["health"] = _flag(t["hiv"]), _flag(t["health"])
    return pa.table(out)
