"""What makes a case secret acceptable: one minimum for passphrases and key files, wherever they come from.

No environment, no prompt here: the CLI edge (``fuite.store.edge``) finds the secret and these functions check it.
"""

from __future__ import annotations

import stat
from pathlib import Path

from fuite.errors import KeyError_
from fuite.store.keyring import Secret

MIN_PASSPHRASE = 12
GOOD_PASSPHRASE = 16
KEYFILE_BITS = 256
MAX_KEYFILE_BYTES = 64 * 1024
KEYFILE_ADVICE = "generate one with `head -c 32 /dev/urandom > FILE && chmod 600 FILE`"


def check_private(path: Path, what: str) -> None:
    """Refuse a file that other users can read or write (the mode must be 0600 or stricter)."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyError_(f"{what} {path} is accessible to other users (mode {mode:04o}): run `chmod 600 {path}`")


def passphrase(value: str) -> Secret:
    """A passphrase as typed or given in the environment (checked when it locks a case: ``check_new``)."""
    return Secret("passphrase", value.encode())


def keyfile_bits(data: bytes) -> int:
    """Bits of key material: 4 per hex digit for a hex text file, else 8 per byte."""
    text = data.strip()
    if text and all(c in b"0123456789abcdefABCDEF" for c in text):
        return 4 * len(text)
    return 8 * len(data)


def is_repetitive(data: bytes, longest_period: int = 64) -> bool:
    """True when ``data`` is one short pattern repeated (32 zero bytes, "abab…")."""
    return any(data == (data[:p] * (len(data) // p + 1))[:len(data)]
               for data in {data, data.rstrip(b"\r\n")} if data
               for p in range(1, min(longest_period, len(data) // 2) + 1))


def check_keyfile_bytes(data: bytes, path: Path) -> None:
    if len(data) > MAX_KEYFILE_BYTES:
        raise KeyError_(f"key file {path} is larger than {MAX_KEYFILE_BYTES // 1024} KiB: is it the right file?")
    if keyfile_bits(data) < KEYFILE_BITS:
        raise KeyError_(f"key file {path} holds fewer than {KEYFILE_BITS} bits: {KEYFILE_ADVICE}")
    if is_repetitive(data):
        raise KeyError_(f"key file {path} is constant or repetitive, not random: {KEYFILE_ADVICE}")


def from_keyfile(path: Path) -> Secret:
    """Read a key file: mode 0600, at least 256 bits, not constant."""
    path = Path(path)
    try:
        check_private(path, "key file")
        data = path.read_bytes()[:MAX_KEYFILE_BYTES + 1]
    except OSError as exc:
        raise KeyError_(f"cannot read key file {path} ({exc.strerror or type(exc).__name__})") from None
    check_keyfile_bytes(data, path)
    return Secret("keyfile", data, path.resolve())


def check_new(secret: Secret) -> str | None:
    """Refuse a secret too weak to lock a case; return a warning for a passphrase that is merely short."""
    if secret.kind == "keyfile":
        check_keyfile_bytes(secret.value, secret.path or Path("(key file)"))
        return None
    length = len(secret.value.decode("utf-8", "replace"))
    if length < MIN_PASSPHRASE:
        raise KeyError_(f"the passphrase must be at least {MIN_PASSPHRASE} characters ({length} given)")
    if length < GOOD_PASSPHRASE:
        return f"the passphrase has {length} characters: {GOOD_PASSPHRASE} or more are recommended"
    return None
