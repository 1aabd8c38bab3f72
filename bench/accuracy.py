"""Detection accuracy against an answer key: per-category column F1 and HIV recall/precision per person.

Two corpora, printed side by side:

- **drill**: a ``fuite synth`` drill (``--drill DIR`` holding ``leak/`` and
  ``answer_key/``, or one generated on the fly with ``--persons``). Rows are
  mapped to persons with the answer key's own ``person_id`` so that the figure
  measures detection, not linkage.
- **layouts**: tables built by ``tests/test_detect_layouts.py`` in layouts and
  wordings the drill does not use (English headers, abbreviations, no header,
  meaningless and misleading headers, full names and addresses in one cell,
  split NIR, group and Rh in two columns).

    python bench/accuracy.py [--drill DIR | --persons 20000] [--layout-rows 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import polars as pl
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fuite.detect import classify_table, extract_records  # noqa: E402
from fuite.ingest import read_paths  # noqa: E402

SAMPLE_ROWS = 200_000  # as fuite/scan.py


def f1_table(pairs: list[tuple[str, str]]) -> tuple[dict[str, tuple[float, float, float, int]], float]:
    """Per category (precision, recall, F1, support) and overall accuracy from (truth, predicted) pairs."""
    tp, fp, fn, support = Counter(), Counter(), Counter(), Counter()
    for truth, pred in pairs:
        support[truth] += 1
        if truth == pred:
            tp[truth] += 1
        else:
            fp[pred] += 1
            fn[truth] += 1
    out = {}
    for cat in sorted(set(support) | set(fp)):
        p = tp[cat] / (tp[cat] + fp[cat]) if tp[cat] + fp[cat] else 0.0
        r = tp[cat] / (tp[cat] + fn[cat]) if tp[cat] + fn[cat] else 0.0
        out[cat] = (p, r, 2 * p * r / (p + r) if p + r else 0.0, support[cat])
    accuracy = sum(tp.values()) / max(len(pairs), 1)
    return out, accuracy


def recall_precision(truth: list[bool], pred: list[bool]) -> tuple[float, float, int]:
    tp = sum(t and p for t, p in zip(truth, pred))
    fn = sum(t and not p for t, p in zip(truth, pred))
    fp = sum(p and not t for t, p in zip(truth, pred))
    return (tp / (tp + fn) if tp + fn else 1.0), (tp / (tp + fp) if tp + fp else 1.0), tp + fn


def score_drill(drill: Path) -> dict:
    key = drill / "answer_key"
    truth_cols = pl.read_csv(key / "columns.csv", infer_schema_length=0).fill_null("")
    truth_map = {(r["file"], r["table"], r["column"]): r["category"] for r in truth_cols.iter_rows(named=True)}
    problems, quarantined = [], []
    pairs, misses, records, notes = [], [], [], []
    started = time.perf_counter()
    for st in read_paths([drill / "leak"], on_quarantine=quarantined.append, on_problem=problems.append):
        batches = list(st.batches())
        table = pa.Table.from_batches(batches) if batches else None
        if table is None or table.num_rows == 0:
            continue
        findings = classify_table(st.columns, table.slice(0, SAMPLE_ROWS))
        for f in findings:
            truth = truth_map.get((st.file, st.table, f.column))
            if truth is None:
                continue
            pairs.append((truth, f.category))
            if truth != f.category:
                misses.append(f"{st.file} [{st.table}] column {f.position}: {truth} -> {f.category}")
        notes += [pl.Series(table.column(f"c{f.position}")).cast(pl.String) for f in findings
                  if f.category == "health_note"]
        rec = pl.from_arrow(extract_records(table, findings)).select("row", "hiv", "health")
        records.append(rec.with_columns(file=pl.lit(st.file), table=pl.lit(st.table)))
    seconds = time.perf_counter() - started
    per_cat, accuracy = f1_table(pairs)
    found = pl.concat(records)
    key_rows = pl.read_csv(key / "records.csv", schema_overrides={"table": pl.String}).fill_null("")
    joined = key_rows.join(found, on=["file", "table", "row"], how="left", suffix="_found")
    persons = joined.group_by("person_id").agg(pl.col("hiv").max().alias("truth"),
                                               pl.col("hiv_found").fill_null(False).max().alias("found"))
    hiv = recall_precision(persons["truth"].cast(pl.Boolean).to_list(), persons["found"].to_list())
    rows_health = recall_precision(joined["health"].cast(pl.Boolean).to_list(),
                                   joined["health_found"].fill_null(False).to_list())
    return {"per_category": per_cat, "accuracy": accuracy, "hiv_persons": hiv, "health_rows": rows_health,
            "misses": misses, "columns": len(pairs), "rows": joined.height, "seconds": seconds,
            "notes": pl.concat(notes).drop_nulls() if notes else pl.Series([], dtype=pl.String)}


def third_party_names(notes: pl.Series, limit: int) -> str:
    """The optional spaCy pass against the title regex, on the drill's free-text cells: hits, agreement, cost."""
    from fuite.detect.thirdparty import spacy_names, titled_names

    cells = notes.unique().head(limit)
    started = time.perf_counter()
    regex_hits = titled_names(cells)
    regex_s = time.perf_counter() - started
    started = time.perf_counter()
    spacy_names(cells.head(1))                      # model load, reported apart
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    spacy_hits = spacy_names(cells)
    spacy_s = time.perf_counter() - started
    both = int((regex_hits & spacy_hits).sum())
    return (f"third-party names in {cells.len()} distinct notes: title regex {int(regex_hits.sum())} "
            f"({regex_s:.3f} s), spaCy PER "
            f"{int(spacy_hits.sum())} ({spacy_s:.1f} s + {load_s:.1f} s model load), both {both}, "
            f"spaCy only {int((spacy_hits & ~regex_hits).sum())}, regex only {int((regex_hits & ~spacy_hits).sum())}")


