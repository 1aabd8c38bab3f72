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
        rec = pl.from_arrow(extract_records(table, findings)).select("row", "hiv", "health", "conditions",
                                                                    "categories")
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
            "misses": misses, "columns": len(pairs), "rows": joined.height, "seconds": seconds, "found": found,
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


# ---- free text: conditions per person, subject and status (issue 14) ------------------------------------------

CONDITIONS = ("hiv", "hepatitis", "pregnancy", "cancer", "mental_health", "addiction")


def _condition_scores(truth: list[set[str]], found: list[set[str]]) -> dict[str, tuple[float, float, int]]:
    """Per condition (precision, recall, true count) over persons."""
    out = {}
    for c in CONDITIONS:
        tp = sum(c in t and c in f for t, f in zip(truth, found))
        fp = sum(c not in t and c in f for t, f in zip(truth, found))
        fn = sum(c in t and c not in f for t, f in zip(truth, found))
        out[c] = (tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0, tp + fn)
    return out


def _split(value) -> set[str]:
    return set(value.split(";")) - {""} if value else set()


def score_drill_conditions(drill: Path, found: pl.DataFrame) -> dict:
    """Person-level condition precision/recall on the drill, the identifiers typed in free text, and the persons a
    third party's condition (a relative's, a partner's, a source patient's) could have been pinned on."""
    from fuite.synth.health import THIRD_PARTY

    key = drill / "answer_key"
    rows = pl.read_csv(key / "records.csv", schema_overrides={"table": pl.String}).fill_null("")
    persons = pl.read_csv(key / "persons.csv", infer_schema_length=0).fill_null("")
    joined = rows.join(found, on=["file", "table", "row"], how="left")
    per_person = joined.group_by("person_id").agg(
        pl.col("conditions").drop_nulls().str.join(";").alias("found"),
        pl.col("categories").drop_nulls().str.join(";").alias("found_categories"))
    per_person = per_person.with_columns(pl.col("person_id").cast(pl.String)).join(
        persons.select("person_id", "conditions", "categories"), on="person_id", how="left")
    truth = [_split(v) for v in per_person["conditions"].to_list()]
    got = [_split(v) for v in per_person["found"].to_list()]
    texts = _health_texts(drill)
    found_by_person = {r["person_id"]: _split(r["found"]) for r in per_person.iter_rows(named=True)}
    return {"conditions": _condition_scores(truth, got),
            "third_party": _third_party_figure(drill, texts, found_by_person, THIRD_PARTY),
            "typed": _typed_identifier_scores(drill, texts), "persons": per_person.height}


def _health_texts(drill: Path) -> pl.DataFrame:
    """(file, table, row, text) of every health-note and medication cell of the drill, read as the scan reads it."""
    key = drill / "answer_key"
    cols = pl.read_csv(key / "columns.csv", infer_schema_length=0).fill_null("")
    text_cols = {(r["file"], r["table"], r["column"]) for r in cols.iter_rows(named=True)
                 if r["category"] in ("health_note", "medication")}
    parts = []
    for st in read_paths([drill / "leak"], on_quarantine=lambda q: None, on_problem=lambda p: None):
        positions = [i for i, c in enumerate(st.columns) if (st.file, st.table, c) in text_cols]
        for batch in st.batches():
            frame = pl.from_arrow(batch)
            for i in positions:
                parts.append(frame.select(pl.col("__row").alias("row"), pl.col(f"c{i}").alias("text"))
                             .drop_nulls("text").with_columns(file=pl.lit(st.file), table=pl.lit(st.table)))
    return pl.concat(parts) if parts else pl.DataFrame()


