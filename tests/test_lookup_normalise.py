"""Normalisation of typed values: cases, junk robustness, and equality with the page's JavaScript."""

import json
import shutil
import subprocess

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.fr import nir as stdnum_nir

from fuite.errors import ValidationError
from fuite.lookup import normalise
from fuite.server.app import STATIC_DIR


def make_nir(body: str) -> str:
    """A NIR with a correct key for a 13-character body (2A/2B allowed), computed independently of fuite.ids."""
    number = int(body.replace("2A", "19").replace("2B", "18"))
    return f"{body}{97 - number % 97:02d}"


@pytest.mark.parametrize("kind, value, expected", [
    ("email", "  Jean.Dupont@Example.FR ", "jean.dupont@example.fr"),
    ("email", "\ufeffa@b.fr\u00a0", "a@b.fr"),
    ("phone", "06 12 34 56 78", "+33612345678"),
    ("phone", "06.12.34.56.78", "+33612345678"),
    ("phone", "0033 6 12 34 56 78", "+33612345678"),
    ("phone", "+33 (0)6 12 34 56 78", "+33612345678"),
    ("phone", "+330612345678", "+33612345678"),
    ("phone", "612345678", "+33612345678"),
    ("phone", "+32 2 123 45 67", "+3221234567"),
    ("nir", make_nir("1850775123456").replace("", " ").strip(), make_nir("1850775123456")),
    ("nir", make_nir("285072A123456").lower(), make_nir("285072A123456")),
    ("nir", make_nir("185072B123456"), make_nir("185072B123456")),
])
def test_normalise_cases(kind, value, expected):
    assert normalise.normalise(kind, value) == expected


@pytest.mark.parametrize("kind, value", [
    ("email", "no-at-sign"), ("email", "@b.fr"), ("email", "a@"), ("email", "a b@c.fr"),
    ("phone", "12"), ("phone", "+33 6 12"), ("phone", "06 12 34 56 7x"), ("phone", "٠٦١٢٣٤٥٦٧٨"),
    ("nir", "1850775123456"), ("nir", make_nir("1850775123456")[:-2] + "00"), ("nir", "1850775X2345612"),
    ("kind", "x"),
])
def test_normalise_rejects(kind, value):
    with pytest.raises(ValidationError):
        normalise.normalise(kind, value)


@pytest.mark.parametrize("value, expected", [
    ("1970-01-31", "1970-01-31"), ("31/01/1970", "1970-01-31"), (" 2000-02-29 ", "2000-02-29"),
])
def test_birth_date(value, expected):
    assert normalise.birth_date(value) == expected


@pytest.mark.parametrize("value", ["1970-02-30", "1970-13-01", "1970-1-1", "31-01-1970", "1850-01-01", "",
                                   "1900-02-29"])
def test_birth_date_rejects(value):
    with pytest.raises(ValidationError):
        normalise.birth_date(value)


def test_lookup_input_string():
    assert normalise.lookup_input("phone", "06 12 34 56 78", "31/01/1970") == "phone:+33612345678|1970-01-31"


def test_french_phones_agree_with_phonenumbers():
    for typed in ("06 12 34 56 78", "01 42 34 56 78", "+33 1 42 34 56 78", "0033 7 12 34 56 78"):
        parsed = phonenumbers.parse(typed, "FR")
        assert normalise.phone(typed) == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10**13 - 1))
def test_nir_key_agrees_with_stdnum(number):
    body = f"{number:013d}"
    value = body + stdnum_nir.calc_check_digits(body)
    assert normalise.nir(value) == value


JUNK = [None, 12, b"bytes", "", " ", "😀", "\u0663\u0664", "\x00", "a" * 10_000, ["list"]]


@pytest.mark.parametrize("junk", JUNK, ids=range(len(JUNK)))
@pytest.mark.parametrize("kind", ["email", "phone", "nir", "birth_date"])
def test_junk_is_rejected_cleanly(kind, junk):
    func = normalise.birth_date if kind == "birth_date" else getattr(normalise, kind)
    with pytest.raises(ValidationError):
        func(junk)


def _python_results(cases):
    out = []
    for kind, value in cases:
        try:
            out.append(normalise.birth_date(value) if kind == "birth_date" else normalise.normalise(kind, value))
        except ValidationError:
            out.append(None)
    return out


def _js_results(cases):
    script = (
        "import {normalise, birthDate} from " + json.dumps((STATIC_DIR / "normalise.js").as_uri()) + ";\n"
        "let data = ''; process.stdin.on('data', (c) => data += c); process.stdin.on('end', () => {\n"
        "  const out = JSON.parse(data).map(([k, v]) => { try { return k === 'birth_date' ? birthDate(v) : "
        "normalise(k, v); } catch (e) { return null; } });\n"
        "  process.stdout.write(JSON.stringify(out)); });\n"
    )
    done = subprocess.run(["node", "--input-type=module", "-e", script], input=json.dumps(cases),
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


needs_node = pytest.mark.skipif(shutil.which("node") is None,
                                reason="node is not installed (needed to run the page's JS)")
ALPHABET = " 0123456789+().-/AB@abé\u00a0\u202f\ufeff\t_xZ"
SEPARATOR = st.sampled_from(["", " ", ".", "-", "\u00a0"])
PHONES = st.builds(lambda prefix, digits, sep: prefix + sep.join(digits[i:i + 2] for i in range(0, len(digits), 2)),
                   st.sampled_from(["0", "+33", "+33 (0)", "0033", "+32", ""]),
                   st.text(alphabet="0123456789", min_size=8, max_size=10), SEPARATOR)
NIRS = st.builds(lambda n, dept, case: (make_nir(f"{n:05d}{dept}{n % 10**6:06d}")).lower() if case else
                 make_nir(f"{n:05d}{dept}{n % 10**6:06d}"),
                 st.integers(0, 99999), st.sampled_from(["75", "2A", "2B", "13"]), st.booleans())
EMAILS = st.builds(lambda a, b, pad: f"{pad}{a}@{b}.FR{pad}", st.text(alphabet="abcXYZ._-é", min_size=1, max_size=8),
                   st.text(alphabet="abcdé", min_size=1, max_size=6), st.sampled_from(["", " ", "\ufeff", "\t"]))
DATES = st.builds(lambda y, m, d, fr: f"{d:02d}/{m:02d}/{y}" if fr else f"{y}-{m:02d}-{d:02d}",
                  st.integers(1870, 2030), st.integers(0, 13), st.integers(0, 32), st.booleans())
VALUES = st.one_of(st.text(alphabet=ALPHABET, max_size=22), st.text(max_size=16))
TYPED = st.one_of(st.tuples(st.just("phone"), PHONES), st.tuples(st.just("nir"), NIRS),
                  st.tuples(st.just("email"), EMAILS), st.tuples(st.just("birth_date"), DATES))
KINDS = st.sampled_from(["email", "phone", "nir", "birth_date"])


@needs_node
def test_js_and_python_agree_on_cases():
    cases = [("email", " A@B.FR "), ("phone", "+33 (0)6 12 34 56 78"), ("nir", make_nir("285072A123456").lower()),
             ("birth_date", "31/01/1970"), ("birth_date", "2001-02-29"), ("phone", "0612"), ("email", "x@é.fr")]
    assert _js_results(cases) == _python_results(cases)


@needs_node
@settings(max_examples=4, deadline=None)
@given(st.lists(st.one_of(st.tuples(KINDS, VALUES), TYPED), min_size=150, max_size=200))
def test_js_and_python_agree_on_generated_values(cases):
    expected = _python_results(cases)
    assert _js_results(cases) == expected
