"""Emails filled in from their variant say exactly what a notice rendered in full says, for any person."""

from __future__ import annotations

import email
import email.policy
import shutil
import tomllib
from datetime import UTC, date, datetime
from importlib import resources

from hypothesis import given, settings
from hypothesis import strategies as st
from controllers_support import MANY_CASE
from test_notify_support import FILLED_CASE, PEOPLE

from fuite.notify.notice import NoticeRenderer
from fuite.store.casefile import parse_case_file

CASES = {"one": parse_case_file(tomllib.loads(FILLED_CASE)), "many": parse_case_file(tomllib.loads(MANY_CASE))}
SENDER = "Laboratoire <notices@exemple.fr>"
NOW = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
CATEGORIES = ["nir", "blood_group", "medication", "health_note", "insurer_name", "phone", "credential", "email",
              "birth_date", "street_address", "postal_code", "city", "lab_id", "physician_name"]
NAMES = st.one_of(
    st.sampled_from(["", "CORINNE", "andré", "Jean-Édouard", "DE LA FONTAINE", "O'Brien", "Ngọc Ánh", "<b>&amp;"]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=120))


@st.composite
def persons(draw) -> dict:
    grown = draw(st.booleans()) and draw(st.booleans())
    return dict(
        person_id=draw(st.integers(0, 10**9)), first_name=draw(NAMES), last_name=draw(NAMES),
        birth_date=draw(st.sampled_from(["1970-01-01", f"{date.today().year - 5}-06-01", "", "not a date"])),
        categories=";".join(draw(st.lists(st.sampled_from(CATEGORIES), max_size=6))),
        health=draw(st.booleans()), hiv=draw(st.booleans()),
        conditions=";".join(draw(st.lists(st.sampled_from(["hiv", "pregnancy", "cancer", "unknown"]), max_size=2))),
        labs=draw(st.sampled_from(["", "Lab A", "Lab A;Lab B"])),
        controllers=draw(st.sampled_from(["iroise", "armor", "iroise;armor", "armor;mutuelle"])),
        shared_mailbox=draw(st.booleans()),
        complement_kind="grown" if grown else draw(st.sampled_from([None, "new"])),
        new_categories="nir;phone" if grown else None, new_conditions="hiv" if grown else None,
        new_health=grown, first_notice="2026-03-04T10:00:00+00:00" if grown else None)


def _full_renderer(case_file, tmp_path, **kw) -> NoticeRenderer:
    """The same shipped templates, given as an override: every email is rendered in full."""
    folder = tmp_path / "override"
    folder.mkdir(exist_ok=True)
    shutil.copy(resources.files("fuite.notify") / "templates" / "notice.txt.j2", folder / "notice.txt.j2")
    return NoticeRenderer(case_file, [folder], secret=b"k" * 32, sender=SENDER, now=NOW, **kw)


def _parts(raw: bytes) -> tuple[list, str, str]:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return (list(msg.items()), msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content())


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(persons(), min_size=1, max_size=8), case=st.sampled_from(sorted(CASES)),
       eight_bit=st.booleans(), name_conditions=st.booleans())
def test_a_filled_in_email_says_what_the_full_rendering_says(tmp_path_factory, rows, case, eight_bit,
                                                             name_conditions):
    tmp_path = tmp_path_factory.mktemp("fill")
    filled = NoticeRenderer(CASES[case], secret=b"k" * 32, sender=SENDER, name_conditions=name_conditions, now=NOW)
    full = _full_renderer(CASES[case], tmp_path, name_conditions=name_conditions)
    for row in rows + rows:   # the second time round, every variant is known
        mid, raw = filled.email(row, "p@exemple.fr", eight_bit=eight_bit)
        same_mid, expected = full.email(row, "p@exemple.fr", eight_bit=eight_bit)
        assert mid == same_mid
        if not eight_bit:   # quoted-printable: the very same bytes
            assert raw == expected
        (headers, text, html), (headers_full, text_full, html_full) = _parts(raw), _parts(expected)
        assert headers == headers_full and text == text_full
        assert html.split() == html_full.split()   # 8bit HTML lines may be cut elsewhere: same words, same markup
        assert all(len(line) <= 998 for line in raw.split(b"\r\n")) and b"\n" not in raw.replace(b"\r\n", b"")


def test_every_person_of_one_variant_gets_their_own_name_and_nobody_elses():
    renderer = NoticeRenderer(CASES["one"], secret=b"k" * 32, sender=SENDER)
    alike = [dict(PEOPLE[0], person_id=k, first_name=f"Prénom{k}", last_name=f"NOM{k}") for k in range(50)]
    for row in alike:
        _, text, html = _parts(renderer.email(row, "p@exemple.fr", eight_bit=True)[1])
        k = row["person_id"]
        assert f"Bonjour Prénom{k} Nom{k}," in text and f"Dear Prénom{k} Nom{k}," in html
        assert sum(f"Prénom{j} " in text for j in range(50)) == 1


def test_an_overridden_email_template_is_always_rendered_in_full(tmp_path):
    """A controller's template may use a name as more than text: then nothing is filled in."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "notice.txt.j2").write_text("{{ person.first_name | upper }} / {{ person.last_name[:1] }}.\n",
                                          encoding="utf-8")
    renderer = NoticeRenderer(CASES["one"], [folder], secret=b"k" * 32, sender=SENDER)
    for first, last in (("Alice", "Martin"), ("Bruno", "Petit")):
        row = dict(PEOPLE[0], first_name=first, last_name=last)
        text = _parts(renderer.email(row, "p@exemple.fr", eight_bit=True)[1])[1]
        assert text.split() == [first.upper(), "/", f"{last[0]}."]


def test_a_variant_that_would_read_differently_once_filled_in_is_rendered_in_full():
    """The first person of each variant is rendered in full too: a template that transforms a name is caught."""
    renderer = NoticeRenderer(CASES["one"], secret=b"k" * 32, sender=SENDER)
    renderer.text_t = renderer.env.from_string("{{ person.first_name | upper }}\n")
    for first in ("Alice", "Bruno", "Chloé"):
        text = _parts(renderer.email(dict(PEOPLE[0], first_name=first), "p@exemple.fr", eight_bit=True)[1])[1]
        assert text.split() == [first.upper()]
