"""Notify every person, exactly once: plan channels, settle in-doubt entries, send, write letters.

Exactly-once, and its limits
----------------------------
Each notice has a ledger entry (:mod:`fuite.notify.ledger`). Before an email is
handed to the SMTP server the entry is committed as ``sending`` with the notice's
deterministic Message-ID; after the server's 250 it is committed as ``sent``. A
crash (even SIGKILL) can therefore only leave entries in ``sending``, and the next
run settles them before sending anything:

- with a **journal** (``--journal maildir:PATH``: a copy of what the mail system
  accepted), each in-doubt Message-ID is looked up: found → ``sent``, not found →
  sent again. No duplicate, nobody missed.
- without one, SMTP gives no way to ask the server. ``--in-doubt resend`` (default)
  sends again: **at-least-once**; at most the notices in flight at the crash (one
  per SMTP connection, ``--connections``) can arrive twice, with the same Message-ID, which most mail
  systems fold into one. ``--in-doubt hold`` marks them ``held`` for an operator:
  **at-most-once**. Missing a person's art. 34 notice is worse than a duplicate,
  hence the default.

Letters: a batch is marked ``sending`` with its file name, the PDF is written
atomically, then the batch is marked ``sent``. In-doubt letters whose batch file
exists are ``sent``; otherwise they are written again.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import queue
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from fuite.errors import NotifyError, UsageError
from fuite.notify import ledger
from fuite.store.casefile import CaseFile
from fuite.notify.journal import open_journal
from fuite.notify.letters import (batch_manifest, count_pages, has_postal_address, postcode_order, render_letters_pdf,
                                  write_private)
from fuite.notify.notice import NoticeRenderer, usable_email
from fuite.notify.postal import fits_norm, postal_lines
from fuite.notify.smtp import (InDoubt, PermanentFailure, ServerFailure, SmtpConfig, SmtpSender, TemporaryFailure,
                               Throttle)

__all__ = ["PersonsOptions", "PersonsReport", "notify_persons", "plan_channels", "shared_mailboxes", "notice_secret", "EMAIL",
           "LETTER", "NONE"]

EMAIL, LETTER, NONE = "email", "letter", "none"

_COLUMNS = ("person_id", "last_name", "first_name", "birth_date", "nir", "email", "emails", "phone", "street",
            "postal_code", "city", "categories", "health", "hiv", "conditions", "labs", "controllers",
            # a complementary round (fuite.notify.stage): what is new for the person, and when they were first told
            "complement_kind", "new_categories", "new_conditions", "new_health", "first_notice")


@dataclass
class PersonsOptions:
    smtp_url: str = ""
    rate: float | None = None          # per second; None: from case.toml; 0: no limit
    letters_dir: Path | None = None
    dry_run: bool = False
    limit: int | None = None
    templates_dir: Path | None = None
    journal: str = ""
    in_doubt: str = "resend"           # resend (at-least-once) / hold (at-most-once)
    max_attempts: int = 5
    backoff: float = 2.0               # seconds before the first retry; doubles each time
    letters_per_pdf: int = 500
    name_conditions: bool = True
    connections: int | None = None     # parallel SMTP connections; None: from case.toml (default 1)
    jobs: int = 1                      # processes rendering letter batches
    commit_every: int = 25             # emails per ledger commit group and connection (the in-flight window)
    resend_held: bool = False          # an operator checked the held notices: send them again
    round: int = 1                     # the notice round (1: initial; later: complementary, its own ledger)
    gaps: list[str] = field(default_factory=list)   # case-file facts still missing (a dry run says them)


@dataclass
class PersonsReport:
    """What one run did; counts only."""

    planned: dict[str, int] = field(default_factory=dict)
    rendered: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    held: int = 0
    letters: int = 0
    letter_pages: int = 0
    would_send: dict[str, int] = field(default_factory=dict)   # a dry run: what a real run would send now
    letter_files: list[str] = field(default_factory=list)
    settled: dict[str, int] = field(default_factory=dict)   # in-doubt entries settled at start, by outcome
    letters_waiting: int = 0
    undelivered: int = 0        # notices of this run not delivered: deferred, held, bounced without a letter
    addresses_beyond_norm: int = 0   # letters whose address block could not fit NF Z10-011 (every word kept)
    warnings: list[str] = field(default_factory=list)
    failed_ids: set[int] = field(default_factory=set)   # hard bounces of this run (internal ids, not reported)
    rounds: list[dict] = field(default_factory=list)   # per notice round: round, persons, handled

    def to_dict(self) -> dict:
        skip = ("letter_files", "warnings", "failed_ids", "rounds")
        return {k: v for k, v in self.__dict__.items() if k not in skip} | {"letter_files": len(self.letter_files),
                                                                              "rounds": list(self.rounds)}


def notice_secret(case) -> bytes:
    """The case's secret for Message-IDs (created once, kept in the encrypted case)."""
    value = case.meta_get("notify.secret", None)
    if not value:
        value = secrets.token_hex(32)
        case.meta_set("notify.secret", value)
    return bytes.fromhex(value)


