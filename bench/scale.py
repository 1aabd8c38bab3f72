"""The scaling curve of scan and resolve, and Spark against DuckDB on the same case.

    python bench/scale.py --sizes 20000,100000,491840          # persons, rows, scan s, resolve s, peak RSS
                                                               # (one line per size as it is measured)
    python bench/scale.py --sizes 100000 --memory 1GB          # resolve under a memory cap (partitions of ~300,000
                                                               # records, DuckDB's encrypted spill beyond it)
    python bench/scale.py --sizes 1000000 --accuracy           # also persons and B-cubed F1 against the answer key
    python bench/scale.py --spark 20000                        # same drill through both engines: persons, B-cubed

Each step runs as the user types it (``fuite synth``, ``fuite scan --no-resolve``,
``fuite resolve``), in its own process, timed with its own peak RSS (``wait4``). Needs
``FUITE_KEY`` or sets a throw-away one. All data is synthetic and removed afterwards.
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


def run(*args: str, env: dict) -> tuple[float, float]:
    """Run ``fuite ARGS``; return (wall seconds, peak RSS in GB) of that process alone (its CPU seconds are
    added to ``CPU``)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "fuite.cli", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"fuite {args[0]} failed: {proc.stderr.read().decode(errors='replace')[-2000:]}")
    CPU[args[0]] = usage.ru_utime + usage.ru_stime
    return wall, usage.ru_maxrss / 2**20


#: CPU seconds (user + system, all threads) of the last run of each command.
CPU: dict[str, float] = {}


def one_size(persons: int, work: Path, env: dict, memory: str | None, engine: str = "duckdb",
             accuracy: bool = False) -> dict:
    drill, case = work / f"drill-{persons}", work / f"case-{persons}-{engine}"
    synth_s, synth_gb = run("synth", "--out", str(drill), "--persons", str(persons), env=env)
    scan_s, scan_gb = run("scan", str(drill / "leak"), "--case", str(case), "--no-resolve", env=env)
    resolve_args = ["resolve", "--case", str(case), "--engine", engine] + (["--memory", memory] if memory else [])
    resolve_s, resolve_gb = run(*resolve_args, env=env)
    rows = sum(1 for _ in open(drill / "answer_key" / "records.csv")) - 1
    found = resolve_summary(case, env)
    figures = accuracy_of(case, drill, env) if accuracy else {}
    return {**figures, **found, "persons": persons, "rows": rows, "engine": engine, "synth_s": round(synth_s, 1),
            "scan_s": round(scan_s, 1), "resolve_s": round(resolve_s, 1), "synth_gb": round(synth_gb, 2),
            "scan_cpu_s": round(CPU["scan"], 1), "resolve_cpu_s": round(CPU["resolve"], 1),
            "load_average": round(os.getloadavg()[0], 1),
            "peak_gb": round(max(synth_gb, scan_gb, resolve_gb), 2), "scan_gb": round(scan_gb, 2),
            "resolve_gb": round(resolve_gb, 2), "case": str(case), "drill": str(drill)}


