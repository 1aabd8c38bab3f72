"""JSON values read one at a time from a text stream: the elements of a top-level array, or every top-level value.

A value that does not parse is reported (``on_bad``) with its line and yields ``BAD``,
so that it still takes its row index.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

from fuite.ingest.limits import MiB

CHUNK = 1 * MiB
_ESCAPED = re.compile("[\udc80-\udcff]")
_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\r\n]*")


BAD = object()   # a record that did not parse: it still takes its row index
#: Records nested deeper than this (objects and arrays) are quarantined: no real record needs more.
MAX_DEPTH = 64
TOO_DEEP = f"record nested deeper than {MAX_DEPTH} levels"


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when ``value`` nests objects and arrays more than ``limit`` levels (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def iter_records(text: io.TextIOBase, max_bytes: int, on_bad, *, allow_array: bool = True,
                 ) -> Iterator[tuple[int, Any]]:
    """``(line, record)`` (``BAD`` for a quarantined one): the elements of a top-level array, else every top-level value (JSON lines).

    ``on_bad(line, reason, raw_text)`` is called for what does not parse. Outside
    an array the reading resumes at the next line; inside one a syntax error ends
    it (there is no safe place to resume).
    """
    for line, value, _ in iter_records_raw(text, max_bytes, on_bad, allow_array=allow_array):
        yield line, value


def iter_records_raw(text: io.TextIOBase, max_bytes: int, on_bad, *, allow_array: bool = True,
                     ) -> Iterator[tuple[int, Any, str]]:
    """``(line, record, source text of the record)``, as ``iter_records``."""
    reader = _Buffer(text)
    reader.skip_ws()
    in_array = allow_array and reader.peek() == "["
    if in_array:
        reader.pos += 1
    while True:
        reader.skip_ws()
        if reader.peek() == "":
            if in_array:
                on_bad(reader.line, "unterminated JSON array", "")
            return
        if in_array and reader.peek() == "]":
            return
        start_line = reader.line
        value, raw, reason = reader.decode(max_bytes)
        if reason:
            on_bad(start_line, reason, raw)
            yield start_line, BAD, raw
            if in_array:
                return
            continue
        flaw = ("bytes not valid in the file's encoding" if _ESCAPED.search(raw)
                else TOO_DEEP if raw.count("{") + raw.count("[") > MAX_DEPTH and too_deep(value) else "")
        if flaw:
            on_bad(start_line, flaw, raw)
            yield start_line, BAD, raw
        else:
            yield start_line, value, raw
        if in_array:
            reader.skip_ws()
            nxt = reader.peek()
            if nxt == ",":
                reader.pos += 1
            elif nxt not in ("]", ""):
                on_bad(reader.line, "invalid JSON (missing comma between records)", "")
                return


class _Buffer:
    """A sliding window over a text stream, counting lines."""

    def __init__(self, text: io.TextIOBase):
        self.text, self.buf, self.pos, self.line, self.eof = text, "", 0, 1, False

    def fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.text.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos:] + chunk
        self.pos = 0
        return True

    def peek(self) -> str:
        if self.pos >= len(self.buf):
            self.fill()
        return self.buf[self.pos: self.pos + 1]

    def skip_ws(self) -> None:
        while True:
            end = _WS.match(self.buf, self.pos).end()
            self.line += self.buf.count("\n", self.pos, end)
            self.pos = end
            if self.pos < len(self.buf) or not self.fill():
                return

    def decode(self, max_bytes: int) -> tuple[Any, str, str]:
        """``(value, raw_text, "")`` or ``(None, raw_text, reason)``; the position moves past either."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except RecursionError:   # the parser's own depth limit: the record ends with its line
                end = self.buf.find("\n", self.pos)
                if end < 0 and not self.eof and len(self.buf) - self.pos <= max_bytes and self.fill():
                    continue
                return None, self._advance(len(self.buf) if end < 0 else end), TOO_DEEP
            except json.JSONDecodeError as exc:
                real = "\n" in self.buf[exc.pos:] or self.eof
                if not real and len(self.buf) - self.pos <= max_bytes and self.fill():
                    continue
                if "\n" in self.buf[exc.pos:]:
                    reason = "invalid JSON"
                elif self.eof:
                    reason = "JSON record cut off at end of file"
                else:
                    reason = f"record larger than {max_bytes // MiB} MiB"
                end = self.buf.find("\n", exc.pos)
                end = len(self.buf) if end < 0 else end
                return None, self._advance(end), reason
            return value, self._advance(end), ""

    def _advance(self, end: int) -> str:
        raw = self.buf[self.pos:end]
        self.line += raw.count("\n")
        self.pos = end
        return raw