def _rows(persons: pa.Table) -> Iterator[dict]:
    cols = [c for c in _COLUMNS if c in persons.column_names]
    for batch in persons.select(cols).to_batches(max_chunksize=10_000):
        yield from batch.to_pylist()


def _email_of(row: dict) -> str | None:
    for candidate in [row.get("email"), *((row.get("emails") or "").split(";"))]:
        good = usable_email(candidate)
        if good:
            return good
    return None


@dataclass
class _Channels:
    """What one pass over the persons finds: each one's channel, email address, and the shared mailboxes."""

    plan: dict[int, str] = field(default_factory=dict)
    addresses: dict[int, str] = field(default_factory=dict)
    shared: set[str] = field(default_factory=set)


def _channels(persons: pa.Table) -> _Channels:
    found, seen = _Channels(), set()
    for row in _rows(persons):
        pid, address = row["person_id"], _email_of(row)
        if address:
            found.plan[pid], found.addresses[pid] = EMAIL, address
            key = address.lower()
            (found.shared if key in seen else seen).add(key)
        else:
            found.plan[pid] = LETTER if has_postal_address(row) else NONE
    return found


def shared_mailboxes(persons: pa.Table) -> set[str]:
    """Addresses that reach more than one person (a family's mailbox): their notices name no condition."""
    return _channels(persons).shared


def plan_channels(persons: pa.Table) -> dict[int, str]:
    """``person_id → email | letter | none``: email when usable, else a letter when the address is complete."""
    return _channels(persons).plan


def _settle_in_doubt(conn, opts: PersonsOptions, journal, report: PersonsReport) -> None:
    for pid, mid, _batch, _ in ledger.in_state(conn, EMAIL, "sending"):
        if journal is not None:
            outcome = "sent" if mid and mid in journal else "pending"
        else:
            outcome = "pending" if opts.in_doubt == "resend" else "held"
        ledger.mark(conn, pid, EMAIL, outcome, commit=False,
                    error=None if outcome == "sent" else "in doubt after an interruption")
        report.settled[outcome] = report.settled.get(outcome, 0) + 1
    for pid, _mid, batch, _ in ledger.in_state(conn, LETTER, "sending"):
        done = bool(batch and opts.letters_dir and (Path(opts.letters_dir) / batch).is_file())
        outcome = "sent" if done else "pending"
        ledger.mark(conn, pid, LETTER, outcome, commit=False)
        report.settled[f"letter_{outcome}"] = report.settled.get(f"letter_{outcome}", 0) + 1
    if conn.in_transaction:
        conn.commit()


