"""resolve_records on hand-made hard cases (synthetic values only)."""

from __future__ import annotations

import os

import pyarrow as pa
import pytest

from fuite.resolve import LINK_SCHEMA, resolve_records
from fuite.schema import PERSON_SCHEMA, RECORD_SCHEMA

# A small background population so that the hard cases sit among other people.
_BACKGROUND = [
    ("Durand", "Paul", "1971-05-02", "35000", "Rennes"), ("Petit", "Anne", "1980-11-23", "29200", "Brest"),
    ("Moreau", "Luc", "1955-01-30", "44000", "Nantes"), ("Girard", "Chloé", "1999-07-14", "56000", "Vannes"),
    ("Roux", "Henri", "1948-03-08", "14000", "Caen"), ("Fournier", "Lucie", "1988-09-19", "76000", "Rouen"),
    ("Bonnet", "Hugo", "2001-12-01", "49000", "Angers"), ("Lambert", "Inès", "1963-06-06", "72000", "Le Mans"),
]


def _table(rows: list[dict]) -> pa.Table:
    out = []
    for i, row in enumerate(rows):
        record = {f.name: None for f in RECORD_SCHEMA}
        record.update(record_id=i, source_id=row.get("source", 0), file=row.get("file", "patients.csv"), table="",
                      row=i, person_id=i)
        record.update({k: v for k, v in row.items() if k in record})
        out.append(record)
    return pa.Table.from_pylist(out, schema=RECORD_SCHEMA)


def _background() -> list[dict]:
    return [dict(last_name=last, first_name=first, birth_date=birth, postal_code=pc, city=city)
            for last, first, birth, pc, city in _BACKGROUND]


def _person_of(result, index: int) -> int:
    ids = result.records.column("record_id").to_pylist()
    return result.records.column("person_id").to_pylist()[ids.index(index)]


def _resolve(cases: list[dict]):
    rows = _background() + cases
    return resolve_records(_table(rows)), len(_BACKGROUND)


def test_namesakes_with_different_birth_dates_stay_apart():
    result, k = _resolve([
        dict(last_name="MARTIN", first_name="Jean", birth_date="1950-02-03", postal_code="35000", city="Rennes"),
        dict(last_name="Martin", first_name="Jean", birth_date="1987-10-21", postal_code="35000", city="Rennes"),
    ])
    assert _person_of(result, k) != _person_of(result, k + 1)


def test_typo_in_surname_with_the_same_nir_joins():
    result, k = _resolve([
        dict(last_name="Lefebvre", first_name="Élodie", birth_date="1980-03-12", nir="280037511234567"),
        dict(last_name="Lefèvbre", first_name="Elodie", birth_date="1980-03-12", nir="280037511234567"),
    ])
    assert _person_of(result, k) == _person_of(result, k + 1)
    links = result.links.to_pylist()
    assert any(link["rule"] == "nir" and link["joined"] for link in links)


def test_swapped_first_and_last_names_join():
    result, k = _resolve([
        dict(last_name="Tanguy", first_name="Maëlle", birth_date="1992-04-17", postal_code="29000", city="Quimper"),
        dict(last_name="MAELLE", first_name="TANGUY", birth_date="1992-04-17", postal_code="29000", city="QUIMPER"),
    ])
    assert _person_of(result, k) == _person_of(result, k + 1)


def test_lost_accents_and_case_join():
    result, k = _resolve([
        dict(last_name="Lecœur", first_name="Hélène", birth_date="1975-08-30", postal_code="50100",
             city="Cherbourg-en-Cotentin"),
        dict(last_name="LECOEUR", first_name="HELENE", birth_date="1975-08-30", postal_code="50100",
             city="CHERBOURG EN COTENTIN"),
    ])
    assert _person_of(result, k) == _person_of(result, k + 1)


def test_shared_family_phone_with_other_birth_dates_does_not_join():
    result, k = _resolve([
        dict(last_name="Le Goff", first_name="Yann", birth_date="1961-02-11", phone="+33298123456",
             postal_code="29200", city="Brest"),
        dict(last_name="Le Goff", first_name="Nolwenn", birth_date="1994-06-25", phone="+33298123456",
             postal_code="29200", city="Brest"),
    ])
    assert _person_of(result, k) != _person_of(result, k + 1)


