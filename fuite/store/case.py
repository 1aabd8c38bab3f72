"""The encrypted case: one SQLCipher database holding Arrow tables, ledgers and the audit log."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import sqlcipher3

from fuite.errors import CaseError, KeyError_
from fuite.store import audit as audit_log
from fuite.store import keyring
from fuite.store.casefile import CaseFile, read_case_file
from fuite.store.keyring import Secret

DB_FILE = "case.db"
SETTINGS_FILE = "case.toml"  # read through fuite.store.casefile only
CHUNK_ROWS = 131_072
_IPC = pa.ipc.IpcWriteOptions(compression="zstd")

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS arrow_chunks (name TEXT NOT NULL, seq INTEGER NOT NULL, rows INTEGER NOT NULL,"
    " ipc BLOB NOT NULL, PRIMARY KEY (name, seq))",
    audit_log.SCHEMA,
]


def _connect(path: Path, dek: bytes):
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA key = \"x'{dek.hex()}'\"")
    conn.execute("PRAGMA cipher_memory_security = OFF")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        raise KeyError_("the case database cannot be decrypted with this key") from exc
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


class Case:
    """An open case. Use ``open_case`` rather than the constructor."""

    def __init__(self, case_dir: Path, conn, dek: bytes, operator: str):
        self.dir = case_dir
        self.conn = conn
        self.operator = operator
        self._settings: CaseFile | None = None
        stored = self.meta_get("audit_key")
        if stored is None:  # created once, kept inside the encrypted database so it survives key rotation
            stored = hmac.new(dek, b"fuite-audit-v1", hashlib.sha256).hexdigest()
            self.meta_set("audit_key", stored)
        self._audit_key = bytes.fromhex(stored)

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def create(cls, case_dir: Path, secret: Secret, operator: str) -> "Case":
        case_dir = Path(case_dir)
        if (case_dir / keyring.KEYRING_FILE).exists():
            raise CaseError(f"{case_dir} already holds a case")
        case_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(case_dir, 0o700)
        dek = keyring.new_dek()
        keyring.write(case_dir, keyring.wrap(dek, secret))
        conn = _connect(case_dir / DB_FILE, dek)
        for stmt in SCHEMA:
            conn.execute(stmt)
        return cls(case_dir, conn, dek, operator)

    @classmethod
    def open(cls, case_dir: Path, secret: Secret, operator: str) -> "Case":
        case_dir = Path(case_dir)
        dek = keyring.unwrap(keyring.read(case_dir), secret)
        if not (case_dir / DB_FILE).exists():
            raise CaseError(f"{case_dir} has a keyring but no database")
        conn = _connect(case_dir / DB_FILE, dek)
        for stmt in SCHEMA:
            conn.execute(stmt)
        return cls(case_dir, conn, dek, operator)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self) -> "Case":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- settings and metadata -----------------------------------------------------------
    @property
    def settings(self) -> CaseFile:
        """The typed case file (``case.toml``), read once; a bad value raises ``CaseFileError``."""
        if self._settings is None:
            self._settings = read_case_file(self.dir)
        return self._settings

    def meta_get(self, key: str, default=None):
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def meta_set(self, key: str, value) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, json.dumps(value)))

    # -- Arrow tables ----------------------------------------------------------------------
    def table_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT name FROM arrow_chunks ORDER BY name")]

    def has_table(self, name: str) -> bool:
        return self.conn.execute("SELECT 1 FROM arrow_chunks WHERE name=? LIMIT 1", (name,)).fetchone() is not None

    def drop_table(self, name: str) -> None:
        self.conn.execute("DELETE FROM arrow_chunks WHERE name=?", (name,))

    def put_table(self, name: str, table: pa.Table | pa.RecordBatch) -> None:
        """Replace the named table."""
        self.conn.execute("BEGIN")
        try:
            self.drop_table(name)
            self._append(name, table)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def append_table(self, name: str, table: pa.Table | pa.RecordBatch) -> None:
        """Append rows to the named table (created on first append)."""
        self.conn.execute("BEGIN")
        try:
            self._append(name, table)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def _append(self, name: str, table: pa.Table | pa.RecordBatch) -> None:
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        row = self.conn.execute("SELECT COALESCE(MAX(seq), -1) FROM arrow_chunks WHERE name=?", (name,)).fetchone()
        seq = row[0] + 1
        slices = [table.slice(o, CHUNK_ROWS) for o in range(0, table.num_rows, CHUNK_ROWS)] or [table]
        for part in slices:
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, part.schema, options=_IPC) as writer:
                writer.write_table(part)
            self.conn.execute("INSERT INTO arrow_chunks(name, seq, rows, ipc) VALUES (?,?,?,?)",
                              (name, seq, part.num_rows, sink.getvalue().to_pybytes()))
            seq += 1

    def iter_table(self, name: str) -> Iterator[pa.RecordBatch]:
        cur = self.conn.execute("SELECT ipc FROM arrow_chunks WHERE name=? ORDER BY seq", (name,))
        for (blob,) in cur:
            yield from pa.ipc.open_stream(blob)

    def get_table(self, name: str) -> pa.Table | None:
        """The whole named table, or None when it does not exist."""
        tables = []
        for (blob,) in self.conn.execute("SELECT ipc FROM arrow_chunks WHERE name=? ORDER BY seq", (name,)):
            tables.append(pa.ipc.open_stream(blob).read_all())
        if not tables:
            return None
        return pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]

    def table_rows(self, name: str) -> int:
        return self.conn.execute("SELECT COALESCE(SUM(rows),0) FROM arrow_chunks WHERE name=?", (name,)).fetchone()[0]

    # -- audit -------------------------------------------------------------------------------
    def audit(self, action: str, records: int = 0, detail: dict | None = None) -> int:
        """Append an audit entry (who, what, when, how many). ``detail`` must hold no identifier."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            seq = audit_log.append(self.conn, self._audit_key, operator=self.operator, action=action,
                                   records=records, detail=detail or {})
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return seq

    def audit_entries(self) -> list[dict]:
        return audit_log.entries(self.conn)

    def audit_verify(self) -> list[audit_log.Problem]:
        return audit_log.verify(self.conn, self._audit_key)
