"""The self-check is only right if a leaked value and the same value typed by its owner normalise alike.

Index side: the leaked cell goes through detect (``extract_records``) and the index builder
(``fuite.lookup.build.person_inputs``). Page/CLI side: the typed value goes through
``fuite.lookup.normalise.lookup_input`` (and the page's JS, tested equal to it elsewhere).
Both must give the same OPRF input for every value detect keeps, on many generated layouts.
"""

import polars as pl
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuite.detect import extract_records
from fuite.errors import ValidationError
from fuite.ids import nir
from fuite.lookup.build import person_inputs
from fuite.lookup.normalise import lookup_input
from fuite.schema import ColumnFinding

SEPARATOR = st.sampled_from(["", " ", ".", "-", "\u00a0"])
BLANK = st.sampled_from(["", " ", "\t", "\u00a0", "\ufeff"])


@st.composite
def leaked_phone(draw):
    digits = draw(st.from_regex(r"[1-9][0-9]{8}", fullmatch=True))
    prefix = draw(st.sampled_from(["0", "+33", "+33 ", "0033 ", "+33 (0)", "33", "", "+32 ", "+44 ", "0044"]))
    sep = draw(SEPARATOR)
    return draw(BLANK) + prefix + sep.join([digits[0]] + [digits[i:i + 2] for i in range(1, 9, 2)]) + draw(BLANK)


@st.composite
def leaked_nir(draw):
    body = draw(st.from_regex(r"[12][0-9]{4}(?:[0-9]{2}|2A|2B)[0-9]{6}", fullmatch=True))
    value = body + nir.calc_check_digits(body)
    sep = draw(SEPARATOR)
    value = sep.join([value[:1], value[1:3], value[3:5], value[5:7], value[7:10], value[10:13], value[13:]])
    return draw(BLANK) + (value.lower() if draw(st.booleans()) else value) + draw(BLANK)


@st.composite
def leaked_email(draw):
    local = draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+'\-]{0,10}[A-Za-z0-9]", fullmatch=True).filter(
        lambda s: ".." not in s))
    host = draw(st.from_regex(r"[a-z0-9](?:[a-z0-9\-]{0,8}[a-z0-9])?", fullmatch=True))
    tld = draw(st.sampled_from(["fr", "FR", "com", "org", "net"]))
    return draw(BLANK) + f"{local}@{host.upper() if draw(st.booleans()) else host}.{tld}" + draw(BLANK)


BIRTH = st.dates(min_value=__import__("datetime").date(1920, 1, 1), max_value=__import__("datetime").date(2020, 12, 31))
ROW = st.tuples(leaked_phone(), leaked_nir(), leaked_email(), BIRTH)
COLUMNS = [("Téléphone", "phone"), ("NIR", "nir"), ("Email", "email"), ("Date de naissance", "birth_date")]


def _index_side(rows) -> set[str]:
    table = pa.table({"__row": pa.array(range(len(rows)), pa.int64()),
                      **{f"c{i}": pa.array([r[i] if i < 3 else r[3].isoformat() for r in rows], pa.string())
                         for i in range(4)}})
    findings = [ColumnFinding("f.csv", "", header, i, category, 1.0) for i, (header, category) in enumerate(COLUMNS)]
    records = extract_records(table, findings)
    persons = records.select(["birth_date", "email", "phone", "nir"])
    return {i.decode() for i in person_inputs(persons)}


def _typed_side(rows) -> set[str]:
    out = set()
    for row in rows:
        typed_birth = row[3].strftime("%d/%m/%Y")    # the person types the French layout
        for kind, value in (("phone", row[0]), ("nir", row[1]), ("email", row[2])):
            try:
                out.add(lookup_input(kind, value, typed_birth))
            except ValidationError:
                pass
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=20, max_size=40))
def test_stored_and_typed_values_meet(rows):
    index = _index_side(rows)
    typed = _typed_side(rows)
    assert index == typed
    assert {f"nir:{nir.validate(r[1])}|{r[3].isoformat()}" for r in rows} <= index   # every NIR is indexed


def test_a_few_layouts_by_hand():
    rows = [("06 12 34 56 78", "1 85 05 78 006 084 91", "Jean.Dupont@Orange.FR ", __import__("datetime").date(1985, 5, 1)),
            ("33612345679", "253072b07300470", "\ufeffa.b@c.fr", __import__("datetime").date(1953, 7, 2))]
    index = _index_side(rows)
    assert "phone:+33612345678|1985-05-01" in index and "phone:+33612345679|1953-07-02" in index
    assert "nir:185057800608491|1985-05-01" in index and "nir:253072B07300470|1953-07-02" in index
    assert "email:jean.dupont@orange.fr|1985-05-01" in index and "email:a.b@c.fr|1953-07-02" in index
    assert index == _typed_side(rows)
