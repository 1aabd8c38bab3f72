"""A leak that keeps growing: files added to a case keep the person ids, same bytes are not read twice."""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest

from conftest import access, run_fuite
from fuite.resolve.stable import FALLBACK_START, stable_ids
from fuite.store import open_case


@pytest.fixture(scope="module")
def later_drill(tmp_path_factory):
    """A drill of 400 persons with 15 % of it held back under later/."""
    from fuite.synth import generate

    out = tmp_path_factory.mktemp("later_drill")
    summary = generate(out, persons=400, seed=3, later=0.15, chunk=250)   # two chunks
    assert summary["later"]["new"] and summary["later"]["grown"]
    return out


def _records(case) -> pl.DataFrame:
    with open_case(case, access(), create=False) as c:
        return pl.from_arrow(c.get_table("records").select(["record_id", "file", "table", "row", "person_id"]))


def _table(case, name):
    with open_case(case, access(), create=False) as c:
        table = c.get_table(name)
        return None if table is None else pl.from_arrow(table)


@pytest.fixture(scope="module")
def grown_case(later_drill, tmp_path_factory):
    case = tmp_path_factory.mktemp("grown") / "case"
    run_fuite("scan", str(later_drill / "leak"), "--case", str(case), check=True)
    before = _records(case)
    added = run_fuite("scan", str(later_drill / "later"), "--case", str(case), "--json", check=True)
    return case, before, json.loads(added.stdout), added.stderr


def test_added_files_keep_the_ids_of_known_persons(grown_case):
    case, before, summary, stderr = grown_case
    after = _records(case)
    assert summary["added_to_existing_case"] and summary["records"] == after.height - before.height
    assert after["record_id"].n_unique() == after.height   # the new records got ids of their own
    joined = before.join(after, on="record_id", suffix="_now")
    same = joined.group_by("person_id").agg((pl.col("person_id_now") == pl.col("person_id")).all().alias("same"))
    assert same["same"].mean() >= 0.98, "most known persons keep their id"
    persons = _table(case, "persons")
    history = _table(case, "person_history")
    old_ids = set(before["person_id"].to_list())
    new_ids = set(persons["person_id"].to_list()) - old_ids
    assert new_ids, "the added files bring new persons"
    assert all(i not in old_ids for i in new_ids)
    if history is not None:   # a retired id never comes back for someone else
        assert not set(history["person_id"].to_list()) & set(persons["person_id"].to_list())
    assert "person ids:" in stderr and "kept" in stderr
    assert summary["stable_ids"]["kept"] == int(same["same"].sum()) and summary["delta"]["new"] >= len(new_ids)


def test_the_same_bytes_are_not_read_twice(later_drill, grown_case, tmp_path):
    case, _, _, _ = grown_case
    before = _records(case).height
    copy = tmp_path / "resale"
    copy.mkdir()
    source = next(p for p in sorted((later_drill / "leak").rglob("*.csv")))
    shutil.copy(source, copy / "renamed_by_the_seller.csv")   # same bytes, another name
    again = run_fuite("scan", str(later_drill / "leak"), str(copy), "--case", str(case), "--json", check=True)
    doc = json.loads(again.stdout)
    assert doc["records"] == 0 and _records(case).height == before
    assert len(doc["already_in_case"]) == len(list((later_drill / "leak").rglob("*.*"))) + 1
    assert {"file": "renamed_by_the_seller.csv",
            "known_as": source.relative_to(later_drill / "leak").as_posix()} in doc["already_in_case"]
    assert "already in the case: renamed_by_the_seller.csv" in again.stderr and "nothing new" in again.stderr


def test_a_new_file_with_a_known_name_is_renamed(grown_case):
    case, _, summary, _ = grown_case
    assert summary["renamed"] and all(r["as"].endswith(" (2)") for r in summary["renamed"])
    files = set(_records(case)["file"].to_list())
    assert {r["as"] for r in summary["renamed"]} <= files


