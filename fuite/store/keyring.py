"""The case keyring: a random data key wrapped by a key-encryption key.

The data key (DEK) encrypts the SQLCipher database. It is stored only wrapped
(XChaCha20-Poly1305) by a key-encryption key (KEK) derived from a passphrase with
Argon2id, or from a key file. Destroying the keyring destroys the case
(crypto-shredding). Pure functions except ``read``/``write``.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pysodium
from argon2.low_level import Type, hash_secret_raw

from fuite.errors import CaseError, KeyError_

KEYRING_FILE = "keyring.json"
DEK_BYTES = 32
#: Argon2id cost: ~0.2 s and 64 MiB on the reference machine.
ARGON2 = {"t": 3, "m": 65536, "p": 2}


@dataclass(frozen=True)
class Secret:
    """What the user supplied: a passphrase or the bytes of a key file."""

    kind: str  # "passphrase" | "keyfile"
    value: bytes


@lru_cache(maxsize=8)
def derive_kek(secret: Secret, salt: bytes, t: int, m: int, p: int) -> bytes:
    """Derive the 32-byte key-encryption key from the user's secret."""
    if secret.kind == "keyfile":
        return pysodium.crypto_generichash(secret.value, k=salt, outlen=32)
    return hash_secret_raw(secret.value, salt, time_cost=t, memory_cost=m, parallelism=p, hash_len=32, type=Type.ID)


def wrap(dek: bytes, secret: Secret) -> dict:
    """Return a keyring document holding ``dek`` wrapped under ``secret``."""
    salt = secrets.token_bytes(16)
    kek = derive_kek(secret, salt, ARGON2["t"], ARGON2["m"], ARGON2["p"])
    nonce = secrets.token_bytes(pysodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    sealed = pysodium.crypto_aead_xchacha20poly1305_ietf_encrypt(dek, b"fuite-keyring-v1", nonce, kek)
    return {
        "version": 1, "kind": secret.kind,
        "kdf": {"alg": "argon2id" if secret.kind == "passphrase" else "blake2b", "salt": salt.hex(), **ARGON2},
        "nonce": nonce.hex(), "wrapped_key": sealed.hex(),
    }


def unwrap(doc: dict, secret: Secret) -> bytes:
    """Return the data key, or raise ``KeyError_`` when the secret is wrong."""
    if doc.get("kind") != secret.kind:
        raise KeyError_(f"this case is locked by a {doc.get('kind')}, not a {secret.kind}")
    kdf = doc["kdf"]
    kek = derive_kek(secret, bytes.fromhex(kdf["salt"]), kdf["t"], kdf["m"], kdf["p"])
    try:
        return pysodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            bytes.fromhex(doc["wrapped_key"]), b"fuite-keyring-v1", bytes.fromhex(doc["nonce"]), kek)
    except (ValueError, RuntimeError, Exception) as exc:  # libsodium signals failure generically
        raise KeyError_("wrong key for this case") from exc


def new_dek() -> bytes:
    return secrets.token_bytes(DEK_BYTES)


def read(case_dir: Path) -> dict:
    path = case_dir / KEYRING_FILE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise CaseError(f"{case_dir} is not a fuite case (no {KEYRING_FILE})") from exc
    except (ValueError, OSError) as exc:
        raise CaseError(f"{path} is unreadable or corrupt") from exc


def write(case_dir: Path, doc: dict) -> None:
    """Atomically replace the keyring (write, fsync, rename)."""
    tmp = case_dir / (KEYRING_FILE + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, case_dir / KEYRING_FILE)


def shred(path: Path, passes: int = 3) -> None:
    """Overwrite a file with random bytes, fsync, then unlink it."""
    if not path.exists():
        return
    size = max(path.stat().st_size, 1)
    with open(path, "r+b") as fh:
        for _ in range(passes):
            fh.seek(0)
            fh.write(secrets.token_bytes(size))
            fh.flush()
            os.fsync(fh.fileno())
    path.unlink()
