"""Commands of fuite.store: key rotate, audit, purge (registered by fuite.cli)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from fuite.console import err, out, print_json, shown
from fuite.errors import CaseError, IntegrityError, UsageError
from fuite.readable import format_count

CaseOpt = Annotated[Path, typer.Option("--case", help="Case folder (encrypted).", show_default=False)]
OperatorOpt = Annotated[str | None, typer.Option("--operator", help="Named operator for the audit trail.")]

key_app = typer.Typer(help="Manage the case key.", no_args_is_help=True)


@key_app.command("rotate")
def key_rotate(case: CaseOpt, operator: OperatorOpt = None,
               key_file: Annotated[Path | None, typer.Option("--new-key-file", help="Lock with this key file.")] = None
               ) -> None:
    """Re-encrypt the case under a fresh data key, locked by a new passphrase (FUITE_NEW_KEY or prompt)."""
    from fuite.store import open_case
    from fuite.store.rotate import rotate
    from fuite.store.secrets_source import ENV_NEW_PASSPHRASE, from_keyfile, resolve_secret

    with open_case(case, operator=operator) as c:
        secret = from_keyfile(key_file) if key_file else resolve_secret(
            confirm=True, env=ENV_NEW_PASSPHRASE, prompt="New case passphrase")
        rotate(c, secret)
        c.audit("key.rotate", detail={"kind": secret.kind})
    err.print("[green]key rotated[/]: the case is re-encrypted; the old key no longer opens it")


def audit(case: CaseOpt, operator: OperatorOpt = None,
          as_json: Annotated[bool, typer.Option("--json", help="Print the entries and the verdict as JSON.")] = False
          ) -> None:
    """Show the audit trail and verify its hash chain (exit 3 when it was tampered with)."""
    from fuite.store import open_case

    with open_case(case, operator=operator) as c:
        entries = c.audit_entries()
        problems = c.audit_verify()
    if as_json:
        print_json({"intact": not problems, "entries": entries,
                    "problems": [{"seq": p.seq, "reason": p.reason} for p in problems]})
    else:
        table = out.table("#", "when (UTC)", "operator", "OS user", "action", "records", "detail")
        for e in entries:
            table.add_row(str(e["seq"]), shown(e["at"]), shown(e["operator"]), shown(e["os_user"]), shown(e["action"]),
                          format_count(e["records"]), shown(e["detail"]))
        out.print(table)
    if problems:
        for p in problems:
            err.print(f"[red]tampering:[/] entry {p.seq}: {shown(p.reason)}")
        raise IntegrityError(f"the audit chain of {case} is broken ({len(problems)} entries fail)")
    err.print(f"[green]audit chain intact[/] ({format_count(len(entries))} entries)")


def purge(case: CaseOpt, yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
          operator: OperatorOpt = None) -> None:
    """Destroy the case for good: shred the key material, then delete every file."""
    from fuite.store import open_case
    from fuite.store import purge as do_purge

    if not (case / "keyring.json").exists():
        raise CaseError(f"no case in {case}")
    with open_case(case, operator=operator) as c:  # proves the caller holds the key
        c.audit("purge")
    if not yes:
        if not os.isatty(0):
            raise UsageError("purge is irreversible: add --yes to confirm")
        typer.confirm(f"Destroy the case in {case} for good?", abort=True)
    removed = do_purge(case)
    err.print(f"[green]purged[/] {shown(case)}: key material shredded, {format_count(len(removed))} files removed")


def register(app: typer.Typer) -> None:
    """Add key rotate, audit and purge."""
    app.add_typer(key_app, name="key")
    app.command()(audit)
    app.command()(purge)
