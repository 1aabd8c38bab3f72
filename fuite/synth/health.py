"""Health topics of the drill: which conditions a person has and the French texts that reveal them.

A *topic* is what one health cell talks about. Each topic maps to the answer-key
flags it sets: ``hiv`` (HIV infection, antiretroviral treatment or PrEP) and a
condition of ``taxonomy.SPECIAL_CONDITIONS``. ``hiv_neg`` (a negative or
requested HIV test) is health data but deliberately *not* HIV data.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from fuite.taxonomy import PERSONAL_IDS

__all__ = [
    "TOPICS", "TOPIC_CONDITION", "TOPIC_HIV", "CONDITION_BITS", "COMMENTS", "TREATMENTS", "ANALYSES",
    "PhraseTable", "person_topics", "pick_topic", "COMMENT_TABLE", "TREATMENT_TABLE", "ANALYSIS_TABLE",
    "THIRD_PARTY", "typed_identifier_cells", "typed_identifier_bits",
]

TOPICS = ("generic", "hiv_arv", "prep", "hiv_neg", "pregnancy", "cancer", "hepatitis", "mental_health", "addiction",
          "third_party")
T = {name: i for i, name in enumerate(TOPICS)}

#: Condition each topic reveals ("" for none): ``hiv_neg`` (negated, proposed or refused tests, of any condition)
#: and ``third_party`` (a relative's, a partner's or a source patient's condition) reveal none about the patient.
TOPIC_CONDITION = ("", "hiv", "hiv", "", "pregnancy", "cancer", "hepatitis", "mental_health", "addiction", "")
TOPIC_HIV = np.array([c == "hiv" for c in TOPIC_CONDITION])

#: Bit of each condition in the per-row condition masks, in answer-key order.
CONDITION_BITS = ("hiv", "pregnancy", "cancer", "hepatitis", "mental_health", "addiction")
TOPIC_BIT = np.array([0 if not c else 1 << CONDITION_BITS.index(c) for c in TOPIC_CONDITION], dtype=np.int64)

_ARV = ("Biktarvy", "Triumeq", "Genvoya", "ténofovir/emtricitabine + dolutégravir", "Dovato", "Odefsey",
        "Juluca", "Symtuza", "Tivicay + Descovy", "Stribild")

COMMENTS: dict[str, tuple[str, ...]] = {
    "generic": (
        "RAS", "Patient à jeun", "Bilan annuel", "Contrôle INR sous AVK (INR 2,6)", "INR 3,1 : appeler le médecin",
        "ATCD HTA, ttt par amlodipine", "Diabète type 2, HbA1c 7,2 %", "Bilan pré-opératoire",
        "Hypothyroïdie sous Levothyrox", "Prélèvement difficile, hématome au pli du coude",
        "Résultats faxés au médecin traitant", "Carence martiale, ttt Tardyferon", "Allergie pénicilline",
        "Cholestérol LDL élevé, régime conseillé", "Asthme, Ventoline si besoin", "Patient non à jeun",
        "ATCD phlébite, sous anticoagulant", "Contrôle créatinine (IRC stade 3)", "Bilan thyroïdien de contrôle",
        "Prélèvement à domicile", "ttt antibiotique en cours (Augmentin)", "Insuffisance cardiaque, ttt Lasilix",
    ),
    "hiv_arv": tuple(
        [f"Patient VIH+ suivi au CHU, ttt par {a}" for a in _ARV]
        + [f"CV VIH indétectable sous {a}" for a in _ARV]
        + ["Séropositif VIH connu, CD4 à 650/mm3", "Infection VIH depuis 2012, observance bonne",
           "Suivi VIH : CV < 20 copies, CD4 stables", "Renouvellement trithérapie ARV",
           "VIH-1, charge virale à recontrôler dans 3 mois", "ATCD VIH, ttt ARV bien toléré",
           # the wording of HIV clinics, without the word VIH
           "Patient séropo, bilan semestriel", "CV indétectable", "TTT Triumeq/Norvir", "CD4 à 450",
           "CD4 à 380/mm3, CV indétectable", "Séropo connu, TTT Dovato", "TDF/FTC + DTG, CV < 40 cp/mL",
           "Viread + Isentress, CV indétectable", "Conjointe informée, patient séropositif sous Biktarvy"]
    ),
    "prep": (
        "PrEP en cours (Truvada), bilan trimestriel", "Suivi PrEP : créatinine + sérologies",
        "Truvada en PrEP", "Consultation PrEP, sérologie VIH négative", "PrEP à la demande, ttt bien toléré",
        "Bilan PrEP M3 : RAS", "ténofovir/emtricitabine en PrEP, créatinine OK",
        "Partenaire VIH+ (CV indétectable), patient sous PrEP",
    ),
    "hiv_neg": (
        "Sérologie VIH négative", "Sérologie VIH 1/2 : négative", "Dépistage VIH négatif",
        "Sérologies VIH, VHB, VHC négatives", "Sérologie VIH demandée par le médecin", "Test VIH négatif le 12/03",
        # negated, proposed and refused: health data, no condition
        "Dépistage VIH proposé, refusé", "TROD VIH proposé", "PrEP proposée, refusée par le patient",
        "Ag HBs négatif, Ac anti-HBc négatifs", "Sérologies VHB et VHC négatives", "Sérologie VHC : négative",
        "Vacciné hépatite B (Ac anti-HBs > 10 UI/L)", "Test de grossesse négatif", "Pas d'hépatite connue",
        "Pas de VIH connu", "Suspicion d'hépatite à éliminer", "Bilan VHB demandé",
    ),
    "pregnancy": (
        "Grossesse 12 SA, sérologies VIH/VHB négatives", "Bilan 1er trimestre de grossesse", "Enceinte de 28 SA",
        "Grossesse en cours, toxoplasmose non immune", "Suivi grossesse, diabète gestationnel",
        "β-HCG positifs, DDR 02/01", "G2P1, 22 SA", "DPA 12/09, suivi sage-femme", "Enceinte de 5 mois",
        "Grossesse gémellaire, écho T2 normale", "Patiente enceinte, mère diabétique",
    ),
    "cancer": (
        "K sein en cours de chimio", "Suivi K prostate, PSA en hausse", "ATCD de lymphome, surveillance",
        "Cancer colorectal opéré, suivi ACE", "Chimiothérapie J8, NFS avant cure", "Leucémie, suivi hémato",
    ),
    "hepatitis": (
        "Hépatite C traitée, CV VHC indétectable", "Ag HBs positif, hépatite B chronique", "Suivi VHB sous entécavir",
        "Hépatite C, ttt Epclusa", "Hépatite B, CV VHB à contrôler",
        # tenofovir given for hepatitis B: the indication in the record, not the drug name, decides
        "Hépatite B chronique, ttt Viread", "VHB : ténofovir 245 mg/j, Ag HBs positif",
        "Ag HBs positif, sous Viread 245 mg",
    ),
    "mental_health": (
        "Trouble bipolaire, lithémie de contrôle", "Dépression, sous sertraline", "Schizophrénie, suivi CMP",
        "Suivi psychiatrique, ttt clozapine (NFS hebdo)", "Syndrome anxio-dépressif, ttt Deroxat",
    ),
    "addiction": (
        "TSO méthadone 60 mg/j", "Buprénorphine (Subutex) 8 mg, suivi CSAPA", "Sevrage OH en cours",
        "Patient sous méthadone, dosage urinaire", "Suboxone, suivi addictologie",
    ),
    # a relative's, a partner's or a source patient's condition: nothing about the patient
    "third_party": (
        "Père VIH+", "Conjointe séropositive (CV indétectable)", "Partenaire sous Biktarvy",
        "AES : patient source VIH+", "Mère : hépatite B chronique", "ATCD familiaux : cancer du sein (mère)",
        "Frère schizophrène", "Père alcoolique", "Sœur enceinte, accompagne la patiente",
        "Conjoint sous méthadone", "AES, sujet source VHC+", "Compagnon suivi pour un lymphome",
        "ATCD familial de dépression", "Partenaire séropositif sous Truvada", "Fille enceinte de 30 SA",
        "Hépatite C chez le père",
    ),
}

TREATMENTS: dict[str, tuple[str, ...]] = {
    "generic": (
        "Doliprane 1000 mg", "Levothyrox 75 µg", "Kardegic 75 mg", "Metformine 850 mg", "Previscan 20 mg",
        "Amlodipine 5 mg", "Atorvastatine 20 mg", "Ventoline", "Inexium 20 mg", "Lasilix 40 mg", "Xarelto 20 mg",
        "Coversyl 5 mg", "Augmentin 1 g", "Tardyferon 80 mg",
        # folic acid and prenatal supplements are also taken before a pregnancy: they reveal none
        "Spéciafoldine 0,4 mg", "acide folique", "Gynefam",
    ),
    "hiv_arv": _ARV + ("Biktarvy 1 cp/j", "ARV : Triumeq", "trithérapie Genvoya"),
    "prep": ("Truvada en PrEP", "PrEP ténofovir/emtricitabine", "emtricitabine/ténofovir disoproxil (PrEP)"),
    "hiv_neg": (),
    "pregnancy": ("Spéciafoldine 0,4 mg (grossesse 8 SA)", "acide folique — grossesse en cours",
                  "Tardyferon (grossesse)", "Gynefam, enceinte de 4 mois"),
    "cancer": ("Tamoxifène 20 mg", "Letrozole 2,5 mg", "chimio FOLFOX", "Xeloda", "Zytiga"),
    "hepatitis": ("Epclusa", "Maviret", "Entécavir 0,5 mg", "Viread (VHB)", "Viread 245 mg (hépatite B)",
                  "ténofovir disoproxil — VHB chronique"),
    "mental_health": ("Sertraline 50 mg", "Téralithe 400", "Olanzapine 10 mg", "Deroxat 20 mg", "Abilify 10 mg"),
    "addiction": ("Méthadone 60 mg/j", "Buprénorphine 8 mg (Subutex)", "Suboxone 8 mg", "Baclofène (sevrage OH)"),
}

#: (NABM-like code, analysis label, result) per topic, for child tables of analyses.
ANALYSES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "generic": (
        ("1104", "NFS", "normale"), ("0552", "Glycémie à jeun", "1,02 g/L"), ("1208", "TSH", "1,8 mUI/L"),
        ("0996", "Bilan lipidique", "LDL 1,45 g/L"), ("0126", "INR", "2,4"), ("0592", "Créatinine", "78 µmol/L"),
        ("1806", "Ferritine", "35 µg/L"), ("1139", "Vitamine D", "22 ng/mL"), ("1804", "CRP", "< 5 mg/L"),
        ("0812", "HbA1c", "6,9 %"), ("1601", "Ionogramme", "normal"),
    ),
    "hiv_arv": (
        ("4124", "Charge virale VIH-1", "< 20 copies/mL"), ("4124", "Charge virale VIH-1", "indétectable"),
        ("1148", "Numération lymphocytes CD4", "612 /mm3"), ("4124", "CV VIH", "45 copies/mL"),
    ),
    "prep": (
        ("0388", "Sérologie VIH (suivi PrEP)", "négative"), ("0592", "Créatinine (suivi PrEP)", "82 µmol/L"),
    ),
    "hiv_neg": (
        ("0388", "Sérologie VIH 1/2", "négative"), ("0388", "Dépistage VIH", "négatif"),
        ("0388", "Sérologie VIH", "non réactive"),
    ),
    "pregnancy": (
        ("7402", "β-HCG (suivi de grossesse)", "positif"), ("1807", "Toxoplasmose (grossesse 12 SA)", "immunisée"),
        ("1807", "Rubéole (bilan de grossesse)", "immunisée"),
    ),
    "cancer": (
        ("7335", "PSA (suivi K prostate)", "12,4 ng/mL"), ("7325", "CA 15-3 (suivi K sein)", "45 U/mL"),
        ("7318", "ACE (suivi cancer colorectal)", "8,2 ng/mL"),
    ),
    "hepatitis": (
        ("4715", "Charge virale VHC", "indétectable"), ("0322", "Ag HBs", "positif"),
        ("4716", "ADN VHB (hépatite B)", "1200 UI/mL"),
    ),
    "mental_health": (
        ("1620", "Lithémie (trouble bipolaire)", "0,8 mmol/L"), ("1621", "Dosage clozapine", "350 ng/mL"),
    ),
    "addiction": (
        ("4410", "Dosage méthadone", "210 ng/mL"), ("4420", "Recherche opiacés urinaires", "positif"),
        ("1609", "Buprénorphine urinaire", "positif"),
    ),
}


class PhraseTable:
    """Phrases of one kind flattened with per-topic offsets, for vectorised picks."""

    def __init__(self, by_topic: dict[str, tuple], fallback: str = "generic"):
        self.values: list = []
        self.offset = np.zeros(len(TOPICS), dtype=np.int64)
        self.count = np.zeros(len(TOPICS), dtype=np.int64)
        for i, topic in enumerate(TOPICS):
            items = by_topic.get(topic) or by_topic[fallback]
            self.offset[i] = len(self.values)
            self.count[i] = len(items)
            self.values.extend(items)
        self.own = np.array([bool(by_topic.get(topic)) for topic in TOPICS])  # topic has its own phrases

    def pick(self, topic: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Index into ``values`` of one phrase per row, for each row's topic and a uniform draw."""
        return self.offset[topic] + np.minimum((u * self.count[topic]).astype(np.int64), self.count[topic] - 1)


