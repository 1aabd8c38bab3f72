"""Real persons, not households: one table of cases per reality of French patient records (synthetic values).

Each case lists records and the person each truly belongs to (a letter); the resolver must give
exactly that partition, among a small background population.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

from dataclasses import replace

from fuite.resolve import DEFAULT_SETTINGS, resolve_records
from fuite.resolve.clusters import constrained_components
from fuite.resolve.constraints import Signature, birth_dates_close, incompatibility, split_rule_text
from fuite.resolve.explain import explain_person, explain_records
from fuite.resolve.features import repair_mojibake
from fuite.schema import RECORD_SCHEMA

_BACKGROUND = [
    ("Durand", "Paul", "1971-05-02", "35000", "Rennes"), ("Petit", "Anne", "1980-11-23", "29200", "Brest"),
    ("Moreau", "Luc", "1955-01-30", "44000", "Nantes"), ("Girard", "Chloé", "1999-07-14", "56000", "Vannes"),
    ("Roux", "Henri", "1948-03-08", "14000", "Caen"), ("Fournier", "Lucie", "1988-09-19", "76000", "Rouen"),
]

# a household: the insured father, his wife (usage name MARTIN, birth name LEROY), twins, an older son
FATHER = dict(last_name="MARTIN", first_name="Jean", birth_date="1975-03-14", sex="M", nir="175033512345678",
              phone="+33299112233", email="famille.martin@orange.fr", street="3 rue des Lilas", postal_code="35000",
              city="Rennes")
HOME = {k: FATHER[k] for k in ("phone", "email", "street", "postal_code", "city")}
PARENT_NIR = FATHER["nir"]


def _rec(**values) -> dict:
    return values


_CASES = {
    "ayant droit: a child under the insured parent's NIR is not the parent": (
        [FATHER, _rec(last_name="MARTIN", first_name="Léa", birth_date="2012-06-02", sex="F", nir=PARENT_NIR, **HOME)],
        "AB"),
    "ayant droit: the child's records with her own NIR and with the parent's are one person": (
        [FATHER, _rec(last_name="MARTIN", first_name="Léa", birth_date="2012-06-02", sex="F", nir=PARENT_NIR, **HOME),
         _rec(last_name="Martin", first_name="Lea", birth_date="2012-06-02", sex="F", nir="212063512300011",
              postal_code="35000", city="Rennes")],
        "ABB"),
    "ayant droit: the same insured NIR with two ranks is two beneficiaries": (
        [_rec(last_name="MARTIN", first_name="Léa", birth_date="2012-06-02", nir=PARENT_NIR, beneficiary_rank="03"),
         _rec(last_name="MARTIN", first_name="Léa", birth_date="2014-06-02", nir=PARENT_NIR, beneficiary_rank="04")],
        "AB"),
    "ayant droit: a spouse under the insured NIR (quality CONJOINT) is not the insured": (
        [FATHER, _rec(last_name="MARTIN", first_name="Sophie", birth_date="1977-08-09", sex="F", nir=PARENT_NIR,
                      beneficiary_quality="CONJOINT", **HOME)],
        "AB"),
    "twins: same birth date, parent NIR, phone and family email, other first names": (
        [_rec(last_name="MARTIN", first_name="Hugo", birth_date="2010-04-05", sex="M", nir=PARENT_NIR, **HOME),
         _rec(last_name="MARTIN", first_name="Théo", birth_date="2010-04-05", sex="M", nir=PARENT_NIR, **HOME),
         _rec(last_name="MARTIN", first_name="Hugo", birth_date="2010-04-05", sex="M", phone=HOME["phone"]),
         _rec(last_name="Martin", first_name="Theo", birth_date="2010-04-05", email=HOME["email"])],
        "ABAB"),
    "homonyms: same names and birth date, another town, NIR and phone": (
        [_rec(last_name="BERNARD", first_name="Marie", birth_date="1960-01-01", sex="F", nir="260013512345601",
              phone="+33611111111", postal_code="35000", city="Rennes"),
         _rec(last_name="BERNARD", first_name="Marie", birth_date="1960-01-01", sex="F", nir="260012912345602",
              phone="+33622222222", postal_code="29200", city="Brest")],
        "AB"),
    "homonyms: a sparse record (names and birth date) does not chain them": (
        [_rec(last_name="BERNARD", first_name="Marie", birth_date="1960-01-01", sex="F", nir="260013512345601",
              phone="+33611111111", postal_code="35000", city="Rennes"),
         _rec(last_name="BERNARD", first_name="Marie", birth_date="1960-01-01", sex="F", nir="260012912345602",
              phone="+33622222222", postal_code="29200", city="Brest"),
         _rec(last_name="BERNARD", first_name="Marie", birth_date="1960-01-01")],
        "ABC"),
    "homonyms: one's own NIR under a noisy quality column (ENFANT, rank 03) still tells them apart": (
        [_rec(last_name="MICHAUD", first_name="André", birth_date="1968-06-06", sex="M", nir="168065044264682",
              beneficiary_rank="03", beneficiary_quality="ENFANT", postal_code="35170", city="Bruz"),
         _rec(last_name="MICHAUD", first_name="André", birth_date="1968-06-06", sex="M", nir="168067261658453",
              beneficiary_rank="01", postal_code="35170", city="Bruz")],
        "AB"),
    "homonyms: phones and emails differ, nothing shared: not chained through a record of one of them": (
        [_rec(last_name="LE BRIS", first_name="Mathieu", birth_date="1988-07-30", sex="M",
              phone="+33653024305", email="mathieu.lebris2@yahoo.fr", postal_code="29000", city="Quimper"),
         _rec(last_name="LE BRIS", first_name="Mathieu", birth_date="1988-07-30", sex="M",
              phone="+33781312069", email="mathieu.lebris88@wanadoo.fr", postal_code="29000", city="Quimper"),
         _rec(last_name="Le Bris", first_name="Mathieu", birth_date="1988-07-30",
              email="mathieu.lebris88@wanadoo.fr", postal_code="29000", city="Quimper")],
        "ABB"),
    "married name: birth name in one file, usage name in another, same NIR": (
        [_rec(last_name="LEROY", first_name="Sophie", birth_date="1977-08-09", sex="F", nir="277083512345699"),
         _rec(last_name="MARTIN", first_name="Sophie", birth_date="1977-08-09", sex="F", nir="277083512345699")],
        "AA"),
    "married name: 'LEROY épouse MARTIN', 'MARTIN née LEROY', 'MARTIN-LEROY' and NOM_NAISS": (
        [_rec(last_name="LEROY épouse MARTIN", first_name="Sophie", birth_date="1977-08-09", postal_code="35000"),
         _rec(last_name="MARTIN née LEROY", first_name="Sophie", birth_date="1977-08-09", postal_code="35000"),
         _rec(last_name="MARTIN-LEROY", first_name="Sophie", birth_date="1977-08-09"),
         _rec(last_name="MARTIN", birth_name="LEROY", first_name="Sophie", birth_date="1977-08-09"),
         _rec(last_name="LEROY", first_name="Sophie", birth_date="1977-08-09", postal_code="35000")],
        "AAAAA"),
    "compound surname: hyphen, space, or the first part only": (
        [_rec(last_name="DUPONT-LAJOIE", first_name="Marc", birth_date="1966-02-11", postal_code="29200"),
         _rec(last_name="Dupont Lajoie", first_name="Marc", birth_date="1966-02-11", postal_code="29200"),
         _rec(last_name="DUPONT", first_name="Marc", birth_date="1966-02-11", postal_code="29200")],
        "AAA"),
    "particles: 'de La Fontaine', 'DELAFONTAINE', 'Le Goff' / 'LEGOFF'": (
        [_rec(last_name="de La Fontaine", first_name="Anne", birth_date="1981-09-30", postal_code="56000"),
         _rec(last_name="DELAFONTAINE", first_name="Anne", birth_date="1981-09-30", postal_code="56000"),
         _rec(last_name="Le Goff", first_name="Yann", birth_date="1970-10-10", postal_code="29000"),
         _rec(last_name="LEGOFF", first_name="Yann", birth_date="1970-10-10", postal_code="29000")],
        "AABB"),
    "several first names in varying order, or only the usual one": (
        [_rec(last_name="GARNIER", first_name="Marie Claire Anne", birth_date="1958-12-24", postal_code="44000"),
         _rec(last_name="GARNIER", first_name="Claire", birth_date="1958-12-24", postal_code="44000"),
         _rec(last_name="GARNIER", first_name="Anne Claire Marie", birth_date="1958-12-24")],
        "AAA"),
    "a hyphenated first name is one name: Jean-Pierre is not his brother Jean": (
        [_rec(last_name="FAURE", first_name="Jean-Pierre", birth_date="1990-05-05", sex="M", **HOME),
         _rec(last_name="FAURE", first_name="Jean", birth_date="1990-05-05", sex="M", **HOME)],
        "AB"),
    "lost diacritics, OCR and typing errors, mojibake": (
        [_rec(last_name="Lefèvre", first_name="Hélène", birth_date="1985-07-07", postal_code="14000"),
         _rec(last_name="LEFEVRE", first_name="HELENE", birth_date="1985-07-07"),
         _rec(last_name="LefÃ¨vre", first_name="HÃ©lÃ¨ne", birth_date="1985-07-07"),
         _rec(last_name="Lefevre", first_name="Hclene", birth_date="1985-07-07", postal_code="14000"),
         _rec(last_name="Lefèrve", first_name="Hélène", birth_date="1985-07-07", postal_code="14000")],
        "AAAAA"),
    "birth date: day and month swapped": (
        [_rec(last_name="ROBIN", first_name="Julie", birth_date="1992-04-07", sex="F", nir="292043512345611"),
         _rec(last_name="ROBIN", first_name="Julie", birth_date="1992-07-04", sex="F", nir="292043512345611"),
         _rec(last_name="ROBIN", first_name="Julie", birth_date="1992-07-04", postal_code="35000")],
        "AAA"),
    "birth date: one digit wrong (the NIR still reads as hers)": (
        [_rec(last_name="ROBIN", first_name="Julie", birth_date="1992-04-07", sex="F", nir="292043512345611"),
         _rec(last_name="ROBIN", first_name="Julie", birth_date="1993-04-07", sex="F", nir="292043512345611")],
        "AA"),
    "birth date: missing": (
        [_rec(last_name="ROBIN", first_name="Julie", birth_date="1992-04-07", sex="F", nir="292043512345611"),
         _rec(last_name="ROBIN", first_name="Julie", sex="F", nir="292043512345611")],
        "AA"),
    "two errors that contradict each other are two clusters, never one chained through both": (
        [_rec(last_name="ROBIN", first_name="Julie", birth_date="1992-07-04", sex="F", nir="292043512345611"),
         _rec(last_name="ROBIN", first_name="Julie", birth_date="1993-04-07", sex="F", nir="292043512345611")],
        "AB"),
    "household email and phone: a mother and her daughter stay apart": (
        [_rec(last_name="MARTIN", first_name="Sophie", birth_date="1977-08-09", sex="F", **HOME),
         _rec(last_name="MARTIN", first_name="Emma", birth_date="2008-03-01", sex="F", **HOME),
         _rec(last_name="MARTIN", first_name="Sophie", phone=HOME["phone"])],
        "ABA"),
    "moves and phone changes: an old archive row with the same NIR": (
        [_rec(last_name="LEMOINE", first_name="Paul", birth_date="1949-11-11", sex="M", nir="149113512345622",
              phone="+33633333333", postal_code="35000", city="Rennes"),
         _rec(last_name="LEMOINE", first_name="Paul", birth_date="1949-11-11", sex="M", nir="149113512345622",
              phone="+33644444444", postal_code="13001", city="Marseille")],
        "AA"),
    "the NIR in some files only": (
        [_rec(last_name="CARON", first_name="Inès", birth_date="2001-01-21", nir="201013512345633",
              email="ines.caron@free.fr"),
         _rec(last_name="Caron", first_name="Ines", birth_date="2001-01-21", email="ines.caron@free.fr")],
        "AA"),
}


def _table(rows: list[dict]) -> pa.Table:
    out = []
    for i, row in enumerate(rows):
        record = {f.name: None for f in RECORD_SCHEMA}
        record.update(record_id=i, source_id=0, file="patients.csv", table="", row=i, person_id=i)
        record.update({k: v for k, v in row.items() if k in record})
        out.append(record)
    return pa.Table.from_pylist(out, schema=RECORD_SCHEMA)


def _resolved(cases: list[dict]):
    background = [dict(last_name=a, first_name=b, birth_date=c, postal_code=d, city=e) for a, b, c, d, e in _BACKGROUND]
    # a small extract: the prior of a leak where each record has about one match among its pairs
    result = resolve_records(_table(background + cases), settings=replace(DEFAULT_SETTINGS, min_prior=0.05))
    persons = result.records.column("person_id").to_pylist()[len(background):]
    return result, persons, len(background)


@pytest.mark.parametrize("name", list(_CASES))
def test_reality(name):
    records, truth = _CASES[name]
    _, persons, _ = _resolved(records)
    for i in range(len(truth)):
        for j in range(i + 1, len(truth)):
            assert (persons[i] == persons[j]) == (truth[i] == truth[j]), (name, i, j)


def test_sparse_record_claimed_by_two_homonyms_is_counted_undecided():
    records, _ = _CASES["homonyms: a sparse record (names and birth date) does not chain them"]
    result, _, k = _resolved(records)
    assert result.summary["undecided_records"] >= 1
    links = result.links.to_pylist()
    refused = [x for x in links if x["record_id_r"] == k + 2 or x["record_id_l"] == k + 2]
    assert any((x["split_rule"] or "").startswith("undecided") for x in refused)


def test_exposure_stays_with_the_person_whose_record_revealed_it():
    records = [FATHER, _rec(last_name="MARTIN", first_name="Léa", birth_date="2012-06-02", sex="F", nir=PARENT_NIR,
                            health=True, hiv=True, conditions="hiv", categories="last_name;first_name;health_note",
                            **HOME)]
    result, persons, _ = _resolved(records)
    by_id = {p["person_id"]: p for p in result.persons.to_pylist()}
    assert by_id[persons[0]]["hiv"] is False and not by_id[persons[0]]["conditions"]
    assert by_id[persons[1]]["hiv"] is True and by_id[persons[1]]["conditions"] == "hiv"
    assert by_id[persons[1]]["birth_date"] == "2012-06-02"      # the notice goes to the child's guardians


def test_explain_names_the_rule_that_kept_twins_apart():
    records, _ = _CASES["twins: same birth date, parent NIR, phone and family email, other first names"]
    result, persons, k = _resolved(records)
    explained = explain_records(result.records, result.links, k, k + 1)
    assert explained["same_person"] is False
    assert any(link["kept_apart"] and "first names differ" in link["kept_apart"] for link in explained["direct_links"])
    person = explain_person(result.records, result.links, persons[0])
    assert any("first names differ" in (link["kept_apart"] or "") for link in person["kept_apart"])


@pytest.mark.parametrize("second_weight, undecided", [(10.0, False), (19.0, True)])
def test_cluster_rule_splits_what_pairs_would_chain(second_weight, undecided):
    """0 - 1 - 2 where 1 is sparse and 0, 2 disagree on the birth date: never one cluster. When 2 claims 1
    about as strongly as 0 does, 1 is undecided and kept alone."""
    signatures = [Signature(**{**_SIG, "birth_date": "1990-01-01"}), Signature(**_SIG),
                  Signature(**{**_SIG, "birth_date": "1996-06-16"})]
    fields = pl.DataFrame({"birth_date": ["1990-01-01", None, "1996-06-16"]})
    result = constrained_components(3, [0, 1], [1, 2], [20.0, second_weight], np.arange(3), signatures,
                                    incompatibility, fields, margin=2.0)
    assert result.labels[0] != result.labels[2]
    assert result.reason[1] == "cluster:birth_date"
    assert (result.labels[1] != result.labels[0]) == undecided
    assert list(result.undecided) == ([1] if undecided else [])


_SIG = dict(sex=None, birth_date=None, nir_own=None, nir_insured=None, rank=None, first=None, last=None)


@pytest.mark.parametrize("a, b, reason", [
    (dict(sex="F"), dict(sex="M"), "sex"),
    (dict(birth_date="1990-01-01"), dict(birth_date="1991-01-01"), None),       # one digit
    (dict(birth_date="1990-01-01"), dict(birth_date="1990-02-01"), None),       # one digit (month)
    (dict(birth_date="1990-03-04"), dict(birth_date="1990-04-03"), None),       # day/month swapped
    (dict(birth_date="1990-03-29"), dict(birth_date="1990-03-30"), None),       # one day apart
    (dict(birth_date="1990-03-04"), dict(birth_date="1992-05-04"), "birth_date"),
    (dict(nir_own="175033512345678"), dict(nir_own="175033512345679"), "nir"),
    (dict(nir_insured="1", rank="03"), dict(nir_insured="1", rank="04"), "rank"),
    (dict(nir_insured="1", rank="03"), dict(nir_insured="2", rank="04"), None),
    (dict(first=frozenset({"HUGO"})), dict(first=frozenset({"THEO"})), "first_name"),
    (dict(first=frozenset({"MARIE", "CLAIRE"})), dict(first=frozenset({"CLAIRE"})), None),
    (dict(first=frozenset({"JULIEN"})), dict(first=frozenset({"JULEIN"})), None),
    (dict(first=frozenset({"MAXIME"})), dict(first=frozenset({"MAXIRNE"})), None),            # OCR rn/m
    (dict(first=frozenset({"JEANPIERRE"})), dict(first=frozenset({"JEAN"})), "first_name"),
    (dict(first=frozenset({"MARTIN"}), last=frozenset({"PAUL"})),
     dict(first=frozenset({"PAUL"}), last=frozenset({"MARTIN"})), None),                     # swapped fields
])
def test_incompatibility_rules(a, b, reason):
    assert incompatibility(Signature(**{**_SIG, **a}), Signature(**{**_SIG, **b})) == reason
    assert incompatibility(Signature(**{**_SIG, **b}), Signature(**{**_SIG, **a})) == reason


def test_helpers():
    assert birth_dates_close("2001-02-03", "2001-02-03") and not birth_dates_close("2001-02-03", "bad")
    assert repair_mojibake("LefÃ¨vre") == "Lefèvre" and repair_mojibake("Lefèvre") == "Lefèvre"
    assert split_rule_text(None) is None and "cluster rule" in split_rule_text("cluster:sex")