class FailureStreak:
    """Identical hard failures in a row say more about the server than about the recipients.

    ``limit`` identical refusals in a row (``first_limit`` before any success: a relay refusing every
    recipient) stop the run; the notices of the streak go back to ``pending``. Shared by the connections.
    """

    def __init__(self, limit: int = 25, first_limit: int = 5):
        self.limit, self.first_limit = limit, first_limit
        self.code, self.pids, self.successes = "", [], 0
        self.undo: list[int] = []   # set when the run must stop: the notices to put back to pending

    def success(self) -> None:
        self.code, self.pids = "", []
        self.successes += 1

    def failure(self, pid: int, code: str) -> list[int] | None:
        """Record one hard failure; the pids to put back to pending when the run must stop, else None."""
        if code != self.code:
            self.code, self.pids = code, []
        self.pids.append(pid)
        if len(self.pids) >= (self.limit if self.successes else self.first_limit):
            self.undo = list(self.pids)
            return self.undo
        return None


class _Mailer:
    """Sends the notices of one SMTP connection, a group at a time, keeping the ledger in step.

    A group of up to ``commit_every`` notices is committed ``sending`` (with its Message-IDs) before the
    first of them is handed over; their outcomes are committed together with the next group's ``sending``
    (:meth:`flush` commits the last group's): one commit per group instead of two per notice, and still at
    most one group per connection in doubt at any moment. Several mailers share the ledger connection
    through ``lock``.
    """

    def __init__(self, conn, lock: threading.Lock, sender: SmtpSender, renderer: NoticeRenderer,
                 opts: PersonsOptions, journal, throttle: Throttle, sleep: Callable[[float], None] = time.sleep,
                 streak: FailureStreak | None = None):
        self.conn, self.lock, self.sender, self.renderer, self.opts = conn, lock, sender, renderer, opts
        self.journal, self.throttle, self.sleep = journal, throttle, sleep
        self.streak = streak or FailureStreak()
        self.unrecorded: list[tuple[int, str, str | None, int]] = []   # the last group's outcomes, not committed

    def flush(self) -> None:
        """Commit the outcomes not committed yet (then put a stopping streak back to pending)."""
        with self.lock:
            ledger.record(self.conn, self.unrecorded, EMAIL)
            self.unrecorded = []
            undo = self.streak.undo
            if undo:   # a streak of identical refusals: the server's fault, nobody is marked failed
                ledger.mark_many(self.conn, undo, EMAIL, "pending")

    def _delivered(self, mid: str) -> bool:
        with self.lock:
            return mid in self.journal

    def _eight_bit(self) -> bool:
        """The server offers 8BITMIME (connecting first if need be; unknown until connected: no)."""
        if self.sender.conn is None:
            try:
                self.sender.open()
            except TemporaryFailure:
                return False   # the attempt loop meets the same failure and retries
        return self.sender.eight_bit

    def send_group(self, rows: list[dict], stop: Callable[[], bool],
                   done: Callable[[int, str], None] = lambda pid, state: None) -> list[str]:
        """Deliver a group of notices; return each one's final state (sent / failed / pending / held).

        ``stop()`` true (another connection failed): the notices not yet handed over go back to pending.
        ``done(pid, state)`` is called as each notice is settled (its state is committed with the group).
        """
        eight_bit = self._eight_bit()
        messages = [self.renderer.email(row, row["_address"], eight_bit=eight_bit) for row in rows]
        pids = [row["person_id"] for row in rows]
        with self.lock:   # committed before the first DATA (a crash leaves each of them "sending"), with the
            ledger.mark_sending(self.conn, zip(pids, (mid for mid, _ in messages), strict=True), EMAIL,
                                settled=self.unrecorded)   # previous group's outcomes
            self.unrecorded = []
        outcomes: list[tuple[int, str, str | None, int]] = []
        finished = False
        try:
            for k, (row, (mid, data)) in enumerate(zip(rows, messages, strict=True)):
                if stop():
                    outcomes += [(p, "pending", None, 0) for p in pids[k:]]
                    break
                outcomes.append(self._send(row, mid, data, eight_bit))
                done(*outcomes[-1][:2])
            finished = True
        except NotifyError:   # the server refused the session or cannot be reached: nothing was handed over
            outcomes += [(p, "pending", None, 0) for p in pids[len(outcomes):]]
            raise
        except BaseException:   # anything else: the notice being sent stays in doubt, the rest were not sent
            outcomes += [(p, "pending", None, 0) for p in pids[len(outcomes) + 1:]]
            raise
        finally:
            self.unrecorded = outcomes
            if not finished or stop():   # stopping: commit now
                self.flush()
        return [state for _, state, _, _ in outcomes]

    def _send(self, row: dict, mid: str, data: bytes, eight_bit: bool) -> tuple[int, str, str | None, int]:
        """One notice with retries: ``(person_id, state, error, extra attempts)``; the ledger says ``sending``."""
        pid, address = row["person_id"], row["_address"]
        last = ""
        for attempt in range(self.opts.max_attempts):
            if attempt:
                self.sleep(self.opts.backoff * 2 ** (attempt - 1))
            self.throttle.wait()
            try:
                self.sender.send(self.renderer.sender_of(row)[1], address, data, eight_bit=eight_bit)
            except ServerFailure:
                raise
            except PermanentFailure as exc:
                with self.lock:
                    undo = self.streak.failure(pid, exc.code)
                if undo:
                    raise ServerFailure(f"{exc.code} for {len(undo)} recipients in a row") from None
                return pid, "failed", exc.code, attempt
            except TemporaryFailure as exc:
                last = exc.code
                continue
            except InDoubt:
                error = "connection lost during DATA"
                if self.journal is not None:
                    self.sleep(0.2)
                    if self._delivered(mid):
                        return pid, "sent", None, attempt
                elif self.opts.in_doubt == "hold":
                    return pid, "held", error, attempt
                last = error
                continue
            with self.lock:
                self.streak.success()
            return pid, "sent", None, attempt
        if last.startswith("connect"):   # the server itself is unreachable: stop the run, not just this notice
            raise NotifyError(f"cannot reach the SMTP server ({last.split(': ', 1)[-1]}); nothing is lost, rerun later")
        return pid, "pending", last or None, self.opts.max_attempts - 1