def person_topics(rng: np.random.Generator, female: np.ndarray, birth_year: np.ndarray) -> np.ndarray:
    """Boolean matrix persons x topics: which health topics each person has (generic always)."""
    n = len(female)
    m = np.zeros((n, len(TOPICS)), dtype=bool)
    m[:, T["generic"]] = True
    u = rng.random((n, len(TOPICS)))
    hiv_arv = u[:, T["hiv_arv"]] < np.where(female, 0.008, 0.022)
    prep = (u[:, T["prep"]] < np.where(female, 0.002, 0.028)) & ~hiv_arv & (birth_year > 1950)
    m[:, T["hiv_arv"]] = hiv_arv
    m[:, T["prep"]] = prep
    m[:, T["hiv_neg"]] = (u[:, T["hiv_neg"]] < 0.07) & ~hiv_arv & ~prep
    m[:, T["pregnancy"]] = female & (birth_year >= 1975) & (birth_year <= 2000) & (u[:, T["pregnancy"]] < 0.12)
    m[:, T["cancer"]] = u[:, T["cancer"]] < np.where(birth_year < 1965, 0.06, 0.015)
    m[:, T["hepatitis"]] = u[:, T["hepatitis"]] < 0.02
    m[:, T["mental_health"]] = u[:, T["mental_health"]] < 0.045
    m[:, T["addiction"]] = u[:, T["addiction"]] < 0.015
    m[:, T["third_party"]] = u[:, T["third_party"]] < 0.05
    return m


