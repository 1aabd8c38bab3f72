"""Resolution on independent layouts the drill does not generate (``tests/resolve_layouts.py``), through a real scan."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from fuite.resolve import bcubed
from fuite.scan import scan_paths
from conftest import access
from fuite.store import open_case
from resolve_layouts import LAYOUTS, build

HOUSEHOLDS = 250


def _scan(tmp_path: Path, layout: str):
    truth = build(layout, tmp_path / "leak", HOUSEHOLDS, seed=3)
    with open_case(tmp_path / "case", access(), create=True) as case:
        scan_paths(case, [tmp_path / "leak"])
        records = pl.from_arrow(case.get_table("records").select(["file", "table", "row", "person_id"]))
    key = pl.DataFrame(truth["rows"], schema=["file", "table", "row", "truth"], orient="row")
    return records.join(key, on=["file", "table", "row"], how="inner"), truth["realities"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layout_persons_are_real_persons(tmp_path, layout):
    joined, realities = _scan(tmp_path, layout)
    true_persons = joined["truth"].n_unique()
    assert abs(joined["person_id"].n_unique() - true_persons) <= max(3, 0.03 * true_persons)
    assert bcubed(joined["person_id"].to_list(), joined["truth"].to_list()).f1 >= 0.97
    impure = joined.group_by("person_id").agg(pl.col("truth").n_unique().alias("n")).filter(pl.col("n") > 1)
    merged = set(joined.join(impure, on="person_id")["truth"].to_list())
    for reality in ("ayant_droit", "twin", "homonym", "minor", "household"):
        holders = {k for k, v in realities.items() if reality in v} & set(joined["truth"].to_list())
        assert len(merged & holders) <= 0.02 * len(holders), (reality, len(merged & holders), len(holders))
