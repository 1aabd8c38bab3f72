"""The drill generator: determinism, the files read back with simple parsers, the answer key's truth."""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import phonenumbers
import pytest
from python_calamine import CalamineWorkbook
from stdnum.fr import nir as stdnir

from fuite.errors import UsageError
from fuite.synth import generate
from fuite.synth.files import (
    FILES, csv_excel_titled, csv_french, jsonl_nested, jsonl_portal, mysql_dump, pg_dump_lims, pipe_latin1,
    tsv_abbreviated, xlsx_titled,
)
from fuite.synth.health import COMMENTS
from fuite.taxonomy import CATEGORY_IDS, PERSONAL_IDS, SPECIAL_CONDITIONS

PERSONS = 300


@pytest.fixture(scope="module", params=["whole", "chunked"])
def drill(request, tmp_path_factory) -> Path:
    """The drill in one chunk, and streamed in three (each chunk its own rows; ids and row numbers go on)."""
    out = tmp_path_factory.mktemp("drill")
    generate(out, persons=PERSONS, seed=3, **({"chunk": 110} if request.param == "chunked" else {}))
    return out


def _key(drill: Path, name: str) -> list[dict]:
    with open(drill / "answer_key" / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# --- simple readers, independent of fuite's ingest -------------------------------------------------------------

_TUPLE = re.compile(r"\((?:'(?:[^'\\]|\\.)*'|[^'()])*\)", re.S)
_INSERT = re.compile(r"INSERT INTO `(\w+)` VALUES (.*?);\n", re.S)
_SQL_STRING = re.compile(r"'((?:[^'\\]|\\.)*)'|(NULL)|([-\d.]+)")


def _sql_tuples(text: str) -> dict[str, list[list[str | None]]]:
    out: dict[str, list] = defaultdict(list)
    for table, values in _INSERT.findall(text):
        for tup in _TUPLE.findall(values):
            cells = []
            for quoted, null, number in _SQL_STRING.findall(tup[1:-1]):
                if null:
                    cells.append(None)
                elif number:
                    cells.append(number)
                else:
                    cells.append(re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m[1], m[1]), quoted))
            out[table].append(cells)
    return out


def _json_paths(obj: dict, prefix: str = "") -> list[str]:
    paths = []
    for k, v in obj.items():
        if isinstance(v, dict):
            paths += _json_paths(v, f"{prefix}{k}.")
        elif isinstance(v, list) and k == "prelevements":
            continue
        elif isinstance(v, list):
            paths.append(f"{prefix}{k}[]")
        else:
            paths.append(f"{prefix}{k}")
    return paths


