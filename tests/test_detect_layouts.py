"""Synthetic test tables for the detect tests and bench/accuracy.py: varied layouts and wordings, built here.

Independent of ``fuite synth`` on purpose: other header wordings (French,
English, abbreviations, none, meaningless), other value layouts, other
column orders, so that the classifier is checked for generalisation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pyarrow as pa
from faker import Faker
from stdnum import luhn
from stdnum.fr import nir as stdnum_nir

INSURERS = ["MGEN", "Harmonie Mutuelle", "Malakoff Humanis", "AG2R La Mondiale", "MAAF Santé", "Groupama",
            "Mutuelle Générale", "Swiss Life", "Apivia", "MNT", "Matmut", "Alan"]
LABS = ["Laboratoire Bio Ouest", "LBM Cerballiance Rennes", "Labo des Lices", "Biogroup Brest",
        "Laboratoire d'analyses médicales du Centre", "Synlab Nantes"]
NOTES_HIV = ["Patient VIH+ sous Biktarvy, CV indétectable", "PrEP Truvada, contrôle trimestriel",
             "ttt ARV : Triumeq 1cp/j", "suivi VIH, Genvoya", "Infection VIH connue depuis 2012",
             "HIV positive, on Descovy + Tivicay", "sous Odefsey, CD4 OK"]
NOTES_HEALTH = ["Sérologie VIH négative", "ATCD HTA, ttt Amlor 5mg", "INR 2,4 sous AVK (Previscan)",
                "Grossesse 24 SA, contrôle glycémie", "Diabète type 2, HbA1c 7,2%", "Hépatite C traitée",
                "Dépistage VIH et VHC négatifs", "Patiente enceinte, toxo négative", "Chimio en cours (cancer sein)",
                "sous Subutex", "Dépression sous Deroxat", "allergie pénicilline", "pas de VIH connu",
                "Ag HBs négatif", "bilan lipidique à jeun", "Asthme, Ventoline si besoin"]
NOTES_PLAIN = ["RAS", "Patient pressé", "rappeler pour RDV", "Résultats envoyés par courrier", "Tube hémolysé",
               "Adresse à vérifier"]
MEDS_HIV = ["Biktarvy", "Truvada", "TRIUMEQ 1cp/j", "Genvoya", "Odefsey", "Descovy", "Dovato", "Juluca"]
MEDS_OTHER = ["Doliprane 1g", "Kardegic 75", "Levothyrox 50", "Metformine 850", "Amlor 5mg", "Previscan",
              "Ventoline", "Tahor 20"]


@dataclass
class Person:
    last: str
    first: str
    sex: str
    birth: str
    nir: str
    phone: str
    email: str
    street: str
    postcode: str
    city: str
    blood: tuple[str, str]
    doctor: str
    rpps: str
    insurer: str
    member: str
    lab: str
    finess: str
    sample: str
    note: str | None
    med: str | None
    hiv: bool


def _nir(rng: random.Random, sex: str, birth: str) -> str:
    body = f"{1 if sex == 'M' else 2}{birth[2:4]}{birth[5:7]}{rng.choice(['35', '29', '22', '56', '75', '2A', '99'])}" \
           f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    return body + stdnum_nir.calc_check_digits(body + "00")


def _luhn(prefix: str, width: int, rng: random.Random) -> str:
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(width - len(prefix) - 1))
    return body + luhn.calc_check_digit(body)


def make_people(n: int, seed: int = 7) -> list[Person]:
    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    people = []
    for _ in range(n):
        sex = rng.choice("MF")
        first = fake.first_name_male() if sex == "M" else fake.first_name_female()
        last = fake.last_name()
        birth = fake.date_of_birth(minimum_age=1, maximum_age=95).isoformat()
        postcode = f"{rng.choice(['35', '29', '22', '56', '44', '14', '76'])}{rng.choice(['000', '100', '200', '300', '510', '700'])}"
        hiv = rng.random() < 0.08
        note_roll = rng.random()
        note = (rng.choice(NOTES_HIV) if hiv and note_roll < 0.6 else
                rng.choice(NOTES_HEALTH) if note_roll < 0.45 else
                rng.choice(NOTES_PLAIN) if note_roll < 0.6 else None)
        med = rng.choice(MEDS_HIV) if hiv and note_roll >= 0.6 else (rng.choice(MEDS_OTHER) if rng.random() < 0.3 else None)
        if hiv and note_roll < 0.6 and rng.random() < 0.5:
            med = rng.choice(MEDS_HIV)
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        local = local.translate(str.maketrans("éèêëàâäîïôöûüç", "eeeeaaaiioouuc"))
        people.append(Person(
            last=last, first=first, sex=sex, birth=birth, nir=_nir(rng, sex, birth),
            phone=f"0{rng.choice('1234567')}{rng.randint(0, 99999999):08d}",
            email=f"{local}{rng.randint(1, 99)}@{rng.choice(['orange.fr', 'gmail.com', 'free.fr', 'laposte.net'])}",
            street=f"{rng.randint(1, 120)} {rng.choice(['rue', 'avenue', 'boulevard', 'allée', 'impasse', 'chemin'])} "
                   f"{fake.last_name()}",
            postcode=postcode, city=fake.city(),
            blood=(rng.choice(["A", "B", "AB", "O"]), rng.choice(["+", "-"])),
            doctor=f"{fake.first_name()} {fake.last_name()}", rpps=_luhn("10", 11, rng),
            insurer=rng.choice(INSURERS), member=f"{rng.choice(['AD', 'M', 'X'])}{rng.randint(10000, 9999999)}",
            lab=rng.choice(LABS), finess=_luhn(rng.choice(["35", "29", "22"]), 9, rng),
            sample=f"20{rng.randint(15, 20)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            note=note, med=med, hiv=hiv,
        ))
    return people


def _table(columns: list[str], rows: list[list[str | None]]) -> tuple[list[str], pa.Table]:
    data = {f"c{i}": pa.array([r[i] for r in rows], pa.string()) for i in range(len(columns))}
    data = {"__row": pa.array(range(len(rows)), pa.int64()), **data}
    return columns, pa.table(data)


def _fr_date(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}"


def layout_french(people: list[Person]):
    """Long French headers, one column per field."""
    cols = ["Nom", "Prénom", "Date de naissance", "Sexe", "N° Sécurité sociale", "Téléphone", "Email", "Adresse",
            "Code postal", "Ville", "Groupe sanguin", "Médecin prescripteur", "RPPS", "Mutuelle", "N° adhérent",
            "Observations", "Traitement", "Laboratoire", "FINESS", "Date de prélèvement", "N° de commande",
            "Montant (€)"]
    truth = ["last_name", "first_name", "birth_date", "sex", "nir", "phone", "email", "street_address",
             "postal_code", "city", "blood_group", "physician_name", "physician_id", "insurer_name", "insurer_id",
             "health_note", "medication", "lab_name", "lab_id", "sample_date", "internal_id", "other"]
    rows = [[p.last.upper(), p.first, _fr_date(p.birth), p.sex, p.nir[:1] + " " + p.nir[1:3] + " " + p.nir[3:5] + " "
             + p.nir[5:7] + " " + p.nir[7:10] + " " + p.nir[10:13] + " " + p.nir[13:],
             " ".join([p.phone[i:i + 2] for i in range(0, 10, 2)]), p.email, p.street, p.postcode, p.city,
             p.blood[0] + p.blood[1], "Dr " + p.doctor, p.rpps, p.insurer, p.member, p.note, p.med, p.lab,
             p.finess, _fr_date(p.sample), f"{i + 1:015d}", f"{(i * 37) % 200 + 0.5:.2f}"]
            for i, p in enumerate(people)]
    return (*_table(cols, rows), truth)


def layout_abbreviated(people: list[Person]):
    """The abbreviations of lab exports; NIR split into body and key; group and Rh in two columns."""
    cols = ["NOM", "PNOM", "DDN", "S", "NSS", "CLE", "TEL1", "MAIL", "ADR1", "CP", "VILLE", "GRP", "RH",
            "MED", "AMC", "NUM_AMC", "OBS", "TTT", "DATE_PREL", "IPP"]
    truth = ["last_name", "first_name", "birth_date", "sex", "nir", "nir", "phone", "email", "street_address",
             "postal_code", "city", "blood_group", "blood_group", "physician_name", "insurer_name", "insurer_id",
             "health_note", "medication", "sample_date", "internal_id"]
    rows = [[p.last, p.first, p.birth.replace("-", ""), {"M": "H", "F": "F"}[p.sex], p.nir[:13], p.nir[13:],
             "+33" + p.phone[1:], p.email.upper(), p.street, p.postcode, p.city.upper(), p.blood[0],
             "POS" if p.blood[1] == "+" else "NEG", f"DR {p.doctor.upper()}", p.insurer.upper(), p.member, p.note,
             p.med, p.sample + " 08:15", f"P{i:07d}"]
            for i, p in enumerate(people)]
    return (*_table(cols, rows), truth)


def layout_english(people: list[Person]):
    """English headers, full name and full address in one cell, US-ish wording."""
    cols = ["Patient name", "Date of birth", "Gender", "Social security number", "Mobile phone", "E-mail address",
            "Postal address", "Blood type", "Referring physician", "Health insurer", "Member ID", "Clinical notes",
            "Collection date", "Order number", "Status"]
    truth = ["full_name", "birth_date", "sex", "nir", "phone", "email", "full_address", "blood_group",
             "physician_name", "insurer_name", "insurer_id", "health_note", "sample_date", "internal_id", "other"]
    rows = [[f"{p.first} {p.last.upper()}", p.birth, {"M": "Male", "F": "Female"}[p.sex], p.nir,
             "+33 " + p.phone[1] + " " + " ".join(p.phone[i:i + 2] for i in range(2, 10, 2)), p.email,
             f"{p.street}, {p.postcode} {p.city}", f"{p.blood[0]} Rh{p.blood[1]}", f"Dr. {p.doctor}", p.insurer,
             p.member, p.note, p.sample, f"ORD-{100000 + i}", ["done", "pending", "cancelled"][i % 3]]
            for i, p in enumerate(people)]
    return (*_table(cols, rows), truth)


def layout_headerless(people: list[Person]):
    """No header at all (``#k``), a different order, full names "NOM Prénom", 15-digit order numbers failing the key."""
    cols = [f"#{k}" for k in range(11)]
    truth = ["internal_id", "full_name", "birth_date", "nir", "email", "phone", "postal_code", "city",
             "blood_group", "health_note", "sample_date"]
    rows = []
    for i, p in enumerate(people):
        bad = p.nir[:13] + f"{(int(p.nir[13:]) + 7) % 97 + 1:02d}"
        rows.append([bad, f"{p.last.upper()} {p.first}", _fr_date(p.birth)[:6] + p.birth[2:4], p.nir, p.email,
                     p.phone, p.postcode, p.city, f"groupe {p.blood[0]} Rhésus {'positif' if p.blood[1] == '+' else 'négatif'}",
                     p.note, _fr_date(p.sample)])
    return (*_table(cols, rows), truth)


def layout_meaningless(people: list[Person]):
    """``col1``… headers plus two misleading ones (an email column headed "telephone", phones headed "nom")."""
    cols = ["col1", "col2", "telephone", "nom", "col5", "col6", "col7", "col8", "col9"]
    truth = ["first_name", "last_name", "email", "phone", "physician_id", "lab_id", "lab_name", "insurer_name",
             "medication"]
    rows = [[p.first, p.last, p.email, p.phone[:2] + "." + p.phone[2:4] + "." + p.phone[4:6] + "." + p.phone[6:8] + "."
             + p.phone[8:], p.rpps, p.finess, p.lab, p.insurer, p.med] for p in people]
    return (*_table(cols, rows), truth)


def layout_hospital_english(people: list[Person]):
    """An English hospital export: MRN, US dates, GP names without a title, ABO and Rh apart, ICD-coded diagnoses."""
    cols = ["MRN", "Surname", "Given name", "DOB", "Sex", "Home phone", "Email", "Address line 1", "Zip", "Town",
            "ABO", "Rh", "GP", "Insurance", "Policy number", "Diagnosis", "Drugs", "Admission date"]
    truth = ["internal_id", "last_name", "first_name", "birth_date", "sex", "phone", "email", "street_address",
             "postal_code", "city", "blood_group", "blood_group", "physician_name", "insurer_name", "insurer_id",
             "health_note", "medication", "sample_date"]
    rows = [[f"{900000 + 7 * i}", p.last, p.first, f"{p.birth[5:7]}/{p.birth[8:10]}/{p.birth[:4]}", p.sex,
             "+33 (0)" + p.phone[1] + " " + " ".join(p.phone[j:j + 2] for j in range(2, 10, 2)), p.email.upper(),
             p.street, p.postcode, p.city, p.blood[0], "Rh" + p.blood[1], p.doctor, p.insurer, "POL-" + p.member,
             ("B20 - HIV disease; " if p.note in NOTES_HIV else "") + (p.note or ""), p.med,
             f"{p.sample[5:7]}/{p.sample[8:10]}/{p.sample[:4]}"] for i, p in enumerate(people)]
    return (*_table(cols, rows), truth)


_MOIS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
         "novembre", "décembre"]


