"""Commands of fuite.assess (registered by fuite.cli): ``fuite assess``."""

from __future__ import annotations

from pathlib import Path

import typer

from fuite.assess.rules import LEVEL_FR, explain
from fuite.console import FuiteConsole, out, print_json
from fuite.readable import format_count


def render_breach(breach, console: FuiteConsole = out) -> None:
    """Print the breach-level factors with their reasons, then the distribution per level (counts only)."""
    s = breach.score
    factors = console.table(title=f"Severity of the breach (ENISA 2013): {s.value:g} → {s.level.replace('_', ' ')}")
    factors.add_column("factor")
    factors.add_column("value", justify="right")
    factors.add_column("reason")
    factors.add_row("DPC (data processing context)", f"{s.dpc.value:g}", explain(s.dpc.id))
    factors.add_row("EI (ease of identification)", f"{s.ei.value:g}", explain(s.ei.id))
    cb_reason = "; ".join(explain(r.id) for r in s.cb) or "no aggravating circumstance"
    factors.add_row("CB (circumstances)", f"{s.cb_value:g}", cb_reason)
    factors.add_row("SE = DPC × EI + CB", f"{s.value:g}", s.level.replace("_", " "))
    if s.floor:
        factors.add_row("floor", "", explain(s.floor.id))
    console.print(factors)
    dist = console.table(title=f"Persons per level ({format_count(breach.persons)} persons)")
    dist.add_column("level")
    dist.add_column("niveau")
    dist.add_column("persons", justify="right")
    dist.add_column("share", justify="right")
    for level, count in breach.distribution.items():
        share = f"{100 * count / breach.persons:.1f} %" if breach.persons else "-"
        dist.add_row(level.replace("_", " "), LEVEL_FR[level], format_count(count), share)
    console.print(dist)
    console.print(f"data concerning health: {format_count(breach.health)} persons; HIV: {format_count(breach.hiv)}; "
                  f"social security number: {format_count(breach.nir)}")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the fuite app."""

    @app.command("assess")
    def assess_cmd(
        case_dir: Path = typer.Option(..., "--case", help="Case folder."),
        operator: str | None = typer.Option(None, "--operator", help="Who runs this (audit trail)."),
        as_json: bool = typer.Option(False, "--json", help="Print the breach assessment as JSON."),
    ) -> None:
        """Assess the severity (ENISA 2013) per person and for the breach; store it in the case."""
        from fuite.assess.stage import assess_case
        from fuite.store import open_case
        from fuite.store.edge import case_access

        with open_case(case_dir, case_access(case_dir), operator=operator) as case:
            breach = assess_case(case)
        if as_json:
            print_json(breach.to_dict())
        else:
            render_breach(breach)