def persons_of(case: Path, env: dict):
    """(record_id, person_id) of a resolved case, sorted by record."""
    code = ("import json,sys;from fuite.store import open_case;from fuite.store.edge import case_access;"
            "t=open_case(sys.argv[1],case_access(sys.argv[1])).get_table('records').select(['record_id','person_id']).sort_by('record_id');"
            "print(json.dumps(t.column('person_id').to_pylist()))")
    out = subprocess.run([sys.executable, "-c", code, str(case)], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


_SUMMARY = ("import json,sys;from fuite.store import open_case;from fuite.store.edge import case_access;"
            "s=open_case(sys.argv[1],case_access(sys.argv[1])).meta_get('resolve_summary',{});"
            "print(json.dumps({k:s.get(k) for k in ('persons','partitions','partition_records','largest_component',"
            "'giant_components','giant_records','rules_cut')}))")


def resolve_summary(case: Path, env: dict) -> dict:
    """The partitioning figures of the case's last resolution (counts only)."""
    out = subprocess.run([sys.executable, "-c", _SUMMARY, str(case)], env=env, capture_output=True, text=True,
                         check=True)
    found = json.loads(out.stdout)
    return {"found_persons": found.pop("persons"), **{k: v for k, v in found.items() if v is not None},
            "partitions": found.get("partitions") or 1}


_ACCURACY = """
import json, sys
sys.path.insert(0, sys.argv[3])
from pathlib import Path
from fuite.resolve import bcubed
from fuite.store import open_case
from fuite.store.edge import case_access
from resolve import _truth
records = open_case(sys.argv[1], case_access(sys.argv[1])).get_table(
    "records", ["record_id", "file", "table", "row", "person_id"]).sort_by("record_id")
truth = _truth(records, Path(sys.argv[2]))
score = bcubed(records.column("person_id").to_numpy(), truth)
print(json.dumps({"true_persons": len(set(truth.tolist())), "bcubed_f1": round(score.f1, 4),
                  "bcubed_precision": round(score.precision, 4), "bcubed_recall": round(score.recall, 4)}))
"""


def accuracy_of(case: Path, drill: Path, env: dict) -> dict:
    """Persons and B-cubed against the drill's answer key (in a process of its own, after the resolve)."""
    out = subprocess.run([sys.executable, "-c", _ACCURACY, str(case), str(drill / "answer_key" / "records.csv"),
                          str(ROOT / "bench")], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def spark_against_duckdb(persons: int, work: Path, env: dict) -> dict:
    from fuite.resolve.evaluate import bcubed

    duck = one_size(persons, work, env, None, "duckdb")
    case_spark = work / f"case-{persons}-spark"
    shutil.copytree(work / f"case-{persons}-duckdb", case_spark)
    spark_s, spark_gb = run("resolve", "--case", str(case_spark), "--engine", "spark", env=env)
    a, b = persons_of(work / f"case-{persons}-duckdb", env), persons_of(case_spark, env)
    score = bcubed(b, a)
    return {"persons": persons, "duckdb_persons": len(set(a)), "spark_persons": len(set(b)),
            "bcubed_precision": round(score.precision, 5), "bcubed_recall": round(score.recall, 5),
            "bcubed_f1": round(score.f1, 5), "duckdb_resolve_s": duck["resolve_s"], "spark_resolve_s": round(spark_s, 1),
            "spark_driver_gb": round(spark_gb, 2)}


_HEADER = (f"{'persons':>9} {'rows':>10} {'synth s':>8} {'synth GB':>8} {'scan s':>7} {'scan CPU s':>10} "
           f"{'scan GB':>8} {'resolve s':>9} {'resolve CPU s':>13} {'resolve GB':>10} {'parts':>5} {'load':>5}")


def _line(r: dict) -> str:
    line = (f"{r['persons']:>9,} {r['rows']:>10,} {r['synth_s']:>8} {r['synth_gb']:>8} {r['scan_s']:>7} "
            f"{r['scan_cpu_s']:>10} {r['scan_gb']:>8} {r['resolve_s']:>9} {r['resolve_cpu_s']:>13} "
            f"{r['resolve_gb']:>10} {r['partitions']:>5} {r['load_average']:>5}")
    if r.get("partitions", 1) > 1:
        line += f"\n{'':>9} largest partition: {r['partition_records']:,} records"
    if r.get("giant_components"):
        cut = "; ".join(f"{rule} ({records:,} records)" for rule, records in r["rules_cut"].items())
        line += (f"\n{'':>9} merges refused at the cap: {r['giant_components']} ({r['giant_records']:,} records), "
                 f"by {cut}")
    if "bcubed_f1" in r:
        line += (f"\n{'':>9} persons found {r['found_persons']:,} of {r['true_persons']:,}; B-cubed P/R/F1 "
                 f"{r['bcubed_precision']}/{r['bcubed_recall']}/{r['bcubed_f1']}")
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="", help="comma-separated drill sizes (persons)")
    parser.add_argument("--memory", default=None, help="DuckDB memory cap for resolve, e.g. 2GB")
    parser.add_argument("--spark", type=int, default=0, help="compare Spark with DuckDB on a drill of N persons")
    parser.add_argument("--accuracy", action="store_true", help="persons and B-cubed against the answer key")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.setdefault("FUITE_KEY", secrets.token_urlsafe(24))
    work = Path(tempfile.mkdtemp(prefix="fuite-bench-scale-"))
    try:
        results: dict = {"load_average": os.getloadavg()[0]}
        if not args.json:
            print(f"load average at start: {results['load_average']:.1f}", flush=True)
        if args.sizes:
            results["curve"] = []
            if not args.json:
                print(_HEADER, flush=True)
            for n in args.sizes.split(","):
                row = one_size(int(n), work, env, args.memory, accuracy=args.accuracy)
                results["curve"].append(row)
                if not args.json:
                    print(_line(row), flush=True)
                for sub in ("drill", "case"):   # each size's files go as soon as it is measured
                    shutil.rmtree(row[sub], ignore_errors=True)
        if args.spark:
            results["spark"] = spark_against_duckdb(args.spark, work, env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=1))
        return
    if "spark" in results:
        s = results["spark"]
        print(f"Spark vs DuckDB on {s['persons']:,} persons: {s['spark_persons']:,} vs {s['duckdb_persons']:,} persons, "
              f"B-cubed P/R/F1 {s['bcubed_precision']}/{s['bcubed_recall']}/{s['bcubed_f1']}; "
              f"resolve {s['spark_resolve_s']} s (Spark) vs {s['duckdb_resolve_s']} s (DuckDB)")


if __name__ == "__main__":
    main()
