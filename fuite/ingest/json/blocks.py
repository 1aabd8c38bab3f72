"""JSON lines read a block at a time: Arrow parses each block, vectorised flattening turns it into fuite's tables.

A block (a few MiB of whole lines) becomes a ``Block``: for every table it feeds
(the records, and one child table per array of objects) a ``Part`` with its
columns as text, row indices and parent rows — the same tables, names and values
``json.flat.explode`` gives record by record:

- objects flatten to dotted paths; arrays of scalars join into one ``path[]`` cell
  with ``" ; "``; arrays of objects become child rows pointing at their parent row;
- integers and booleans become text as Python writes them; empty strings are null.

Arrow cannot always vouch for that: a value whose type changes between records,
a float (``1.0`` and ``1`` would both read as a double), arrays of arrays, a line
that is not JSON, bytes that are not UTF-8. Such a block is read record by record
with ``json.records.iter_records`` + ``json.flat.explode`` instead, which also quarantines
what does not parse. Strings Arrow would turn into timestamps are read as strings.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from fuite.ingest.json.flat import ARRAY_JOIN, explode
from fuite.ingest.json.records import BAD, MAX_DEPTH, iter_records

_NULL_STRING = pa.scalar(None, pa.string())


class Unsupported(Exception):
    """A block the vectorised path cannot read exactly as ``json.flat`` would."""


@dataclass
class Part:
    """What one block holds for one table: text columns by name, row indices, parent rows (child tables)."""

    names: list[str] = field(default_factory=list)
    arrays: list[pa.Array] = field(default_factory=list)
    rows: pa.Array | None = None
    parent_rows: pa.Array | None = None

    def add(self, name: str, array: pa.Array) -> None:
        if name in self.names:
            raise Unsupported("two paths flatten to one column name")
        self.names.append(name)
        self.arrays.append(array)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays) + (self.rows.nbytes if self.rows is not None else 0)


@dataclass
class Block:
    """The tables of one block, in the order they first appear, with their parents and row counts."""

    parts: dict[str, Part] = field(default_factory=dict)
    parents: dict[str, str | None] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)        # row indices used, quarantined records included
    containers: dict[str, set[str]] = field(default_factory=dict)  # paths that held an object or an array

    def part(self, table: str, parent: str | None) -> Part:
        if table not in self.parts:
            self.parts[table] = Part()
            self.parents[table] = parent
        elif self.parents[table] != parent:
            raise Unsupported("two tables share a name")
        return self.parts[table]

    def container(self, table: str, path: str) -> None:
        self.containers.setdefault(table, set()).add(path)

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self.parts.values())


# ------------------------------------------------------------------ Arrow


@dataclass
class Overrides:
    """Fields read as strings on purpose (Arrow would make them timestamps), learnt block after block."""

    schema: pa.Schema | None = None


def arrow_block(data: bytes, counters: dict[str, int], overrides: Overrides) -> Block:
    """The tables of a block of JSON lines, vectorised; ``Unsupported`` (or an Arrow error) when not exact."""
    if nested_deeper(data, MAX_DEPTH):   # Arrow's parser recurses (and crashes) on deep nesting: never pass it one
        raise Unsupported("records nested too deeply")   # record by record: the deep one is quarantined alone
    table = _parse(data, overrides)
    block = Block()
    n = table.num_rows
    start = counters.get("", 0)
    root = block.part("", None)
    root.rows = pa.array(np.arange(start, start + n, dtype=np.int64))
    block.counts[""] = n
    _flatten(block, "", list(table.schema), [c.combine_chunks() for c in table.columns], "", root.rows, counters)
    return block


def _parse(data: bytes, overrides: Overrides) -> pa.Table:
    def read(schema: pa.Schema | None) -> pa.Table:
        options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer") if schema else None
        return pj.read_json(pa.py_buffer(data), read_options=pj.ReadOptions(block_size=1 << 20),
                            parse_options=options)

    table = read(overrides.schema)
    if not _has_temporal(table.schema):
        return table
    overrides.schema = _merge(overrides.schema, _string_overrides(table.schema))
    natural = table.schema.names
    table = read(overrides.schema)
    if _has_temporal(table.schema):
        raise Unsupported("temporal values")
    order = [name for name in natural if name in table.schema.names]
    return table.select(order + [name for name in table.schema.names if name not in order])


_STRING = re.compile(rb'"(?:[^"\\\n]|\\.)*"')


def nested_deeper(data: bytes, limit: int) -> bool:
    """True when a line of ``data`` nests objects and arrays more than ``limit`` levels.

    Vectorised: a line with at most ``limit`` opening brackets (strings included) cannot
    be deeper; only the other lines are measured exactly, their strings taken out.
    """
    raw = np.frombuffer(data, np.uint8)
    opens = np.cumsum((raw == 0x7B) | (raw == 0x5B), dtype=np.int64)
    if not len(raw) or opens[-1] <= limit:
        return False
    ends = np.append(np.flatnonzero(raw == 0x0A), len(raw) - 1)
    per_line = np.diff(opens[ends], prepend=0)
    starts = np.concatenate([[0], ends[:-1] + 1])
    return any(_depth(data[a:b + 1]) > limit for a, b in zip(starts[per_line > limit], ends[per_line > limit]))


def _depth(line: bytes) -> int:
    raw = np.frombuffer(_STRING.sub(b'""', line), np.uint8)
    steps = ((raw == 0x7B) | (raw == 0x5B)).astype(np.int64) - ((raw == 0x7D) | (raw == 0x5D))
    return int(np.cumsum(steps).max(initial=0))


def _is_temporal(t: pa.DataType) -> bool:
    return pa.types.is_temporal(t)


def _has_temporal(schema_or_type) -> bool:
    fields = list(schema_or_type) if isinstance(schema_or_type, (pa.Schema, pa.StructType)) else []
    for f in fields:
        t = f.type
        if _is_temporal(t):
            return True
        if pa.types.is_struct(t) and _has_temporal(t):
            return True
        if pa.types.is_list(t) and (_is_temporal(t.value_type) or
                                     (pa.types.is_struct(t.value_type) and _has_temporal(t.value_type))):
            return True
    return False


def _override_type(t: pa.DataType) -> pa.DataType | None:
    """``t`` with only its temporal parts kept, as strings; None when it has none."""
    if _is_temporal(t):
        return pa.string()
    if pa.types.is_struct(t):
        kept = [pa.field(f.name, o) for f in t if (o := _override_type(f.type)) is not None]
        return pa.struct(kept) if kept else None
    if pa.types.is_list(t):
        inner = _override_type(t.value_type)
        return pa.list_(inner) if inner is not None else None
    return None


def _string_overrides(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, o) for f in schema if (o := _override_type(f.type)) is not None])


def _merge(old: pa.Schema | None, new: pa.Schema) -> pa.Schema:
    if old is None:
        return new
    return pa.unify_schemas([old, new])


def _flatten(block: Block, table: str, fields: list[pa.Field], arrays: list[pa.Array], prefix: str,
             rows: pa.Array, counters: dict[str, int]) -> None:
    part = block.parts[table]
    n = len(rows)
    for f, array in zip(fields, arrays):
        path = prefix + f.name
        t = f.type
        if pa.types.is_struct(t):
            block.container(table, path)
            _flatten(block, table, list(t), array.flatten(), path + ".", rows, counters)
        elif pa.types.is_list(t):
            block.container(table, path)
            _flatten_list(block, table, part, path, array, rows, counters)
        else:
            part.add(path, _text(array, n))


def _text(array: pa.Array, n: int) -> pa.Array:
    """A JSON scalar column as text, the way ``json.flat.scalar_text`` writes each value."""
    t = array.type
    if pa.types.is_null(t):
        return pa.nulls(n, pa.string())
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        array = array.cast(pa.string())
        return pc.if_else(pc.equal(array, ""), _NULL_STRING, array) if pc.any(pc.equal(array, "")).as_py() else array
    if pa.types.is_integer(t) or pa.types.is_boolean(t):
        return array.cast(pa.string())
    raise Unsupported(f"values of type {t}")


def _flatten_list(block: Block, table: str, part: Part, path: str, array: pa.Array, rows: pa.Array,
                  counters: dict[str, int]) -> None:
    n = len(rows)
    values = array.flatten()
    parents = pc.list_parent_indices(array)
    if len(parents) != len(values):
        raise Unsupported("list layout")
    inner = array.type.value_type
    if pa.types.is_struct(inner):
        lengths = pc.list_value_length(array)
        if pc.any(pc.equal(lengths, 0)).as_py() or values.null_count:
            part.add(path + "[]", pa.nulls(n, pa.string()))   # what an empty array or a null item leaves
        if values.null_count:
            keep = values.is_valid()
            values, parents = values.filter(keep), parents.filter(keep)
        child = f"{table}.{path}" if table else path
        child_part = block.part(child, table)
        if child_part.rows is not None:
            raise Unsupported("two arrays feed one child table")
        start = counters.get(child, 0)
        child_part.rows = pa.array(np.arange(start, start + len(values), dtype=np.int64))
        child_part.parent_rows = rows.take(parents)
        block.counts[child] = len(values)
        _flatten(block, child, list(inner), values.flatten(), "", child_part.rows, counters)
        return
    if pa.types.is_list(inner) or pa.types.is_struct(inner):
        raise Unsupported("arrays of arrays")
    if not pc.any(array.is_valid()).as_py():
        return
    text = _text(values, len(values))
    keep = text.is_valid()
    text, kept = text.filter(keep), parents.filter(keep)
    counts = np.bincount(kept.to_numpy(zero_copy_only=False), minlength=n) if len(kept) else np.zeros(n, np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), text), ARRAY_JOIN)
    joined = pc.if_else(pc.equal(joined, ""), _NULL_STRING, joined)
    part.add(path + "[]", joined)


# ------------------------------------------------------------------ record by record


CUT_OFF = "JSON record cut off at end of file"
Problem = tuple[int, str, str]   # (line, reason, raw text) of what did not parse


def python_block(data: bytes, first_line: int, counters: dict[str, int], final: bool,
                 max_bytes: int) -> tuple[Block, list[Problem]] | None:
    """The tables of a block read record by record, and what did not parse.

    None when the last record runs past the end of the block (more lines are needed).
    """
    problems: list[Problem] = []

    def on_bad(line: int, reason: str, raw: str) -> None:
        problems.append((line + first_line - 1, reason, raw))

    text = io.StringIO(data.decode("utf-8", errors="surrogateescape"), newline="")
    records = [("", record) for _, record in iter_records(text, max_bytes, on_bad, allow_array=False)]
    if problems and problems[-1][1] == CUT_OFF and not final:
        return None
    return records_block(records, counters), problems


def records_block(records: list[tuple[str, object]], counters: dict[str, int]) -> Block:
    """The tables of parsed records ``(root table, record or BAD)``, flattened by ``json.flat.explode``."""
    running = dict(counters)
    found: dict[str, set[str]] = {}
    block = Block()
    cells_of: dict[str, list[dict[str, str | None]]] = {}
    rows_of: dict[str, list[int]] = {}
    parents_of: dict[str, list[int]] = {}
    for root, record in records:
        if record is BAD:
            running[root] = running.get(root, 0) + 1
            continue
        for table, index, parent, parent_row, cells in explode(record, running, root, containers=found):
            block.part(table, parent)
            cells_of.setdefault(table, []).append(cells)
            rows_of.setdefault(table, []).append(index)
            if parent is not None:
                parents_of.setdefault(table, []).append(parent_row)
    for table, part in block.parts.items():
        rows = cells_of[table]
        names: dict[str, None] = {}
        for cells in rows:
            names.update(dict.fromkeys(cells))
        for name in names:
            part.add(name, pa.array([cells.get(name) for cells in rows], pa.string()))
        part.rows = pa.array(rows_of[table], pa.int64())
        if block.parents[table] is not None:
            part.parent_rows = pa.array(parents_of[table], pa.int64())
    block.counts = {t: running[t] - counters.get(t, 0) for t in running}
    block.containers = found
    return block


# ------------------------------------------------------------------ blocks of a file


@dataclass
class Span:
    """Where a block sits in the file and how it was read, to read it again the same way."""

    start: int
    end: int
    line: int
    counters: dict[str, int]
    arrow: bool = True
    overrides: pa.Schema | None = None


def read_block(data: bytes, span: Span, final: bool, max_bytes: int,
               overrides: Overrides) -> tuple[Block, list[Problem]] | None:
    """Read one block: with Arrow when it can vouch for the result, else record by record."""
    if span.arrow:
        try:
            block = arrow_block(data, span.counters, overrides)
            span.overrides = overrides.schema
            return block, []
        except (Unsupported, pa.ArrowException, UnicodeDecodeError, ValueError, RecursionError):
            span.arrow = False
    return python_block(data, span.line, span.counters, final, max_bytes)


def reread(data: bytes, span: Span, max_bytes: int) -> Block:
    """A block read again, exactly as the first time."""
    if span.arrow:
        return arrow_block(data, span.counters, Overrides(span.overrides))
    result = python_block(data, span.line, span.counters, True, max_bytes)
    if result is None:   # cannot happen: final=True
        raise Unsupported("block cut")
    return result[0]


class Lines:
    """Blocks of whole lines from a binary stream, with their byte offset and first line number."""

    def __init__(self, f, offset: int, block_size: int, max_line: int):
        self.f, self.offset, self.block_size, self.max_line = f, offset, block_size, max_line
        self.pending, self.line, self.eof = b"", 1, False

    def _read(self) -> bool:
        chunk = self.f.read(self.block_size) if not self.eof else b""
        if not chunk:
            self.eof = True
            return False
        self.pending += chunk
        return True

    def block(self, beyond: int = 0) -> tuple[bytes, bool] | None:
        """Whole lines from here ending past byte ``beyond`` (all the rest at the end), and whether that is the end.

        None at the end of the stream. A first line longer than ``max_line`` is returned
        alone once it passes the limit, cut, with ``final`` False: see ``skip_line``.
        """
        while True:
            cut = self.pending.rfind(b"\n") + 1
            if cut > beyond:
                return self.pending[:cut], False
            if self.eof or not self._read():
                return (self.pending, True) if len(self.pending) > beyond or (self.pending and not beyond) else None
            if beyond == 0 and len(self.pending) > self.max_line and b"\n" not in self.pending:
                return self.pending[: self.max_line], False

    def consume(self, n: int) -> None:
        taken = self.pending[:n]
        self.pending = self.pending[n:]
        self.offset += n
        self.line += taken.count(b"\n")

    def skip_line(self) -> int:
        """Drop the rest of the current line (one over the limit); the bytes it took."""
        skipped = 0
        while True:
            nl = self.pending.find(b"\n")
            if nl >= 0:
                skipped += nl + 1
                self.consume(nl + 1)
                return skipped
            skipped += len(self.pending)
            self.offset += len(self.pending)
            self.pending = b""
            if not self._read():
                return skipped


# ------------------------------------------------------------------ tables of a file


class Survey:
    """Pass 1 over a JSON lines file: its blocks, tables, columns, and the blocks kept in memory."""

    def __init__(self, budget: int):
        self.spans: list[Span] = []
        self.cache: dict[int, Block] = {}
        self.budget, self.cached = budget, 0
        self.columns: dict[str, dict[str, None]] = {}
        self.parents: dict[str, str | None] = {}
        self.valued: dict[str, set[str]] = {}
        self.containers: dict[str, set[str]] = {}
        self.counters: dict[str, int] = {}

    def add(self, span: Span, block: Block) -> None:
        for table, part in block.parts.items():
            if table not in self.columns:
                self.columns[table], self.parents[table] = {}, block.parents[table]
                self.valued[table] = set()
            self.columns[table].update(dict.fromkeys(part.names))
            self.valued[table].update(n for n, a in zip(part.names, part.arrays) if a.null_count < len(a))
        for table, paths in block.containers.items():
            self.containers.setdefault(table, set()).update(paths)
        for table, n in block.counts.items():
            self.counters[table] = self.counters.get(table, 0) + n
        self.spans.append(span)
        size = block.nbytes
        if self.cached + size <= self.budget:
            self.cache[len(self.spans) - 1] = block
            self.cached += size

    def table_columns(self, table: str) -> list[str]:
        """Columns in order of appearance, less the all-null ones that name an object or array path.

        (A JSON ``null`` where other records hold an object leaves no column, whichever way a block was read.)
        """
        dropped = self.containers.get(table, set()) - self.valued[table]
        return [name for name in self.columns[table] if name not in dropped]

    def release(self, table: str) -> None:
        """Forget a table's parts in the kept blocks (its batches have been read)."""
        for i in list(self.cache):
            block = self.cache[i]
            part = block.parts.pop(table, None)
            if part is not None:
                self.cached -= part.nbytes
            if not block.parts:
                del self.cache[i]


