"""Rotate a case's key, crash-safely: a new data key re-encrypts a copy of the database, then two renames.

The steps, each durable before the next (``fault`` is called after each one, so that a test can stop the
rotation there for good):

1. ``exported``: the database is copied into ``case.db.new`` under the new data key (``sqlcipher_export``), the
   audit entries re-signed under the new audit key, and the file fsynced;
2. ``keyring_written``: ``keyring.json.new`` (the new data key wrapped under the new secret, naming the new
   database's salt) is written and fsynced, and the folder fsynced;
3. ``db_renamed``: ``case.db.new`` replaces ``case.db`` (folder fsynced);
4. ``keyring_renamed``: the old keyring is overwritten in place, ``keyring.json.new`` replaces it (folder
   fsynced).

``recover`` runs before every open: when ``case.db`` already carries the new salt (the crash came after step 3)
it finishes step 4; otherwise it deletes the ``.new`` files and the old key still opens the case.

Both hold the case lock exclusive (``fuite.store.lock``): a rotation refuses while another command has the case
open, and a recovery never runs beside a rotation still under way.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from fuite.store import audit as audit_log
from fuite.store import keyring
from fuite.store.case import DB_FILE, Case, connect
from fuite.store.keyring import Secret
from fuite.store.lock import require_exclusive
from fuite.store.secrets_source import check_new

NEW_DB = DB_FILE + keyring.NEW_SUFFIX
NEW_KEYRING = keyring.KEYRING_FILE + keyring.NEW_SUFFIX
STEPS = ("exported", "keyring_written", "db_renamed", "keyring_renamed")


def _no_fault(step: str) -> None:
    return None


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _export(case: Case, target: Path, dek: bytes, db_salt: bytes, audit_key: bytes) -> None:
    if target.exists():
        target.unlink()
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    conn = case.conn
    conn.execute(f"ATTACH DATABASE ? AS rekeyed KEY {keyring.sqlcipher_key(dek, db_salt)}", (str(target),))
    try:
        conn.execute("SELECT sqlcipher_export('rekeyed')")
        audit_log.remac(conn, audit_key, schema="rekeyed")
    finally:
        conn.execute("DETACH DATABASE rekeyed")
    _fsync(target)


def rotate(case: Case, new_secret: Secret, *, fault: Callable[[str], None] = _no_fault,
           warn: Callable[[str], None] = lambda message: None) -> None:
    """Re-encrypt the whole database with a fresh data key locked by ``new_secret``; ``case`` stays open on it."""
    require_exclusive(case.lock, "rotate the key")
    message = check_new(new_secret)
    if message:
        warn(message)
    case_dir = Path(case.dir)
    dek, db_salt = keyring.new_dek(), keyring.new_db_salt()
    doc = keyring.wrap(dek, new_secret, case_id=case.case_id, db_salt=db_salt.hex())
    new_audit_key = keyring.audit_key(doc, new_secret)
    _export(case, case_dir / NEW_DB, dek, db_salt, new_audit_key)
    fault("exported")
    keyring.write_file(case_dir / NEW_KEYRING, doc)
    fault("keyring_written")
    case.close_db()
    for name in (DB_FILE + "-wal", DB_FILE + "-shm"):   # they belong to the old file (empty once it is closed)
        (case_dir / name).unlink(missing_ok=True)
    os.replace(case_dir / NEW_DB, case_dir / DB_FILE)
    keyring.fsync_dir(case_dir)
    fault("db_renamed")
    _install_new_keyring(case_dir)
    fault("keyring_renamed")
    case.rekeyed(connect(case_dir / DB_FILE, dek), new_audit_key)
    case.lock.shared()


def _install_new_keyring(case_dir: Path) -> None:
    old = case_dir / keyring.KEYRING_FILE
    if old.exists():
        keyring.overwrite(old)   # the old wrapped key must not survive in the file's blocks
    os.replace(case_dir / NEW_KEYRING, old)
    keyring.fsync_dir(case_dir)


def _db_salt_matches(case_dir: Path, doc_path: Path) -> bool:
    try:
        doc = keyring.parse(doc_path.read_text(), doc_path)
        with open(case_dir / DB_FILE, "rb") as fh:
            return fh.read(keyring.SALT_BYTES).hex() == doc.get("db_salt")
    except Exception:  # a torn or unreadable .new keyring: the rotation never reached the database rename
        return False


def recover(case_dir: Path) -> str | None:
    """Finish or undo an interrupted rotation; returns what was done, or None when nothing was pending."""
    case_dir = Path(case_dir)
    new_db, new_keyring = case_dir / NEW_DB, case_dir / NEW_KEYRING
    if not new_db.exists() and not new_keyring.exists():
        return None
    if new_keyring.exists() and not new_db.exists() and (case_dir / DB_FILE).exists() \
            and _db_salt_matches(case_dir, new_keyring):
        _install_new_keyring(case_dir)
        return "an interrupted key rotation was completed: the new key opens the case"
    new_db.unlink(missing_ok=True)
    new_keyring.unlink(missing_ok=True)
    keyring.fsync_dir(case_dir)
    return "an interrupted key rotation was rolled back: the previous key still opens the case"
