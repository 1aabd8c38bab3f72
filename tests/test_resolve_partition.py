"""Resolution a partition at a time: no candidate pair crosses two partitions, the clusters are those of the whole
run, the case store carries the partitions (stable ids, explain-person), and memory does not grow with the case."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import access, run_fuite
from fuite.resolve import DEFAULT_SETTINGS, bcubed, resolve_records
from fuite.resolve.partition import (
    BYTES_PER_RECORD, FEATURE_COLUMNS, HELD_BYTES_PER_RECORD, KeySpec, key_passes, key_specs, partition_cap,
    plan_partitions, resolve_in_parts,
)
from fuite.resolve.stage import explain_for_case, resolve_case
from fuite.store import open_case

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- the keys


def test_keys_of_the_default_rules_strongest_first_without_redundant_ones():
    specs = key_specs(DEFAULT_SETTINGS)
    columns = [(s.left, s.right) for s in specs]
    # the NIR in any role is keyed by the NIR; email+birth date is implied by email, phone+birth date by phone
    assert columns[:3] == [(("nir",), ("nir",)), (("phone",), ("phone",)), (("email",), ("email",))]
    assert (("email", "birth_date"), ("email", "birth_date")) not in columns
    assert (("birth_ym", "nir"), ("birth_ym", "nir")) not in columns   # implied by the NIR alone
    # the rule equating one's last name with the other's first name has two sides
    assert (("birth_date", "last_f"), ("birth_date", "first_f")) in columns
    assert [s for s in specs if not s.symmetric] == [
        KeySpec(specs[columns.index((("birth_date", "last_f"), ("birth_date", "first_f")))].name,
                ("birth_date", "last_f"), ("birth_date", "first_f"))]
    # names without a birth date come last: inside a giant component they are dropped first
    assert set(specs[-1].left) == {"name_key", "postal_code"}


def test_a_rule_that_is_not_column_equalities_is_not_partitioned():
    fuzzy = replace(DEFAULT_SETTINGS, blocking_rules=(*DEFAULT_SETTINGS.blocking_rules,
                                                      "levenshtein(l.last_f, r.last_f) <= 1"))
    assert key_specs(fuzzy) is None


def test_partition_cap_follows_the_memory_cap():
    assert partition_cap(DEFAULT_SETTINGS) == 5 * 2**30 // 3500
    assert partition_cap(replace(DEFAULT_SETTINGS, memory_limit="2GB")) == 2 * 2**30 // 3500
    assert partition_cap(replace(DEFAULT_SETTINGS, partition_records=12_345)) == 12_345


def test_what_a_partitioned_run_holds_per_record_comes_out_of_the_cap():
    """Beyond one partition, the few integers kept for every record are set aside before the partitions are
    sized, so the peak stays at the cap however large the case (only fewer records are resolved at once)."""
    whole = partition_cap(DEFAULT_SETTINGS)
    assert partition_cap(DEFAULT_SETTINGS, whole) == whole           # resolved whole: nothing set aside
    assert partition_cap(DEFAULT_SETTINGS, whole + 1) < whole
    caps = [partition_cap(DEFAULT_SETTINGS, n) for n in (10**7, 5 * 10**7, 10**8)]
    assert caps == sorted(caps, reverse=True) and caps[-1] >= 1000
    held = [n * HELD_BYTES_PER_RECORD + cap * BYTES_PER_RECORD for n, cap in zip((10**7, 5 * 10**7), caps)]
    assert all(abs(h - 5 * 2**30) <= BYTES_PER_RECORD for h in held)   # the cap is the whole budget


# ---------------------------------------------------------------- every rule's pairs, checked by the rules themselves

_LAST = ["Martin", "Durand", "Jean", "Le Roux", "Martin épouse Durand", "Petit", "Moreau", "Simon", "Roux",
         "Michel", "Leroy", "Garcia"]
_FIRST = ["Jean", "Marie", "Martin", "Léa", "Jean Paul", "Anne", "Michel", "Simon", "Petit"]
_BORN = ["1980-01-02", "1980-02-01", "1981-01-02", "2010-05-05", "1975-12-30", "1990-07-14", "1990-07-15",
         "2001-03-04", "1968-11-11", "1944-06-06"]
_NIRS = ["180017512345678", "280017512345601", "110057512345690", "290077512345611", "175127512345612",
         "244067512345634"]
_TOWNS = ["75001", "13002", "69003", "33000", "59000", "31000"]


@st.composite
def _records_table(draw):
    """Few values per column, many missing: small components that rules of every kind join."""
    n = draw(st.integers(2, 40))
    pick = lambda pool: [draw(st.sampled_from(pool + [None] * 2 * len(pool))) for _ in range(n)]  # noqa: E731
    rows = {"last_name": pick(_LAST), "first_name": pick(_FIRST), "birth_date": pick(_BORN), "nir": pick(_NIRS),
            "sex": pick(["M", "F"]), "postal_code": pick(_TOWNS), "city": pick(["Paris", "Marseille", "Lyon"]),
            "email": pick([f"{c}@x.fr" for c in "abcdef"]), "phone": pick([f"+336010203{i}0" for i in range(6)]),
            "beneficiary_rank": pick(["01", "02"])}
    parents = [draw(st.one_of(st.none(), st.none(), st.none(), st.integers(0, i - 1))) if i else None
               for i in range(n)]
    return rows, parents, draw(st.integers(max(1, n // 4), n))


@given(_records_table())
@settings(max_examples=150, deadline=None)
def test_no_pair_of_any_rule_crosses_two_partitions(table):
    """Every pair that a deterministic or a blocking rule proposes, evaluated as the rule's SQL over the comparison
    frame, lies in one partition, whatever the cap (unless a giant component had to be cut)."""
    import duckdb

    from fuite.resolve.features import comparison_frame
    from fuite.schema import RECORD_SCHEMA

    rows, parents, cap = table
    n = len(parents)
    columns = {f.name: [None] * n for f in RECORD_SCHEMA}
    columns.update(rows, record_id=list(range(n)), source_id=[0] * n, row=list(range(n)), file=["a.csv"] * n,
                   table=[""] * n, person_id=list(range(n)), parent_record_id=parents)
    records = pa.table(columns).cast(RECORD_SCHEMA)
    plan = plan_partitions(records.select(list(FEATURE_COLUMNS)).to_batches(max_chunksize=7),
                           records.column("record_id"), records.column("parent_record_id"), DEFAULT_SETTINGS, cap)
    if plan.summary["giant_components"]:
        return
    part = plan.part
    assert all(part[i] == part[p] for i, p in enumerate(parents) if p is not None)   # child rows with their parent
    roots = pl.from_arrow(records).filter(pl.col("parent_record_id").is_null())
    frame = comparison_frame(roots).with_columns(pl.col("record_id").alias("det_id")).drop("first_tokens",
                                                                                             "last_tokens")
    rules = list(DEFAULT_SETTINGS.blocking_rules) + [
        " AND ".join(f"l.{c} = r.{c}" for c in cols) for _, cols in DEFAULT_SETTINGS.deterministic_rules]
    con = duckdb.connect()
    con.register("f", frame.to_arrow())
    for rule in rules:
        for a, b in con.execute(f"SELECT l.record_id, r.record_id FROM f l JOIN f r ON {rule} "
                                "AND l.record_id <> r.record_id").fetchall():
            assert part[a] == part[b], rule


# ---------------------------------------------------------------- a drill


@pytest.fixture(scope="module")
def drill_case(tmp_path_factory) -> tuple[Path, Path]:
    """A 6,000-person drill (about 18,000 records) scanned without resolving."""
    from fuite.synth import generate

    out = tmp_path_factory.mktemp("partition")
    generate(out / "drill", persons=6000, seed=5)
    run_fuite("scan", str(out / "drill" / "leak"), "--case", str(out / "case"), "--no-resolve", check=True)
    return out / "drill", out / "case"


def _records(case_dir: Path) -> pa.Table:
    with open_case(case_dir, access()) as case:
        return case.get_table("records")


def _plan(records: pa.Table, cap: int, settings=DEFAULT_SETTINGS):
    parents = pa.nulls(records.num_rows, pa.int64())
    return plan_partitions(records.select(list(FEATURE_COLUMNS)).to_batches(max_chunksize=4000),
                           records.column("record_id"), parents, settings, cap)


def test_no_pair_the_whole_run_scored_crosses_two_partitions(drill_case):
    records = _records(drill_case[1])
    whole = resolve_records(records)
    plan = _plan(records, 5000)
    assert plan.count >= 3 and plan.summary["giant_components"] == 0
    part = dict(zip(records.column("record_id").to_pylist(), plan.part.tolist()))
    links = whole.links.to_pylist()
    assert len(links) > 1000
    crossing = [x for x in links if part[x["record_id_l"]] != part[x["record_id_r"]]]
    assert crossing == []
    sizes = np.bincount(plan.part)
    assert sizes.max() <= 5000 + plan.summary["largest_component"]


def test_a_giant_component_is_cut_with_the_strongest_rules_and_counted(drill_case):
    records = _records(drill_case[1])
    plan = _plan(records, 4000)
    largest = plan.summary["largest_component"]
    tight = _plan(records, largest - 1)   # the largest component no longer fits
    assert tight.summary["giant_components"] >= 1 and tight.summary["giant_records"] >= largest
    cut = tight.summary["rules_cut"]   # the rules whose merges were refused, named, with the records refused
    assert cut and all(0 < records_refused <= tight.summary["giant_records"] for records_refused in cut.values())
    assert np.bincount(tight.part).max() <= 2 * (largest - 1)
    # every deterministic link (the strongest rules) still lies inside one partition
    part = dict(zip(records.column("record_id").to_pylist(), tight.part.tolist()))
    links = resolve_records(records).links.to_pylist()
    det = [x for x in links if x["rule"] in ("nir", "nir+rank")]
    assert det and all(part[x["record_id_l"]] == part[x["record_id_r"]] for x in det)
    # a merge is refused only for the component that would outgrow the cap: the whole run's links that end up
    # across two partitions are few, and only between records of a refused component
    joined = [x for x in links if x["joined"]]
    crossing = [x for x in joined if part[x["record_id_l"]] != part[x["record_id_r"]]]
    assert len(crossing) < 0.01 * len(joined)


def test_the_plan_is_the_same_in_one_pass_or_one_pass_a_rule(drill_case):
    """Under a memory cap too small for every rule's keys at once, the records are read once per group of rules
    (here one rule a pass): the partitions and the counts are those of a single pass."""
    records = _records(drill_case[1])
    specs = key_specs(DEFAULT_SETTINGS)
    n = records.num_rows
    assert len(key_passes(specs, n, 2**40)) == 1
    assert [len(g) for g in key_passes(specs, n, 0)] == [1] * len(specs)
    reads = []

    def read():
        reads.append(1)
        return iter(records.select(list(FEATURE_COLUMNS)).to_batches(max_chunksize=3000))

    parents = pa.nulls(n, pa.int64())
    for cap in (4000, 20):   # without and with refused merges
        one = plan_partitions(read, records.column("record_id"), parents, DEFAULT_SETTINGS, cap, memory=2**40)
        reads.clear()
        many = plan_partitions(read, records.column("record_id"), parents, DEFAULT_SETTINGS, cap, memory=0)
        assert len(reads) == len(specs)
        assert np.array_equal(one.part, many.part) and one.summary == many.summary
        assert {k: v.to_list() for k, v in one.placeholders.items()} == \
            {k: v.to_list() for k, v in many.placeholders.items()}


def test_partitioned_clusters_agree_with_the_whole_run(drill_case):
    records = _records(drill_case[1])
    whole = resolve_records(records)
    parts = resolve_in_parts(records, settings=DEFAULT_SETTINGS, cap=7000)
    assert parts.summary["partitions"] >= 3
    a = whole.records.column("person_id").to_pylist()
    b = parts.records.column("person_id").to_pylist()
    assert parts.records.column("record_id").to_pylist() == records.column("record_id").to_pylist()
    score = bcubed(b, a)
    assert score.f1 >= 0.999, score
    assert parts.persons.num_rows == len(set(b))


def test_a_case_resolved_in_parts_keeps_its_ids_explains_and_agrees(drill_case):
    drill, case_dir = drill_case
    with open_case(case_dir, access()) as case:
        resolve_case(case)                                           # whole, the first time
        first = case.get_table("records").select(["record_id", "person_id"]).to_pydict()
        summary = resolve_case(case, settings=replace(DEFAULT_SETTINGS, partition_records=7000))
        again = case.get_table("records")
        names = case.table_names()
        persons = case.get_table("persons")
        several = pl.from_arrow(persons).filter(pl.col("records") >= 3)["person_id"][0]
        explained = explain_for_case(case, person=several)
    assert summary["partitions"] >= 3 and not [n for n in names if n.startswith("resolve.")]
    assert again.column("record_id").to_pylist() == first["record_id"]           # store order kept
    assert bcubed(again.column("person_id").to_pylist(), first["person_id"]).f1 >= 0.999
    assert summary["stable_ids"]["kept"] >= 0.99 * summary["persons"]
    assert persons.num_rows == summary["persons"] == len(set(again.column("person_id").to_pylist()))
    assert len(explained["records"]) >= 3 and explained["links"]
    # nothing of the drill in clear in the case folder (staged partitions included)
    emails = pl.read_csv(drill / "answer_key" / "persons.csv", infer_schema=False)["email"].drop_nulls()[:50]
    blob = b"".join(p.read_bytes() for p in case_dir.rglob("*") if p.is_file())
    assert not [e for e in emails.to_list() if e.encode() in blob]


# ---------------------------------------------------------------- the realities


def test_realities_resolved_in_parts_as_whole():
    from test_resolve_realities import _BACKGROUND, _CASES, _table

    background = [dict(last_name=a, first_name=b, birth_date=c, postal_code=d, city=e) for a, b, c, d, e in _BACKGROUND]
    rows = background + [r for records, _ in _CASES.values() for r in records]
    settings = replace(DEFAULT_SETTINGS, min_prior=0.05)
    table = _table(rows)
    whole = resolve_records(table, settings=settings)
    largest = _plan(table, 10**9, settings).summary["largest_component"]
    parts = resolve_in_parts(table, settings=settings, cap=max(largest, table.num_rows // 5))
    assert parts.summary["partitions"] >= 3 and parts.summary["giant_components"] == 0
    a = whole.records.column("person_id").to_pylist()
    b = parts.records.column("person_id").to_pylist()
    assert len(set(zip(a, b))) == len(set(a)) == len(set(b))   # the same persons


# ---------------------------------------------------------------- memory


_BUILD = """
import sys, numpy as np, pyarrow as pa
from pathlib import Path
from conftest import access
from fuite.schema import RECORD_SCHEMA
from fuite.store import open_case
n, rng = int(sys.argv[2]), np.random.default_rng(3)
last = np.array([f"NOM{i}" for i in range(400)]); first = np.array([f"PRENOM{i}" for i in range(300)])
person = np.repeat(np.arange(n // 3), 3)[:n]
day = rng.integers(0, 20000, n // 3 + 1)
born = np.datetime64("1940-01-01") + day
cols = {f.name: pa.nulls(n, f.type) for f in RECORD_SCHEMA}
cols.update(record_id=pa.array(np.arange(n)), source_id=pa.array(np.zeros(n, np.int32)), row=pa.array(np.arange(n)),
            file=pa.array(["a.csv"] * n), table=pa.array([""] * n), person_id=pa.array(np.arange(n)),
            last_name=pa.array(last[rng.integers(0, 400, n // 3 + 1)][person]),
            first_name=pa.array(first[rng.integers(0, 300, n // 3 + 1)][person]),
            birth_date=pa.array(born[person].astype(str)),
            email=pa.array([f"p{p}@example.org" if r % 2 else None for p, r in zip(person, range(n))]),
            postal_code=pa.array([f"{75001 + p % 20}" for p in person]))
table = pa.table({f.name: cols[f.name] for f in RECORD_SCHEMA}).cast(RECORD_SCHEMA)
with open_case(Path(sys.argv[1]), access(), create=True) as case:
    case.put_table("records", table)
"""

_RESOLVE = """
import sys
from dataclasses import replace
from pathlib import Path
from conftest import access
from fuite.resolve import DEFAULT_SETTINGS
from fuite.resolve.stage import resolve_case
from fuite.store import open_case
settings = replace(DEFAULT_SETTINGS, partition_records=int(sys.argv[2]))
with open_case(Path(sys.argv[1]), access()) as case:
    summary = resolve_case(case, settings=settings)
# VmHWM is this process's own peak: ru_maxrss would keep, across exec, the RSS of the test process forked to run
# it (over 1 GB in a long pytest worker, which hid both figures behind the same number).
hwm = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(summary.get("partitions", 1), hwm)
"""


def _python(code: str, *args) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, capture_output=True, text=True,
                          check=True, cwd=ROOT / "tests").stdout


def _peak_mb(tmp: Path, records: int, cap: int) -> tuple[int, float]:
    case = tmp / f"case-{records}-{cap}"
    if not case.exists():
        _python(_BUILD, case, records)
    parts, peak = _python(_RESOLVE, case, cap).split()[-2:]
    return int(parts), int(peak) / 1024


def test_memory_does_not_grow_with_the_case_beyond_one_partition(tmp_path):
    """Four times the records in partitions of the same size: the peak RSS grows by far less than the whole run's
    does (a few integers a record, not the records). Measured here: 388 -> 423 MB in parts of 10,000 records,
    390 -> 741 MB whole."""
    small_parts, small = _peak_mb(tmp_path, 30_000, 10_000)
    large_parts, large = _peak_mb(tmp_path, 120_000, 10_000)
    _, whole_small = _peak_mb(tmp_path, 30_000, 10**9)
    _, whole_large = _peak_mb(tmp_path, 120_000, 10**9)
    assert small_parts >= 3 and large_parts >= 12
    assert whole_large - whole_small > 150, (whole_small, whole_large)   # the whole run grows with the records
    assert large - small < (whole_large - whole_small) / 3, (small, large, whole_small, whole_large)


def test_a_memory_cap_below_what_the_plan_needs_is_refused_in_one_line(tmp_path):
    """A cap the plan cannot keep to, however many passes it makes, stops the resolve before anything is read or
    written, saying how much is needed (a user error: exit 2, no traceback)."""
    from fuite.errors import EXIT_USAGE, UsageError
    from fuite.resolve.partition import plan_floor

    case_dir = tmp_path / "case"
    _python(_BUILD, case_dir, 12_000)
    assert plan_floor(12_000) > 2**20
    with open_case(case_dir, access()) as case:
        with pytest.raises(UsageError) as raised:
            resolve_case(case, settings=replace(DEFAULT_SETTINGS, memory_limit="1MB"))
        assert not case.has_table("persons")
    message = str(raised.value)
    assert raised.value.exit_code == EXIT_USAGE and "\n" not in message
    assert "12,000 records" in message and "--memory 2MB" not in message and "GB or more" in message


@given(st.lists(st.integers(1, 400), min_size=1, max_size=600), st.integers(1, 400))
@settings(max_examples=200, deadline=None)
def test_components_are_packed_within_the_cap(sizes, cap):
    """Every partition holds at most the cap and one small component more (a large one, over 1/64 of a partition,
    never crosses it), none is empty, and there are no more than twice as many as the cap needs."""
    from fuite.resolve.partition import _bins

    sizes = np.minimum(np.array(sizes, dtype=np.int64), cap)
    bins = _bins(sizes, cap)
    held = np.bincount(bins, weights=sizes)
    need = -(-int(sizes.sum()) // cap)
    width = -(-int(sizes.sum()) // need)
    small = sizes[sizes <= width // 64]
    assert held.min() > 0 and len(held) <= 2 * need
    assert held.max() <= cap + (small.max() if len(small) else 0)
