"""Detectors one by one: a table of (header, values, expected category) per detector, free-text matches,
date and name parsers (hypothesis), and the registry itself."""

import datetime as dt

import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.fr import nir as stdnum_nir

from fuite import taxonomy
from fuite.detect import classify_table, default_detectors, find_in_text
from fuite.detect.dates import birth_likelihood, parse_dates
from fuite.detect.names import split_full_names


def nir_of(body: str) -> str:
    return body + stdnum_nir.calc_check_digits(body + "00")


def luhn_of(body: str) -> str:
    return body + luhn.calc_check_digit(body)


BODIES = [f"{s}{y:02d}{m:02d}{d}{c:03d}{o:03d}" for s, y, m, d, c, o in
          [(1, 85, 5, "78", 6, 84), (2, 53, 7, "2B", 73, 4), (2, 91, 12, "35", 238, 12), (1, 60, 1, "29", 19, 150),
           (2, 47, 3, "99", 135, 7), (1, 2, 11, "56", 260, 44), (2, 77, 6, "2A", 4, 908), (1, 33, 9, "75", 116, 3)]]
NIRS = [nir_of(b) for b in BODIES]
BAD_NIRS = [n[:13] + f"{(int(n[13:]) % 97) + 1:02d}" for n in NIRS]
RPPS = [luhn_of(f"100{i:07d}") for i in range(1000, 9000, 1000)]
BAD_RPPS = [r[:-1] + str((int(r[-1]) + 1) % 10) for r in RPPS]
FINESS = [luhn_of(f"{d}{i:06d}") for d in ("35", "29", "22", "56") for i in (281, 4410)]
BAD_FINESS = [f[:-1] + str((int(f[-1]) + 3) % 10) for f in FINESS]

