"""The encrypted case: one SQLCipher database holding Arrow tables, ledgers and the audit log."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import sqlcipher3

from fuite.errors import CaseCorrupt, CaseError, NoPersons
from fuite.readable import shell_word
from fuite.store import audit as audit_log
from fuite.store import keyring
from fuite.store.casefile import CaseFile, read_case_file
from fuite.store.keyring import Secret
from fuite.store.secrets_source import check_new, check_private
from fuite.store.witness import Witness

DB_FILE = "case.db"
SETTINGS_FILE = "case.toml"  # read through fuite.store.casefile only
PAGE_SIZE = 4096
CHUNK_ROWS = 131_072
_IPC = pa.ipc.IpcWriteOptions(compression="zstd")

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS arrow_chunks (name TEXT NOT NULL, seq INTEGER NOT NULL, rows INTEGER NOT NULL,"
    " ipc BLOB NOT NULL, PRIMARY KEY (name, seq))",
    audit_log.SCHEMA,
]
#: SQLite result codes that mean the file, not the caller, is wrong.
CORRUPT_CODES = {11: "SQLITE_CORRUPT", 26: "SQLITE_NOTADB"}


def corrupt_advice(case_dir: Path, what: str) -> CaseCorrupt:
    return CaseCorrupt(f"{case_dir / DB_FILE} is corrupt ({what}): run `fuite case verify --case {case_dir}`, "
                       "then restore the case folder from a backup")


def is_corruption(exc: BaseException) -> bool:
    """A SQLCipher error that says the database file is damaged (a page fails its HMAC, a malformed image)."""
    if not isinstance(exc, sqlcipher3.DatabaseError) or isinstance(exc, sqlcipher3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    return code in CORRUPT_CODES or (code is None and type(exc) is sqlcipher3.DatabaseError)


def db_header_problem(path: Path, db_salt: bytes) -> str | None:
    """Why ``case.db`` cannot be the database this keyring opens, judged from its size and first bytes."""
    size = path.stat().st_size
    if size < PAGE_SIZE or size % PAGE_SIZE:
        return f"truncated: {size} bytes, not a whole number of {PAGE_SIZE}-byte pages"
    with open(path, "rb") as fh:
        head = fh.read(len(db_salt))
    if head != db_salt:
        return "its header was overwritten, or it belongs to another keyring"
    return None


@contextmanager
def transaction(conn):
    """One transaction on ``conn`` (a savepoint when one is already open): commit on success, roll back on error."""
    if conn.in_transaction:
        name = f"fuite_{secrets.token_hex(4)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def connect(path: Path, dek: bytes, db_salt: bytes | None = None):
    """A connection keyed with ``dek``; SQLCipher's own log is silenced (errors become one-line fuite errors)."""
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = {keyring.sqlcipher_key(dek, db_salt)}")
    conn.execute("PRAGMA cipher_memory_security = OFF")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError:
        conn.close()
        raise
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _create_private(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class Case:
    """An open case. Use ``open_case`` rather than the constructor."""

    def __init__(self, case_dir: Path, conn, audit_key: bytes, operator: str, case_id: str,
                 witness: Witness | None = None):
        self.dir = case_dir
        self.conn = conn
        self.operator = operator
        self.case_id = case_id
        self.witness = witness or Witness(case_id)
        self.command: dict | None = None   # the ``started`` entry of the command that opened the case
        self.witness_problems: list[audit_log.Problem] = []   # found by ``open_case`` before it wrote
        self.opened_after = 0   # the last audit entry before this opening
        self._audit_key = audit_key
        self._settings: CaseFile | None = None
        self._unwitnessed: list[dict] = []
        self.lock = None   # the folder's CaseLock, held shared while open (``fuite.store.lock``)

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def create(cls, case_dir: Path, secret: Secret, operator: str, warn=lambda message: None) -> "Case":
        case_dir = Path(case_dir)
        if (case_dir / keyring.KEYRING_FILE).exists():
            raise CaseError(f"{case_dir} already holds a case")
        if (case_dir / DB_FILE).exists():
            raise CaseError(missing_keyring(case_dir))
        message = check_new(secret)
        if message:
            warn(message)
        _refuse_key_file_inside(case_dir, secret)
        case_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(case_dir, 0o700)
        dek, db_salt, case_id = keyring.new_dek(), keyring.new_db_salt(), secrets.token_hex(16)
        doc = keyring.wrap(dek, secret, case_id=case_id, db_salt=db_salt.hex())
        keyring.write(case_dir, doc)
        _create_private(case_dir / DB_FILE)
        conn = connect(case_dir / DB_FILE, dek, db_salt)
        for stmt in SCHEMA:
            conn.execute(stmt)
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('case_id', ?)", (json.dumps(case_id),))
        return cls(case_dir, conn, keyring.audit_key(doc, secret), operator, case_id)

    @classmethod
    def open(cls, case_dir: Path, secret: Secret, operator: str) -> "Case":
        case_dir = Path(case_dir)
        db = case_dir / DB_FILE
        if not (case_dir / keyring.KEYRING_FILE).exists():
            raise CaseError(missing_keyring(case_dir) if db.exists() else f"no case in {case_dir}")
        doc = keyring.read(case_dir)
        check_private(case_dir / keyring.KEYRING_FILE, "the keyring")
        if not db.exists():
            raise CaseError(f"{db} is missing: restore the case folder from a backup")
        check_private(db, "the case database")
        dek = keyring.unwrap(doc, secret)  # authenticated: past this point, a failure is damage, not a wrong key
        problem = db_header_problem(db, bytes.fromhex(doc.get("db_salt", "")))
        if problem:
            raise corrupt_advice(case_dir, problem)
        try:
            conn = connect(db, dek)
            for stmt in SCHEMA:
                conn.execute(stmt)
        except sqlcipher3.DatabaseError as exc:
            raise corrupt_advice(case_dir, "its first pages cannot be decrypted") from exc
        return cls(case_dir, conn, keyring.audit_key(doc, secret), operator, doc["case_id"])

    def close_db(self) -> None:
        """Close the database but keep the folder's lock (a key rotation swaps the file under it)."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def close(self) -> None:
        self.close_db()
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def __enter__(self) -> "Case":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.command is not None and self.conn is not None:
                self.finish(exc)
        finally:
            self.close()
        if exc is not None and is_corruption(exc):
            raise corrupt_advice(self.dir, "a page fails its integrity check") from exc

    # -- transactions --------------------------------------------------------------------------
    @contextmanager
    def transaction(self):
        """Everything inside commits together or not at all; the audit witness is written after the commit."""
        outermost = not self.conn.in_transaction
        try:
            with transaction(self.conn):
                yield self
        except BaseException:
            if outermost:
                self._unwitnessed.clear()
            raise
        if outermost:
            pending, self._unwitnessed = self._unwitnessed, []
            for entry in pending:
                self.witness.record(entry)

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

    def rename_table(self, old: str, new: str) -> None:
        """Replace the table ``new`` by the table ``old`` (written chunk by chunk beside it)."""
        with self.transaction():
            self.drop_table(new)
            self.conn.execute("UPDATE arrow_chunks SET name=? WHERE name=?", (new, old))

    def put_table(self, name: str, table: pa.Table | pa.RecordBatch) -> None:
        """Replace the named table."""
        with self.transaction():
            self.drop_table(name)
            self._append(name, table)

    def append_table(self, name: str, table: pa.Table | pa.RecordBatch) -> None:
        """Append rows to the named table (created on first append)."""
        with self.transaction():
            self._append(name, table)

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

    def iter_table(self, name: str, columns: Sequence[str] | None = None) -> Iterator[pa.RecordBatch]:
        """The named table chunk by chunk; ``columns``: only those (the ones a chunk has, in that order), the
        others neither decompressed nor decoded."""
        cur = self.conn.execute("SELECT ipc FROM arrow_chunks WHERE name=? ORDER BY seq", (name,))
        for (blob,) in cur:
            yield from _read_chunk(blob, columns).to_batches()

    def get_table(self, name: str, columns: Sequence[str] | None = None) -> pa.Table | None:
        """The whole named table (``columns``: only those, as for ``iter_table``), or None when it does not exist."""
        tables = [_read_chunk(blob, columns)
                  for (blob,) in self.conn.execute("SELECT ipc FROM arrow_chunks WHERE name=? ORDER BY seq", (name,))]
        if not tables:
            return None
        return pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]

    def table_rows(self, name: str) -> int:
        return self.conn.execute("SELECT COALESCE(SUM(rows),0) FROM arrow_chunks WHERE name=?", (name,)).fetchone()[0]

    def require_tables(self, *names: str) -> None:
        """The one guard for a step that must come first: ``NoPersons`` when a table ``names`` lacks."""
        missing = [n for n in names if not self.has_table(n)]
        if not missing:
            return
        if "records" in missing or not self.has_table("records"):
            what = "the case has no persons yet: it holds no records" if "persons" in names else \
                "the case holds no records"
            raise NoPersons(f"{what}: run `fuite scan PATH --case {shell_word(self.dir)}` first")
        raise NoPersons(f"the persons are not resolved yet (no {', '.join(missing)} table; scanned with "
                        f"--no-resolve?): run `fuite resolve --case {shell_word(self.dir)}` first")

    def persons(self, columns: Sequence[str] | None = None) -> pa.Table:
        """The ``persons`` table (``columns``: only those), or ``NoPersons`` (one message, one exit code) when the
        case has none yet."""
        self.require_tables("persons")
        return self.get_table("persons", columns)

    # -- audit -------------------------------------------------------------------------------
    def audit(self, action: str, records: int = 0, detail: dict | None = None) -> int:
        """Append an audit entry (who, what, when, how many). ``detail`` must hold no identifier."""
        with self.transaction():
            entry = audit_log.append(self.conn, self._audit_key, operator=self.operator, action=action,
                                     records=records, detail=detail or {})
            self._unwitnessed.append(entry)
        return entry["seq"]

    def start(self, command: str) -> None:
        """Record the interruption of earlier commands whose process is gone, then this command's start."""
        for started in audit_log.unfinished(self.audit_entries()):
            if not audit_log.still_running(started):
                what = json.loads(started["detail"]).get("command", "?")
                self.audit(audit_log.INTERRUPTED, detail={"started": started["seq"], "command": what})
        seq = self.audit(audit_log.STARTED, detail={"command": command, **audit_log.this_process()})
        self.command = {"seq": seq, "command": command}

    def finish(self, exc: BaseException | None = None) -> None:
        """Record how the command that opened the case ended."""
        if exc is None or getattr(exc, "exit_code", None) == 0:
            status = "ok"
        else:
            status = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"failed: {type(exc).__name__}"
        command, self.command = self.command, None
        try:
            self.audit(audit_log.FINISHED, detail={"started": command["seq"], "command": command["command"],
                                                   "status": status})
        except (sqlcipher3.DatabaseError, CaseError):
            if exc is None:  # else the command's own error is the one to report
                raise

    def audit_entries(self) -> list[dict]:
        return audit_log.entries(self.conn)

    def audit_verify(self) -> list[audit_log.Problem]:
        return audit_log.verify(self.conn, self._audit_key)

    def rekeyed(self, conn, audit_key: bytes) -> None:
        """Continue on a rotated database (``fuite.store.rotate``)."""
        self.conn, self._audit_key = conn, audit_key


def _read_chunk(blob: bytes, columns: Sequence[str] | None) -> pa.Table:
    """One stored chunk; with ``columns``, only those of its fields are read from its IPC stream."""
    reader = pa.ipc.open_stream(blob)
    if columns is None:
        return reader.read_all()
    names = reader.schema.names
    wanted = [c for c in dict.fromkeys(columns) if c in names]
    if not wanted:
        return reader.read_all().select([])
    options = pa.ipc.IpcReadOptions(included_fields=sorted(names.index(c) for c in wanted))
    return pa.ipc.open_stream(blob, options=options).read_all().select(wanted)


def missing_keyring(case_dir: Path) -> str:
    return (f"{case_dir / keyring.KEYRING_FILE} is missing, and case.db cannot be opened without it: restore "
            "keyring.json from a backup of the case folder (do not run `fuite scan` into this folder again)")


def _refuse_key_file_inside(case_dir: Path, secret: Secret) -> None:
    if secret.path is not None and Path(case_dir).resolve() in Path(secret.path).resolve().parents:
        raise CaseError(f"the key file {secret.path} is inside the case folder: keep it on another medium, "
                        "or purge cannot destroy it and any backup of the folder opens the case")
