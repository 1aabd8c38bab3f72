"""Benchmark record linkage: persons vs truth, B-cubed P/R/F1, per reality, seconds, peak RSS, beside plain Splink.

  python bench/resolve.py --case CASE_DIR --key DRILL/answer_key/records.csv [--peer]
      the records a real ``fuite scan`` stored in a case (key from FUITE_KEY), resolved again
      (relations, linkage, persons, written back encrypted);
  python bench/resolve.py --layouts 6000 [--peer]
      the three independent layouts of ``tests/resolve_layouts.py`` (a world of N households each,
      written in shapes the drill does not generate), each scanned into a temporary case;
  python bench/resolve.py --simulate 491840
      records simulated from ``fuite.synth``'s true persons (no file step).

For each run: distinct persons vs truth, B-cubed precision/recall/F1, and per reality of the
answer key (ayant droit, twin, homonym, married name, ...) the persons, how many were wrongly
split (their records in more than one predicted person) and wrongly merged (a predicted person
of theirs holds another person's records). ``--peer`` puts beside it, on the same records, a
plain Splink model as its tutorial sets it up: names, birth date, postcode, email, phone and
NIR comparisons, EM-trained, clustered with ``cluster_pairwise_predictions_at_threshold``.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fuite.resolve import bcubed, resolve_records  # noqa: E402
from fuite.schema import RECORD_SCHEMA  # noqa: E402

_PAGE = os.sysconf("SC_PAGE_SIZE")


class PeakRSS:
    """Sample this process's resident set size every 20 ms; ``peak`` in bytes."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            self._stop.wait(0.02)

    def __enter__(self):
        self.peak = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


# ---------------------------------------------------------------- simulation

def _typo(word: str | None, r: int) -> str | None:
    if word is None or len(word) < 4:
        return word
    i = 1 + r % (len(word) - 2)
    kind = r % 3
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def _damage(series: pl.Series, mask: np.ndarray, rng: np.random.Generator) -> pl.Series:
    rows = np.flatnonzero(mask)
    if len(rows) == 0:
        return series
    new = [_typo(w, int(r)) for w, r in zip(series.gather(rows).to_list(), rng.integers(0, 1 << 30, len(rows)))]
    return series.scatter(rows, pl.Series(new, dtype=pl.String))


def _blank(series: pl.Series, mask: np.ndarray) -> pl.Series:
    return series.scatter(np.flatnonzero(mask), None)


def simulate(n_persons: int, seed: int = 7) -> tuple[pa.Table, np.ndarray]:
    """Records (RECORD_SCHEMA) and their true person ids, from synth's true persons."""
    from fuite.synth.people import make_persons
    from fuite.synth.pools import build_pools
    from fuite.synth.variants import strip_accents

    rng = np.random.default_rng(seed)
    pools = build_pools(seed)
    persons, _ = make_persons(rng, pools, n_persons)
    # ~2.64 records per person over 7 files, like the 2021 leak (1.3M rows, 491,840 persons)
    counts = np.minimum(1 + rng.poisson(1.64, n_persons), 7)
    idx = np.repeat(np.arange(n_persons), counts)
    n = len(idx)
    p = persons.select(pl.all().gather(idx))
    u = lambda: rng.random(n)  # noqa: E731
    file_no = rng.integers(0, 7, n)
    first, last = p["first_name"], p["last_name"]
    style = u()
    def cased(col: pl.Series) -> pl.Series:
        frame = pl.DataFrame({"v": col, "s": style, "a": u() < 0.3})
        v = pl.col("v")
        v = pl.when(pl.col("a")).then(strip_accents(v)).otherwise(v)
        return frame.select(pl.when(pl.col("s") < 0.45).then(v.str.to_uppercase())
                            .when(pl.col("s") < 0.55).then(v.str.to_lowercase()).otherwise(v)).to_series()
    first, last = cased(first), cased(last)
    last = _damage(last, u() < 0.03, rng)
    first = _damage(first, u() < 0.02, rng)
    swap = pl.Series(u() < 0.03)
    first, last = last.zip_with(swap, first), first.zip_with(swap, last)
    first = _blank(first, u() < 0.02)
    birth = p["birth_date"].cast(pl.String)
    birth = _damage(birth, u() < 0.01, rng)  # a slipped digit (only kept when still a date)
    birth = _blank(birth, u() < 0.05)
    birth = pl.DataFrame({"b": birth}).select(
        pl.col("b").str.to_date("%Y-%m-%d", strict=False).cast(pl.String)).to_series()
    national = p["mobile"].zip_with(pl.Series(u() < 0.5) | p["landline"].is_null(), p["landline"])
    national = national.fill_null(p["landline"])
    phone = pl.DataFrame({"x": national}).select(pl.concat_str([pl.lit("+33"), pl.col("x").str.slice(1)])).to_series()
    phone = _blank(phone, u() < 0.35)
    email = _blank(p["email"], u() < 0.45)
    nir = _blank(p["nir"], u() < 0.45)
    move = pl.Series(u() < 0.05)
    towns = rng.integers(0, len(pools.towns), n)
    city = pl.Series(pools.towns[towns], dtype=pl.String).zip_with(move, p["city"])
    postal = pl.Series(pools.postcodes[towns], dtype=pl.String).zip_with(move, p["postal_code"])
    no_place = u() < 0.15
    city, postal = _blank(city, no_place), _blank(postal, no_place)
    # households: a few records give the phone of the previous person (same family, other birth date)
    phone = phone.shift(1).zip_with(pl.Series(u() < 0.03), phone)
    row = pl.DataFrame({"f": file_no}).select(pl.int_range(pl.len()).over("f")).to_series()
    frame = pl.DataFrame({
        "record_id": np.arange(n, dtype=np.int64), "source_id": file_no.astype(np.int32),
        "file": pl.Series([f"file{k}.csv" for k in range(7)])[file_no], "table": [""] * n,
        "row": row.cast(pl.Int64), "last_name": last, "first_name": first, "birth_date": birth,
        "sex": p["sex"], "nir": nir, "phone": phone, "email": email, "street": p["street"],
        "postal_code": postal, "city": city,
    })
    for field in RECORD_SCHEMA:
        if field.name not in frame.columns:
            frame = frame.with_columns(pl.lit(None).alias(field.name))
    frame = frame.with_columns(pl.col("record_id").alias("person_id"))
    table = frame.select(RECORD_SCHEMA.names).to_arrow().cast(RECORD_SCHEMA)
    return table, idx


