"""The small parts of resolve: B-cubed, union-find, relations, masking, the engine seam."""

from __future__ import annotations

import json
import os

import numpy as np
import pyarrow as pa
import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from fuite.errors import LinkError, UsageError
from fuite.resolve import bcubed, make_db_api
from fuite.resolve.clusters import components
from fuite.resolve.explain import MASKED_FIELDS, mask
from fuite.resolve.relations import child_links, parent_record_ids
from fuite.schema import RECORD_SCHEMA

# ---------------------------------------------------------------- B-cubed


@pytest.mark.parametrize("predicted, truth, precision, recall", [
    ([1, 1, 2], [1, 1, 2], 1.0, 1.0),
    ([1, 1, 1], [1, 1, 2], 5 / 9, 1.0),           # one cluster for two persons
    ([1, 2, 3], [1, 1, 1], 1.0, 1 / 3),           # one person split in three
    ([1, 1, 2, 2], [1, 2, 1, 2], 0.5, 0.5),
])
def test_bcubed_known_values(predicted, truth, precision, recall):
    score = bcubed(predicted, truth)
    assert score.precision == pytest.approx(precision)
    assert score.recall == pytest.approx(recall)
    assert score.f1 == pytest.approx(2 * precision * recall / (precision + recall))


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=40))
@settings(max_examples=80, deadline=None)
def test_bcubed_bounds_and_symmetry(pairs):
    predicted, truth = [p for p, _ in pairs], [t for _, t in pairs]
    score = bcubed(predicted, truth)
    assert 0 < score.precision <= 1 and 0 < score.recall <= 1
    swapped = bcubed(truth, predicted)
    assert swapped.precision == pytest.approx(score.recall)
    same_partition = len(set(pairs)) == len(set(predicted)) == len(set(truth))
    assert (score.f1 == pytest.approx(1.0)) == same_partition


def test_bcubed_rejects_null_labels():
    with pytest.raises(ValueError):
        bcubed([1, None], [1, 2])


# ---------------------------------------------------------------- union-find


def _reference(size, edges):
    parent = list(range(size))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    roots = [find(i) for i in range(size)]
    smallest = {}
    for i, r in enumerate(roots):
        smallest.setdefault(r, i)
    return [smallest[r] for r in roots]


@given(st.integers(1, 60).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=80))))
@settings(max_examples=150, deadline=None)
def test_components_match_a_plain_union_find(case):
    size, edges = case
    left = np.array([a for a, _ in edges], dtype=np.int64)
    right = np.array([b for _, b in edges], dtype=np.int64)
    assert components(size, left, right).tolist() == _reference(size, edges)


def test_components_long_chain():
    n = 10_000
    labels = components(n, np.arange(n - 1)[::-1], np.arange(1, n)[::-1])
    assert (labels == 0).all()


# ---------------------------------------------------------------- relations


def _sources(rows):
    return pa.Table.from_pylist([
        {"source_id": i, "file": f, "table": t, "columns": json.dumps(cols), "relations": json.dumps(rels),
         "parent": parent} for i, (f, t, cols, rels, parent) in enumerate(rows)])


def _raw(rows, width, parent_rows=None):
    data = {"__row": pa.array(range(len(rows)), pa.int64())}
    for c in range(width):
        data[f"c{c}"] = pa.array([r[c] for r in rows], pa.string())
    if parent_rows is not None:
        data["__parent_row"] = pa.array(parent_rows, pa.int64())
    return pa.table(data)


def test_sql_foreign_keys_and_json_nesting_link_child_rows():
    sources = _sources([
        ("dump.sql", "patients", ["id", "nom"], [], ""),
        ("dump.sql", "analyses", ["id", "patient_id", "code"],
         [{"child_column": "patient_id", "parent_table": "patients", "parent_column": "id"}], ""),
        ("p.jsonl", "", ["ref", "nom"], [], ""),
        ("p.jsonl", "prelevements", ["date"], [], ""),     # parent not named: found through __parent_row
    ])
    raw = {
        0: _raw([("10", "A"), ("11", "B"), ("12", "C"), ("12", "D")], 2),   # key 12 is ambiguous
        1: _raw([("1", " 11 ", "x"), ("2", "10", "y"), ("3", "99", "z"), ("4", "12", "w")], 3),
        2: _raw([("r1", "E"), ("r2", "F")], 2),
        3: _raw([("2020-01-01",), ("2020-01-02",), ("2020-01-03",)], 1, parent_rows=[1, 1, 0]),
    }
    links = child_links(sources, raw.get)
    assert links.unmatched == 2            # 99 has no parent, 12 is ambiguous
    assert links.ambiguous_keys == 1
    pairs = {(r["source_id"], r["row"]): (r["parent_source_id"], r["parent_row"]) for r in links.rows.to_dicts()}
    assert pairs == {(1, 0): (0, 1), (1, 1): (0, 0), (3, 0): (2, 1), (3, 1): (2, 1), (3, 2): (2, 0)}

    record_rows = [(s, r) for s, n in ((0, 4), (1, 4), (2, 2), (3, 3)) for r in range(n)]
    records = pa.Table.from_pylist(
        [{**{f.name: None for f in RECORD_SCHEMA}, "record_id": 100 + i, "source_id": s, "row": r}
         for i, (s, r) in enumerate(record_rows)], schema=RECORD_SCHEMA)
    parents = parent_record_ids(records, links).to_pylist()
    assert parents[4:8] == [101, 100, None, None]
    assert parents[10:13] == [109, 109, 108]
    assert parents[:4] == [None] * 4


