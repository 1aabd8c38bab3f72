"""The SQL fast path (RE2 check + Arrow CSV) reads exactly what the exact parser reads, quarantine included."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_ingest_support import scan
from fuite.ingest.sql import dump as sqldump, fast as sqlfast, parse as sqlparse, split as sqlsplit
from fuite.ingest.sql.fast import csv_lines, plain_bodies

FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _both(tmp_path, monkeypatch, name: str, text: str):
    """The scan with the fast path, and the scan with only the exact parser."""
    (tmp_path / name).write_text(text, encoding="utf-8", newline="")
    with monkeypatch.context() as m:
        m.setattr(sqldump, "SMALL_GROUP", 0)   # small inputs through Arrow too
        fast = scan(tmp_path / name)
    with monkeypatch.context() as m:
        m.setattr(sqlsplit, "FAST_RUN", 0)
        exact = scan(tmp_path / name)
    return fast, exact


def _same(fast, exact):
    assert fast.tables == exact.tables
    assert [(q.table, q.location, q.reason, q.raw) for q in fast.quarantined] == \
        [(q.table, q.location, q.reason, q.raw) for q in exact.quarantined]
    assert fast.problems == exact.problems


@pytest.mark.parametrize(("body", "mysql", "style"), [
    ("(1,'a',NULL),(2,'b''c',-3.5e2);", True, "compact"),
    ("(1,'a\\'b'),(2,'c\\\\');", True, "compact"),
    ("(1,'a\\'b');", False, ""),            # standard SQL: the backslash is a character, the string ends early
    ("(1, 'a, b'), (2, NULL);", True, "spaced"),   # pg_dump --inserts
    ("(1,  'a');", True, ""),                # other spacing: left to the exact parser
    ("(1, 'a',2);", True, ""),
    ("(1,_binary 'a');", True, ""),
    ("(1,'a'::text);", False, ""),
    ("(1,TRUE);", True, ""),
    ("(1,'a');x", True, ""),
    ("(1);", True, ""),                      # one value: left to the exact parser
    ("(1,'a'),(2,'b';", True, ""),
])
def test_grammar(body, mysql, style):
    assert plain_bodies([body], mysql) == [style]


def test_csv_lines_turn_tuples_into_lines():
    assert csv_lines("(1,'a\\'b'),(2,'x')", True) == ("1,'a''b'\n2,'x'", 2)
    assert csv_lines("(1, 'a'), (2, 'x')", False, spaced=True, width=2) == ("1,'a'\n2,'x'", 2)
    assert csv_lines("(1, 'a, b'), (2, 'x')", False, spaced=True, width=2) == ("1,'a, b'\n2,'x'", 2)
    assert csv_lines("(1, 'a, 1'), (2, 'x')", False, spaced=True, width=2) is None   # could be a separator


MYSQL = """-- MySQL dump 10.13
CREATE TABLE `t` (`id` int, `a` text, `b` text);
INSERT INTO `t` VALUES (1,'x),(y','NULL');
INSERT INTO `t` VALUES (2,'',NULL),(3,'a\\\\nb\\'c\\"','\\0\\Z\\%\\_\\q'),(11,'NULL','');
INSERT INTO `t` VALUES (4,'ok','ok'),(5,'only two');
INSERT INTO `t` (`b`, `id`) VALUES ('listed',6),('again',7);\r
INSERT INTO `t` VALUES (8,'\\'),(9,'x','y');
INSERT INTO `t` VALUES (10,'Zoé','fin');
CREATE TABLE `one` (`v` text);
INSERT INTO `one` VALUES ('a),(b'),('c');
"""
SQLITE = """CREATE TABLE t(id INTEGER, a TEXT, b TEXT);
INSERT INTO t VALUES(1,'a''b','c\\d');
INSERT INTO t VALUES(2,'x),(y',NULL);
INSERT INTO t VALUES(3,'short');
INSERT INTO t VALUES(4,replace('a\\nb','\\n',char(10)),'z');
"""


@pytest.mark.parametrize(("name", "text"), [("m.sql", MYSQL), ("s.sql", SQLITE)])
def test_tricky_dumps_read_the_same_both_ways(tmp_path, monkeypatch, name, text):
    fast, exact = _both(tmp_path, monkeypatch, name, text)
    _same(fast, exact)
    assert fast.quarantined   # the short tuples are set aside, with their place


def test_tricky_values(tmp_path, monkeypatch):
    read = []
    original = sqlfast.ValuesReader.columns

    def spy(self, statements, names):
        columns = original(self, statements, names)
        read.append(columns is not None)
        return columns

    monkeypatch.setattr(sqlfast.ValuesReader, "columns", spy)
    fast, _ = _both(tmp_path, monkeypatch, "m.sql", MYSQL)
    assert sum(read) >= 3   # the plain statements went through Arrow
    rows = {r["id"]: r for r in fast.rows("m.sql", "t")}
    assert (rows["1"]["a"], rows["1"]["b"]) == ("x),(y", "NULL")
    assert (rows["2"]["a"], rows["2"]["b"]) == (None, None)
    assert (rows["3"]["a"], rows["3"]["b"]) == ('a\\nb\'c"', "\0\x1a\\%\\_q")
    assert (rows["6"]["a"], rows["6"]["b"]) == (None, "listed")
    assert rows["10"]["a"] == "Zoé"
    assert (rows["11"]["a"], rows["11"]["b"]) == ("NULL", None)
    assert [r["v"] for r in fast.rows("m.sql", "one")] == ["a),(b", "c"]


sql_text = st.text(alphabet="abcé XYZ09-'\\\"(),;%_\n\t", max_size=12)
values = st.one_of(st.none(), st.integers(-10**6, 10**6), sql_text,
                   st.sampled_from(["NULL", "),(", "", "'", ", ", "), ("]))


def _literal(v, mysql: bool) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    if mysql:
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"
    return "'" + v.replace("'", "''") + "'"


@FUZZ
@given(rows=st.lists(st.lists(values, min_size=2, max_size=4), min_size=1, max_size=12),
       mysql=st.booleans(), per_statement=st.integers(1, 5), listed=st.booleans(), spaced=st.booleans())
def test_fast_and_exact_agree(tmp_path_factory, monkeypatch, rows, mysql, per_statement, listed, spaced):
    q = "`" if mysql else '"'
    lines = ["-- MySQL dump 10.13" if mysql else "-- dump",
             f"CREATE TABLE {q}t{q} ({q}a{q} text, {q}b{q} text, {q}c{q} text);"]
    head = f"INSERT INTO {q}t{q} ({q}c{q},{q}a{q}) VALUES " if listed else f"INSERT INTO {q}t{q} VALUES "
    for i in range(0, len(rows), per_statement):
        sep = ", " if spaced else ","   # pg_dump --inserts, or mysqldump and sqlite
        tuples = sep.join("(" + sep.join(_literal(v, mysql) for v in r) + ")" for r in rows[i:i + per_statement])
        lines.append(head + tuples + ";")
    fast, exact = _both(tmp_path_factory.mktemp("sql"), monkeypatch, "d.sql", "\n".join(lines) + "\n")
    _same(fast, exact)


POSTGRES = ("--\n-- PostgreSQL database dump\n--\n"
            "CREATE TABLE public.t (id integer, a text, b text);\n"
            "COPY public.t (id, b, a) FROM stdin;\n"
            "1\tx\\ty\t\\N\n2\t\t\\\\back\n3\tonly two\n4\t\\101\\x42\\n\tz\r\n5\tzoé\tfin\n\\.\n"
            "COPY public.t (id, a, b) FROM stdin;\r\n6\ta\tb\r\n\\.\r\n"
            "INSERT INTO public.t VALUES (7, 'a', 'b');\n")


def test_copy_blocks_read_the_same_both_ways(tmp_path, monkeypatch):
    fast, exact = _both(tmp_path, monkeypatch, "pg.sql", POSTGRES)
    _same(fast, exact)
    rows = {r["id"]: (r["a"], r["b"]) for r in fast.rows("pg.sql", "t")}
    assert rows == {"1": (None, "x\ty"), "2": ("\\back", None), "4": ("z", "AB\n"), "5": ("fin", "zoé"),
                    "6": ("a", "b"), "7": ("a", "b")}
    assert [(q.location, q.reason) for q in fast.quarantined] == [("line 8", "line 8: 2 values for 3 listed columns")]


copy_text = st.text(alphabet="abé \\\tN.\r\n0", max_size=8)


@FUZZ
@given(rows=st.lists(st.lists(st.one_of(st.none(), copy_text), min_size=1, max_size=3), min_size=1, max_size=10),
       crlf=st.booleans())
def test_copy_fast_and_exact_agree(tmp_path_factory, monkeypatch, rows, crlf):
    def field(v):
        if v is None:
            return "\\N"
        return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

    end = "\r\n" if crlf else "\n"
    text = ("-- PostgreSQL database dump" + end + "CREATE TABLE t (a text, b text, c text);" + end
            + "COPY t (a, b, c) FROM stdin;" + end
            + "".join("\t".join(field(v) for v in r) + end for r in rows) + "\\." + end)
    fast, exact = _both(tmp_path_factory.mktemp("pg"), monkeypatch, "d.sql", text)
    _same(fast, exact)


def test_each_line_is_checked_once_when_fast_and_exact_statements_alternate(tmp_path, monkeypatch):
    lines = ["CREATE TABLE t (a text, b text);"]
    for i in range(3000):   # every other statement has two spaces: the exact parser's
        lines.append(f"INSERT INTO t VALUES ({i},'x');" if i % 2 else f"INSERT INTO t VALUES ({i},  'x');")
        if i % 7 == 0:
            lines.append("INSERT INTO t VALUES (-1,\n'two lines');")
    (tmp_path / "d.sql").write_text("\n".join(lines) + "\n")
    checked = []
    original = sqlfast.plain_bodies

    def spy(bodies, mysql):
        checked.append(len(bodies))
        return original(bodies, mysql)

    heads = []
    original_head = sqlparse.parse_insert_head

    def head_spy(text):
        heads.append(1)
        return original_head(text)

    monkeypatch.setattr(sqlfast, "plain_bodies", spy)
    monkeypatch.setattr(sqlparse, "parse_insert_head", head_spy)   # what the look-ahead calls for each line
    s = scan(tmp_path / "d.sql")
    assert len(s.rows("d.sql", "t")) == 3000 + 429
    assert sum(checked) <= 2 * 3000   # one look per line and pass, not one per statement and line
    assert len(heads) <= 2 * 3429
