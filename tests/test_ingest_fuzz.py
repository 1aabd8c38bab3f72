"""Property tests with a bounded budget: the delimited sniffer, the JSON flattener and the SQL dump parser."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuite.ingest import read_paths
from fuite.ingest.tabular.delimited import sniff_delimiter
from fuite.ingest.json.flat import explode, flatten, scalar_text

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT = "abcdeéèàçXYZ 0123456789-'.@/"


def _read(name: str, data: bytes):
    """Tables (columns, rows), quarantined and problems for one file written to a fresh folder."""
    quarantined, problems, tables = [], [], []
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / name).write_bytes(data)
        for t in read_paths([Path(d)], on_quarantine=quarantined.append, on_problem=problems.append):
            rows = []
            for batch in t.batches():
                assert batch.schema.field(0).name == "__row"
                assert batch.num_columns >= len(t.columns) + 1
                rows += [tuple(r.values()) for r in batch.to_pylist()]
            tables.append((t.table, t.columns, rows))
    return tables, quarantined, problems


# ------------------------------------------------------------------ delimited

cells = st.text(alphabet=TEXT + '"\n', max_size=12)


@FUZZ
@given(delimiter=st.sampled_from([",", ";", "\t", "|"]), width=st.integers(2, 6), data=st.data(),
       crlf=st.booleans())
def test_delimited_round_trip(delimiter, width, data, crlf):
    rows = data.draw(st.lists(st.lists(cells, min_size=width, max_size=width), min_size=1, max_size=15))
    rows = [r for r in rows if any(c.strip() for c in r)] or [["x"] * width]
    alphabet_cell = st.text(alphabet=TEXT + delimiter, max_size=8)
    rows += data.draw(st.lists(st.lists(alphabet_cell, min_size=width, max_size=width), max_size=3))
    rows = [r for r in rows if any(c.strip() for c in r)]
    header = [f"champ_{chr(97 + j)}" for j in range(width)]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(header)
    writer.writerows(rows)
    assert sniff_delimiter(buf.getvalue()) == (delimiter, width)
    tables, quarantined, problems = _read("t.csv", buf.getvalue().encode("utf-8"))
    assert not problems and not quarantined
    [(table, columns, got)] = tables
    assert columns == header
    assert got == [(i, *[c or None for c in r]) for i, r in enumerate(rows)]


@FUZZ
@given(data=st.binary(max_size=3000), name=st.sampled_from(["x.csv", "x.json", "x.sql", "x.xlsx", "x.zip", "x.gz"]))
def test_junk_never_raises(data, name):
    tables, quarantined, problems = _read(name, data)
    for q in quarantined:
        assert q.reason and q.location
    for p in problems:
        assert p.reason and "\n" not in p.reason


@FUZZ
@given(text=st.text(max_size=400))
def test_junk_text_never_raises(text):
    for name in ("t.csv", "t.json", "t.sql"):
        _read(name, text.encode("utf-8"))


# ------------------------------------------------------------------ JSON

keys = st.text(alphabet="abcdefgh_", min_size=1, max_size=5)
scalars = st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.text(alphabet=TEXT, max_size=10)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
                           max_leaves=25)
records = st.dictionaries(keys, json_values, min_size=1, max_size=5)


def _leaves(obj, prefix=""):
    for key, value in obj.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            yield from _leaves(value, path)
        elif not isinstance(value, list):
            yield path, value


def _objects_in_lists(obj) -> int:
    if isinstance(obj, dict):
        return sum(_objects_in_lists(v) for v in obj.values())
    if isinstance(obj, list):
        return sum(1 + _objects_in_lists(v) if isinstance(v, dict) else 0 for v in obj)
    return 0


@FUZZ
@given(record=records)
def test_json_flatten_keeps_every_leaf_and_child(record):
    cells, _ = flatten(record)
    for path, value in _leaves(record):
        assert cells[path] == scalar_text(value)
    rows = list(explode(record, {}))
    assert len(rows) == 1 + _objects_in_lists(record)
    for table, index, parent, parent_row, _ in rows[1:]:
        assert parent is not None and parent_row is not None and table.startswith(parent)


@FUZZ
@given(batch=st.lists(records, min_size=1, max_size=6), as_lines=st.booleans())
def test_json_file_rows_match_records(batch, as_lines):
    text = "\n".join(json.dumps(r) for r in batch) if as_lines else json.dumps(batch, indent=1)
    tables, quarantined, problems = _read("r.json" if not as_lines else "r.jsonl", text.encode("utf-8"))
    assert not quarantined and not problems
    if len(batch) == 1 and all(isinstance(v, list) and v and all(isinstance(i, dict) for i in v)
                               for v in batch[0].values()):
        # one object whose values are all arrays of objects: each key is a table (docs/ingest.md)
        assert {t[0] for t in tables} >= {str(k) for k in batch[0]}
        return
    main = next((t for t in tables if t[0] == ""), None)
    assert main is not None
    _, columns, rows = main
    assert [r[0] for r in rows] == list(range(len(batch)))
    for record, row in zip(batch, rows):
        values = dict(zip(columns, row[1:]))
        for path, value in _leaves(record):
            if path in values:
                assert values[path] == (scalar_text(value) or None)


# ------------------------------------------------------------------ SQL

sql_text = st.text(alphabet=TEXT + "\\';,()\n\t\"`%_", max_size=15)
sql_values = st.one_of(st.none(), st.integers(-10**9, 10**9), sql_text)


def _mysql_literal(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    escaped = (v.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t")
               .replace('"', '\\"'))
    return f"'{escaped}'"


def _std_literal(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    return "'" + v.replace("'", "''") + "'"


def _expected(v):
    if v is None or v == "":
        return None
    if isinstance(v, int):
        return str(v)
    return v.replace("\\%", "\\%")


@FUZZ
@given(rows=st.lists(st.lists(sql_values, min_size=3, max_size=3), min_size=1, max_size=8),
       dialect=st.sampled_from(["mysql", "postgres", "sqlite"]), per_statement=st.integers(1, 4))
def test_sql_dump_round_trip(rows, dialect, per_statement):
    literal = _mysql_literal if dialect == "mysql" else _std_literal
    q = "`" if dialect == "mysql" else '"'
    lines = ["-- MySQL dump 10.13" if dialect == "mysql" else "-- dump",
             f"CREATE TABLE {q}t{q} ({q}a{q} text, {q}b{q} text, {q}c{q} text);"]
    for i in range(0, len(rows), per_statement):
        tuples = ",".join("(" + ",".join(literal(v) for v in r) + ")" for r in rows[i:i + per_statement])
        lines.append(f"INSERT INTO {q}t{q} VALUES {tuples};")
    tables, quarantined, problems = _read("d.sql", ("\n".join(lines) + "\n").encode("utf-8"))
    assert not quarantined and not problems
    [(table, columns, got)] = tables
    assert (table, columns) == ("t", ["a", "b", "c"])
    expected = [(i, *[_expected(v) for v in r]) for i, r in enumerate(rows)]
    if dialect == "mysql":  # MySQL keeps the backslash of \% and \_
        expected = [(i, *[None if v is None else v for v in r[1:]]) for i, r in enumerate(expected)]
    assert got == expected