def score_layouts(rows: int) -> dict:
    import test_detect_layouts as layouts

    people = layouts.make_people(rows, seed=11)
    pairs, misses, hiv_truth, hiv_found, health_truth, health_found = [], [], [], [], [], []
    for build in layouts.LAYOUTS:
        columns, table, truth = build(people)
        findings = classify_table(columns, table)
        for f, t in zip(findings, truth):
            pairs.append((t, f.category))
            if t != f.category:
                misses.append(f"{build.__name__} {f.column!r}: {t} -> {f.category}")
        rec = extract_records(table, findings)
        expected = layouts.expected_flags(build, people)
        hiv_truth += expected["hiv"]
        hiv_found += rec.column("hiv").to_pylist()
        health_truth += expected["health"]
        health_found += rec.column("health").to_pylist()
    per_cat, accuracy = f1_table(pairs)
    return {"per_category": per_cat, "accuracy": accuracy,
            "hiv_persons": recall_precision(hiv_truth, hiv_found),
            "health_rows": recall_precision(health_truth, health_found), "misses": misses, "columns": len(pairs),
            "rows": len(hiv_truth)}


def _fmt(cell: tuple[float, float, float, int] | None) -> str:
    return f"{cell[2]:6.3f} ({cell[3]:3d})" if cell else f"{'-':>12}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drill", type=Path, help="a drill folder (leak/ + answer_key/)")
    parser.add_argument("--persons", type=int, default=20_000, help="size of a drill generated on the fly")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--layout-rows", type=int, default=2_000)
    parser.add_argument("--names", type=int, default=3_000, help="distinct notes for the third-party-name pass "
                                                                   "(0 to skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        drill = args.drill
        if drill is None:
            from fuite.synth import generate

            drill = Path(tmp)
            generate(drill, persons=args.persons, seed=args.seed)
        d = score_drill(drill)
    lay = score_layouts(args.layout_rows)
    cats = sorted(set(d["per_category"]) | set(lay["per_category"]))
    print(f"{'category':16} {'drill F1 (n)':>14} {'layouts F1 (n)':>14}")
    for c in cats:
        print(f"{c:16} {_fmt(d['per_category'].get(c)):>14} {_fmt(lay['per_category'].get(c)):>14}")
    print(f"{'columns':16} {d['columns']:>14} {lay['columns']:>14}")
    print(f"{'column accuracy':16} {d['accuracy']:14.4f} {lay['accuracy']:14.4f}   (micro-F1 over all columns)")
    for name, label in (("hiv_persons", "HIV persons"), ("health_rows", "health rows")):
        for part, i in (("recall", 0), ("precision", 1)):
            print(f"{label + ' ' + part:16} {d[name][i]:14.4f} {lay[name][i]:14.4f}")
        print(f"{label + ' (n true)':16} {d[name][2]:14d} {lay[name][2]:14d}")
    print(f"drill: {d['rows']} rows scored; ingest+detect {d['seconds']:.1f} s")
    if args.names:
        print(third_party_names(d["notes"], args.names))
    for m in d["misses"] + lay["misses"]:
        print("  miss:", m)


if __name__ == "__main__":
    main()