# (header, values, expected)
COLUMN_CASES = [
    ("N° SS", NIRS, "nir"),
    ("numero insee", [f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]} {n[13:]}" for n in NIRS], "nir"),
    ("#4", NIRS, "nir"),
    ("NIR", BAD_NIRS, "internal_id"),                      # the key fails: not a NIR, whatever the header says
    ("Tél.", ["06 12 34 56 78", "+33 6 98 76 54 32", "02.99.11.22.33", "0033 7 11 22 33 44"] * 2, "phone"),
    ("col3", ["06 12 34 56 78", "0299112233", "07-11-22-33-44", "+33612345678"] * 2, "phone"),
    ("Contact", ["06 12 34 56 78 / 02 99 11 22 33", "07 11 22 33 44", "02 98 00 11 22 ou 06 00 11 22 33"] * 2,
     "phone"),
    ("Courriel", ["a.b@orange.fr", "JEAN@FREE.FR", "x_y@gmail.com", "m.n@laposte.net"] * 2, "email"),
    ("DDN", ["12/03/1985", "01/01/1950", "30/06/2001", "15/08/1938", "02/02/1972", "11/11/1990"], "birth_date"),
    ("dob", ["1985-03-12", "1950-01-01", "2001-06-30", "1938-08-15", "1972-02-02", "1990-11-11"], "birth_date"),
    ("#2", ["12031985", "01011950", "30062001", "15081938", "02021972", "11111990"] * 2, "birth_date"),
    ("Date", ["03/02/2019", "11/05/2018", "30/06/2020", "14/01/2019", "02/09/2017", "21/12/2019"], "sample_date"),
    ("date_creation", ["2019-03-02 10:11:12", "2018-05-11 08:00:00", "2020-06-30 17:45:00"] * 2, "other"),
    ("Sexe", ["M", "F", "F", "M", "F", "M"], "sex"),
    ("civilité", ["Mme", "M.", "Mlle", "M.", "Mme", "M."], "sex"),
    ("CP", ["35000", "29200", "22100", "56100", "44000", "14000"], "postal_code"),
    ("Ville", ["Rennes", "Brest", "Saint-Malo", "Quimper", "Vannes", "Lorient"], "city"),
    ("Adresse", ["12 rue de la Paix", "3 bis avenue Foch", "5 impasse des Lilas", "18 bd Voltaire"] * 2,
     "street_address"),
    ("#7", ["12 rue de la Paix, 35000 Rennes", "3 avenue Foch 29200 Brest", "5 allée des Lilas 56100 Lorient"] * 2,
     "full_address"),
    ("Prénom", ["Jean", "Marie", "Pierre", "Sophie", "Nathalie", "Luc"], "first_name"),
    ("Nom", ["DUPONT", "Le Goff", "MARTIN", "Kerbrat", "Quéré", "Morvan"], "last_name"),
    ("Patient", ["DUPONT Jean", "LE GOFF Marie", "Pierre MARTIN", "KERBRAT Sophie", "Luc MORVAN"] * 2, "full_name"),
    ("Groupe sanguin", ["A+", "O-", "AB+", "B-", "O+", "A-"], "blood_group"),
    ("#8", ["A Rh(D) positif", "O Rh+ K-", "AB Rh D négatif", "O Rh+, Kell -", "B Rh-"] * 2, "blood_group"),
    ("#9", ["groupe A Rhésus positif", "groupe O Rhésus négatif", "groupe B Rh+", "A neg"] * 2, "blood_group"),
    ("Médecin", ["Dr Jean Martin", "Docteur Le Bihan", "Dr. S. Morvan", "Pr Kerbrat"] * 2, "physician_name"),
    ("Médecin traitant", ["MARTIN Jean", "Le Bihan Sophie", "DURAND Paul", "Kerbrat Anne"] * 2, "physician_name"),
    ("Nom du médecin", ["MARTIN", "LE BIHAN", "DURAND", "KERBRAT"] * 2, "physician_name"),
    ("NOM PRENOM", ["DUPONT JEAN", "MARTIN MARIE", "LE GOFF PIERRE", "KERBRAT SOPHIE"] * 2, "full_name"),
    ("RPPS", RPPS, "physician_id"),
    ("col12", RPPS, "physician_id"),
    ("RPPS", BAD_RPPS, "internal_id"),                     # bad Luhn: not an RPPS number
    ("Mutuelle", ["MGEN", "Harmonie Mutuelle", "Malakoff Humanis", "AG2R La Mondiale", "MAAF", "Groupama"],
     "insurer_name"),
    ("N° adhérent", ["MG1234567", "HM998877", "AX-55443", "GR776655", "MA112233", "AG445566"], "insurer_id"),
    ("Laboratoire", ["Laboratoire Bio Ouest", "LBM des Lices", "Cerballiance Rennes", "Biogroup Brest"] * 2,
     "lab_name"),
    ("FINESS", FINESS, "lab_id"),
    ("FINESS", BAD_FINESS, "internal_id"),                 # bad Luhn: not a FINESS number
    ("OBS", ["RAS", "Sérologie VIH négative", "INR 2,5 sous AVK", "Grossesse 12 SA", "ATCD HTA"] * 2, "health_note"),
    ("Examen", ["Créatinine", "NFS", "CRP", "TSH", "Ferritine", "Glycémie à jeun", "Bilan lipidique"] * 200,
     "health_note"),
    ("#3", ["Diabète", "Hypertension artérielle", "Asthme", "Hépatite chronique", "Cancer du sein"] * 3,
     "health_note"),
    ("Résultat", ["normal", "1,8 mUI/L", "82 µmol/L", "35 µg/L", "négatif", "6,9 %"] * 2, "health_note"),
    ("TTT", ["Biktarvy", "Doliprane 1g", "Kardegic 75", "Truvada", "Levothyrox 50", "Metformine"], "medication"),
    ("password", ["5f4dcc3b5aa765d61d8327deb882cf99", "e10adc3949ba59abbe56e057f20f883e",
                  "25d55ad283aa400af464c76d713c07ad"] * 2, "credential"),
    ("IPP", [f"P{i:07d}" for i in range(12)], "internal_id"),
    ("#0", [str(i) for i in range(1, 40)], "internal_id"),
    ("Montant", ["12.50", "8.00", "127.36", "94.82", "15.10", "3.20"], "other"),
    # issue 14: a quality column is not a last name, a rank is a rank, an act code is no member number
    ("Qualité", ["ASSURE", "CONJOINT", "ENFANT", "ENFANT", "ASSURE", "CONJOINT"] * 3, "beneficiary_quality"),
    ("#5", ["Assuré", "Conjoint", "Enfant", "Enfant", "Assuré", "Ayant droit"] * 3, "beneficiary_quality"),
    ("RANG", ["01", "02", "01", "03", "02", "01", "04"] * 3, "beneficiary_rank"),
    ("#6", ["01", "02", "01", "03", "02", "01", "04"] * 3, "other"),      # small numbers alone prove no rank
    ("Code examen", ["B1234", "B0120", "B4342", "B1610", "B0552", "B1104"] * 3, "other"),
    ("SMS", ["Bonjour Mme DUPONT, vos résultats sont disponibles au Laboratoire Bio Ouest. Bonne journée",
             "Laboratoire Cerballiance : votre RDV de prélèvement est confirmé le 12/03 à 8h30.",
             "Vos résultats sont prêts, LBM des Lices. Connectez-vous sur notre site."] * 3, "health_note"),
    ("message", ["Laboratoire Bio Ouest: vos résultats sont disponibles", "Labo des Lices : RDV confirmé demain 8h"] * 5,
     "health_note"),
    ("Statut", ["validé", "en attente", "validé", "annulé", "validé", "en attente"] * 4, "other"),
]