def pick_topic(topics: np.ndarray, u: np.ndarray, generic_weight: float = 0.3) -> np.ndarray:
    """One topic per row among the row's person topics (generic weighted down when others exist)."""
    weights = topics.astype(float)
    has_other = topics[:, 1:].any(axis=1)
    weights[:, 0] = np.where(has_other, generic_weight, 1.0)
    cum = np.cumsum(weights, axis=1)
    r = u * cum[:, -1]
    return np.minimum((cum <= r[:, None]).sum(axis=1), len(TOPICS) - 1)


#: The phrase tables every builder draws from, built once.
COMMENT_TABLE = PhraseTable(COMMENTS)
TREATMENT_TABLE = PhraseTable(TREATMENTS)
ANALYSIS_TABLE = PhraseTable(ANALYSES)


#: Third-party mentions by the condition they name (about someone else): the bench checks none reaches the patient.
THIRD_PARTY: dict[str, tuple[str, ...]] = {
    "hiv": ("Père VIH+", "Conjointe séropositive (CV indétectable)", "Partenaire sous Biktarvy",
            "AES : patient source VIH+", "Partenaire séropositif sous Truvada"),
    "hepatitis": ("Mère : hépatite B chronique", "AES, sujet source VHC+", "Hépatite C chez le père"),
    "cancer": ("ATCD familiaux : cancer du sein (mère)", "Compagnon suivi pour un lymphome"),
    "mental_health": ("Frère schizophrène", "ATCD familial de dépression"),
    "addiction": ("Père alcoolique", "Conjoint sous méthadone"),
    "pregnancy": ("Sœur enceinte, accompagne la patiente", "Fille enceinte de 30 SA"),
}
assert {p for phrases in THIRD_PARTY.values() for p in phrases} == set(COMMENTS["third_party"])

