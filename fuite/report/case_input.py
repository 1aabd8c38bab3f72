"""Read what the report needs from an open case (the I/O edge of ``fuite.report``).

Only the columns the figures use are kept, batch by batch, so identifiers such as names or
NIRs are never even held in memory for the report.
"""

from __future__ import annotations

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


def read_tables(case) -> dict[str, pa.Table | None]:
    """The case's tables as keyword arguments for ``build_figures`` (None for an absent table)."""
    return {name: _read(case, name, columns) for name, columns in WANTED.items()}


def _read(case, name: str, columns: tuple[str, ...]) -> pa.Table | None:
    return case.get_table(name, columns)   # the store reads only these columns of each chunk