def survey(f, offset: int, budget: int, block_size: int, max_line: int, on_bad, on_progress) -> Survey:
    """Read every block once: learn tables and columns, quarantine what does not parse, keep blocks within budget."""
    found = Survey(budget)
    lines = Lines(f, offset, block_size, max_line)
    overrides = Overrides()
    while True:
        got = lines.block()
        if got is None:
            return found
        data, final = got
        if not final and b"\n" not in data:   # one line over the limit
            on_bad(lines.line, f"record larger than {max_line >> 20} MiB", data[:65536])
            found.counters[""] = found.counters.get("", 0) + 1
            lines.skip_line()
            continue
        span = Span(lines.offset, 0, lines.line, dict(found.counters))
        result = read_block(data, span, final, max_line, overrides)
        while result is None:
            more = lines.block(beyond=len(data))
            if more is None or len(more[0]) - len(data) > max_line:
                result = read_block(data, span, True, max_line, overrides)
                break
            data, final = more
            result = read_block(data, span, final, max_line, overrides)
        block, problems = result
        for line, reason, raw in problems:
            on_bad(line, reason, raw.encode("utf-8", errors="surrogateescape"))
        span.end = span.start + len(data)
        lines.consume(len(data))
        found.add(span, block)
        on_progress(lines.offset)