def notify_persons(conn, persons: pa.Table, case_file: CaseFile, opts: PersonsOptions, *, secret: bytes,
                   case_dir: Path | None = None, progress: Callable[..., None] | None = None,
                   sleep: Callable[[float], None] = time.sleep) -> PersonsReport:
    """Notify the persons of one case; the ledger lives in ``conn`` (the case's connection), one per round.

    ``progress(channel, done)`` after each notice; ``progress(channel, 0, total)`` first, with the channel's total.
    """
    with ledger.round_scope(opts.round):
        return _notify_round(conn, persons, case_file, opts, secret=secret, case_dir=case_dir, progress=progress,
                             sleep=sleep)


def _notify_round(conn, persons: pa.Table, case_file: CaseFile, opts: PersonsOptions, *, secret: bytes,
                  case_dir: Path | None, progress, sleep) -> PersonsReport:
    if opts.in_doubt not in ("resend", "hold"):
        raise UsageError("--in-doubt must be resend or hold")
    overrides = [d for d in (opts.templates_dir, case_dir / "templates" if case_dir else None) if d]
    if opts.templates_dir and not Path(opts.templates_dir).is_dir():
        raise UsageError("--templates: no such folder")
    report = PersonsReport()
    sender = case_file.smtp.sender
    if opts.dry_run and not sender:   # a dry run still renders every notice, and says what is missing
        sender = "notices@fuite.invalid"
        report.warnings.append("no sender address (smtp.from in case.toml): needed before sending")
    renderer = NoticeRenderer(case_file, overrides, secret=secret, sender=sender,
                              name_conditions=opts.name_conditions, round_no=opts.round)
    channels = _channels(persons)
    plan = channels.plan
    for channel in (EMAIL, LETTER, NONE):
        report.planned[channel] = sum(1 for c in plan.values() if c == channel)
    # without --limit, no budget: a hard-bounced email still leaves room for that person's letter in the same run
    budget = opts.limit if opts.limit is not None else 2 * len(plan)

    if opts.dry_run:
        _dry_run(conn, persons, channels, renderer, overrides, opts, budget, report)
        return report

    ledger.ensure(conn)
    ledger.seed(conn, [p for p, c in plan.items() if c == EMAIL], EMAIL)
    ledger.seed(conn, [p for p, c in plan.items() if c == LETTER], LETTER)
    unreachable = [p for p, c in plan.items() if c == NONE]
    if ledger.seed(conn, unreachable, NONE):
        ledger.mark_many(conn, unreachable, NONE, "failed")
    journal = open_journal(opts.journal)
    _settle_in_doubt(conn, opts, journal, report)
    if opts.resend_held:
        held = [pid for pid, *_ in ledger.in_state(conn, EMAIL, "held")]
        ledger.mark_many(conn, held, EMAIL, "pending")
        report.settled["released"] = len(held)

    to_email = {pid for pid, *_ in ledger.in_state(conn, EMAIL, "pending")}
    if to_email and budget > 0:
        budget -= _send_emails(conn, persons, channels, case_file, opts, renderer, journal, to_email, budget,
                               report, progress, sleep)
    # hard bounces with a postal address go to the letter queue
    bounced = {pid for pid, *_ in ledger.in_state(conn, EMAIL, "failed")}
    if bounced:
        ledger.seed(conn, [r["person_id"] for r in _rows(persons)
                           if r["person_id"] in bounced and has_postal_address(r)], LETTER)
    to_letter = {pid for pid, *_ in ledger.in_state(conn, LETTER, "pending")}
    if to_letter and opts.letters_dir and budget > 0:
        _write_letters(conn, persons, opts, renderer, overrides, to_letter, budget, report, progress)
    elif to_letter:
        report.letters_waiting = len(to_letter)
    lettered = {pid for pid, *_ in ledger.in_state(conn, LETTER, "sent")} if report.failed_ids else set()
    report.undelivered = report.deferred + report.held + len(report.failed_ids - lettered)
    return report