def _third_party_figure(drill: Path, texts: pl.DataFrame, found: dict[str, set[str]],
                        third_party: dict[str, tuple[str, ...]]) -> dict[str, tuple[int, int]]:
    """Per condition: (persons whose records mention it only about someone else, of them how many got it)."""
    key = drill / "answer_key"
    rows = pl.read_csv(key / "records.csv", schema_overrides={"table": pl.String}).fill_null("")
    persons = pl.read_csv(key / "persons.csv", infer_schema_length=0).fill_null("")
    mentioned = texts.join(rows.select("file", "table", "row", "person_id"), on=["file", "table", "row"])
    out = {}
    truth = {r["person_id"]: _split(r["conditions"]) for r in persons.iter_rows(named=True)}
    for condition, phrases in third_party.items():
        ids = set(mentioned.filter(pl.col("text").str.contains_any(list(phrases)))["person_id"].cast(pl.String))
        exposed = [p for p in ids if condition not in truth.get(p, set())]
        out[condition] = (len(exposed), sum(condition in found.get(p, set()) for p in exposed))
    return out


def _typed_identifier_scores(drill: Path, texts: pl.DataFrame) -> dict[str, tuple[float, float, int]]:
    """Per identifier category, recall/precision over free-text cells: truth = the cell holds the row's person's own
    identifier as the drill typed it; found = the scan's text runner (``fuite.detect.textids``) counts it."""
    from fuite.detect.textids import typed_categories
    from fuite.synth.health import typed_identifier_bits
    from fuite.taxonomy import PERSONAL_IDS

    key = drill / "answer_key"
    rows = pl.read_csv(key / "records.csv", schema_overrides={"table": pl.String}).fill_null("")
    persons = pl.read_csv(key / "persons.csv", infer_schema_length=0).with_columns(
        mobile=pl.col("phone").str.replace(r"^\+33", "0"))
    cells = texts.join(rows.select("file", "table", "row", "person_id"), on=["file", "table", "row"])
    cells = cells.with_columns(pl.col("person_id").cast(pl.String)).join(
        persons.select("person_id", "nir", "email", "mobile"), on="person_id", how="left")
    truth_bits = typed_identifier_bits(cells["text"], cells)
    found = [_split(v) for v in typed_categories(cells["text"]).to_list()]
    out = {}
    for category in ("nir", "phone", "email"):
        bit = 1 << PERSONAL_IDS.index(category)
        out[category] = recall_precision([bool(b & bit) for b in truth_bits], [category in f for f in found])
    return out


def score_layout_conditions(rows: int) -> dict:
    """The same figures on notes written by tests/test_detect_freetext_context.py in wordings the drill lacks."""
    import test_detect_freetext_context as notes

    columns, table, truth, third = notes.note_layout(rows, seed=5)
    found = extract_records(table, classify_table(columns, table))
    got = [_split(v) for v in found.column("conditions").to_pylist()]
    categories = [_split(v) for v in found.column("categories").to_pylist()]   # the layout has no id column
    third_party = {c: (sum(c in t and c not in tr for t, tr in zip(third, truth)),
                       sum(c in t and c not in tr and c in g for t, tr, g in zip(third, truth, got)))
                   for c in CONDITIONS}
    typed = notes.typed_truth(rows, seed=5)
    typed_scores = {c: recall_precision([c in t for t in typed], [c in f for f in categories])
                    for c in ("nir", "phone", "email")}
    return {"conditions": _condition_scores(truth, got), "third_party": third_party, "typed": typed_scores,
            "persons": len(truth)}


