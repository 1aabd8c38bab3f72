"""Benchmark: person notices: emails to a local SMTP sink, and print-ready letters, per second.

    python bench/notify.py [--persons 5000] [--baseline 1000] [--connections 1 4 8] [--sink-processes 4]
                           [--letters 2000] [--jobs 1 2] [--case DIR]

Letters: ``notify_persons --letters`` (typst, duplex-safe batches of 500 with manifests, ledger) at each
``--jobs``, on synthetic letters shaped like the drill's (``--case DIR``: the letter set of a scanned case,
e.g. the full drill, key in FUITE_KEY), side by side with WeasyPrint rendering the same notices' HTML.

An aiosmtpd sink runs in its own process on loopback and counts what it accepts.
Side by side:

- **fuite**: ``notify_persons`` on a real encrypted case (SQLCipher ledger: ``sending``
  committed before each DATA, ``sent`` after), one persistent SMTP connection;
- **naive script** (the usual peer: a mail-merge loop): ``EmailMessage`` + ``smtplib``
  with a new connection per message and no ledger (so no exactly-once).

Target: ≥ 500 notices/s for fuite. Synthetic persons only.
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


class Sink:
    """The SMTP sink: ``processes`` aiosmtpd processes on one loopback port (none shares the sender's GIL)."""

    def __init__(self, processes: int = 1):
        self.processes = processes

    def __enter__(self):
        self.port = _free_port()
        self.stop, self.counts = mp.Event(), mp.Queue()
        self.procs = []
        for _ in range(self.processes):
            ready = mp.Event()
            proc = mp.Process(target=_sink, args=(self.port, ready, self.stop, self.counts), daemon=True)
            proc.start()
            ready.wait(30)
            self.procs.append(proc)
        return self

    def __exit__(self, *exc):
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


def bench_letters(rows: list[dict], jobs: int) -> tuple[float, int]:
    """Letters per second (wall) through ``notify_persons --letters`` on a real case; and the pages written."""
    from fuite.notify.persons import PersonsOptions, notice_secret, notify_persons
    from fuite.schema import PERSON_SCHEMA
    from fuite.store import open_case
    from fuite.store.edge import case_access
    from fuite.store.casefile import read_case_file

    with tempfile.TemporaryDirectory() as tmp:
        case_dir = Path(tmp) / "case"
        with open_case(case_dir, case_access(case_dir), create=True) as case:
            (case_dir / "case.toml").write_text(_case_toml(), encoding="utf-8")
            persons = pa.Table.from_pylist([{f.name: r.get(f.name) for f in PERSON_SCHEMA} for r in rows],
                                           schema=PERSON_SCHEMA)
            opts = PersonsOptions(letters_dir=Path(tmp) / "letters", jobs=jobs)
            start = time.perf_counter()
            report = notify_persons(case.conn, persons, read_case_file(case_dir), opts, secret=notice_secret(case),
                                    case_dir=case_dir)
            elapsed = time.perf_counter() - start
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


def _case_letter_rows(case_dir: Path) -> list[dict]:
    from fuite.notify.persons import LETTER, _rows, plan_channels
    from fuite.notify.stage import _named_persons
    from fuite.store import open_case
    from fuite.store.edge import case_access

    with open_case(case_dir, case_access(case_dir)) as case:
        persons = _named_persons(case)
    plan = plan_channels(persons)
    return [r for r in _rows(persons) if plan[r["person_id"]] == LETTER]


def bench_fuite(n: int, port: int, connections: int) -> float:
    from fuite.notify.persons import PersonsOptions, notice_secret, notify_persons
    from fuite.store.casefile import load_case_file, parse_case_file
    from fuite.store import open_case
    from fuite.store.edge import case_access

    TEMPLATE = _case_toml()

    with tempfile.TemporaryDirectory() as tmp:
        case_dir = Path(tmp) / "case"
        case_dir.mkdir()
        (case_dir / "case.toml").write_text(TEMPLATE, encoding="utf-8")
        with open_case(case_dir, case_access(case_dir), create=True) as case:
            persons = _persons(n)
            case.put_table("persons", persons)
            case_file = load_case_file(case_dir / "case.toml")
            opts = PersonsOptions(smtp_url=f"smtp://127.0.0.1:{port}", rate=0, connections=connections)
            start, cpu = time.perf_counter(), time.process_time()
            report = notify_persons(case.conn, case.get_table("persons"), case_file, opts,
                                    secret=notice_secret(case), case_dir=case_dir)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert report.sent == n, report
    return n / elapsed, n / cpu


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--baseline", type=int, default=1000)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--sink-processes", type=int, default=4)
    parser.add_argument("--assess", type=int, default=491_840, help="persons to assess (0: skip)")
    parser.add_argument("--letters", type=int, default=2000, help="synthetic letters (0: skip letters)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--case", type=Path, default=None, help="a scanned case: bench its own letter set")
    parser.add_argument("--weasyprint", type=int, default=40, help="letters for the WeasyPrint peer")
    parser.add_argument("--no-email", action="store_true", help="letters only")
    args = parser.parse_args()
    os.environ.setdefault("FUITE_KEY", "bench passphrase, synthetic data only")
    if args.letters or args.case:
        rows = _case_letter_rows(args.case) if args.case else _letter_rows(args.letters)
        print(f"{'':34} {'letters/s':>10}  notes   (load average {os.getloadavg()[0]:.1f})")
        import resource

        def cpu_now() -> float:
            own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
            return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

        for jobs in args.jobs:
            cpu = cpu_now()
            rate, pages = bench_letters(rows, jobs)
            per_cpu = len(rows) / (cpu_now() - cpu)
            print(f"{f'fuite letters (typst), --jobs {jobs}':34} {rate:10.0f}  {len(rows)} letters, {pages} pages "
                  f"({pages / len(rows):.2f} per letter), batches of 500 + manifests, ledger; "
                  f"{per_cpu:.0f} letters per CPU-second", flush=True)
        if args.weasyprint:
            peer = bench_weasyprint(rows[:args.weasyprint])
            print(f"{'WeasyPrint, same notices (peer)':34} {peer:10.1f}  {args.weasyprint} letters, 1 process")
        if args.no_email:
            return
    with Sink(args.sink_processes) as sink:
        fuite_rates = {k: bench_fuite(args.persons, sink.port, k) for k in args.connections}
        cpu_rate = max(r[1] for r in fuite_rates.values())
        fuite_rates = {k: r[0] for k, r in fuite_rates.items()}
        naive_rate = bench_naive(args.baseline, sink.port)
    expected = args.persons * len(args.connections) + args.baseline
    print(f"sink ({args.sink_processes} aiosmtpd processes) accepted {sink.received} of {expected} messages; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", file=sys.stderr)
    print(f"{'':34} {'notices/s':>10}  notes")
    for k, rate in fuite_rates.items():
        print(f"{f'fuite notify persons, {k} conn.':34} {rate:10.0f}  {args.persons} notices, text+HTML, FR+EN, "
              "SQLCipher ledger, exactly once")
    print(f"{'naive script (smtplib per message)':34} {naive_rate:10.0f}  {args.baseline} notices, text only, "
          "no ledger")
    print(f"{'fuite sender CPU only':34} {cpu_rate:10.0f}  notices per second of the sender's CPU time "
          "(render + MIME + ledger + SMTP client): the ceiling on an idle core")
    sink_cpu = sink.cpu / sink.received
    sender_cpu = 1 / cpu_rate
    print(f"{'sink CPU per message':34} {1 / sink_cpu:10.0f}  messages per second of the sinks' CPU time "
          f"({sink_cpu * 1e3:.2f} ms each)")
    cores = os.cpu_count() or 1
    print(f"{f'CPU-bound estimate, {cores} idle cores':34} {cores / (sender_cpu + sink_cpu):10.0f}  "
          "sender + sink sharing the cores, no other load (derived, not measured)")
    if args.assess:
        seconds = bench_assess(args.assess)
        print(f"{f'fuite assess, {args.assess} persons':34} {args.assess / seconds:10.0f}  persons/s "
              f"({seconds:.2f} s, per person and breach)")
    best = max(fuite_rates.values())
    print(f"{'target':34} {500:10d}  {'met' if best >= 500 else 'NOT met'} (best {best:.0f}/s)")


if __name__ == "__main__":
    main()
