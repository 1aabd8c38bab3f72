"""The quarantine listing: pure functions over the case's ``quarantine`` and ``problems`` Arrow tables."""

from __future__ import annotations

from fuite.ingest.quarantine import listing, preview, problems_table, quarantine_table, summary
from fuite.schema import FileProblem, Quarantined

ITEMS = [
    Quarantined("a.csv", "", "line 4", "line 4: 2 fields, expected 3", "Dupont;0601020304\r\n".encode()),
    Quarantined("dump.zip/db.sql", "patients", "line 9, tuple 2", "line 9, tuple 2: unterminated string",
                b"(2,'Martin"),
]
PROBLEMS = [FileProblem("bomb.zip", "expansion ratio above 200:1: possible zip bomb")]


def test_listing_hides_raw_content_by_default():
    entries = listing(quarantine_table(ITEMS), problems_table(PROBLEMS))
    assert [(e.kind, e.file, e.table, e.location) for e in entries] == [
        ("file", "bomb.zip", "", ""), ("row", "a.csv", "", "line 4"),
        ("row", "dump.zip/db.sql", "patients", "line 9, tuple 2")]
    assert all(e.raw is None for e in entries)
    assert "Dupont" not in repr(entries)


def test_listing_shows_escaped_raw_only_when_asked():
    entries = listing(quarantine_table(ITEMS), None, show_raw=True)
    assert entries[0].raw == "Dupont;0601020304\\r\\n"


def test_listing_filters_by_file_or_archive():
    entries = listing(quarantine_table(ITEMS), problems_table(PROBLEMS), file="dump.zip")
    assert [e.file for e in entries] == ["dump.zip/db.sql"]
    assert listing(quarantine_table(ITEMS), None, file="dump.z") == []


def test_summary_and_empty_case():
    assert summary(listing(quarantine_table(ITEMS), problems_table(PROBLEMS))) == {
        "unreadable_files": 1, "quarantined_rows": 2, "files_with_quarantined_rows": 2}
    assert listing(None, None) == [] and listing(quarantine_table([]), problems_table([])) == []


def test_preview_is_one_bounded_line():
    assert preview(b"") == ""
    assert preview(b"\xff\x00abc") == "\ufffd\\x00abc"
    assert preview(b"x" * 1000, limit=10) == "x" * 10 + "…"
