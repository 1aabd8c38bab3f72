"""Medical vocabulary for free text: edsnlp's French drug terminology (ATC codes) and a pathology lexicon.

The drug list is the ``resources/drugs.json`` file shipped inside the installed
``edsnlp`` package (ATC code -> brand and INN names); nothing is downloaded.
ATC codes decide what a drug reveals: HIV antiretrovirals (J05AE, J05AF,
J05AG, J05AJ, J05AR and the HIV members of J05AX), hepatitis antivirals,
antineoplastics (L01, L02), psycholeptics and antidepressants (N05A, N05B,
N06A) and drugs used in addictive disorders (N07B).
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fuite.detect.folding import fold
from fuite.errors import DetectError

__all__ = ["Term", "drug_terms", "pathology_terms", "special_words", "condition_of_atc", "HIV_ATC_PREFIXES"]

HIV_ATC_PREFIXES = ("J05AE", "J05AF", "J05AG", "J05AJ", "J05AR")
#: J05A codes under those prefixes that treat hepatitis only, and the HIV drugs filed under J05AX.
_HEPATITIS_ONLY = {"J05AE11", "J05AE12", "J05AE14", "J05AF08", "J05AF10", "J05AF11", "J05AF13"}
_HEPATITIS_BRANDS = {"zeffix", "hepsera", "baraclude", "sebivo", "vemlidy"}
_HIV_J05AX = {"J05AX07", "J05AX08", "J05AX09", "J05AX12", "J05AX23", "J05AX29", "J05AX31"}
_HEPATITIS_ATC = ("J05AP", "J05AX14", "J05AX15", "J05AX28", "L03AB")

#: Antiretrovirals and PrEP brands newer than (or missing from) the edsnlp list, with their ATC codes.
_SUPPLEMENT_DRUGS = {
    "J05AR18": ["GENVOYA"], "J05AR22": ["SYMTUZA"],
    "J05AR14": ["REZOLSTA"], "J05AR15": ["EVOTAZ"], "J05AJ04": ["VOCABRIA", "REKAMBYS", "cabotegravir",
                                                                 "APRETUDE"],
    "J05AJ03": ["dolutegravir", "DTG"], "J05AJ02": ["elvitegravir"], "J05AX31": ["SUNLENCA", "lenacapavir"],
    "J05AX29": ["RUKOBIA", "fostemsavir"], "J05AF13": ["tenofovir alafenamide"],
    "J05AR03": ["emtricitabine/tenofovir", "emtricitabine tenofovir", "tenofovir/emtricitabine", "TDF/FTC",
                "FTC/TDF", "TDF-FTC"],
    "J05AR17": ["ODEFSEY", "TAF/FTC/RPV"], "J05AR19": ["DESCOVY", "TAF/FTC", "FTC/TAF"],
    "N07BC02": ["methadone", "METHADONE AP-HP"], "N07BC01": ["SUBUTEX", "buprenorphine"],
    "N07BC51": ["SUBOXONE", "ZUBSOLV"], "L01XC": ["KEYTRUDA", "OPDIVO"],
    # direct-acting antivirals of hepatitis C
    "J05AP55": ["EPCLUSA"], "J05AP56": ["VOSEVI"], "J05AP51": ["HARVONI"], "J05AP54": ["ZEPATIER"],
    "J05AP08": ["SOVALDI"],
    # the abbreviations of HIV clinics
    "J05AF01": ["AZT"], "J05AF05": ["3TC"], "J05AF07": ["TDF"], "J05AG03": ["EFV"], "J05AG05": ["RPV"],
    "J05AE10": ["DRV/r", "DRV"], "J05AE08": ["ATV/r"], "J05AR10": ["LPV/r"],
}
#: Abbreviations short enough to be dropped by the length filter, kept on purpose.
_SHORT_NAMES = {"azt", "3tc", "tdf", "efv", "rpv", "drv", "dtg", "ftc", "taf"}
#: Drug names that are also ordinary words in French comments.
_NOT_DRUGS = {"divers", "estima", "daily", "drill", "diane", "alma", "ether", "sirop", "fluor", "panos", "thais",
              "lenia", "nonan", "cyclo", "muse", "femi", "acti", "alli", "vicks", "xenon", "lyso", "toco", "zinc"}


@dataclass(frozen=True)
class Term:
    """One lexicon entry: folded text, what it is, the special condition it reveals, its ATC code."""

    text: str
    kind: str              # "drug", "hiv", "condition", "health", "test"
    condition: str | None = None
    atc: str | None = None


def condition_of_atc(atc: str, name: str = "") -> str | None:
    """The special condition a drug of this ATC code reveals, if any (``hiv``, ``cancer``...)."""
    if atc in _HEPATITIS_ONLY or fold(name) in _HEPATITIS_BRANDS or atc.startswith(_HEPATITIS_ATC):
        return "hepatitis"
    if atc.startswith(HIV_ATC_PREFIXES) or atc in _HIV_J05AX:
        return "hiv"
    if atc.startswith(("L01", "L02")):
        return "cancer"
    if atc.startswith(("N05A", "N05B", "N06A")):
        return "mental_health"
    if atc.startswith("N07B"):
        return "addiction"
    return None


def _edsnlp_drugs() -> dict[str, list[str]]:
    """The JSON file inside the installed edsnlp package, located without importing edsnlp (its import
    rewires spaCy's registry and costs seconds)."""
    spec = importlib.util.find_spec("edsnlp")
    if spec is None or not spec.submodule_search_locations:
        raise DetectError("edsnlp is not installed: its French drug terminology is needed")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "drugs.json"
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def drug_terms() -> tuple[Term, ...]:
    """Every drug name (brand and INN) with its ATC code and revealed condition."""
    table = _edsnlp_drugs()
    for atc, names in _SUPPLEMENT_DRUGS.items():
        table.setdefault(atc, []).extend(names)
    terms = {}
    for atc, names in table.items():
        for name in names:
            folded = fold(name)
            if (len(folded) < 4 and folded not in _SHORT_NAMES) or folded in _NOT_DRUGS:
                continue
            terms.setdefault(folded, Term(folded, "drug", condition_of_atc(atc, name), atc))
    return tuple(terms.values())


# Pathology lexicon: folded words and phrases -> condition (None = health information without a special condition).
_HIV = ("vih", "hiv", "sida", "seropositif", "seropositive", "seropositivite", "prep", "prophylaxie pre-exposition",
        "prophylaxie pre exposition", "antiretroviral", "antiretroviraux", "antiretrovirale", "arv", "tritherapie",
        "bitherapie arv", "tpe", "traitement post-exposition", "traitement post exposition", "hiv-1", "vih-1",
        "vih1", "vih 1", "vih-2", "vih2", "cd4", "lymphocytes cd4", "taux de cd4", "numeration cd4",
        "cd4/cd8", "sous arv", "traitement arv", "pvvih", "pvv", "tasp", "i=i", "seropo", "seropos",
        "cv indetectable", "charge virale indetectable", "tritherapie antiretrovirale", "ttt arv")
_TESTS = ("test de grossesse", "tests de grossesse", "serologie", "serologies", "depistage", "test", "tests", "trod",
          "recherche", "controle", "bilan",
          "elisa", "western blot", "combo", "ag p24", "p24")
_CONDITIONS = {
    "pregnancy": ("grossesse", "enceinte", "semaines d'amenorrhee", "amenorrhee", "bhcg positif", "hcg positif",
                  "terme prevu", "prenatal", "prenatale", "gestation", "gestationnel", "gestationnelle",
                  "post-partum", "post partum", "accouchement", "parturiente", "primigeste", "multigeste",
                  "primipare", "multipare", "fiv", "diabete gestationnel", "echographie obstetricale",
                  "ddr", "toxoplasmose grossesse", "suivi de grossesse", "grossesse extra-uterine", "geu",
                  "dpa", "date prevue d'accouchement", "mois de grossesse", "trimestre de grossesse",
                  "echographie de datation", "echo t1", "echo t2", "echo t3", "future maman",
                  "enceinte de", "grossesse gemellaire",
                  "grossesse evolutive", "pregnant", "pregnancy"),
    "cancer": ("cancer", "cancers", "carcinome", "adenocarcinome", "tumeur", "tumeur maligne", "neoplasie",
               "lymphome", "leucemie", "myelome", "metastase", "metastases", "metastatique", "chimiotherapie",
               "chimio", "radiotherapie", "oncologie", "oncologue", "melanome", "sarcome", "k sein", "k prostate",
               "k colon", "hemopathie maligne", "glioblastome", "mesotheliome", "immunotherapie"),
    "hepatitis": ("hepatite", "hepatites", "vhb", "vhc", "hbv", "hcv", "ag hbs", "aghbs", "hepatite b",
                  "hepatite c", "hepatopathie virale", "cirrhose virale"),
    "mental_health": ("depression", "depressif", "depressive", "syndrome depressif", "anxiete", "anxieux",
                      "anxieuse", "trouble anxieux", "bipolaire", "troubles bipolaires", "schizophrenie",
                      "schizophrene", "psychose", "psychotique", "psychiatrie", "psychiatrique", "psychiatre",
                      "tentative de suicide", "idees suicidaires", "anorexie mentale", "boulimie", "toc",
                      "trouble psychiatrique", "hospitalisation psychiatrique", "burn out", "burn-out",
                      "stress post-traumatique", "antidepresseur", "antidepresseurs", "neuroleptique",
                      "neuroleptiques", "anxiolytique", "anxiolytiques"),
    "addiction": ("addiction", "addictologie", "toxicomanie", "toxicomane", "alcoolisme", "alcoolique",
                  "ethylisme", "ethylique", "sevrage", "sevrage alcoolique", "substitution aux opiaces", "tso",
                  "traitement de substitution", "opiaces", "heroine", "cocaine", "dependance", "csapa",
                  "usager de drogues", "udiv", "toxicomanie iv"),
}
_HEALTH = (
    "ttt", "traitement", "traitements", "trt", "atcd", "atcds", "antecedent", "antecedents", "inr", "avk",
    "anticoagulant", "anticoagulants", "anticoagule", "anticoagulee", "hba1c", "diabete", "diabetique", "dt1",
    "dt2", "hta", "hypertension", "hypertendu", "hypertendue", "cholesterol", "hypercholesterolemie",
    "dyslipidemie", "allergie", "allergique", "asthme", "asthmatique", "insuffisance", "insuffisance renale",
    "insuffisance cardiaque", "irc", "thyroide", "hypothyroidie", "hyperthyroidie", "anemie", "ferritine",
    "tsh", "crp", "glycemie", "creatinine", "dfg", "charge virale", "cv", "transaminases", "dialyse",
    "greffe", "greffe renale", "transfusion", "transfuse", "vaccin", "vaccination", "covid", "sars-cov-2",
    "grippe", "infection", "fievre", "douleur", "douleurs", "bpco", "avc", "infarctus", "idm",
    "fibrillation", "arythmie", "epilepsie", "parkinson", "alzheimer", "sclerose en plaques", "lupus",
    "polyarthrite", "crohn", "rch", "hemophilie", "drepanocytose", "thalassemie", "mucoviscidose",
    "tuberculose", "syphilis", "chlamydia", "gonocoque", "herpes", "ist", "mst", "papillomavirus", "hpv",
    "obesite", "apnee du sommeil", "saos", "migraine", "pathologie", "maladie", "chronique", "hospitalisation",
    "hospitalise", "hospitalisee", "chirurgie", "opere", "operee", "sous traitement", "a jeun", "post-op",
    "postoperatoire", "immunodeprime", "immunodepression", "corticoides", "corticotherapie", "insuline",
    "insulinodependant", "ivg", "contraception", "pilule", "sterilet", "menopause", "handicap",
    "ald", "affection longue duree", "rhesus negatif", "agglutinines irregulieres", "rai", "bilan hepatique",
    "bilan lipidique", "nfs", "ionogramme", "tca", "plaquettes", "hemoglobine", "leucocytes", "psa",
    "symptomes", "symptomatique", "asymptomatique",
    "prescription", "ordonnance", "posologie", "cp/j", "mg", "ui", "gelule", "comprime", "injection",
)


@lru_cache(maxsize=1)
def pathology_terms() -> tuple[Term, ...]:
    """The hand-written lexicon: HIV words, test words, condition words, generic health words."""
    terms = [Term(fold(t), "hiv", "hiv") for t in _HIV]
    terms += [Term(fold(t), "test") for t in _TESTS]
    terms += [Term(fold(t), "condition", c) for c, words in _CONDITIONS.items() for t in words]
    terms += [Term(fold(t), "health") for t in _HEALTH]
    return tuple(terms)


@lru_cache(maxsize=1)
def special_words() -> list[str]:
    """Folded terms that can reveal a special condition (HIV words, condition words, drugs with a condition)."""
    return sorted({t.text for t in (*drug_terms(), *pathology_terms())
                   if t.condition is not None or t.kind == "hiv"} | {"viread", "epivir", "vhb", "hepatite"})


@lru_cache(maxsize=1)
def all_words() -> list[str]:
    """Every folded term of both lexicons."""
    return sorted({t.text for t in (*drug_terms(), *pathology_terms())})
