"""The breach summary stored in the index: categories, advice, contacts, HIBP mapping; never identifiers."""

import json

import pytest

from fuite import taxonomy
from fuite.lookup.guidance import advice_for, breach_summary
from fuite.lookup.synthetic import synthetic_persons
from fuite.server.hibp import DATA_CLASSES, hibp_breach

NOW = "2026-01-02T03:04:05+00:00"


@pytest.mark.parametrize("exposed, expected", [
    (set(), 1),                                      # general advice only
    ({"email"}, 2),
    ({"email", "nir", "hiv", "street_address"}, 5),
    ({"medication"}, 2),
])
def test_advice_follows_the_exposed_categories(exposed, expected):
    advice = advice_for(exposed)
    assert len(advice) == expected
    assert all(a["fr"] and a["en"] and a["fr"] != a["en"] for a in advice)
    assert "cybermalveillance.gouv.fr" in advice[-1]["fr"]


def test_summary_from_persons_and_case_file():
    persons = synthetic_persons(30, seed=4, categories="email;phone;blood_group", conditions="hiv;pregnancy")
    settings = {"breach": {"title": "Fuite des laboratoires d'analyses", "date": "2021-02-23"},
                "controller": {"name": "Labo", "email": "dpo@labo.test"}, "dpo": {"phone": "+33100000000"}}
    summary = breach_summary(persons, settings, NOW)
    assert summary["name"] == "FuiteDesLaboratoiresDAnalyses"
    assert [c["id"] for c in summary["categories"]] == ["phone", "email", "blood_group"]  # taxonomy order
    assert [c["id"] for c in summary["conditions"]] == ["hiv", "pregnancy"]
    assert summary["pwn_count"] == 30 and summary["breach_date"] == "2021-02-23"
    assert [c["role"]["en"] for c in summary["contacts"]] == ["Data controller", "Data protection officer"]
    text = json.dumps(summary)
    for column in ("emails", "phones", "nir", "birth_date"):
        for value in persons[column].drop_null().to_pylist()[:10]:
            assert value.split(";")[0] not in text


def test_summary_defaults_without_case_file():
    summary = breach_summary(synthetic_persons(3), {}, NOW)
    assert summary["breach_date"] == "2026-01-02" and summary["contacts"] == []
    assert summary["description"]["fr"] and summary["description"]["en"]


def test_every_category_and_condition_has_a_hibp_data_class():
    personal = [c.id for c in taxonomy.CATEGORIES if c.group not in ("none", "technical")]
    assert set(personal) | set(taxonomy.SPECIAL_CONDITIONS) <= set(DATA_CLASSES)


def test_hibp_breach_object():
    summary = breach_summary(synthetic_persons(5, categories="nir;email;health_note"), {"breach": {"name": "X"}}, NOW)
    breach = hibp_breach(summary)
    assert breach["IsSensitive"] is True and breach["IsVerified"] is True
    assert breach["AddedDate"] == "2026-01-02T03:04:05Z" and breach["BreachDate"] == "2026-01-02"
    assert breach["DataClasses"] == ["Email addresses", "Government issued IDs", "HIV statuses", "Medical records"]


def test_case_file_written_by_case_init_is_understood():
    import datetime as dt

    settings = {"breach": {"discovered_at": dt.datetime(2021, 2, 23, 9, tzinfo=dt.timezone.utc), "started_at": ""},
                "controller": {"name": "Laboratoire", "address": "1 rue de l'Exemple, 35000 Rennes"},
                "dpo": {"name": "", "email": "", "phone": ""},
                "contact": {"phone": "+33200000000", "email": "", "url": "https://verif.example.fr"}}
    summary = breach_summary(synthetic_persons(2), settings, NOW)
    assert summary["breach_date"] == "2021-02-23"
    assert summary["contacts"][0] == {"role": {"fr": "Pour vous aider", "en": "Where to get help"},
                                      "phone": "+33200000000", "website": "https://verif.example.fr"}
    assert summary["contacts"][1]["address"].startswith("1 rue") and len(summary["contacts"]) == 2
