"""The case file: the template parses, every bad value is named by its key, `fuite case init` and `case check`."""

from __future__ import annotations

import tomllib


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from test_notify_support import FILLED_CASE

from conftest import run_fuite
from fuite.assess.rules import Circumstances
from fuite.errors import ValidationError
from fuite.errors import CaseIncomplete
from fuite.store.casefile import PARIS, TEMPLATE, gaps, load_case_file, parse_case_file, require_complete


def test_template_states_no_fact_and_shows_the_2021_scenario_as_comments():
    cf = parse_case_file(tomllib.loads(TEMPLATE))
    assert cf.breach.discovered_at is None and cf.breach.malicious is None and not cf.breach.measures_taken
    assert cf.controller.name == "" and cf.dpo.email == "" and cf.smtp.sender == ""
    assert "# e.g. discovered_at = 2021-02-23T09:00:00+01:00" in TEMPLATE and "Dépôt de plainte" in TEMPLATE
    assert Circumstances.of(cf).malicious   # not stated yet: the severity assumes the worse
    assert cf.notification.kind == "initial" and not cf.require_operator
    for section in ("breach", "controller", "dpo", "contact", "smtp", "security", "notification"):
        assert f"[{section}]" in TEMPLATE


def test_every_missing_fact_of_the_template_is_named():
    found = gaps(parse_case_file(tomllib.loads(TEMPLATE)))
    keys = " ".join(found)
    for key in ("controller.name", "controller.address", "breach.discovered_at", "breach.measures_taken",
                "dpo.email"):
        assert key in keys
    assert len(found) == 5 and all("\n" not in line for line in found)
    assert gaps(parse_case_file(tomllib.loads(FILLED_CASE))) == []


@pytest.mark.parametrize("edit, key", [
    (('name = "Laboratoire Bioline Armor"', 'name = "Laboratoire d\'analyses (à compléter)"'), "controller.name"),
    (("4 quai Duguay-Trouin, 35000 Rennes", "1 rue de l'Exemple, 35000 Rennes"), "controller.address"),
    (("2026-03-02T10:15:00+01:00", "2021-02-23T09:00:00+01:00"), "breach.discovered_at"),
    (('"Plainte déposée auprès de la gendarmerie"', '"Dépôt de plainte"'), "breach.measures_taken"),
    (("notifications@bioline-armor.test", "dpo@laboratoire.example"), "smtp.from"),
    (('email = "dpo@bioline-armor.test"\nphone = "02 99 00 00 00"', 'email = ""\nphone = ""'), "dpo.email"),
])
def test_a_placeholder_or_example_left_in_is_named(edit, key):
    cf = parse_case_file(tomllib.loads(FILLED_CASE.replace(*edit)))
    found = gaps(cf)
    assert len(found) == 1 and found[0].startswith(key), found


def test_gates_refuse_naming_each_fact():
    with pytest.raises(CaseIncomplete) as info:
        require_complete(parse_case_file(tomllib.loads(TEMPLATE)), "notifying persons")
    message = str(info.value)
    assert "\n" not in message and "controller.name" in message and "breach.measures_taken" in message
    require_complete(parse_case_file(tomllib.loads(FILLED_CASE)), "notifying persons")


def test_template_comments_are_english_and_keys_the_store_reads_are_there():
    settings_ = tomllib.loads(TEMPLATE)
    assert settings_["security"] == {"require_operator": False, "retention_until": ""}
    for key in ("discovered_at", "started_at", "ended_at", "ongoing", "how_discovered", "origin", "malicious",
                "cause", "processors", "medium", "measures_taken", "measures_planned", "persons_informed"):
        assert key in settings_["breach"]


def test_naive_date_times_are_paris_time():
    cf = parse_case_file({"breach": {"discovered_at": "2021-02-23T09:00:00"}})
    assert cf.breach.discovered_at.tzinfo == PARIS


@pytest.mark.parametrize("settings_, key", [
    ({"breach": {"discovered_at": "yesterday"}}, "breach.discovered_at"),
    ({"breach": {"discovered_at": 12}}, "breach.discovered_at"),
    ({"breach": {"origin": "mars"}}, "breach.origin"),
    ({"breach": {"malicious": "yes"}}, "breach.malicious"),
    ({"breach": {"processors": [1, 2]}}, "breach.processors"),
    ({"breach": {"started_at": "2021-02-10T00:00:00", "ended_at": "2021-02-01T00:00:00"}}, "breach.ended_at"),
    ({"breach": "x"}, "breach"),
    ({"controller": {"siren": "12345"}}, "controller.siren"),
    ({"smtp": {"url": "http://x"}}, "smtp.url"),
    ({"smtp": {"rate": -1}}, "smtp.rate"),
    ({"notification": {"kind": "final"}}, "notification.kind"),
    ({"security": {"retention_until": "soon"}}, "security.retention_until"),
    ({"security": {"require_operator": 1}}, "security.require_operator"),
])
def test_bad_values_name_the_key(settings_, key):
    with pytest.raises(ValidationError) as info:
        parse_case_file(settings_)
    assert key in str(info.value) and "\n" not in str(info.value)


def test_bad_toml_gives_the_line(tmp_path):
    path = tmp_path / "case.toml"
    path.write_text('[breach]\norigin = "internal\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="line 2"):
        load_case_file(path)


values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                   max_size=3), max_leaves=8)
keys = st.sampled_from(["discovered_at", "origin", "malicious", "processors", "name", "siren", "url", "rate", "kind",
                        "retention_until", "require_operator", "persons_informed", "ongoing"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["breach", "controller", "smtp", "notification", "security", "dpo"]),
                       st.dictionaries(keys, values, max_size=4) | values, max_size=4))
def test_junk_case_files_fail_only_with_validation_errors(settings_):
    try:
        parse_case_file(settings_)
    except ValidationError as exc:
        assert str(exc).startswith("case.toml: ")


def test_case_init_writes_the_template_and_refuses_to_overwrite(tmp_path):
    case = tmp_path / "case"
    proc = run_fuite("case", "init", "--case", str(case), check=True)
    assert (case / "case.toml").read_text(encoding="utf-8") == TEMPLATE and "wrote" in proc.stderr
    again = run_fuite("case", "init", "--case", str(case))
    assert again.returncode == 2 and "already exists" in again.stderr
    unedited = run_fuite("case", "check", "--case", str(case))
    assert unedited.returncode == 1 and "controller.name" in unedited.stderr and "5 fact(s)" in unedited.stderr
    (case / "case.toml").write_text(FILLED_CASE, encoding="utf-8")
    assert run_fuite("case", "check", "--case", str(case), check=True).returncode == 0
    (case / "case.toml").write_text(FILLED_CASE.replace('origin = "external"', 'origin = "outside"'), encoding="utf-8")
    bad = run_fuite("case", "check", "--case", str(case))
    assert bad.returncode == 2 and "breach.origin" in bad.stderr
