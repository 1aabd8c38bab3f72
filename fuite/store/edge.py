"""The command-line edge of the store: where the case secret and the operator's state folder come from.

Only ``cli.py`` modules call this; the library takes what it resolves as arguments (``Access``).

- the case secret: ``FUITE_KEY`` (a passphrase), else ``FUITE_KEY_FILE`` (a key file), else a terminal prompt
  (asked twice when the case is created);
- a new secret for ``key rotate``: ``FUITE_NEW_KEY``, ``--new-key-file``, else a prompt (asked twice);
- the state folder that keeps the audit witness: ``$XDG_STATE_HOME/fuite``, else ``~/.local/state/fuite``.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from typer._click.globals import get_current_context

from fuite.errors import KeyError_
from fuite.store import keyring
from fuite.store.keyring import Secret
from fuite.store.secrets_source import from_keyfile, passphrase
from fuite.store.session import Access

ENV_PASSPHRASE = "FUITE_KEY"
ENV_KEYFILE = "FUITE_KEY_FILE"
ENV_NEW_PASSPHRASE = "FUITE_NEW_KEY"


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "fuite"


def _prompt(prompt: str, *, confirm: bool, hint: str) -> Secret:
    if not sys.stdin or not sys.stdin.isatty():
        raise KeyError_(f"no key: set {hint} or run in a terminal")
    value = getpass.getpass(f"{prompt}: ")
    if confirm and getpass.getpass(f"{prompt} (again): ") != value:
        raise KeyError_("the two passphrases differ")
    return passphrase(value)


def case_secret(case_dir: Path | str) -> Secret:
    """The secret that opens (or will lock) the case in ``case_dir``."""
    if os.environ.get(ENV_PASSPHRASE):
        return passphrase(os.environ[ENV_PASSPHRASE])
    if os.environ.get(ENV_KEYFILE):
        return from_keyfile(Path(os.environ[ENV_KEYFILE]))
    creating = not (Path(case_dir) / keyring.KEYRING_FILE).exists()
    return _prompt("Case passphrase", confirm=creating, hint=f"{ENV_PASSPHRASE} (or {ENV_KEYFILE})")


def new_secret(key_file: Path | None = None) -> Secret:
    """The secret that will lock the case after ``key rotate``."""
    if key_file:
        return from_keyfile(key_file)
    if os.environ.get(ENV_NEW_PASSPHRASE):
        return passphrase(os.environ[ENV_NEW_PASSPHRASE])
    return _prompt("New case passphrase", confirm=True, hint=f"{ENV_NEW_PASSPHRASE} (or --new-key-file)")


def _command_name() -> str:
    ctx = get_current_context(silent=True)
    return ctx.command_path if ctx is not None else "fuite"


def case_access(case_dir: Path | str) -> Access:
    """Everything a command brings to ``open_case``: the secret, the witness folder, the command's name."""
    return Access(case_secret(case_dir), state_dir(), _command_name())
