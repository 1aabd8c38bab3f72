"""Several controllers in case.toml: typed, checked, gated per controller; a single [controller] is unchanged."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controllers_support import CONTROLLERS_TOML, MANY_CASE
from conftest import run_fuite
from fuite.errors import CaseFileError, CaseIncomplete, UsageError, ValidationError
from fuite.store.casefile import (SINGLE_CONTROLLER, TEMPLATE, gaps, parse_case_file, processor_gaps,
                                  require_complete)
from test_notify_support import FILLED_CASE


def test_a_single_controller_case_is_one_controller_holding_every_file():
    cf = parse_case_file(tomllib.loads(FILLED_CASE))
    (only,) = cf.controllers
    assert not cf.many and only.id == SINGLE_CONTROLLER and only.files == ("*",)
    assert only.name == "Laboratoire Bioline Armor" and only.sender == cf.smtp.sender
    assert cf.view(only) == cf


def test_controllers_are_typed_with_their_keys_normalised():
    cf = parse_case_file(tomllib.loads(MANY_CASE))
    assert cf.many and [c.id for c in cf.controllers] == ["armor", "iroise", "mutuelle"]
    armor, iroise, mutuelle = cf.controllers
    assert armor.finess == ("220000012",) and armor.party.siren == "732829320"
    assert iroise.files == ("iroise/*",) and mutuelle.amc == ("12345678",)
    assert cf.attribution_columns == ("NUM_AMC",) and cf.processor.name == "Logilab Santé"
    # a controller's own DPO and sender; the case-level ones where it states none
    assert cf.view(armor).dpo.email == "dpo@bio-armor.test" and cf.view(armor).smtp.sender.endswith("bio-armor.test>")
    assert cf.view(mutuelle).dpo == cf.dpo and cf.view(mutuelle).smtp.sender == cf.smtp.sender
    # the signing rule: Iroise first, then the order of [[controllers]]
    assert cf.signer(["armor", "iroise"]).id == "iroise" and cf.signer(["mutuelle", "armor"]).id == "armor"
    assert cf.signer([]) is None


def test_a_filled_many_controller_case_passes_and_a_missing_fact_is_named_per_controller():
    assert gaps(parse_case_file(tomllib.loads(MANY_CASE))) == []
    assert processor_gaps(parse_case_file(tomllib.loads(MANY_CASE))) == []
    broken = MANY_CASE.replace('address = "9 quai de la Douane, 29200 Brest"\n', "")
    found = gaps(parse_case_file(tomllib.loads(broken)))
    assert found == ["controllers[iroise].address: missing (the controller's address)"]
    with pytest.raises(CaseIncomplete, match=r"controllers\[iroise\]\.address"):
        require_complete(parse_case_file(tomllib.loads(broken)), "notifying persons")
    no_dpo = MANY_CASE.replace('dpo = { name = "Anne Kervella", email = "dpo@logilab-sante.test" }', "")
    assert processor_gaps(parse_case_file(tomllib.loads(no_dpo))) == [
        "processor.dpo or processor.contact (email or phone): missing (a DPO or contact point controllers can reach)"]
    placeholder = MANY_CASE.replace("dpo@labo-iroise.test", "dpo@laboratoire.example")
    assert gaps(parse_case_file(tomllib.loads(placeholder))) == [
        "controllers[iroise].dpo or controllers[iroise].contact (email or phone): missing (a DPO or contact point "
        "persons can reach)", "controllers[iroise].dpo.email: the template's example or placeholder, not edited"]


def test_without_a_processor_its_notice_is_refused_and_the_template_shows_the_shapes_as_comments():
    assert processor_gaps(parse_case_file(tomllib.loads(FILLED_CASE)))[0].startswith("processor: missing")
    assert "# [[controllers]]" in TEMPLATE and "# [processor]" in TEMPLATE
    assert not parse_case_file(tomllib.loads(TEMPLATE)).many


@pytest.mark.parametrize("edit, message", [
    (('id = "iroise"', 'id = "Iroise SA"'), r"controllers\[1\]\.id"),
    (('id = "iroise"', 'id = "armor"'), r"controllers\[1\]\.id: 'armor' is already"),
    (('finess = ["290000017"]', 'finess = ["290000018"]'), r"controllers\[1\]\.finess"),
    (('finess = ["290000017"]', 'finess = ["22 000 001 2"]'), r"controllers\[1\]: a key of controller 'armor'"),
    (('labs = ["Labo Iroise"]', 'labs = ["laboratoire bio-armor"]'), r"controllers\[1\]: a key of controller"),
    (('amc = ["12345678"]', 'amc = ["12AB"]'), r"controllers\[2\]\.amc"),
    (('siren = "732829320"', 'siren = "732829321"'), r"controllers\[0\]\.siren"),
    (('siren = "552100554"', 'siren = "55210055"'), r"processor\.siren"),
    (('signing = ["iroise"]', 'signing = ["nobody"]'), r"notification\.signing: no controller 'nobody'"),
    (('dpo = { email = "dpo@labo-iroise.test" }', 'dpo = "dpo@labo-iroise.test"'), r"controllers\[1\]\.dpo"),
])
def test_bad_controller_values_name_the_key(edit, message):
    with pytest.raises(CaseFileError, match=message):
        parse_case_file(tomllib.loads(MANY_CASE.replace(*edit)))


def test_unknown_controller_id_is_a_usage_error():
    with pytest.raises(UsageError, match="no controller 'x'"):
        parse_case_file(tomllib.loads(MANY_CASE)).controller_by_id("x")


def test_case_check_lists_missing_facts_per_controller(tmp_path):
    case = tmp_path / "case"
    case.mkdir()
    (case / "case.toml").write_text(MANY_CASE.replace('name = "Labo Iroise"\n', ""), encoding="utf-8")
    proc = run_fuite("case", "check", "--case", str(case))
    assert proc.returncode == 1 and "controllers[iroise].name: missing" in proc.stderr, proc.stderr
    (case / "case.toml").write_text(MANY_CASE, encoding="utf-8")
    assert run_fuite("case", "check", "--case", str(case), check=True).returncode == 0
    assert CONTROLLERS_TOML in MANY_CASE

_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=12),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                    max_size=3), max_leaves=6)
_keys = st.sampled_from(["id", "name", "address", "siren", "dpo", "contact", "from", "labs", "finess", "insurers",
                         "amc", "files", "tables", "sector"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(_keys, _values, max_size=5) | _values, max_size=3),
       st.dictionaries(st.sampled_from(["signing", "kind"]), _values, max_size=2),
       st.dictionaries(st.sampled_from(["columns"]), _values, max_size=1) | _values)
def test_junk_controllers_fail_only_with_validation_errors(controllers, notification, attribution):
    try:
        cf = parse_case_file({"controllers": controllers, "notification": notification, "attribution": attribution})
    except ValidationError as exc:
        assert str(exc).startswith("case.toml: ") and "\n" not in str(exc)
    else:
        assert all(c.id for c in cf.declared_controllers)
