"""Commands of fuite.resolve: resolve, persons, explain-person (registered by fuite.cli)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fuite.console import err, out, progress_bar
from fuite.errors import UsageError

CaseOpt = Annotated[Path, typer.Option("--case", help="Case folder (encrypted).", show_default=False)]
OperatorOpt = Annotated[str | None, typer.Option("--operator", help="Named operator for the audit trail.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def resolve(case: CaseOpt,
            engine: Annotated[str, typer.Option(help="Linkage engine: duckdb (in memory) or spark.")] = "duckdb",
            operator: OperatorOpt = None) -> None:
    """Re-run record linkage on a scanned case: child rows, deterministic links, Splink, persons."""
    from fuite.resolve.case import resolve_case
    from fuite.store import open_case

    with open_case(case, operator=operator) as c, progress_bar() as bar:
        if not c.has_table("records"):
            raise UsageError("the case holds no records: run `fuite scan` first")
        task = bar.add_task("resolving", total=None)
        summary = resolve_case(c, progress=lambda message: bar.update(task, description=message), engine=engine)
    err.print(f"[green]resolved[/] {summary['records']} records into {summary['persons']} persons "
              f"in {summary.get('seconds', 0)} s", highlight=False)


def _require(c, *names: str) -> None:
    missing = [n for n in names if not c.has_table(n)]
    if missing:
        raise UsageError(f"the case has no {', '.join(missing)} yet: run `fuite scan` or `fuite resolve` first")


def persons(case: CaseOpt, as_json: JsonOpt = False, operator: OperatorOpt = None) -> None:
    """Show how many distinct persons the leak touches: counts, cluster sizes, link confidence (no identifiers)."""
    from fuite.resolve.stats import person_stats
    from fuite.store import open_case

    with open_case(case, operator=operator) as c:
        _require(c, "persons")
        stats = person_stats(c.get_table("persons"), c.get_table("links") if c.has_table("links") else None,
                             c.table_rows("records") if c.has_table("records") else None)
        stats["resolve"] = c.meta_get("resolve_summary", {})
    if as_json:
        json.dump(stats, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    counts = Table(title="Persons", show_header=False)
    for key in ("records", "persons", "persons_with_several_records", "largest_person_records",
                "persons_with_health_data", "persons_with_hiv_data"):
        counts.add_row(key.replace("_", " "), f"{stats[key]:,}")
    out.print(counts)
    _histogram("Records per person", stats["cluster_sizes"], "records", "persons")
    if "links_by_rule" in stats:
        _histogram("Links by rule", stats["links_by_rule"], "rule", "links")
        _histogram("Splink match probability", stats["splink_confidence"], "probability", "pairs")
        out.print(f"pairs scored below the threshold (not joined): {stats['splink_near_misses']:,}")


def _histogram(title: str, values: dict, key: str, unit: str) -> None:
    table = Table(title=title)
    table.add_column(key)
    table.add_column(unit, justify="right")
    table.add_column("", justify="left")
    top = max(values.values(), default=0) or 1
    for label, n in values.items():
        table.add_row(str(label), f"{n:,}", "█" * round(30 * n / top))
    out.print(table)


def explain_person(case: CaseOpt,
                   person: Annotated[int | None, typer.Option("--person", help="A person_id.")] = None,
                   records: Annotated[tuple[int, int] | None, typer.Option(
                       "--records", help="Two record ids: were they joined, and how?")] = None,
                   as_json: JsonOpt = False, operator: OperatorOpt = None) -> None:
    """Explain why records were joined into a person (values masked)."""
    from fuite.resolve.explain import explain_person as explain_one
    from fuite.resolve.explain import explain_records
    from fuite.store import open_case

    if (person is None) == (records is None):
        raise UsageError("give either --person ID or --records ID ID")
    with open_case(case, operator=operator) as c:
        _require(c, "records", "links")
        recs, links = c.get_table("records"), c.get_table("links")
        if person is not None:
            result = explain_one(recs, links, person)
        else:
            result = explain_records(recs, links, *records)
        c.audit("explain-person", records=len(result["records"]), detail={"masked": True})
    if as_json:
        json.dump(result, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    _print_records(result["records"])
    if person is not None:
        _print_links("Links among these records", result["links"])
        return
    verdict = "the same person" if result["same_person"] else "different persons"
    out.print(f"records {records[0]} and {records[1]} are [bold]{verdict}[/] (person ids {result['person_ids']})")
    if result["same_person"]:
        _print_links("Chain of links joining them", result["chain"])
    if result["direct_links"]:
        _print_links("Direct comparison", result["direct_links"])
    elif not result["same_person"]:
        out.print("they were never compared directly (no blocking rule brought them together)")


def _print_records(rows: list[dict]) -> None:
    table = Table(title="Records (masked)")
    for col in ("record_id", "file", "row", "last_name", "first_name", "birth_date", "nir", "phone", "email",
                "postal_code", "city", "parent_record_id"):
        table.add_column(col)
    for r in rows:
        table.add_row(*("" if r.get(col) is None else str(r.get(col)) for col in (
            "record_id", "file", "row", "last_name", "first_name", "birth_date", "nir", "phone", "email",
            "postal_code", "city", "parent_record_id")))
    out.print(table)


def _print_links(title: str, links: list[dict]) -> None:
    table = Table(title=title)
    for col in ("from", "to", "rule", "probability", "joined", "evidence"):
        table.add_column(col)
    for link in links:
        table.add_row(str(link["record_id_l"]), str(link["record_id_r"]), link["rule"],
                      f"{link['match_probability']:.4f}", "yes" if link["joined"] else "no", link["evidence"] or "")
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add resolve, persons and explain-person."""
    app.command()(resolve)
    app.command()(persons)
    app.command("explain-person")(explain_person)