def layout_lab_semicolon(people: list[Person]):
    """A lab's own wording: Identité "Prénom NOM", Né(e) le, dashed NIR, multi-line address, ADELI, French months."""
    cols = ["Identité", "Né(e) le", "N° Sécu", "Portable", "Mél", "Adresse complète", "Groupe", "Prescripteur",
            "ADELI", "Organisme", "Commentaire", "Prélevé le", "Tarif"]
    truth = ["full_name", "birth_date", "nir", "phone", "email", "full_address", "blood_group", "physician_name",
             "physician_id", "insurer_name", "health_note", "sample_date", "other"]
    rows = [[f"{p.first} {p.last.upper()}", p.birth[8:10] + "." + p.birth[5:7] + "." + p.birth[:4],
             "-".join([p.nir[:1], p.nir[1:3], p.nir[3:5], p.nir[5:7], p.nir[7:10], p.nir[10:13], p.nir[13:]]),
             p.phone, p.email, f"{p.street}\n{p.postcode} {p.city.upper()}",
             f"{p.blood[0]} Rh D {'positif' if p.blood[1] == '+' else 'négatif'}", "Docteur " + p.doctor,
             f"35{10 + i % 3}{i % 10000:04d}{i % 7}", p.insurer, p.note,
             f"{int(p.sample[8:10])} {_MOIS[int(p.sample[5:7]) - 1]} {p.sample[:4]}", f"{12 + i % 40},50 €"]
            for i, p in enumerate(people)]
    return (*_table(cols, rows), truth)


