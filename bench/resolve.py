"""Benchmark record linkage: distinct persons vs truth, B-cubed P/R/F1, seconds, peak RSS.

Three sources of records, best first:

  python bench/resolve.py --case CASE_DIR --key DRILL/answer_key/records.csv
      the records a real ``fuite scan`` stored in a case (key from FUITE_KEY);
  python bench/resolve.py --records records.parquet --key DRILL/answer_key/records.csv
      a records table (RECORD_SCHEMA) exported by the pipeline;
  python bench/resolve.py --simulate 491840
      records simulated from ``fuite.synth``'s true persons with the drill's kinds of variation
      (case, lost accents, typos, swapped names, missing values, moves, shared family phones),
      for use before the scan pipeline lands.

The truth is joined on (file, table, row). Figures are printed side by side with the
targets of issue 5 and, with ``--peer``, with a plain Splink model (Splink's library
comparisons, same blocking, no deterministic step, no collapsing; it is given the same
child-row -> parent-row assignment).
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


def _records_from_case(case_dir: Path) -> pa.Table:
    from fuite.store import open_case
    from fuite.store.edge import case_access

    case = open_case(case_dir, case_access(case_dir))
    return case.get_table("records")


# ---------------------------------------------------------------- peer

def plain_splink(records: pa.Table) -> tuple[np.ndarray, float, int]:
    """A plain Splink 5 dedupe (library comparisons, same blocking, no deterministic step)."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on

    from fuite.resolve.clusters import components
    from fuite.resolve.engine import make_db_api
    from fuite.resolve.features import comparison_frame

    from fuite.resolve.core import _roots

    everything = pl.from_arrow(records).sort("record_id")
    roots, _ = _roots(everything)      # the peer gets the same child -> parent rows for free
    frame = comparison_frame(everything.filter(roots == everything["record_id"])).rename({"record_id": "unique_id"})
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.JaroWinklerAtThresholds("last_f"), cl.JaroWinklerAtThresholds("first_f"),
                     cl.LevenshteinAtThresholds("birth_date", 1), cl.ExactMatch("postal_code"),
                     cl.ExactMatch("phone"), cl.ExactMatch("email"), cl.LevenshteinAtThresholds("nir", 2)],
        blocking_rules_to_generate_predictions=[block_on("birth_date", "last_f"), block_on("birth_date", "first_f"),
                                                block_on("phone"), block_on("email"), block_on("nir")],
        retain_matching_columns=False,
    )
    with PeakRSS() as rss:
        start = time.perf_counter()
        api = make_db_api("duckdb")
        linker = Linker(api.register(frame.to_arrow()), settings, log_level=None)
        linker.training.estimate_u_using_random_sampling(max_pairs=3e6, seed=1)
        for rule in (block_on("birth_date", "postal_code"), block_on("last_f", "first_f", "postal_code")):
            linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=2e6)
        pairs = pl.from_arrow(linker.inference.predict(threshold_match_probability=0.95,
                                                       warning_mode="never").as_pyarrow_table())
        ids = everything["record_id"].to_numpy()
        position = {int(r): i for i, r in enumerate(ids)}
        left = np.array([position[int(x)] for x in pairs["unique_id_l"].to_list()], dtype=np.int64)
        right = np.array([position[int(x)] for x in pairs["unique_id_r"].to_list()], dtype=np.int64)
        label = components(len(ids), left, right)
        root_pos = np.array([position[int(r)] for r in roots.to_list()], dtype=np.int64)
        labels = label[root_pos]
        seconds = time.perf_counter() - start
    return labels, seconds, rss.peak


# ---------------------------------------------------------------- main

def _row(name: str, *cells) -> None:
    print(f"{name:<28}" + "".join(f"{c:>18}" for c in cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", type=Path)
    parser.add_argument("--records", type=Path)
    parser.add_argument("--key", type=Path, help="answer_key/records.csv of the drill")
    parser.add_argument("--simulate", type=int, metavar="PERSONS")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--peer", action="store_true", help="also run a plain Splink model")
    args = parser.parse_args()

    if not args.simulate and not args.key:
        parser.error("--key is required with --case or --records")
    if args.simulate:
        records, sim_truth = simulate(args.simulate, args.seed)
        source = f"simulated from fuite.synth persons (seed {args.seed})"
    elif args.records:
        records, source = _read_parquet(args.records), str(args.records)
    else:
        records, source = None, str(args.case)   # read after the run, so only resolve's memory is measured

    with PeakRSS() as rss:
        start, cpu = time.perf_counter(), time.process_time()
        if args.case:   # the real step: relations, linkage, persons, written back to the encrypted case
            resolved = _resolve_case(args.case)
        else:
            resolved = resolve_records(records)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    summary = resolved.summary
    if records is None:
        records = resolved.records
    truth = sim_truth if args.simulate else _truth(records, args.key)   # in record_id order
    true_persons = len(np.unique(truth))
    print(f"records: {records.num_rows:,} from {source}; true persons: {true_persons:,}; cores: {os.cpu_count()}")
    order = np.argsort(resolved.records["record_id"].to_numpy())
    labels = resolved.records["person_id"].to_numpy()[order]
    score = bcubed(labels, truth)
    found = len(np.unique(labels))
    peer = plain_splink(records) if args.peer else None

    print()
    _row("", "fuite", "target", *(["plain Splink"] if peer else []))
    peer_score = bcubed(peer[0], truth) if peer else None
    peer_found = len(np.unique(peer[0])) if peer else 0
    diff = lambda k: f"{k:,} ({(k - true_persons) / true_persons:+.2%})"  # noqa: E731
    _row("distinct persons", diff(found), f"{true_persons:,} ±0.5%", *([diff(peer_found)] if peer else []))
    _row("B-cubed precision", f"{score.precision:.4f}", "", *([f"{peer_score.precision:.4f}"] if peer else []))
    _row("B-cubed recall", f"{score.recall:.4f}", "", *([f"{peer_score.recall:.4f}"] if peer else []))
    _row("B-cubed F1", f"{score.f1:.4f}", ">= 0.99", *([f"{peer_score.f1:.4f}"] if peer else []))
    _row("seconds", f"{seconds:.1f}", "<= 60", *([f"{peer[1]:.1f}"] if peer else []))
    _row("CPU seconds (all threads)", f"{cpu:.1f}", "", *([""] if peer else []))
    _row("load average (1 min)", f"{os.getloadavg()[0]:.1f}", "", *([""] if peer else []))
    _row("peak RSS (GB)", f"{rss.peak / 1e9:.2f}", "<= 6", *([f"{peer[2] / 1e9:.2f}"] if peer else []))
    print()
    print("summary:", summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
