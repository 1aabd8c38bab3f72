"""Time `fuite report` (json, html, pdf) on a full-size case.

    python bench/report.py [--persons 491840] [--workdir DIR]      # synth + scan (+ assess) a drill, then report
    python bench/report.py --case DIR                              # an existing case (key from FUITE_KEY)
    python bench/report.py --tables [--persons 491840]             # no drill: case tables built directly (numpy)

Prints, for each format, the wall seconds and peak RSS of the real command (its own process), then the
in-process split: reading the case + figures, HTML (charts included), PDF. No peer publishes a comparable
figure (breach-response suites render their reports server-side), so only fuite's own numbers are printed.
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
from pipeline import run  # noqa: E402  (wall seconds and peak RSS of one `fuite` command)

KEY = "benchmark passphrase"


def table_case(case_dir: Path, persons: int, seed: int = 0) -> None:
    """A case holding full-size sources/records/persons/severity tables, drawn with numpy (no drill needed)."""
    import numpy as np
    import pyarrow as pa

    from fuite.schema import PERSON_SCHEMA, RECORD_SCHEMA
    from fuite.store import open_case
    from fuite.store.edge import case_access

    rng = np.random.default_rng(seed)
    files = ["patients.csv", "export.tsv", "dossiers.jsonl", "registre.xlsx", "dump.sql", "dump.sql", "vrac.txt"]
    tables = ["", "", "", "Patients", "patients", "analyses", ""]
    per_person = rng.choice([1, 2, 3, 4], size=persons, p=[0.35, 0.35, 0.2, 0.1])
    person_of = np.repeat(np.arange(persons), per_person)
    n = len(person_of)
    source = rng.integers(0, len(files), n)
    month = rng.integers(0, 72, n)
    dates = np.char.add(np.char.add((2015 + month // 12).astype(str), "-"),
                        np.char.zfill((1 + month % 12).astype(str), 2))
    dates = np.char.add(dates, "-15")
    hiv = rng.random(persons) < 0.004
    health = hiv | (rng.random(persons) < 0.4)
    conditions = np.where(hiv, "hiv", np.where(rng.random(persons) < 0.01, "pregnancy", ""))
    base = "last_name;first_name;birth_date;nir;phone;postal_code;city"
    cats = np.where(health, base + ";health_note;medication;sample_date;lab_name", base + ";sample_date;lab_name")
    labs = np.array([f"Labo {i:02d} Bretagne" for i in range(30)])[rng.integers(0, 30, persons)]
    records = pa.table({
        "record_id": pa.array(np.arange(n)), "source_id": pa.array(source.astype(np.int32)),
        "file": pa.array(np.array(files)[source]), "table": pa.array(np.array(tables)[source]),
        "row": pa.array(np.arange(n)), "lab": pa.array(labs[person_of]), "sample_date": pa.array(dates),
        "categories": pa.array(cats[person_of]), "health": pa.array(health[person_of]),
        "hiv": pa.array(hiv[person_of]), "conditions": pa.array(conditions[person_of]),
        "person_id": pa.array(person_of.astype(np.int64)),
    })
    records = pa.Table.from_arrays([records.column(f.name).cast(f.type) if f.name in records.column_names
                                    else pa.nulls(n, f.type) for f in RECORD_SCHEMA], schema=RECORD_SCHEMA)
    people = pa.Table.from_arrays([
        {"person_id": pa.array(np.arange(persons)), "records": pa.array(per_person.astype(np.int64)),
         "categories": pa.array(cats), "health": pa.array(health), "hiv": pa.array(hiv),
         "conditions": pa.array(conditions)}.get(f.name, pa.nulls(persons, f.type)).cast(f.type)
        for f in PERSON_SCHEMA], schema=PERSON_SCHEMA)
    counts = np.bincount(source, minlength=len(files))
    sources = pa.Table.from_pylist([{"source_id": i, "file": f, "table": t, "format": f.rsplit(".", 1)[-1],
                                     "encoding": "utf-8", "columns": "[]", "relations": "[]", "parent": "",
                                     "rows": int(counts[i]), "quarantined": int(i * 3)}
                                    for i, (f, t) in enumerate(zip(files, tables, strict=True))])
    levels = np.where(hiv, "very_high", np.where(health, "high", "medium"))
    severity = pa.table({"person_id": pa.array(np.arange(persons)), "level": pa.array(levels)})
    with open_case(case_dir, case_access(case_dir), create=True, operator="bench") as case:
        for name, table in (("sources", sources), ("persons", people), ("severity", severity)):
            case.put_table(name, table)
        for start in range(0, n, 200_000):
            case.append_table("records", records.slice(start, 200_000))


def in_process(case_dir: Path) -> None:
    from fuite.report import case_figures, render_html, render_pdf
    from fuite.store import open_case
    from fuite.store.edge import case_access

    start = time.perf_counter()
    with open_case(case_dir, case_access(case_dir), operator="bench") as case:
        opened = time.perf_counter() - start
        start = time.perf_counter()
        figures = case_figures(case)
        read = time.perf_counter() - start
    start = time.perf_counter()
    render_html(figures, "fr")
    html = time.perf_counter() - start
    start = time.perf_counter()
    render_pdf(figures, "fr")
    pdf = time.perf_counter() - start
    print(f"in process: open case (key derivation) {opened:5.2f} s | read case + figures {read:6.2f} s | html {html:5.2f} s | pdf {pdf:5.2f} s "
          f"({figures['records']:,} records, {figures['persons']:,} persons)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=491_840)
    ap.add_argument("--case", type=Path, help="an existing case (FUITE_KEY must open it)")
    ap.add_argument("--tables", action="store_true", help="build the case tables directly instead of a drill")
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    env = {**os.environ}
    work = a.workdir or Path(tempfile.mkdtemp(prefix="fuite-bench-report-"))
    case = a.case
    if case is None:
        env["FUITE_KEY"] = os.environ["FUITE_KEY"] = KEY
        case = work / "case"
        shutil.rmtree(case, ignore_errors=True)
        if a.tables:
            start = time.perf_counter()
            table_case(case, a.persons)
            print(f"case tables built directly: {time.perf_counter() - start:.1f} s ({a.persons:,} persons)")
        else:
            drill = work / "drill"
            shutil.rmtree(drill, ignore_errors=True)
            print(f"fuite synth : {run('synth', '--out', str(drill), '--persons', str(a.persons), env=env)[0]:7.1f} s")
            print(f"fuite scan  : {run('scan', str(drill / 'leak'), '--case', str(case), env=env)[0]:7.1f} s")
            try:
                print(f"fuite assess: {run('assess', '--case', str(case), env=env)[0]:7.1f} s")
            except SystemExit as exc:
                print(f"fuite assess failed, report without severity ({str(exc).splitlines()[0]})")
    print(f"cores: {os.cpu_count()}")
    for fmt in ("json", "html", "pdf"):
        out = work / f"report.{fmt}"
        wall, rss = run("report", "--case", str(case), "--format", fmt, "--output", str(out), env=env)
        print(f"fuite report --format {fmt:<4}: {wall:6.2f} s  peak RSS {rss:6.0f} MiB  ({out.stat().st_size:,} bytes)")
    in_process(case)
    if not a.keep and a.workdir is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
