"""Commands of fuite.notify (registered by fuite.cli): ``notify cnil|persons|status`` and ``case init``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fuite.console import err, out, print_json, shown
from fuite.errors import EXIT_PARTIAL, UsageError
from fuite.readable import format_count, format_duration

CaseOpt = Annotated[Path, typer.Option("--case", help="Case folder (encrypted).", show_default=False)]
OperatorOpt = Annotated[str | None, typer.Option("--operator", help="Named operator for the audit trail.")]

notify_app = typer.Typer(help="Notify CNIL (article 33) and every person (article 34).", no_args_is_help=True)
case_app = typer.Typer(help="The case file (case.toml): breach facts, contacts, SMTP.", no_args_is_help=True)


@case_app.command("init")
def case_init(case: CaseOpt,
              force: Annotated[bool, typer.Option("--force", help="Overwrite an existing case.toml.")] = False) -> None:
    """Write a commented case.toml template into the case folder, to edit before notifying."""
    from fuite.store.casefile import write_template

    path = write_template(case, force=force)
    err.print(f"[green]wrote[/] {shown(str(path))}: fill it in; `fuite case check --case {shown(str(case))}` lists "
              "what is still missing",
              highlight=False, soft_wrap=True)


@case_app.command("check")
def case_check(case: CaseOpt) -> None:
    """Check case.toml: an invalid value (named by its key), then every fact missing or left unedited, or ok."""
    from fuite.store.casefile import gaps, load_case_file, processor_gaps

    path = case / "case.toml"
    if not path.exists():
        raise UsageError(f"no case.toml in {case} (run `fuite case init --case {case}`)")
    case_file = load_case_file(path)
    missing = gaps(case_file) + (processor_gaps(case_file) if case_file.processor else [])
    for line in missing:
        err.print(f"[yellow]to fill in:[/] {shown(line)}", highlight=False, soft_wrap=True)
    if missing:
        err.print(f"case.toml: {len(missing)} fact(s) to fill in before notifying", highlight=False)
        raise typer.Exit(1)
    err.print("[green]case.toml ok[/]")


def _formats(value: str) -> tuple[str, ...]:
    from fuite.notify.cnil import FORMATS

    chosen = tuple(f.strip().lower() for f in value.split(",") if f.strip())
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise UsageError(f"--format: choose among {', '.join(FORMATS)}")
    return chosen


@notify_app.command("cnil")
def notify_cnil(
    case: CaseOpt,
    output: Annotated[Path, typer.Option("--output", help="Folder for the draft files.", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", help="Comma-separated: html, pdf, json.")] = "html,pdf,json",
    templates: Annotated[Path | None, typer.Option("--templates", help="Folder of overriding templates.")] = None,
    draft: Annotated[bool, typer.Option("--draft", help="Render for review even while case.toml lacks facts "
                                                       "(marked as a draft).")] = False,
    operator: OperatorOpt = None,
) -> None:
    """Write the notification to CNIL (French), with the 72-hour deadline; counts only, no identifiers.

    With several controllers in case.toml, one draft per controller under OUTPUT/<controller id>/.
    """
    from fuite.notify.stage import cnil_drafts_for_case
    from fuite.notify.cnil import write_cnil_draft
    from fuite.store import open_case
    from fuite.store.edge import case_access

    from fuite.console import tracker

    formats = _formats(fmt)
    paths = []
    with open_case(case, case_access(case), operator=operator) as c, tracker() as bars:
        steps = bars.bar("notify cnil: figures", None, "drafts")
        drafts, unattributed = cnil_drafts_for_case(c, draft=draft)
        steps.total = len(drafts)
        for cid, doc in drafts:
            steps.advance(0, label=f"notify cnil: {'draft ' + cid if cid else 'the draft'} ({', '.join(formats)})")
            paths += write_cnil_draft(doc, output / cid if cid else output, formats,
                                      [p for p in (templates, case / "templates") if p])
            steps.advance()
        c.audit("notify.cnil", records=sum(d["donnees"]["nombre_personnes"] for _, d in drafts),
                detail={"formats": list(formats), "draft": draft, "controllers": len(drafts)})
    doc = drafts[0][1]
    chrono = doc["chronologie"]
    if chrono["delai_depasse"]:
        err.print(f"[red]72-hour deadline passed[/] ({chrono['echeance_72h']}), "
                  f"{format_duration(chrono['heures_de_retard'] * 3600)} late: give the reasons (breach.late_reason)")
    elif chrono["echeance_72h"]:
        err.print(f"72-hour deadline: {chrono['echeance_72h']} "
                  f"({format_duration(chrono['heures_restantes'] * 3600)} left)")
    if unattributed and unattributed["records"]:
        err.print(f"[yellow]warning:[/] {format_count(unattributed['records'])} records held by no controller are in "
                  f"no draft ({format_count(unattributed['persons'])} persons have no other record): see "
                  "`fuite report` (unattributed) and attribute their files in case.toml", highlight=False,
                  soft_wrap=True)
    for cid, d in drafts:
        if d["a_completer"]:
            err.print(f"[yellow]to fill in case.toml{f' ({cid})' if cid else ''}:[/] {', '.join(d['a_completer'])}",
                      highlight=False, soft_wrap=True)
    for path in paths:
        out.print(shown(path))


@notify_app.command("processor")
def notify_processor(
    case: CaseOpt,
    output: Annotated[Path, typer.Option("--output", help="Folder: one sub-folder per controller.",
                                         show_default=False)],
    fmt: Annotated[str, typer.Option("--format", help="Comma-separated: html, pdf, json.")] = "html,pdf,json",
    templates: Annotated[Path | None, typer.Option("--templates", help="Folder of overriding templates.")] = None,
    draft: Annotated[bool, typer.Option("--draft", help="Render for review even while case.toml lacks facts.")] = False,
    operator: OperatorOpt = None,
) -> None:
    """Write the processor's notice to each controller (art. 33(2)), French then English; counts only."""
    from fuite.notify.processor import write_processor_notice
    from fuite.notify.stage import processor_notices_for_case
    from fuite.store import open_case
    from fuite.store.edge import case_access

    formats = _formats(fmt)
    paths = []
    with open_case(case, case_access(case), operator=operator) as c:
        notices = processor_notices_for_case(c, draft=draft)
        for cid, notice in notices:
            paths += write_processor_notice(notice, output / cid, formats,
                                            [p for p in (templates, case / "templates") if p])
        c.audit("notify.processor", records=0, detail={"controllers": len(notices), "formats": list(formats),
                                                       "draft": draft})
    for path in paths:
        out.print(shown(path))