_QUALITY = {1: "ASSURE", 2: "CONJOINT"}
#: NABM codes of common tests (glycaemia, blood count, TSH, HIV serology...): a few codes over many rows.
_ACTS = ["B0552", "B1104", "B1610", "B4342", "B0120", "B1208", "B0996", "B7335", "B0593"]


def layout_third_party(people: list[Person]):
    """A third-party-payment export (tiers payant): member number, rank and quality of each beneficiary, NABM act
    codes beside the insurer, the SMS sent to the patient."""
    cols = ["N° adhérent", "Rang", "Qualité", "NOM", "Prénom", "Né(e) le", "Mutuelle", "Code", "Date soins",
            "SMS envoyé"]
    truth = ["insurer_id", "beneficiary_rank", "beneficiary_quality", "last_name", "first_name", "birth_date",
             "insurer_name", "other", "sample_date", "health_note"]     # act codes are not member numbers
    rows = []
    for i, p in enumerate(people):
        rank = 1 + i % 4
        sms = [f"Bonjour {p.first}, vos résultats sont disponibles au {p.lab}.",
               f"{p.lab} : votre rendez-vous est confirmé le {_fr_date(p.sample)} à 8h30",
               f"Rappel {p.lab} : prélèvement à jeun demain matin"][i % 3]
        rows.append([p.member, f"{rank:02d}", _QUALITY.get(rank, "ENFANT"), p.last.upper(), p.first,
                     _fr_date(p.birth), p.insurer, _ACTS[i % 7 * (i % 3) % len(_ACTS)], _fr_date(p.sample), sms])
    return (*_table(cols, rows), truth)


