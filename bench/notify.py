"""Benchmark: render and send person notices to a local SMTP sink, in notices per second.

    python bench/notify.py [--persons 5000] [--baseline 1000] [--connections 1 4 8] [--sink-processes 4]

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

    asyncio.run(serve())


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


def bench_fuite(n: int, port: int, connections: int) -> float:
    from fuite.store.casefile import TEMPLATE
    from fuite.notify.persons import PersonsOptions, notice_secret, notify_persons
    from fuite.store.casefile import load_case_file
    from fuite.store import open_case

    with tempfile.TemporaryDirectory() as tmp:
        case_dir = Path(tmp) / "case"
        case_dir.mkdir()
        (case_dir / "case.toml").write_text(TEMPLATE, encoding="utf-8")
        with open_case(case_dir, create=True) as case:
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
    args = parser.parse_args()
    os.environ.setdefault("FUITE_KEY", "bench passphrase, synthetic data only")
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
