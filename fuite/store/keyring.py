"""The case keyring: a random data key wrapped by a key-encryption key.

The data key (DEK) encrypts the SQLCipher database. It is stored only wrapped
(XChaCha20-Poly1305) by a key-encryption key (KEK) derived from a passphrase with
Argon2id, or from a key file. The keyring also names the database it belongs to
(``db_salt``, the first 16 bytes of ``case.db``, chosen by fuite) and the case
(``case_id``, which names the audit witness). Destroying the keyring destroys the
case (crypto-shredding). Pure functions except the file helpers at the end.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pysodium
from argon2.low_level import Type, hash_secret_raw

from fuite.errors import CaseError, KeyError_

KEYRING_FILE = "keyring.json"
NEW_SUFFIX = ".new"
DEK_BYTES = 32
SALT_BYTES = 16
VERSION = 2
#: Argon2id cost: ~0.2 s and 64 MiB on the reference machine.
ARGON2 = {"t": 3, "m": 65536, "p": 2}


@dataclass(frozen=True)
class Secret:
    """What the user supplied: a passphrase or the bytes of a key file (and where that file is)."""

    kind: str  # "passphrase" | "keyfile"
    value: bytes = field(repr=False)
    path: Path | None = field(default=None, compare=False)


@lru_cache(maxsize=8)
def derive_kek(secret: Secret, salt: bytes, t: int, m: int, p: int) -> bytes:
    """Derive the 32-byte key-encryption key from the user's secret."""
    if secret.kind == "keyfile":
        return pysodium.crypto_generichash(secret.value, k=salt, outlen=32)
    return hash_secret_raw(secret.value, salt, time_cost=t, memory_cost=m, parallelism=p, hash_len=32, type=Type.ID)


def _kek(doc: dict, secret: Secret) -> bytes:
    kdf = doc["kdf"]
    return derive_kek(secret, bytes.fromhex(kdf["salt"]), kdf["t"], kdf["m"], kdf["p"])


def wrap(dek: bytes, secret: Secret, **extra) -> dict:
    """Return a keyring document holding ``dek`` wrapped under ``secret`` (``extra``: case_id, db_salt)."""
    salt = secrets.token_bytes(16)
    kek = derive_kek(secret, salt, ARGON2["t"], ARGON2["m"], ARGON2["p"])
    nonce = secrets.token_bytes(pysodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    sealed = pysodium.crypto_aead_xchacha20poly1305_ietf_encrypt(dek, b"fuite-keyring-v1", nonce, kek)
    return {
        "version": VERSION, "kind": secret.kind,
        "kdf": {"alg": "argon2id" if secret.kind == "passphrase" else "blake2b", "salt": salt.hex(), **ARGON2},
        "nonce": nonce.hex(), "wrapped_key": sealed.hex(), **extra,
    }


def unwrap(doc: dict, secret: Secret) -> bytes:
    """Return the data key, or raise ``KeyError_`` when the secret is wrong."""
    if doc.get("kind") != secret.kind:
        raise KeyError_(f"this case is locked by a {doc.get('kind')}, not a {secret.kind}")
    kek = _kek(doc, secret)
    try:
        return pysodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            bytes.fromhex(doc["wrapped_key"]), b"fuite-keyring-v1", bytes.fromhex(doc["nonce"]), kek)
    except (ValueError, RuntimeError, Exception) as exc:  # libsodium signals failure generically
        raise KeyError_("wrong key for this case") from exc


def audit_key(doc: dict, secret: Secret) -> bytes:
    """The audit MAC key, derived from the user's secret (via the KEK); never stored anywhere."""
    return hmac.new(_kek(doc, secret), b"fuite-audit-v2", hashlib.sha256).digest()


def new_dek() -> bytes:
    return secrets.token_bytes(DEK_BYTES)


def new_db_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def sqlcipher_key(dek: bytes, db_salt: bytes | None = None) -> str:
    """The ``PRAGMA key`` literal: the raw key, and the database salt when fuite chooses it."""
    return f"\"x'{dek.hex()}{db_salt.hex() if db_salt else ''}'\""


# -- files ----------------------------------------------------------------------------------
def parse(text: str, where: Path) -> dict:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise CaseError(f"{where} is corrupt: restore it from a backup") from exc
    if not isinstance(doc, dict) or not {"kind", "kdf", "nonce", "wrapped_key"} <= doc.keys():
        raise CaseError(f"{where} is corrupt: restore it from a backup")
    if doc.get("version") != VERSION:
        raise CaseError(f"{where}: keyring version {doc.get('version')} is not supported by this fuite "
                        f"(expected {VERSION}); scan the leak into a new case")
    return doc


def read(case_dir: Path, name: str = KEYRING_FILE) -> dict:
    path = case_dir / name
    try:
        return parse(path.read_text(), path)
    except FileNotFoundError as exc:
        raise CaseError(f"{case_dir} is not a fuite case (no {KEYRING_FILE})") from exc
    except (UnicodeDecodeError, OSError) as exc:
        raise CaseError(f"{path} is unreadable or corrupt: restore it from a backup") from exc


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(path: Path, doc: dict) -> None:
    """Write ``doc`` to ``path`` (0600), fsync the file and its folder."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    fsync_dir(path.parent)


def write(case_dir: Path, doc: dict) -> None:
    """Atomically replace the keyring (write ``.new``, fsync, rename, fsync the folder)."""
    tmp = case_dir / (KEYRING_FILE + NEW_SUFFIX)
    write_file(tmp, doc)
    os.replace(tmp, case_dir / KEYRING_FILE)
    fsync_dir(case_dir)


def overwrite(path: Path, passes: int = 1) -> None:
    """Overwrite a file in place with random bytes and fsync (it stays, unreadable)."""
    size = max(path.stat().st_size, 1)
    with open(path, "r+b") as fh:
        for _ in range(passes):
            fh.seek(0)
            fh.write(secrets.token_bytes(size))
            fh.flush()
            os.fsync(fh.fileno())


def shred(path: Path, passes: int = 3) -> None:
    """Overwrite a file with random bytes, fsync, then unlink it."""
    if not path.exists():
        return
    overwrite(path, passes)
    path.unlink()