LAYOUTS = [layout_french, layout_abbreviated, layout_english, layout_headerless, layout_meaningless,
           layout_hospital_english, layout_lab_semicolon, layout_third_party]
#: Which of (note, medication, blood group) each layout writes.
VISIBLE = {layout_french: (True, True, True), layout_abbreviated: (True, True, True),
           layout_english: (True, False, True), layout_headerless: (True, False, True),
           layout_meaningless: (False, True, False), layout_hospital_english: (True, True, True),
           layout_lab_semicolon: (True, False, True), layout_third_party: (False, False, False)}


def expected_flags(layout, people: list[Person]) -> dict[str, list[bool]]:
    """Row flags as an answer key defines them: HIV revealed by a visible cell; health = a health cell is filled
    (blood group, note, medication, sample date: ``fuite.taxonomy.HEALTH_CATEGORIES``)."""
    note, med, blood = VISIBLE[layout]
    sample = "sample_date" in layout(people[:1])[2]
    hiv = [(note and p.note in NOTES_HIV) or (med and p.med in MEDS_HIV) for p in people]
    health = [blood or sample or (note and p.note is not None) or (med and p.med is not None) for p in people]
    return {"hiv": hiv, "health": health}


# ---- tests ---------------------------------------------------------------------------------------------------

import pytest  # noqa: E402

