"""Free text: the subject and status of every condition finding, ambiguous drugs, identifiers typed in notes.

One table of (text, expected findings) for every rule, then an independent note
layout written here (a clinic's consultation export: other headers, other
wordings, several notes per record, identifiers typed by staff), which
``bench/accuracy.py`` also scores.
"""

from __future__ import annotations

import random

import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.fr import nir as stdnum_nir

from fuite.detect import classify_table, extract_records
from fuite.detect.context import TextContext, edsnlp_triggers
from fuite.detect.folding import fold
from fuite.detect.freetext import analyse_text, record_texts
from fuite.detect.textids import typed_categories, typed_identifiers

A, N, H, P = "affirmed", "negated", "hypothetical", "proposed"

# (text, {(condition, subject, status)}, conditions counted for the patient)
CASES = [
    # the five mentions of the issue: none is the patient's
    ("père VIH+", {("hiv", "relative", A)}, set()),
    ("conjointe séropositive (CV indétectable)", {("hiv", "partner", A)}, set()),
    ("partenaire sous Biktarvy", {("hiv", "partner", A)}, set()),
    ("AES : patient source VIH+", {("hiv", "source", A)}, set()),
    ("dépistage VIH proposé, refusé", {("hiv", "patient", P)}, set()),
    # subject: relatives (edsnlp's family triggers), partners, sources, a cue after the mention, back to the patient
    ("Mère : hépatite B chronique", {("hepatitis", "relative", A)}, set()),
    ("ATCD familiaux : cancer du sein", {("cancer", "relative", A)}, set()),
    ("Hépatite C chez le père", {("hepatitis", "relative", A)}, set()),
    ("antécédent de cancer dans la famille", {("cancer", "relative", A)}, set()),
    ("son enfant est suivi pour une leucémie", {("cancer", "relative", A)}, set()),
    ("Enfant de 4 ans, leucémie en rémission", {("cancer", "patient", A)}, {"cancer"}),
    ("Frère schizophrène", {("mental_health", "relative", A)}, set()),
    ("Sœur enceinte, accompagne la patiente", {("pregnancy", "relative", A)}, set()),
    ("Fille enceinte de 30 SA", {("pregnancy", "relative", A)}, set()),
    ("Compagnon suivi pour un lymphome", {("cancer", "partner", A)}, set()),
    ("Conjoint sous méthadone", {("addiction", "partner", A)}, set()),
    ("AES, sujet source VHC+", {("hepatitis", "source", A)}, set()),
    ("Conjoint VIH+. Patiente enceinte de 12 SA", {("hiv", "partner", A), ("pregnancy", "patient", A)},
     {"pregnancy"}),
    ("Partenaire VIH+ (CV indétectable), patient sous PrEP", {("hiv", "partner", A), ("hiv", "patient", A)},
     {"hiv"}),
    ("Conjointe informée, patient séropositif sous Biktarvy", {("hiv", "patient", A)}, {"hiv"}),
    ("Père VIH+ | Grossesse 20 SA", {("hiv", "relative", A), ("pregnancy", "patient", A)}, {"pregnancy"}),
    # status: negated (edsnlp's negation triggers), hypothetical, proposed / requested / refused
    ("pas de VIH connu", {("hiv", "patient", N)}, set()),
    ("Sérologies VIH, VHB, VHC négatives", {("hiv", "patient", N), ("hepatitis", "patient", N)}, set()),
    ("Grossesse 12 SA, sérologies VIH/VHB négatives",
     {("pregnancy", "patient", A), ("hiv", "patient", N), ("hepatitis", "patient", N)}, {"pregnancy"}),
    ("Ag HBs négatif, Ac anti-HBc négatifs", {("hepatitis", "patient", N)}, set()),
    ("Vacciné hépatite B (Ac anti-HBs > 10 UI/L)", {("hepatitis", "patient", N)}, set()),
    ("Pas d'hépatite connue", {("hepatitis", "patient", N)}, set()),
    ("VIH -", {("hiv", "patient", N)}, set()),
    ("Statut VIH : non", {("hiv", "patient", N)}, set()),
    ("VIH non traité, CD4 à 200", {("hiv", "patient", A)}, {"hiv"}),
    ("Grossesse normale, 30 SA", {("pregnancy", "patient", A)}, {"pregnancy"}),
    ("Suspicion d'hépatite à éliminer", {("hepatitis", "patient", H)}, set()),
    ("hépatite B ?", {("hepatitis", "patient", H)}, set()),
    ("grossesse possible", {("pregnancy", "patient", H)}, set()),
    ("PrEP proposée, refusée par le patient", {("hiv", "patient", P)}, set()),
    ("refus de PrEP", {("hiv", "patient", P)}, set()),
    ("TROD VIH proposé", {("hiv", "patient", P)}, set()),
    ("Bilan VHB demandé", {("hepatitis", "patient", P)}, set()),
    ("Sérologie VIH demandée par le médecin", {("hiv", "patient", P)}, set()),
    ("Test de grossesse négatif", set(), set()),
    ("Test de grossesse positif", {("pregnancy", "patient", A)}, {"pregnancy"}),
    ("pas de doute : hépatite C active", {("hepatitis", "patient", A)}, {"hepatitis"}),
    # the real HIV wording of clinics
    ("patient séropo, bilan semestriel", {("hiv", "patient", A)}, {"hiv"}),
    ("CV indétectable", {("hiv", "patient", A)}, {"hiv"}),
    ("TTT Triumeq/Norvir", {("hiv", "patient", A)}, {"hiv"}),
    ("CD4 à 450", {("hiv", "patient", A)}, {"hiv"}),
    ("Hépatite C traitée, CV indétectable", {("hepatitis", "patient", A)}, {"hepatitis"}),
    # ambiguous drugs, resolved by the record's context
    ("Viread 245 mg", set(), set()),
    ("Viread 245 mg | Hépatite B chronique", {("hepatitis", "patient", A)}, {"hepatitis"}),
    ("Ag HBs positif, sous Viread 245 mg", {("hepatitis", "patient", A)}, {"hepatitis"}),
    ("Viread + Isentress, CV indétectable", {("hiv", "patient", A)}, {"hiv"}),
    ("ténofovir/emtricitabine en PrEP", {("hiv", "patient", A)}, {"hiv"}),
    ("Truvada", {("hiv", "patient", A)}, {"hiv"}),
    ("PrEP à la demande, ttt bien toléré", {("hiv", "patient", A)}, {"hiv"}),
    ("Epclusa", {("hepatitis", "patient", A)}, {"hepatitis"}),
    ("Truvada | VHB chronique, Ag HBs positif", {("hepatitis", "patient", A)}, {"hepatitis"}),
    ("Epivir 150 mg, VIH+", {("hiv", "patient", A)}, {"hiv"}),
    # pregnancy wording
    ("β-HCG positifs, DDR 02/01", {("pregnancy", "patient", A)}, {"pregnancy"}),
    ("β-HCG plasmatiques : positif", {("pregnancy", "patient", A)}, {"pregnancy"}),
    ("G2P1, 22 SA", {("pregnancy", "patient", A)}, {"pregnancy"}),
    ("DPA 12/09, suivi sage-femme", {("pregnancy", "patient", A)}, {"pregnancy"}),
    ("Enceinte de 5 mois", {("pregnancy", "patient", A)}, {"pregnancy"}),
    ("Patiente enceinte, mère diabétique", {("pregnancy", "patient", A)}, {"pregnancy"}),
    ("traitement au long terme", set(), set()),
]