@notify_app.command("persons")
def notify_persons_cmd(
    case: CaseOpt,
    smtp: Annotated[str | None, typer.Option("--smtp", help="smtp://user:pass@host:port or smtps://…")] = None,
    rate: Annotated[float | None, typer.Option("--rate", help="Emails per second (0: no limit).", min=0)] = None,
    connections: Annotated[int | None, typer.Option("--connections", help="Parallel SMTP connections.", min=1,
                                                    max=64)] = None,
    letters: Annotated[Path | None, typer.Option("--letters", help="Write PDF letters here (explicit export).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Render what a real run would send now, send "
                                                           "nothing.")] = False,
    draft: Annotated[bool, typer.Option("--draft", help="Review only: a dry run, allowed while case.toml lacks "
                                                       "facts.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", help="At most N notices this run.", min=0)] = None,
    templates: Annotated[Path | None, typer.Option("--templates", help="Folder of overriding templates.")] = None,
    journal: Annotated[str, typer.Option("--journal", help="maildir:PATH of accepted mail, to settle in-doubt "
                                                         "notices exactly.")] = "",
    in_doubt: Annotated[str, typer.Option("--in-doubt", help="Without a journal: resend (at-least-once) or hold "
                                                           "(at-most-once).")] = "resend",
    resend_held: Annotated[bool, typer.Option("--resend-held", help="Send the held (in-doubt) notices again.")] = False,
    letters_per_pdf: Annotated[int, typer.Option("--letters-per-pdf", help="Letters per PDF file.", min=1)] = 500,
    jobs: Annotated[int, typer.Option("--jobs", help="Processes rendering letter batches.", min=1, max=64)] = 1,
    commit_every: Annotated[int, typer.Option("--commit-every", help="Emails per ledger commit and connection: "
                                              "after a crash, without --journal, at most this many per connection "
                                              "can arrive twice.", min=1, max=1000)] = 25,
    retries: Annotated[int, typer.Option("--retries", help="Attempts per email on temporary errors.", min=1)] = 5,
    backoff: Annotated[float, typer.Option("--backoff", help="Seconds before the first retry (doubles).",
                                           min=0)] = 2.0,
    name_conditions: Annotated[bool, typer.Option("--name-conditions", help="Name the person's own affirmed "
                                                  "sensitive conditions in emails (discreet by default; never to a "
                                                  "shared mailbox).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary of this run as JSON.")] = False,
    operator: OperatorOpt = None,
) -> None:
    """Send each person their notice (email, else a letter), exactly once, recorded in the case's ledger."""
    from fuite.notify.persons import PersonsOptions
    from fuite.notify.stage import notify_persons_for_case
    from fuite.store import open_case
    from fuite.store.edge import case_access

    opts = PersonsOptions(smtp_url=smtp or "", rate=rate, letters_dir=letters, dry_run=dry_run or draft, limit=limit,
                          templates_dir=templates, journal=journal, in_doubt=in_doubt, max_attempts=retries,
                          backoff=backoff, letters_per_pdf=letters_per_pdf, name_conditions=name_conditions,
                          connections=connections, jobs=jobs, resend_held=resend_held, commit_every=commit_every)
    from fuite.console import tracker

    with open_case(case, case_access(case), operator=operator, require_operator=True) as c, tracker() as bars:
        report = notify_persons_for_case(c, opts, progress=bars)
    if as_json:
        print_json(report.to_dict())
    for warning in report.warnings:
        err.print(f"[yellow]warning:[/] {shown(warning)}", highlight=False, soft_wrap=True)
    if dry_run or draft:
        for gap in opts.gaps:
            err.print(f"[yellow]to fill in case.toml:[/] {shown(gap)}", highlight=False, soft_wrap=True)
        would = report.would_send
        err.print(f"dry run: {report.rendered} notices rendered, nothing sent; a real run would now send "
                  f"{would.get('email', 0)} emails and {would.get('letter', 0)} letters (planned: email "
                  f"{report.planned.get('email', 0)}, letter {report.planned.get('letter', 0)}, no usable contact "
                  f"{report.planned.get('none', 0)})", highlight=False, soft_wrap=True)
        return
    if report.letter_files:
        err.print(f"[yellow]warning:[/] {len(report.letter_files)} PDF file(s) written under {shown(str(letters))}: they hold "
                  "names and postal addresses in clear; print them, then delete them", highlight=False, soft_wrap=True)
    settled = ", ".join(f"{k} {v}" for k, v in report.settled.items())
    err.print(f"sent {report.sent}, failed {report.failed}, deferred {report.deferred}, held {report.held}, "
              f"letters {report.letters}" + (f"; in doubt settled: {settled}" if settled else "")
              + (f"; {report.letters_waiting} letters waiting for --letters DIR" if report.letters_waiting else ""),
              highlight=False, soft_wrap=True)
    if report.addresses_beyond_norm:
        err.print(f"[yellow]warning:[/] {format_count(report.addresses_beyond_norm)} letter address(es) do not fit the postal norm "
                  "(6 lines of 38 characters, NF Z10-011): every word was kept; check them before posting",
                  highlight=False, soft_wrap=True)
    if report.undelivered:   # only part done: the documented exit code 1
        err.print(f"error: {format_count(report.undelivered)} notice(s) not delivered this run (hard bounces without a letter, "
                  f"deferred {format_count(report.deferred)}, held {format_count(report.held)}); `fuite notify status` lists them, a rerun "
                  "retries the deferred", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_PARTIAL)