@pytest.mark.parametrize(("header", "values", "expected"), COLUMN_CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in COLUMN_CASES])
def test_column_case(header, values, expected):
    table = pa.table({"__row": pa.array(range(len(values)), pa.int64()), "c0": pa.array(values, pa.string())})
    [finding] = classify_table([header], table, explain=True)
    assert finding.category == expected, finding.explanation["runner_ups"]


# issue 14: (headers, columns, expected) where a neighbour used to pull a column into the wrong category
NEIGHBOUR_CASES = [
    (["Mutuelle", "Code"], [["MGEN", "Harmonie Mutuelle", "Malakoff Humanis"] * 6,
                            ["B1234", "B0120", "B4342", "B1610", "B0552", "B1104"] * 3], ["insurer_name", "other"]),
    (["Mutuelle", "#1"], [["MGEN", "Harmonie Mutuelle", "Malakoff Humanis"] * 6,
                          ["B1234", "B0120", "B4342", "B1610", "B0552", "B1104"] * 3], ["insurer_name", "other"]),
    (["Mutuelle", "#1"], [["MGEN", "Harmonie Mutuelle", "Malakoff Humanis"] * 6,
                          [f"MG{i:07d}" for i in range(18)]], ["insurer_name", "insurer_id"]),
    (["NOM", "QUALITE", "RANG"], [["DUPONT", "MARTIN", "LE GOFF"] * 6, ["ASSURE", "CONJOINT", "ENFANT"] * 6,
                                  ["01", "02", "03"] * 6], ["last_name", "beneficiary_quality", "beneficiary_rank"]),
]


@pytest.mark.parametrize(("headers", "columns", "expected"), NEIGHBOUR_CASES, ids=[" ".join(c[0]) for c in NEIGHBOUR_CASES])
def test_neighbour_case(headers, columns, expected):
    n = len(columns[0])
    table = pa.table({"__row": pa.array(range(n), pa.int64()),
                      **{f"c{i}": pa.array(c, pa.string()) for i, c in enumerate(columns)}})
    assert [f.category for f in classify_table(headers, table)] == expected


# (text, categories found)
TEXT_CASES = [
    ("NIR du patient : 1 85 05 78 006 084 91, à vérifier", {"nir"}),
    ("NIR 1 85 05 78 006 084 92", set()),                  # bad key: dropped
    ("joindre au 06 12 34 56 78 ou jean.dupont@orange.fr", {"phone", "email"}),
    ("rappeler le 02.99.12.34.56", {"phone"}),
    ("commande 185057800608400", set()),                   # 15 digits failing the key
    ("RPPS prescripteur 10001234565", {"physician_id"}),
    ("RPPS prescripteur 10001234566", set()),              # bad Luhn
    ("rien à signaler", set()),
]


