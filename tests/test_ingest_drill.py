"""The drill's real-world files read as the answer key says: every row at its index, only the truly broken set aside."""

from __future__ import annotations

import csv
import re

import pytest

from test_ingest_pgdump import postgres  # noqa: F401  (fixture: a throwaway PostgreSQL server)
from test_ingest_support import scan
from fuite.synth.files import csv_excel_titled, pg_dump_lims


@pytest.fixture(scope="module")
def drill_scan(small_drill):
    return scan(small_drill / "leak")


def _key(drill, name: str) -> list[dict]:
    with open(drill / "answer_key" / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_only_the_truly_broken_is_quarantined(small_drill, drill_scan):
    expected = {(q["file"], q["table"], q["location"]) for q in _key(small_drill, "quarantine.csv")}
    assert expected, "the drill writes at least one broken line"
    assert {(q.file, q.table, q.location) for q in drill_scan.quarantined} == expected
    assert not drill_scan.problems


def test_every_answer_key_row_is_read_at_its_index(small_drill, drill_scan):
    read = {(f, t): {r["__row"] for r in table["rows"]} for (f, t), table in drill_scan.tables.items()}
    for r in _key(small_drill, "records.csv"):
        assert int(r["row"]) in read[(r["file"], r["table"])], r
    keyed = {}
    for r in _key(small_drill, "records.csv"):
        keyed.setdefault((r["file"], r["table"]), set()).add(int(r["row"]))
    assert keyed == read


def test_titled_csv_header_below_the_title_rows(small_drill, drill_scan):
    table = drill_scan.tables[(csv_excel_titled.PATH, "")]
    assert table["columns"] == [h for h, _ in csv_excel_titled.COLUMNS]
    assert table["encoding"] == "cp1252"
    [broken] = [q for q in drill_scan.quarantined if q.file == csv_excel_titled.PATH]
    assert broken.reason.endswith("NUL byte (binary content in a text line)")
    assert broken.raw.strip(b"\r\n") == b"\x00" * csv_excel_titled.NUL_BYTES


def test_pg_dump_tables_and_relation(drill_scan):
    patient = drill_scan.tables[(pg_dump_lims.PATH, "patient")]
    resultat = drill_scan.tables[(pg_dump_lims.PATH, "resultat")]
    assert patient["columns"] == [c for c, _ in pg_dump_lims.PATIENT_COLUMNS]
    assert [(r.child_column, r.parent_table, r.parent_column, r.declared) for r in resultat["relations"]] == [
        ("patient_id", "patient", "id", True)]
    assert any("'" in (r["adresse"] or "") + (r["nom"] or "") for r in patient["rows"])   # apostrophes kept


def _normalised(text: str) -> str:
    """A dump without what changes from one pg_dump run or server to the next (the restrict key, versions)."""
    text = re.sub(r"^\\(un)?restrict \S+$", r"\\\1restrict KEY", text, flags=re.M)
    return re.sub(r"^-- Dumped (from database|by pg_dump) version .*$", r"-- Dumped \1 version X", text, flags=re.M)


def test_the_drill_dump_is_byte_for_byte_what_pg_dump_writes(small_drill, postgres):  # noqa: F811
    """Restore the drill's dump into a real server, dump it again: the same bytes (but the random key)."""
    written = (small_drill / "leak" / pg_dump_lims.PATH).read_bytes()
    postgres.client("psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres",
                    stdin=f"CREATE ROLE {pg_dump_lims.OWNER}; CREATE DATABASE drill;".encode())
    postgres.client("psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", "drill", stdin=written)
    dumped = postgres.client("pg_dump", "drill").decode("utf-8")
    assert _normalised(dumped) == _normalised(written.decode("utf-8"))
