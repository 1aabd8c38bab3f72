"""Identifier modules: case tables, junk robustness, vectorised versions equal to the scalar ones."""

import phonenumbers
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn as stdnum_luhn
from stdnum.fr import nir as stdnum_nir

from fuite.ids import adeli, birth_date, email_address, finess, luhn, nir, phone, postal_code, rpps

VALIDATORS = [nir, rpps, adeli, finess, luhn, phone, email_address, postal_code, birth_date]


def make_nir(body13: str) -> str:
    return body13 + stdnum_nir.calc_check_digits(body13 + "00")


CASES = [
    (nir, "1 85 05 78 006 084 91", "185057800608491"),
    (nir, "185057800608491", "185057800608491"),
    (nir, "2.53.07.2B.073.004.70", "253072B07300470"),
    (nir, "253072a07300443", "253072A07300443"),
    (nir, "185057800608492", None),           # bad key
    (nir, "185057800608400", None),           # 15 digits, key fails: an order number, not a NIR
    (nir, "18505780060849", None),            # too short
    (nir, "253072C07300443", None),           # not Corsica
    (rpps, "10001234565", "10001234565"),
    (rpps, "100 0123 4565", "10001234565"),
    (rpps, "10001234566", None),              # bad Luhn
    (rpps, "1000123456", None),
    (finess, "350002812", "350002812"),
    (finess, "350002813", None),              # bad Luhn
    (finess, "2A0000014", "2A0000014"),
    (finess, "000000000", None),
    (adeli, "351012345", "351012345"),
    (adeli, "991012345", None),
    (adeli, "35101234", None),
    (phone, "02.99.12.34.56", "+33299123456"),
    (phone, "+33 (0)6 12 34 56 78", "+33612345678"),
    (phone, "0612345678", "+33612345678"),
    (phone, "33612345678", "+33612345678"),
    (phone, "+44 20 7946 0958", "+442079460958"),
    (phone, "06 12 34", None),
    (phone, "00 00 00 00 00", None),
    (email_address, "Jean.Dupont@Orange.fr", "jean.dupont@orange.fr"),
    (email_address, "jean@@orange.fr", None),
    (email_address, "jean..dupont@orange.fr", None),
    (postal_code, "35000", "35000"),
    (postal_code, "97411", "97411"),
    (postal_code, "00100", None),
]


@pytest.mark.parametrize(("module", "value", "expected"), CASES)
def test_validate_table(module, value, expected):
    assert module.is_valid(value) is (expected is not None)
    if expected is not None:
        assert module.validate(value) == expected


JUNK = [None, b"185057800608491", 185057800608491, 3.5, "", " ", "😀" * 15, "١٨٥٠٥٧٨٠٠٦٠٨٤٩١",
        "１８５０５７８００６０８４９１", "\x00" * 11, "1" * 500, ["1"], object()]


@pytest.mark.parametrize("module", VALIDATORS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
@pytest.mark.parametrize("junk", JUNK, ids=lambda j: type(j).__name__ + str(len(j) if hasattr(j, "__len__") else ""))
def test_junk_is_never_valid(module, junk):
    assert module.is_valid(junk) is False
    if module is phone:
        assert phone.is_dialable(junk) is False


NIR_ALPHABET = st.sampled_from(list("0123456789") + ["2A", "2B", " ", ".", "a", "b", "C", "-", "٣", "\t"])


@st.composite
def nir_like(draw):
    if draw(st.booleans()):
        body = draw(st.from_regex(r"[1-8][0-9]{4}(?:[0-9]{2}|2A|2B)[0-9]{6}", fullmatch=True))
        value = make_nir(body) if draw(st.booleans()) else body + draw(st.from_regex(r"[0-9]{2}", fullmatch=True))
        if draw(st.booleans()):
            value = " ".join([value[:1], value[1:3], value[3:5], value[5:7], value[7:10], value[10:13], value[13:]])
        return value.lower() if draw(st.booleans()) else value
    return "".join(draw(st.lists(NIR_ALPHABET, max_size=18)))


@settings(max_examples=300, deadline=None)
@given(st.lists(nir_like(), min_size=1, max_size=40))
def test_vectorised_nir_equals_stdnum(values):
    # fuite's separators are wider than stdnum's (" ."): blanks, dashes and slashes too; ASCII only
    seps = str.maketrans("", "", " \t\u00a0\u2009\u202f.-/()")
    expected = [v.isascii() and stdnum_nir.is_valid(v.strip().translate(seps)) for v in values]
    assert nir.is_valid_column(pl.Series(values, dtype=pl.String)).to_list() == expected
    assert [nir.is_valid(v) for v in values] == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.from_regex(r"[1-8][0-9]{4}(?:[0-9]{2}|2A|2B)[0-9]{6}", fullmatch=True), min_size=1, max_size=20),
       st.integers(0, 98))
def test_split_key_nir(bodies, wrong):
    keys = [stdnum_nir.calc_check_digits(b + "00") for b in bodies]
    assert nir.split_valid_column(pl.Series(bodies), pl.Series(keys)).all()
    assert all(nir.validate_split(b, k) == b + k for b, k in zip(bodies, keys))
    bad = [f"{(int(k) + 1 + wrong % 96) % 97 or 97:02d}" for k in keys]
    assert not any(nir.split_valid_column(pl.Series(bodies), pl.Series(bad)).to_list())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="0123456789 a", max_size=12), min_size=1, max_size=30))
def test_vectorised_rpps_and_luhn_equal_stdnum(values):
    expected_luhn = [v.isdigit() and 0 < len(v) <= 20 and stdnum_luhn.is_valid(v) for v in values]
    assert luhn.is_valid_column(pl.Series(values, dtype=pl.String)).to_list() == expected_luhn
    assert rpps.is_valid_column(pl.Series(values, dtype=pl.String)).to_list() == [rpps.is_valid(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="0123456789 2AB", min_size=8, max_size=11), min_size=1, max_size=30))
def test_vectorised_finess_equals_scalar(values):
    assert finess.is_valid_column(pl.Series(values, dtype=pl.String)).to_list() == [finess.is_valid(v) for v in values]


@st.composite
def french_phone(draw):
    digits = draw(st.from_regex(r"[1-79][0-9]{8}", fullmatch=True))
    prefix = draw(st.sampled_from(["0", "+33", "+33 ", "0033 ", "+33 (0)"]))
    sep = draw(st.sampled_from(["", " ", ".", "-"]))
    pairs = [digits[0]] + [digits[i:i + 2] for i in range(1, 9, 2)]
    return prefix + sep.join(pairs)


@settings(max_examples=300, deadline=None)
@given(st.lists(french_phone(), min_size=1, max_size=30))
def test_vectorised_phone_equals_phonenumbers(values):
    def reference(v):
        parsed = phonenumbers.parse(v, "FR")
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    assert phone.to_e164_column(pl.Series(values)).to_list() == [reference(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=20))
def test_vectorised_email_and_postal_code_equal_scalar(values):
    series = pl.Series(values, dtype=pl.String)
    assert email_address.is_valid_column(series).to_list() == [email_address.is_valid(v) for v in values]
    assert postal_code.is_valid_column(series).to_list() == [postal_code.is_valid(v) for v in values]