def _would_send(conn, plan: dict[int, str], rows: Iterator[dict]) -> Iterator[tuple[str, dict]]:
    """``(channel, row)`` of every notice a real run would send now, from the ledger (nothing written)."""
    states: dict[tuple[int, str], str] = {}
    table = ledger.table_for(ledger.current_round())
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    if exists:
        states = {(pid, ch): st for pid, ch, st in conn.execute(f"SELECT person_id, channel, state FROM {table}")}
    for row in rows:
        pid, channel = row["person_id"], plan[row["person_id"]]
        if channel == EMAIL:
            state = states.get((pid, EMAIL), "pending")
            if state in ("pending", "sending"):
                yield EMAIL, row
                continue
            if state != "failed" or not has_postal_address(row):
                continue
            channel = LETTER   # a hard bounce with a postal address gets a letter
        if channel == LETTER and states.get((pid, LETTER), "pending") in ("pending", "sending"):
            yield LETTER, row


def _dry_run(conn, persons, channels: _Channels, renderer, overrides, opts, budget, report) -> None:
    """Render exactly what a real run would send now, as the real run renders it (letters by batch in
    postcode order, on ``--jobs`` processes); nothing is sent, written or committed."""
    letters: list[dict] = []
    counts = {EMAIL: 0, LETTER: 0}
    for channel, row in _would_send(conn, channels.plan, _rows(persons)):
        if report.rendered >= budget:
            break
        if channel == EMAIL:
            address = channels.addresses[row["person_id"]]
            row["shared_mailbox"] = address.lower() in channels.shared
            renderer.email(row, address, eight_bit=True)   # as sent to a server offering 8BITMIME
        else:
            letters.append(row)
        counts[channel] += 1
        report.rendered += 1
    if letters:
        letters.sort(key=postcode_order)
        report.addresses_beyond_norm += sum(not fits_norm(postal_lines(r)) for r in letters)
        size = max(1, opts.letters_per_pdf)
        chunks = [letters[k:k + size] for k in range(0, len(letters), size)]
        args = (renderer.case_file, overrides, renderer.name_conditions)

        def rendered(_path, _rows, produce) -> None:
            report.letter_pages += produce()

        _render_batches(args, [(None, chunk) for chunk in chunks], opts.jobs, lambda path, rows: None, rendered)
    report.would_send = counts


