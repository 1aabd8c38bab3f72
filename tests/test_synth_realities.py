"""The drill generates every reality of French patient records, and its answer key records each one."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
from stdnum.fr import nir as stdnir

from fuite.synth import generate
from fuite.synth.files import mysql_dump, tsv_abbreviated, xlsx_titled
from fuite.synth.households import REALITIES

PERSONS = 3000


@pytest.fixture(scope="module")
def drill(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("realities")
    generate(out, persons=PERSONS, seed=5)
    return out


def _csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def persons(drill) -> dict[str, dict]:
    return {p["person_id"]: p for p in _csv(drill / "answer_key" / "persons.csv")}


@pytest.fixture(scope="module")
def records(drill) -> list[dict]:
    return _csv(drill / "answer_key" / "records.csv")


def _with(persons: dict, reality: str) -> list[dict]:
    return [p for p in persons.values() if reality in p["realities"].split(";")]


@pytest.mark.parametrize("reality, low, high", [
    ("ayant_droit", 0.06, 0.25), ("minor", 0.04, 0.2), ("twin", 0.002, 0.03), ("homonym", 0.002, 0.02),
    ("married_name", 0.05, 0.25), ("compound_surname", 0.01, 0.08), ("particle", 0.01, 0.1),
    ("several_first_names", 0.1, 0.4), ("household_contact", 0.2, 0.6), ("moved", 0.03, 0.15),
    ("sparse", 0.02, 0.3), ("birth_date_error", 0.005, 0.06), ("mojibake", 0.0005, 0.02),
    ("ocr_error", 0.002, 0.03), ("insured_nir_written", 0.05, 0.25),
])
def test_each_reality_at_a_realistic_rate(persons, reality, low, high):
    share = len(_with(persons, reality)) / len(persons)
    assert low <= share <= high, (reality, share)


def test_every_reality_is_listed():
    assert {"ayant_droit", "twin", "homonym", "married_name", "sparse", "moved"} <= set(REALITIES)


def test_ayants_droit_are_covered_by_an_insured_adult_of_their_household(persons):
    for p in _with(persons, "ayant_droit"):
        insured = persons[p["insured_person"]]
        assert insured["insured_person"] == "" and insured["household"] == p["household"]
        assert p["quality"] in ("CONJOINT", "ENFANT") and int(p["rank"]) >= 2
        assert insured["birth_date"] < p["birth_date"] or p["quality"] == "CONJOINT"


def test_twins_share_birth_date_and_household_not_first_name(persons):
    twins = _with(persons, "twin")
    assert twins
    by_home = defaultdict(list)
    for p in twins:
        by_home[(p["household"], p["birth_date"])].append(p)
    assert all(len(group) >= 2 and len({p["first_name"] for p in group}) == len(group) for group in by_home.values())


def test_homonyms_share_names_and_birth_date_not_nir(persons):
    groups = defaultdict(list)
    for p in _with(persons, "homonym"):
        groups[(p["last_name"], p["first_name"], p["birth_date"])].append(p)
    assert groups and all(len(g) >= 2 and len({p["nir"] for p in g}) == len(g) for g in groups.values())
    assert all(stdnir.is_valid(p["nir"]) for g in groups.values() for p in g)


def test_married_women_have_a_birth_name(persons):
    married = _with(persons, "married_name")
    assert married and all(p["birth_name"] and p["birth_name"] != p["last_name"] for p in married)


def test_rows_writing_the_insured_nir_belong_to_ayants_droit(persons, records):
    written = [r for r in records if "insured_nir_written" in r["realities"]]
    assert written and all(persons[r["person_id"]]["insured_person"] for r in written)


def test_sms_reminders_are_sparse_rows(records):
    sms = [r for r in records if r["file"] == xlsx_titled.PATH and r["table"] == xlsx_titled.SMS_SHEET]
    assert sms and all("sparse" in r["realities"] for r in sms)


def test_rank_and_quality_columns_are_written(drill):
    text = (drill / "leak" / tsv_abbreviated.PATH).read_text(encoding="utf-8").splitlines()
    header = text[0].split("\t")
    ranks = {line.split("\t")[header.index("RANG")] for line in text[1:]}
    assert "01" in ranks and ranks & {"02", "03", "04"}
    dump = (drill / "leak" / mysql_dump.PATH).read_text(encoding="utf-8")
    assert "'CONJOINT'" in dump and "'ENFANT'" in dump and "`qualite`" in dump