def _findings(text: str) -> set[tuple[str, str, str]]:
    return {(f.condition, f.subject, f.status) for f in analyse_text(text).findings}


@pytest.mark.parametrize(("text", "expected", "patient"), CASES, ids=[c[0][:40] for c in CASES])
def test_subject_and_status(text, expected, patient):
    found = analyse_text(text)
    assert _findings(text) == expected
    assert set(found.conditions) == patient
    assert found.hiv == ("hiv" in patient)


def test_undecided_drug_is_counted():
    assert analyse_text("Viread 245 mg").undecided == 1
    assert analyse_text("Viread 245 mg | Hépatite B chronique").undecided == 0


def test_triggers_come_from_edsnlp():
    assert "pere" in edsnlp_triggers("family")["family"]
    assert "absence" in edsnlp_triggers("negation")["preceding"]
    assert "suspicion" in edsnlp_triggers("hypothesis")["preceding"]


@pytest.mark.parametrize(("text", "position", "subject"), [
    ("pere vih+", 5, "relative"), ("aes : patient source vih+", 21, "source"),
    ("conjoint vih+. patient : prep", 25, "patient"), ("vih+", 0, "patient"),
    ("sa femme est vih+", 13, "partner"), ("femme enceinte", 6, "patient"),
])
def test_subject_cues(text, position, subject):
    assert TextContext(fold(text)).subject(position, position + 3)[0] == subject


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_valid_qualifiers(text):
    for f in analyse_text(text).findings:
        assert f.subject in ("patient", "relative", "partner", "source", "other")
        assert f.status in ("affirmed", "negated", "hypothetical", "proposed")


