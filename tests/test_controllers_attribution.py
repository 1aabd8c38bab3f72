"""Attribution of records to controllers: from a column, from a rule, through relations; unattributed by file.

The pure tables come first; then an independent layout (tests/controllers_support.py: a vendor export with a
FINESS column, a lab list under a file rule, an insurer dump with a per-table rule and an AMC-number column)
is scanned and reported, whole and per controller.
"""

from __future__ import annotations

import json
import subprocess
import tomllib

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_fuite
from controllers_support import MANY_CASE, scanned_layout
from fuite.assess.attribution import attribute, controllers_of_persons, unattributed_summary, values_controllers
from fuite.assess.figures import controller_figures
from fuite.store.casefile import parse_case_file
from test_notify_support import FILLED_CASE

CF = parse_case_file(tomllib.loads(MANY_CASE))


def _records(rows):
    return pl.DataFrame(rows, schema={"record_id": pl.Int64, "person_id": pl.Int64, "file": pl.String,
                                      "table": pl.String, "parent_record_id": pl.Int64}, orient="row")


def _values(rows):
    return pl.DataFrame(rows, schema={"record_id": pl.Int64, "value": pl.String}, orient="row")


@pytest.mark.parametrize("value, expected", [
    ("Laboratoire Bio Armor", "armor"), ("LABORATOIRE BIO-ARMOR", "armor"), ("  lbm bio armor ", "armor"),
    ("22 000 001 2", "armor"), ("220.000.012", "armor"), ("290000017", "iroise"), ("Labo Iroise", "iroise"),
    ("Mutuelle des Abers", "mutuelle"), ("12-345-678", "mutuelle"), ("Laboratoire Bio", None),
    ("350002812", None), ("", None), ("Dupont", None),
])
def test_a_value_names_its_controller_folded_or_compacted(value, expected):
    from fuite.assess.attribution import attribution_keys

    assert values_controllers(pl.Series([value]), attribution_keys(CF)).to_list() == [expected]


def test_rules_columns_relations_and_what_stays_unattributed():
    records = _records([
        (0, 100, "vendor/a.csv", "", None),                 # column: armor
        (1, 100, "vendor/a.csv", "", None),                 # column: iroise (the same person at a second lab)
        (2, 101, "vendor/a.csv", "", None),                 # two values naming two labs: a conflict
        (3, 102, "vendor/a.csv", "", None),                 # a value naming no controller: unknown
        (4, 103, "vendor/a.csv", "", None),                 # no value, no rule: none
        (5, 104, "iroise/rdv.csv", "", None),               # file rule, even against its column's value
        (6, 105, "adherents.sql", "adherents_abers", None),  # table rule
        (7, 106, "lims.sql", "patients", None),              # a patient: the union of its analyses'
        (8, 106, "lims.sql", "analyses", 7),                 # column: armor
        (9, 106, "lims.sql", "analyses", 7),                 # column: iroise
        (10, 106, "lims.sql", "analyses", 7),                # no value, and its parent has none of its own: none
        (11, 107, "lims.sql", "patients", None),             # a patient: column armor
        (12, 107, "lims.sql", "analyses", 11),               # no value: its parent's
    ])
    values = _values([(0, "Laboratoire Bio Armor"), (0, "220000012"), (1, "290000017"), (2, "Labo Iroise"),
                      (2, "Laboratoire Bio Armor"), (3, "Biolam Ouest"), (5, "Laboratoire Bio Armor"),
                      (8, "LBM Bio Armor"), (9, "Labo Iroise"), (3, "Mutuelle inconnue"), (11, "220000012")])
    got = attribute(records, values, CF).sort("record_id")
    assert got["controllers"].to_list() == ["armor", "iroise", None, None, None, "iroise", "mutuelle",
                                            "armor;iroise", "armor", "iroise", None, "armor", "armor"]
    assert got["attribution"].to_list() == ["column", "column", "conflict", "unknown", "none", "rule", "rule",
                                            "children", "column", "column", "none", "column", "parent"]
    free = unattributed_summary(got)
    assert free == {"records": 4, "persons": 3, "records_per_reason": {"none": 2, "unknown": 1, "conflict": 1},
                    "records_per_file": {"lims.sql": 1, "vendor/a.csv": 3}}
    persons = dict(controllers_of_persons(got, CF).iter_rows())
    assert persons == {100: "armor;iroise", 104: "iroise", 105: "mutuelle", 106: "armor;iroise", 107: "armor"}


