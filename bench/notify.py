"""Benchmark: person notices: print-ready letters and emails to a local SMTP sink, per second, and the time
for every notice of a drill, side by side with the peers.

    python bench/notify.py [--case DIR] [--sample N] [--letters 2000] [--jobs 1 2] [--persons 20000]
                           [--connections 4] [--sink auto] [--sink-processes 4] [--baseline 500] [--weasyprint 40]
                           [--full]

- **Letters**: ``notify_persons --letters`` (typst, duplex-safe batches of 500 with manifests, ledger) at each
  ``--jobs``; beside it WeasyPrint rendering the same notices' HTML to one PDF (the peer; one process).
- **Emails**: ``notify_persons`` on a fresh encrypted case (SQLCipher ledger committed by groups, text + HTML,
  French + English) at each ``--connections`` to a loopback sink: Postfix's ``smtp-sink`` when installed
  (``--sink``), else aiosmtpd (``--sink-processes`` processes on one port, uvloop); beside it a naive mail-merge script (``EmailMessage`` + ``smtplib``, a new connection
  per message, text only, no ledger).
- **Every notice of the drill**: with ``--case DIR`` (a scanned drill, e.g. ``fuite synth --persons 491840`` then
  ``fuite scan``; key in FUITE_KEY) the letters and emails are the case's own (a copy: its ledger is not touched),
  ``--sample N`` of each (0: all). The time for all of them is derived from the measured rates, for fuite and for
  the peers; ``--full`` measures it instead, sending every email and writing every letter of the case.

Targets: letters ≥ 300/s at ``--jobs 2``, emails ≥ 1,000/s at 4 connections (issues 15 and 16). Synthetic data only.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import smtplib
import socket
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import pyarrow as pa


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sink(port: int, ready, stop, counts) -> None:
    """One aiosmtpd process; several share the port (SO_REUSEPORT) and the kernel spreads connections."""
    import asyncio

    from aiosmtpd.smtp import SMTP

    accepted = [0]

    class Counter:
        """Counts what it accepted and keeps nothing; offers PIPELINING (RFC 2920), which aiosmtpd serves (it
        reads commands in order from one stream) without saying so itself."""

        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            session.host_name = hostname
            return responses[:-1] + ["250-PIPELINING"] + responses[-1:]

        async def handle_DATA(self, server, session, envelope):
            accepted[0] += len(envelope.rcpt_tos)
            return "250 OK"

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        cpu = time.process_time()
        server = await loop.create_server(lambda: SMTP(Counter(), hostname="sink"), "127.0.0.1", port,
                                          reuse_port=True)
        ready.set()
        await loop.run_in_executor(None, stop.wait)
        server.close()
        counts.put((accepted[0], time.process_time() - cpu))

    try:   # the sink is the apparatus, not what is measured: the fastest event loop at hand
        import uvloop
    except ImportError:
        asyncio.run(serve())
    else:
        uvloop.run(serve())


def smtp_sink_command() -> str | None:
    """Postfix's ``smtp-sink`` (Debian ``postfix``, installed by install.sh without configuring a mail server)."""
    import shutil

    return shutil.which("smtp-sink") or next((p for p in ("/usr/sbin/smtp-sink",) if os.access(p, os.X_OK)), None)


