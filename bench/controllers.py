"""Time the many-controller steps on a drill: one `[controller]` against the drill's thirty `[[controllers]]`.

    python bench/controllers.py [--persons 20000] [--workdir DIR] [--case DIR]

Synthesises and scans a drill (or takes a scanned one with --case, key from FUITE_KEY), then runs, side by side
with the case file of one controller and with the answer key's `controllers.toml` (thirty labs and their vendor):
`fuite report --format json`, `fuite notify cnil --format json`, and for the thirty only `fuite report
--controller lab-01` and `fuite notify processor --format json`; then the attribution itself, in process. Prints
wall seconds and peak RSS of each command (its own process), and the attribution's counts. No other tool splits a
leaked dataset by controller, so the peer is fuite with a single controller.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import CASE_FACTS  # noqa: E402  (the facts of a filled case file)
from pipeline import run  # noqa: E402  (wall seconds and peak RSS of one `fuite` command)

KEY = "benchmark passphrase"


def attribution(case_dir: Path) -> str:
    from fuite.assess.attribution import controllers_of_persons, unattributed_summary
    from fuite.assess.stage import attribution_for_case
    from fuite.store import open_case
    from fuite.store.edge import case_access

    with open_case(case_dir, case_access(case_dir), operator="bench") as case:
        start = time.perf_counter()
        attributed = attribution_for_case(case)
        seconds = time.perf_counter() - start
        persons = controllers_of_persons(attributed, case.settings)
    free = unattributed_summary(attributed)
    two = persons.filter(persons["controllers"].str.contains(";")).height
    return (f"attribution in process: {seconds:5.2f} s for {attributed.height:,} records; unattributed {free['records']:,}"
            f" records, {free['persons']:,} persons; persons of two or more controllers {two:,}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=20_000)
    ap.add_argument("--case", type=Path, help="a scanned drill's case (FUITE_KEY opens it); --drill its folder")
    ap.add_argument("--drill", type=Path)
    ap.add_argument("--workdir", type=Path)
    a = ap.parse_args()
    work = a.workdir or Path(tempfile.mkdtemp(prefix="fuite-bench-controllers-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ}
    case, drill = a.case, a.drill
    if case is None:
        env["FUITE_KEY"] = os.environ["FUITE_KEY"] = KEY
        drill, case = work / "drill", work / "case"
        shutil.rmtree(drill, ignore_errors=True), shutil.rmtree(case, ignore_errors=True)
        print(f"fuite synth : {run('synth', '--out', str(drill), '--persons', str(a.persons), env=env)[0]:7.1f} s")
        print(f"fuite scan  : {run('scan', str(drill / 'leak'), '--case', str(case), env=env)[0]:7.1f} s")
    facts = CASE_FACTS.format(discovered="2026-03-02T10:15:00+01:00", smtp="smtp://127.0.0.1:1")
    files = {"one controller": facts, "30 controllers": facts + (drill / "answer_key" / "controllers.toml").read_text(
        encoding="utf-8")}
    print(f"cores: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}")
    for label, text in files.items():
        (case / "case.toml").write_text(text, encoding="utf-8")
        steps = [("report json", ("report", "--case", str(case), "--output", str(work / "r.json"))),
                 ("notify cnil json", ("notify", "cnil", "--case", str(case), "--output", str(work / "cnil"),
                                       "--format", "json"))]
        if label != "one controller":
            steps += [("report --controller", ("report", "--case", str(case), "--controller", "lab-01", "--output",
                                               str(work / "lab.json"))),
                      ("notify processor json", ("notify", "processor", "--case", str(case), "--output",
                                                 str(work / "processor"), "--format", "json"))]
        for name, args in steps:
            wall, rss = run(*args, env=env)
            print(f"{label:<15} {name:<22}: {wall:6.2f} s  peak RSS {rss:6.0f} MiB")
        if label != "one controller":
            print(attribution(case))
    if a.workdir is None and a.case is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
