"""The whole response to a leak, end to end, each step as the user types it.

    python bench/e2e.py --persons 491840            # the full 2021-sized drill
    python bench/e2e.py --persons 2000 --json       # the same table as JSON

Steps: synth, scan, case facts (a complete test case file), assess, notify cnil, lookup
build, report, notify persons (every email to a loopback aiosmtpd sink running in its own
processes), letters. Each runs as one ``fuite`` command in its own process and is measured
alone: wall time, CPU time (user + system) and peak RSS (``wait4``). The total is the sum
of the walls. Goal (issue 16): ≤ 600 s and ≤ 6 GB peak at 491,840 persons on 2 cores.

All data is synthetic; everything is written under a temporary directory removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from notify import Sink  # noqa: E402  (bench/notify.py: the aiosmtpd sink in its own processes)

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


def fuite(*args: str, env: dict, cwd: Path) -> dict:
    """Run one ``fuite`` command; its wall, CPU and peak RSS alone."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "fuite.cli", *args], env=env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"`fuite {' '.join(args[:2])}` failed:\n{stderr[-3000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_gb": usage.ru_maxrss / 2**20}


def steps(work: Path, persons: int, smtp: str) -> list[tuple[str, list[str] | None]]:
    """The response, as the user types it (None: a step done by hand, here by writing a file)."""
    case, drill = work / "case", work / "drill"
    return [
        ("synth", ["synth", "--out", str(drill), "--persons", str(persons)]),
        ("scan", ["scan", str(drill / "leak"), "--case", str(case)]),
        ("case init", ["case", "init", "--case", str(case)]),
        ("case facts", None),
        ("assess", ["assess", "--case", str(case)]),
        ("notify cnil", ["notify", "cnil", "--case", str(case), "--output", str(work / "cnil")]),
        ("lookup build", ["lookup", "build", "--case", str(case), "--out", str(work / "index.fuite"),
                          "--key-file", str(work / "lookup.key")]),
        ("report", ["report", "--case", str(case), "--format", "pdf", "--output", str(work / "report.pdf")]),
        ("notify persons", ["notify", "persons", "--case", str(case), "--smtp", smtp, "--connections", "4",
                            "--rate", "0", "--letters", str(work / "letters"), "--jobs", "2"]),
    ]


def run(persons: int, work: Path, sink_processes: int) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.setdefault("FUITE_KEY", secrets.token_urlsafe(24))
    rows = []
    with Sink(sink_processes) as sink:
        smtp = f"smtp://127.0.0.1:{sink.port}"
        for name, args in steps(work, persons, smtp):
            if args is None:
                discovered = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
                (work / "case" / "case.toml").write_text(CASE_FACTS.format(discovered=discovered, smtp=smtp),
                                                         encoding="utf-8")
                continue
            rows.append({"step": name, **fuite(*args, env=env, cwd=work)})
    rows[-1]["emails_received"] = sink.received
    rows[-1]["letters"] = sum(1 for _ in (work / "letters").rglob("*.pdf")) if (work / "letters").exists() else 0
    return rows


def table(rows: list[dict], persons: int) -> str:
    lines = [f"whole response, {persons:,} persons; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
             f"{'step':16} {'wall s':>8} {'CPU s':>8} {'peak GB':>8}"]
    for r in rows:
        lines.append(f"{r['step']:16} {r['wall_s']:8.1f} {r['cpu_s']:8.1f} {r['peak_gb']:8.2f}")
    total = sum(r["wall_s"] for r in rows)
    lines.append(f"{'total':16} {total:8.1f} {sum(r['cpu_s'] for r in rows):8.1f} "
                 f"{max(r['peak_gb'] for r in rows):8.2f}")
    last = rows[-1]
    lines.append(f"emails handed to the sink: {last.get('emails_received', 0):,}; letter PDF files: {last.get('letters', 0):,}")
    lines.append(f"goal: total ≤ 600 s and peak ≤ 6 GB: "
                 f"{'met' if total <= 600 and max(r['peak_gb'] for r in rows) <= 6 else 'NOT met'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--sink-processes", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fuite-e2e-"))
    try:
        rows = run(args.persons, work, args.sink_processes)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        total = sum(r["wall_s"] for r in rows)
        print(json.dumps({"persons": args.persons, "steps": rows, "total_wall_s": total,
                          "peak_gb": max(r["peak_gb"] for r in rows)}, indent=1))
    else:
        print(table(rows, args.persons))


if __name__ == "__main__":
    main()
