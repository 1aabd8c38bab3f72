"""Split a SQL dump into statements (and ``COPY … FROM stdin`` data lines), string- and comment-aware.

Works on any text stream in bounded memory. A string that never closes (or that
runs into a line starting a new statement, which real dumps never do) ends its
statement with an error instead of swallowing the rest of the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fuite.ingest.limits import MiB

CHUNK = 4 * MiB
_NEXT = r"(?!(?:INSERT|REPLACE|CREATE|COPY|DROP|ALTER|LOCK|UNLOCK)\s|--\s|/\*!)"
_BODIES = {
    ("'", True): re.compile(r"(?:[^'\\\n]++|\\.|''|\n" + _NEXT + r")*", re.S),
    ("'", False): re.compile(r"(?:[^'\n]++|''|\n" + _NEXT + r")*"),
    ('"', True): re.compile(r'(?:[^"\\\n]++|\\.|""|\n' + _NEXT + r")*", re.S),
    ('"', False): re.compile(r'(?:[^"\n]++|""|\n' + _NEXT + r")*"),
    ("`", True): re.compile(r"(?:[^`\n]++|``|\n" + _NEXT + r")*"),
    ("`", False): re.compile(r"(?:[^`\n]++|``|\n" + _NEXT + r")*"),
}
#: Plain text and complete one-line strings, consumed in one C-level match (the common case of a dump).
_RUN = {
    True: re.compile(r"""(?:[^'"`;#/\-]++|'(?:[^'\\\n]++|\\.|'')*+'(?!')|"(?:[^"\\\n]++|\\.|"")*+"(?!")"""
                     r"""|`[^`\n]*`|-(?!-)|/(?!\*))*""", re.S),
    False: re.compile(r"""(?:[^'"`;/\-$]++|'(?:[^'\n]++|'')*+'(?!')|"(?:[^"\n]++|"")*+"(?!")|`[^`\n]*`"""
                      r"""|-(?!-)|/(?!\*)|\$(?!(?:[A-Za-z_]\w*)?\$))*"""),
}
_SPECIAL = {True: re.compile(r"['\"`;#]|--|/\*"), False: re.compile(r"['\"`;]|--|/\*|\$(?:[A-Za-z_]\w*)?\$")}
_SPACE = re.compile(r"\s*")
#: What ends a comment, and the error when the file ends first (a line comment simply ends with the file).
_CLOSERS = {"--": ("\n", ""), "#": ("\n", ""), "/*": ("*/", "comment not closed at end of file")}
_COMMENTS_ONLY = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)
_COPY_STDIN = re.compile(r"\s*COPY\b.*\bFROM\s+stdin\b", re.I | re.S)
_INSERT_START = re.compile(r"(?:INSERT|REPLACE)\s", re.I)
#: At most this many one-line INSERT statements are checked together (one RE2 call).
FAST_RUN = 4096


@dataclass
class DumpStatement:
    """One statement (``kind`` "sql") or one COPY data line (``kind`` "copy"), with where it started."""

    kind: str
    line: int
    text: str
    start: int = 0       # character offset in the stream
    end: int = 0
    error: str = ""
    insert: tuple | None = None   # (table, column list, tuples offset) of a checked one-line INSERT (``sql.fast``)
    plain: str = ""               # the grammar it passed: "compact" or "spaced"


class Splitter:
    """Statements of a SQL text read through ``read(n)``; ``offset``/``line`` say where the text starts."""

    def __init__(self, read: Callable[[int], str], *, mysql: bool, max_chars: int, line: int = 1, offset: int = 0,
                 fast: bool = True, trusted: bool = False):
        self.read, self.mysql, self.max_chars, self.fast = read, mysql, max_chars, fast
        self.trusted = trusted   # every one-line INSERT here already passed the compact check (a second pass)
        self.buf, self.pos, self.base, self.line, self.eof = "", 0, offset, line, False
        self.verdicts: dict[int, tuple] = {}   # see _look_ahead
        self.seen = offset                      # where the look-ahead stopped

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.base += self.pos
        self.buf = self.buf[self.pos:] + chunk
        self.pos = 0
        return True

    def _take(self, end: int) -> str:
        text = self.buf[self.pos:end]
        self.line += text.count("\n")
        self.pos = end
        return text

    def statements(self) -> Iterator[DumpStatement]:
        while True:
            self._skip_between()
            if self.pos >= len(self.buf) and not self._fill():
                return
            if self.fast and _INSERT_START.match(self.buf, self.pos):
                checked = self._checked_inserts()
                if checked:
                    yield from checked
                    continue
            start_line, start = self.line, self.base + self.pos
            end, error = self._statement_end()
            text = self._take(end)
            yield DumpStatement("sql", start_line, text, start, self.base + self.pos, error)
            if not error and _COPY_STDIN.match(text):
                yield from self._copy_lines()

    def _checked_inserts(self) -> list[DumpStatement]:
        """The run of one-line INSERT statements starting here that pass the strict VALUES grammar."""
        self._look_ahead()
        out = []
        while len(out) < FAST_RUN:
            plain, end, after, head = self.verdicts.get(self.base + self.pos, ("", 0, 0, None))
            if not plain:
                break
            line, begin = self.line, self.base + self.pos
            out.append(DumpStatement("sql", line, self._take(end - self.base), begin, end, insert=head, plain=plain))
            self._take(after - self.base)   # the end of the line
        return out

    def _look_ahead(self) -> None:
        """Check, in one RE2 call, the one-line INSERT statements of the lines not yet looked at.

        ``verdicts`` maps the start of each line looked at to ``(grammar passed or "",
        end of the statement, start of the next line, INSERT head)``; lines are looked at
        once (``seen`` is where the look-ahead stopped), so the work stays linear.
        """
        from fuite.ingest.sql.fast import plain_bodies
        from fuite.ingest.sql.parse import parse_insert_head

        here = self.base + self.pos
        if here in self.verdicts:
            return
        if self.buf.find("\n", self.pos) < 0 and self._line_end() < 0:
            self.verdicts[here] = ("", 0, 0, None)   # longer than a statement may be: the exact splitter says so
            return
        if len(self.verdicts) > 4 * FAST_RUN:   # forget lines behind (now and then: the work stays linear)
            self.verdicts = {k: v for k, v in self.verdicts.items() if k >= here}
        q, found = max(self.pos, self.seen - self.base), []
        while len(found) < FAST_RUN and q < len(self.buf):
            nl = self.buf.find("\n", q)
            if nl < 0:
                if not self.eof:
                    break
                nl = len(self.buf)
            if _INSERT_START.match(self.buf, q):
                text = self.buf[q:nl].rstrip()
                head = parse_insert_head(text) if text.endswith(";") else None
                if head is not None:
                    found.append((q, q + len(text), min(nl + 1, len(self.buf)), text, head))
            q = nl + 1
        self.seen = self.base + min(q, len(self.buf))
        styles = (["compact"] * len(found) if self.trusted
                  else plain_bodies([text[head[2]:] for _, _, _, text, head in found], self.mysql))
        for (start, end, after, _, head), style in zip(found, styles):
            self.verdicts[self.base + start] = (style, self.base + end, self.base + after, head)
        self.verdicts.setdefault(here, ("", 0, 0, None))   # not a one-line statement

    def _line_end(self) -> int:
        """Index of the end of the line starting at ``pos``, reading more text if needed; -1 when too long."""
        nl = self.buf.find("\n", self.pos)
        while nl < 0:
            if len(self.buf) - self.pos > self.max_chars:
                return -1
            if not self._fill():
                return len(self.buf)
            nl = self.buf.find("\n", self.pos)
        return nl

    def _skip_between(self) -> None:
        """Skip what may sit between statements: space, comments, psql meta-commands (``\\restrict key``)."""
        while True:
            self._skip_space()
            if not self._skip_comment():
                return

    def _skip_comment(self) -> bool:
        """Skip one ``--``/``#`` line, ``/* */`` block (not MySQL's ``/*!`` statements) or ``\\`` line at ``pos``."""
        while len(self.buf) - self.pos < 3 and self._fill():
            pass
        if self.buf.startswith(("--", "\\"), self.pos) or (self.mysql and self.buf.startswith("#", self.pos)):
            return self._skip_past("\n")
        if self.buf.startswith("/*", self.pos) and not self.buf.startswith("/*!", self.pos):
            return self._skip_past("*/", whole=True)
        return False

    def _skip_past(self, close: str, *, whole: bool = False) -> bool:
        """Move past the next ``close`` (or to the end of the file); a ``whole`` block that never closes is left."""
        while True:
            found = self.buf.find(close, self.pos)
            if found >= 0:
                self._take(found + len(close))
                return True
            if whole:
                if len(self.buf) - self.pos > self.max_chars or not self._fill():
                    return False   # the statement reader reports the comment that never closes
                continue
            self._take(max(self.pos, len(self.buf) - len(close) + 1))
            if not self._fill():
                self._take(len(self.buf))
                return True

    def _skip_space(self) -> None:
        while True:
            end = _SPACE.match(self.buf, self.pos).end()
            self._take(end)
            if self.pos < len(self.buf) or not self._fill():
                return

    def _statement_end(self) -> tuple[int, str]:
        """Index just past the statement's ``;`` (or where a broken one stops) and an error."""
        i = self.pos
        special, run = _SPECIAL[self.mysql], _RUN[self.mysql]
        while True:
            if i - self.pos > self.max_chars:
                return i, f"statement longer than {self.max_chars // MiB} MiB"
            i = run.match(self.buf, i).end()
            m = special.search(self.buf, i)
            if m is None:
                j = self._grow(max(self.pos, len(self.buf) - 1))
                if j is None:
                    rest = self.buf[self.pos:]
                    blank = _COMMENTS_ONLY.fullmatch(rest) is not None
                    return len(self.buf), "" if blank else "statement not terminated at end of file"
                i = j
                continue
            token = m.group()
            if token == ";":
                return m.end(), ""
            if token[0] == "$" or token in _CLOSERS:   # a dollar-quoted body or a comment: up to its closer
                close, unclosed = _CLOSERS.get(token, (token, "unterminated dollar-quoted string"))
                found = self.buf.find(close, m.end())
                if found >= 0:
                    i = found + len(close)
                    continue
                j = self._grow(m.start())
                if j is None:
                    return len(self.buf), unclosed
                i = j
                continue
            e = _BODIES[(token, self.mysql)].match(self.buf, m.end()).end()
            if e < len(self.buf) and self.buf[e] == token:
                i = e + 1
                continue
            if e >= len(self.buf) - 1:
                j = self._grow(m.start())
                if j is not None:
                    i = j
                    continue
            return e, "unterminated string"

    def _grow(self, i: int) -> int | None:
        """Read more text; the index ``i`` of the old buffer in the new one, or None at end of file."""
        rel = i - self.pos
        if not self._fill():
            return None
        return self.pos + rel

    def _copy_block(self) -> DumpStatement | None:
        """The complete data lines in the buffer before the ``\\.`` line, as one ``copyblock`` statement."""
        last = self.buf.rfind("\n", self.pos)
        if last < 0 or self.buf.startswith(("\\.\n", "\\.\r\n"), self.pos):
            return None   # no whole line, or the terminator comes first: the line by line loop takes it
        ends = [i for i in (self.buf.find("\n\\.\n", self.pos, last + 1),
                            self.buf.find("\n\\.\r\n", self.pos, last + 1)) if i >= 0]
        end = min(ends) + 1 if ends else last + 1
        line, start = self.line, self.base + self.pos
        return DumpStatement("copyblock", line, self._take(end), start, self.base + self.pos)

    def _copy_lines(self) -> Iterator[DumpStatement]:
        """The data lines after ``COPY … FROM stdin;`` up to the ``\\.`` line."""
        nl = self.buf.find("\n", self.pos)   # rest of the COPY line
        while nl < 0 and self._fill():
            nl = self.buf.find("\n", self.pos)
        if nl < 0:
            return
        self._take(nl + 1)
        while True:
            if self.fast:
                block = self._copy_block()
                if block is not None:
                    yield block
                    continue
            nl = self.buf.find("\n", self.pos)
            while nl < 0:
                if len(self.buf) - self.pos > self.max_chars:
                    yield DumpStatement("copy", self.line, self._take(len(self.buf)), error="line too long")
                    continue
                if not self._fill():
                    if self.pos < len(self.buf):
                        yield DumpStatement("copy", self.line, self._take(len(self.buf)),
                                        error="COPY data not terminated by \\.")
                    return
                nl = self.buf.find("\n", self.pos)
            line_no, start = self.line, self.base + self.pos
            text = self._take(nl + 1)
            stripped = text.rstrip("\r\n")
            if stripped == "\\.":
                yield DumpStatement("copyend", line_no, "", start, self.base + self.pos)
                return
            yield DumpStatement("copy", line_no, stripped, start, self.base + self.pos)