def edsnlp_peer(notes: pl.Series, limit: int) -> str:
    """edsnlp's qualifier pipes (eds.family, eds.negation, eds.hypothesis over an eds.matcher of fuite's special
    words) side by side with fuite's rule set: the rule table of tests/test_detect_freetext_context.py on the
    qualifiers both express (relative, negated, hypothetical), and the cost on the drill's distinct notes."""
    import test_detect_freetext_context as cases

    from fuite.detect.freetext import analyse_text
    from fuite.detect.terminology import special_words

    started = time.perf_counter()
    import edsnlp
    import edsnlp.pipes as eds

    nlp = edsnlp.blank("eds")
    nlp.add_pipe(eds.sentences())
    nlp.add_pipe(eds.normalizer())
    nlp.add_pipe(eds.matcher(terms={"special": [w for w in special_words() if len(w) > 2]}, attr="NORM"))
    for pipe in (eds.negation(), eds.hypothesis(), eds.family()):
        nlp.add_pipe(pipe)
    load_s = time.perf_counter() - started

    def eds_view(doc) -> set[str]:
        out = set()
        for ent in doc.ents:
            out |= {q for q, on in (("relative", ent._.family), ("negated", ent._.negation),
                                    ("hypothetical", ent._.hypothesis)) if on}
        return out

    def fuite_view(text: str) -> set[str]:
        found = analyse_text(text).findings
        return {f.subject for f in found if f.subject == "relative"} | \
            {f.status for f in found if f.status in ("negated", "hypothetical")}

    def truth_view(expected) -> set[str]:
        return {s for _, s, _ in expected if s == "relative"} | \
            {st for _, _, st in expected if st in ("negated", "hypothetical")}

    texts = [c[0] for c in cases.CASES]
    truth = [truth_view(c[1]) for c in cases.CASES]
    eds_right = sum(eds_view(d) == t for d, t in zip(nlp.pipe(texts), truth))
    fuite_right = sum(fuite_view(x) == t for x, t in zip(texts, truth))
    distinct = notes.unique().head(limit).to_list()
    started = time.perf_counter()
    list(nlp.pipe(distinct))
    eds_s = time.perf_counter() - started
    analyse_text.cache_clear()
    started = time.perf_counter()
    for text in distinct:
        analyse_text(text)
    fuite_s = time.perf_counter() - started
    return (f"qualifiers on the {len(texts)} rule-table cases (relative / negated / hypothetical all right): "
            f"edsnlp {eds_right}, fuite {fuite_right}; {len(distinct)} distinct drill notes: edsnlp "
            f"{len(distinct) / eds_s:,.0f} texts/s + {load_s:.1f} s load, fuite {len(distinct) / fuite_s:,.0f} "
            f"texts/s")


def print_conditions(drill: dict, layouts: dict) -> None:
    """The free-text figures side by side: drill and independent layouts."""
    print(f"{'condition':16} {'drill P / R (n)':>24} {'layouts P / R (n)':>24}")
    for c in CONDITIONS:
        d, lay = drill["conditions"][c], layouts["conditions"][c]
        print(f"{c:16} {d[0]:7.4f} / {d[1]:6.4f} ({d[2]:4d}) {lay[0]:7.4f} / {lay[1]:6.4f} ({lay[2]:4d})")
    print(f"{'third-party only':16} {'persons, attributed':>24} {'persons, attributed':>24}")
    for c in CONDITIONS:
        d, lay = drill["third_party"].get(c, (0, 0)), layouts["third_party"].get(c, (0, 0))
        print(f"{c:16} {d[0]:14d} {d[1]:9d} {lay[0]:14d} {lay[1]:9d}")
    print(f"{'typed in text':16} {'recall / precision (n)':>24} {'recall / precision (n)':>24}")
    for c in ("nir", "phone", "email"):
        d, lay = drill["typed"][c], layouts["typed"][c]
        print(f"{c:16} {d[0]:7.4f} / {d[1]:6.4f} ({d[2]:4d}) {lay[0]:7.4f} / {lay[1]:6.4f} ({lay[2]:4d})")


def _fmt(cell: tuple[float, float, float, int] | None) -> str:
    return f"{cell[2]:6.3f} ({cell[3]:3d})" if cell else f"{'-':>12}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drill", type=Path, help="a drill folder (leak/ + answer_key/)")
    parser.add_argument("--persons", type=int, default=20_000, help="size of a drill generated on the fly")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--layout-rows", type=int, default=2_000)
    parser.add_argument("--edsnlp", type=int, default=3_000, help="distinct notes for the edsnlp peer (0 to skip)")
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
        conditions_drill = score_drill_conditions(drill, d["found"])
    lay = score_layouts(args.layout_rows)
    conditions_layouts = score_layout_conditions(args.layout_rows)
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
    print_conditions(conditions_drill, conditions_layouts)
    if args.edsnlp:
        print(edsnlp_peer(d["notes"], args.edsnlp))
    if args.names:
        print(third_party_names(d["notes"], args.names))
    for m in d["misses"] + lay["misses"]:
        print("  miss:", m)


if __name__ == "__main__":
    main()
