"""resolve_case on a real encrypted case, and the resolve/persons/explain-person commands."""

from __future__ import annotations

import csv
import json

import polars as pl
import pyarrow as pa
import pytest

from fuite.resolve import bcubed, resolve_case
from fuite.schema import RECORD_SCHEMA
from conftest import access


def _records(rows: list[dict]) -> pa.Table:
    out = []
    for i, row in enumerate(rows):
        record = {f.name: None for f in RECORD_SCHEMA}
        record.update(record_id=i, person_id=i, table="")
        record.update(row)
        out.append(record)
    return pa.Table.from_pylist(out, schema=RECORD_SCHEMA)


@pytest.fixture
def hand_case(case_dir):
    """A case holding a SQL dump (patients + analyses referencing them) and a CSV, as a scan stores them."""
    from fuite.store import open_case

    case = open_case(case_dir, access(), create=True)
    case.put_table("sources", pa.Table.from_pylist([
        {"source_id": 0, "file": "dump.sql", "table": "patients", "columns": json.dumps(["id", "nom", "prenom"]),
         "relations": "[]", "parent": ""},
        {"source_id": 1, "file": "dump.sql", "table": "analyses", "columns": json.dumps(["id", "patient_id"]),
         "relations": json.dumps([{"child_column": "patient_id", "parent_table": "patients",
                                   "parent_column": "id", "declared": True}]), "parent": ""},
        {"source_id": 2, "file": "export.csv", "table": "", "columns": json.dumps(["Nom", "Prénom", "NIR"]),
         "relations": "[]", "parent": ""},
    ]))
    case.put_table("raw/0", pa.table({"__row": pa.array([0, 1], pa.int64()), "c0": ["7", "8"],
                                      "c1": ["Quéré", "Cadiou"], "c2": ["Annaïg", "Loïc"]}))
    case.put_table("raw/1", pa.table({"__row": pa.array([0, 1, 2], pa.int64()), "c0": ["1", "2", "3"],
                                      "c1": ["8", "7", "8"]}))
    case.put_table("raw/2", pa.table({"__row": pa.array([0], pa.int64()), "c0": ["QUERE"], "c1": ["ANNAIG"],
                                      "c2": ["291052911122233"]}))
    case.put_table("records", _records([
        dict(source_id=0, file="dump.sql", table="patients", row=0, last_name="Quéré", first_name="Annaïg",
             birth_date="1991-05-04", nir="291052911122233", categories="last_name;first_name;nir"),
        dict(source_id=0, file="dump.sql", table="patients", row=1, last_name="Cadiou", first_name="Loïc",
             birth_date="1958-12-24"),
        dict(source_id=1, file="dump.sql", table="analyses", row=0, health=True, hiv=True, conditions="hiv",
             categories="medication"),
        dict(source_id=1, file="dump.sql", table="analyses", row=1, health=True, categories="health_note"),
        dict(source_id=1, file="dump.sql", table="analyses", row=2),
        dict(source_id=2, file="export.csv", row=0, last_name="QUERE", first_name="ANNAIG",
             nir="291052911122233"),
    ]))
    yield case
    case.close()


def test_resolve_case_links_children_and_stores_persons(hand_case):
    summary = resolve_case(hand_case)
    assert summary["child_rows_linked"] == 3 and summary["persons"] == 2
    records = pl.from_arrow(hand_case.get_table("records")).sort("record_id")
    assert records["parent_record_id"].to_list() == [None, None, 1, 0, 1, None]
    assert records["person_id"].to_list() == [0, 1, 1, 0, 1, 0]
    persons = {p["person_id"]: p for p in hand_case.get_table("persons").to_pylist()}
    assert persons[1]["hiv"] is True and persons[0]["hiv"] is False
    assert persons[0]["records"] == 3 and persons[0]["files"] == "dump.sql;export.csv"
    assert persons[0]["categories"] == "last_name;first_name;nir;health_note"
    links = hand_case.get_table("links").to_pylist()
    assert {link["rule"] for link in links} == {"nir", "parent"}
    assert hand_case.meta_get("resolve_summary")["persons"] == 2
    assert any(entry["action"] == "resolve" for entry in hand_case.audit_entries())


