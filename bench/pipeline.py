"""Time the main job end to end: `fuite synth` at full size, then `fuite scan` (ingest + detect + resolve).

    python bench/pipeline.py [--persons 491840] [--workdir DIR]

Prints wall seconds and peak RSS for each command (each run in its own process).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(*args: str, env: dict) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", "import resource,subprocess,sys;"
                           "r=subprocess.run(sys.argv[1:]).returncode;"
                           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr);"
                           "sys.exit(r)", sys.executable, "-m", "fuite.cli", *args],
                          env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"fuite {args[0]} failed:\n{proc.stderr[-2000:]}")
    rss_kb = int(proc.stderr.strip().splitlines()[-1])
    return wall, rss_kb / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=491_840)
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    work = a.workdir or Path(tempfile.mkdtemp(prefix="fuite-bench-"))
    env = {**os.environ, "FUITE_KEY": "benchmark passphrase"}
    drill, case = work / "drill", work / "case"
    shutil.rmtree(drill, ignore_errors=True), shutil.rmtree(case, ignore_errors=True)
    print(f"persons: {a.persons}  cores: {os.cpu_count()}")
    wall, rss = run("synth", "--out", str(drill), "--persons", str(a.persons), env=env)
    size = sum(p.stat().st_size for p in (drill / "leak").rglob("*") if p.is_file()) / 1e6
    print(f"fuite synth : {wall:7.1f} s  peak RSS {rss:7.0f} MiB  ({size:.0f} MB of leak files)")
    wall, rss = run("scan", str(drill / "leak"), "--case", str(case), "--no-resolve", env=env)
    print(f"fuite scan --no-resolve (ingest+detect+store): {wall:7.1f} s  peak RSS {rss:7.0f} MiB")
    wall, rss = run("resolve", "--case", str(case), env=env)
    print(f"fuite resolve : {wall:7.1f} s  peak RSS {rss:7.0f} MiB")
    if not a.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
