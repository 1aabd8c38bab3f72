"""JSON lines read by blocks with Arrow give the tables the record-by-record reader gives, quarantine included."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_ingest_support import scan
from fuite.ingest.json import blocks as jsonblocks, file as jsonfile
from fuite.ingest.limits import Limits

FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _arrow_never(*args, **kwargs):
    raise jsonblocks.Unsupported("test: record by record only")


def _both(folder, monkeypatch, name: str, data: bytes, **kwargs):
    """The scan as shipped, and the scan with every block read record by record."""
    (folder / name).write_bytes(data)
    fast = scan(folder / name, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(jsonblocks, "arrow_block", _arrow_never)
        exact = scan(folder / name, **kwargs)
    return fast, exact


def _unordered(tables: dict) -> dict:
    """Column order aside: Arrow groups a new key with its object, record by record follows first appearance."""
    return {key: {**t, "columns": sorted(t["columns"])} for key, t in tables.items()}


def _same(fast, exact):
    assert _unordered(fast.tables) == _unordered(exact.tables)
    assert [(q.location, q.reason, q.raw) for q in fast.quarantined] == \
        [(q.location, q.reason, q.raw) for q in exact.quarantined]
    assert fast.problems == exact.problems


RECORDS = [
    {"ref": "A1", "identite": {"nom": "Dupont", "naissance": "1980-01-02"}, "tel": ["0601", "", None, 7],
     "actif": True, "n": 3, "analyses": [{"date": "2020-03-04 08:30:00", "res": [{"v": "1"}]}, {"date": None}]},
    {"ref": "A2", "identite": None, "tel": [], "actif": False, "analyses": []},
    {"ref": "", "identite": {}, "tel": None, "vide": None, "analyses": [None, {"code": "X"}]},
    {"ref": "A4", "identite": {"nom": "Zoé", "autre": {"x": "y"}}, "analyses": None},
]


def test_arrow_blocks_read_what_records_read(tmp_path, monkeypatch):
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS).encode("utf-8")
    fast, exact = _both(tmp_path, monkeypatch, "d.jsonl", data)
    _same(fast, exact)
    rows = fast.rows("d.jsonl")
    assert rows[0]["tel[]"] == "0601 ; 7" and rows[0]["actif"] == "true" and rows[0]["identite.naissance"] == "1980-01-02"
    assert rows[1]["tel[]"] is None and rows[2]["ref"] is None
    assert "identite" not in fast.tables[("d.jsonl", "")]["columns"]   # null where others hold an object: no column
    analyses = fast.tables[("d.jsonl", "analyses")]
    assert [(r["__row"], r["__parent_row"], r["date"]) for r in analyses["rows"]] == [
        (0, 0, "2020-03-04 08:30:00"), (1, 0, None), (2, 2, None)]
    assert fast.rows("d.jsonl", "analyses.res") == [{"__row": 0, "v": "1", "__parent_row": 0}]


@pytest.mark.parametrize("lines", [
    ['{"a": 1}', '{"a": "x"}'],                   # a type that changes
    ['{"a": 1.5}', '{"a": 1}'],                   # floats: Python's text, not Arrow's
    ['{"a": [[1, 2], 3]}', '{"a": []}'],          # arrays of arrays
    ['{"a": 1}', 'not json', '{"a": 3}'],         # a broken line: quarantined, keeps its index
    ['{"a": 1}', '{"a": {"b": 1}, "a.b": 2}'],    # two paths, one column name
    ['{"a": 1}', '{"a": "\xff"}'],                # not UTF-8
    ['{"a": 1}', '[1, 2]', '3'],                  # records that are not objects
    ['{"a": 1}', '{"b":', '  2}', '{"a": 4}'],    # one record over two lines
])
def test_blocks_arrow_cannot_vouch_for_are_read_record_by_record(tmp_path, monkeypatch, lines):
    data = "\n".join(lines).encode("utf-8", errors="surrogateescape") + b"\n"
    data = data.replace("\xff".encode("utf-8"), b"\xff")
    fast, exact = _both(tmp_path, monkeypatch, "d.jsonl", data)
    _same(fast, exact)


def test_small_blocks_and_no_cache_give_the_same_tables(tmp_path, monkeypatch):
    records = [dict(RECORDS[i % 4], ref=f"R{i}") for i in range(300)]
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    (tmp_path / "d.jsonl").write_bytes(data)
    whole = scan(tmp_path / "d.jsonl")
    monkeypatch.setattr(jsonfile, "BLOCK_BYTES", 700)
    small = scan(tmp_path / "d.jsonl", limits=Limits(max_cached_bytes=0))
    assert small.tables == whole.tables
    assert [r["__row"] for r in small.rows("d.jsonl")] == list(range(300))


def test_a_line_over_the_limit_is_set_aside(tmp_path, monkeypatch):
    monkeypatch.setattr(jsonfile, "BLOCK_BYTES", 600)   # the line cannot fit in a block: it is never held whole
    data = b'{"a": 1}\n{"a": "' + b"x" * 5000 + b'"}\n{"a": 3}\n'
    (tmp_path / "d.jsonl").write_bytes(data)
    s = scan(tmp_path / "d.jsonl", limits=Limits(max_line_bytes=1000))
    assert [(r["__row"], r["a"]) for r in s.rows("d.jsonl")] == [(0, "1"), (2, "3")]
    assert [(q.location, q.reason) for q in s.quarantined] == [("line 2", "line 2: record larger than 0 MiB")]


keys = st.text(alphabet="abc_", min_size=1, max_size=3)
scalars = (st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.text(alphabet="xyzé -:0123", max_size=12)
           | st.sampled_from(["2020-01-02", "2020-01-02T03:04:05", "", "1980-12-31 00:00:00"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
                      max_leaves=12)
records = st.dictionaries(keys, values, min_size=1, max_size=4)


@FUZZ
@given(batch=st.lists(records, min_size=2, max_size=8), junk=st.booleans())
def test_fuzz_blocks_and_records_agree(tmp_path_factory, monkeypatch, batch, junk):
    lines = [json.dumps(r, ensure_ascii=False) for r in batch]
    if junk:
        lines.insert(1, '{"broken": ')
    fast, exact = _both(tmp_path_factory.mktemp("j"), monkeypatch, "r.jsonl", ("\n".join(lines) + "\n").encode())
    _same(fast, exact)


@pytest.mark.parametrize("layout", ["array", "pretty", "concatenated"])
def test_other_layouts_read_the_same_both_ways_and_again(tmp_path, monkeypatch, layout):
    records = [dict(RECORDS[i % 4], ref=f"R{i}", tel=["06", "", None] if i % 4 == 0 else RECORDS[i % 4].get("tel"))
               for i in range(60)] + [{"n": 1.5}, {"n": 2}]
    if layout == "array":
        text = json.dumps(records, indent=1)
    elif layout == "pretty":
        text = "\n".join(json.dumps(r, indent=2) for r in records)
    else:
        text = " ".join(json.dumps(r) for r in records)
    monkeypatch.setattr(jsonfile, "GROUP_RECORDS", 16)   # the last group (floats) is read record by record
    read = []
    original = jsonblocks.arrow_block

    def spy(*args):
        read.append(original(*args))
        return read[-1]

    monkeypatch.setattr(jsonblocks, "arrow_block", spy)
    fast, exact = _both(tmp_path, monkeypatch, "d.json", text.encode())
    _same(fast, exact)
    assert len(read) >= 3
    monkeypatch.setattr(jsonfile, "GROUP_RECORDS", 7)
    again = scan(tmp_path / "d.json", limits=Limits(max_cached_bytes=0))   # every group read again per table
    assert _unordered(again.tables) == _unordered(fast.tables)
    assert [r["n"] for r in fast.rows("d.json")][-2:] == ["1.5", "2"]


def test_a_broken_array_keeps_what_came_before(tmp_path, monkeypatch):
    fast, exact = _both(tmp_path, monkeypatch, "d.json", b'[{"a": 1}, {"a": "2020-01-02"}, {"a": ')
    _same(fast, exact)
    assert [r["a"] for r in fast.rows("d.json")] == ["1", "2020-01-02"]