def _truth_of_persons(drill, case) -> pl.DataFrame:
    """fuite person_id -> the answer key's person of most of their rows."""
    rows = pl.concat([
        pl.read_csv(drill / "answer_key" / name, schema_overrides={"table": pl.String}).select(
            "file", "table", "row", "person_id").with_columns(
            pl.lit(later).alias("later"), pl.col("table").fill_null(""))
        for name, later in (("records.csv", False), ("later/records.csv", True))])
    rec = _records(case).with_columns(pl.col("file").str.replace(r" \(\d+\)$", "").alias("base"),
                                      pl.col("file").str.ends_with(" (2)").alias("later"), pl.col("table").fill_null(""))
    joined = rec.join(rows, left_on=["base", "table", "row", "later"], right_on=["file", "table", "row", "later"],
                      suffix="_truth")
    return joined.group_by("person_id").agg(pl.col("person_id_truth").mode().first().alias("truth"))


def test_the_delta_is_the_answer_keys(later_drill, grown_case):
    case, _, _, _ = grown_case
    delta = _table(case, "delta").join(_truth_of_persons(later_drill, case), on="person_id")
    truth = pl.read_csv(later_drill / "answer_key" / "later" / "delta.csv").rename({"person_id": "truth",
                                                                         "status": "truth_status"})
    found = truth.join(delta.select("truth", "status"), on="truth", how="left")
    for status in ("new", "grown"):
        part = found.filter(pl.col("truth_status") == status)
        assert (part["status"] == status).mean() >= 0.9, f"{status} persons found in the delta"
    known = found.filter(pl.col("truth_status") == "known")
    assert known["status"].is_null().mean() >= 0.8, "persons with nothing new are not in the delta"
    matched = delta.join(truth, on="truth", how="left")
    assert (matched["truth_status"] == matched["status"]).mean() >= 0.9, "the delta holds few others"


# -- the id rules, on hand-made resolutions -------------------------------------------------------------------

def _frame(pairs):
    return pl.DataFrame({"record_id": [r for r, _ in pairs], "person_id": [p for _, p in pairs]},
                        schema={"record_id": pl.Int64, "person_id": pl.Int64})


def test_a_merge_keeps_the_notified_id():
    previous = _frame([(0, 0), (1, 0), (2, 0), (3, 3)])
    current = _frame([(0, 0), (1, 0), (2, 0), (3, 0), (4, 4)])
    plain = stable_ids(previous, current)
    assert dict(plain.mapping.iter_rows())[0] == 0   # the larger overlap
    kept = stable_ids(previous, current, notified={3})
    mapping = dict(kept.mapping.iter_rows())
    assert mapping[0] == 3 and mapping[4] == 4
    assert kept.retired.to_dicts() == [{"person_id": 0, "retired_in": 1, "merged_into": 3, "reason": "merged"}]
    assert kept.counts["merged"] == 1 and kept.counts["notified_kept"] == 1


def test_a_split_keeps_the_id_on_the_larger_part_and_never_reuses_one():
    previous = _frame([(0, 0), (1, 0), (2, 0), (5, 5)])
    current = _frame([(0, 0), (1, 1), (2, 1), (5, 5)])   # record 0 leaves person 0
    result = stable_ids(previous, current, issued={7})
    mapping = dict(result.mapping.iter_rows())
    assert mapping[1] == 0, "the two records that stay keep the id"
    assert mapping[0] not in {0, 5, 7} and mapping[0] >= FALLBACK_START, "record 0 was an id once: not reused"
    assert result.counts["split_off"] == 1 and result.next_fallback == FALLBACK_START + 1


def test_a_split_part_takes_its_smallest_never_issued_record_id():
    previous = _frame([(0, 0), (1, 0), (2, 0), (3, 0)])
    current = _frame([(0, 0), (1, 0), (2, 2), (3, 2)])
    result = stable_ids(previous, current, notified={0})
    mapping = dict(result.mapping.iter_rows())
    assert mapping[0] == 0 and mapping[2] == 2


from hypothesis import given, settings
from hypothesis import strategies as st


@st.composite
def _resolutions(draw):
    """A previous resolution of n records and a current one of n + k records (labels = smallest record id)."""
    n, k = draw(st.integers(1, 25)), draw(st.integers(0, 8))

    def clusters(size):
        groups = draw(st.lists(st.integers(0, 6), min_size=size, max_size=size))
        smallest = {}
        for record, g in enumerate(groups):
            smallest.setdefault(g, record)
        return [(record, smallest[g]) for record, g in enumerate(groups)]

    previous = clusters(n)
    notified = draw(st.sets(st.sampled_from(sorted({p for _, p in previous}))))
    retired = draw(st.sets(st.integers(0, n + k + 3), max_size=3)) - {p for _, p in previous}
    return previous, clusters(n + k), notified, retired