def test_resolve_case_is_idempotent(hand_case):
    first = resolve_case(hand_case)
    before = hand_case.get_table("records")
    second = resolve_case(hand_case)
    assert first["persons"] == second["persons"]
    assert hand_case.get_table("records").equals(before)


# ---------------------------------------------------------------- on the small drill, through the CLI


def _identifiers(small_drill) -> set[str]:
    with open(small_drill / "answer_key" / "persons.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    values = set()
    for row in rows:
        for key in ("last_name", "first_name", "nir", "email", "phone", "birth_date"):
            if row.get(key) and len(row[key]) >= 4:
                values.add(row[key])
    return values


def test_small_drill_persons_match_the_answer_key(scanned_case, small_drill):
    from fuite.store import open_case

    with open_case(scanned_case, access()) as case:
        records = pl.from_arrow(case.get_table("records").select(["file", "table", "row", "person_id"]))
    key = pl.read_csv(small_drill / "answer_key" / "records.csv", schema_overrides={"table": pl.String})
    joined = records.with_columns(pl.col("table").fill_null("")).join(
        key.with_columns(pl.col("table").fill_null("")).rename({"person_id": "truth"}),
        on=["file", "table", "row"], how="inner")
    assert joined.height == records.height
    score = bcubed(joined["person_id"], joined["truth"])
    assert score.f1 >= 0.99
    assert abs(joined["person_id"].n_unique() - joined["truth"].n_unique()) <= 0.02 * joined["truth"].n_unique()


def test_persons_command_prints_figures_without_identifiers(scanned_case, small_drill, fuite_cli):
    proc = fuite_cli("persons", "--case", str(scanned_case), "--json", check=True)
    stats = json.loads(proc.stdout)
    assert stats["persons"] > 0 and sum(stats["cluster_sizes"].values()) == stats["persons"]
    assert "nir" in stats["links_by_rule"]
    table = fuite_cli("persons", "--case", str(scanned_case), check=True).stdout
    for value in _identifiers(small_drill):
        assert value not in proc.stdout and value not in table


def test_explain_person_masks_values(scanned_case, small_drill, fuite_cli):
    stats = json.loads(fuite_cli("persons", "--case", str(scanned_case), "--json", check=True).stdout)
    assert stats["persons_with_several_records"] > 0
    from fuite.store import open_case

    with open_case(scanned_case, access()) as case:
        persons = pl.from_arrow(case.get_table("persons").select(["person_id", "records"]))
    person = persons.filter(pl.col("records") > 2)["person_id"][0]
    proc = fuite_cli("explain-person", "--case", str(scanned_case), "--person", str(person), "--json", check=True)
    result = json.loads(proc.stdout)
    assert len(result["records"]) > 2 and result["links"]
    ids = [r["record_id"] for r in result["records"]]
    pair = fuite_cli("explain-person", "--case", str(scanned_case), "--records", str(ids[0]), str(ids[-1]),
                     "--json", check=True)
    assert json.loads(pair.stdout)["same_person"] is True and json.loads(pair.stdout)["chain"]
    text = fuite_cli("explain-person", "--case", str(scanned_case), "--person", str(person), check=True).stdout
    for value in _identifiers(small_drill):
        assert value not in proc.stdout and value not in pair.stdout and value not in text


def test_explain_person_needs_one_target(scanned_case, fuite_cli):
    proc = fuite_cli("explain-person", "--case", str(scanned_case))
    assert proc.returncode == 2 and "either --person" in proc.stderr
    proc = fuite_cli("explain-person", "--case", str(scanned_case), "--person", "999999999")
    assert proc.returncode == 2 and "no person" in proc.stderr and "Traceback" not in proc.stderr


def test_resolve_command_reruns_on_a_case(hand_case, case_dir, fuite_cli):
    hand_case.close()
    proc = fuite_cli("resolve", "--case", str(case_dir), check=True)
    assert "resolved 6 records into 2 persons" in proc.stderr
    stats = json.loads(fuite_cli("persons", "--case", str(case_dir), "--json", check=True).stdout)
    assert stats["persons"] == 2 and stats["links_by_rule"] == {"nir": 1, "parent": 3}
    proc = fuite_cli("resolve", "--case", str(case_dir), "--engine", "oracle")
    assert proc.returncode == 2 and "unknown linkage engine" in proc.stderr