from fuite.detect import classify_table, extract_records  # noqa: E402


@pytest.fixture(scope="module")
def people() -> list[Person]:
    return make_people(160, seed=5)


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda f: f.__name__)
def test_columns_classified(layout, people):
    columns, table, truth = layout(people)
    findings = classify_table(columns, table)
    assert [f.category for f in findings] == truth
    assert all(0 < f.confidence <= 1 for f in findings)
    assert [f.position for f in findings] == list(range(len(columns)))


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda f: f.__name__)
def test_records_flags(layout, people):
    columns, table, _ = layout(people)
    records = extract_records(table, classify_table(columns, table))
    expected = expected_flags(layout, people)
    assert records.column("hiv").to_pylist() == expected["hiv"]
    assert records.column("health").to_pylist() == expected["health"]
    assert records.column("row").to_pylist() == list(range(len(people)))


@pytest.mark.parametrize("layout", [layout_french, layout_abbreviated, layout_english, layout_headerless],
                         ids=lambda f: f.__name__)
def test_records_normalised(layout, people):
    columns, table, _ = layout(people)
    rec = extract_records(table, classify_table(columns, table)).to_pylist()
    for p, r in zip(people, rec):
        assert r["nir"] == p.nir
        assert r["birth_date"] == p.birth
        assert r["email"] == p.email.lower()
        assert r["sample_date"] == p.sample
        assert r["last_name"].lower() == p.last.lower()
        assert r["first_name"] == p.first
        assert r["postal_code"] == p.postcode
        assert r["city"].lower() == p.city.lower()
        assert "nir" in r["categories"].split(";")
    if layout is not layout_headerless:
        assert [r["sex"] for r in rec] == [p.sex for p in people]
        assert [r["phone"] for r in rec] == ["+33" + p.phone[1:] for p in people]


