"""The drill as a leak of many controllers: each record's lab in the answer key, attribution checked against it."""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest

from conftest import access, run_fuite
from fuite.assess.attribution import controllers_of_persons
from fuite.assess.stage import attribution_for_case
from fuite.store import open_case
from test_notify_support import FILLED_CASE


@pytest.fixture(scope="module")
def drill_case(scanned_case, small_drill, tmp_path_factory):
    case = tmp_path_factory.mktemp("drill_controllers") / "case"
    shutil.copytree(scanned_case, case)
    controllers = (small_drill / "answer_key" / "controllers.toml").read_text(encoding="utf-8")
    (case / "case.toml").write_text(FILLED_CASE + controllers, encoding="utf-8")
    return case


def _key(small_drill, name):
    return pl.read_csv(small_drill / "answer_key" / name, infer_schema_length=0)


def test_the_answer_key_gives_each_record_its_lab_and_persons_seen_by_two_labs(small_drill):
    records = _key(small_drill, "records.csv")
    with_column = records.filter(pl.col("lab_column") == "1")
    assert with_column.height and with_column["lab"].null_count() == 0        # a lab column always names its lab
    assert records.filter(pl.col("lab_column") == "0")["lab"].null_count() == records.filter(
        pl.col("lab_column") == "0").height                                    # the others do not say it
    files = records.group_by("file").agg(pl.col("lab_column").n_unique().alias("kinds"),
                                         pl.col("lab_column").first().alias("first"))
    assert set(files.filter(pl.col("kinds") == 1)["first"]) == {"0", "1"}       # files with and without a lab column
    persons = _key(small_drill, "persons.csv")
    two = persons.filter(pl.col("labs").fill_null("").str.contains(";"))
    assert two.height > 0                                                        # persons seen by two labs
    per_person = with_column.group_by("person_id").agg(pl.col("lab").unique())
    assert {p: set(labs) for p, labs in per_person.iter_rows()} == {
        p: set(labs.split(";")) for p, labs in persons.select("person_id", "labs").iter_rows() if labs}


def test_every_record_with_a_lab_goes_to_that_lab_and_the_others_are_counted_by_file(drill_case, small_drill):
    with open_case(drill_case, access()) as case:
        attributed = attribution_for_case(case)
        records = pl.from_arrow(case.get_table("records", ["record_id", "file", "table", "row"]))
        cf = case.settings
    two_controllers = controllers_of_persons(attributed, cf).filter(pl.col("controllers").str.contains(";")).height
    two_labs = _key(small_drill, "persons.csv").filter(pl.col("labs").fill_null("").str.contains(";")).height
    assert two_labs and abs(two_controllers - two_labs) <= max(2, 0.1 * two_labs)   # persons seen by two labs
    finess = {c.id: c.finess[0] for c in cf.controllers}
    truth = _key(small_drill, "records.csv").with_columns(pl.col("row").cast(pl.Int64),
                                                           pl.col("table").fill_null("")).rename({"person_id": "truth"})
    joined = (records.with_columns(pl.col("table").fill_null("")).join(attributed, on="record_id")
              .join(truth, on=["file", "table", "row"]))
    assert joined.height == records.height
    named = joined.filter(pl.col("lab_column") == "1")
    got = named["controllers"].replace_strict(finess, default=None)
    assert (got == named["lab"]).all()                                          # exact, record by record
    # tables without a lab column: unattributed, except a patient row that takes its analyses' labs
    silent = joined.filter(pl.col("lab_column") == "0")
    assert set(silent["attribution"]) <= {"none", "children"}
    lab_tables = set(named.select("file").unique()["file"])
    assert silent.filter(~pl.col("file").is_in(lab_tables))["controllers"].null_count() == \
        silent.filter(~pl.col("file").is_in(lab_tables)).height

    report = json.loads(run_fuite("report", "--case", str(drill_case), check=True).stdout)
    free = report["unattributed"]
    expected = silent.filter(pl.col("controllers").is_null()).group_by("file").len()
    assert free["records_per_file"] == dict(sorted(expected.iter_rows()))
    by_lab = dict(named.group_by("lab").agg(pl.col("truth").n_unique()).iter_rows())
    for c in report["controllers"]:   # persons per lab: within resolution's error of the truth
        want = by_lab.get(finess[c["id"]], 0)
        assert abs(c["persons"] - want) <= max(2, 0.05 * want), (c["id"], c["persons"], want)
