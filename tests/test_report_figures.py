"""fuite.report.figures: aggregate figures from hand-built Arrow tables, checked against plain-Python truth."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuite.report import FORMAT, build_figures, mask_figures
from fuite.report.masking import MASKED, SMALL_COUNT, is_small, mask_count
from fuite.schema import PERSON_SCHEMA, RECORD_SCHEMA
from fuite.taxonomy import CATEGORY_IDS, SPECIAL_CONDITIONS

LAST = ["Le Goff", "Kerbrat", "Quéméner", "Tanguy", "Le Bihan", "Morvan", "Guillou", "Prigent", "Jaouen", "Floch"]
FIRST = ["Maëlle", "Yannick", "Gwenaëlle", "Erwan", "Soizic", "Loïc", "Nolwenn", "Tugdual", "Katell", "Ronan"]
LABS = ["Bio Armor Brest", "Labo Iroise Quimper", "Océalab Vannes"]


@dataclass
class Drill:
    """A small hand-built case: the tables fuite.report reads, plus the truth and the identifiers."""

    tables: dict = field(default_factory=dict)
    truth: dict = field(default_factory=dict)
    identifiers: list[str] = field(default_factory=list)


def _nir(rng: random.Random) -> str:
    body = f"{rng.choice('12')}{rng.randint(40, 99):02d}{rng.randint(1, 12):02d}{rng.choice(['29', '35', '56', '22'])}" \
           f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    return f"{body}{97 - int(body) % 97:02d}"


def hand_built(persons: int = 60, seed: int = 0) -> Drill:
    """Persons spread over three sources; a few rare conditions so that some counts are small."""
    rng = random.Random(seed)
    people = []
    for pid in range(persons):
        last, first = f"{rng.choice(LAST)}{pid:03d}x", rng.choice(FIRST)
        conditions = []
        if pid % 5 == 0:
            conditions.append("pregnancy")
        if pid in (3, 17, 41):
            conditions.append("hiv")
        if pid == 8:
            conditions.append("addiction")
        people.append({
            "person_id": pid, "last_name": last, "first_name": first, "nir": _nir(rng),
            "email": f"{first.lower()}.{last.lower().replace(' ', '')}@exemple.fr",
            "phone": f"+3361{rng.randint(0, 9999999):07d}", "conditions": conditions,
            "lab": LABS[2] if pid < 4 else rng.choice(LABS[:2]),
            "email_exposed": pid % 2 == 0,
        })
    records, rid = [], 0
    sources = [("patients.csv", "", "csv"), ("dump.sql", "analyses", "sql"), ("export.jsonl", "", "json")]
    months = Counter()
    for p in people:
        for source_id in ([0, 1] if p["person_id"] % 3 else [0, 1, 2]):
            file, table, _ = sources[source_id]
            month = f"20{19 + rid % 2}-{1 + rid % 12:02d}"
            date = f"{month}-{1 + rid % 28:02d}" if rid % 11 else "31/02/2019"  # some unusable dates
            if rid % 11:
                months[month] += 1
            cats = ["last_name", "first_name", "nir"] + (["email"] if p["email_exposed"] and source_id == 0 else [])
            if source_id == 1:
                cats += ["sample_date", "lab_name"] + (["medication"] if p["conditions"] else [])
            records.append({
                "record_id": rid, "source_id": source_id, "file": file, "table": table, "row": rid,
                "last_name": p["last_name"], "first_name": p["first_name"], "nir": p["nir"], "email": p["email"],
                "phone": p["phone"], "lab": p["lab"] if source_id == 1 else None, "sample_date": date,
                "categories": ";".join(cats), "health": bool(p["conditions"]) and source_id == 1,
                "hiv": "hiv" in p["conditions"] and source_id == 1,
                "conditions": ";".join(p["conditions"]) if source_id == 1 and p["conditions"] else None,
                "person_id": p["person_id"],
            })
            p.setdefault("categories", set()).update(cats)
            rid += 1
    person_rows = [{
        "person_id": p["person_id"], "records": sum(r["person_id"] == p["person_id"] for r in records),
        "last_name": p["last_name"], "first_name": p["first_name"], "nir": p["nir"], "email": p["email"],
        "phone": p["phone"], "categories": ";".join(sorted(p["categories"])), "health": bool(p["conditions"]),
        "hiv": "hiv" in p["conditions"], "conditions": ";".join(p["conditions"]) or None,
    } for p in people]
    rows_per_source = Counter(r["source_id"] for r in records)
    quarantined = {0: 3, 1: 0, 2: 12}
    drill = Drill()
    drill.tables = {
        "records": pa.Table.from_pylist(records, schema=RECORD_SCHEMA),
        "persons": pa.Table.from_pylist(person_rows, schema=PERSON_SCHEMA),
        "sources": pa.Table.from_pylist([
            {"source_id": i, "file": f, "table": t, "format": fmt, "encoding": "utf-8", "columns": "[]",
             "relations": "[]", "parent": "", "rows": rows_per_source[i], "quarantined": quarantined[i]}
            for i, (f, t, fmt) in enumerate(sources)]),
        "columns": pa.table({
            "file": ["patients.csv"] * 3 + ["export.jsonl"] * 2,
            "table": [""] * 5,
            "column": ["nom", "prenom", "Le Goff000x", "identite.nom", "x"],  # a misread header row
            "position": pa.array([0, 1, 2, 0, 1], pa.int32()),
            "category": ["last_name", "first_name", "last_name", "last_name", "other"],
            "confidence": [0.97, 0.95, 0.41, 0.9, 0.2],
        }),
        "quarantine": pa.table({
            "file": ["patients.csv"] * 3 + ["export.jsonl"] * 12, "table": [""] * 15,
            "location": [f"line {i}" for i in range(15)],
            "reason": ["7 fields, expected 9"] * 3 + ["invalid JSON"] * 12,
        }),
        "problems": pa.table({"file": ["scan.pdf", "broken.xlsx"], "reason": ["unsupported format", "not a zip file"]}),
        "severity": pa.table({"person_id": pa.array(range(persons), pa.int64()),
                              "level": ["very_high" if p["conditions"] else "high" for p in people]}),
    }
    category_counts = Counter(c for p in people for c in p["categories"])
    drill.truth = {
        "records": len(records), "persons": persons,
        "hiv": sum("hiv" in p["conditions"] for p in people),
        "health": sum(bool(p["conditions"]) for p in people),
        "categories": category_counts,
        "conditions": Counter(c for p in people for c in p["conditions"]),
        "rows": {f: rows_per_source[i] for i, (f, _, _) in enumerate(sources)},
        "quarantined": {f: quarantined[i] for i, (f, _, _) in enumerate(sources)},
        "months": months, "no_date": sum(1 for r in records if not r["record_id"] % 11),
        "persons_per_file": {f: len({r["person_id"] for r in records if r["file"] == f}) for f, _, _ in sources},
        "lab_persons": Counter(p["lab"] for p in people),
        "very_high": sum(bool(p["conditions"]) for p in people),
    }
    drill.identifiers = [v for p in people for v in (p["last_name"], p["nir"], p["email"], p["phone"])]
    return drill


@pytest.fixture(scope="module")
def drill() -> Drill:
    return hand_built()


@pytest.fixture(scope="module")
def figures(drill) -> dict:
    return build_figures(**drill.tables)


def test_headline_counts(drill, figures):
    assert figures["format"] == FORMAT
    assert figures["records"] == drill.truth["records"]
    assert figures["persons"] == drill.truth["persons"]
    assert figures["persons_hiv"] == drill.truth["hiv"] == 3
    assert figures["persons_health"] == drill.truth["health"]


def test_persons_per_category_covers_the_whole_taxonomy(drill, figures):
    per = figures["persons_per_category"]
    assert list(per)[:len(CATEGORY_IDS)] == list(CATEGORY_IDS)
    for cid in CATEGORY_IDS:
        assert per[cid] == drill.truth["categories"].get(cid, 0), cid


def test_persons_per_condition(drill, figures):
    assert set(figures["persons_per_condition"]) == set(SPECIAL_CONDITIONS)
    for key in SPECIAL_CONDITIONS:
        assert figures["persons_per_condition"][key] == drill.truth["conditions"].get(key, 0), key


def test_per_file_rows_and_quarantine(drill, figures):
    assert set(figures["files"]) == set(drill.truth["rows"])
    for file, entry in figures["files"].items():
        assert entry["rows_read"] == drill.truth["rows"][file]
        assert entry["rows_quarantined"] == drill.truth["quarantined"][file]
        assert entry["persons"] == drill.truth["persons_per_file"][file]
    assert figures["quality"]["rows_quarantined"] == sum(drill.truth["quarantined"].values())
    assert figures["quality"]["quarantine_reasons"] == {"invalid JSON": 12, "7 fields, expected 9": 3}


def test_per_source_lists_categories_of_rows_and_columns(figures):
    by_key = {(s["file"], s["table"]): s for s in figures["sources"]}
    assert by_key[("dump.sql", "analyses")]["format"] == "sql"
    assert "medication" in by_key[("dump.sql", "analyses")]["categories"]
    assert "email" in by_key[("patients.csv", "")]["categories"]
    assert "other" not in by_key[("export.jsonl", "")]["categories"]


def test_timeline_and_period_skip_unusable_dates(drill, figures):
    assert figures["samples_per_month"] == dict(sorted(drill.truth["months"].items()))
    assert figures["sample_period"] == {"first": min(drill.truth["months"]), "last": max(drill.truth["months"])}
    assert figures["quality"]["records_without_sample_date"] == drill.truth["no_date"]


def test_labs_are_counted_not_named_by_default(figures):
    assert figures["labs"] == {"count": 3, "named": [], "unnamed": 3}


def test_labs_are_named_only_when_asked_and_shared_by_ten_persons(drill):
    labs = build_figures(**drill.tables, name_labs=True)["labs"]
    named = {lab["lab"]: lab["persons"] for lab in labs["named"]}
    expected = {lab: n for lab, n in drill.truth["lab_persons"].items() if n >= SMALL_COUNT}
    assert named == expected and len(expected) == 2
    assert labs["count"] == 3 and labs["unnamed"] == 1


def test_low_confidence_columns_are_named_by_position_only(figures):
    low = figures["quality"]["low_confidence_columns"]
    assert [(c["file"], c["position"]) for c in low] == [("export.jsonl", 1), ("patients.csv", 2)]
    assert "Le Goff000x" not in json.dumps(figures)


def test_severity_distribution(drill, figures):
    sev = figures["severity"]
    assert sev["persons_per_level"] == {"low": 0, "medium": 0, "high": drill.truth["persons"] - drill.truth["very_high"],
                                        "very_high": drill.truth["very_high"]}
    assert sev["assessed"] == drill.truth["persons"] and sev["not_assessed"] == 0


def test_severity_absent_and_numeric_levels(drill):
    tables = dict(drill.tables, severity=None)
    assert build_figures(**tables)["severity"] is None
    numeric = pa.table({"person_id": pa.array([0, 1, 2], pa.int64()), "level": ["4", "3", "Very high"]})
    sev = build_figures(**dict(tables, severity=numeric))["severity"]
    assert sev["persons_per_level"]["very_high"] == 2 and sev["persons_per_level"]["high"] == 1
    assert sev["not_assessed"] == drill.truth["persons"] - 3


def test_no_identifier_in_the_figures(drill, figures):
    text = json.dumps(figures, ensure_ascii=False)
    assert not [v for v in drill.identifiers if v in text]


def test_persons_from_records_before_resolve(drill):
    """Without a persons table each person_id of records is a person, with the union of its flags."""
    figures = build_figures(**dict(drill.tables, persons=None))
    assert figures["persons"] == drill.truth["persons"]
    assert figures["persons_hiv"] == drill.truth["hiv"]
    assert figures["persons_per_category"]["email"] == drill.truth["categories"]["email"]


def test_quarantine_counted_from_quarantine_table_when_sources_lack_it(drill):
    sources = drill.tables["sources"].drop_columns(["quarantined"])
    figures = build_figures(**dict(drill.tables, sources=sources))
    assert {f: e["rows_quarantined"] for f, e in figures["files"].items()} == drill.truth["quarantined"]


def test_empty_case():
    figures = build_figures(sources=None, records=RECORD_SCHEMA.empty_table(), persons=PERSON_SCHEMA.empty_table())
    assert figures["records"] == 0 and figures["persons"] == 0 and figures["files"] == {}
    assert figures["sample_period"] is None and figures["samples_per_month"] == {}
    assert set(figures["persons_per_category"].values()) == {0}
    json.dumps(figures)  # serialisable


# -- masking ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("n", "shown"), [(0, 0), (1, MASKED), (9, MASKED), (10, 10), (491_840, 491_840)])
def test_mask_count(n, shown):
    assert mask_count(n) == shown


def test_mask_figures_masks_person_counts_only(figures):
    masked = mask_figures(figures)
    assert masked["persons_hiv"] == MASKED
    assert masked["persons_per_condition"]["addiction"] == MASKED
    assert masked["persons_per_condition"]["pregnancy"] == figures["persons_per_condition"]["pregnancy"] >= 10
    assert masked["quality"]["rows_quarantined"] == figures["quality"]["rows_quarantined"]  # files, not persons
    assert masked["files"]["patients.csv"]["rows_quarantined"] == 3
    assert figures["persons_hiv"] == 3, "masking must not touch the exact sheet"


_PERSON_KEYS = {"records", "persons", "persons_health", "persons_hiv", "rows_read", "assessed", "not_assessed"}


def _small_person_counts(value, key=None):
    if isinstance(value, dict):
        maps = {"persons_per_category", "persons_per_condition", "persons_per_level", "samples_per_month"}
        if key in maps:
            return [v for v in value.values() if isinstance(v, int) and is_small(v)]
        return [x for k, v in value.items() for x in _small_person_counts(v, k)]
    if isinstance(value, list):
        return [x for v in value for x in _small_person_counts(v, key)]
    return [value] if key in _PERSON_KEYS and isinstance(value, int) and is_small(value) else []


@settings(max_examples=40, deadline=None)
@given(persons=st.integers(min_value=0, max_value=40), seed=st.integers(min_value=0, max_value=10_000))
def test_masked_sheet_never_shows_a_small_person_count(persons, seed):
    drill = hand_built(persons=max(persons, 1), seed=seed)
    masked = mask_figures(build_figures(**drill.tables))
    assert _small_person_counts(masked) == []


_junk = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["2019-13-01", "0000-00-00", "2019-02", "٢٠١٩-٠١-٠١",
                                                                     "2020-06-31", "🙂", "2019-1-1"]))


@settings(max_examples=60, deadline=None)
@given(dates=st.lists(_junk, min_size=1, max_size=20), cats=st.lists(st.one_of(st.none(), st.text(max_size=20)),
                                                                        min_size=1, max_size=20))
def test_junk_values_never_break_the_figures(dates, cats):
    n = min(len(dates), len(cats))
    records = pa.Table.from_pylist([
        {"record_id": i, "source_id": 0, "file": "f.csv", "table": "", "person_id": i % 3, "sample_date": dates[i],
         "categories": cats[i], "lab": cats[i], "conditions": cats[i]} for i in range(n)], schema=RECORD_SCHEMA)
    figures = build_figures(sources=None, records=records)
    assert figures["records"] == n
    assert all(re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", m) for m in figures["samples_per_month"])
    assert sum(figures["samples_per_month"].values()) + figures["quality"]["records_without_sample_date"] == n
    json.dumps(figures)


_ITEMS = st.sampled_from(["last_name", "nir", "blood_group", "hiv", "", "x y"])


def _union_truth(rows: list[tuple], k: int) -> str:
    items = {item for row in rows if row[k] is not None for item in row[k].split(";")}
    return ";".join(sorted(items))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.none() | st.lists(_ITEMS, max_size=4).map(";".join),
                          st.none() | st.booleans(), st.none() | st.booleans(),
                          st.none() | st.lists(st.sampled_from(list(SPECIAL_CONDITIONS)), max_size=3).map(";".join)),
                min_size=1, max_size=30),
       st.booleans())
def test_persons_of_records_unites_each_persons_own_records(rows, many_items):
    """The union per person (sorted items, "" when none; any flag), whatever the values, on the bit-mask path and
    on the path for more items than a mask holds."""
    import polars as pl

    from fuite.assess.figures import persons_of_records

    if many_items:   # 70 items more: the values are split one by one
        rows = rows + [(99, ";".join(f"extra{k}" for k in range(70)), None, None, None)]
    frame = pl.DataFrame(rows, schema={"person_id": pl.Int64, "categories": pl.String, "hiv": pl.Boolean,
                                       "health": pl.Boolean, "conditions": pl.String}, orient="row")
    got = {r["person_id"]: r for r in persons_of_records(frame).iter_rows(named=True)}
    for pid in {row[0] for row in rows}:
        mine = [row for row in rows if row[0] == pid]
        assert got[pid] == {"person_id": pid, "categories": _union_truth(mine, 1), "hiv": any(r[2] for r in mine),
                            "health": any(r[3] for r in mine), "conditions": _union_truth(mine, 4)}
    assert len(got) == len({row[0] for row in rows})
