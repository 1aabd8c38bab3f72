"""The export contract (docs/exports.md): the only way identifiers leave the case in clear.

``columns``, ``records`` and ``persons`` read the case (pure views); ``export_columns`` and ``export_csv`` are the
export stage: they read, write the clear-text file (created 0600) and write the audit entry.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from fuite.errors import CaseError, UsageError
from fuite.store import Case

#: Views ``export_csv`` can write.
CSV_KINDS = ("records", "persons")

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
    t = case.persons()
    out = {name: t[name] for name in PERSON_COLUMNS}
    out["hiv"], out["health"] = _flag(t["hiv"]), _flag(t["health"])
    return pa.table(out)


def export_columns(case: Case) -> list[dict]:
    """``columns(case)``, audited."""
    rows = columns(case)
    case.audit("export.columns", records=0, detail={"columns": len(rows)})
    return rows


def export_csv(case: Case, kind: str, output: Path) -> int:
    """Write the ``kind`` view (records or persons) as CSV at ``output``, created 0600; audited; returns its rows."""
    if kind not in CSV_KINDS:
        raise UsageError(f"unknown export {kind!r}: use one of {', '.join(CSV_KINDS)}")
    table = records(case) if kind == "records" else persons(case)
    _write_private_csv(table, Path(output))
    case.audit(f"export.{kind}", records=table.num_rows, detail={"output": Path(output).name})
    return table.num_rows


def _write_private_csv(table: pa.Table, output: Path) -> None:
    import polars as pl

    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)   # an existing file keeps its mode otherwise
        with os.fdopen(fd, "wb") as fh:
            pl.from_arrow(table).write_csv(fh)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from exc