def test_a_single_controller_holds_every_record():
    cf = parse_case_file(tomllib.loads(FILLED_CASE))
    got = attribute(_records([(0, 1, "a.csv", "", None), (1, 2, "b.sql", "t", None)]), _values([]), cf)
    assert got["controllers"].to_list() == ["controller", "controller"] and unattributed_summary(got)["records"] == 0


def test_figures_per_controller_count_what_its_own_records_expose():
    records = pl.DataFrame({
        "person_id": [1, 1, 2, 3], "categories": ["last_name;nir", "last_name;medication", "email", "email"],
        "health": [False, True, False, False], "hiv": [False, True, False, False], "conditions": [None, "hiv", None, None],
        "controllers": ["armor", "iroise", "armor;iroise", None]})
    armor, iroise, mutuelle = controller_figures(records, CF.controllers)
    assert (armor["persons"], armor["records"], armor["persons_hiv"], armor["persons_health"]) == (2, 2, 0, 0)
    assert (iroise["persons"], iroise["records"], iroise["persons_hiv"], iroise["persons_health"]) == (2, 2, 1, 1)
    assert armor["categories"]["nir"] == 1 and iroise["categories"]["nir"] == 0 and mutuelle["persons"] == 0
    assert set(armor) == {"id", "name", "persons", "records", "persons_hiv", "persons_health", "categories"}


@pytest.fixture(scope="module")
def layout_case(tmp_path_factory):
    return scanned_layout(tmp_path_factory.mktemp("controllers"))


def _report(case, *extra):
    return json.loads(run_fuite("report", "--case", str(case), *extra, check=True).stdout)


def test_the_layout_is_attributed_by_column_rule_and_amc_number(layout_case):
    case, truth = layout_case
    report = _report(case)
    assert report["persons"] == truth["persons"]
    got = {c["id"]: {k: c[k] for k in ("persons", "records", "persons_hiv")} for c in report["controllers"]}
    assert got == {k: truth[k] for k in ("armor", "iroise", "mutuelle")}
    assert report["unattributed"]["records_per_file"] == truth["unattributed"]
    assert report["unattributed"]["persons"] == truth["unattributed_persons"]


def test_one_controllers_report_is_its_own_and_agrees_with_the_whole(layout_case):
    case, truth = layout_case
    whole = {c["id"]: c for c in _report(case)["controllers"]}
    own = _report(case, "--controller", "iroise")
    assert own["controllers"] == [whole["iroise"]] and "unattributed" not in own
    assert (own["persons"], own["records"], own["persons_hiv"]) == (20, 20, 1)
    assert own["persons_per_category"] == whole["iroise"]["categories"]
    assert set(own["files"]) == {"vendor/export_resultats.csv", "iroise/liste_rdv.csv"}
    bad = run_fuite("report", "--case", str(case), "--controller", "nobody")
    assert bad.returncode == 2 and "no controller 'nobody'" in bad.stderr


def test_the_html_report_has_a_table_per_controller(layout_case, tmp_path):
    case, _ = layout_case
    run_fuite("report", "--case", str(case), "--format", "html", "--output", str(tmp_path / "r.html"), check=True)
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert html.count('<table class="figures controller">') == 3
    for name in ("Laboratoire Bio Armor", "Labo Iroise", "Mutuelle des Abers", "vendor/export_resultats.csv"):
        assert name in html
    assert "patient0" not in html   # no identifier
    run_fuite("report", "--case", str(case), "--format", "pdf", "--lang", "en", "--output", str(tmp_path / "r.pdf"),
              check=True)
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "Data controllers" in text and "Labo Iroise — 20 persons, 20 records; 15 with health data" in text


def test_a_single_controller_case_reports_one_controller_equal_to_the_whole(scanned_case):
    report = _report(scanned_case)
    (only,) = report["controllers"]
    assert only["id"] == "controller" and report["unattributed"]["records"] == 0
    assert (only["persons"], only["records"], only["persons_hiv"], only["persons_health"]) == (
        report["persons"], report["records"], report["persons_hiv"], report["persons_health"])
    assert only["categories"] == report["persons_per_category"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=40) | st.none(), max_size=20))
def test_any_cell_names_a_declared_controller_or_none(cells):
    from fuite.assess.attribution import attribution_keys

    got = values_controllers(pl.Series(cells, dtype=pl.String), attribution_keys(CF)).to_list()
    assert len(got) == len(cells) and set(got) <= {None, "armor", "iroise", "mutuelle"}
    assert all(g is None for c, g in zip(cells, got) if c is None)