def test_record_texts_join_a_result_to_its_analysis():
    label = pl.Series(["β-HCG plasmatiques", "Sérologie VIH", None])
    result = pl.Series(["positif", "négative", "RAS"])
    comment = pl.Series([None, "Père VIH+", None])
    joined = record_texts([("libelle", label), ("resultat", result), ("commentaire", comment)]).to_list()
    assert joined == ["β-HCG plasmatiques : positif", "Sérologie VIH : négative | Père VIH+", "RAS"]
    assert [analyse_text(t).conditions for t in joined] == [("pregnancy",), (), ()]


# ---- identifiers typed in free text --------------------------------------------------------------------------

def _nir(rng: random.Random) -> str:
    body = f"{rng.choice('12')}{rng.randint(40, 99)}{rng.randint(1, 12):02d}{rng.choice(['35', '75', '2A', '13'])}" \
           f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    return body + stdnum_nir.calc_check_digits(body + "00")


TYPED = [
    ("Patient joignable au 06 12 34 56 78", {"phone": "+33612345678"}),
    ("rappeler au +33 7 81 22 33 44 svp", {"phone": "+33781223344"}),
    ("mail : Jean.Martin@Exemple.fr", {"email": "jean.martin@exemple.fr"}),
    ("NIR 2 84 05 35 238 012 86", {"nir": "284053523801286"}),
    ("NIR 2 84 05 35 238 012 87", {}),                       # wrong key
    ("prévenir sa fille au 06 12 34 56 78", {}),              # a relative's phone is not the patient's
    ("Commande 0612345678901", {}),                           # too many digits for a phone
    ("RAS", {}),
]


@pytest.mark.parametrize(("text", "expected"), TYPED, ids=[t for t, _ in TYPED])
def test_typed_identifiers(text, expected):
    assert typed_identifiers(text) == expected


def test_typed_categories_column():
    texts = pl.Series([t for t, _ in TYPED] + [None])
    assert typed_categories(texts).to_list() == [";".join(sorted(e)) or None for _, e in TYPED] + [None]


# ---- an independent layout: a clinic's consultation export ---------------------------------------------------

_MENTIONS = {
    "hiv": ["infection par le VIH", "HIV positive", "séropositivité VIH", "traitée par Descovy + Tivicay",
            "sous Genvoya", "prophylaxie pré-exposition (Truvada)", "sous Odefsey, charge virale indétectable"],
    "hepatitis": ["hépatite B chronique", "VHC positif", "hépatite C", "sous Maviret", "Ag HBs positif"],
    "pregnancy": ["grossesse de 18 SA", "enceinte (DDR 03/02)", "G1P0, enceinte", "grossesse évolutive"],
    "cancer": ["carcinome mammaire", "lymphome", "sous chimiothérapie", "adénocarcinome prostatique"],
    "mental_health": ["trouble bipolaire", "épisode dépressif", "schizophrénie", "sous Abilify"],
    "addiction": ["alcoolisme", "toxicomanie", "sous Subutex", "dépendance aux opiacés"],
}
_NOUNS = {"hiv": "infection VIH", "hepatitis": "hépatite B", "pregnancy": "grossesse", "cancer": "cancer",
          "mental_health": "dépression", "addiction": "addiction"}
_PATIENT = ["{m}", "Motif : {m}", "chez le patient : {m}", "Le patient présente : {m}"]
_THIRD = ["Sa mère : {m}", "ATCD familiaux : {n}", "{n} chez le grand-père", "Son compagnon : {m}",
          "Accident d'exposition au sang, patient source : {n}", "Épouse : {n}", "{n} chez sa tante"]