def table_batches(found: Survey, table: str, reader, batch_rows: int):
    """The batches of one table: kept blocks from memory, the others read again through ``reader()``.

    ``reader()`` returns an object whose ``get(i, span)`` reads block ``i`` again (blocks are asked
    for in order) and whose ``close()`` ends the reading.
    """
    from fuite.ingest.batches import batch_schema

    names = found.table_columns(table)
    position = {name: i for i, name in enumerate(names)}
    with_parent = found.parents[table] is not None
    schema = batch_schema(len(names), with_parent=with_parent)
    again = None
    try:
        for i, span in enumerate(found.spans):
            block = found.cache.get(i)
            if block is None:
                again = again or reader()
                block = again.get(i, span)
            part = block.parts.get(table)
            if part is None or not len(part.rows):
                continue
            n = len(part.rows)
            arrays: list[pa.Array | None] = [None] * len(names)
            for name, array in zip(part.names, part.arrays):
                j = position.get(name)
                if j is not None:
                    arrays[j] = array
            columns = [part.rows] + [a if a is not None else pa.nulls(n, pa.string()) for a in arrays]
            if with_parent:
                columns.append(part.parent_rows)
            batch = pa.RecordBatch.from_arrays(columns, schema=schema)
            for start in range(0, n, batch_rows):
                yield batch.slice(start, batch_rows)
        found.release(table)
    finally:
        if again is not None:
            again.close()


