"""The fast path for the VALUES of well-formed one-line INSERT statements (what mysqldump and sqlite write).

Two C-level passes replace the per-value Python parser:

1. ``plain_bodies`` checks whole statements at once against the strict grammar of
   a VALUES list (quoted strings, ``NULL``, numbers, no spaces) with RE2
   (``pyarrow.compute.match_substring_regex``, linear time, no backtracking);
2. ``ValuesReader`` turns the tuples of checked statements into CSV lines
   (``),(`` becomes a newline; MySQL's ``\\'`` becomes ``''``) and lets Arrow's CSV
   reader cut them into string columns. Only values holding a backslash go
   through Python (MySQL escapes).

Anything the fast path cannot vouch for (a row count or width that does not add
up, bytes that are not UTF-8, ``_binary``, casts, calls, ``TRUE``) is handed back
to the exact parser in ``sql.parse``, which also writes the quarantine reasons.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_STRING = {True: r"'(?:[^'\\]|\\.|'')*'", False: r"'(?:[^']|'')*'"}


def _grammar(mysql: bool, sep: str) -> str:
    value = rf"(?:{_STRING[mysql]}|NULL|{_NUMBER})"
    row = rf"\((?:{value}{sep})+{value}\)"   # two values at least (see ValuesReader.add)
    return rf"^{row}(?:{sep}{row})*\s*;\s*$"


#: ``(mysql, style)``: values separated by ``,`` (mysqldump, sqlite) or by ``, `` (pg_dump --inserts).
GRAMMAR = {(mysql, style): _grammar(mysql, sep) for mysql in (True, False)
           for style, sep in (("compact", ","), ("spaced", ", "))}
_MYSQL_ESCAPE = re.compile(r"\\(.)", re.S)
_SPACED_SEPARATOR = re.compile(r", (?=['N\d+\-.])")
_MYSQL_MAP = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "%": "\\%", "_": "\\_"}
BATCH_CHARS = 8 << 20
BATCH_ROWS = 65_536


def plain_bodies(bodies: list[str], mysql: bool) -> list[str]:
    """For each VALUES text (from the first ``(`` to the ``;``): the strict grammar it follows, or ""."""
    if not bodies:
        return []
    try:
        array = pa.array(bodies, pa.string())
    except (UnicodeEncodeError, pa.ArrowException):   # undecodable bytes somewhere: check one by one
        return [plain_bodies([b], mysql)[0] if _encodable(b) else "" for b in bodies]
    out = ["compact" if ok else "" for ok in pc.match_substring_regex(array, GRAMMAR[(mysql, "compact")]).to_pylist()]
    rest = [i for i, style in enumerate(out) if not style]
    if rest:
        spaced = pc.match_substring_regex(array.take(pa.array(rest, pa.int64())), GRAMMAR[(mysql, "spaced")])
        for i, ok in zip(rest, spaced.to_pylist()):
            out[i] = "spaced" if ok else ""
    return out


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _keep_escape(m: re.Match) -> str:
    return "''" if m.group(1) == "'" else m.group(0)


def _unescape(m: re.Match) -> str:
    c = m.group(1)
    return _MYSQL_MAP.get(c, c)


def csv_lines(body: str, mysql: bool, spaced: bool = False, width: int = 0) -> tuple[str, int] | None:
    """The tuples of a checked VALUES text as CSV lines, and how many tuples there should be.

    With ``, `` separators (``spaced``), the space goes from every ``, `` that comes
    before a value (a quote, ``NULL``, a number); None unless that makes exactly the
    separators of ``width``-value tuples (so that none was inside a string).
    """
    inner = body[1: body.rindex(")")]
    if spaced:
        rows = inner.count("), (") + 1
        inner, separators = _SPACED_SEPARATOR.subn(",", inner.replace("), (", "),("))
        if separators != rows * (width - 1):
            return None
    if mysql and "\\" in inner:
        inner = _MYSQL_ESCAPE.sub(_keep_escape, inner)
    return inner.replace("),(", "\n"), inner.count("),(") + 1


@dataclass
class CheckedInsert:
    """One checked INSERT: its text, where it starts, its column list and where its tuples start."""

    text: str
    line: int
    names: list[str] | None
    offset: int
    spaced: bool = False
    lines: str = ""
    rows: int = 0


@dataclass
class Group:
    """Consecutive checked statements of one table with the same column list, read by Arrow in one call."""

    names: tuple[str, ...] | None
    statements: list[CheckedInsert] = field(default_factory=list)
    rows: int = 0
    chars: int = 0


class ValuesReader:
    """Arrow columns from the checked VALUES of one table's statements, a group of statements at a time.

    ``add`` queues a statement (False: not for the fast path); ``full`` says a group
    is worth reading; ``take`` hands it over; ``columns`` reads it into the
    table's ``width`` string columns, or None when it does not add up.
    """

    def __init__(self, columns: list[str], mysql: bool):
        self.width, self.mysql = len(columns), mysql
        self.position = {name: i for i, name in enumerate(columns)}
        self.group: Group | None = None

    def add(self, st: CheckedInsert) -> bool:
        width = len(st.names) if st.names is not None else self.width
        if width < 2:
            return False   # one column: a ``),(`` inside a string could pass unnoticed
        lines = csv_lines(st.text[st.offset:], self.mysql, st.spaced, width)
        if lines is None:
            return False
        st.lines, st.rows = lines
        key = tuple(st.names) if st.names is not None else None
        if self.group is None or self.group.names != key:
            if self.group is not None:
                return False
            self.group = Group(key)
        g = self.group
        g.statements.append(st)
        g.rows += st.rows
        g.chars += len(st.lines)
        return True

    def accepts(self, names: list[str] | None) -> bool:
        """Can a statement with this column list join the queued group?"""
        return self.group is None or self.group.names == (tuple(names) if names is not None else None)

    def full(self) -> bool:
        return self.group is not None and (self.group.chars >= BATCH_CHARS or self.group.rows >= BATCH_ROWS)

    def take(self) -> Group | None:
        g, self.group = self.group, None
        return g

    def columns(self, statements: list[CheckedInsert], names: tuple[str, ...] | None) -> list[pa.Array] | None:
        expected = len(names) if names is not None else self.width
        lines = [st.lines for st in statements]
        quoted_null = any("'NULL'" in text for text in lines)
        try:
            table = _read_csv("\n".join(lines), expected, quoted_null)
        except (pa.ArrowException, UnicodeEncodeError):
            return None
        if table.num_rows != sum(st.rows for st in statements) or table.num_columns != expected:
            return None
        columns = [table.column(i).combine_chunks() for i in range(expected)]
        if self.mysql and any("\\" in text for text in lines):
            columns = [_unescape_column(c) for c in columns]
        if quoted_null:
            columns = [pc.if_else(pc.equal(c, ""), pa.scalar(None, pa.string()), c) for c in columns]
        return self.placed(columns, names)

    def placed(self, columns: list[pa.Array], names: tuple[str, ...] | list[str] | None) -> list[pa.Array]:
        """Columns read in the order of a column list, put in the table's places (absent ones null)."""
        if names is None:
            return columns
        placed: list[pa.Array | None] = [None] * self.width
        for name, column in zip(names, columns):
            j = self.position.get(name)
            if j is not None:
                placed[j] = column
        n = len(columns[0]) if columns else 0
        return [c if c is not None else pa.nulls(n, pa.string()) for c in placed]


def copy_columns(text: str, width: int) -> list[pa.Array] | None:
    """The columns of a run of ``COPY … FROM stdin`` data lines, or None when Arrow cannot vouch for them."""
    from fuite.ingest.sql.parse import copy_unescape

    try:
        table = pcsv.read_csv(
            pa.py_buffer(text.encode("utf-8")),
            read_options=pcsv.ReadOptions(autogenerate_column_names=True, block_size=2 << 20),
            parse_options=pcsv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False,
                                            newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(column_types={f"f{i}": pa.string() for i in range(width)},
                                                null_values=["\\N", ""], strings_can_be_null=True))
    except (pa.ArrowException, UnicodeEncodeError):
        return None
    if table.num_rows != text.count("\n") or table.num_columns != width:
        return None
    columns = []
    for i in range(width):
        column = table.column(i).combine_chunks()
        mask = pc.match_substring(column, "\\")
        if pc.any(mask).as_py():
            values = column.to_pylist()
            for j in pc.indices_nonzero(mask).to_pylist():
                values[j] = copy_unescape(values[j])
            column = pa.array(values, pa.string())
        columns.append(column)
    return columns


def _read_csv(text: str, width: int, quoted_null: bool) -> pa.Table:
    data = text.encode("utf-8") + b"\n"
    return pcsv.read_csv(
        pa.py_buffer(data),
        read_options=pcsv.ReadOptions(autogenerate_column_names=True, block_size=2 << 20, use_threads=True),
        parse_options=pcsv.ParseOptions(delimiter=",", quote_char="'", double_quote=True, escape_char=False,
                                        newlines_in_values=False, ignore_empty_lines=False),
        convert_options=pcsv.ConvertOptions(
            column_types={f"f{i}": pa.string() for i in range(width)},
            null_values=["NULL"] if quoted_null else ["NULL", ""],
            strings_can_be_null=True, quoted_strings_can_be_null=not quoted_null))


def _unescape_column(column: pa.Array) -> pa.Array:
    mask = pc.match_substring(column, "\\")
    if not pc.any(mask).as_py():
        return column
    values = column.to_pylist()
    for i in pc.indices_nonzero(mask).to_pylist():
        values[i] = _MYSQL_ESCAPE.sub(_unescape, values[i]) or None
    return pa.array(values, pa.string())


def split_batches(columns: list[pa.Array], first_index: int, size: int = BATCH_ROWS) -> Iterator[tuple[int, list[pa.Array]]]:
    """Slices of at most ``size`` rows: ``(first row index, columns)``."""
    n = len(columns[0]) if columns else 0
    for start in range(0, n, size):
        yield first_index + start, [c.slice(start, size) for c in columns]