_NOT_AFFIRMED = ["absence de {n}", "{n} exclue", "suspicion de {n}", "{n} ?", "dépistage {n} proposé",
                 "pas d'argument pour {n}", "{n} : non"]
_PLAIN = ["Consultation de suivi", "RAS", "Bilan annuel, TA 12/8", "Allergie à la pénicilline", None]
_PHONE_FORMS = ["Tél. : {v}", "joignable au {v}", "contact patient {v}"]


def _phone(rng: random.Random) -> tuple[str, str]:
    digits = f"{rng.choice(['61', '62', '64', '65', '66', '67', '68', '73', '75', '76', '77', '78'])}" \
             f"{rng.randint(1000000, 9999999)}"
    return "0" + " ".join([digits[0]] + [digits[i:i + 2] for i in range(1, 9, 2)]), "+33" + digits


def _one_note(rng: random.Random, condition: str, kind: str) -> str:
    template = rng.choice({"patient": _PATIENT, "third": _THIRD, "not": _NOT_AFFIRMED}[kind])
    return template.format(m=rng.choice(_MENTIONS[condition]), n=_NOUNS[condition])


def _record(rng: random.Random) -> tuple[list[str | None], set[str], set[str], set[str]]:
    truth, third, typed = set(), set(), set()
    notes: list[str | None] = [rng.choice(_PLAIN), rng.choice(_PLAIN), rng.choice(_PLAIN)]
    for slot in rng.sample(range(3), rng.randint(0, 2)):
        condition = rng.choice(list(_MENTIONS))
        if condition == "pregnancy" and slot == 2:
            continue
        kind = rng.choices(["patient", "third", "not"], [0.4, 0.35, 0.25])[0]
        notes[slot] = _one_note(rng, condition, kind)
        (truth if kind == "patient" else third).add(condition)
    if rng.random() < 0.1:
        typed_phone, _ = _phone(rng)
        notes[0] = f"{notes[0] or 'RDV'} — {rng.choice(_PHONE_FORMS).format(v=typed_phone)}"
        typed.add("phone")
    if rng.random() < 0.05:
        notes[1] = f"{notes[1] or 'Dossier'} ; NIR {_nir(rng)}"
        typed.add("nir")
    if rng.random() < 0.05:
        notes[2] = f"{notes[2] or 'Compte rendu'}. Envoi par mail : pat{rng.randint(1, 9999)}@exemple.fr"
        typed.add("email")
    if rng.random() < 0.05:
        notes[0] = f"{notes[0] or 'Contact'} — téléphone de sa fille : {_phone(rng)[0]}"   # not the patient's
    return notes, truth, third - truth, typed


def note_layout(rows: int, seed: int = 5):
    """(columns, table, per-row affirmed patient conditions, per-row third-party-or-unaffirmed conditions)."""
    rng = random.Random(seed)
    records = [_record(rng) for _ in range(rows)]
    columns = ["Réf. consultation", "Motif de consultation", "Antécédents", "Traitement habituel"]
    data = {"__row": pa.array(range(rows), pa.int64()),
            "c0": pa.array([f"CS-{100000 + i}" for i in range(rows)], pa.string())}
    for i in range(3):
        data[f"c{i + 1}"] = pa.array([r[0][i] for r in records], pa.string())
    return columns, pa.table(data), [r[1] for r in records], [r[2] for r in records]


def typed_truth(rows: int, seed: int = 5) -> list[set[str]]:
    rng = random.Random(seed)
    return [_record(rng)[3] for _ in range(rows)]


def _scores(truth, found, condition):
    tp = sum(condition in t and condition in f for t, f in zip(truth, found))
    fp = sum(condition not in t and condition in f for t, f in zip(truth, found))
    fn = sum(condition in t and condition not in f for t, f in zip(truth, found))
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1), tp + fn


@pytest.fixture(scope="module")
def layout_records():
    columns, table, truth, third = note_layout(1500)
    findings = classify_table(columns, table)
    assert [f.category for f in findings][1:] == ["health_note", "health_note", "medication"] or \
        all(f.category in ("health_note", "medication") for f in findings[1:])
    found = extract_records(table, findings)
    return truth, third, found