@settings(max_examples=200, deadline=None)
@given(_resolutions())
def test_stable_ids_never_reuse_an_id_and_decide_the_same_way_twice(case):
    previous, current, notified, retired = case
    result = stable_ids(_frame(previous), _frame(current), notified=notified, issued=retired)
    mapping = dict(result.mapping.iter_rows())
    old_ids = {p for _, p in previous}
    assert set(mapping) == {p for _, p in current}
    assert len(set(mapping.values())) == len(mapping), "two persons never share an id"
    assert not set(mapping.values()) & retired, "a retired id never comes back"
    kept = set(mapping.values()) & old_ids
    overlap = {(p, mapping[c]) for (r, p), (_, c) in zip(previous, current)}
    assert all((old, old) in overlap for old in kept), "an id stays only with a person holding its records"
    assert set(result.retired["person_id"].to_list()) == old_ids - kept
    again = stable_ids(_frame(previous), _frame(current), notified=notified, issued=retired)
    assert again.mapping.equals(result.mapping) and again.retired.equals(result.retired)
    for old in notified:   # a notified id is kept whenever a cluster holding its records keeps no other notified id
        holders = {mapping[c] for (r, p), (_, c) in zip(previous, current) if p == old}
        if not (holders & (notified - {old})) and old not in kept:
            assert holders & notified, "a notified id gave way only to another notified id"


def test_an_interrupted_add_leaves_the_case_as_it_was(later_drill, tmp_path):
    from fuite import ingest
    from fuite.scan.stage import scan_tables

    case = tmp_path / "case"
    run_fuite("scan", str(later_drill / "leak"), "--case", str(case), check=True)
    with open_case(case, access()) as c:
        before = {name: c.table_rows(name) for name in c.table_names()}

    def interrupted():
        tables = ingest.read_paths([later_drill / "later"], on_quarantine=lambda q: None, on_problem=lambda p: None)
        yield next(tables)
        yield next(tables)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), open_case(case, access()) as c:
        scan_tables(c, interrupted(), quarantined=[], problems=[])
    with open_case(case, access()) as c:
        staged = [n for n in c.table_names() if n.startswith("staging/")]
        assert staged, "the interruption left its staged tables (a crash would too)"
        assert {n: c.table_rows(n) for n in c.table_names() if not n.startswith(("staging/", "raw/"))} == \
            {n: rows for n, rows in before.items() if not n.startswith("raw/")}
    again = json.loads(run_fuite("scan", str(later_drill / "later"), "--case", str(case), "--json",
                                 check=True).stdout)
    with open_case(case, access()) as c:
        assert not [n for n in c.table_names() if n.startswith("staging/")]
        assert c.table_rows("records") == before["records"] + again["records"]
        raw = {int(n[4:]) for n in c.table_names() if n.startswith("raw/")}
        assert raw == set(c.get_table("sources", ["source_id"]).column("source_id").to_pylist())


def _persons(rows):
    return pl.DataFrame(rows, orient="row", schema={"person_id": pl.Int64, "categories": pl.String, "conditions": pl.String,
                                      "hiv": pl.Boolean, "health": pl.Boolean})