def test_misleading_header_loses_to_values(people):
    columns, table, _ = layout_meaningless(people)
    findings = classify_table(columns, table, explain=True)
    email = findings[2]
    assert email.category == "email"
    assert email.explanation["header"]["matches"].get("phone", 0) > 0
    assert email.explanation["runner_ups"][0]["category"] == "phone"


def test_fifteen_digits_failing_the_key_are_not_nir(people):
    columns, table, truth = layout_headerless(people)
    findings = classify_table(columns, table)
    assert findings[0].category == "internal_id" and findings[3].category == "nir"


def test_empty_and_junk_columns(people):
    cols = ["Nom", "vide", "junk"]
    n = 50
    table = pa.table({"__row": pa.array(range(n), pa.int64()),
                      "c0": [p.last for p in people[:n]], "c1": pa.nulls(n, pa.string()),
                      "c2": ["😀\x00" * (i % 3) or None for i in range(n)]})
    findings = classify_table(cols, table)
    assert findings[0].category == "last_name"
    assert findings[1].category == "other"
    rec = extract_records(table, findings)
    assert rec.num_rows == n and rec.column("hiv").to_pylist() == [False] * n


def test_empty_batch_and_child_rows():
    empty = pa.table({"__row": pa.array([], pa.int64()), "c0": pa.array([], pa.string()),
                      "c1": pa.array([], pa.string())})
    findings = classify_table(["Nom", "OBS"], empty)
    assert extract_records(empty, findings).num_rows == 0
    child = pa.table({"__row": pa.array([5, 6], pa.int64()), "c0": ["DUPONT", None], "c1": ["VIH+", "RAS"],
                      "__parent_row": pa.array([0, 0], pa.int64())})
    rec = extract_records(child.to_batches()[0], classify_table(["Nom", "OBS"], child))
    assert rec.schema.field("last_name").type == pa.string()
    assert rec.column("row").to_pylist() == [5, 6]
    assert rec.column("hiv").to_pylist() == [True, False]
    assert rec.column("categories").to_pylist() == ["last_name;health_note", "health_note"]


def test_records_of_other_wordings(people):
    columns, table, _ = layout_hospital_english(people)
    rec = extract_records(table, classify_table(columns, table)).to_pylist()
    assert [r["birth_date"] for r in rec] == [p.birth for p in people]          # month-first dates
    assert [r["sample_date"] for r in rec] == [p.sample for p in people]
    assert [r["phone"] for r in rec] == ["+33" + p.phone[1:] for p in people]
    assert [r["email"] for r in rec] == [p.email.lower() for p in people]
    assert [r["physician"] for r in rec] == [p.doctor for p in people]
    columns, table, _ = layout_lab_semicolon(people)
    rec = extract_records(table, classify_table(columns, table)).to_pylist()
    assert [(r["last_name"], r["first_name"]) for r in rec] == [(p.last.upper(), p.first) for p in people]
    assert [r["nir"] for r in rec] == [p.nir for p in people]
    assert [(r["street"], r["postal_code"], r["city"]) for r in rec] == \
        [(p.street, p.postcode, p.city.upper()) for p in people]
    assert [r["sample_date"] for r in rec] == [p.sample for p in people]


def test_bare_answers_under_a_condition_header():
    n = 12
    table = pa.table({"__row": pa.array(range(n), pa.int64()),
                      "c0": ["positif", "négatif", None, "négatif"] * 3,
                      "c1": ["oui", "non", "non", None] * 3,
                      "c2": ["négative", "négative", None, "positive"] * 3})
    findings = classify_table(["Statut VIH", "PrEP", "Sérologie VHC"], table, explain=True)
    assert [f.category for f in findings] == ["health_note"] * 3
    rec = extract_records(table, findings)
    assert rec.column("hiv").to_pylist() == [True, False, False, False] * 3
    assert rec.column("conditions").to_pylist() == ["hiv", None, None, "hepatitis"] * 3
