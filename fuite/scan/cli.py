"""Commands of fuite.scan (registered by fuite.cli): ``scan``, ``export ...``, ``demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fuite.console import err, out, print_json, shown, tracker
from fuite.errors import NothingUsable
from fuite.readable import format_count, shell_word
from fuite.resolve.cli import MemoryOpt

CaseOpt = Annotated[Path, typer.Option("--case", help="Case folder (encrypted).", show_default=False)]
OperatorOpt = Annotated[str | None, typer.Option("--operator", help="Named operator for the audit trail.")]

export_app = typer.Typer(help="Export identifiers out of the case in clear (explicit, audited).", no_args_is_help=True)


def _warn_export(what: str) -> None:
    err.print(f"[yellow]warning:[/] this export writes {what} in clear, outside the encrypted case. "
              "Protect it and delete it after use.", highlight=False)


@export_app.command("columns")
def export_columns(case: CaseOpt, operator: OperatorOpt = None) -> None:
    """Print every source column with its category as a JSON array."""
    from fuite import export
    from fuite.store import open_case
    from fuite.store.edge import case_access

    with open_case(case, case_access(case), operator=operator, require_operator=True) as c:
        rows = export.export_columns(c)
    _warn_export("column headers")
    print_json(rows)


def _export_table(case: Path, output: Path, operator: str | None, kind: str) -> None:
    from fuite import export
    from fuite.store import open_case
    from fuite.store.edge import case_access

    with open_case(case, case_access(case), operator=operator, require_operator=True) as c:
        rows = export.export_csv(c, kind, output)
    _warn_export(f"{format_count(rows)} record provenance lines with health flags" if kind == "records"
                 else f"identifiers of {format_count(rows)} persons")


@export_app.command("records")
def export_records(case: CaseOpt, output: Annotated[Path, typer.Option("--output", "-o")],
                   operator: OperatorOpt = None) -> None:
    """Write file,table,row,person_id,hiv,health for every data row."""
    _export_table(case, output, operator, "records")


@export_app.command("persons")
def export_persons(case: CaseOpt, output: Annotated[Path, typer.Option("--output", "-o")],
                   operator: OperatorOpt = None) -> None:
    """Write one line per distinct person with their identifiers and exposed categories."""
    _export_table(case, output, operator, "persons")


def scan(paths: Annotated[list[Path], typer.Argument(help="Files and folders of the leak.", show_default=False)],
         case: CaseOpt,
         encoding: Annotated[str | None, typer.Option(help="Force the text encoding (e.g. cp1252).")] = None,
         no_resolve: Annotated[bool, typer.Option("--no-resolve", help="Skip linking records into persons.")] = False,
         as_json: Annotated[bool, typer.Option("--json", help="Print the scan summary as JSON.")] = False,
         memory: MemoryOpt = None,
         operator: OperatorOpt = None) -> None:
    """Read a leak into an encrypted case (or add files to one): ingest, classify every column, resolve persons."""
    from fuite.resolve.cli import stable_ids_line
    from fuite.resolve.stage import settings_with_memory
    from fuite.scan.stage import require_input, scan_paths
    from fuite.store import open_case
    from fuite.store.edge import case_access

    require_input(paths)
    resolve_settings = settings_with_memory(memory)
    with open_case(case, case_access(case), operator=operator, create=True) as c, tracker() as bars:
        summary = scan_paths(c, paths, encoding=encoding, progress=bars, resolve=not no_resolve,
                             resolve_settings=resolve_settings,
                             on_problem=lambda p: err.print(f"[yellow]skipped[/] {shown(p.file)}: {shown(p.reason)}"))
    if as_json:
        print_json(summary.to_dict())
    for skipped in summary.skipped:
        err.print(f"already in the case: {shown(skipped['file'])} (same bytes as {shown(skipped['known_as'])}), "
                  "not read again", highlight=False, soft_wrap=True)
    for renamed in summary.renamed:
        err.print(f"renamed: {shown(renamed['file'])} is stored as {shown(renamed['as'])} (the case already has "
                  "another file of that name)", highlight=False, soft_wrap=True)
    if summary.skipped and not summary.records and not summary.problems:
        err.print(f"nothing new: every file is already in {shown(case)}", highlight=False)
        return
    persons = summary.persons
    err.print(f"[green]{'added' if summary.added else 'scanned'}[/] {format_count(summary.files)} files, "
              f"{format_count(summary.tables)} tables, {format_count(summary.records)} records"
              + (f", {format_count(persons)} persons" if persons is not None else " (persons not resolved)")
              + f" {'to' if summary.added else 'into'} {shown(case)}")
    if (summary.resolved or {}).get("stable_ids"):
        err.print(stable_ids_line(summary.resolved), highlight=False, soft_wrap=True)
    if summary.quarantined or summary.problems:
        err.print(f"[yellow]warning:[/] {format_count(summary.quarantined)} rows quarantined, "
                  f"{format_count(len(summary.problems))} files unreadable: see `fuite quarantine --case {shown(shell_word(case))}`")
    if not summary.records:
        raise NothingUsable("no record could be read from these files"
                            + (f" ({len(summary.problems)} unreadable)" if summary.problems else ""))


def match(paths: Annotated[list[Path], typer.Argument(help="Files and folders of the newly found dump.",
                                                    show_default=False)],
          case: CaseOpt,
          encoding: Annotated[str | None, typer.Option(help="Force the text encoding (e.g. cp1252).")] = None,
          as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
          memory: MemoryOpt = None,
          operator: OperatorOpt = None) -> None:
    """Say how much of a newly found dump the case already holds, without adding it or writing it anywhere."""
    from fuite.resolve.stage import settings_with_memory
    from fuite.scan.stage import match_paths, require_input
    from fuite.store import open_case
    from fuite.store.edge import case_access

    require_input(paths)
    settings = settings_with_memory(memory)
    with open_case(case, case_access(case), operator=operator) as c, tracker() as bars:
        figures = match_paths(c, paths, encoding=encoding, progress=bars, resolve_settings=settings)
    if as_json:
        print_json(figures)
    else:
        for key in ("rows", "rows_matched", "rows_identical", "persons", "persons_matched", "persons_new",
                    "persons_more_exposed"):
            out.print(f"{key.replace('_', ' ')}: {format_count(figures[key])}", highlight=False)
        out.print(f"categories new: {', '.join(figures['categories_new']) or 'none'}", highlight=False)
    err.print(figures["verdict_line"], highlight=False, soft_wrap=True)


def demo(persons: Annotated[int, typer.Option(help="Size of the synthetic drill.")] = 3000,
         seed: Annotated[int, typer.Option(help="Random seed of the drill.")] = 0,
         as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False) -> None:
    """Synthesise a small drill, scan it into a temporary encrypted case, assess it and summarise the report."""
    from fuite.scan.demo import run_demo, summary_lines

    report = run_demo(persons=persons, seed=seed, say=err.print)
    if as_json:
        print_json(report)
        return
    for line in summary_lines(report):
        out.print(line)


def register(app: typer.Typer) -> None:
    """Add scan, export and demo."""
    app.command()(scan)
    app.command()(match)
    app.add_typer(export_app, name="export")
    app.command()(demo)