#: How a lab's comment types a patient's own identifier, per category ({} is the value as written).
_TYPED_FORMS = {
    "phone": ("Patient joignable au {}", "rappeler le patient au {}", "tél. patient : {}"),
    "email": ("résultats à envoyer à {}", "mail patient : {}"),
    "nir": ("NIR {}", "n° SS du patient : {}"),
}


def _typed_values(rows: pl.DataFrame) -> dict[str, pl.Series]:
    """Each person's identifiers as a comment types them: ``06 12 34 56 78``, the NIR spaced, the email."""
    def spaced(values: pl.Series, cuts: tuple[int, ...]) -> pl.Series:
        parts = [values.str.slice(a, b - a) for a, b in zip(cuts, cuts[1:])]
        return pl.select(pl.concat_str(parts, separator=" ")).to_series()

    return {"phone": spaced(rows["mobile"], (0, 2, 4, 6, 8, 10)), "email": rows["email"],
            "nir": spaced(rows["nir"], (0, 1, 3, 5, 7, 10, 13, 15))}


def typed_identifier_cells(rng: np.random.Generator, rows: pl.DataFrame, text: pl.Series, share: float) -> pl.Series:
    """Append a patient's own phone, email or NIR to a share of comments (``Patient joignable au 06…``)."""
    n = len(text)
    values = _typed_values(rows)
    categories = list(_TYPED_FORMS)
    which = rng.integers(0, len(categories), n)
    form = rng.integers(0, 6, n)
    add = rng.random(n) < share
    out = text.to_list()
    for i in np.flatnonzero(add):
        category = categories[which[i]]
        value = values[category][int(i)]
        if value is None:
            continue
        forms = _TYPED_FORMS[category]
        typed = forms[form[i] % len(forms)].format(value)
        out[i] = typed if out[i] is None else f"{out[i]} ; {typed}"
    return pl.Series(out, dtype=pl.String)


def typed_identifier_bits(text: pl.Series, rows: pl.DataFrame) -> np.ndarray:
    """Per cell, the ``PERSONAL_IDS`` bits of the row's person's own identifiers written in it, as typed."""
    bits = np.zeros(len(text), dtype=np.int64)
    cells = text.cast(pl.String)
    for category, values in _typed_values(rows).items():
        frame = pl.DataFrame({"t": cells, "v": values})
        hit = frame.select(pl.col("v").is_not_null() & pl.col("t").str.contains(pl.col("v"), literal=True))
        bits |= np.where(hit.to_series().fill_null(False).to_numpy(), np.int64(1) << PERSONAL_IDS.index(category), 0)
    return bits
