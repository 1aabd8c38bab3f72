"""Destroy a case: crypto-shred the key material, then remove every file.

What survives depends on where the key-encryption key lives (``docs/case.md``): with a passphrase, a backup of
the folder still holds the wrapped data key and opens with the passphrase; with a key file kept outside the
folder (external-key mode), purge shreds that file too, and no backup of the folder opens any more.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from fuite.errors import CaseError
from fuite.store import keyring
from fuite.store.case import DB_FILE
from fuite.store.lock import CaseLock, require_exclusive


def _scramble_head(path: Path, size: int = 1 << 20) -> None:
    """Overwrite the start of a database file (salt and first pages) before it is removed."""
    if not path.exists():
        return
    n = min(size, path.stat().st_size)
    with open(path, "r+b") as fh:
        fh.write(secrets.token_bytes(n))
        fh.flush()
        os.fsync(fh.fileno())


def purge(case_dir: Path, *, key_file: Path | None = None) -> list[str]:
    """Shred the keyring (and ``key_file``), scramble the databases, delete the folder; returns the files removed."""
    case_dir = Path(case_dir)
    if not (case_dir / keyring.KEYRING_FILE).exists():
        raise CaseError(f"no case in {case_dir}")
    lock = CaseLock(case_dir)
    try:
        require_exclusive(lock, "purge the case")
        return _destroy(case_dir, key_file)
    finally:
        lock.release()


def _destroy(case_dir: Path, key_file: Path | None) -> list[str]:
    removed = sorted(str(p.relative_to(case_dir)) for p in case_dir.rglob("*") if p.is_file())
    if key_file is not None:
        keyring.shred(Path(key_file))
        removed.append(str(key_file))
    keyring.shred(case_dir / keyring.KEYRING_FILE)
    keyring.shred(case_dir / (keyring.KEYRING_FILE + keyring.NEW_SUFFIX))
    for name in (DB_FILE, DB_FILE + "-wal", DB_FILE + "-shm", DB_FILE + keyring.NEW_SUFFIX):
        _scramble_head(case_dir / name)
    shutil.rmtree(case_dir)
    return removed