# ---------------------------------------------------------------- inputs

def _truth(records: pa.Table, key_csv: Path) -> np.ndarray:
    key = pl.read_csv(key_csv, schema_overrides={"table": pl.String, "row": pl.Int64})
    key = key.with_columns(pl.col("table").fill_null(""))
    rec = pl.from_arrow(records.select(["record_id", "file", "table", "row"])).with_columns(
        pl.col("table").fill_null(""))
    joined = rec.join(key.select("file", "table", "row", pl.col("person_id").alias("truth")),
                      on=["file", "table", "row"], how="left")
    missing = joined["truth"].null_count()
    if missing:
        print(f"warning: {missing} records have no answer-key row; each counts as its own person", file=sys.stderr)
    truth = joined.sort("record_id").select(
        pl.coalesce(pl.col("truth").cast(pl.String), pl.lit("missing-") + pl.col("record_id").cast(pl.String)))
    return truth.to_series().to_numpy()


def _read_parquet(path: Path) -> pa.Table:
    import pyarrow.parquet as pq

    return pq.read_table(path)


def _resolve_case(case_dir: Path):
    """Run ``resolve_case`` on the case; return an object with ``records`` and ``summary``."""
    from types import SimpleNamespace

    from fuite.resolve import resolve_case
    from fuite.store import open_case
    from fuite.store.edge import case_access

    with open_case(case_dir, case_access(case_dir)) as case:
        summary = resolve_case(case)
        return SimpleNamespace(records=case.get_table("records"), summary=summary)


# ---------------------------------------------------------------- peer