class Sink:
    """The SMTP sink, in processes of its own (none shares the sender's GIL).

    ``kind``: ``smtp-sink`` (Postfix's test server, written for this: about 0.1 ms of CPU per message), or
    ``aiosmtpd`` (``processes`` processes on one loopback port, about 1 ms per message: on two cores the sink
    then takes a core's worth from the sender it measures); ``auto`` takes smtp-sink when it is installed.
    ``received`` (messages accepted) and ``cpu`` (the sink's own CPU seconds) are set on exit.
    """

    def __init__(self, processes: int = 1, kind: str = "auto"):
        self.processes = processes
        self.kind = ("smtp-sink" if smtp_sink_command() else "aiosmtpd") if kind == "auto" else kind

    def __enter__(self):
        self.port = _free_port()
        if self.kind == "smtp-sink":
            return self._start_postfix()
        self.stop, self.counts = mp.Event(), mp.Queue()
        self.procs = []
        for _ in range(self.processes):
            ready = mp.Event()
            proc = mp.Process(target=_sink, args=(self.port, ready, self.stop, self.counts), daemon=True)
            proc.start()
            ready.wait(30)
            self.procs.append(proc)
        return self

    def _start_postfix(self):
        import getpass
        import subprocess

        command = smtp_sink_command()
        if command is None:
            raise SystemExit("bench: --sink smtp-sink needs Postfix's smtp-sink (bash install.sh installs it)")
        self.counter = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([command, "-c", "-u", getpass.getuser(), f"127.0.0.1:{self.port}", "256"],
                                     stdout=self.counter, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:   # ready when it accepts a connection
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise SystemExit("bench: smtp-sink did not start")

    def _stop_postfix(self) -> None:
        with open(f"/proc/{self.proc.pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        self.cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")   # utime + stime
        self.proc.terminate()
        self.proc.wait(30)
        self.counter.seek(0)
        counts = self.counter.read().decode("ascii", "replace").split("mesg=")
        self.received = int(counts[-1].split()[0]) if len(counts) > 1 else 0
        self.counter.close()

    def __exit__(self, *exc):
        if self.kind == "smtp-sink":
            return self._stop_postfix()
        self.stop.set()
        results = [self.counts.get(timeout=30) for _ in self.procs]
        self.received = sum(n for n, _ in results)
        self.cpu = sum(c for _, c in results)
        for proc in self.procs:
            proc.join(30)


def _persons(n: int) -> pa.Table:
    from fuite.schema import PERSON_SCHEMA

    extra = ["blood_group", "medication", "nir", "insurer_name", "phone", "health_note"]
    rows = {f.name: [] for f in PERSON_SCHEMA}
    for i in range(n):
        cat = extra[i % len(extra)]
        row = dict(person_id=i, records=1, last_name=f"Nom{i}", first_name=f"Prénom{i}", email=f"p{i}@example.org",
                   birth_date="1970-01-01", categories=f"last_name;first_name;birth_date;email;{cat}",
                   health=cat in ("blood_group", "medication", "health_note"), hiv=i % 50 == 0,
                   conditions="hiv" if i % 50 == 0 else None)
        for f in PERSON_SCHEMA:
            rows[f.name].append(row.get(f.name))
    return pa.table(rows, schema=PERSON_SCHEMA)


def _case_toml() -> str:
    """The template with the facts a notice needs (fictional controller, reserved .test domain)."""
    from fuite.store.casefile import TEMPLATE

    return (TEMPLATE.replace('discovered_at = ""', "discovered_at = 2026-03-02T10:15:00+01:00")
            .replace('name = ""\naddress = ""', 'name = "Laboratoire Bench"\naddress = "1 quai du Banc, 35000 Rennes"', 1)
            .replace('measures_taken = []', 'measures_taken = ["Accès réinitialisés", "Plainte déposée"]')
            .replace('measures_taken_en = []', 'measures_taken_en = ["Access reset", "Complaint filed"]')
            .replace('[contact]\n# Where persons can get help: printed in every notice.\nphone = ""',
                     '[contact]\nphone = "02 99 00 00 00"')
            .replace('from = ""', 'from = "Laboratoire Bench <notices@bench.test>"'))


def _letter_rows(n: int) -> list[dict]:
    """Letters shaped like the drill's: a mix of short and long notices, a few with conditions."""
    extras = ["blood_group", "medication;health_note", "nir;insurer_name;insurer_id", "phone;sample_date",
              "physician_name;lab_id;sample_date", "nir;blood_group;medication;health_note;insurer_name"]
    rows = []
    for i in range(n):
        rows.append(dict(person_id=i, records=1, last_name=f"NOM{i}", first_name=f"Prénom{i}", birth_date="1970-01-01",
                         street=f"{i % 200 + 1} avenue de la République", postal_code=f"{(i * 7919) % 95000 + 1000:05d}",
                         city="Saint-Étienne", nir="1" if i % 3 == 0 else None,
                         categories="last_name;first_name;birth_date;street_address;postal_code;city;" + extras[i % 6],
                         health=i % 6 != 3, hiv=i % 40 == 0, conditions="hiv" if i % 40 == 0 else None))
    return rows


def _fresh_case(tmp: str):
    from fuite.store import open_case
    from fuite.store.edge import case_access

    case_dir = Path(tmp) / "case"
    case = open_case(case_dir, case_access(case_dir), create=True)
    (case_dir / "case.toml").write_text(_case_toml(), encoding="utf-8")
    return case_dir, case


def _run(persons: pa.Table, **options) -> tuple[float, object]:
    """Seconds (wall) of one ``notify_persons`` over ``persons`` on a fresh encrypted case; and its report."""
    from fuite.notify.persons import PersonsOptions, notice_secret, notify_persons
    from fuite.store.casefile import read_case_file

    with tempfile.TemporaryDirectory() as tmp:
        case_dir, case = _fresh_case(tmp)
        with case:
            if "letters_dir" in options:
                options["letters_dir"] = Path(tmp) / "letters"
            opts = PersonsOptions(rate=0, **options)
            start = time.perf_counter()
            report = notify_persons(case.conn, persons, read_case_file(case_dir), opts, secret=notice_secret(case),
                                    case_dir=case_dir)
            return time.perf_counter() - start, report


def _table(rows: list[dict]) -> pa.Table:
    from fuite.schema import PERSON_SCHEMA

    return pa.Table.from_pylist([{f.name: r.get(f.name) for f in PERSON_SCHEMA} for r in rows], schema=PERSON_SCHEMA)


def bench_letters(rows: list[dict], jobs: int) -> tuple[float, int]:
    """Letters per second (wall) through ``notify_persons --letters`` on a real case; and the pages written."""
    elapsed, report = _run(_table(rows), letters_dir=True, jobs=jobs)
    assert report.letters == len(rows), report
    return len(rows) / elapsed, report.letter_pages


def bench_weasyprint(rows: list[dict]) -> float:
    """The peer: WeasyPrint rendering the same notices (their HTML, one per page run) to one PDF."""
    import tomllib

    from weasyprint import HTML

    from fuite.notify.notice import NoticeRenderer
    from fuite.store.casefile import parse_case_file

    renderer = NoticeRenderer(parse_case_file(tomllib.loads(_case_toml())))
    start = time.perf_counter()
    pages = [renderer.render(r).html.split("<body", 1)[1].split(">", 1)[1].rsplit("</body>", 1)[0] for r in rows]
    HTML(string="".join(f'<div style="page-break-before: always">{p}</div>' for p in pages)).write_pdf()
    return len(rows) / (time.perf_counter() - start)


def _case_sets(case_dir: Path) -> tuple[pa.Table, list[dict], pa.Table]:
    """A scanned case's persons: those a notice goes to by email (a table), by letter (rows), and all of them."""
    from fuite.notify.persons import EMAIL, LETTER, _rows, plan_channels
    from fuite.notify.stage import _named_persons
    from fuite.store import open_case
    from fuite.store.edge import case_access

    with open_case(case_dir, case_access(case_dir)) as case:
        persons = _named_persons(case)
    plan = plan_channels(persons)
    ids = pa.array([plan[p] == EMAIL for p in persons["person_id"].to_pylist()])
    letters = [r for r in _rows(persons) if plan[r["person_id"]] == LETTER]
    return persons.filter(ids), letters, persons


def bench_fuite(persons: pa.Table, port: int, connections: int) -> tuple[float, float]:
    """Emails per second (wall, and per second of this process's CPU) to the sink at ``connections``."""
    cpu = time.process_time()
    elapsed, report = _run(persons, smtp_url=f"smtp://127.0.0.1:{port}", connections=connections)
    cpu = time.process_time() - cpu
    assert report.sent == persons.num_rows, report
    return persons.num_rows / elapsed, persons.num_rows / cpu


def bench_naive(n: int, port: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        msg = EmailMessage()
        msg["From"] = "dpo@laboratoire.example"
        msg["To"] = f"p{i}@example.org"
        msg["Subject"] = "Information importante sur vos données personnelles"
        msg.set_content(f"Bonjour Prénom{i} Nom{i},\n\nVos données ont été exposées.\n" * 20)
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.send_message(msg)
    return n / (time.perf_counter() - start)


def bench_assess(n: int) -> float:
    """Seconds to score ``n`` persons and sum the breach up (ENISA, pure functions)."""
    from fuite.assess.rules import Circumstances
    from fuite.assess.severity import assess_breach, assess_persons

    persons = _persons(n)
    circ = Circumstances(malicious=True)
    start = time.perf_counter()
    assess_breach(persons, circ, assess_persons(persons, circ))
    return time.perf_counter() - start


def _cpu_all() -> float:
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _sample(items, n: int):
    """``n`` items spread evenly over ``items`` (all when ``n`` is 0 or more than there are)."""
    if not n or n >= len(items):
        return items
    step = len(items) / n
    picked = [int(k * step) for k in range(n)]
    return items.take(picked) if isinstance(items, pa.Table) else [items[k] for k in picked]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", type=Path, default=None, help="a scanned drill: bench its own letters and emails")
    parser.add_argument("--sample", type=int, default=20_000, help="with --case: letters and emails of it (0: all)")
    parser.add_argument("--letters", type=int, default=2000, help="without --case: synthetic letters (0: skip)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--persons", type=int, default=20_000, help="without --case: synthetic emails (0: skip)")
    parser.add_argument("--connections", type=int, nargs="+", default=[4])
    parser.add_argument("--sink-processes", type=int, default=4, help="aiosmtpd sink processes")
    parser.add_argument("--sink", choices=("auto", "smtp-sink", "aiosmtpd"), default="auto",
                        help="the SMTP sink: Postfix's smtp-sink when installed (auto), or aiosmtpd")
    parser.add_argument("--baseline", type=int, default=500, help="emails for the naive script")
    parser.add_argument("--weasyprint", type=int, default=40, help="letters for the WeasyPrint peer")
    parser.add_argument("--assess", type=int, default=0, help="persons to assess (0: skip)")
    parser.add_argument("--full", action="store_true", help="with --case: also send every notice of it, measured")
    args = parser.parse_args()
    os.environ.setdefault("FUITE_KEY", "bench passphrase, synthetic data only")
    cores = os.cpu_count() or 1
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} on {cores} cores",
          flush=True)
    if args.case:
        emails_all, letters_all, everyone = _case_sets(args.case)
        emails, letters = _sample(emails_all, args.sample), _sample(letters_all, args.sample)
        source = f"the case's own ({args.case.name}: {emails_all.num_rows} emails, {len(letters_all)} letters)"
    else:
        emails_all = emails = _persons(args.persons)
        letters_all = letters = _letter_rows(args.letters)
        everyone, source = None, "synthetic, shaped like the drill's"
    print(f"notices: {source}; measured on {emails.num_rows} emails and {len(letters)} letters")
    print(f"{'':40} {'per second':>10}  notes")
    letter_rate = {}
    for jobs in args.jobs if letters else []:
        cpu = _cpu_all()
        rate, pages = bench_letters(letters, jobs)
        letter_rate[jobs] = rate
        print(f"{f'letters, fuite (typst), --jobs {jobs}':40} {rate:10.0f}  {len(letters)} letters, {pages} pages; "
              f"{len(letters) / (_cpu_all() - cpu):.0f} per CPU-second (all processes)", flush=True)
    peer_letters = bench_weasyprint(letters[:args.weasyprint]) if letters and args.weasyprint else 0.0
    if peer_letters:
        print(f"{'letters, WeasyPrint (peer)':40} {peer_letters:10.1f}  {args.weasyprint} letters, 1 process",
              flush=True)
    email_rate, naive = {}, 0.0
    if emails.num_rows:
        with Sink(args.sink_processes, args.sink) as sink:
            for k in args.connections:
                email_rate[k] = bench_fuite(emails, sink.port, k)
                print(f"{f'emails, fuite, {k} connections':40} {email_rate[k][0]:10.0f}  {emails.num_rows} notices; "
                      f"{email_rate[k][1]:.0f} per second of the sender's CPU", flush=True)
            naive = bench_naive(args.baseline, sink.port)
        print(f"{'emails, naive script (peer)':40} {naive:10.0f}  {args.baseline} notices, text only, a connection "
              f"each, no ledger")
        print(f"{'':40} {sink.received / max(sink.cpu, 1e-9):10.0f}  the sink ({sink.kind}): messages per second "
              "of its own CPU")
    n_emails, n_letters = emails_all.num_rows, len(letters_all)
    if letter_rate and email_rate:
        best_l, best_e = max(letter_rate.values()), max(r for r, _ in email_rate.values())
        ours = n_emails / best_e + n_letters / best_l
        peer = n_emails / naive + n_letters / peer_letters if naive and peer_letters else float("nan")
        print(f"every notice ({n_emails} emails + {n_letters} letters), derived from the rates above: "
              f"fuite {ours:.0f} s, peers {peer:.0f} s (naive script + WeasyPrint)")
    if letters and emails.num_rows:   # the dry run renders what a real run sends: it should cost no more
        both = _table(emails.to_pylist() + letters)
        dry, report = _run(both, dry_run=True, letters_dir=True, jobs=max(args.jobs))
        real = emails.num_rows / max(r for r, _ in email_rate.values()) + len(letters) / max(letter_rate.values())
        print(f"dry run of the same {emails.num_rows} emails and {len(letters)} letters: {dry:.1f} s "
              f"({report.rendered} rendered, nothing sent), against {real:.1f} s for the real runs above", flush=True)
    if args.full and everyone is not None:
        with Sink(args.sink_processes, args.sink) as sink:
            cpu = _cpu_all()
            elapsed, report = _run(everyone, smtp_url=f"smtp://127.0.0.1:{sink.port}", connections=4,
                                   letters_dir=True, jobs=max(args.jobs))
            cpu = _cpu_all() - cpu
        print(f"every notice, measured: {elapsed:.0f} s wall, {cpu:.0f} s CPU (this process and its children): "
              f"{report.sent} emails at 4 connections, {report.letters} letters at --jobs {max(args.jobs)}, "
              f"{report.letter_pages} pages; the sink accepted {sink.received}", flush=True)
    if args.assess:
        seconds = bench_assess(args.assess)
        print(f"{f'fuite assess, {args.assess} persons':40} {args.assess / seconds:10.0f}  persons/s")
    if letter_rate:
        best = max(letter_rate.values())
        print(f"target letters ≥ 300/s: {'met' if best >= 300 else 'NOT met'} ({best:.0f}/s at --jobs "
              f"{max(letter_rate, key=letter_rate.get)})")
    if 4 in email_rate:
        print(f"target emails ≥ 1,000/s at 4 connections: {'met' if email_rate[4][0] >= 1000 else 'NOT met'} "
              f"({email_rate[4][0]:.0f}/s)")


if __name__ == "__main__":
    main()
