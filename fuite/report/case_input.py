"""Read what the report needs from an open case (the I/O edge of ``fuite.report``).

Only the columns the figures use are kept, batch by batch, so identifiers such as names or
NIRs are never even held in memory for the report.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

__all__ = ["WANTED", "read_tables"]

#: Columns read from each named table of the case.
WANTED: dict[str, tuple[str, ...]] = {
    "sources": ("source_id", "file", "table", "format", "rows", "quarantined"),
    "records": ("record_id", "source_id", "file", "table", "person_id", "lab", "sample_date", "categories",
                "hiv", "health", "conditions"),
    "persons": ("person_id", "categories", "hiv", "health", "conditions"),
    "columns": ("file", "table", "position", "category", "confidence"),
    "quarantine": ("file", "table", "reason"),
    "problems": ("file", "reason"),
    "severity": ("person_id", "level"),
}


def read_tables(case) -> dict[str, pa.Table | pl.DataFrame | None]:
    """The case's tables as keyword arguments for ``build_figures`` (None for an absent table); ``records`` as a
    polars frame, each stored chunk converted as it is read (the Arrow copy of a million records is never held).

    Read with the system allocator, so that the buffers of each decoded chunk go back to the system once
    converted (Arrow's default pool keeps them for later: a third more peak memory on a full drill).
    """
    pool = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        tables = {name: _read(case, name, columns) for name, columns in WANTED.items() if name != "records"}
        chunks = [_compact(pl.from_arrow(batch)) for batch in case.iter_table("records", WANTED["records"])]
    finally:
        pa.set_memory_pool(pool)
    return {"records": pl.concat(chunks, how="diagonal_relaxed", rechunk=False) if chunks else None, **tables}


#: Record columns repeating a few values (files, tables, labs, category lists): held as categoricals, a code per
#: record instead of a string (about a tenth of the memory on a million records).
REPEATED = ("file", "table", "lab", "categories", "conditions")


def _compact(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col(c).cast(pl.Categorical) for c in REPEATED if c in frame.columns)


def _read(case, name: str, columns: tuple[str, ...]) -> pa.Table | None:
    return case.get_table(name, columns)   # the store reads only these columns of each chunk
