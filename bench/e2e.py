"""The whole response to a leak, end to end, each step as the user types it.

    python bench/e2e.py --persons 491840            # the full 2021-sized drill
    python bench/e2e.py --persons 2000 --json       # the same table as JSON

Steps: synth, scan (ingest + detect), resolve, case facts (a complete test case file), assess,
notify cnil, lookup build, report, notify persons (every email to a loopback SMTP sink running in
processes of its own: Postfix's ``smtp-sink`` when installed, else aiosmtpd; ``--sink`` chooses), then the
letters. The sink's own CPU is printed apart: it is not fuite's (a real relay is another machine), but it
shares the two cores, and aiosmtpd costs about ten times what smtp-sink costs per message. Each runs as one ``fuite`` command in its own
process and is measured alone: wall time; CPU time (user + system) of all its processes,
worker pools included (this script is their subreaper); peak memory as the summed PSS of those
processes, sampled every 0.1 s, beside the largest single process's peak RSS. The scan prints
its rows/s, emails and letters their rate. The response's total is the sum of the walls after
synth. Goal (issue 16): ≤ 600 s and ≤ 6 GB peak at 491,840 persons on 2 cores.

All data is synthetic; everything is written under a temporary directory removed at the end.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from notify import Sink  # noqa: E402  (bench/notify.py: the SMTP sink in its own processes)

#: The facts a controller fills in before notifying (all synthetic).
CASE_FACTS = '''\
[breach]
established = true
discovered_at = {discovered}
started_at = ""
ended_at = ""
ongoing = false
how_discovered = "Signalement par un chercheur en sécurité : fichiers proposés à la vente en ligne"
origin = "external"
malicious = true
cause = "Extraction de données depuis un serveur sans authentification, puis diffusion en ligne"
confidentiality = "unknown_recipients"
integrity = "none"
availability = "none"
processors = ["Éditeur du logiciel de laboratoire (exercice)"]
medium = "Serveur de résultats du laboratoire, exposé sans authentification (exercice)"
person_categories = ["Patients"]
description_fr = "Des données de patients ont été copiées depuis notre logiciel de laboratoire puis proposées en ligne (exercice)."
description_en = "Patient data were copied from our laboratory software and then offered online (drill)."
measures_taken = ["Serveur isolé et accès fermés le jour de la découverte", "Demande de retrait adressée aux hébergeurs"]
measures_planned = ["Information individuelle de chaque patient concerné", "Audit de sécurité du serveur et du logiciel"]
measures_taken_en = ["Server isolated and access closed on the day of discovery", "Takedown requests sent to the hosts"]
measures_planned_en = ["Individual information of every patient", "Security audit of the software"]
persons_informed = "planned"
persons_informed_at = ""
cross_border = false
late_reason = ""
title = ""
name = ""
domain = ""
date = ""

[controller]
name = "Laboratoire d'exercice Fuite"
address = "12 rue de l'Exercice, 35000 Rennes"
siren = "732829320"
sector = "health"
email = "contact@labo-exercice-fuite.fr"
phone = "+33 2 99 00 00 01"
website = ""

[dpo]
name = "Claire Exercice"
email = "dpo@labo-exercice-fuite.fr"
phone = "+33 2 99 00 00 00"

[contact]
phone = "+33 2 99 00 00 01"
email = "contact@labo-exercice-fuite.fr"
url = "https://verifier.labo-exercice-fuite.fr/"

[smtp]
url = "{smtp}"
from = "Laboratoire d'exercice <dpo@labo-exercice-fuite.fr>"
rate = 0
connections = 4

[security]
require_operator = false
retention_until = ""

[notification]
kind = "initial"
previous_reference = ""
'''


def _descendants(root: int, skip: set[int]) -> list[int]:
    """Every live process under ``root`` (from /proc), leaving out the trees of ``skip``."""
    parent = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = set(), {root}
    while frontier:
        frontier = {p for p, pp in parent.items() if pp in frontier and p not in skip} - tree
        tree |= frontier
    return sorted(tree)


def _pss_bytes(pid: int) -> int:
    """Proportional set size of ``pid`` (its share of pages it shares with others: the tree's sum is honest)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class TreeMemory(threading.Thread):
    """Samples the summed PSS of every process of a step (its worker pools included) every 0.1 s; keeps the peak."""

    def __init__(self, skip: set[int]):
        super().__init__(daemon=True)
        self.skip, self.peak, self.done = skip, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.1):
            self.peak = max(self.peak, sum(_pss_bytes(p) for p in _descendants(os.getpid(), self.skip)))


