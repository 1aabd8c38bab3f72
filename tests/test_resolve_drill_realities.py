"""Per reality of the drill's answer key: no more than 2 % of its persons wrongly merged with another person."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from conftest import access
from fuite.resolve import bcubed
from fuite.scan import scan_paths
from fuite.store import open_case
from fuite.synth import generate
from fuite.synth.households import REALITIES

PERSONS = 5000


@pytest.fixture(scope="module")
def resolved(tmp_path_factory) -> tuple[pl.DataFrame, pl.DataFrame]:
    out = tmp_path_factory.mktemp("drill-realities")
    generate(out / "drill", persons=PERSONS, seed=13)
    with open_case(out / "case", access(), create=True) as case:
        scan_paths(case, [out / "drill" / "leak"])
        records = pl.from_arrow(case.get_table("records").select(["file", "table", "row", "person_id"]))
    key = pl.read_csv(out / "drill" / "answer_key" / "records.csv", schema_overrides={"table": pl.String})
    joined = records.with_columns(pl.col("table").fill_null("")).join(
        key.with_columns(pl.col("table").fill_null("")).rename({"person_id": "truth"}),
        on=["file", "table", "row"], how="inner")
    persons = pl.read_csv(out / "drill" / "answer_key" / "persons.csv", columns=["person_id", "realities"])
    return joined, persons


def test_the_drill_resolves_to_its_persons(resolved):
    joined, _ = resolved
    assert bcubed(joined["person_id"].to_list(), joined["truth"].to_list()).f1 >= 0.98
    assert abs(joined["person_id"].n_unique() - PERSONS) <= 0.01 * PERSONS


@pytest.mark.parametrize("reality", REALITIES)
def test_no_reality_has_more_than_two_percent_of_its_persons_merged(resolved, reality):
    joined, persons = resolved
    impure = joined.group_by("person_id").agg(pl.col("truth").n_unique().alias("n")).filter(pl.col("n") > 1)
    merged = set(joined.join(impure, on="person_id")["truth"].to_list())
    holders = set(persons.filter(pl.col("realities").fill_null("").str.split(";").list.contains(reality))
                  ["person_id"].to_list()) & set(joined["truth"].to_list())
    assert holders, reality
    assert len(merged & holders) <= 0.02 * len(holders), (reality, len(merged & holders), len(holders))