def test_relation_to_a_missing_column_is_reported_without_values():
    sources = _sources([
        ("dump.sql", "patients", ["id"], [], ""),
        ("dump.sql", "analyses", ["id", "pid"],
         [{"child_column": "patient_id", "parent_table": "patients", "parent_column": "id"}], ""),
    ])
    links = child_links(sources, {0: _raw([("1",)], 1), 1: _raw([("1", "1")], 2)}.get)
    assert links.rows.height == 0
    assert links.problems == ["dump.sql: relation patient_id -> patients: column not found"]


# ---------------------------------------------------------------- masking

_VALUES = {"last_name": "Lefèvre", "first_name": "Élodie", "birth_date": "1980-03-12", "nir": "280037511234567",
           "phone": "+33612345678", "email": "elodie.lefevre@example.fr", "postal_code": "35000", "city": "Rennes"}


@pytest.mark.parametrize("field, expected", [
    ("last_name", "L******"), ("birth_date", "1980-**-**"), ("phone", "**********78"),
    ("email", "e*************@e******.fr"), ("postal_code", "35***"), ("nir", "2" + "*" * 14),
])
def test_mask_examples(field, expected):
    assert mask(field, _VALUES[field]) == expected


@pytest.mark.parametrize("field", MASKED_FIELDS)
def test_mask_never_shows_the_value(field):
    value = _VALUES[field]
    masked = mask(field, value)
    assert masked != value and value not in masked
    assert mask(field, None) is None and mask(field, "") is None


# ---------------------------------------------------------------- engine seam


def test_duckdb_engine_cannot_spill(monkeypatch):
    """Without the OpenSSL extension, DuckDB may not spill at all (encrypted spill: test_resolve_engine)."""
    from fuite.resolve import engine
    from fuite.resolve.engine import duckdb_spill_settings

    monkeypatch.setattr(engine, "httpfs_extension_path", lambda: None)
    settings = duckdb_spill_settings(make_db_api("duckdb"))
    assert settings["temp_directory"] == ""
    assert settings["max_temp_directory_size"] in ("0 bytes", "0B", "0.0 B")


def test_unknown_engine_is_a_usage_error():
    with pytest.raises(UsageError):
        make_db_api("oracle")


def test_spark_engine_without_pyspark_says_how_to_install():
    pytest.importorskip("splink")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        with pytest.raises(LinkError, match="pip install pyspark"):
            make_db_api("spark")
    else:
        pytest.skip("pyspark is installed: the Spark path is exercised elsewhere")


# ---------------------------------------------------------------- name folding

# names as leaks write them: Latin letters with diacritics, Greek/Cyrillic, digits, punctuation, odd spaces
_NAME_CHARS = st.characters(max_codepoint=0x4FF, exclude_categories=("Cs",)) | st.sampled_from("\u00a0\u2019\t")


@given(st.lists(st.one_of(st.none(), st.text(_NAME_CHARS, max_size=30)), min_size=1, max_size=20))
@settings(max_examples=100, deadline=None)
def test_fold_is_idempotent_and_plain(values):
    import polars as pl

    from fuite.resolve.features import fold

    once = pl.DataFrame({"v": values}, schema={"v": pl.String}).select(fold(pl.col("v"))).to_series()
    twice = pl.DataFrame({"v": once}).select(fold(pl.col("v"))).to_series()
    assert once.to_list() == twice.to_list()
    for value in once.drop_nulls().to_list():
        assert value and value == value.strip() and "  " not in value
        # regex knows newer Unicode than Python 3.11's str.isalnum (polars uppercases with Unicode 16)
        assert all(c == " " or regex.match(r"[\p{L}\p{N}\p{M}]", c) for c in value)


@pytest.mark.parametrize("raw, folded", [
    ("Lecœur", "LECOEUR"), ("Lefèvre-Dupont", "LEFEVRE DUPONT"), ("  d'Almeida ", "D ALMEIDA"),
    ("ÉLODIE", "ELODIE"), ("Ørsted", "ORSTED"), ("Иванов", "ИВАНОВ"), ("---", None), ("", None),
])
def test_fold_examples(raw, folded):
    import polars as pl

    from fuite.resolve.features import fold

    assert pl.DataFrame({"v": [raw]}).select(fold(pl.col("v"))).item() == folded


def test_out_of_memory_is_a_one_line_error_without_spilling(tmp_path, monkeypatch):
    from dataclasses import replace

    from fuite.resolve import DEFAULT_SETTINGS, resolve_records
    from fuite.schema import RECORD_SCHEMA

    monkeypatch.chdir(tmp_path)
    n = 20_000
    rows = [{**{f.name: None for f in RECORD_SCHEMA}, "record_id": i, "person_id": i, "file": "f.csv", "table": "",
             "row": i, "last_name": f"NOM{i % 50}", "first_name": f"P{i % 7}", "birth_date": "1990-01-01",
             "postal_code": "35000"} for i in range(n)]
    tight = replace(DEFAULT_SETTINGS, memory_limit="2MB", min_u_rows=10 ** 9, min_training_pairs=10 ** 12)
    with pytest.raises(LinkError, match="memory limit") as caught:
        resolve_records(pa.Table.from_pylist(rows, schema=RECORD_SCHEMA), settings=tight)
    assert "NOM" not in str(caught.value)
    assert os.listdir(tmp_path) == []


def test_every_setting_is_documented():
    from dataclasses import fields
    from pathlib import Path

    from fuite.resolve import ResolveSettings

    doc = (Path(__file__).resolve().parents[1] / "docs" / "resolve.md").read_text(encoding="utf-8")
    missing = [f.name for f in fields(ResolveSettings) if f"`{f.name}`" not in doc]
    assert missing == []