def _reap_orphans(known: set[int]) -> None:
    """Wait for the step's processes that outlived it (a worker pool's forkserver), reparented to this subreaper,
    so that their CPU time counts in this step."""
    for pid in set(_descendants(os.getpid(), known)) - known:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:   # not our child (a grandchild, reaped by its own parent)
            pass


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fuite(*args: str, env: dict, cwd: Path, keep: set[int], output: bool = False) -> dict:
    """Run one ``fuite`` command; its wall time, the CPU time of all its processes (pools included) and the peak of
    their summed memory (PSS, sampled every 0.1 s, and never below the largest single process's exact peak RSS,
    which is shown beside it)."""
    cpu_before, memory = _children_cpu(), TreeMemory(keep)
    memory.start()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "fuite.cli", *args], env=env, cwd=cwd,
                            stdout=subprocess.PIPE if output else subprocess.DEVNULL, stderr=subprocess.PIPE)
    printed: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda n=n, f=f: printed.__setitem__(n, f.read()), daemon=True)
               for n, f in (("stdout", proc.stdout), ("stderr", proc.stderr)) if f is not None]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(proc.pid, 0)   # usage: this step's process and the children it waited for
    wall = time.perf_counter() - started
    for reader in readers:
        reader.join()
    _reap_orphans(keep)
    memory.done.set()
    memory.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"`fuite {' '.join(args[:2])}` failed:\n{printed['stderr'].decode(errors='replace')[-3000:]}")
    largest = usage.ru_maxrss * 1024   # exact, where the 0.1 s samples may miss a short step's peak
    row = {"wall_s": wall, "cpu_s": _children_cpu() - cpu_before, "peak_gb": max(memory.peak, largest) / 2**30,
           "largest_process_gb": largest / 2**30}
    if output:
        row["stdout"] = printed["stdout"].decode()
    return row


def steps(work: Path, persons: int, smtp: str) -> list[tuple[str, list[str] | None]]:
    """The response, as the user types it (None: a step done by hand, here by writing a file).

    The scan is typed as its two documented halves, ``scan --no-resolve`` (ingest + detect) then ``resolve``, so that
    the scan's rows/s can be read; emails and letters as two runs of ``notify persons`` (the second only prints the
    letters the first left waiting).
    """
    case, drill = work / "case", work / "drill"
    return [
        ("synth", ["synth", "--out", str(drill), "--persons", str(persons)]),
        ("scan", ["scan", str(drill / "leak"), "--case", str(case), "--no-resolve", "--json"]),
        ("resolve", ["resolve", "--case", str(case)]),
        ("case init", ["case", "init", "--case", str(case)]),
        ("case facts", None),
        ("assess", ["assess", "--case", str(case)]),
        ("notify cnil", ["notify", "cnil", "--case", str(case), "--output", str(work / "cnil")]),
        ("lookup build", ["lookup", "build", "--case", str(case), "--out", str(work / "index.fuite"),
                          "--key-file", str(work / "lookup.key")]),
        ("report", ["report", "--case", str(case), "--format", "pdf", "--output", str(work / "report.pdf")]),
        ("emails", ["notify", "persons", "--case", str(case), "--smtp", smtp, "--connections", "4", "--rate", "0",
                    "--json"]),
        ("letters", ["notify", "persons", "--case", str(case), "--smtp", smtp, "--letters", str(work / "letters"),
                     "--jobs", "2", "--json"]),
    ]


