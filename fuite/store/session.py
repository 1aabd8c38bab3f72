"""Open a case the way every command does: key, operator policy, retention warning."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from fuite.errors import CaseError, CaseFileError, UsageError
from fuite.store import keyring
from fuite.store.audit import os_user
from fuite.store.case import Case
from fuite.store.casefile import CaseFile, parse_case_file
from fuite.store.secrets_source import resolve_secret


def _stderr(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")


def retention_warning(case_file: CaseFile | dict, today: date | None = None) -> str | None:
    """The warning to show when the case's retention date has passed, else None (a dict is parsed first)."""
    if isinstance(case_file, dict):
        try:
            case_file = parse_case_file(case_file)
        except CaseFileError as exc:
            return str(exc)
    until = case_file.retention_until
    if until is None:
        return None
    if (today or date.today()) > until:
        return f"the retention date of this case ({until}) has passed: purge it with `fuite purge`"
    return None


def open_case(case_dir: Path | str, *, operator: str | None = None, create: bool = False,
              require_operator: bool = False, warn: Callable[[str], None] = _stderr) -> Case:
    """Open (or create) the case in ``case_dir``; the key comes from the environment or a prompt.

    ``require_operator``: the command reads identifiers out of the case (exports, notices); when the case file
    sets ``security.require_operator = true`` such commands refuse to run without ``--operator``.
    """
    case_dir = Path(case_dir)
    exists = (case_dir / keyring.KEYRING_FILE).exists()
    if not exists and not create:
        raise CaseError(f"no case in {case_dir} (run `fuite scan ... --case {case_dir}` first)")
    secret = resolve_secret(confirm=not exists)
    who = operator or os_user()
    case = Case.open(case_dir, secret, who) if exists else Case.create(case_dir, secret, who)
    try:
        policy = case.settings.require_operator
    except CaseFileError:
        case.close()
        raise
    if require_operator and policy and not operator:
        case.close()
        raise UsageError("this case requires a named operator: add --operator NAME")
    message = retention_warning(case.settings)
    if message:
        warn(message)
    return case
