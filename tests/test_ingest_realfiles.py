"""Files as they are really found: title rows above the header, a NUL line, an undecodable line, a record nested
1,000 levels deep. Only the bad part is set aside, with its location; every other row keeps its data-row index."""

from __future__ import annotations

import json

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from test_ingest_support import scan

HEADER = ["nom", "prenom", "naissance", "ville", "telephone"]
PEOPLE = [["Dupont", "Jérôme", "01/02/1980", "Rennes", "0612345678"],
          ["Martin", "Zoé", "03/04/1990", "Brest", "0698765432"],
          ["Le Goff", "Anne", "05/06/1970", "Vannes", "0711223344"]]


def _expected(rows=PEOPLE, first=0):
    return [{"__row": first + i, **dict(zip(HEADER, r))} for i, r in enumerate(rows)]


TITLES = {
    "padded": ["Extraction patients du laboratoire;;;;", "Période : 01/01/2020 - 31/12/2020;;;;"],
    "padded_blank": ["Extraction patients;;;;", ";;;;"],
    "unpadded": ["Extraction patients", ""],
    "legend": ["LBM Grand Ouest", "Légende : * = urgent", "", ";;;;"],
    "none": [],
}


@pytest.mark.parametrize("titles", sorted(TITLES))
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_csv_header_is_found_below_title_rows(tmp_path, titles, newline):
    lines = TITLES[titles] + [";".join(HEADER)] + [";".join(r) for r in PEOPLE]
    (tmp_path / "t.csv").write_bytes(newline.join(lines).encode("cp1252") + newline.encode())
    s = scan(tmp_path / "t.csv")
    assert s.tables[("t.csv", "")]["columns"] == HEADER
    assert s.rows("t.csv") == _expected()
    assert not s.quarantined and not s.problems


def test_title_rows_do_not_shift_quarantine_line_numbers(tmp_path):
    lines = TITLES["padded"] + [";".join(HEADER), ";".join(PEOPLE[0]), "trop;peu", ";".join(PEOPLE[1])]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    s = scan(tmp_path / "t.csv")
    assert [(q.location, q.reason) for q in s.quarantined] == [("line 5", "line 5: 2 fields, expected 5")]
    assert [r["__row"] for r in s.rows("t.csv")] == [0, 2]


