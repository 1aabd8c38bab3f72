"""SQLite database files, opened read-only with the standard library (in memory for archive members)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pyarrow as pa

from fuite.ingest.batches import BATCH_ROWS, RowBatcher
from fuite.ingest.blob import Blob
from fuite.ingest.sql.relations import infer_relations
from fuite.ingest.reporter import Reporter, guarded
from fuite.schema import Relation, SourceTable


def cell_text(value) -> str | None:
    """A SQLite value as text: bytes as UTF-8 when they decode, else ``0x`` hex."""
    if value is None:
        return None
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8") or None
        except UnicodeDecodeError:
            return "0x" + value.hex()
    if isinstance(value, float):
        return repr(value)
    return str(value) or None


def connect(blob: Blob, reporter: Reporter) -> sqlite3.Connection:
    """A read-only connection that never writes beside the file (``immutable``) nor to a temp file."""
    if blob.path is not None:
        uri = blob.path.resolve().as_uri() + "?mode=ro&immutable=1"
        conn = sqlite3.connect(uri, uri=True)
    else:
        conn = sqlite3.connect(":memory:")
        conn.deserialize(blob.read_all(reporter.limits.max_in_memory))
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA query_only=ON")
    return conn


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_sqlite(blob: Blob, reporter: Reporter) -> Iterator[SourceTable]:
    conn = connect(blob, reporter)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
        tables: dict[str, list[str]] = {}
        keys: dict[str, list[str]] = {}
        declared: dict[str, list[Relation]] = {}
        for name in names:
            info = list(conn.execute(f"PRAGMA table_info({_quote(name)})"))
            tables[name] = [r[1] for r in info]
            keys[name] = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
            declared[name] = [Relation(r[3], r[2], r[4] or (keys.get(r[2]) or ["rowid"])[0], True)
                              for r in conn.execute(f"PRAGMA foreign_key_list({_quote(name)})")]
    finally:
        conn.close()
    relations = infer_relations(tables, keys, declared)
    for name, columns in tables.items():
        yield SourceTable(blob.name, name, columns, _batches(blob, reporter, name, len(columns)), format="sqlite",
                          relations=relations.get(name, []))


def _batches(blob: Blob, reporter: Reporter, table: str, width: int):
    def make() -> Iterator[pa.RecordBatch]:
        conn = connect(blob, reporter)
        try:
            cursor = conn.execute(f"SELECT * FROM {_quote(table)}")
            batcher = RowBatcher(width)
            index = 0
            while True:
                chunk = cursor.fetchmany(BATCH_ROWS)
                if not chunk:
                    break
                for row in chunk:
                    batch = batcher.add(index, [cell_text(v) for v in row])
                    index += 1
                    if batch is not None:
                        yield batch
            last = batcher.flush()
            if last is not None:
                yield last
        finally:
            conn.close()

    return lambda: guarded(blob.name, reporter, make)
