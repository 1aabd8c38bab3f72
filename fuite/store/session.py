"""Open a case the way every command does: recover, unlock, check the witness, record the start.

The caller passes everything that comes from outside (``Access``: the secret, the operator's state folder for
the audit witness, the command being run); the CLI edge (``fuite.store.edge``) resolves it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fuite.errors import CaseError, CaseFileError, UsageError
from fuite.store import audit as audit_log
from fuite.store import keyring
from fuite.store import rotate as rotation
from fuite.store.lock import CaseLock
from fuite.store import witness as witnesses
from fuite.store.audit import Problem, os_user
from fuite.store.case import DB_FILE, Case, corrupt_advice, is_corruption, missing_keyring
from fuite.store.casefile import CaseFile, parse_case_file
from fuite.store.keyring import Secret


@dataclass(frozen=True)
class Access:
    """What a command brings to open a case: its secret, where the operator's audit witness lives, its name."""

    secret: Secret
    state_dir: Path | None = None   # None: no default witness (library use); the CLI always sets it
    command: str = "library"


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


def witness_for(case: Case, state_dir: Path | None) -> witnesses.Witness:
    """The default witness under the operator's state folder, plus what ``case.toml`` adds ([audit])."""
    audit = case.settings.audit
    files = [witnesses.default_file(state_dir, case.case_id)] if state_dir else []
    if audit.witness:
        files.append(Path(audit.witness).expanduser())
    return witnesses.Witness(case.case_id, tuple(files), syslog=audit.syslog)


def witness_problems(case: Case) -> list[Problem]:
    """What differs between the case's audit chain and its witnesses, as found before this command wrote."""
    problems = witnesses.check(case.witness, case.audit_entries())
    if case.meta_get("case_id") != case.case_id:
        problems.append(Problem(0, "the keyring and the database name different cases"))
    return problems


def open_case(case_dir: Path | str, access: Access, *, operator: str | None = None, create: bool = False,
              require_operator: bool = False, warn: Callable[[str], None] = _stderr) -> Case:
    """Open (or create) the case in ``case_dir`` and record this command's start in its audit trail.

    ``require_operator``: the command reads identifiers out of the case (exports, notices); when the case file
    sets ``security.require_operator = true`` such commands refuse to run without ``--operator``.
    ``case.witness_problems`` holds what the witness check found before anything was written.
    """
    case_dir = Path(case_dir)
    exists = (case_dir / keyring.KEYRING_FILE).exists()
    if not exists and (case_dir / DB_FILE).exists():
        raise CaseError(missing_keyring(case_dir))
    if not exists and not create:
        raise CaseError(f"no case in {case_dir} (run `fuite scan PATH --case {case_dir}` first)")
    lock = _locked(case_dir, warn) if exists else None
    who = operator or os_user()
    try:
        case = Case.open(case_dir, access.secret, who) if exists else Case.create(case_dir, access.secret, who, warn)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    case.lock = lock or _locked(case_dir, warn)
    try:
        _prepare(case, access, operator, require_operator, warn)
    except BaseException as exc:
        case.close()
        if is_corruption(exc):
            raise corrupt_advice(case_dir, "a page fails its integrity check") from exc
        raise
    return case


def _locked(case_dir: Path, warn) -> CaseLock:
    """The case's lock, held shared; an interrupted key rotation is finished or undone first, under it exclusive."""
    lock = CaseLock(case_dir)
    try:
        if lock.try_exclusive():
            note = rotation.recover(case_dir)
            if note:
                warn(note)
        lock.shared()
    except BaseException:
        lock.release()
        raise
    return lock


def _prepare(case: Case, access: Access, operator: str | None, require_operator: bool, warn) -> None:
    policy = case.settings.require_operator
    if require_operator and policy and not operator:
        raise UsageError("this case requires a named operator: add --operator NAME")
    case.witness = witness_for(case, access.state_dir)
    case.opened_after = audit_log.last(case.conn)[0]
    case.witness_problems = witness_problems(case)
    if case.witness_problems:
        warn("the audit trail does not match its witness: run `fuite audit --case "
             f"{case.dir}` ({len(case.witness_problems)} problem(s))")
        case.audit("witness.mismatch", detail={"problems": [p.reason for p in case.witness_problems]})
    case.start(access.command)
    message = retention_warning(case.settings)
    if message:
        warn(message)


def open_damaged(case_dir: Path | str, access: Access, operator: str | None = None) -> Case:
    """Open a case whose first pages decrypt but others may not, to verify it: nothing is written."""
    case = Case.open(Path(case_dir), access.secret, operator or os_user())
    try:
        case.witness = witness_for(case, access.state_dir)
    except CaseError:
        case.witness = witnesses.Witness(case.case_id)
    return case