def _subreaper() -> None:
    """Become the parent of the steps' orphaned processes (PR_SET_CHILD_SUBREAPER), to count their CPU time."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(36, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def run(persons: int, work: Path, sink_processes: int, sink_kind: str = "auto") -> tuple[list[dict], dict]:
    """The steps' rows, and the sink's ``{kind, processes, cpu_s, received}``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.setdefault("FUITE_KEY", secrets.token_urlsafe(24))
    _subreaper()
    rows = []
    with Sink(sink_processes, kind=sink_kind) as sink:
        smtp = f"smtp://127.0.0.1:{sink.port}"
        keep = set(_descendants(os.getpid(), set()))   # the sink's processes: not part of any step
        for name, args in steps(work, persons, smtp):
            if args is None:
                discovered = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
                (work / "case" / "case.toml").write_text(CASE_FACTS.format(discovered=discovered, smtp=smtp),
                                                         encoding="utf-8")
                continue
            row = {"step": name, **fuite(*args, env=env, cwd=work, keep=keep, output="--json" in args)}
            printed = json.loads(row.pop("stdout", "") or "null")
            if name == "scan":
                row["rows"] = printed["records"]
            elif name == "emails":
                row["emails"] = printed.get("sent", 0)
            elif name == "letters":
                row["letters"] = printed.get("letters", 0)
            rows.append(row)
    rows[-1]["emails_received"] = sink.received
    rows[-1]["letter_files"] = sum(1 for _ in (work / "letters").rglob("*.pdf")) if (work / "letters").exists() else 0
    processes = 1 if sink.kind == "smtp-sink" else sink_processes
    return rows, {"kind": sink.kind, "processes": processes, "cpu_s": sink.cpu, "received": sink.received}


def _rate(row: dict) -> str:
    for key, unit in (("rows", "rows"), ("emails", "emails"), ("letters", "letters")):
        if key in row:
            return f"{row[key]:,} {unit}, {row[key] / row['wall_s']:,.0f}/s"
    return ""


def totals(rows: list[dict]) -> dict:
    """The response's total (every step after synth, which makes the drill) and the same with synth."""
    response = [r for r in rows if r["step"] != "synth"]
    return {"response_wall_s": sum(r["wall_s"] for r in response), "response_cpu_s": sum(r["cpu_s"] for r in response),
            "total_wall_s": sum(r["wall_s"] for r in rows), "peak_gb": max(r["peak_gb"] for r in rows)}


def table(rows: list[dict], persons: int, sink: dict) -> str:
    lines = [f"whole response, {persons:,} persons; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
             f"SMTP sink: {sink['kind']} ({sink['processes']} process(es)), {sink['cpu_s']:.1f} CPU s of its own, "
             "not counted in the steps",
             "(CPU: all of a step's processes, worker pools included; peak: their summed PSS, sampled every 0.1 s; "
             "largest: the largest single process's peak RSS)",
             f"{'step':14} {'wall s':>8} {'CPU s':>8} {'peak GB':>8} {'largest':>8}  rate"]
    for r in rows:
        lines.append(f"{r['step']:14} {r['wall_s']:8.1f} {r['cpu_s']:8.1f} {r['peak_gb']:8.2f} "
                     f"{r['largest_process_gb']:8.2f}  {_rate(r)}")
    t = totals(rows)
    lines.append(f"{'response':14} {t['response_wall_s']:8.1f} {t['response_cpu_s']:8.1f} {t['peak_gb']:8.2f}"
                 f"           (scan to letters)")
    lines.append(f"{'with synth':14} {t['total_wall_s']:8.1f}")
    last = rows[-1]
    lines.append(f"emails handed to the sink: {last.get('emails_received', 0):,}; letter PDF files: "
                 f"{last.get('letter_files', 0):,}")
    met = t["response_wall_s"] <= 600 and t["peak_gb"] <= 6
    lines.append(f"goal: response ≤ 600 s and peak ≤ 6 GB: {'met' if met else 'NOT met'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--sink", choices=["auto", "smtp-sink", "aiosmtpd"], default="auto",
                        help="the loopback SMTP sink (auto: smtp-sink when installed)")
    parser.add_argument("--sink-processes", type=int, default=2, help="aiosmtpd processes")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fuite-e2e-"))
    try:
        rows, sink = run(args.persons, work, args.sink_processes, args.sink)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps({"persons": args.persons, "steps": rows, **totals(rows), "sink": sink,
                          "load_average": os.getloadavg()[0]}, indent=1))
    else:
        print(table(rows, args.persons, sink))


if __name__ == "__main__":
    main()
