"""Parse the statements of a SQL dump: CREATE TABLE, INSERT tuples, COPY data lines, ALTER TABLE foreign keys.

Two string dialects: MySQL (backslash escapes, ``_binary``, ``0x`` literals) and
standard SQL (PostgreSQL, SQLite: quotes doubled, ``E'…'``, ``::type`` casts).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from fuite.schema import Relation

_IDENT = r'(?:`(?:[^`]|``)+`|"(?:[^"]|"")+"|\[[^\]]+\]|[\w$]+)'
_QUALIFIED = rf"{_IDENT}(?:\s*\.\s*{_IDENT})*"
_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$)|/\*(?!!).*?\*/)*", re.S)
_CREATE = re.compile(rf"CREATE\s+(?:(?:GLOBAL\s+|LOCAL\s+)?(?:TEMPORARY|TEMP|UNLOGGED)\s+)?TABLE\s+"
                     rf"(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_QUALIFIED})\s*\(", re.I)
_INSERT = re.compile(rf"(?:INSERT|REPLACE)\s+(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE)\s+)*(?:INTO\s+)?"
                     rf"(?P<name>{_QUALIFIED})\s*(?:\((?P<cols>[^()]*)\)\s*)?VALUES\s*", re.I)
_COPY = re.compile(rf"COPY\s+(?P<name>{_QUALIFIED})\s*(?:\((?P<cols>[^()]*)\)\s*)?FROM\s+stdin", re.I)
_ALTER_FK = re.compile(rf"ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?(?P<name>{_QUALIFIED})\s+(?P<body>.*)",
                       re.I | re.S)
_FK = re.compile(rf"FOREIGN\s+KEY\s*(?:{_IDENT}\s*)?\((?P<cols>[^()]*)\)\s*REFERENCES\s+(?P<parent>{_QUALIFIED})"
                 rf"\s*(?:\((?P<pcols>[^()]*)\))?", re.I)
_INLINE_REF = re.compile(rf"\bREFERENCES\s+(?P<parent>{_QUALIFIED})\s*(?:\((?P<pcols>[^()]*)\))?", re.I)
_PK = re.compile(r"PRIMARY\s+KEY\s*(?:\w+\s*)?\((?P<cols>[^()]*)\)", re.I)
_NOT_COLUMN = re.compile(r"(?:CONSTRAINT|PRIMARY|FOREIGN|UNIQUE|KEY|INDEX|CHECK|FULLTEXT|SPATIAL|EXCLUDE|LIKE)\b", re.I)
_ESCAPED = re.compile("[\udc80-\udcff]")

_CAST = r"(?:\s*::\s*[A-Za-z_][\w .]*?(?:\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\[\])?)?"
_VALUE_MYSQL = re.compile(r"""\s*(?:
    (?P<s>'(?:[^'\\]++|\\.|'')*+')
  | _(?P<charset>binary|utf8mb4|utf8mb3|utf8|latin1)\s*(?P<b>'(?:[^'\\]++|\\.|'')*+')
  | (?P<x>[xX]'[0-9a-fA-F]*'|0x[0-9a-fA-F]+)
  | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<w>[A-Za-z_]\w*)(?![\w(])
)\s*(?P<sep>[,)])""", re.S | re.X)
_VALUE_STD = re.compile(r"""\s*(?:
    (?P<s>'(?:[^']++|'')*+')
  | [eE](?P<e>'(?:[^'\\]++|\\.|'')*+')
  | (?P<x>[xX]'[0-9a-fA-F]*')
  | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<w>[A-Za-z_]\w*)(?![\w(])
)""" + _CAST + r"""\s*(?P<sep>[,)])""", re.S | re.X)
_MYSQL_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "%": "\\%", "_": "\\_"}
_BACKSLASH = re.compile(r"\\(.)", re.S)
_MYSQL_TOKEN = re.compile(r"\\(.)|''", re.S)   # one pass: an escaped quote is not half of a doubled one
_SQLITE_REPLACE = re.compile(r"replace\(\s*(?P<inner>.*)\s*,\s*'(?P<find>(?:[^']|'')*)'\s*,\s*char\((?P<code>\d+)\)\s*\)$",
                             re.I | re.S)


def unquote(identifier: str) -> str:
    """``\\`a\\```, ``"a"``, ``[a]`` or ``schema.a`` → ``a`` (the last component, unquoted)."""
    parts = re.findall(_IDENT, identifier)
    last = parts[-1] if parts else identifier.strip()
    if last[:1] == "`":
        return last[1:-1].replace("``", "`")
    if last[:1] == '"':
        return last[1:-1].replace('""', '"')
    if last[:1] == "[":
        return last[1:-1]
    return last


def _names(cols: str | None) -> list[str] | None:
    if cols is None:
        return None
    return [unquote(c.strip()) for c in _split_top(cols) if c.strip()]


def _split_top(text: str) -> list[str]:
    """Split on commas outside parentheses and quotes."""
    parts, depth, current, quote = [], 0, [], ""
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def strip_leading(text: str) -> tuple[str, int]:
    """The statement without its leading comments, and how many lines they took."""
    end = _LEADING.match(text).end()
    return text[end:], text.count("\n", 0, end)


@dataclass
class CreateTable:
    name: str
    columns: list[str]
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[Relation] = field(default_factory=list)


def parse_create(text: str) -> CreateTable | None:
    m = _CREATE.match(text)
    if not m:
        return None
    body = text[m.end():]
    close = _matching_paren(body)
    body = body[:close] if close >= 0 else body
    table = CreateTable(unquote(m.group("name")), [])
    for item in _split_top(body):
        item = item.strip()
        if not item:
            continue
        if _NOT_COLUMN.match(item):
            pk = _PK.search(item)
            if pk and item.upper().lstrip().startswith(("PRIMARY", "CONSTRAINT")):
                table.primary_key = _names(pk.group("cols")) or []
            table.foreign_keys += _foreign_keys(item)
            continue
        column = re.match(_IDENT, item)
        if not column:
            continue
        name = unquote(column.group())
        table.columns.append(name)
        if re.search(r"\bPRIMARY\s+KEY\b", item, re.I):
            table.primary_key = [name]
        ref = _INLINE_REF.search(item)
        if ref:
            pcols = _names(ref.group("pcols")) or []
            table.foreign_keys.append(Relation(name, unquote(ref.group("parent")), pcols[0] if pcols else "", True))
    return table


def _matching_paren(text: str, start: int = 0, *, quotes: str = "'\"`", backslash: bool = False) -> int:
    """Index of the ``)`` closing a ``(`` just before ``start``, skipping quoted text; -1 when there is none."""
    depth, i, quote = 1, start, ""
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and backslash:
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in quotes:
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _foreign_keys(text: str) -> list[Relation]:
    out = []
    for fk in _FK.finditer(text):
        cols = _names(fk.group("cols")) or []
        pcols = _names(fk.group("pcols")) or []
        for k, col in enumerate(cols):
            out.append(Relation(col, unquote(fk.group("parent")), pcols[k] if k < len(pcols) else "", True))
    return out


def parse_alter_foreign_keys(text: str) -> tuple[str, list[Relation]] | None:
    m = _ALTER_FK.match(text)
    if not m:
        return None
    fks = _foreign_keys(m.group("body"))
    return (unquote(m.group("name")), fks) if fks else None


def parse_insert_head(text: str) -> tuple[str, list[str] | None, int] | None:
    """``(table, column list or None, offset of the first tuple)`` of an INSERT."""
    m = _INSERT.match(text)
    return (unquote(m.group("name")), _names(m.group("cols")), m.end()) if m else None


def parse_copy_head(text: str) -> tuple[str, list[str] | None] | None:
    m = _COPY.match(text)
    return (unquote(m.group("name")), _names(m.group("cols"))) if m else None


# ------------------------------------------------------------------ values


def _unescape_mysql(body: str) -> str:
    if "\\" not in body and "''" not in body:
        return body
    return _MYSQL_TOKEN.sub(lambda m: "'" if m.group(1) is None else _MYSQL_ESCAPES.get(m.group(1), m.group(1)),
                            body)


def _binary_text(text: str) -> str:
    raw = text.encode("utf-8", errors="surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + raw.hex()


def _hex_text(digits: str) -> str:
    raw = bytes.fromhex(digits if len(digits) % 2 == 0 else "0" + digits)
    try:
        text = raw.decode("utf-8")
        if text.isprintable():
            return text
    except UnicodeDecodeError:
        pass
    return "0x" + raw.hex()


def _value(m: re.Match, mysql: bool) -> str | None:
    text = m.group("s")
    if text is not None:
        body = text[1:-1]
        if mysql:
            return _unescape_mysql(body) or None
        return (body.replace("''", "'") if "''" in body else body) or None
    number = m.group("num")
    if number is not None:
        return number
    word = m.group("w")
    if word is not None:
        upper = word.upper()
        if upper == "NULL":
            return None
        return upper.lower() if upper in ("TRUE", "FALSE") else word
    g = m.groupdict()
    if g.get("b") is not None:
        text = _unescape_mysql(g["b"][1:-1])
        return (_binary_text(text) if g.get("charset") == "binary" else text) or None
    if g.get("e") is not None:
        return _unescape_mysql(g["e"][1:-1]) or None
    x = g.get("x")
    if x is not None:
        return _hex_text(x[2:] if x[:2] in ("0x", "0X") else x[2:-1])
    return None


@dataclass
class Tuple:
    """One parenthesised tuple of an INSERT: its values, or why it could not be read."""

    number: int          # 1-based within the statement
    offset: int          # character offset in the statement text
    values: list[str | None] | None
    error: str = ""


def iter_tuples(text: str, pos: int, mysql: bool) -> Iterator[Tuple]:
    """The tuples of ``VALUES (...), (...)`` starting at ``pos``; stops at the first one it cannot read."""
    value_re = _VALUE_MYSQL if mysql else _VALUE_STD
    n, number = len(text), 0
    check_bytes = _ESCAPED.search(text) is not None
    while True:
        pos = _skip_space(text, pos)
        if pos >= n or text[pos] == ";" or text.startswith(("ON DUPLICATE", "on duplicate", "RETURNING"), pos):
            return
        number += 1
        start = pos
        if text[pos] != "(":
            yield Tuple(number, start, None, "expected a parenthesised tuple")
            return
        pos, values = _skip_space(text, pos + 1), []
        if pos < n and text[pos] == ")":
            pos += 1
        else:
            while True:
                m = value_re.match(text, pos)
                if m is None:
                    call = _call_value(text, pos, mysql)
                    if call is None:
                        yield Tuple(number, start, None, _why(text, pos))
                        return
                    value, pos, sep = call
                    values.append(value)
                else:
                    values.append(_value(m, mysql))
                    pos, sep = m.end(), m.group("sep")
                if sep == ")":
                    break
        if check_bytes and _ESCAPED.search(text, start, pos):
            yield Tuple(number, start, None, "bytes not valid in the file's encoding")
        else:
            yield Tuple(number, start, values)
        pos = _skip_space(text, pos)
        if pos < n and text[pos] == ",":
            pos += 1


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _why(text: str, pos: int) -> str:
    rest = text[pos:].lstrip()
    if rest[:1] in ("'", '"') or re.match(r"(?:_\w+\s*|[eE])'", rest):
        return "unterminated string"
    if not rest:
        return "statement ends inside a tuple"
    return "unreadable value"


def _call_value(text: str, pos: int, mysql: bool) -> tuple[str | None, int, str] | None:
    """A function call value such as SQLite's ``replace('a\\nb','\\n',char(10))``: ``(value, end, sep)``."""
    m = re.compile(r"\s*[A-Za-z_]\w*\s*\(").match(text, pos)
    if not m:
        return None
    close = _matching_paren(text, m.end(), quotes="'\"", backslash=mysql)
    if close < 0:
        return None
    i = close + 1
    call = text[pos:i].strip()
    sep_match = re.compile(r"\s*(?:::\s*[\w .]+)?\s*([,)])").match(text, i)
    if not sep_match:
        return None
    return _evaluate_call(call, mysql), sep_match.end(), sep_match.group(1)


def _evaluate_call(call: str, mysql: bool) -> str | None:
    m = _SQLITE_REPLACE.match(call)
    if m:
        inner = m.group("inner").strip()
        inner_value = _evaluate_call(inner, mysql) if inner.lower().startswith("replace(") else _literal(inner, mysql)
        if inner_value is None:
            return None
        return inner_value.replace(m.group("find").replace("''", "'"), chr(int(m.group("code"))))
    return call


def _literal(text: str, mysql: bool) -> str | None:
    m = (_VALUE_MYSQL if mysql else _VALUE_STD).match(text + ")")
    return _value(m, mysql) if m else text


# ------------------------------------------------------------------ COPY

_COPY_ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))", re.S)
_COPY_MAP = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _copy_unescape(m: re.Match) -> str:
    if m.group(1):
        return chr(int(m.group(1), 8))
    if m.group(2):
        return chr(int(m.group(2), 16))
    return _COPY_MAP.get(m.group(3), m.group(3))


def copy_unescape(field_: str) -> str | None:
    """One field of COPY text format with its backslash escapes undone (empty → None)."""
    return _COPY_ESCAPE.sub(_copy_unescape, field_) or None


def parse_copy_line(line: str) -> list[str | None]:
    """One line of ``COPY … FROM stdin`` text format: tab-separated, ``\\N`` null, backslash escapes."""
    out: list[str | None] = []
    for field_ in line.split("\t"):
        if field_ == "\\N":
            out.append(None)
        elif "\\" in field_:
            out.append(_COPY_ESCAPE.sub(_copy_unescape, field_) or None)
        else:
            out.append(field_ or None)
    return out


def is_mysql(head: str) -> bool:
    """True for a MySQL/MariaDB dump (backslash escapes in strings)."""
    return bool(re.search(r"(?:TABLE|INTO|TABLES)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?`|/\*!\d|-- MySQL dump|"
                          r"-- MariaDB dump|\)\s*ENGINE\s*=|^LOCK TABLES", head, re.M | re.I))
