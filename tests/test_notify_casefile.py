"""The case file: the template parses, every bad value is named by its key, `fuite case init` and `case check`."""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_fuite
from fuite.assess.rules import Circumstances
from fuite.errors import ValidationError
from fuite.store.casefile import PARIS, TEMPLATE, load_case_file, parse_case_file


def test_template_parses_to_the_2021_circumstances():
    cf = parse_case_file(tomllib.loads(TEMPLATE))
    assert cf.breach.discovered_at == datetime(2021, 2, 23, 9, 0, tzinfo=cf.breach.discovered_at.tzinfo)
    assert cf.breach.deadline - cf.breach.discovered_at == timedelta(hours=72)
    circ = Circumstances.of(cf)
    assert circ.malicious and circ.confidentiality == "unknown_recipients"
    assert cf.notification.kind == "initial" and not cf.require_operator
    for section in ("breach", "controller", "dpo", "contact", "smtp", "security", "notification"):
        assert f"[{section}]" in TEMPLATE


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
    assert run_fuite("case", "check", "--case", str(case), check=True).returncode == 0
    (case / "case.toml").write_text(TEMPLATE.replace('origin = "external"', 'origin = "outside"'), encoding="utf-8")
    bad = run_fuite("case", "check", "--case", str(case))
    assert bad.returncode == 2 and "breach.origin" in bad.stderr
