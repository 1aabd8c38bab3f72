"""Commands of fuite.store: key rotate, audit, purge, case verify (registered by fuite.cli)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from fuite.console import err, out, print_json, shown
from fuite.errors import AuditFailure, CaseCorrupt, CaseError, UsageError
from fuite.readable import format_count

CaseOpt = Annotated[Path, typer.Option("--case", help="Case folder (encrypted).", show_default=False)]
OperatorOpt = Annotated[str | None, typer.Option("--operator", help="Named operator for the audit trail.")]

key_app = typer.Typer(help="Manage the case key.", no_args_is_help=True)


def _warn(message: str) -> None:
    err.print(f"[yellow]warning:[/] {shown(message)}")


@key_app.command("rotate")
def key_rotate(case: CaseOpt, operator: OperatorOpt = None,
               key_file: Annotated[Path | None, typer.Option("--new-key-file", help="Lock with this key file.")] = None
               ) -> None:
    """Re-encrypt the case under a fresh data key, locked by a new passphrase (FUITE_NEW_KEY or prompt)."""
    from fuite.store import open_case
    from fuite.store.edge import case_access, new_secret
    from fuite.store.rotate import rotate

    with open_case(case, case_access(case), operator=operator, warn=_warn) as c:
        secret = new_secret(key_file)
        rotate(c, secret, warn=_warn)
        c.audit("key.rotate", detail={"kind": secret.kind})
    err.print("[green]key rotated[/]: the case is re-encrypted; the old key no longer opens it")


def audit(case: CaseOpt, operator: OperatorOpt = None,
          as_json: Annotated[bool, typer.Option("--json", help="Print the entries and the verdict as JSON.")] = False,
          alert: Annotated[bool, typer.Option("--alert", help="Email the DPO (case.toml [dpo], [smtp]) on failure.")]
          = False) -> None:
    """Show the audit trail, verify its chain and its witness (exit 3 when it was tampered with)."""
    from fuite.store import open_case
    from fuite.store.alert import send_alert
    from fuite.store.edge import case_access
    from fuite.store.verify import audit_problems, interruptions

    with open_case(case, case_access(case), operator=operator, warn=_warn) as c:
        entries, problems, unfinished = c.audit_entries(), audit_problems(c), interruptions(c)
        alerted = send_alert(c.dir, c.case_id, c.settings, problems) if problems and alert else None
        where = ", ".join(str(p) for p in c.witness.files) or "no witness"
    if as_json:
        print_json({"intact": not problems, "entries": entries, "interrupted": unfinished, "witness": where,
                    "problems": [{"seq": p.seq, "reason": p.reason} for p in problems]})
    else:
        table = out.table("#", "when (UTC)", "operator", "OS user", "action", "records", "detail")
        for e in entries:
            table.add_row(str(e["seq"]), shown(e["at"]), shown(e["operator"]), shown(e["os_user"]), shown(e["action"]),
                          format_count(e["records"]), shown(e["detail"]))
        out.print(table)
    for line in unfinished:
        err.print(f"[yellow]interrupted:[/] {shown(line)}")
    if problems:
        for p in problems:
            err.print(f"[red]tampering:[/] entry {p.seq}: {shown(p.reason)}")
        if alerted:
            err.print(f"alert sent to the DPO ({shown(alerted)})")
        raise AuditFailure(f"the audit trail of {case} does not verify ({len(problems)} problem(s))")
    err.print(f"[green]audit chain intact[/] ({format_count(len(entries))} entries, witness: {shown(where)})")


def verify(case: CaseOpt, operator: OperatorOpt = None) -> None:
    """Check the case: every page, the structure, the tables, the audit chain and its witness (exit 3 on failure)."""
    from fuite.store import open_case
    from fuite.store.edge import case_access
    from fuite.store.session import open_damaged
    from fuite.store.verify import verify_case

    access = case_access(case)
    try:
        with open_case(case, access, operator=operator, warn=_warn) as c:
            checks = verify_case(c)
    except CaseCorrupt:   # damaged beyond the first pages: check what can be read, write nothing
        with open_damaged(case, access, operator) as c:
            checks = verify_case(c)
    for check in checks:
        mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
        out.print(f"{mark} {check.name}: {shown(check.detail)}")
    if not all(check.ok for check in checks):
        raise CaseCorrupt(f"the case in {case} fails verification: restore it from a backup")


def purge(case: CaseOpt, yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
          keep_key_file: Annotated[bool, typer.Option(
              "--keep-key-file", help="Do not shred the key file (it also locks other cases).")] = False,
          operator: OperatorOpt = None) -> None:
    """Destroy the case for good: shred the key material (the key file too), then delete every file."""
    from fuite.store import open_case
    from fuite.store import purge as do_purge
    from fuite.store.edge import case_access

    if not (case / "keyring.json").exists():
        raise CaseError(f"no case in {case}")
    access = case_access(case)
    with open_case(case, access, operator=operator, warn=_warn) as c:  # proves the caller holds the key
        c.audit("purge")
    if not yes:
        if not os.isatty(0):
            raise UsageError("purge is irreversible: add --yes to confirm")
        typer.confirm(f"Destroy the case in {case} for good?", abort=True)
    key_file = access.secret.path if access.secret.kind == "keyfile" and not keep_key_file else None
    removed = do_purge(case, key_file=key_file)
    err.print(f"[green]purged[/] {shown(case)}: key material shredded, {format_count(len(removed))} files removed")
    if key_file is None:
        _warn("the key-encryption key lives outside this folder's reach (a passphrase or a kept key file): any "
              "backup of the folder still opens with it; see docs/case.md")


def register(app: typer.Typer) -> None:
    """Add key rotate, audit and purge (``case verify`` joins the ``case`` group in fuite.notify.cli)."""
    app.add_typer(key_app, name="key")
    app.command()(audit)
    app.command()(purge)