def test_the_delta_compares_what_a_notice_names():
    from fuite.notify.delta import exposure_delta, merge_deltas

    previous = _persons([(1, "full_name;email", None, False, False), (2, "last_name;first_name;nir", None, False, True),
                         (3, "last_name;lab_id", None, False, False), (4, "email;blood_group", None, False, True)])
    current = _persons([(1, "last_name;first_name;email", None, False, False),        # a full name is its parts
                        (2, "last_name;first_name;nir;phone", "hiv", True, True),       # phone and HIV are new
                        (3, "last_name;lab_id;lab_name", None, False, False),           # a new category
                        (4, "email;blood_group;phone", None, False, True),              # B merged into 4 had a phone
                        (9, "last_name;first_name", None, False, False)])               # a new person
    merged = pl.DataFrame({"person_id": [5], "merged_into": [4]})
    previous = pl.concat([previous, _persons([(5, "phone", None, False, False)])])
    delta = exposure_delta(previous, current, merged, round_no=2)
    rows = {r["person_id"]: r for r in delta.to_dicts()}
    assert set(rows) == {2, 3, 9}
    assert rows[2]["new_categories"] == "phone" and rows[2]["new_conditions"] == "hiv" and not rows[2]["new_health"]
    assert rows[3]["new_categories"] == "lab_name" and rows[9]["status"] == "new" and rows[2]["round"] == 2
    later = exposure_delta(current, current.with_columns(
        pl.when(pl.col("person_id") == 2).then(pl.lit("last_name;first_name;nir;phone;email"))
        .otherwise(pl.col("categories")).alias("categories")), pl.DataFrame(schema={"person_id": pl.Int64,
                                                                                    "merged_into": pl.Int64}), 2)
    folded = {r["person_id"]: r for r in merge_deltas(delta, later, pl.DataFrame(
        {"person_id": [9], "merged_into": [3]})).to_dicts()}
    assert folded[2]["new_categories"] == "email;phone" and folded[2]["new_conditions"] == "hiv"
    assert folded[3]["status"] == "new", "a pending new person merged into 3 keeps 3 new: a full notice"
    assert 9 not in folded


def test_an_addition_resolves_again_only_what_the_new_records_reach(tmp_path):
    """Adding files resolves again only the components the new records reach (each known person kept whole in one
    of them): the other persons, their records' ids and their links stay as they were, and the persons are those a
    whole re-resolution of the grown case finds."""
    from fuite.resolve import bcubed
    from fuite.synth import generate

    generate(tmp_path / "drill", persons=2000, seed=8, later=0.1)
    case, whole = tmp_path / "case", tmp_path / "whole"
    for target in (case, whole):
        run_fuite("scan", str(tmp_path / "drill" / "leak"), "--case", str(target), check=True)
    before = _records(case)
    links_before = _table(case, "links")
    run_fuite("scan", str(tmp_path / "drill" / "later"), "--case", str(case), check=True)
    run_fuite("scan", str(tmp_path / "drill" / "later"), "--case", str(whole), "--no-resolve", check=True)
    run_fuite("resolve", "--case", str(whole), check=True)   # every record resolved again
    with open_case(case, access(), create=False) as c:
        summary = c.meta_get("resolve_summary", {})
    after, persons = _records(case), _table(case, "persons")
    assert 0 < summary["records_touched"] < 0.5 * summary["records"] and summary["records"] == after.height
    assert 0 < summary["components_touched"] < summary["components"]
    assert summary["persons"] == persons.height == after["person_id"].n_unique()
    assert persons["person_id"].n_unique() == persons.height
    assert set(persons["person_id"].to_list()) == set(after["person_id"].to_list())
    # the persons no new record reached: same records, same ids, same links
    joined = before.join(after, on="record_id", suffix="_now")
    moved = set(joined.filter(pl.col("person_id") != pl.col("person_id_now"))["person_id"].to_list())
    new_records = after.filter(~pl.col("record_id").is_in(before["record_id"].implode()))
    reached = set(after.filter(pl.col("record_id").is_in(new_records["record_id"].implode()))["person_id"].to_list())
    untouched = joined.filter(~pl.col("person_id").is_in(pl.Series(sorted(moved | reached), dtype=pl.Int64).implode()))
    assert untouched.height > 0.5 * before.height
    assert (untouched["person_id"] == untouched["person_id_now"]).all()
    kept_ids = untouched["record_id"].implode()
    links_after = _table(case, "links")
    both = pl.col("record_id_l").is_in(kept_ids) & pl.col("record_id_r").is_in(kept_ids)
    decided = ["record_id_l", "record_id_r", "rule", "joined"]   # a probability moves with the case's prior
    old = links_before.filter(both).select(decided).sort(decided)
    now = links_after.filter(both).select(decided).sort(decided)
    assert old.height and old.equals(now)
    # the same persons as a whole re-resolution
    truth = _records(whole).sort("record_id")["person_id"].to_list()
    found = after.sort("record_id")["person_id"].to_list()
    assert bcubed(found, truth).f1 >= 0.995
