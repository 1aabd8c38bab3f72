"""The detector registry: one small declarative object per category (Presidio-like).

A detector declares its category, the header vocabulary that names it (French,
English and the abbreviations of French lab and hospital exports), a
vectorised value matcher over a whole column, the weights of value and header
evidence, and — for identifiers that also hide in free text — the regex
patterns and validator used there. The same objects serve the column runner
(``fuite.detect.columns``) and the text runner (``find_in_text``).

Each detector is one module-level declaration (``NIR``, ``PHONE``, ``LAST_NAME``...) with keyword
arguments and a one-line explanation; the classifier's layout rules refer to them by object.
``default_detectors()`` returns them as a plain list; filter it like any list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import polars as pl
import regex

from fuite.detect import dates, freetext, lexicons
from fuite.detect.values import ColumnValues
from fuite.ids import adeli, email_address, finess, nir, phone, postal_code, rpps

__all__ = ["Detector", "TextMatch", "default_detectors", "find_in_text", "get_detector", "NIR", "PHONE", "EMAIL",
           "BIRTH_DATE", "SAMPLE_DATE", "SEX", "POSTAL_CODE", "CITY", "STREET_ADDRESS", "FULL_ADDRESS", "FIRST_NAME",
           "LAST_NAME", "FULL_NAME", "BLOOD_GROUP", "PHYSICIAN_NAME", "PHYSICIAN_ID", "ADELI", "INSURER_NAME",
           "INSURER_ID", "BENEFICIARY_QUALITY", "BENEFICIARY_RANK", "LAB_NAME", "LAB_ID", "HEALTH_NOTE",
           "LAB_RESULT", "PROSE", "MEDICATION", "CREDENTIAL", "INTERNAL_ID", "OTHER"]

Matcher = Callable[[ColumnValues], pl.Series]


@dataclass(frozen=True)
class TextMatch:
    """An identifier found inside free text."""

    category: str
    start: int
    end: int
    score: float
    pattern: str


@dataclass(frozen=True, eq=False, kw_only=True)
class Detector:
    """What one category looks like, in a header, in a column of values, in free text.

    Declared with keyword arguments; compared and hashed by identity, so that the classifier keys its
    evidence by the detector object itself (``scores[NIR]``), never by a name string.
    """

    category: str
    explanation: str = ""                  # what it finds, in one line (shown by ``fuite explain``)
    headers: tuple[str, ...] = ()          # phrases, written naturally; folded to words when matched
    match: Matcher | None = None           # vectorised: which cells are values of this category
    value_weight: float = 0.5              # score given by a column where every cell matches
    header_weight: float = 0.4             # score given by a header naming the category exactly
    text_patterns: tuple[tuple[str, str], ...] = ()   # (name, regex) for free text
    validate: Callable[[str], bool] | None = None     # checks a free-text match (checksum...)
    text_score: float = 0.6                # score of an unvalidated free-text match
    name: str = ""
    header_phrases: tuple[tuple[str, ...], ...] = field(init=False, repr=False)

    def __post_init__(self):
        from fuite.detect.headers import header_words

        object.__setattr__(self, "header_phrases", tuple(header_words(h) for h in self.headers))
        object.__setattr__(self, "name", self.name or f"{self.category}_detector")


# ---- value matchers (vectorised over a column) -------------------------------------------------------------

def _nir(v: ColumnValues) -> pl.Series:
    if not v.gate(v.digit_count >= 13):
        return v.none
    return v.memo("nir", lambda: nir.is_valid_column(v.raw))


def _phone(v: ColumnValues) -> pl.Series:
    if not v.gate((v.digit_count >= 9) & (v.digit_count <= 15)):
        return v.none
    return phone.is_valid_column(first_item(v.raw), bare=False)


def _email(v: ColumnValues) -> pl.Series:
    if not v.gate(v.features["has_at"]):
        return v.none
    return email_address.is_valid_column(first_item(v.raw))


def first_item(values: pl.Series) -> pl.Series:
    """The first of several values written in one cell (``06… / 02…``, ``a@x.fr; b@y.fr``)."""
    return values.str.replace(rf"\s*(?:[/;|,]|\s(?:ou|or|et)\s)\s*(?:\+|0|{email_address.LOCAL_PATTERN}@).*$", "")


def _date(v: ColumnValues) -> pl.Series:
    if not v.gate(v.features["date_shape"]):
        return v.none
    return v.memo("dates", lambda: dates.parse_dates(v.raw)).is_not_null()


def _sex(v: ColumnValues) -> pl.Series:
    if v.distinct > 8:
        return v.none
    return v.folded.is_in(list(lexicons.SEX_VALUES)) & v.constant(v.distinct <= 8)


def _postal_code(v: ColumnValues) -> pl.Series:
    if not v.gate(v.digit_count == 5):
        return v.none
    return postal_code.is_valid_column(v.raw)


_STREET = (r"^(?:\d{1,4}\s*(?:bis|ter|b|t|a)?\s*,?\s*)?(?:" + "|".join(
    regex.escape(t) for t in sorted(lexicons.STREET_TYPES, key=len, reverse=True)) + r")\.?\s+\S")
_STREET_ANYWHERE = r"(?:^|\s)\d{1,4}\s*(?:bis|ter)?,?\s+(?:" + "|".join(
    regex.escape(t) for t in lexicons.STREET_TYPES if len(t) > 2) + r")\b"


def _street(v: ColumnValues) -> pl.Series:
    if not v.gate(v.words >= 2):
        return v.none
    return v.folded.str.contains(_STREET) & ~v.folded.str.contains(r"\b\d{5}\b")


def _full_address(v: ColumnValues) -> pl.Series:
    if not v.gate(v.digit_count >= 5):
        return v.none
    return (v.folded.str.contains(_STREET_ANYWHERE) | v.folded.str.contains(_STREET)) & \
        v.folded.str.contains(rf"\b{postal_code.PATTERN}\s+\p{{L}}")


def _city(v: ColumnValues) -> pl.Series:
    return v.name_like & (v.words <= 6)


def _first_name(v: ColumnValues) -> pl.Series:
    if not v.gate(v.name_like):
        return v.none
    single = v.name_like & (v.words == 1)
    return single & v.folded.str.split("-").list.first().is_in(lexicons.first_names_series().implode())


def _full_name_parts(v: ColumnValues) -> tuple[pl.Series, pl.Series]:
    return v.memo("name_parts", lambda: _compute_name_parts(v))


def _compute_name_parts(v: ColumnValues) -> tuple[pl.Series, pl.Series]:
    names = lexicons.first_names_series()
    parts = v.folded.str.replace_all(",", " ").str.split(" ").list.eval(pl.element().filter(pl.element() != ""))
    first_in = parts.list.first().str.split("-").list.first().is_in(names.implode())
    last_in = parts.list.last().str.split("-").list.first().is_in(names.implode())
    return first_in, last_in


def _full_name(v: ColumnValues) -> pl.Series:
    if not v.gate(v.name_like):
        return v.none
    return v.memo("full_name", lambda: _compute_full_name(v))


def _compute_full_name(v: ColumnValues) -> pl.Series:
    first_in, last_in = _full_name_parts(v)
    case_split = v.raw.str.contains(r"^\p{Lu}[\p{Lu}'’\- ]+\s+\p{Lu}\p{Ll}") | \
        v.raw.str.contains(r"\p{Lu}\p{Ll}+\s+\p{Lu}[\p{Lu}'’\-]+$")
    two_words = v.name_like & (v.words >= 2) & (v.words <= 5)
    return two_words & ((first_in ^ last_in) | (case_split & (first_in | last_in)))


def _last_name(v: ColumnValues) -> pl.Series:
    if not v.gate(v.name_like):
        return v.none
    first_in, _ = _full_name_parts(v)
    return v.name_like & (v.words <= 3) & ~(first_in & (v.words == 1)) & ~_full_name(v) & ~_quality_word(v)


#: How insurance files name who a row is about (folded): the insured person and their dependants.
QUALITIES = frozenset({
    "assure", "assuree", "assure principal", "assuree principale", "conjoint", "conjointe", "concubin", "concubine",
    "enfant", "enfant a charge", "ayant droit", "ayants droit", "ayant-droit", "beneficiaire", "titulaire",
    "adherent", "adherente", "ouvrant droit", "ouvrant-droit", "partenaire", "pacse", "pacsee", "epoux", "epouse",
    "ascendant", "autre ayant droit", "autre", "insured", "main insured", "policyholder", "spouse", "partner",
    "child", "dependant", "dependent", "ass", "cjt", "enf", "ad", "od",
})


def _quality_word(v: ColumnValues) -> pl.Series:
    return v.memo("quality", lambda: v.folded.str.replace_all(r"[\s_]+", " ").str.strip_chars().is_in(
        list(QUALITIES)))


def _beneficiary_quality(v: ColumnValues) -> pl.Series:
    if v.distinct > 16:
        return v.none
    return _quality_word(v)


def _beneficiary_rank(v: ColumnValues) -> pl.Series:
    if v.distinct > 15:
        return v.none
    return v.raw.str.contains(r"^(?:0?[1-9]|1[0-9])$")


_GROUP = r"(?:a|b|ab|o|0)"
_RH = r"(?:\+|-|pos|neg|positif|negatif|positive|negative|\(\+\)|\(-\))"
_RH_WORD = r"(?:rh(?:esus)?\s*(?:\(?d\)?\s*)?)"
_KELL = r"(?:\s*[,;/]?\s*(?:kell|k)\s*(?:\+|-|pos|neg|positif|negatif))?"
_BLOOD_PREFIX = r"(?:groupe\s*(?:sanguin)?\s*(?:abo)?\s*:?\s*|grp\.?\s*|gs\s*:?\s*|abo\s*:?\s*)?"
_BLOOD = (rf"^{_BLOOD_PREFIX}{_GROUP}\s*,?\s*{_RH_WORD}?\s*:?\s*{_RH}{_KELL}$"
          rf"|^{_BLOOD_PREFIX}{_GROUP}\s*,?\s*{_RH_WORD}?{_RH}?{_KELL}$")
GROUP_ONLY = rf"^{_GROUP}$"
RH_ONLY = rf"^{_RH_WORD}?:?\s*{_RH}$"


def _blood(v: ColumnValues) -> pl.Series:
    if not v.gate(v.features["length"] <= 40):
        return v.none
    full = v.folded.str.contains(_BLOOD)
    groups = v.folded.filter(v.folded.str.contains(GROUP_ONLY)).n_unique()
    letter_only = v.folded.str.contains(GROUP_ONLY)
    return full & (~letter_only | v.constant(groups >= 3))


def _rh_only(v: ColumnValues) -> pl.Series:
    return v.folded.str.contains(RH_ONLY)


_TITLES = r"^(?:dr|docteur|pr|professeur|dre|doct)\.?\s+\p{L}"


def _physician(v: ColumnValues) -> pl.Series:
    if not v.gate(v.words >= 2):
        return v.none
    return v.folded.str.contains(_TITLES)


def _rpps(v: ColumnValues) -> pl.Series:
    if not v.gate(v.digit_count == 11):
        return v.none
    return rpps.is_valid_column(v.raw)


def _adeli(v: ColumnValues) -> pl.Series:
    if not v.gate((v.digit_count >= 7) & (v.digit_count <= 9)):
        return v.none
    return adeli.is_valid_column(v.raw) & ~_finess(v)


_INSURER_RE = r"(?:^|[^a-z0-9])(?:" + "|".join(regex.escape(n) for n in sorted(lexicons.INSURERS, key=len,
                                                                                 reverse=True)) + r")(?:$|[^a-z0-9])"


def _insurer(v: ColumnValues) -> pl.Series:
    return v.folded.str.contains(_INSURER_RE)


_CODE = r"^[A-Za-z0-9][A-Za-z0-9\-_/.]{3,24}$"


def _code(v: ColumnValues) -> pl.Series:
    return v.raw.str.contains(_CODE) & v.raw.str.contains(r"[0-9]") & ~v.raw.str.contains(r"^\d+[.,]\d{1,2}$")


#: Codes of lab tests and billed acts (NABM ``B1234``, ``B120``, LOINC ``2345-7``): never a member number.
ACT_CODE = r"^(?:[BbPp]\s?[0-9]{2,4}|[0-9]{1,5}-[0-9])$"


def _member_code(v: ColumnValues) -> pl.Series:
    return _code(v) & ~v.raw.str.contains(ACT_CODE)


_LAB_RE = r"(?:^|[^a-z])(?:" + "|".join(regex.escape(w.strip()) for w in lexicons.LAB_WORDS) + r")(?:$|[^a-z])"


#: A laboratory's name is a name, not a sentence (an SMS telling that results are ready names the lab too).
_SENTENCE = (r"[!?]|[.:]\s+\p{Lu}\p{Ll}|:\s*\p{L}+\s+\p{L}+\s+\p{L}+"
             r"|(?i:\b(?:vos|votre|vous|your|you|bonjour|hello|rdv|rendez-vous|r[ée]sultats?|disponibles?)\b)")


def _lab(v: ColumnValues) -> pl.Series:
    return (v.folded.str.contains(_LAB_RE) & ~v.folded.str.contains(_TITLES) & (v.words <= 8)
            & ~v.raw.str.contains(_SENTENCE))


def _finess(v: ColumnValues) -> pl.Series:
    if not v.gate((v.digit_count >= 7) & (v.digit_count <= 9)):
        return v.none
    return v.memo("finess", lambda: finess.is_valid_column(v.raw))


#: Cells of one column read through the free-text analyser when classifying (spread over the column).
TEXT_SAMPLE = 400


def _health_note(v: ColumnValues) -> pl.Series:
    if not v.gate(v.features["letters2"], 0.1) or not v.gate(v.words >= 2, 0.1):
        return v.none
    if v.gate(v.name_like, 0.9) and (v.gate(_full_name(v), 0.5) or v.gate(_physician(v), 0.5)):  # people's names
        return v.none
    return v.memo("health_note", lambda: _compute_health_note(v))


def _compute_health_note(v: ColumnValues) -> pl.Series:
    step = max(1, v.n // TEXT_SAMPLE)
    cells = v.raw.gather_every(step)
    words = v.words.gather_every(step)
    health = freetext.analyse_column(cells)["health"].fill_null(False)
    short_drug = (_medication(v).gather_every(step)) & (words < 2)
    return health & ~short_drug


def _prose(v: ColumnValues) -> pl.Series:
    return (v.words >= 3) & v.raw.str.contains(r"\p{Ll}{2,}")


def _medication(v: ColumnValues) -> pl.Series:
    if not v.gate(v.features["letters4"], 0.1):
        return v.none
    return v.memo("medication", lambda: _compute_medication(v))


@lru_cache(maxsize=1)
def _drug_names() -> pl.Series:
    from fuite.detect.terminology import drug_terms

    return pl.Series([t.text for t in drug_terms()], dtype=pl.String)


def _compute_medication(v: ColumnValues) -> pl.Series:

    names = _drug_names()
    words = v.folded.str.extract_all(r"[a-z][a-z0-9\-]+")
    has_drug = words.list.eval(pl.element().is_in(names.implode())).list.any()
    return has_drug & (v.words <= 10)


_HASH = r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9A-F]{32}|[0-9A-F]{40}|[0-9A-F]{64}|\$2[aby]?\$\d{2}\$.{53}|\$argon2.+|\{SSHA\}.+|\$[156]\$.+)$"


_UNITS = (r"(?:[µunmpkd]?(?:mol|g|ui|u|eq|iu)/(?:l|dl|ml|24 ?h|kg|mmol)|%|mm/h|g/dl|[gt]/l|fl|pg|ml/min"
          r"|ml/min/1[.,]73 ?m2|sec|mg|ui|mmhg|copies/ml|log)")
_LAB_RESULT = (rf"(?:^|\s)[<>]?=?\s*\d+(?:[.,]\d+)?\s*{_UNITS}(?:$|[\s,;)])"
               r"|^(?:normal|normale|anormal|anormale|positif|positive|negatif|negative|indetectable|detectable"
               r"|absence|presence|limite|douteux|non detecte|detecte|hemolyse|ininterpretable)\b")


def _lab_result(v: ColumnValues) -> pl.Series:
    if not v.gate(v.features["length"] <= 80):
        return v.none
    return v.folded.str.contains(_LAB_RESULT)


def _credential(v: ColumnValues) -> pl.Series:
    if not v.gate(v.features["length"] >= 16):
        return v.none
    return v.raw.str.contains(_HASH)


def _internal_id(v: ColumnValues) -> pl.Series:
    failed_nir = ((v.digit_count == 15) & ~_nir(v)) if v.gate(v.digit_count == 15, 0.01) else v.none
    unique = v.distinct >= 0.9 * v.n and v.n >= 5
    sequence = v.raw.str.contains(r"^[0-9]{1,12}$")
    return failed_nir | ((_code(v) | sequence) & v.constant(unique))


def _other(v: ColumnValues) -> pl.Series:
    amount = v.raw.str.contains(r"^-?\d{1,7}[.,]\d{1,3}\s*(?:€|eur|euros?)?$|^-?\d{1,7}\s*(?:€|eur|euros?)$")
    small_set = v.constant(v.distinct <= max(12, v.n // 50))
    boolean = v.folded.is_in(["oui", "non", "o", "n", "yes", "no", "true", "false", "vrai", "faux", "0", "1", "x"])
    return amount | boolean | small_set


# ---- free-text patterns ------------------------------------------------------------------------------------

_DATE_TEXT = r"(?<![0-9])(?:[0-3]?[0-9][/.\-][01]?[0-9][/.\-](?:19|20)[0-9]{2}|(?:19|20)[0-9]{2}-[01][0-9]-[0-3][0-9])(?![0-9])"


# ---- the declarations: one per detector, keyword arguments, an explanation each ----------------------------

NIR = Detector(
    category="nir", explanation="a 15-character NIR whose key checks (stdnum), in any layout",
    headers=("nir", "nss", "n ss", "no ss", "num ss", "numero ss", "numero securite sociale",
             "numero de securite sociale", "securite sociale", "secu", "num secu", "insee", "numero insee",
             "n insee", "ssn", "social security number", "social security", "immatriculation", "matricule assure",
             "nir patient", "n immatriculation"),
    match=_nir, value_weight=0.95,
    text_patterns=(("nir", nir.TEXT_PATTERN),), validate=nir.is_valid, text_score=0.3)

PHONE = Detector(
    category="phone", explanation="a phone number in a French or international layout (fuite.ids.phone)",
    headers=("telephone", "tel", "tel portable", "portable", "mobile", "gsm", "phone", "phone number", "fixe",
             "tel domicile", "tel dom", "tel port", "numero de telephone", "num tel", "n tel", "telephone mobile",
             "telephone fixe", "contact tel", "cell", "mobile phone", "tel fixe", "telephone portable"),
    match=_phone, value_weight=0.9,
    text_patterns=(("phone_fr", phone.TEXT_PATTERN),), validate=phone.is_dialable, text_score=0.5)

EMAIL = Detector(
    category="email", explanation="an e-mail address (fuite.ids.email_address)",
    headers=("email", "e mail", "mail", "courriel", "adresse mail", "adresse email", "adresse electronique",
             "email address", "adresse courriel", "mel"),
    match=_email, value_weight=0.95,
    text_patterns=(("email", email_address.PATTERN),), validate=email_address.is_valid, text_score=0.9)

BIRTH_DATE = Detector(
    category="birth_date", explanation="dates whose years spread like ages (told from sample dates by the spread)",
    headers=("date de naissance", "date naissance", "naissance", "ddn", "dob", "date of birth", "birth date",
             "birthdate", "date nais", "dt naiss", "dnais", "date naiss", "ne le", "nee le", "birthday",
             "dt naissance", "datenaissance", "naiss", "dn"),
    match=_date, value_weight=0.9,
    text_patterns=(("date", _DATE_TEXT),), text_score=0.2)

SAMPLE_DATE = Detector(
    category="sample_date", explanation="dates of recent years, bunched like visits (told from birth dates)",
    headers=("date de prelevement", "date prelevement", "date prel", "dt prel", "date prlv", "date analyse",
             "date d analyse", "date examen", "sample date", "collection date", "date", "date visite", "date rdv",
             "prelevement", "prelevee le", "preleve le", "date du prelevement", "date de l analyse",
             "date resultat", "date dossier", "date_prel", "dte prel", "sampled at", "date recep",
             "date reception", "date demande", "date of test", "test date"),
    match=_date, value_weight=0.9)

SEX = Detector(
    category="sex", explanation="at most 8 distinct values among M/F/H/Homme/Femme/Mme/M./1/2...",
    headers=("sexe", "sex", "sx", "civ", "genre", "gender", "civilite", "h f", "m f", "s", "titre", "title"),
    match=_sex, value_weight=0.85)

POSTAL_CODE = Detector(
    category="postal_code", explanation="5 digits starting with a French department (fuite.ids.postal_code)",
    headers=("cp", "code postal", "codepostal", "zip", "zip code", "zipcode", "postcode", "postal code",
             "code post", "c postal", "cpostal"),
    match=_postal_code, value_weight=0.7)

CITY = Detector(
    category="city", explanation="name-like text, mostly decided by its header or a postal code beside it",
    headers=("ville", "commune", "localite", "city", "town", "ville residence", "municipality",
             "bureau distributeur", "ville patient", "lieu de residence"),
    match=_city, value_weight=0.2, header_weight=0.55)

STREET_ADDRESS = Detector(
    category="street_address", explanation="a number and a street type (rue, avenue, bd...) without a postal code",
    headers=("adresse", "adr", "rue", "voie", "street", "address line", "address", "adresse ligne",
             "complement adresse", "numero et voie", "adresse patient", "address line 1", "street address",
             "ligne adresse", "domicile"),
    match=_street, value_weight=0.9)

FULL_ADDRESS = Detector(
    category="full_address", explanation="a street, a postal code and a town in one cell",
    headers=("adresse complete", "adresse postale", "full address", "postal address", "adresse postale complete",
             "coordonnees postales", "mailing address"),
    match=_full_address, value_weight=0.95)

FIRST_NAME = Detector(
    category="first_name", explanation="single words found in the first-name lexicon (Faker, 14 locales)",
    headers=("prenom", "prenoms", "first name", "firstname", "given name", "forename", "prenom patient", "pnom",
             "prenom usuel", "first"),
    match=_first_name, value_weight=0.85)

LAST_NAME = Detector(
    category="last_name", explanation="name-like words that are not first names nor beneficiary qualities",
    headers=("nom", "nom de famille", "nom patient", "nom usuel", "nom marital", "nom d usage", "nom usage",
             "last name", "lastname", "surname", "family name", "last", "nom epouse"),
    match=_last_name, value_weight=0.45, header_weight=0.5)

BIRTH_NAME = Detector(
    category="birth_name", explanation="a surname under a birth-name header (NOM_NAISS, nom de jeune fille)",
    headers=("nom de naissance", "nom naissance", "nom naiss", "nom jf", "nom de jeune fille", "nom patronymique",
             "patronyme", "birth name", "maiden name", "nee", "nom de famille de naissance"),
    match=_last_name, value_weight=0.3, header_weight=0.6)

FULL_NAME = Detector(
    category="full_name", explanation="two to five name-like words, one of them a first name (NOM Prénom...)",
    headers=("nom prenom", "nom et prenom", "nom complet", "patient", "identite", "full name", "name",
             "prenom nom", "nom prenom patient", "patient name", "assure", "beneficiaire", "nom du patient",
             "identite patient"),
    match=_full_name, value_weight=0.8)

BLOOD_GROUP = Detector(
    category="blood_group", explanation="an ABO group with its Rh factor (A+, O neg, groupe B Rhésus positif...)",
    headers=("groupe sanguin", "groupe", "grp", "gs", "groupe abo", "abo", "rh", "rhesus", "blood group",
             "blood type", "rh d", "grp sang", "groupe rh", "groupage", "facteur rhesus", "grp rh", "abo rh",
             "groupe rhesus"),
    match=_blood, value_weight=0.95)

PHYSICIAN_NAME = Detector(
    category="physician_name", explanation="a name after a title (Dr, Docteur, Pr)",
    headers=("medecin", "medecin prescripteur", "prescripteur", "docteur", "dr", "medecin traitant", "physician",
             "doctor", "prescriber", "referring physician", "med traitant", "nom medecin", "medecin nom",
             "praticien", "gp", "medecin demandeur", "correspondant", "medecin nom prenom"),
    match=_physician, value_weight=0.95)

PHYSICIAN_ID = Detector(
    category="physician_id", explanation="an 11-digit RPPS number whose Luhn digit checks",
    headers=("rpps", "n rpps", "num rpps", "rpps medecin", "id medecin", "code medecin", "prescriber id",
             "rpps prescripteur", "adeli", "n adeli", "num adeli", "medecin rpps", "identifiant medecin", "npi",
             "medecin id"),
    match=_rpps, value_weight=0.9,
    text_patterns=(("rpps", rpps.TEXT_PATTERN),), validate=rpps.is_valid, text_score=0.2)

ADELI = Detector(
    category="physician_id", name="adeli_detector",
    explanation="a 9-character ADELI number (layout only: its key is not public), read with its header",
    headers=("adeli", "n adeli", "num adeli", "medecin adeli"),
    match=_adeli, value_weight=0.3)

INSURER_NAME = Detector(
    category="insurer_name", explanation="the name of a French complementary insurer (mutuelle)",
    headers=("mutuelle", "complementaire", "amc", "organisme complementaire", "assurance complementaire",
             "insurer", "health insurer", "mutuelle sante", "nom mutuelle", "complementaire sante", "assureur",
             "organisme", "caisse", "nom amc", "mutuelle nom", "insurance", "regime complementaire", "mut",
             "organisme amc", "complementaire sante solidaire"),
    match=_insurer, value_weight=0.9)

INSURER_ID = Detector(
    category="insurer_id", explanation="a member number: a code under a membership header or beside an insurer",
    headers=("numero adherent", "n adherent", "adherent", "num adherent", "member number", "membership number",
             "amc numero", "n amc", "no amc", "num amc", "numero amc", "num mutuelle", "numero mutuelle",
             "n mutuelle", "n contrat", "numero contrat", "contrat", "member id", "policy number", "id adherent",
             "mutuelle numero", "mutuelle num", "mutuelle id", "adherent id", "n adh", "num adh", "amc id",
             "insurance id", "policy"),
    match=_member_code, value_weight=0.15, header_weight=0.6)

BENEFICIARY_QUALITY = Detector(
    category="beneficiary_quality",
    explanation="who a row is about on an insurance card: ASSURE, CONJOINT, ENFANT, AYANT DROIT...",
    headers=("qualite", "qualite beneficiaire", "qualite assure", "qualite du beneficiaire", "lien", "lien parente",
             "lien de parente", "type beneficiaire", "statut beneficiaire", "type assure", "ayant droit",
             "qualite ayant droit", "beneficiary type", "relationship", "relation", "quality"),
    match=_beneficiary_quality, value_weight=0.95, header_weight=0.5)

BENEFICIARY_RANK = Detector(
    category="beneficiary_rank", explanation="a small rank (01, 02...) of a beneficiary on an insurance card",
    headers=("rang", "rang beneficiaire", "rang du beneficiaire", "rang ayant droit", "rg", "rang benef",
             "beneficiary rank", "rank"),
    match=_beneficiary_rank, value_weight=0.25, header_weight=0.6)

LAB_NAME = Detector(
    category="lab_name", explanation="a laboratory's name (laboratory words and networks), not a sentence",
    headers=("laboratoire", "labo", "lab", "laboratory", "site", "lbm", "nom labo", "centre de prelevement",
             "etablissement", "site de prelevement", "nom laboratoire", "laboratoire nom", "labo nom", "lab name",
             "centre"),
    match=_lab, value_weight=0.85)

LAB_ID = Detector(
    category="lab_id", explanation="a 9-character FINESS number whose Luhn digit checks",
    headers=("finess", "n finess", "finess labo", "lab id", "id labo", "code finess", "finess laboratoire",
             "labo finess", "laboratoire finess", "finess etablissement", "id laboratoire", "labo id",
             "laboratoire id"),
    match=_finess, value_weight=0.85)

HEALTH_NOTE = Detector(
    category="health_note", explanation="free text with health content (drug terminology, pathology lexicon)",
    headers=("obs", "observations", "observation", "commentaire", "commentaires", "remarque", "remarques", "notes",
             "note", "comment", "comments", "renseignements cliniques", "clinique", "infos medicales",
             "informations medicales", "antecedents", "atcd", "motif", "diagnostic", "memo", "renseignements", "rc",
             "info", "infos", "clinical notes", "medical notes", "notes medicales", "commentaire medical", "texte",
             "libre", "compte rendu", "cr", "conclusion", "anamnese", "resultat", "resultats", "result", "results",
             "valeur", "interpretation", "test result", "resultat analyse", "res", "sms", "texte sms",
             "message", "message sms", "contenu sms", "sms patient", "message patient", "notification"),
    match=_health_note, value_weight=0.9)

LAB_RESULT = Detector(
    category="health_note", name="lab_result_detector",
    explanation="a lab result: a value with a unit, or a qualitative answer (négatif, indétectable...)",
    match=_lab_result, value_weight=0.85, header_weight=0.0)

PROSE = Detector(
    category="health_note", name="prose_detector",
    explanation="sentences of three words or more kept about the person (free text)",
    match=_prose, value_weight=0.35, header_weight=0.0)

MEDICATION = Detector(
    category="medication", explanation="short cells naming a drug of edsnlp's French terminology",
    headers=("traitement", "traitements", "ttt", "medicaments", "medicament", "treatment", "medication",
             "medications", "drugs", "traitement en cours", "trt", "traitement actuel", "prescription", "molecule",
             "therapeutique"),
    match=_medication, value_weight=0.95)

CREDENTIAL = Detector(
    category="credential", explanation="password hashes (hex digests, bcrypt, argon2, SSHA)",
    headers=("password", "mot de passe", "mdp", "pwd", "passwd", "login", "identifiant connexion", "username",
             "user", "hash", "pass", "password hash", "pwd hash", "mdp hash", "token", "api key", "secret",
             "user name", "nom utilisateur", "utilisateur"),
    match=_credential, value_weight=0.9, header_weight=0.55)

INTERNAL_ID = Detector(
    category="internal_id", explanation="unique codes or sequence numbers; NIR-shaped numbers whose key fails",
    headers=("id", "identifiant", "num dossier", "n dossier", "dossier", "numero dossier", "ipp", "code patient",
             "patient id", "id patient", "ref", "reference", "n commande", "commande", "order", "order id", "num",
             "no", "n", "numero", "uid", "code", "record id", "nda", "n demande", "demande", "facture", "n facture",
             "n ordre", "ordre", "num prelevement", "n prelevement", "id analyse", "analyse id", "n echantillon",
             "echantillon", "barcode", "code barre", "n bon", "bon", "episode", "sejour", "n sejour", "rowid", "pk",
             "num patient", "n patient", "patient num", "id_patient", "ref dossier", "identifiant patient",
             "order number", "invoice", "numero de commande"),
    match=_internal_id, value_weight=0.4, header_weight=0.5)

OTHER = Detector(
    category="other", explanation="amounts, flags, small categorical sets, act codes, technical dates",
    headers=("montant", "prix", "tarif", "amount", "statut", "status", "code acte", "acte", "analyse", "examen",
             "unite", "nb", "quantite", "total", "remise", "valeur", "unit", "price", "cotation", "nabm", "b",
             "coefficient", "etat", "type", "libelle", "urgent", "paye", "regle", "mode paiement", "tube",
             "priorite", "test", "date creation", "date saisie", "date modification", "date maj", "created",
             "created at", "updated", "updated at", "date import", "date export", "date facture", "date edition",
             "last login", "timestamp", "examens", "analyses", "reglement", "tiers payant", "montant regle",
             "honoraires", "code examen", "code analyse", "exam code", "test code", "code nabm", "code test",
             "code exam"),
    match=_other, value_weight=0.3, header_weight=0.5)


def default_detectors() -> list[Detector]:
    """Every built-in detector, one per category (two or three for categories with several kinds of evidence)."""
    return [NIR, PHONE, EMAIL, BIRTH_DATE, SAMPLE_DATE, SEX, POSTAL_CODE, CITY, STREET_ADDRESS, FULL_ADDRESS,
            FIRST_NAME, LAST_NAME, BIRTH_NAME, FULL_NAME, BLOOD_GROUP, PHYSICIAN_NAME, PHYSICIAN_ID, ADELI, INSURER_NAME,
            INSURER_ID, BENEFICIARY_QUALITY, BENEFICIARY_RANK, LAB_NAME, LAB_ID, HEALTH_NOTE, LAB_RESULT, PROSE,
            MEDICATION, CREDENTIAL, INTERNAL_ID, OTHER]


def get_detector(category: str, detectors: list[Detector] | None = None) -> Detector:
    """The first detector of ``category``."""
    return next(d for d in (detectors or default_detectors()) if d.category == category)


_COMPILED: dict[str, regex.Pattern] = {}


def find_in_text(text: str, detectors: list[Detector] | None = None, *, timeout: float = 0.05) -> list[TextMatch]:
    """Identifiers inside one free-text cell, validated where the detector has a validator."""
    found: list[TextMatch] = []
    for detector in detectors or default_detectors():
        for pattern_name, pattern in detector.text_patterns:
            compiled = _COMPILED.setdefault(pattern, regex.compile(pattern, regex.IGNORECASE))
            try:
                for m in compiled.finditer(text, timeout=timeout):
                    score = detector.text_score
                    if detector.validate is not None:
                        if not detector.validate(m.group(0)):
                            continue
                        score = 1.0
                    found.append(TextMatch(detector.category, m.start(), m.end(), score, pattern_name))
            except TimeoutError:
                continue
    return found
