"""The self-check server key: kept outside the case, in a 0600 key file or an environment variable.

A key is a 32-byte random seed; the OPRF secret is ``DeriveKeyPair(seed, "fuite lookup v1")`` (RFC 9497
section 3.2.1). Its ``key_id`` is the first 16 hex digits of SHA-256 of the public key: public, stable,
and changed by every rotation.

Key file (JSON, mode 0600): ``{"format": "fuite-lookup-key", "version": 1, "seed": "<64 hex>", "key_id": "…",
"created": "…"}``. When ``FUITE_LOOKUP_PASSPHRASE`` is set as the file is written, the seed is stored only
wrapped (``"wrapped": {...}``, Argon2id + XChaCha20-Poly1305, the case keyring's scheme) and the same passphrase
is needed to read it. Environment: ``FUITE_LOOKUP_KEY=<64 hex seed>`` (wins over ``FUITE_LOOKUP_KEY_FILE``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from fuite.errors import KeyError_, LookupKeyError, UsageError
from fuite.lookup import oprf
from fuite.store import keyring
from fuite.store.keyring import Secret

__all__ = ["ServerKey", "KEY_INFO", "ENV_KEY", "ENV_KEY_FILE", "new_key", "write_key_file", "read_key_file",
           "load_key", "key_from_seed"]

KEY_INFO = b"fuite lookup v1"
ENV_KEY = "FUITE_LOOKUP_KEY"
ENV_KEY_FILE = "FUITE_LOOKUP_KEY_FILE"
ENV_PASSPHRASE = "FUITE_LOOKUP_PASSPHRASE"


def _passphrase() -> Secret | None:
    value = os.environ.get(ENV_PASSPHRASE)
    return Secret("passphrase", value.encode()) if value else None


def _seal_seed(seed: bytes) -> dict:
    secret = _passphrase()
    return {"wrapped": keyring.wrap(seed, secret)} if secret else {"seed": seed.hex()}


def _open_seed(data: dict, where: str) -> bytes:
    if "wrapped" not in data:
        return _seed_from_hex(str(data["seed"]), where)
    secret = _passphrase()
    if secret is None:
        raise LookupKeyError(f"{where}: the key is locked: set {ENV_PASSPHRASE}")
    try:
        return keyring.unwrap(data["wrapped"], secret)
    except KeyError_:
        raise LookupKeyError(f"{where}: wrong {ENV_PASSPHRASE}") from None


@dataclass(frozen=True)
class ServerKey:
    seed: bytes
    sk: bytes
    pk: bytes
    key_id: str

    def __repr__(self) -> str:  # never print the secret
        return f"ServerKey(key_id={self.key_id!r})"


def key_from_seed(seed: bytes) -> ServerKey:
    """Derive the OPRF key pair and key_id from a 32-byte seed."""
    sk, pk = oprf.derive_key_pair(seed, KEY_INFO)
    return ServerKey(seed, sk, pk, hashlib.sha256(pk).hexdigest()[:16])


def new_key() -> ServerKey:
    """A fresh random key."""
    return key_from_seed(secrets.token_bytes(32))


def _check_outside(path: Path, case_dir: Path | None) -> None:
    if case_dir is not None and path.resolve().is_relative_to(Path(case_dir).resolve()):
        raise UsageError("the lookup key must be kept outside the case folder")


def write_key_file(path: Path, key: ServerKey, case_dir: Path | None = None) -> None:
    """Write ``key`` to ``path`` with mode 0600, atomically (the old file is replaced)."""
    path = Path(path)
    _check_outside(path, case_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"format": "fuite-lookup-key", "version": 1, **_seal_seed(key.seed), "key_id": key.key_id,
                       "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(body + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _seed_from_hex(text: str, where: str) -> bytes:
    try:
        seed = bytes.fromhex(text.strip())
    except ValueError:
        seed = b""
    if len(seed) != 32:
        raise LookupKeyError(f"{where}: the key seed must be 64 hex digits")
    return seed


def read_key_file(path: Path) -> ServerKey:
    """Read a key file; refuse one that group or others can read."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise LookupKeyError(f"no lookup key file at {path} (create one with `fuite lookup rotate-key`)") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise LookupKeyError(f"{path}: the lookup key file must be readable by its owner only (chmod 600)")
    try:
        data = json.loads(path.read_text())
        seed = _open_seed(data, str(path))
    except (ValueError, KeyError, TypeError):
        raise LookupKeyError(f"{path}: not a fuite lookup key file") from None
    return key_from_seed(seed)


def load_key(key_file: Path | None = None, *, create: bool = False, case_dir: Path | None = None) -> ServerKey:
    """The key from ``FUITE_LOOKUP_KEY``, else ``key_file`` (or ``FUITE_LOOKUP_KEY_FILE``).

    With ``create``, a missing key file is created with a new random key.
    """
    if os.environ.get(ENV_KEY):
        return key_from_seed(_seed_from_hex(os.environ[ENV_KEY], ENV_KEY))
    key_file = key_file or (Path(os.environ[ENV_KEY_FILE]) if os.environ.get(ENV_KEY_FILE) else None)
    if key_file is None:
        raise UsageError(f"no lookup key: pass --key-file or set {ENV_KEY_FILE} or {ENV_KEY}")
    _check_outside(Path(key_file), case_dir)
    if create and not Path(key_file).exists():
        key = new_key()
        write_key_file(Path(key_file), key, case_dir)
        return key
    return read_key_file(Path(key_file))