def read_leak(drill: Path) -> dict[tuple[str, str], dict]:
    """Every table of every file: its header and its data rows (lists of cells, None/"" for empty)."""
    leak = drill / "leak"
    tables: dict[tuple[str, str], dict] = {}
    with open(leak / csv_french.PATH, encoding="cp1252", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    tables[(csv_french.PATH, "")] = {"header": rows[0], "rows": rows[1:]}
    lines = (leak / tsv_abbreviated.PATH).read_text("utf-8").splitlines()
    tables[(tsv_abbreviated.PATH, "")] = {"header": lines[0].split("\t"), "rows": [ln.split("\t") for ln in lines[1:]]}
    docs = [json.loads(ln) for ln in (leak / jsonl_nested.PATH).read_text("utf-8").splitlines()]
    full = next(d for d in docs if d["mutuelle"] is not None)
    tables[(jsonl_nested.PATH, "")] = {"header": _json_paths(full), "rows": docs}
    kids = [k for d in docs for k in d["prelevements"]]
    tables[(jsonl_nested.PATH, "prelevements")] = {"header": list(kids[0]), "rows": kids}
    sheet = CalamineWorkbook.from_path(str(leak / xlsx_titled.PATH)).get_sheet_by_name(xlsx_titled.SHEET).to_python()
    tables[(xlsx_titled.PATH, xlsx_titled.SHEET)] = {"header": sheet[3], "rows": sheet[4:]}
    sms = CalamineWorkbook.from_path(str(leak / xlsx_titled.PATH)).get_sheet_by_name(xlsx_titled.SMS_SHEET).to_python()
    tables[(xlsx_titled.PATH, xlsx_titled.SMS_SHEET)] = {"header": sms[0], "rows": sms[1:]}
    sql = (leak / mysql_dump.PATH).read_text("utf-8")
    for name, tuples in _sql_tuples(sql).items():
        create = re.search(rf"CREATE TABLE `{name}` \((.*?)\n\)", sql, re.S)[1]
        tables[(mysql_dump.PATH, name)] = {"header": re.findall(r"^  `(\w+)`", create, re.M), "rows": tuples}
    lines = (leak / pipe_latin1.PATH).read_bytes().decode("latin-1").splitlines()
    rows = [ln.split("|") for ln in lines]
    tables[(pipe_latin1.PATH, "")] = {"header": [f"#{k}" for k in range(len(rows[0]))], "rows": rows}
    with open(leak / "gist/data.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    tables[("gist/data.csv", "")] = {"header": rows[0], "rows": rows[1:]}
    tables.update(_pg_copy_tables(leak / pg_dump_lims.PATH))
    titled = (leak / csv_excel_titled.PATH).read_bytes().decode("cp1252").split("\r\n")[:-1]
    skip = len(csv_excel_titled.TITLE_ROWS)
    lines = titled[skip + 1:]
    tables[(csv_excel_titled.PATH, "")] = {
        "header": titled[skip].split(";"), "gaps": [i for i, line in enumerate(lines) if "\x00" in line],
        "rows": [next(csv.reader([line], delimiter=";")) for line in lines if "\x00" not in line]}
    tables[(jsonl_portal.PATH, "")] = _json_lines_with_gaps(leak / jsonl_portal.PATH)
    return tables


def _json_lines_with_gaps(path: Path) -> dict:
    """A JSON lines table of nested objects, as cells by dotted path; a line too deep for ``json`` is a gap."""
    docs, gaps = [], []
    for i, line in enumerate(path.read_text("utf-8").splitlines()):
        try:
            docs.append(json.loads(line))
        except RecursionError:
            gaps.append(i)
    header = _json_paths(docs[0])

    def cell(doc: dict, dotted: str):
        for key in dotted.split("."):
            doc = doc[key]
        return doc

    return {"header": header, "rows": [[cell(d, h) for h in header] for d in docs], "gaps": gaps}


_COPY = re.compile(r"^COPY public\.(\w+) \(([^)]*)\) FROM stdin;\n(.*?)^\\\.$", re.M | re.S)
_COPY_ESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def _pg_copy_tables(path: Path) -> dict[tuple[str, str], dict]:
    """The COPY blocks of a pg_dump: tab-separated lines, ``\\N`` null, backslash escapes."""
    out = {}
    for table, names, body in _COPY.findall(path.read_text("utf-8")):
        rows = [[None if c == "\\N" else re.sub(r"\\(.)", lambda m: _COPY_ESCAPES[m[1]], c) for c in line.split("\t")]
                for line in body.splitlines()]
        out[(pg_dump_lims.PATH, table)] = {"header": names.split(", "), "rows": rows}
    return out


# --- tests -----------------------------------------------------------------------------------------------------

def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, persons=120, seed=7)
    generate(b, persons=120, seed=7)
    generate(c, persons=120, seed=8)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert len(files) == len(FILES) + 5   # the answer key: columns, records, persons, quarantine, controllers
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    assert (a / "leak" / csv_french.PATH).read_bytes() != (c / "leak" / csv_french.PATH).read_bytes()


def test_same_bytes_across_processes_with_other_hash_seeds(tmp_path):
    import hashlib
    import os
    import subprocess
    import sys

    digests = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        code = f"from pathlib import Path; from fuite.synth import generate; generate(Path({str(out)!r}), 90, 5)"
        subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONHASHSEED": hash_seed})
        digests.append({p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in out.rglob("*") if p.is_file()})
    assert len(digests[0]) == len(FILES) + 5 and digests[0] == digests[1]


def test_seven_files_in_seven_locations(drill):
    files = [p.relative_to(drill / "leak").as_posix() for p in (drill / "leak").rglob("*") if p.is_file()]
    assert sorted(files) == sorted(m.PATH for m in FILES)
    assert len({f.split("/")[0] for f in files}) == len(FILES)


def test_every_data_row_has_exactly_one_record_line(drill):
    tables = read_leak(drill)
    records = _key(drill, "records.csv")
    by_table = defaultdict(list)
    for r in records:
        by_table[(r["file"], r["table"])].append(int(r["row"]))
    assert set(by_table) == set(tables)
    for key, table in tables.items():
        gaps = table.get("gaps", [])   # lines broken on purpose (quarantine.csv) take a row index
        assert sorted(by_table[key]) == [i for i in range(len(table["rows"]) + len(gaps)) if i not in gaps], key
        assert all(len(row) == len(table["header"]) for row in table["rows"] if isinstance(row, list)), key


def test_columns_match_headers_and_taxonomy(drill):
    tables = read_leak(drill)
    columns = _key(drill, "columns.csv")
    listed = defaultdict(list)
    for c in columns:
        assert c["category"] in CATEGORY_IDS
        listed[(c["file"], c["table"])].append(c["column"])
    for key, table in tables.items():
        assert listed[key] == table["header"], key
    used = {c["category"] for c in columns}
    expected = set(CATEGORY_IDS) - {"credential"}
    assert expected <= used


def test_persons_truth_is_valid(drill):
    persons = _key(drill, "persons.csv")
    assert len(persons) == PERSONS
    corsica = 0
    for p in persons:
        nir = p["nir"]
        assert stdnir.is_valid(nir)
        assert nir[0] == ("1" if p["sex"] == "M" else "2")
        assert nir[1:3] == p["birth_date"][2:4] and nir[3:5] == p["birth_date"][5:7]
        corsica += nir[5:7] in ("2A", "2B")
        if p["phone"]:
            parsed = phonenumbers.parse(p["phone"], None)
            assert phonenumbers.is_valid_number(parsed)
            assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == p["phone"]
        if p["email"]:
            assert p["email"] == p["email"].lower() and "@" in p["email"]
        conditions = [c for c in p["conditions"].split(";") if c]
        assert set(conditions) <= set(SPECIAL_CONDITIONS)
        assert (p["hiv"] == "1") == ("hiv" in conditions)
        if conditions:
            assert p["health"] == "1"
        assert set(p["categories"].split(";")) <= set(PERSONAL_IDS)
    assert len({p["nir"] for p in persons}) == PERSONS
    assert sum(p["hiv"] == "1" for p in persons) >= 1


def test_corsica_nirs_validate_with_stdnum():
    from fuite.synth.people import nir_keys
    for body in ("1850519123456", "2790218045012"):  # 2A→19, 2B→18 in the body used for the key
        for dept, mapped in (("2A", "19"), ("2B", "18")):
            text = body[:5] + dept + body[7:]
            key = int(nir_keys(__import__("numpy").array([int(body[:5] + mapped + body[7:])]))[0])
            assert stdnir.is_valid(f"{text}{key:02d}")


def test_rows_point_at_the_right_person(drill):
    """Cells as written agree with persons.csv for the person the answer key names."""
    tables = read_leak(drill)
    persons = {p["person_id"]: p for p in _key(drill, "persons.csv")}
    records = defaultdict(dict)
    insured_written = defaultdict(dict)
    for r in _key(drill, "records.csv"):
        records[(r["file"], r["table"])][int(r["row"])] = r["person_id"]
        insured_written[(r["file"], r["table"])][int(r["row"])] = "insured_nir_written" in r["realities"]

    def expected_nir(key, i):
        person = persons[records[key][i]]
        return persons[person["insured_person"]]["nir"] if insured_written[key][i] else person["nir"]

    csv_rows = tables[(csv_french.PATH, "")]
    nir_col = csv_rows["header"].index("N° Sécurité Sociale")
    checked = 0
    for i, row in enumerate(csv_rows["rows"]):
        if row[nir_col]:
            assert row[nir_col].replace(" ", "") == expected_nir((csv_french.PATH, ""), i)
            checked += 1
    tsv = tables[(tsv_abbreviated.PATH, "")]
    for i, row in enumerate(tsv["rows"]):
        if row[5]:
            assert row[5] + row[6] == expected_nir((tsv_abbreviated.PATH, ""), i)
            assert (row[7] == "01") == (persons[records[(tsv_abbreviated.PATH, "")][i]]["insured_person"] == "")
    sql = tables[(mysql_dump.PATH, "patients")]
    ids = {}
    for i, row in enumerate(sql["rows"]):
        pid = records[(mysql_dump.PATH, "patients")][i]
        ids[row[0]] = pid
        if row[11]:
            assert row[11] == persons[pid]["email"]
        assert (row[6] == "ASSURE") == (persons[pid]["insured_person"] == "")
    for i, row in enumerate(tables[(mysql_dump.PATH, "analyses")]["rows"]):
        assert ids[row[1]] == records[(mysql_dump.PATH, "analyses")][i]
    assert checked > 50


_HIV_MARKERS = re.compile(r"VIH\+|CV VIH|Charge virale VIH|CD4|PrEP|\bARV\b|trithérapie|Séropositif|Infection VIH|"
                          r"VIH-1|ATCD VIH|Biktarvy|Triumeq|Genvoya|Dovato|Odefsey|Juluca|Symtuza|Tivicay|"
                          r"Stribild|Truvada|ténofovir/emtricitabine|emtricitabine/ténofovir|"
                          r"séropo|CV indétectable|TDF/FTC|Norvir|Isentress")


def test_hiv_flag_follows_the_text(drill):
    tables = read_leak(drill)
    flags = defaultdict(dict)
    for r in _key(drill, "records.csv"):
        flags[(r["file"], r["table"])][int(r["row"])] = (r["hiv"] == "1", r["health"] == "1")
    hiv_rows = 0
    for key in [(tsv_abbreviated.PATH, ""), (csv_french.PATH, ""), (pipe_latin1.PATH, "")]:
        for i, row in enumerate(tables[key]["rows"]):
            text = " ".join(c for c in row if c)
            for phrase in (*COMMENTS["third_party"], *COMMENTS["hiv_neg"]):   # about someone else, or not affirmed
                text = text.replace(phrase, "")
            hiv, _ = flags[key][i]
            assert hiv == bool(_HIV_MARKERS.search(text)), (key, i)
            hiv_rows += hiv
    assert hiv_rows >= 1
    for i, row in enumerate(tables[(tsv_abbreviated.PATH, "")]["rows"]):
        health = any(row[k] for k in (14, 15, 21, 22, 23))  # GRP, RH, DT_PREL, TTT, OBS (after RANG)
        assert flags[(tsv_abbreviated.PATH, "")][i][1] == health


def test_negative_hiv_tests_are_health_not_hiv(drill):
    tables = read_leak(drill)
    flags = {int(r["row"]): r for r in _key(drill, "records.csv")
             if r["file"] == mysql_dump.PATH and r["table"] == "analyses"}
    negatives = [i for i, row in enumerate(tables[(mysql_dump.PATH, "analyses")]["rows"])
                 if row[6] in ("Sérologie VIH 1/2", "Dépistage VIH", "Sérologie VIH") and not row[8]]
    assert negatives
    for i in negatives:
        assert flags[i]["hiv"] == "0" and flags[i]["health"] == "1"


def test_distractor_order_numbers_fail_the_nir_key(drill):
    tables = read_leak(drill)
    csv_rows = tables[(csv_french.PATH, "")]
    col = csv_rows["header"].index("N° commande")
    orders = [row[col] for row in csv_rows["rows"] if row[col]]
    orders += [row[9] for row in tables[(mysql_dump.PATH, "analyses")]["rows"] if row[9]]
    assert len(orders) > 100
    assert all(len(o) == 15 and o.isdigit() and not stdnir.is_valid(o) for o in orders)


def test_every_nir_cell_validates(drill):
    tables = read_leak(drill)
    columns = _key(drill, "columns.csv")
    checked = 0
    for c in columns:
        key = (c["file"], c["table"])
        if c["category"] != "nir" or c["file"] in (tsv_abbreviated.PATH, jsonl_nested.PATH):
            continue
        idx = tables[key]["header"].index(c["column"])
        for row in tables[key]["rows"]:
            if row[idx]:
                assert stdnir.is_valid(str(row[idx]).replace(" ", ""))
                checked += 1
    assert checked > 100


def test_every_phone_cell_is_a_valid_french_number(drill):
    tables = read_leak(drill)
    checked = 0
    for c in _key(drill, "columns.csv"):
        key = (c["file"], c["table"])
        if c["category"] != "phone" or c["file"] == jsonl_nested.PATH:
            continue
        idx = tables[key]["header"].index(c["column"])
        for row in tables[key]["rows"]:
            if row[idx]:
                text = row[idx] if not row[idx].startswith("33") else "+" + row[idx]
                assert phonenumbers.is_valid_number(phonenumbers.parse(text, "FR"))
                checked += 1
    for doc in tables[(jsonl_nested.PATH, "")]["rows"]:
        for text in doc["coordonnees"]["tel"]:
            assert phonenumbers.is_valid_number(phonenumbers.parse(text, "FR"))
            checked += 1
    assert checked > 500


def test_encodings_are_as_documented(drill):
    leak = drill / "leak"
    raw = (leak / csv_french.PATH).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert b"\r\n" in raw
    with pytest.raises(UnicodeDecodeError):
        (leak / pipe_latin1.PATH).read_bytes().decode("utf-8")


def test_json_arrays_and_full_address(drill):
    docs = [json.loads(ln) for ln in (drill / "leak" / jsonl_nested.PATH).read_text("utf-8").splitlines()]
    assert any(len(d["coordonnees"]["tel"]) == 2 for d in docs)
    assert all(isinstance(d["prelevements"], list) and d["prelevements"] for d in docs)
    assert any(re.search(r", \d{5} ", d["coordonnees"]["adresse"] or "") for d in docs)


def test_third_person_names_in_comments(drill):
    leak = drill / "leak"
    text = "".join([(leak / mysql_dump.PATH).read_text("utf-8"), (leak / csv_french.PATH).read_text("cp1252"),
                    (leak / pipe_latin1.PATH).read_text("latin-1")])
    assert re.search(r"vu avec Mme |appel de M\. |transmis au Dr |accompagné par M\. |prévenir sa fille", text)
    sql = (leak / mysql_dump.PATH).read_text("utf-8")
    assert "\\'" in sql


def test_refuses_small_or_non_empty_out(tmp_path):
    (tmp_path / "x").write_text("keep")
    with pytest.raises(UsageError):
        generate(tmp_path, persons=100)
    with pytest.raises(UsageError):
        generate(tmp_path / "new", persons=3)
    with pytest.raises(UsageError):
        generate(tmp_path / "new", persons=100, seed=-1)
    with pytest.raises(UsageError):
        generate(tmp_path / "x", persons=100)  # a file, not a folder
    generate(tmp_path, persons=60, force=True)
    assert (tmp_path / "x").read_text() == "keep"
    first = (tmp_path / "answer_key" / "records.csv").read_bytes()
    generate(tmp_path, persons=60, seed=1, force=True)  # --force replaces the previous drill
    assert (tmp_path / "answer_key" / "records.csv").read_bytes() != first


def _synth_app():
    import typer

    from fuite.synth.cli import register

    app = typer.Typer()
    register(app)

    @app.command()
    def _other() -> None:  # a second command keeps "synth" as a sub-command, as in fuite's app
        pass

    return app


def test_cli_refuses_non_empty_out_with_a_one_line_error(tmp_path):
    (tmp_path / "x").write_text("keep")
    with pytest.raises(UsageError) as err:
        _synth_app()(["synth", "--out", str(tmp_path), "--persons", "50"], standalone_mode=False)
    assert "\n" not in str(err.value) and "not empty" in str(err.value)
    assert err.value.exit_code == 2


def test_fuite_cli_prints_exactly_one_line_on_refusal(tmp_path, monkeypatch, capsys):
    from fuite.cli import main

    (tmp_path / "x").write_text("keep")
    monkeypatch.setattr(sys, "argv", ["fuite", "synth", "--out", str(tmp_path), "--persons", "50"])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.strip().splitlines() == ["error: --out is not empty (use --force to replace a previous drill)"]
    assert not (tmp_path / "leak").exists()


def test_cli_writes_a_drill(tmp_path):
    from typer.testing import CliRunner

    res = CliRunner().invoke(_synth_app(), ["synth", "--out", str(tmp_path / "d"), "--persons", "40", "--seed", "1"])
    assert res.exit_code == 0, res.output
    assert "40 persons" in res.output
    assert (tmp_path / "d" / "answer_key" / "persons.csv").exists()


def test_summary_counts_rows(tmp_path):
    summary = generate(tmp_path / "d", persons=80, seed=2)
    assert summary["persons"] == 80
    assert summary["rows"] == sum(sum(f["tables"].values()) for f in summary["files"].values())
    assert len(summary["files"]) == len(FILES)
    per_person = Counter(r["person_id"] for r in _key(tmp_path / "d", "records.csv"))
    assert len(per_person) == 80