@pytest.mark.parametrize(("text", "expected"), TEXT_CASES, ids=[c[0][:30] for c in TEXT_CASES])
def test_text_case(text, expected):
    found = {m.category for m in find_in_text(text) if m.score >= 0.5}
    assert found == expected


def test_registry_is_a_plain_filterable_list():
    detectors = default_detectors()
    assert type(detectors) is list and len(detectors) >= len(taxonomy.CATEGORY_IDS)
    covered = {d.category for d in detectors}
    assert covered == set(taxonomy.CATEGORY_IDS)
    nir_only = [d for d in detectors if d.category == "nir"]
    table = pa.table({"c0": pa.array(NIRS, pa.string())})
    assert classify_table(["x"], table, detectors=nir_only)[0].category == "nir"
    assert all(d.header_weight <= 0.6 for d in detectors)   # a header alone never reaches a validated value's score


def test_hostile_text_does_not_hang():
    text = "0" * 5000 + "@" + "a." * 3000
    assert find_in_text(text) == []                      # no valid identifier in it, and the scan ends
    assert [m.category for m in find_in_text("contact: jean.dupont@example.fr")] == ["email"]


LAYOUTS = ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%Y%m%d", "%d.%m.%Y", "%Y/%m/%d", "%d/%m/%Y 10:15"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)), min_size=1, max_size=20),
       st.sampled_from(LAYOUTS))
def test_dates_parse_in_every_layout(days, layout):
    texts = [d.strftime(layout) for d in days]
    assert parse_dates(pl.Series(texts)).to_list() == [d.isoformat() for d in days]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=25), min_size=1, max_size=20))
def test_dates_never_crash(texts):
    out = parse_dates(pl.Series(texts, dtype=pl.String)).to_list()
    assert all(v is None or dt.date.fromisoformat(v) for v in out)


def test_birth_dates_told_from_sample_dates():
    births = pl.Series([f"{y}-0{1 + y % 9}-1{y % 10}" for y in range(1935, 2015, 3)])
    samples = pl.Series([f"20{y}-0{1 + y % 9}-1{y % 10}" for y in (15, 16, 17, 18, 19, 20) * 4])
    assert birth_likelihood(births) > 0.8
    assert birth_likelihood(samples) < 0.2


NAME_CASES = [
    ("DUPONT Jean", ("DUPONT", "Jean")),
    ("Jean DUPONT", ("DUPONT", "Jean")),
    ("LE GOFF Marie-Anne", ("LE GOFF", "Marie-Anne")),
    ("Marie-Anne LE GOFF", ("LE GOFF", "Marie-Anne")),
    ("Dupont, Jean", ("Dupont", "Jean")),
    ("Mme DUPONT Sophie", ("DUPONT", "Sophie")),
    ("jean dupont", ("dupont", "jean")),
    ("dupont jean", ("dupont", "jean")),
    ("LE GOFF PIERRE", ("LE GOFF", "PIERRE")),
]


def test_full_names_split():
    frame = split_full_names(pl.Series([c[0] for c in NAME_CASES]))
    assert frame.rows() == [c[1] for c in NAME_CASES]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=4),
       st.lists(st.one_of(st.none(), st.text(max_size=40), st.from_regex(r"[0-9 ./+-]{4,20}", fullmatch=True)),
                min_size=0, max_size=25))
def test_any_table_is_classified_and_extracted(headers, cells):
    from fuite.detect import extract_records

    n = len(cells)
    table = pa.table({"__row": pa.array(range(n), pa.int64()),
                      **{f"c{i}": pa.array(cells[i:] + cells[:i], pa.string()) for i in range(len(headers))}})
    findings = classify_table(headers, table, explain=True)
    assert [f.position for f in findings] == list(range(len(headers)))
    assert all(f.category in taxonomy.CATEGORY_IDS and 0 <= f.confidence <= 1 for f in findings)
    records = extract_records(table, findings)
    assert records.num_rows == n
    assert all(v is None or len(v) == 15 for v in records.column("nir").to_pylist())
