"""Adding a delta to a case against rescanning everything, side by side in the same run.

A drill is written with ``fuite synth --later FRACTION``: ``leak/`` and the files found later, ``later/``.

1. **add**: ``fuite scan leak --case A`` (the first scan, timed too), then ``fuite scan later --case A``: only the
   later files are read; only the components the new records reach are resolved again, with the case's trained
   Splink model (no new training), person ids kept, the delta stored.
2. **rescan**: ``fuite scan leak later --case B``, a fresh case from all the files: what one would do without
   adding.
3. **match**: ``fuite match later --case A`` before adding it (how long a CERT waits for its verdict).

Each step is the real command in a child process: wall time and that process's peak RSS (``os.wait4``). The
delta is checked against the answer key (``answer_key/later/delta.csv``): new and grown persons found.

    python bench/grow.py [--persons 20000] [--later 0.1] [--seed 0] [--skip-match] [--keep DIR]

Run the full drill (491,840 persons) under ``flock /work/wt/bench.lock`` (a heavy job).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench passphrase: synthetic data only"


def run(*args: str, env: dict) -> None:
    """One untimed ``fuite`` command (the drill)."""
    proc = subprocess.run([sys.executable, "-m", "fuite", *args], capture_output=True, text=True, env=env)
    if proc.returncode:
        sys.exit(f"fuite {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-2000:]}")


def timed(*args: str, env: dict) -> dict:
    """One ``fuite`` command in a child process: seconds, its own peak RSS (GB, ``os.wait4``), stdout, stderr."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "fuite", *args], stdout=out, stderr=err, env=env, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"fuite {' '.join(args)} failed: {stderr[-2000:]}")
    return {"seconds": round(seconds, 2), "rss_gb": round(usage.ru_maxrss / 2**20, 2), "stdout": stdout,
            "stderr": stderr}


def delta_check(drill: Path, case: Path, env: dict) -> dict:
    """Share of the answer key's new and grown persons that the case's delta holds with the same status."""
    sys.path.insert(0, str(ROOT))
    from fuite.store import open_case
    from fuite.store.secrets_source import passphrase
    from fuite.store.session import Access

    with open_case(case, Access(passphrase(KEY), Path(env["XDG_STATE_HOME"]) / "fuite", "bench")) as c:
        records = pl.from_arrow(c.get_table("records", ["file", "table", "row", "person_id"]))
        delta = pl.from_arrow(c.get_table("delta"))
    truth_rows = pl.concat([
        pl.read_csv(drill / "answer_key" / name, schema_overrides={"table": pl.String}).select(
            "file", "table", "row", "person_id").with_columns(pl.lit(later).alias("later"), pl.col("table").fill_null(""))
        for name, later in (("records.csv", False), ("later/records.csv", True))])
    records = records.with_columns(pl.col("file").str.replace(r" \(\d+\)$", "").alias("base"),
                                   pl.col("file").str.ends_with(" (2)").alias("later"), pl.col("table").fill_null(""))
    pairs = records.join(truth_rows, left_on=["base", "table", "row", "later"],
                         right_on=["file", "table", "row", "later"], suffix="_truth").select(
        "person_id", pl.col("person_id_truth").alias("truth")).unique()
    found = delta.join(pairs, on="person_id").select("truth", "status")   # every person holding a truth's rows
    truth = pl.read_csv(drill / "answer_key" / "later" / "delta.csv").rename({"person_id": "truth",
                                                                             "status": "truth_status"})
    statuses = found.group_by("truth").agg(pl.col("status"))   # a person split in two has two statuses
    joined = truth.join(statuses, on="truth", how="left")
    out = {}
    for status in ("new", "grown"):
        part = joined.filter(pl.col("truth_status") == status)
        hit = part["status"].fill_null([]).list.contains(status) if part.height else pl.Series([], dtype=pl.Boolean)
        out[f"{status}_found"] = round(float(hit.mean() or 0), 4)
        out[f"{status}_covered"] = round(float(part["status"].is_not_null().mean() or 0), 4) if part.height else 0.0
        out[f"{status}_truth"] = part.height
    out["delta_persons"] = delta.height
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=20_000)
    ap.add_argument("--later", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-match", action="store_true")
    ap.add_argument("--keep", type=Path, help="Work folder to keep (default: a temporary one, removed).")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="fuite-bench-grow-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "FUITE_KEY": KEY, "PYTHONPATH": str(ROOT), "XDG_STATE_HOME": str(work / "state")}
    env.pop("FUITE_KEY_FILE", None)
    load = os.getloadavg()
    try:
        drill = work / "drill"
        if not (drill / "later").exists():
            run("synth", "--out", str(drill), "--persons", str(args.persons), "--later", str(args.later),
                "--seed", str(args.seed), "--force", env=env)
        rows_leak = sum(1 for _ in open(drill / "answer_key" / "records.csv")) - 1
        rows_later = sum(1 for _ in open(drill / "answer_key" / "later" / "records.csv")) - 1
        for name in ("A", "B"):
            shutil.rmtree(work / name, ignore_errors=True)
        first = timed("scan", str(drill / "leak"), "--case", str(work / "A"), "--json", env=env)
        match = None if args.skip_match else timed("match", str(drill / "later"), "--case", str(work / "A"),
                                                    "--json", env=env)
        add = timed("scan", str(drill / "later"), "--case", str(work / "A"), "--json", env=env)
        full = timed("scan", str(drill / "leak"), str(drill / "later"), "--case", str(work / "B"), "--json", env=env)
        check = delta_check(drill, work / "A", env)
        added = json.loads(add["stdout"])
        print(f"growing leak: {args.persons:,} persons, delta {args.later:.0%} of persons = {rows_later:,} rows "
              f"({rows_later / (rows_leak + rows_later):.1%} of {rows_leak + rows_later:,}); load average "
              f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at start, {os.getloadavg()[0]:.1f} at end, "
              f"{os.cpu_count()} cores")
        print(f"{'step':<44}{'seconds':>10}{'peak RSS GB':>14}")
        print(f"{'first scan of leak/ (A)':<44}{first['seconds']:>10.1f}{first['rss_gb']:>14.2f}")
        if match:
            m = json.loads(match["stdout"])
            print(f"{'match later/ against A (verdict: ' + m['verdict'] + ')':<44}{match['seconds']:>10.1f}"
                  f"{match['rss_gb']:>14.2f}")
        print(f"{'ADD later/ to A (stable ids, delta)':<44}{add['seconds']:>10.1f}{add['rss_gb']:>14.2f}")
        print(f"{'FULL RESCAN of leak/ + later/ (B)':<44}{full['seconds']:>10.1f}{full['rss_gb']:>14.2f}")
        print(f"add / full rescan: {add['seconds'] / full['seconds']:.2f}")
        print(f"persons after add {added['persons']:,} (full rescan {json.loads(full['stdout'])['persons']:,}); "
              f"delta {check['delta_persons']:,} persons; answer key: new {check['new_truth']:,} found new "
              f"{check['new_found']:.1%}, grown {check['grown_truth']:,} found grown {check['grown_found']:.1%} "
              f"(in the delta at all, e.g. as a new person when a sparse record stays apart: "
              f"{check['grown_covered']:.1%})")
        ids = [line for line in add["stderr"].splitlines() if line.startswith("person ids:")]
        if ids:
            print(ids[0])
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