def _letter_pool(jobs: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))


def _render_batches(args: tuple, batches: list[tuple[Path | None, list[dict]]], jobs: int,
                    start: Callable[[Path | None, list[dict]], None],
                    finish: Callable[[Path | None, list[dict], Callable[[], int]], None]) -> None:
    """Render letter batches ``(path, rows)`` (``path`` None: render only) in this process and ``jobs - 1``
    worker processes, each taking the next batch as it frees up (this process is warm: no second start-up).

    ``start(path, rows)`` runs before a batch is handed to a renderer; ``finish(path, rows, produce)`` after,
    where ``produce()`` returns the batch's pages or raises what rendering raised.
    """
    pending = deque(batches)
    pool = _letter_pool(jobs - 1) if jobs > 1 and len(batches) > 1 else None
    inflight: dict = {}
    try:
        while pending or inflight:
            for future in [f for f in inflight if f.done()]:
                finish(*inflight.pop(future), future.result)
            while pool is not None and pending and len(inflight) < 2 * (jobs - 1):
                path, rows = pending.popleft()
                start(path, rows)
                inflight[pool.submit(_letter_batch, *args, rows, path)] = (path, rows)
            if pending:
                path, rows = pending.popleft()
                start(path, rows)
                finish(path, rows, functools.partial(_letter_batch, *args, rows, path))
            elif inflight:
                wait(inflight, return_when=FIRST_COMPLETED)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _send_emails(conn, persons, channels: _Channels, case_file, opts, renderer, journal, targets, budget, report,
                 progress, sleep) -> int:
    url = opts.smtp_url or case_file.smtp.url
    if not url:
        raise UsageError("no SMTP server: give --smtp URL or set smtp.url in case.toml")
    config = SmtpConfig.from_url(url)
    rate = opts.rate if opts.rate is not None else case_file.smtp.rate
    workers = max(1, opts.connections or case_file.smtp.connections)
    # groups small enough to keep every connection busy on a short run
    group = max(1, min(opts.commit_every, -(-min(len(targets), budget) // workers)))
    work: queue.Queue = queue.Queue(maxsize=2 * workers)   # groups of rows stream in: memory stays flat
    lock, throttle, streak = threading.Lock(), Throttle(rate), FailureStreak()
    tally = {"done": 0}
    errors: list[BaseException] = []
    stop = object()

    def settled(pid: int, state: str) -> None:
        with lock:
            tally["done"] += 1
            if state == "failed":
                report.failed_ids.add(pid)
            name = {"sent": "sent", "failed": "failed", "held": "held"}.get(state, "deferred")
            setattr(report, name, getattr(report, name) + 1)
            if progress:
                progress(EMAIL, tally["done"])

    def worker() -> None:
        try:
            with SmtpSender(config) as sender:
                mailer = _Mailer(conn, lock, sender, renderer, opts, journal, throttle, sleep, streak)
                try:
                    while (rows := work.get()) is not stop:
                        if errors:
                            continue   # drain without sending once a worker has failed
                        mailer.send_group(rows, lambda: bool(errors), settled)
                finally:
                    mailer.flush()
        except BaseException as exc:   # re-raised in the calling thread
            errors.append(exc)
            while work.get() is not stop:   # keep the producer unblocked
                pass

    if progress:
        progress(EMAIL, 0, min(len(targets), budget))   # the bar's total, before any notice is done
    threads = [threading.Thread(target=worker, name=f"smtp-{k}", daemon=True) for k in range(workers)]
    for t in threads:
        t.start()
    queued, chunk = 0, []
    for row in _rows(persons):
        if queued >= budget or errors:
            break
        if row["person_id"] in targets and row["person_id"] in channels.addresses:
            row["_address"] = channels.addresses[row["person_id"]]
            row["shared_mailbox"] = row["_address"].lower() in channels.shared
            chunk.append(row)
            queued += 1
            if len(chunk) >= group:
                work.put(chunk)
                chunk = []
    if chunk and not errors:
        work.put(chunk)
    for _ in threads:
        work.put(stop)
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return tally["done"]


@functools.lru_cache(maxsize=2)
def _batch_renderer(case_file: CaseFile, overrides: tuple[Path, ...], name_conditions: bool) -> NoticeRenderer:
    return NoticeRenderer(case_file, list(overrides), name_conditions=name_conditions)


def _letter_batch(case_file: CaseFile, overrides: list[Path], name_conditions: bool, rows: list[dict],
                  path: Path | None) -> int:
    """Render one batch and write it with its manifest (``path`` None: a dry run, nothing written); return its
    pages (in a worker process when ``--jobs`` > 1)."""
    renderer = _batch_renderer(case_file, tuple(overrides), name_conditions)
    pdf = render_letters_pdf(renderer, rows, override_dirs=overrides)
    pages = count_pages(pdf)
    if path is None:
        return pages
    write_private(path, pdf)
    manifest = batch_manifest(path.name, rows, pages)
    write_private(path.with_suffix(".manifest.json"), json.dumps(manifest, indent=2).encode() + b"\n")
    return pages


def _write_letters(conn, persons, opts, renderer, overrides, targets, budget, report, progress) -> None:
    folder = Path(opts.letters_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + (f"-r{opts.round}" if opts.round > 1 else "")
    rows = sorted((r for r in _rows(persons) if r["person_id"] in targets), key=postcode_order)[:budget]
    report.addresses_beyond_norm += sum(not fits_norm(postal_lines(r)) for r in rows)
    size = max(1, opts.letters_per_pdf)
    batches = [(f"letters-{stamp}{f'-{signer}' if signer else ''}-{k // size + 1:04d}.pdf", group[k:k + size])
               for signer, group in _by_signer(renderer.case_file, rows) for k in range(0, len(group), size)]
    if progress:
        progress(LETTER, 0, len(rows))
    args = (renderer.case_file, overrides, renderer.name_conditions)

    def start(path: Path, chunk: list[dict]) -> None:   # each batch is marked sending before its file is written
        ledger.mark_many(conn, [r["person_id"] for r in chunk], LETTER, "sending", batch=path.name, attempt=True)

    def finish(path: Path, chunk: list[dict], produce) -> None:
        _finish_batch(conn, folder, path.name, chunk, produce, report, progress)

    _render_batches(args, [(folder / name, chunk) for name, chunk in batches], opts.jobs, start, finish)


def _by_signer(case_file: CaseFile, rows: list[dict]) -> list[tuple[str, list[dict]]]:
    """``(signer id, rows)`` in case-file order, rows kept in postcode order: each controller's letters in
    batches of their own (its letterhead, its envelopes); ``[("", rows)]`` in a case of one controller."""
    if not case_file.many:
        return [("", rows)]
    groups: dict[str, list[dict]] = {c.id: [] for c in case_file.controllers}
    for row in rows:
        groups[case_file.signer([c for c in (row.get("controllers") or "").split(";") if c]).id].append(row)
    return [(cid, group) for cid, group in groups.items() if group]


def _finish_batch(conn, folder, name, chunk, produce, report, progress) -> None:
    ids = [r["person_id"] for r in chunk]
    try:
        pages = produce()
    except OSError as exc:
        ledger.mark_many(conn, ids, LETTER, "pending")
        raise NotifyError(f"letters: cannot write {name} ({type(exc).__name__})") from None
    ledger.mark_many(conn, ids, LETTER, "sent")
    report.letters += len(chunk)
    report.letter_pages += pages
    report.letter_files.append(name)
    if progress:
        progress(LETTER, report.letters)
