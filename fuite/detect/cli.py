"""Commands of fuite.detect (registered by fuite.cli): ``explain``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fuite.console import out, print_json, shown


def explain(
    case: Annotated[Path, typer.Option("--case", help="Case folder (encrypted).", show_default=False)],
    file: Annotated[str, typer.Option("--file", help="Source file as `fuite export columns` names it.")],
    column: Annotated[str, typer.Option("--column", help="Column header as written, or #k for position k.")],
    table: Annotated[str | None, typer.Option("--table", help="Sheet or SQL table, when the file has several.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON.")] = False,
    operator: Annotated[str | None, typer.Option("--operator", help="Named operator for the audit trail.")] = None,
) -> None:
    """Show why a column got its category: header evidence, share of valid values, masked examples, runner-ups."""
    from fuite.detect.explain import explain_in_case, render_text
    from fuite.store import open_case
    from fuite.store.edge import case_access

    with open_case(case, case_access(case), operator=operator) as c:
        finding = explain_in_case(c, file, column, table)
        c.audit("detect.explain", detail={"category": finding.category})
    if as_json:
        print_json({"file": finding.file, "table": finding.table, "column": finding.column,
                    "position": finding.position, "category": finding.category,
                    "confidence": finding.confidence, "explanation": finding.explanation})
        return
    for line in render_text(finding):
        out.print(shown(line))


def register(app: typer.Typer) -> None:
    """Add this area's commands to the fuite app."""
    app.command("explain")(explain)
