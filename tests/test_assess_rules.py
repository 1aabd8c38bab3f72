"""ENISA 2013 severity: the rules, per person and for the breach, and the documentation kept in step."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_notify_support import PEOPLE, persons_table

from fuite import taxonomy
from fuite.assess.rules import RULES, Circumstances, PersonFacts, level_of
from fuite.assess.severity import SEVERITY_SCHEMA, assess_breach, assess_persons, score_facts

ROOT = Path(__file__).resolve().parents[1]
LEAK = Circumstances(confidentiality="unknown_recipients", malicious=True, health_context=True)
QUIET = Circumstances(confidentiality="none", malicious=False, health_context=False)


@pytest.mark.parametrize("score, level", [
    (0, "low"), (1.99, "low"), (2, "medium"), (2.99, "medium"), (3, "high"), (3.99, "high"), (4, "very_high"),
    (5.5, "very_high"),
])
def test_thresholds(score, level):
    assert level_of(score) == level


@pytest.mark.parametrize("cats, health, hiv, circ, dpc, ei, cb, level, reason", [
    # only a last name, nothing else, outside health care, no circumstance: low
    ({"last_name"}, False, False, QUIET, 1, 0.5, 0, "low", "ei.partial_name"),
    # name + date of birth in a lab's files published by an attacker: 3 × 1 + 1
    ({"last_name", "first_name", "birth_date"}, False, False, LEAK, 3, 1, 1, "very_high", "ei.name_birth_date"),
    # a NIR identifies alone; outside health care it is still DPC 3
    ({"nir"}, False, False, QUIET, 3, 1, 0, "high", "ei.nir"),
    # an email alone, quiet circumstances: 1 × 0.75 = low
    ({"email"}, False, False, QUIET, 1, 0.75, 0, "low", "ei.contact"),
    # health data with a quiet score is lifted to high (EDPB)
    ({"blood_group"}, False, False, QUIET, 4, 0.25, 0, "high", "floor.health"),
    # HIV: special condition
    ({"last_name", "first_name", "email"}, True, True, LEAK, 4, 0.75, 1, "very_high", "dpc.special_condition"),
    # insurer gives DPC 2; with known recipients +0.25
    ({"insurer_name", "last_name", "first_name", "street_address"}, False, False,
     Circumstances("known_recipients", health_context=False), 2, 1, 0.25, "medium", "dpc.insurer"),
    # everything lost for good, malicious: CB = 0.5 + 0.5 + 0.5 + 0.5
    ({"email"}, False, False, Circumstances("unknown_recipients", "lost", "lost", True, False), 1, 0.75, 2,
     "medium", "cb.availability_lost"),
])
def test_person_scores(cats, health, hiv, circ, dpc, ei, cb, level, reason):
    s = score_facts(PersonFacts(frozenset(cats), health, hiv, frozenset({"hiv"} if hiv else set())), circ)
    assert (s.dpc.value, s.ei.value, s.cb_value, s.level) == (dpc, ei, cb, level)
    assert s.value == pytest.approx(dpc * ei + cb)
    assert reason in s.reasons


def test_assess_persons_keeps_order_and_schema_and_explains():
    table = persons_table()
    result = assess_persons(table, LEAK)
    assert result.schema == SEVERITY_SCHEMA
    assert result.column("person_id").to_pylist() == [r["person_id"] for r in PEOPLE]
    for row in result.to_pylist():
        assert row["score"] == pytest.approx(row["dpc"] * row["ei"] + row["cb"])
        assert all(r in RULES for r in row["reasons"].split(";"))
    by_id = {r["person_id"]: r for r in result.to_pylist()}
    assert by_id[2]["level"] == "very_high" and "dpc.special_condition" in by_id[2]["reasons"]
    assert "ei.nir" in by_id[4]["reasons"]   # the NIR column proves it exposed even if categories missed it
    assert by_id[6]["ei"] == 0.5 and by_id[6]["dpc"] == 3   # a lone surname from a lab


def test_assess_persons_handles_missing_columns_and_empty_tables():
    assert assess_persons(persons_table([]), LEAK).num_rows == 0
    bare = pa.table({"person_id": pa.array([1, 2], pa.int64()), "categories": ["nir", None]})
    result = assess_persons(bare, QUIET).to_pylist()
    assert [r["ei"] for r in result] == [1, 0.25]


def test_breach_is_worst_case_and_distribution_adds_up():
    breach = assess_breach(persons_table(), LEAK)
    assert breach.persons == len(PEOPLE)
    assert sum(breach.distribution.values()) == len(PEOPLE)
    assert breach.score.dpc.value == 4 and breach.score.ei.value == 1 and breach.level == "very_high"
    assert breach.hiv == 1 and breach.nir == 2 and breach.health == 3
    assert breach.categories["last_name"] == 6 and breach.conditions == {"hiv": 1, "pregnancy": 1}


category_sets = st.sets(st.sampled_from(taxonomy.CATEGORY_IDS), max_size=8)
circumstances = st.builds(Circumstances, st.sampled_from(["none", "known_recipients", "unknown_recipients"]),
                          st.sampled_from(["none", "recoverable", "lost"]),
                          st.sampled_from(["none", "temporary", "lost"]), st.booleans(), st.booleans())


@settings(max_examples=300, deadline=None)
@given(category_sets, category_sets, st.booleans(), circumstances)
def test_more_exposed_data_never_lowers_the_score(base, extra, health, circ):
    low = score_facts(PersonFacts(frozenset(base), health), circ)
    high = score_facts(PersonFacts(frozenset(base | extra), health), circ)
    assert high.value >= low.value
    assert 0.25 <= low.value <= 6
    order = ["low", "medium", "high", "very_high"]
    assert order.index(high.level) >= order.index(low.level)
    if health or (base & {"blood_group", "health_note", "medication", "sample_date"}):
        assert order.index(low.level) >= order.index("high")


def test_every_rule_is_documented_with_its_value():
    doc = (ROOT / "docs" / "assess.md").read_text(encoding="utf-8")
    for rule in RULES.values():
        row = re.search(rf"^\|\s*`{re.escape(rule.id)}`\s*\|\s*([0-9.]+)\s*\|", doc, re.M)
        assert row, f"{rule.id} missing from docs/assess.md"
        assert float(row.group(1)) == rule.value
