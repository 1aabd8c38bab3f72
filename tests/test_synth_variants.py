"""Layout variations and identifiers of the drill: every written form maps back to the true value."""

from __future__ import annotations

import datetime as dt

import numpy as np
import phonenumbers
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.fr import nir as stdnir

from fuite.synth.people import _LANDLINE_PREFIXES, _MOBILE_PREFIXES, make_persons, nir_keys
from fuite.synth.pools import build_pools
from fuite.synth.rows import distractor_nirs
from fuite.synth.variants import _typo, date_layout, nir_layout, phone_layout, strip_accents

PHONE_LAYOUTS = ["spaced", "dotted", "compact", "intl_spaced", "intl", "intl_nozero"]

national_numbers = st.one_of(
    st.builds(lambda p, r: f"0{p}{r:07d}", st.sampled_from(_MOBILE_PREFIXES.tolist()), st.integers(0, 10**7 - 1)),
    st.builds(lambda p, r: f"0{p}{r:06d}", st.sampled_from(_LANDLINE_PREFIXES.tolist()), st.integers(0, 10**6 - 1)),
)


def _apply(expr_fn, values: list[str], *args) -> list[str]:
    return pl.DataFrame({"v": values}).select(expr_fn(pl.col("v"), *args)).to_series().to_list()


@settings(max_examples=60, deadline=None)
@given(st.lists(national_numbers, min_size=1, max_size=20))
def test_every_phone_layout_is_a_valid_french_number_with_the_same_e164(numbers):
    expected = ["+33" + n[1:] for n in numbers]
    for layout in PHONE_LAYOUTS:
        for text, e164 in zip(_apply(phone_layout, numbers, layout), expected):
            parsed = phonenumbers.parse(text if not text.startswith("33") else "+" + text, "FR")
            assert phonenumbers.is_valid_number(parsed), (layout, text)
            assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == e164


@pytest.mark.parametrize("layout,text", [
    ("spaced", "06 12 34 56 78"), ("dotted", "06.12.34.56.78"), ("compact", "0612345678"),
    ("intl_spaced", "+33 6 12 34 56 78"), ("intl", "+33612345678"), ("intl_nozero", "33612345678"),
])
def test_phone_layouts_look_like_leaks(layout, text):
    assert _apply(phone_layout, ["0612345678"], layout) == [text]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 2), st.integers(0, 99), st.integers(1, 12), st.sampled_from(["35", "29", "2A", "2B", "99"]),
       st.integers(1, 999), st.integers(1, 999))
def test_nir_keys_match_stdnum_and_layouts_compact_back(sex, yy, mm, dept, commune, order):
    mapped = {"2A": "19", "2B": "18"}.get(dept, dept)
    body = f"{sex}{yy:02d}{mm:02d}{mapped}{commune:03d}{order:03d}"
    key = int(nir_keys(np.array([int(body)]))[0])
    nir = f"{sex}{yy:02d}{mm:02d}{dept}{commune:03d}{order:03d}{key:02d}"
    assert stdnir.calc_check_digits(nir) == f"{key:02d}"
    assert stdnir.is_valid(nir)
    spaced = _apply(nir_layout, [nir], "spaced")[0]
    assert spaced.replace(" ", "") == nir and spaced.count(" ") == 6
    assert _apply(nir_layout, [nir], "body")[0] + _apply(nir_layout, [nir], "key")[0] == nir


@settings(max_examples=40, deadline=None)
@given(st.dates(dt.date(1930, 1, 1), dt.date(2020, 12, 31)))
def test_date_layouts_parse_back(day):
    s = pl.DataFrame({"d": [day]})
    out = {k: s.select(date_layout(pl.col("d"), k)).item() for k in ("fr", "iso", "fr_short", "compact")}
    assert dt.datetime.strptime(out["fr"], "%d/%m/%Y").date() == day
    assert dt.date.fromisoformat(out["iso"]) == day
    assert dt.datetime.strptime(out["compact"], "%Y%m%d").date() == day
    short = dt.datetime.strptime(out["fr_short"], "%d-%m-%y").date()
    assert (short.day, short.month, short.year % 100) == (day.day, day.month, day.year % 100)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abcdeéèêëàâäîïôöùûüçœæÉÈÀÇŒ' -", min_size=1, max_size=30))
def test_strip_accents_leaves_ascii(text):
    out = _apply(strip_accents, [text])[0]
    assert out.isascii()
    assert len(out) == len(text) + sum(text.count(c) for c in "œæŒÆ")


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPabcdefgh", min_size=0, max_size=15), st.integers(0, 2**30))
def test_a_typo_changes_a_long_word_by_one_edit(word, r):
    out = _typo(word, r)
    if len(word) < 4:
        assert out == word
    else:
        assert abs(len(out) - len(word)) <= 1
        assert out[0] == word[0]  # the first letter survives
        assert sorted(out) == sorted(word) or len(out) != len(word)


def test_distractor_order_numbers_never_validate():
    values = distractor_nirs(np.random.default_rng(0), 5000).to_list()
    assert all(len(v) == 15 and v.isdigit() for v in values)
    assert not any(stdnir.is_valid(v) for v in values)


def test_pools_identifiers_have_valid_check_digits():
    pools = build_pools(0)
    assert all(len(r) == 11 and r.startswith("10") and luhn.is_valid(r) for r in pools.doctor_rpps)
    assert len(pools.lab_finess) == 30
    assert all(len(f) == 9 and luhn.is_valid(f) for f in pools.lab_finess)


def test_persons_are_unique_and_consistent():
    pools = build_pools(0)
    persons, topics = make_persons(np.random.default_rng(0), pools, 20_000)
    assert persons["nir"].n_unique() == 20_000
    emails = persons.drop_nulls("email").group_by("email").agg(pl.col("household").n_unique().alias("homes"))
    assert emails["homes"].max() == 1   # an email is one person's, or one household's (famille.martin@…)
    assert persons["mobile"].drop_nulls().n_unique() == persons["mobile"].drop_nulls().len()
    corsica = persons.filter(pl.col("nir").str.slice(5, 2).is_in(["2A", "2B"]))
    assert corsica.height > 0 and all(stdnir.is_valid(n) for n in corsica["nir"])
    assert topics[:, 1:3].any(axis=1).mean() > 0.01  # HIV (ARV or PrEP) for a few percent
