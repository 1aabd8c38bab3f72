"""The notice to one person: their own data in patient words, conditions worded with care, overridable templates."""

from __future__ import annotations

import email
import email.policy
import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_notify_support import FILLED_CASE, PEOPLE

from fuite.store.casefile import parse_case_file
from fuite.notify.notice import NoticeRenderer, message_id, notice_context, usable_email

CF = parse_case_file(tomllib.loads(FILLED_CASE))
BY_ID = {p["person_id"]: p for p in PEOPLE}


def _renderer(**kw):
    return NoticeRenderer(CF, secret=b"k" * 32, **kw)


def test_own_categories_only_in_patient_words():
    alice = _renderer().render(BY_ID[1]).text
    chloe = _renderer().render(BY_ID[3]).text
    assert "- votre numéro de sécurité sociale" in alice and "- your social security number" in alice
    assert "- votre groupe sanguin" in alice
    assert "sécurité sociale" not in chloe and "groupe sanguin" not in chloe
    assert "- votre adresse postale" in chloe
    assert "usurpation d'identité" in alice and "usurpation d'identité" not in chloe


def test_conditions_are_worded_with_care_and_never_in_the_subject():
    r = _renderer().render(BY_ID[2])
    assert "peuvent laisser supposer un suivi ou un traitement en lien avec le VIH" in r.text
    assert "Ce n'est pas un diagnostic" in r.text and "It is not a diagnosis" in r.text
    assert "VIH" not in r.subject and "HIV" not in r.subject
    discreet = _renderer(name_conditions=False).render(BY_ID[2])
    assert "VIH" not in discreet.text and "particulièrement sensibles" in discreet.text
    assert "grossesse" in _renderer().render(BY_ID[5]).html


def test_html_escapes_values():
    row = dict(BY_ID[1], first_name="<script>Xy</script>")   # mixed case: written as it is
    html = _renderer().render(row).html
    assert "<script>" not in html and "&lt;script&gt;Xy" in html


def test_email_is_valid_mime_with_a_deterministic_message_id():
    r = _renderer()
    mid, raw = r.email(BY_ID[1], BY_ID[1]["email"])
    again, _ = _renderer().email(BY_ID[1], BY_ID[1]["email"])
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert mid == again == msg["Message-ID"] and msg["To"] == BY_ID[1]["email"]
    assert "Alice" in msg.get_body(("plain",)).get_content()
    assert "Alice" in msg.get_body(("html",)).get_content()
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert message_id(b"k" * 32, 1, "email", "x") != message_id(b"k" * 32, 2, "email", "x")


def test_controller_templates_override(tmp_path):
    (tmp_path / "notice_subject.txt.j2").write_text("Avis {{ controller.name }}", encoding="utf-8")
    r = NoticeRenderer(CF, [tmp_path], secret=b"k").render(BY_ID[1])
    assert r.subject == f"Avis {CF.controller.name}" and "Alice" in r.text


def test_context_lists_each_word_once():
    ctx = notice_context(dict(categories="street_address;full_address;postal_code;city;lab_id", street="x"), CF)
    assert ctx["exposed_fr"] == ["votre adresse postale"]
    town_only = notice_context(dict(categories="postal_code;city"), CF)
    assert town_only["exposed_fr"] == ["votre code postal", "votre ville"]


@pytest.mark.parametrize("value, ok", [
    ("alice@example.org", True), ("a.b+c@sub.example.fr", True), (" alice@example.org ", True),
    ("not an address", False), ("a@b", False), ("a..b@example.org", False), ("a.@example.org", False),
    ("", False), (None, False), ("alice@exämple.org", False), ("a@-x.org", False),
])
def test_usable_email(value, ok):
    assert bool(usable_email(value)) is ok


@given(st.one_of(st.none(), st.text(), st.emails()))
def test_usable_email_never_raises(value):
    result = usable_email(value)
    assert result is None or "@" in result


def test_greeting_uses_the_name_only_when_complete():
    assert "Bonjour Alice Martin," in _renderer().render(BY_ID[1]).text
    moreau = dict(BY_ID[6], email="m@example.org")
    text = _renderer().render(moreau).text
    assert "Madame, Monsieur," in text and "Dear Sir or Madam," in text and "Bonjour Moreau" not in text


@pytest.mark.parametrize("birth_date, minor", [
    ("2010-06-01", True), ("2007-06-02", True), ("2007-06-01", False), ("1980-01-01", False), (None, False),
    ("not a date", False), ("2025-02-30", False),
])
def test_is_minor(birth_date, minor):
    from datetime import date

    from fuite.notify.notice import is_minor
    assert is_minor(birth_date, today=date(2025, 6, 1)) is minor


def test_a_minor_s_notice_goes_to_the_legal_guardians():
    from datetime import date

    child = dict(BY_ID[3], birth_date="2015-04-04", email="parents@example.org")
    r = _renderer().render(child)
    assert "personne mineure" in r.text and "legal guardians" in r.text and "mineure" in r.html
    ctx = notice_context(child, CF, today=date(2025, 1, 1))
    assert ctx["person"]["address_lines"][0] == "Aux représentants légaux de"
    assert all(len(line) <= 38 for line in ctx["person"]["address_lines"])
    assert "mineure" not in _renderer().render(BY_ID[1]).text
