"""Where the user's key comes from: environment, key file or an interactive prompt."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from fuite.errors import KeyError_
from fuite.store.keyring import Secret

ENV_PASSPHRASE = "FUITE_KEY"
ENV_KEYFILE = "FUITE_KEY_FILE"
ENV_NEW_PASSPHRASE = "FUITE_NEW_KEY"


def from_keyfile(path: Path) -> Secret:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise KeyError_(f"cannot read key file {path}") from exc
    if len(data) < 32:
        raise KeyError_(f"key file {path} is too short (at least 32 bytes expected)")
    return Secret("keyfile", data)


def resolve_secret(*, confirm: bool = False, env: str = ENV_PASSPHRASE, prompt: str = "Case passphrase") -> Secret:
    """The secret from ``FUITE_KEY`` / ``FUITE_KEY_FILE``, else a terminal prompt."""
    if os.environ.get(env):
        return Secret("passphrase", os.environ[env].encode())
    if env == ENV_PASSPHRASE and os.environ.get(ENV_KEYFILE):
        return from_keyfile(Path(os.environ[ENV_KEYFILE]))
    if not sys.stdin or not sys.stdin.isatty():
        raise KeyError_(f"no key: set {env} (or {ENV_KEYFILE}) or run in a terminal")
    value = getpass.getpass(f"{prompt}: ")
    if confirm and getpass.getpass(f"{prompt} (again): ") != value:
        raise KeyError_("the two passphrases differ")
    if len(value) < 8:
        raise KeyError_("the passphrase must be at least 8 characters")
    return Secret("passphrase", value.encode())