def plain_splink(records: pa.Table) -> tuple[np.ndarray, float, int]:
    """A plain Splink 5 dedupe as its tutorial sets it up (library comparisons, EM-trained, clustered by
    ``cluster_pairwise_predictions_at_threshold``). It gets the same child-row -> parent-row assignment."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on

    from fuite.resolve.core import _roots
    from fuite.resolve.engine import make_db_api

    everything = pl.from_arrow(records).sort("record_id")
    roots, _ = _roots(everything)
    top = everything.filter(roots == everything["record_id"])
    frame = top.select(
        pl.col("record_id").alias("unique_id"),
        pl.col("first_name").str.to_lowercase().alias("first_name"),
        pl.col("last_name").str.to_lowercase().alias("surname"),
        pl.col("birth_date").alias("dob"), "postal_code", "email", "phone", "nir",
    )
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.NameComparison("first_name"), cl.NameComparison("surname"),
                     cl.DateOfBirthComparison("dob", input_is_string=True),
                     cl.ExactMatch("postal_code").configure(term_frequency_adjustments=True),
                     cl.EmailComparison("email"), cl.ExactMatch("phone"), cl.LevenshteinAtThresholds("nir", 2)],
        blocking_rules_to_generate_predictions=[block_on("first_name", "surname"), block_on("surname", "dob"),
                                                block_on("first_name", "dob"), block_on("postal_code", "surname"),
                                                block_on("email"), block_on("phone"), block_on("nir")],
        retain_intermediate_calculation_columns=False,
    )
    with PeakRSS() as rss:
        start = time.perf_counter()
        linker = Linker(make_db_api("duckdb").register(frame.to_arrow()), settings, log_level=None)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("first_name", "surname", "dob"), block_on("nir")], recall=0.7)
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
        for rule in (block_on("first_name", "surname"), block_on("dob")):
            try:   # Splink 5 refuses a level EM never observed (m = 0); that session is then skipped
                linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=1e6)
            except ValueError:
                pass
        pairs = linker.inference.predict(threshold_match_probability=0.5, warning_mode="never")
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, 0.95)
        found = pl.from_arrow(clusters.as_pyarrow_table()).select(
            pl.col("unique_id").cast(pl.Int64).alias("__root"), pl.col("cluster_id").cast(pl.String))
        seconds = time.perf_counter() - start
    labels = pl.DataFrame({"__root": roots}).join(found, on="__root", how="left", maintain_order="left")
    labels = labels.select(pl.coalesce("cluster_id", pl.col("__root").cast(pl.String)))
    return labels.to_series().to_numpy(), seconds, rss.peak


# ---------------------------------------------------------------- figures

def per_reality(labels, truth, realities: dict) -> pl.DataFrame:
    """Per reality: persons, wrongly split and wrongly merged persons (see the module docstring)."""
    frame = pl.DataFrame({"p": pl.Series(labels).cast(pl.String), "t": pl.Series(truth).cast(pl.String)})
    impure = frame.group_by("p").agg((pl.col("t").n_unique() > 1).alias("impure"))
    per_person = frame.join(impure, on="p").group_by("t").agg(
        (pl.col("p").n_unique() > 1).alias("split"), pl.col("impure").any().alias("merged"))
    tags = pl.DataFrame({"t": [str(k) for k in realities], "reality": [sorted(v) for v in realities.values()]})
    tags = tags.explode("reality")
    joined = per_person.join(tags, on="t", how="left").with_columns(pl.col("reality").fill_null("plain"))
    every = per_person.with_columns(pl.lit("(all)").alias("reality"))
    return (pl.concat([joined, every.select(joined.columns)]).group_by("reality")
            .agg(pl.len().alias("persons"), pl.col("split").sum(), pl.col("merged").sum())
            .with_columns((pl.col("merged") / pl.col("persons")).alias("merged_share"))
            .sort("reality"))


def _row(name: str, *cells) -> None:
    print(f"{name:<30}" + "".join(f"{c:>20}" for c in cells))


def report(title: str, labels, truth, realities: dict, seconds: float, rss: int, cpu: float | None,
           peer: tuple | None) -> dict:
    """Print the figures of one run (fuite beside the peer); return them."""
    true_persons = len(np.unique(truth))
    found = len(np.unique(labels))
    score = bcubed(labels, truth)
    diff = lambda k: f"{k:,} ({(k - true_persons) / true_persons:+.2%})"  # noqa: E731
    print(f"\n== {title}: {len(truth):,} records, {true_persons:,} true persons")
    cols = ["fuite", "target"] + (["plain Splink"] if peer else [])
    _row("", *cols)
    ps = bcubed(peer[0], truth) if peer else None
    _row("distinct persons", diff(found), "±1 %", *([diff(len(np.unique(peer[0])))] if peer else []))
    _row("B-cubed precision", f"{score.precision:.4f}", "", *([f"{ps.precision:.4f}"] if peer else []))
    _row("B-cubed recall", f"{score.recall:.4f}", "", *([f"{ps.recall:.4f}"] if peer else []))
    _row("B-cubed F1", f"{score.f1:.4f}", ">= 0.98", *([f"{ps.f1:.4f}"] if peer else []))
    _row("seconds", f"{seconds:.1f}", "<= 60 (full size)", *([f"{peer[1]:.1f}"] if peer else []))
    if cpu is not None:
        _row("CPU seconds (all threads)", f"{cpu:.1f}", "", *([""] if peer else []))
    _row("peak RSS (GB)", f"{rss / 1e9:.2f}", "<= 6", *([f"{peer[2] / 1e9:.2f}"] if peer else []))
    _row("load average (1 min)", f"{os.getloadavg()[0]:.1f}", "", *([""] if peer else []))
    table = per_reality(labels, truth, realities)
    peer_table = per_reality(peer[0], truth, realities) if peer else None
    print()
    head = ["persons", "split", "merged", "merged %"] + (["Splink split", "Splink merged", "Splink %"] if peer else [])
    print(f"{'reality':<24}" + "".join(f"{h:>14}" for h in head))
    worst = 0.0
    for row in table.iter_rows(named=True):
        cells = [f"{row['persons']:,}", f"{row['split']:,}", f"{row['merged']:,}", f"{row['merged_share']:.2%}"]
        if peer_table is not None:
            other = peer_table.filter(pl.col("reality") == row["reality"]).row(0, named=True)
            cells += [f"{other['split']:,}", f"{other['merged']:,}", f"{other['merged_share']:.2%}"]
        if row["reality"] != "(all)":
            worst = max(worst, row["merged_share"])
        print(f"{row['reality']:<24}" + "".join(f"{c:>14}" for c in cells))
    return {"title": title, "persons": found, "true_persons": true_persons, "f1": score.f1,
            "worst_merged_share": worst, "seconds": seconds}


def _reality_names(text: str | None) -> set:
    return set(text.split(";")) if text else {"plain"}


def _drill_realities(key_csv: Path) -> dict:
    persons = key_csv.parent / "persons.csv"
    if not persons.exists():
        return {}
    frame = pl.read_csv(persons, columns=["person_id", "realities"], schema_overrides={"realities": pl.String})
    return {str(k): _reality_names(v) for k, v in frame.iter_rows()}


def run_layouts(households: int, peer: bool, seed: int) -> list[dict]:
    """Each independent layout scanned into a temporary case and resolved; figures printed."""
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from resolve_layouts import LAYOUTS, build

    from fuite.scan import scan_paths
    from fuite.store import open_case
    from fuite.store.edge import case_access

    os.environ.setdefault("FUITE_KEY", "bench-layouts-throwaway-secret")
    results = []
    for layout in LAYOUTS:
        with tempfile.TemporaryDirectory() as tmp:
            truth = build(layout, Path(tmp) / "leak", households, seed)
            with open_case(Path(tmp) / "case", case_access(Path(tmp) / "case"), create=True) as case:
                with PeakRSS() as rss:
                    start, cpu = time.perf_counter(), time.process_time()
                    scan_paths(case, [Path(tmp) / "leak"])
                    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
                records = case.get_table("records")
            rec = pl.from_arrow(records.select(["record_id", "file", "table", "row", "person_id"])).sort("record_id")
            key = pl.DataFrame(truth["rows"], schema=["file", "table", "row", "truth"], orient="row")
            joined = rec.join(key, on=["file", "table", "row"], how="left", maintain_order="left")
            labels = joined["person_id"].to_numpy()
            tr = joined.select(pl.coalesce(pl.col("truth").cast(pl.String),
                                           pl.lit("missing-") + pl.col("record_id").cast(pl.String))).to_series()
            realities = {str(k): v for k, v in truth["realities"].items()}
            other = plain_splink(records) if peer else None
            results.append(report(f"layout {layout} (scan + resolve)", labels, tr.to_numpy(), realities, seconds,
                                  rss.peak, cpu, other))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", type=Path)
    parser.add_argument("--key", type=Path, help="answer_key/records.csv of the drill")
    parser.add_argument("--layouts", type=int, metavar="HOUSEHOLDS", help="run the three independent layouts")
    parser.add_argument("--simulate", type=int, metavar="PERSONS")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--peer", action="store_true", help="also run a plain Splink model on the same records")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}")
    if args.layouts:
        run_layouts(args.layouts, args.peer, args.seed)
    if args.simulate:
        records, truth = simulate(args.simulate, args.seed)
        with PeakRSS() as rss:
            start, cpu = time.perf_counter(), time.process_time()
            resolved = resolve_records(records)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        order = np.argsort(resolved.records["record_id"].to_numpy())
        report("simulated records", resolved.records["person_id"].to_numpy()[order], truth.astype(str), {},
               seconds, rss.peak, cpu, plain_splink(records) if args.peer else None)
    if args.case:
        if not args.key:
            parser.error("--key is required with --case")
        with PeakRSS() as rss:
            start, cpu = time.perf_counter(), time.process_time()
            resolved = _resolve_case(args.case)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        records = resolved.records
        truth = _truth(records, args.key)
        order = np.argsort(records["record_id"].to_numpy())
        labels = records["person_id"].to_numpy()[order]
        report(f"drill {args.case}", labels, truth, _drill_realities(args.key), seconds, rss.peak, cpu,
               plain_splink(records) if args.peer else None)
        print("\nsummary:", {k: v for k, v in resolved.summary.items() if k not in ("relation_problems",)})
    if not (args.layouts or args.simulate or args.case):
        parser.error("give --case and --key, --layouts or --simulate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