def test_placeholder_email_shared_by_many_rows_links_nobody():
    people = [dict(last_name=f"Nom{chr(65 + i % 26)}{i}", first_name="Alex", birth_date="1990-01-01",
                   email="inconnu@inconnu.fr") for i in range(60)]
    result, k = _resolve(people)
    persons = {_person_of(result, k + i) for i in range(60)}
    assert len(persons) == 60
    assert result.summary["placeholders_blanked"]["email"] == 60


def test_child_rows_follow_their_parent_through_two_levels():
    rows = _background() + [
        dict(last_name="Riou", first_name="Gaël", birth_date="1983-05-05", nir="183052938512345"),
        dict(last_name="RIOU", first_name="GAEL", birth_date="1983-05-05", nir="183052938512345"),
        dict(source=1, parent_record_id=len(_BACKGROUND)),          # an analysis of the first record
        dict(source=2, parent_record_id=len(_BACKGROUND) + 2),      # a result nested under that analysis
    ]
    result = resolve_records(_table(rows))
    k = len(_BACKGROUND)
    assert _person_of(result, k + 2) == _person_of(result, k + 3) == _person_of(result, k + 1)
    assert result.summary["child_records"] == 2


def test_outputs_follow_the_schemas_and_person_id_is_the_smallest_record_id():
    result, k = _resolve([
        dict(last_name="Hamon", first_name="Lena", birth_date="2000-02-29", nir="200022911111199"),
        dict(last_name="Hamon", first_name="Léna", birth_date="2000-02-29", nir="200022911111199"),
    ])
    assert result.records.schema == RECORD_SCHEMA
    assert result.persons.schema == PERSON_SCHEMA
    assert result.links.schema == LINK_SCHEMA
    assert _person_of(result, k + 1) == k
    assert result.persons.num_rows == len(set(result.records.column("person_id").to_pylist()))


def test_person_profile_unions_categories_and_flags():
    rows = [
        dict(last_name="Nédélec", first_name="Anne", birth_date="1970-01-02", nir="270012911111111",
             categories="nir;last_name", health=True, hiv=False, conditions="pregnancy", lab="Labo A",
             sample_date="2019-03-01", file="a.csv"),
        dict(last_name="NEDELEC", first_name="ANNE", birth_date="1970-01-02", nir="270012911111111",
             categories="first_name;medication", health=True, hiv=True, conditions="hiv", lab="Labo B",
             sample_date="2017-05-06", file="b.csv"),
        dict(last_name="Nédélec", first_name="Anne", birth_date="1970-01-02", nir="270012911111111", file="c.csv"),
    ]
    person = resolve_records(_table(rows)).persons.to_pylist()
    assert len(person) == 1
    p = person[0]
    assert p["records"] == 3
    assert p["categories"] == "last_name;first_name;nir;medication"   # taxonomy order
    assert p["conditions"] == "hiv;pregnancy"
    assert p["hiv"] is True and p["health"] is True
    assert p["files"] == "a.csv;b.csv;c.csv" and p["labs"] == "Labo A;Labo B"
    assert (p["first_sample"], p["last_sample"]) == ("2017-05-06", "2019-03-01")
    assert p["last_name"] == "Nédélec"       # the majority spelling


def test_missing_columns_are_a_one_line_error_without_values():
    from fuite.errors import LinkError

    with pytest.raises(LinkError, match="lacks the column"):
        resolve_records(pa.table({"record_id": [0, 1]}))


def test_duckdb_writes_nothing_to_disk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result, _ = _resolve([dict(last_name="Morvan", first_name="Erwan", birth_date="1966-06-16")])
    assert result.persons.num_rows > 0
    assert os.listdir(tmp_path) == []


def test_dangling_and_cyclic_parents_do_not_hang_or_crash():
    rows = _background() + [
        dict(last_name="Guéguen", first_name="Tristan", birth_date="1977-07-07"),
        dict(source=1, parent_record_id=999),                    # parent not in the case
        dict(source=1, parent_record_id=len(_BACKGROUND) + 3),   # two rows pointing at each other
        dict(source=1, parent_record_id=len(_BACKGROUND) + 2),
    ]
    result = resolve_records(_table(rows))
    k = len(_BACKGROUND)
    assert result.summary["dangling_parents"] == 1
    assert _person_of(result, k + 1) == k + 1
    assert _person_of(result, k + 2) == _person_of(result, k + 3)
