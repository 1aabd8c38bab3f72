"""Commands of fuite.resolve: resolve, persons, explain-person (registered by fuite.cli)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fuite.console import err, out, print_json, shown, tracker
from fuite.errors import UsageError
from fuite.readable import format_count, format_duration

CaseOpt = Annotated[Path, typer.Option("--case", help="Case folder (encrypted).", show_default=False)]
OperatorOpt = Annotated[str | None, typer.Option("--operator", help="Named operator for the audit trail.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
MemoryOpt = Annotated[str | None, typer.Option(
    "--memory", metavar="SIZE", help="Memory cap of resolution (e.g. 2GB): a larger case is resolved a partition "
    "at a time, and DuckDB spills beyond it, encrypted (default 5GB).")]


def resolve(case: CaseOpt,
            engine: Annotated[str, typer.Option(help="Linkage engine: duckdb (in memory) or spark.")] = "duckdb",
            memory: MemoryOpt = None,
            operator: OperatorOpt = None) -> None:
    """Re-run record linkage on a scanned case: child rows, deterministic links, Splink, persons."""
    from fuite.resolve.stage import require_tables, resolve_case, settings_with_memory, step_count
    from fuite.progress import step_bar
    from fuite.store import open_case
    from fuite.store.edge import case_access

    settings = settings_with_memory(memory)
    with open_case(case, case_access(case), operator=operator) as c, tracker() as bars:
        require_tables(c, "records")
        steps = bars.bar("linking", step_count(settings), "steps")
        summary = resolve_case(c, progress=step_bar(steps), engine=engine, settings=settings)
        steps.finish()
    err.print(f"[green]resolved[/] {format_count(summary['records'])} records into "
              f"{format_count(summary['persons'])} persons in {format_duration(summary.get('seconds', 0))}")
    if summary.get("stable_ids"):
        err.print(stable_ids_line(summary), highlight=False, soft_wrap=True)


def stable_ids_line(summary: dict) -> str:
    """One line on what a re-resolution kept and changed (counts only)."""
    ids, delta = summary["stable_ids"], summary.get("delta", {})
    return (f"person ids: {format_count(ids['kept'])} kept ({format_count(ids['notified_kept'])} of them notified), "
            f"{format_count(ids['new'])} new, {format_count(ids['split_off'])} split off, "
            f"{format_count(ids['merged'])} merged into another, {format_count(ids['retired'])} retired "
            f"({format_count(ids['notified_retired'])} notified); delta of notice round {delta.get('round', 1)}: "
            f"{format_count(delta.get('new', 0))} new persons, {format_count(delta.get('grown', 0))} whose exposure "
            "grew")


def persons(case: CaseOpt, as_json: JsonOpt = False, operator: OperatorOpt = None) -> None:
    """Show how many distinct persons the leak touches: counts, cluster sizes, link confidence (no identifiers)."""
    from fuite.resolve.stage import persons_for_case
    from fuite.store import open_case
    from fuite.store.edge import case_access

    with open_case(case, case_access(case), operator=operator) as c:
        stats = persons_for_case(c)
    if as_json:
        print_json(stats)
        return
    counts = out.table(title="Persons", show_header=False)
    for key in ("records", "persons", "persons_with_several_records", "largest_person_records",
                "persons_with_health_data", "persons_with_hiv_data"):
        counts.add_row(key.replace("_", " "), format_count(stats[key]))
    out.print(counts)
    _histogram("Records per person", stats["cluster_sizes"], "records", "persons")
    if "links_by_rule" in stats:
        _histogram("Links by rule", stats["links_by_rule"], "rule", "links")
        _histogram("Splink match probability", stats["splink_confidence"], "probability", "pairs")
        out.print(f"pairs scored below the threshold (not joined): {format_count(stats['splink_near_misses'])}")


def _histogram(title: str, values: dict, key: str, unit: str) -> None:
    table = out.table(title=title)
    table.add_column(key)
    table.add_column(unit, justify="right")
    table.add_column("", justify="left")
    top = max(values.values(), default=0) or 1
    for label, n in values.items():
        table.add_row(shown(label), format_count(n), out.bar(n / top))
    out.print(table)


def explain_person(case: CaseOpt,
                   person: Annotated[int | None, typer.Option("--person", help="A person_id.")] = None,
                   records: Annotated[tuple[int, int] | None, typer.Option(
                       "--records", help="Two record ids: were they joined, and how?")] = None,
                   as_json: JsonOpt = False, operator: OperatorOpt = None) -> None:
    """Explain why records were joined into a person (values masked)."""
    from fuite.resolve.stage import explain_for_case
    from fuite.store import open_case
    from fuite.store.edge import case_access

    if (person is None) == (records is None):
        raise UsageError("give either --person ID or --records ID ID")
    with open_case(case, case_access(case), operator=operator) as c:
        result = explain_for_case(c, person, records)
    if as_json:
        print_json(result)
        return
    _print_records(result["records"])
    if person is not None:
        _print_links("Links among these records", result["links"])
        if result["kept_apart"]:
            _print_links("Links to other persons' records, refused", result["kept_apart"])
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
    columns = ("record_id", "file", "row", "last_name", "first_name", "birth_date", "nir", "phone", "email",
               "postal_code", "city", "parent_record_id")
    table = out.table(*columns, title="Records (masked)")
    for r in rows:
        table.add_row(*("" if r.get(col) is None else shown(r.get(col)) for col in columns))
    out.print(table)


def _print_links(title: str, links: list[dict]) -> None:
    table = out.table("from", "to", "rule", "probability", "joined", "evidence", "kept apart because", title=title)
    for link in links:
        table.add_row(str(link["record_id_l"]), str(link["record_id_r"]), shown(link["rule"]),
                      f"{link['match_probability']:.4f}", "yes" if link["joined"] else "no", shown(link["evidence"] or ""),
                      shown(link.get("kept_apart") or ""))
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add resolve, persons and explain-person."""
    app.command()(resolve)
    app.command()(persons)
    app.command("explain-person")(explain_person)
