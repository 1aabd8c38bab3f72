"""Rotate a case's key: a new data key re-encrypts the database, wrapped under a new secret."""

from __future__ import annotations

from pathlib import Path

from fuite.store import keyring
from fuite.store.case import Case
from fuite.store.keyring import Secret


def rotate(case: Case, new_secret: Secret) -> None:
    """Re-encrypt the whole database with a fresh data key, then replace the keyring."""
    new_dek = keyring.new_dek()
    doc = keyring.wrap(new_dek, new_secret)
    case_dir = Path(case.dir)
    case.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    case.conn.execute("PRAGMA journal_mode = DELETE")
    case.conn.execute(f"PRAGMA rekey = \"x'{new_dek.hex()}'\"")
    keyring.write(case_dir, doc)
    case.conn.execute("PRAGMA journal_mode = WAL")
