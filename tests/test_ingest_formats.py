"""One table of cases per format: what ingest reads, with its provenance (file, table, row)."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import sqlite3
import tarfile
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from test_ingest_support import scan
from fuite.ingest.tabular.spreadsheet import cell_text, column_text
from fuite.schema import Relation
from fuite.synth.files import FILES

PEOPLE = [("Dupont", "Élodie", "1980-01-02"), ("Martin", "Jean; fils", "1990-02-03"), ("Lefèvre", "Zoé", "2001-12-31")]


def _csv(delimiter: str, header: bool = True, newline: str = "\n") -> str:
    lines = [delimiter.join(["nom", "prénom", "naissance"])] if header else []
    for nom, prenom, ddn in PEOPLE:
        cells = [f'"{c}"' if delimiter in c or ";" in c else c for c in (nom, prenom, ddn)]
        lines.append(delimiter.join(cells))
    return newline.join(lines) + newline


DELIMITED = [
    ("comma_utf8.csv", _csv(",").encode("utf-8"), "utf-8", True),
    ("semicolon_cp1252.csv", _csv(";", newline="\r\n").encode("cp1252"), "cp1252", True),
    ("tab_bom.tsv", b"\xef\xbb\xbf" + _csv("\t").encode("utf-8"), "utf-8-sig", True),
    ("pipe_noheader.txt", _csv("|", header=False).encode("latin-1"), "cp1252", False),
    ("utf16.csv", _csv(";").encode("utf-16"), "utf-16", True),
]


@pytest.mark.parametrize(("name", "data", "encoding", "header"), DELIMITED)
def test_delimited(tmp_path, name, data, encoding, header):
    (tmp_path / name).write_bytes(data)
    s = scan(tmp_path)
    table = s.tables[(name, "")]
    assert table["encoding"] == encoding
    expected_columns = ["nom", "prénom", "naissance"] if header else ["#0", "#1", "#2"]
    assert table["columns"] == expected_columns
    rows = table["rows"]
    assert [r["__row"] for r in rows] == [0, 1, 2]
    assert [tuple(r[c] for c in expected_columns) for r in rows] == PEOPLE
    assert not s.quarantined and not s.problems


def test_delimited_quoted_newlines_crlf_and_bad_rows_keep_their_index(tmp_path):
    text = 'id;note;ville\r\n1;"ligne 1\r\nligne 2";Rennes\r\n2;trop;de;champs\r\n\r\n3;"a;b";Brest\r\n4;court\r\n'
    (tmp_path / "notes.csv").write_bytes(text.encode("utf-8"))
    s = scan(tmp_path)
    rows = s.rows("notes.csv")
    assert [(r["__row"], r["id"], r["note"]) for r in rows] == [(0, "1", "ligne 1\r\nligne 2"), (2, "3", "a;b")]
    assert [(q.location, q.reason) for q in s.quarantined] == [
        ("line 4", "line 4: 4 fields, expected 3"), ("line 7", "line 7: 2 fields, expected 3")]
    assert s.quarantined[0].raw == b"2;trop;de;champs\r\n"


def test_delimited_empty_cells_are_null_and_encoding_override(tmp_path):
    (tmp_path / "x.csv").write_bytes("a,b\nÃ©,\n".encode("utf-8"))
    assert scan(tmp_path).rows("x.csv") == [{"__row": 0, "a": "Ã©", "b": None}]
    assert scan(tmp_path, encoding="cp1252").rows("x.csv")[0]["a"] == "ÃƒÂ©"


def test_delimited_large_file_streams_in_several_batches(tmp_path):
    n = 150_000
    with open(tmp_path / "big.csv", "w") as f:
        f.write("id,email\n")
        for i in range(n):
            f.write(f"{i},user{i}@example.org\n")
    batches = []
    from fuite.ingest import read_paths

    for st in read_paths([tmp_path], on_quarantine=pytest.fail, on_problem=pytest.fail):
        batches = list(st.batches())
    assert len(batches) > 1
    rows = pa.Table.from_batches(batches)
    assert rows.column("__row").to_pylist() == list(range(n))
    assert rows.column("c1")[n - 1].as_py() == f"user{n - 1}@example.org"


JSON_CASES = [
    ("array.json", '[{"id": 1, "identite": {"nom": "Dupont"}, "tel": ["0601", "0602"]}, {"id": 2, "tel": []}]'),
    ("lines.jsonl", '{"id": 1, "identite": {"nom": "Dupont"}, "tel": ["0601", "0602"]}\n{"id": 2}\n'),
]


@pytest.mark.parametrize(("name", "text"), JSON_CASES)
def test_json_flattened(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    s = scan(tmp_path)
    table = s.tables[(name, "")]
    assert table["columns"] == ["id", "identite.nom", "tel[]"]
    assert table["rows"] == [{"__row": 0, "id": "1", "identite.nom": "Dupont", "tel[]": "0601 ; 0602"},
                             {"__row": 1, "id": "2", "identite.nom": None, "tel[]": None}]


def test_json_child_tables_point_at_their_parent_row(tmp_path):
    records = ('{"id": 1, "analyses": [{"code": "A", "res": [{"v": 1}]}, {"code": "B"}]}\n'
               '{"id": 2, "analyses": [{"code": "C"}]}\nnot json\n{"id": 4}\n')
    (tmp_path / "d.jsonl").write_text(records)
    s = scan(tmp_path)
    assert [r["__row"] for r in s.rows("d.jsonl")] == [0, 1, 3]
    analyses = s.tables[("d.jsonl", "analyses")]
    assert analyses["parent"] == ""
    assert [(r["__row"], r["code"], r["__parent_row"]) for r in analyses["rows"]] == [(0, "A", 0), (1, "B", 0),
                                                                                      (2, "C", 1)]
    res = s.tables[("d.jsonl", "analyses.res")]
    assert res["parent"] == "analyses" and res["rows"] == [{"__row": 0, "v": "1", "__parent_row": 0}]
    assert [(q.location, q.reason) for q in s.quarantined] == [("line 3", "line 3: invalid JSON")]


def test_xlsx_every_sheet_header_below_titles_dates_iso(tmp_path):
    import datetime as dt

    import xlsxwriter

    book = xlsxwriter.Workbook(str(tmp_path / "labo.xlsx"))
    sheet = book.add_worksheet("Patients")
    sheet.write(0, 0, "Extraction du laboratoire")
    sheet.write(1, 0, "Confidentiel")
    for j, h in enumerate(["Nom", "Né(e) le", "Téléphone"]):
        sheet.write(3, j, h)
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write(4, 0, "Dupont")
    sheet.write_datetime(4, 1, dt.datetime(1980, 1, 2), date_format)
    sheet.write_number(4, 2, 612345678)
    sheet.write(5, 0, "Martin")
    other = book.add_worksheet("Autre")
    other.write_row(0, 0, ["code", "libellé"])
    other.write_row(1, 0, ["X1", "test"])
    book.close()
    s = scan(tmp_path)
    patients = s.tables[("labo.xlsx", "Patients")]
    assert patients["columns"] == ["Nom", "Né(e) le", "Téléphone"]
    assert patients["rows"] == [{"__row": 0, "Nom": "Dupont", "Né(e) le": "1980-01-02", "Téléphone": "612345678"},
                                {"__row": 1, "Nom": "Martin", "Né(e) le": None, "Téléphone": None}]
    assert s.rows("labo.xlsx", "Autre") == [{"__row": 0, "code": "X1", "libellé": "test"}]


def _ods(rows: list[list[str]]) -> bytes:
    cells = "".join("<table:table-row>" + "".join(
        f'<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>' for c in row)
        + "</table:table-row>" for row in rows)
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="Feuille1">{cells}</table:table>'
               '</office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", manifest)
    return buf.getvalue()


def test_ods(tmp_path):
    (tmp_path / "t.ods").write_bytes(_ods([["nom", "ville"], ["Dupont", "Rennes"]]))
    s = scan(tmp_path)
    assert s.rows("t.ods", "Feuille1") == [{"__row": 0, "nom": "Dupont", "ville": "Rennes"}]


MYSQL = """-- MySQL dump 10.13
/*!40101 SET NAMES utf8mb4 */;
CREATE TABLE `patients` (
  `id` int NOT NULL, `nom` varchar(50), `photo` blob, PRIMARY KEY (`id`)
) ENGINE=InnoDB;
INSERT INTO `patients` VALUES (1,'O\\'Brien; \\"x\\"',_binary 'abc'),(2,'a\\nb',NULL);
INSERT INTO `patients` VALUES (3,'Zoé',0x414243);
CREATE TABLE `analyses` (`id` int, `id_patient` int, `code` text);
INSERT INTO `analyses` (`id`, `id_patient`, `code`) VALUES (1,3,'VIH'),(2,1,'HbA1c');
-- Dump completed
"""
POSTGRES = """--
-- PostgreSQL database dump
--
SET client_encoding = 'UTF8';
CREATE TABLE public.patient (id integer NOT NULL, nom text);
CREATE TABLE public.prescription (id integer, patient integer, med text);
COPY public.patient (id, nom) FROM stdin;
1\tDupont\\tJr
2\t\\N
\\.
INSERT INTO public.prescription VALUES (1, 1, 'Truvada'), (2, 2, E'a\\nb');
INSERT INTO public.prescription (id, med, patient) VALUES (3, 'l''eau', 2);
ALTER TABLE ONLY public.prescription
    ADD CONSTRAINT prescription_fk FOREIGN KEY (patient) REFERENCES public.patient(id);
"""
SQLITE = """PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE patients(id INTEGER PRIMARY KEY, nom TEXT);
INSERT INTO patients VALUES(1,'a''b');
INSERT INTO patients VALUES(2,replace('x\\ny','\\n',char(10)));
CREATE TABLE "visites"(id INTEGER, "patientId" INTEGER REFERENCES patients(id));
INSERT INTO "visites" VALUES(1,2);
COMMIT;
"""

SQL_CASES = [
    ("mysql.sql", MYSQL, {
        "patients": [(0, "1", "O'Brien; \"x\"", "abc"), (1, "2", "a\nb", None), (2, "3", "Zoé", "ABC")],
        "analyses": [(0, "1", "3", "VIH"), (1, "2", "1", "HbA1c")]},
     {"analyses": [Relation("id_patient", "patients", "id", False)]}),
    ("pg.sql", POSTGRES, {
        "patient": [(0, "1", "Dupont\tJr"), (1, "2", None)],
        "prescription": [(0, "1", "1", "Truvada"), (1, "2", "2", "a\nb"), (2, "3", "2", "l'eau")]},
     {"prescription": [Relation("patient", "patient", "id", True)]}),
    ("sqlite.sql", SQLITE, {
        "patients": [(0, "1", "a'b"), (1, "2", "x\ny")], "visites": [(0, "1", "2")]},
     {"visites": [Relation("patientId", "patients", "id", True)]}),
]


@pytest.mark.parametrize(("name", "text", "expected", "relations"), SQL_CASES)
def test_sql_dumps(tmp_path, name, text, expected, relations):
    (tmp_path / name).write_text(text)
    s = scan(tmp_path)
    assert not s.quarantined and not s.problems
    for table, rows in expected.items():
        got = s.tables[(name, table)]
        assert got["format"] == "sql"
        assert [tuple(r.values()) for r in got["rows"]] == rows
        assert got["relations"] == relations.get(table, [])


def test_parquet_and_sqlite_files(tmp_path):
    pq.write_table(pa.table({"nom": ["Dupont", ""], "n": [1, None], "d": pa.array([0, 1], pa.int32()).cast(pa.date32())}),
                   tmp_path / "p.parquet")
    conn = sqlite3.connect(tmp_path / "labo.db")
    conn.executescript("CREATE TABLE patients(id INTEGER PRIMARY KEY, nom TEXT);"
                       "CREATE TABLE analyses(id INTEGER, patient_id INTEGER, res BLOB);"
                       "INSERT INTO patients VALUES (1, 'Dupont'), (2, NULL);"
                       "INSERT INTO analyses VALUES (1, 2, X'00FF');")
    conn.commit()
    conn.close()
    before = (tmp_path / "labo.db").read_bytes()
    s = scan(tmp_path)
    assert s.rows("p.parquet") == [{"__row": 0, "nom": "Dupont", "n": "1", "d": "1970-01-01"},
                                   {"__row": 1, "nom": None, "n": None, "d": "1970-01-02"}]
    assert s.rows("labo.db", "patients") == [{"__row": 0, "id": "1", "nom": "Dupont"},
                                             {"__row": 1, "id": "2", "nom": None}]
    analyses = s.tables[("labo.db", "analyses")]
    assert analyses["rows"][0]["res"] == "0x00ff"
    assert analyses["relations"] == [Relation("patient_id", "patients", "id", False)]
    assert (tmp_path / "labo.db").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labo.db", "p.parquet"]


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _tar(members: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


CSV = b"nom,ville\nDupont,Rennes\n"


@pytest.mark.parametrize(("name", "data", "inner"), [
    ("a.zip", _zip({"dir/x.csv": CSV}), "a.zip/dir/x.csv"),
    ("a.tar.gz", _tar({"dir/x.csv": CSV}), "a.tar.gz/dir/x.csv"),
    ("a.tar.bz2", _tar({"x.csv": CSV}, "w:bz2"), "a.tar.bz2/x.csv"),
    ("a.tar.xz", _tar({"x.csv": CSV}, "w:xz"), "a.tar.xz/x.csv"),
    ("a.tar", _tar({"x.csv": CSV}, "w"), "a.tar/x.csv"),
    ("x.csv.gz", gzip.compress(CSV), "x.csv.gz"),
    ("x.csv.bz2", bz2.compress(CSV), "x.csv.bz2"),
    ("x.csv.xz", lzma.compress(CSV), "x.csv.xz"),
    ("outer.zip", _zip({"inner.zip": _zip({"deep/x.csv": CSV})}), "outer.zip/inner.zip/deep/x.csv"),
    ("mixed.zip", _zip({"t.tar.gz": _tar({"x.csv": CSV})}), "mixed.zip/t.tar.gz/x.csv"),
], ids=lambda v: v if isinstance(v, str) else "bytes")
def test_archives_name_members_inside_the_archive(tmp_path, name, data, inner):
    (tmp_path / name).write_bytes(data)
    s = scan(tmp_path)
    assert not s.problems
    assert s.rows(inner) == [{"__row": 0, "nom": "Dupont", "ville": "Rennes"}]


def test_a_file_given_alone_is_named_by_its_name_and_folders_by_relative_path(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.csv").write_bytes(CSV)
    assert list(scan(tmp_path).tables) == [("sub/x.csv", "")]
    assert list(scan(tmp_path / "sub" / "x.csv").tables) == [("x.csv", "")]


def test_synth_drill_reads_every_file(small_drill):
    s = scan(small_drill / "leak")
    assert not s.problems
    files = {f for f, _ in s.tables}
    assert files == {m.PATH for m in FILES}
    formats = {t["format"] for t in s.tables.values()}
    assert {"csv", "tsv", "json", "xlsx", "sql", "psv"} <= formats
    sql = [t for (f, _), t in s.tables.items() if t["format"] == "sql"]
    assert any(r.parent_table and r.child_column for t in sql for r in t["relations"])
    for t in s.tables.values():
        assert [r["__row"] for r in t["rows"]] == sorted({r["__row"] for r in t["rows"]})


_CELLS = hs.one_of(
    hs.text(alphabet="ab é0", max_size=4), hs.floats(allow_nan=False, allow_infinity=False, width=64),
    hs.integers(-10**16, 10**16).map(float), hs.booleans(), hs.dates(), hs.datetimes(), hs.times(), hs.none())


@settings(max_examples=150, deadline=None)
@given(values=hs.lists(_CELLS, max_size=30))
def test_spreadsheet_column_is_cell_text_of_every_cell(values):
    assert column_text(values).to_pylist() == [cell_text(v) for v in values]