class BytesAgain:
    """Blocks of a JSON lines file read again from the file, at their byte offsets."""

    def __init__(self, stream, max_line: int):
        self.stream, self.at, self.max_line = stream, 0, max_line

    def get(self, i: int, span: Span) -> Block:
        _skip(self.stream, span.start - self.at)
        data = self.stream.read(span.end - span.start)
        self.at = span.end
        return reread(data, span, self.max_line)

    def close(self) -> None:
        self.stream.close()


def group_block(group: list[tuple[str, object, str | None]], span: Span, overrides: Overrides) -> Block:
    """The tables of a group of parsed records ``(root table, record or BAD, source text)``.

    Their source text goes through Arrow (one record a line) when every record is a
    plain object of the main table; otherwise, or when Arrow cannot vouch for the
    result, ``records_block`` flattens the parsed records.
    """
    if span.arrow and all(root == "" and type(record) is dict and raw for root, record, raw in group):
        try:
            block = arrow_block(_one_line_each(group), span.counters, overrides)
            if len(block.parts[""].rows) != len(group):
                raise Unsupported("records and rows do not match")
            span.overrides = overrides.schema
            return block
        except (Unsupported, pa.ArrowException, UnicodeError, ValueError):
            pass
    span.arrow = False
    return records_block([(root, record) for root, record, _ in group], span.counters)


def _one_line_each(group) -> bytes:
    """The records' source text, one record a line (newlines between tokens are plain whitespace in JSON)."""
    return "\n".join(raw.replace("\n", " ").replace("\r", " ") for _, _, raw in group).encode("utf-8") + b"\n"


class RecordsAgain:
    """Groups of records read again from the start of a record stream (arrays, pretty-printed JSON)."""

    def __init__(self, groups):
        self.groups, self.at = groups, 0

    def get(self, i: int, span: Span) -> Block:
        for group in self.groups:
            self.at += 1
            if self.at - 1 == i:
                return group_block(group, span, Overrides(span.overrides))
        raise Unsupported("the file changed while it was read")

    def close(self) -> None:
        self.groups.close()


def _skip(stream, n: int) -> None:
    if n <= 0:
        return
    if stream.seekable():
        stream.seek(n, io.SEEK_CUR)
        return
    while n > 0:
        got = len(stream.read(min(n, 8 << 20)))
        if not got:
            return
        n -= got
