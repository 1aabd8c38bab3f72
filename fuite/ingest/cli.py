"""Commands of fuite.ingest (registered by fuite.cli): ``fuite quarantine``."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from fuite.readable import format_count


def register(app: typer.Typer) -> None:
    """Add ``quarantine`` to the fuite app."""

    @app.command()
    def quarantine(
        case: Annotated[Path, typer.Option("--case", help="The case folder.")],
        show_raw: Annotated[bool, typer.Option("--show-raw",
                                               help="Also print the raw content set aside (may hold personal data).")]
        = False,
        file: Annotated[str | None, typer.Option("--file", help="Only this file (or archive and its members).")]
        = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON array on stdout instead of a table.")] = False,
        operator: Annotated[str | None, typer.Option("--operator", help="Named operator for the audit trail.")] = None,
    ) -> None:
        """List what the scan set aside: rows it could not parse and files it could not read, with the reasons."""
        from fuite.console import err, out, print_json
        from fuite.ingest.quarantine import listing, summary
        from fuite.store import open_case
        from fuite.store.edge import case_access

        with open_case(case, case_access(case), operator=operator) as c:
            entries = listing(c.get_table("quarantine"), c.get_table("problems"), show_raw=show_raw, file=file)
            if show_raw:
                c.audit("quarantine-show-raw", records=sum(e.kind == "row" for e in entries))
        if show_raw:
            err.print("[yellow]warning:[/] raw content may contain personal data; do not copy it outside the case.")
        if as_json:
            print_json([{k: v for k, v in asdict(e).items() if v is not None or k != "raw"} for e in entries])
        else:
            _print_table(out, entries, show_raw)
        counts = summary(entries)
        err.print(f"{format_count(counts['unreadable_files'])} unreadable file(s), "
                  f"{format_count(counts['quarantined_rows'])} quarantined row(s) "
                  f"in {format_count(counts['files_with_quarantined_rows'])} file(s)")


def _print_table(console, entries, show_raw: bool) -> None:
    from fuite.console import shown

    if not entries:
        console.print("nothing was set aside")
        return
    table = console.table(show_lines=False)
    for name in ("kind", "file", "table", "location", "reason") + (("raw",) if show_raw else ()):
        table.add_column(name, overflow="fold")
    for e in entries:
        cells = [e.kind, e.file, e.table, e.location, e.reason] + ([e.raw or ""] if show_raw else [])
        table.add_row(*(shown(c) for c in cells))
    console.print(table)