@pytest.mark.parametrize("condition", list(_MENTIONS))
def test_layout_precision_and_recall(layout_records, condition):
    truth, _, found = layout_records
    got = [set((c or "").split(";")) - {""} for c in found.column("conditions").to_pylist()]
    precision, recall, n = _scores(truth, got, condition)
    assert n > 30
    assert precision >= 0.97 and recall >= 0.97, (condition, precision, recall)


def test_layout_none_through_a_third_party(layout_records):
    truth, third, found = layout_records
    got = [set((c or "").split(";")) - {""} for c in found.column("conditions").to_pylist()]
    leaked = [(t, g) for t, tr, g in zip(third, truth, got) if (t - tr) & g]
    assert sum(bool(t) for t in third) > 300
    assert leaked == []


def test_layout_typed_identifiers_counted(layout_records):
    truth = typed_truth(1500)
    _, _, found = layout_records
    categories = [set((c or "").split(";")) for c in found.column("categories").to_pylist()]
    for category in ("phone", "nir", "email"):
        expected = [category in t for t in truth]
        assert sum(expected) > 30
        assert [category in c for c in categories] == expected


def _drill_records(drill):
    from fuite.ingest import read_paths

    parts = []
    for source in read_paths([drill / "leak"], on_quarantine=lambda q: None, on_problem=lambda p: None):
        table = pa.Table.from_batches(list(source.batches()))
        found = extract_records(table, classify_table(source.columns, table))
        parts.append(pl.from_arrow(found).select("row", "conditions", "categories")
                     .with_columns(file=pl.lit(source.file), table=pl.lit(source.table)))
    return pl.concat(parts)


def test_drill_conditions_and_typed_identifiers(small_drill):
    """On the drill: no person gets a condition the answer key does not give them, and the identifiers the drill
    typed into comments are in the records' categories."""
    from fuite.synth.health import THIRD_PARTY

    records = _drill_records(small_drill)
    key = small_drill / "answer_key"
    rows = pl.read_csv(key / "records.csv", schema_overrides={"table": pl.String}).fill_null("")
    persons = pl.read_csv(key / "persons.csv", infer_schema_length=0).fill_null("")
    joined = rows.join(records, on=["file", "table", "row"])
    per_person = joined.group_by("person_id").agg(pl.col("conditions").drop_nulls().str.join(";"),
                                                  pl.col("categories").drop_nulls().str.join(";"))
    truth = {int(p): (set(c.split(";")) - {""}, set(k.split(";")))
             for p, c, k in persons.select("person_id", "conditions", "categories").iter_rows()}
    extra = {p: (set(c.split(";")) - {""}) - truth[p][0] for p, c, _ in per_person.iter_rows()}
    assert {p: e for p, e in extra.items() if e} == {}
    assert sum(bool(t[0]) for t in truth.values()) > 20
    assert len(THIRD_PARTY) == 6
    typed = rows.join(records, on=["file", "table", "row"]).filter(pl.col("categories").str.contains("phone"))
    assert typed.height > 0


RECORDS = [   # (treatment cell, comment cell, the record's conditions)
    ("Viread 245 mg", "Hépatite B chronique", "hepatitis"),
    ("Viread 245 mg", "Patient VIH+", "hiv"),
    ("Viread 245 mg", "RAS", None),
    ("Truvada", "VHB chronique, Ag HBs positif", "hepatitis"),
    ("Truvada", None, "hiv"),
    ("Truvada", "Père VIH+", "hiv"),
    (None, "CV indétectable", "hiv"),
    ("Epclusa", "CV indétectable", "hepatitis"),
    ("Biktarvy", "Conjointe enceinte", "hiv"),
]


def test_record_cells_decide_each_others_ambiguous_mentions():
    from fuite.detect.freetext import analyse_records

    treatment = pl.Series([r[0] for r in RECORDS], dtype=pl.String)
    comment = pl.Series([r[1] for r in RECORDS], dtype=pl.String)
    found = analyse_records([("Traitement", treatment), ("Commentaire", comment)], len(RECORDS))
    assert found["conditions"].to_list() == [r[2] for r in RECORDS]
    assert found["conditions"].to_list() == [";".join(analyse_text(t).conditions) or None
                                             for t in record_texts([("t", treatment), ("c", comment)]).to_list()]
