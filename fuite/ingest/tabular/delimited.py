"""Delimited text (CSV, TSV, ``|``-separated…): sniffed dialect, streamed in bounded memory.

Two engines give the same rows. The fast one is ``pyarrow.csv.open_csv`` (a
streaming C++ reader). It refuses anything irregular — a wrong field count,
undecodable bytes, an over-long line — and then the exact one takes over from
the first row the fast one did not deliver: a Python line feeder under limits
plus the ``csv`` module, which quarantines each bad row with its line number.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pacsv

from fuite.errors import IngestError
from fuite.ingest.batches import BATCH_ROWS, batch_schema, batched
from fuite.ingest.blob import Blob, read_up_to
from fuite.ingest.encoding import Encoding, detect_encoding, looks_binary
from fuite.ingest.tabular.header import is_header, locate_header
from fuite.ingest.limits import MiB, Limits
from fuite.ingest.reporter import Reporter, guarded
from fuite.schema import SourceTable

CANDIDATES = (",", ";", "\t", "|")
NO_DELIMITER = "\x1f"          # used for one-column files: a byte that text never holds
SAMPLE_BYTES = 1 * MiB
SAMPLE_RECORDS = 500
FAST_BLOCK_BYTES = 4 * MiB
_ESCAPED = re.compile("[\udc80-\udcff]")
NUL_REASON = "NUL byte (binary content in a text line)"

csv.field_size_limit(1 << 30)


@dataclass(frozen=True)
class Dialect:
    """How to read one delimited file: data rows start ``skip_bytes`` after the BOM, on line ``skip_lines + 1``.

    What is skipped is the header row and any title rows, legends and blank rows above it.
    """

    delimiter: str
    encoding: Encoding
    header: bool
    columns: tuple[str, ...]
    skip_bytes: int = 0
    skip_lines: int = 0

    @property
    def width(self) -> int:
        return len(self.columns)


def sniff_delimiter(text: str) -> tuple[str, int]:
    """``(delimiter, fields per record)`` for a text sample; one-column text gives ``NO_DELIMITER``.

    Each candidate parses the sample; the one whose records most often share the
    same field count (at least two fields) wins, ties going to more fields.
    """
    best: tuple[float, int, str] | None = None
    for delimiter in CANDIDATES:
        counts = [len(r) for r in _sample_records(text, delimiter)]
        if not counts:
            continue
        width, freq = Counter(counts).most_common(1)[0]
        if width < 2:
            continue
        score = (freq / len(counts), width, delimiter)
        if best is None or score[:2] > best[:2]:
            best = score
    return (best[2], best[1]) if best else (NO_DELIMITER, 1)


def _sample_records(text: str, delimiter: str) -> list[list[str]]:
    return _records_and_ends(text, delimiter)[0]


def _records_and_ends(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """The non-blank records of a sample, and the physical line each one ends on."""
    complete = text if text.endswith(("\n", "\r")) else text[: max(text.rfind("\n"), 0)] or text
    records: list[list[str]] = []
    ends: list[int] = []
    try:
        reader = csv.reader(io.StringIO(complete, newline=""), delimiter=delimiter, quotechar='"', strict=False)
        for record in reader:
            if record:
                records.append(record)
                ends.append(reader.line_num)
            if len(records) >= SAMPLE_RECORDS:
                break
    except csv.Error:
        return [], []
    return records, ends


def sniff_dialect(sample: bytes, encoding_override: str | None = None) -> Dialect:
    """The dialect of a file from its first bytes; ``IngestError`` when they are not text."""
    encoding = detect_encoding(sample, encoding_override)
    if looks_binary(sample, encoding):
        raise IngestError("binary content, not delimited text")
    body = sample[encoding.bom:]
    text = body.decode(encoding.codec, errors="replace")
    delimiter, width = sniff_delimiter(text)
    records, ends = _records_and_ends(text, delimiter)
    if not records:
        records, ends = [[text.strip("\r\n")]], [1]
    start, header = table_start(records)
    skip_lines = ends[start] if header else ends[start - 1] if start else 0
    records = records[start:]
    data = records[1:] if header else records
    if data:
        width = Counter(len(r) for r in data).most_common(1)[0][0]
    if header:
        first = list(records[0])
        while len(first) > width and not first[-1].strip():
            first.pop()
        width = max(width, len(first))
        columns = tuple((c if c.strip() else f"#{k}") for k, c in enumerate(first)) + tuple(
            f"#{k}" for k in range(len(first), width))
    else:
        columns = tuple(f"#{k}" for k in range(width))
    return Dialect(delimiter, encoding, header, columns, _byte_offset(body, encoding.codec, skip_lines), skip_lines)


def table_start(records: list[list[str]]) -> tuple[int, bool]:
    """``(first record of the table, whether it is a header)``.

    Title rows, legends and blank or padded rows (``Extraction;;;;;;``) above a header
    are skipped; they must be short next to the header (at most a quarter of its
    cells filled). Without a header found below them, nothing is skipped.
    """
    start, header = locate_header(records)
    if start and header:
        width = sum(1 for c in records[start] if c.strip())
        if all(sum(1 for c in r if c.strip()) <= max(1, width // 4) for r in records[:start]):
            return start, True
    return 0, is_header(records[0], records[1:])


def _byte_offset(body: bytes, codec: str, lines: int) -> int:
    """Bytes of ``body`` taken by its first ``lines`` physical lines."""
    if not lines:
        return 0
    text = body.decode(codec, errors="surrogateescape")
    at = -1
    for _ in range(lines):
        at = text.find("\n", at + 1)
        if at < 0:
            return len(body)
    return len(text[: at + 1].encode(codec, errors="surrogateescape"))


def read_delimited(blob: Blob, reporter: Reporter) -> Iterator[SourceTable]:
    """One ``SourceTable`` for a delimited file."""
    dialect = sniff_dialect(blob.head(SAMPLE_BYTES), reporter.encoding)

    def batches() -> Iterator[pa.RecordBatch]:
        return guarded(blob.name, reporter, lambda: _batches(blob, dialect, reporter))

    yield SourceTable(blob.name, "", list(dialect.columns), batches, format=_format_name(dialect),
                      encoding=dialect.encoding.label)


def _format_name(dialect: Dialect) -> str:
    return {"\t": "tsv", "|": "psv"}.get(dialect.delimiter, "csv")


def _batches(blob: Blob, dialect: Dialect, reporter: Reporter) -> Iterator[pa.RecordBatch]:
    delivered = 0
    try:
        for batch in _fast_batches(blob, dialect, reporter):
            delivered += batch.num_rows
            yield batch
        return
    except IngestError:
        raise
    except Exception:  # noqa: BLE001 - irregular input: the exact engine takes over and says why
        pass
    yield from _exact_batches(blob, dialect, reporter, start=delivered)


# ---------------------------------------------------------------- fast engine


def _fast_batches(blob: Blob, dialect: Dialect, reporter: Reporter) -> Iterator[pa.RecordBatch]:
    names = [f"c{i}" for i in range(dialect.width)]
    codec = dialect.encoding.codec
    read_options = pacsv.ReadOptions(column_names=names, block_size=FAST_BLOCK_BYTES,
                                     encoding="utf8" if codec == "utf-8" else codec)
    parse_options = pacsv.ParseOptions(delimiter=dialect.delimiter, quote_char='"', double_quote=True,
                                       newlines_in_values=True, ignore_empty_lines=True)
    convert_options = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[""],
                                           strings_can_be_null=True, quoted_strings_can_be_null=True)
    schema = batch_schema(dialect.width)
    with blob.open() as f:
        read_up_to(f, dialect.encoding.bom + dialect.skip_bytes)
        before = _tell(f)   # the reader reads ahead as soon as it opens
        reader = pacsv.open_csv(_NulGuard(f), read_options=read_options, parse_options=parse_options,
                                convert_options=convert_options)
        start = 0
        for block in reader:
            after = _tell(f)
            for offset in range(0, block.num_rows, BATCH_ROWS):
                batch = block.slice(offset, BATCH_ROWS)
                n = batch.num_rows
                rows = pa.array(range(start, start + n), pa.int64())
                # where this batch ends in the file, pro rata within its block (the bar moves batch by batch)
                reporter.moved(blob.name, before + (after - before) * (offset + n) // block.num_rows, blob.size)
                yield pa.RecordBatch.from_arrays([rows, *batch.columns], schema=schema)
                start += n
            reporter.progress(blob.name, after, blob.size)   # the time budget is checked once per block
            before = after


class _NulSeen(Exception):
    """A NUL byte ahead: the exact engine takes over and quarantines its line."""


class _NulGuard(io.RawIOBase):
    """The file as the fast engine reads it, stopping it at the first block that holds a NUL byte."""

    def __init__(self, raw):
        self.raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        if b"\x00" in data:
            raise _NulSeen()
        buffer[: len(data)] = data
        return len(data)


def _tell(f) -> int:
    try:
        return f.tell()
    except (OSError, ValueError):
        return 0


# ---------------------------------------------------------------- exact engine


class _Broken(Exception):
    """Raised by the line feeder to abandon the record being assembled."""

    def __init__(self, reason: str):
        self.reason = reason


class LineFeeder:
    """Physical lines for ``csv.reader``, bounded in length and count per record, with push-back.

    It remembers the lines of the record being assembled so a broken one can be
    set aside and its tail read again.
    """

    def __init__(self, text: io.TextIOBase, limits: Limits, label: str = "in the file's encoding"):
        self.text, self.limits = text, limits
        self.max_chars = limits.max_line_bytes
        self.lineno = 0
        self.pending: deque[tuple[int, str]] = deque()   # pushed back
        self.record: list[tuple[int, str]] = []          # lines of the record being read
        self.flaw = ""                                   # why the record being read is bad, when it is
        self.undecodable = f"bytes not valid {label}"

    def __iter__(self) -> LineFeeder:
        return self

    def start_record(self) -> None:
        self.record, self.flaw = [], ""

    def __next__(self) -> str:
        if self.pending:
            lineno, line = self.pending.popleft()
        else:
            line = self.text.readline(self.max_chars)
            if not line:
                raise StopIteration
            self.lineno += 1
            lineno = self.lineno
            if len(line) >= self.max_chars and not line.endswith(("\n", "\r")):
                self._drain()
                self.record.append((lineno, line[: self.limits.max_raw_bytes]))
                raise _Broken(f"line longer than {self.max_chars // MiB} MiB")
        self.record.append((lineno, line))
        if "\x00" in line:
            self.flaw = NUL_REASON
        elif _ESCAPED.search(line) and not self.flaw:
            self.flaw = self.undecodable
        if len(self.record) > self.limits.max_record_lines:
            raise _Broken("unterminated quoted field")
        return line

    def _drain(self) -> None:
        while True:
            rest = self.text.readline(self.max_chars)
            if not rest or rest.endswith(("\n", "\r")):
                return

    def push_back_tail(self) -> None:
        """Read again every line of the current record but its first."""
        self.pending.extendleft(reversed(self.record[1:]))
        self.record = self.record[:1]


def exact_rows(text: io.TextIOBase, dialect: Dialect, limits: Limits,
               on_bad) -> Iterator[tuple[int, list[str]]]:
    """``(row index, fields)`` for every good data row; ``on_bad(index, first_line, reason, raw_text)`` for the rest."""
    feeder = LineFeeder(text, limits, dialect.encoding.label)
    feeder.lineno = dialect.skip_lines
    index = -1
    while True:
        feeder.start_record()
        reader = csv.reader(feeder, delimiter=dialect.delimiter, quotechar='"', strict=False)
        try:
            for fields in reader:
                lines = feeder.record
                if not fields:
                    feeder.record = []
                    continue
                flaw = feeder.flaw
                feeder.record, feeder.flaw = [], ""
                index += 1
                first = lines[0][0] if lines else feeder.lineno
                if flaw:
                    on_bad(index, first, flaw, "".join(l for _, l in lines))
                elif len(fields) != dialect.width:
                    if len(lines) > 1:   # a stray quote swallowed the next lines: set aside one line only
                        feeder.record = lines
                        feeder.push_back_tail()
                        on_bad(index, first, "unterminated quoted field", lines[0][1])
                        feeder.record = []
                        raise _Restart
                    on_bad(index, first, f"{len(fields)} fields, expected {dialect.width}", lines[0][1])
                else:
                    yield index, fields
            return
        except _Restart:
            continue
        except _Broken as broken:
            lines = feeder.record
            if broken.reason == "unterminated quoted field":
                feeder.push_back_tail()
            index += 1
            on_bad(index, lines[0][0], broken.reason, lines[0][1] if lines else "")
            feeder.record = []
        except csv.Error:
            lines = feeder.record
            index += 1
            on_bad(index, lines[0][0] if lines else feeder.lineno, "malformed quoting",
                   "".join(l for _, l in lines))
            feeder.record = []


class _Restart(Exception):
    """Start a fresh ``csv.reader`` after pushing lines back."""


def _exact_batches(blob: Blob, dialect: Dialect, reporter: Reporter, start: int) -> Iterator[pa.RecordBatch]:
    codec = dialect.encoding.codec

    def on_bad(index: int, line: int, reason: str, raw_text: str) -> None:
        if index >= start:
            reporter.quarantine(blob.name, "", f"line {line}", f"line {line}: {reason}", _raw(raw_text, codec))

    def rows() -> Iterator[tuple[int, list[str], None]]:
        with blob.open() as f:
            read_up_to(f, dialect.encoding.bom + dialect.skip_bytes)
            text = io.TextIOWrapper(f, encoding=codec, errors="surrogateescape", newline="")
            for n, (index, fields) in enumerate(exact_rows(text, dialect, reporter.limits, on_bad)):
                if index >= start:
                    yield index, fields, None
                if n % BATCH_ROWS == 0:
                    reporter.progress(blob.name, _tell(f), blob.size)

    yield from batched(rows(), dialect.width)


def _raw(text: str, codec: str) -> bytes:
    try:
        return text.encode(codec, errors="surrogateescape")
    except UnicodeError:
        return text.encode("utf-8", errors="replace")


__all__ = ["Dialect", "sniff_delimiter", "sniff_dialect", "read_delimited", "exact_rows", "LineFeeder"]
