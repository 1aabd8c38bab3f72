"""Shared data contracts between the stages: what ingest yields and what a record is.

ingest -> ``SourceTable`` (raw strings, provenance)
detect -> ``ColumnFinding`` per column + a *records* Arrow table (``RECORD_SCHEMA``)
resolve -> adds ``person_id`` to records and builds *persons* (``PERSON_SCHEMA``)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa

__all__ = [
    "SourceTable", "Relation", "Quarantined", "FileProblem", "ColumnFinding",
    "RECORD_SCHEMA", "PERSON_SCHEMA", "ROW_FIELD",
]

#: Name of the int64 provenance column every ingest batch carries first.
ROW_FIELD = "__row"


@dataclass(frozen=True)
class Relation:
    """A foreign key: ``child_column`` of this table refers to ``parent_column`` of ``parent_table``."""

    child_column: str
    parent_table: str
    parent_column: str
    declared: bool = True  # False when inferred from names such as patient_id


@dataclass
class SourceTable:
    """One table of one file, as ingest found it.

    ``batches()`` yields ``pyarrow.RecordBatch`` objects whose first field is
    ``__row`` (int64, the 0-based data-row index within this table, in file order;
    quarantined rows keep their index, so indices may skip) followed by one
    ``utf8`` field per entry of ``columns`` (positional; field names are
    ``c0``, ``c1``…). Empty cells are null. Spreadsheet dates come as ISO text.
    """

    file: str                 # path relative to the scanned folder; inside archives "a.zip/inner/x.csv"
    table: str                # sheet or SQL table name, "" otherwise
    columns: list[str]        # headers as written; "#k" when there is no header; JSON dotted paths
    batches: Callable[[], Iterator[pa.RecordBatch]]
    format: str = ""          # "csv", "json", "xlsx", "sql", "parquet", "sqlite", ...
    encoding: str = ""        # detected encoding, for text formats
    relations: list[Relation] = field(default_factory=list)
    parent: str | None = None  # JSON child tables: name of the parent table (rows carry "__parent_row")


@dataclass(frozen=True)
class Quarantined:
    """A row set aside: where it was and why. ``raw`` may hold identifiers; it is stored encrypted only."""

    file: str
    table: str
    location: str   # "line 12", "offset 4096", "row 7"
    reason: str     # no identifiers here
    raw: bytes = b""


@dataclass(frozen=True)
class FileProblem:
    """A file (or archive member) that could not be read at all."""

    file: str
    reason: str


@dataclass
class ColumnFinding:
    """The category detect assigned to one source column, with why."""

    file: str
    table: str
    column: str
    position: int
    category: str
    confidence: float
    explanation: dict | None = None  # filled when asked for: header evidence, share valid, runner-ups...


#: One row per data row of every table. Normalised values; null when absent.
RECORD_SCHEMA = pa.schema([
    ("record_id", pa.int64()),      # global, 0..n-1 in scan order
    ("source_id", pa.int32()),      # index of the SourceTable in the case
    ("file", pa.string()),
    ("table", pa.string()),
    ("row", pa.int64()),
    ("last_name", pa.string()),     # as found, trimmed
    ("first_name", pa.string()),
    ("birth_date", pa.string()),    # ISO YYYY-MM-DD
    ("sex", pa.string()),           # "F" / "M"
    ("nir", pa.string()),           # 15 chars, compact, uppercase (2A/2B kept)
    ("phone", pa.string()),         # E.164
    ("email", pa.string()),         # trimmed, lowercased
    ("street", pa.string()),
    ("postal_code", pa.string()),
    ("city", pa.string()),
    ("physician", pa.string()),
    ("insurer", pa.string()),
    ("lab", pa.string()),
    ("sample_date", pa.string()),   # ISO
    ("categories", pa.string()),    # ";"-joined taxonomy ids with a non-null value in this row
    ("health", pa.bool_()),
    ("hiv", pa.bool_()),
    ("conditions", pa.string()),    # ";"-joined keys of taxonomy.SPECIAL_CONDITIONS
    ("birth_name", pa.string()),    # a separate birth-name column (NOM_NAISS), as found, trimmed
    ("beneficiary_rank", pa.string()),     # "01", "02"… (rang de bénéficiaire), with the NIR it qualifies
    ("beneficiary_quality", pa.string()),  # ASSURE / CONJOINT / ENFANT / AUTRE
    ("parent_record_id", pa.int64()),  # set for child-table rows (SQL analyses, JSON children)
    ("person_id", pa.int64()),      # set by resolve; until then = record_id
])

#: One row per distinct person (built by resolve).
PERSON_SCHEMA = pa.schema([
    ("person_id", pa.int64()),
    ("records", pa.int64()),
    ("last_name", pa.string()),
    ("first_name", pa.string()),
    ("birth_date", pa.string()),
    ("nir", pa.string()),
    ("email", pa.string()),
    ("phone", pa.string()),
    ("emails", pa.string()),        # ";"-joined, all distinct
    ("phones", pa.string()),        # ";"-joined, all distinct
    ("street", pa.string()),
    ("postal_code", pa.string()),
    ("city", pa.string()),
    ("categories", pa.string()),    # ";"-joined over all their records
    ("health", pa.bool_()),
    ("hiv", pa.bool_()),
    ("conditions", pa.string()),
    ("files", pa.string()),         # ";"-joined
    ("labs", pa.string()),
    ("first_sample", pa.string()),
    ("last_sample", pa.string()),
])