@notify_app.command("preview")
def notify_preview(
    case: CaseOpt,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the sample notices.", show_default=False)],
    synthetic: Annotated[bool, typer.Option("--synthetic", help="Invented persons instead of the case's (reads "
                                                               "only case.toml).")] = False,
    templates: Annotated[Path | None, typer.Option("--templates", help="Folder of overriding templates.")] = None,
    operator: OperatorOpt = None,
) -> None:
    """Render sample notices of every variant (email, letter, minor, shared mailbox, discreet) for sign-off."""
    from fuite.notify.preview import VARIANTS

    if synthetic:
        from fuite.notify.preview import signed_synthetic, synthetic_rows, write_preview
        from fuite.store.casefile import read_case_file

        case_file = read_case_file(case)
        written = write_preview(case_file, signed_synthetic(synthetic_rows(), case_file), out_dir,
                                override_dirs=[p for p in (templates, case / "templates") if p])
    else:
        from fuite.notify.stage import preview_for_case
        from fuite.store import open_case
        from fuite.store.edge import case_access

        with open_case(case, case_access(case), operator=operator, require_operator=True) as c:
            written = preview_for_case(c, out_dir, templates)
    shown = {p.stem for p in written}
    missing = [v for v in VARIANTS if v not in shown and v != "letter"] + (
        [] if "letter" in shown else ["letter"])
    for path in written:
        out.print(str(path), highlight=False, soft_wrap=True)
    if missing:
        err.print(f"[yellow]no person of the case for:[/] {', '.join(missing)} (try --synthetic)", highlight=False,
                  soft_wrap=True)
    if not synthetic:
        err.print("[yellow]warning:[/] the samples hold the sampled persons' data in clear: delete them after review",
                  highlight=False, soft_wrap=True)