def test_a_table_without_header_keeps_its_first_rows(tmp_path):
    """Short first rows are only titles when a header follows them; here they are data and are kept."""
    lines = ["Dupont;;;;", "Martin;;;;"] + [";".join(r) for r in PEOPLE]
    (tmp_path / "n.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = scan(tmp_path / "n.csv").rows("n.csv")
    assert [r["#0"] for r in rows] == ["Dupont", "Martin", "Dupont", "Martin", "Le Goff"]


def test_xlsx_header_below_two_titles_and_a_blank_row(tmp_path):
    wb = xlsxwriter.Workbook(str(tmp_path / "t.xlsx"))
    ws = wb.add_worksheet("Feuil1")
    ws.write(0, 0, "Extraction patients")
    ws.write(1, 0, "document interne")
    ws.write_row(3, 0, HEADER)
    for i, r in enumerate(PEOPLE):
        ws.write_row(4 + i, 0, r)
    wb.close()
    s = scan(tmp_path / "t.xlsx")
    assert s.tables[("t.xlsx", "Feuil1")]["columns"] == HEADER
    assert s.rows("t.xlsx", "Feuil1") == _expected()


# ----------------------------------------------------------------- bad lines


@pytest.mark.parametrize(("bad", "reason"), [
    (b"Mar\x00tin;Zo\xc3\xa9;03/04/1990;Brest;0698765432", "NUL byte (binary content in a text line)"),
    (b"\x00" * 600, "NUL byte (binary content in a text line)"),   # a block of zeros left by a crash
    (b"Martin;Zo\xe9;03/04/1990;Brest;0698765432", "bytes not valid utf-8"),
])
def test_one_bad_line_is_quarantined_and_the_file_kept(tmp_path, bad, reason):
    good = [";".join(r).encode("utf-8") for r in PEOPLE]
    data = b"\n".join([";".join(HEADER).encode(), good[0], bad, good[1], good[2]]) + b"\n"
    (tmp_path / "b.csv").write_bytes(data)
    s = scan(tmp_path / "b.csv")
    assert not s.problems
    assert [(q.location, q.reason) for q in s.quarantined] == [("line 3", f"line 3: {reason}")]
    assert s.quarantined[0].raw.rstrip(b"\n") == bad
    assert s.rows("b.csv") == [_expected()[0]] + _expected(PEOPLE[1:], first=2)


def test_a_nul_line_deep_in_a_large_csv_keeps_every_other_row(tmp_path):
    rows = [f"Nom{i};Prenom{i};01/01/1990;Ville{i};06{i:08d}" for i in range(150_000)]
    rows[120_000] = "Nom\x00\x00;x;y;z;w"
    (tmp_path / "big.csv").write_text(";".join(HEADER) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    s = scan(tmp_path / "big.csv")
    got = s.rows("big.csv")
    assert len(got) == 149_999 and got[-1]["__row"] == 149_999 and got[120_000]["__row"] == 120_001
    assert [q.location for q in s.quarantined] == ["line 120002"]


def test_a_binary_file_is_still_binary(tmp_path):
    (tmp_path / "x.csv").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "y.dat").write_bytes(b"\x01\x02\x03\x04" * 10)
    s = scan(tmp_path)
    assert "binary content" in s.problem("x.csv") and "binary content" in s.problem("y.dat")


def _ascii_on_one_line(junk: bytes) -> bytes:
    """Junk that cannot change the file's encoding or its line count (the NUL is added by the test)."""
    return bytes(c for c in (b & 0x7F for b in junk) if c not in b"\r\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(at=hs.integers(0, len(PEOPLE) - 1), junk=hs.binary(max_size=40).map(_ascii_on_one_line),
       titles=hs.sampled_from(sorted(TITLES)))
def test_any_nul_line_costs_only_its_line(tmp_path, at, junk, titles):
    lines = [t.encode() for t in TITLES[titles]] + [";".join(HEADER).encode()]
    lines += [";".join(r).encode() for r in PEOPLE]
    first_data = len(TITLES[titles]) + 1
    lines[first_data + at] = lines[first_data + at][:3] + b"\x00" + junk
    (tmp_path / "h.csv").write_bytes(b"\n".join(lines) + b"\n")
    s = scan(tmp_path / "h.csv")
    assert [q.location for q in s.quarantined] == [f"line {first_data + at + 1}"]
    assert s.rows("h.csv") == [r for r in _expected() if r["__row"] != at]


# ----------------------------------------------------------------- deep JSON


def _deep(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


@pytest.mark.parametrize("levels", [65, 1000, 100_000])
def test_a_json_line_nested_too_deeply_is_quarantined_alone(tmp_path, levels):
    lines = [json.dumps({"nom": f"N{i}", "id": i}) for i in range(2400)]
    lines.insert(1200, _deep(levels))
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n")
    s = scan(tmp_path / "d.jsonl")
    assert not s.problems
    assert [(q.location, q.reason) for q in s.quarantined] == [("line 1201",
                                                                 "line 1201: record nested deeper than 64 levels")]
    rows = s.rows("d.jsonl")
    assert len(rows) == 2400 and rows[1200] == {"__row": 1201, "nom": "N1200", "id": "1200"}


def test_a_deep_record_first_and_in_an_array(tmp_path):
    (tmp_path / "first.jsonl").write_text(_deep(1000) + '\n{"nom": "Dupont"}\n')
    (tmp_path / "array.json").write_text('[{"nom": "Dupont"}, ' + _deep(200) + ', {"nom": "Martin"}]')
    s = scan(tmp_path)
    assert s.rows("first.jsonl") == [{"__row": 1, "nom": "Dupont"}]
    assert s.rows("array.json") == [{"__row": 0, "nom": "Dupont"}, {"__row": 2, "nom": "Martin"}]
    assert sorted(q.file for q in s.quarantined) == ["array.json", "first.jsonl"]


def test_sixty_four_levels_are_read(tmp_path):
    (tmp_path / "ok.jsonl").write_text(_deep(63) + "\n" + _deep(63) + "\n")
    s = scan(tmp_path / "ok.jsonl")
    assert not s.quarantined and len(s.rows("ok.jsonl")) == 2
