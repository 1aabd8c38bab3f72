"""Destroy a case: crypto-shred the key material, then remove every file."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from fuite.errors import CaseError
from fuite.store import keyring
from fuite.store.case import DB_FILE


def _scramble_head(path: Path, size: int = 1 << 20) -> None:
    """Overwrite the start of a database file (salt and first pages) before it is removed."""
    if not path.exists():
        return
    n = min(size, path.stat().st_size)
    with open(path, "r+b") as fh:
        fh.write(secrets.token_bytes(n))
        fh.flush()
        os.fsync(fh.fileno())


def purge(case_dir: Path) -> list[str]:
    """Shred the keyring, scramble the databases, delete the folder. Returns the files removed."""
    case_dir = Path(case_dir)
    if not (case_dir / keyring.KEYRING_FILE).exists():
        raise CaseError(f"no case in {case_dir}")
    removed = sorted(str(p.relative_to(case_dir)) for p in case_dir.rglob("*") if p.is_file())
    keyring.shred(case_dir / keyring.KEYRING_FILE)
    keyring.shred(case_dir / (keyring.KEYRING_FILE + ".new"))
    for name in (DB_FILE, DB_FILE + "-wal", DB_FILE + "-shm"):
        _scramble_head(case_dir / name)
    shutil.rmtree(case_dir)
    return removed