@notify_app.command("bounces")
def notify_bounces(
    case: CaseOpt,
    maildir: Annotated[Path, typer.Option("--maildir", help="Maildir of the sender's mailbox (bounces).",
                                          show_default=False)],
    operator: OperatorOpt = None,
) -> None:
    """Read delivery failure reports (DSN) from a Maildir: hard-bounced notices become failed, for a letter."""
    from fuite.notify.bounces import apply_bounces, read_maildir
    from fuite.store import open_case
    from fuite.store.edge import case_access

    bounces = read_maildir(maildir)
    with open_case(case, case_access(case), operator=operator, require_operator=True) as c:
        counts = apply_bounces(c.conn, bounces)
        c.audit("notify.bounces", records=counts["failed"], detail=dict(counts))
    err.print(f"bounce reports about notices: {len(bounces)}; marked failed {counts['failed']}, already failed "
              f"{counts['already_failed']}, temporary {counts['temporary']}, unknown {counts['unknown']}"
              + ("; run `fuite notify persons --letters DIR` to send them letters" if counts["failed"] else ""),
              highlight=False, soft_wrap=True)


@notify_app.command("status")
def notify_status(case: CaseOpt, operator: OperatorOpt = None,
                  as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show how many notices are sent, failed, pending, per channel."""
    from fuite.notify.stage import status_for_case
    from fuite.store import open_case
    from fuite.store.edge import case_access

    with open_case(case, case_access(case), operator=operator) as c:
        status = status_for_case(c)
    if as_json:
        print_json(status)
        return
    table = out.table("channel", "pending", "sending", "sent", "failed", "held", title="Notices to persons")
    for channel, states in status["channels"].items():
        table.add_row(channel, *(format_count(states[s]) for s in ("pending", "sending", "sent", "failed", "held")))
    out.print(table)
    out.print(f"persons: {format_count(status['persons'])}; not yet planned: {format_count(status['not_planned'])}")
    if status.get("controllers"):
        per = out.table("controller", "persons", "reached", "not reached", title="Per controller")
        for c in status["controllers"]:
            per.add_row(c["id"], *(format_count(c[k]) for k in ("persons", "reached", "not_reached")))
        out.print(per)


def register(app: typer.Typer) -> None:
    """Add ``notify`` and ``case``."""
    app.add_typer(notify_app, name="notify")
    from fuite.store.cli import verify

    case_app.command("verify")(verify)
    app.add_typer(case_app, name="case")
