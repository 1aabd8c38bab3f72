"""The detector registry: one small declarative object per category (Presidio-like).

A detector declares its category, the header vocabulary that names it (French,
English and the abbreviations of French lab and hospital exports), a
vectorised value matcher over a whole column, the weights of value and header
evidence, and — for identifiers that also hide in free text — the regex
patterns and validator used there. The same objects serve the column runner
(``fuite.detect.columns``) and the text runner (``find_in_text``).

``default_detectors()`` returns a plain list; filter it like any list.
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

__all__ = ["Detector", "TextMatch", "default_detectors", "find_in_text", "get_detector"]

Matcher = Callable[[ColumnValues], pl.Series]


@dataclass(frozen=True)
class TextMatch:
    """An identifier found inside free text."""

    category: str
    start: int
    end: int
    score: float
    pattern: str


@dataclass(frozen=True)
class Detector:
    """What one category looks like, in a header, in a column of values, in free text."""

    category: str
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
    return values.str.replace(r"\s*(?:[/;|,]|\s(?:ou|or|et)\s)\s*(?:\+|0|[A-Za-z0-9._%+-]+@).*$", "")


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
    return v.name_like & (v.words <= 3) & ~(first_in & (v.words == 1)) & ~_full_name(v)


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


_LAB_RE = r"(?:^|[^a-z])(?:" + "|".join(regex.escape(w.strip()) for w in lexicons.LAB_WORDS) + r")(?:$|[^a-z])"


def _lab(v: ColumnValues) -> pl.Series:
    return v.folded.str.contains(_LAB_RE) & ~v.folded.str.contains(_TITLES)


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

_NIR_TEXT = nir.TEXT_PATTERN
_PHONE_TEXT = phone.TEXT_PATTERN
_EMAIL_TEXT = email_address.PATTERN
_RPPS_TEXT = rpps.TEXT_PATTERN
_DATE_TEXT = r"(?<![0-9])(?:[0-3]?[0-9][/.\-][01]?[0-9][/.\-](?:19|20)[0-9]{2}|(?:19|20)[0-9]{2}-[01][0-9]-[0-3][0-9])(?![0-9])"


def default_detectors() -> list[Detector]:
    """Every built-in detector, one per category (two for categories with two kinds of evidence)."""
    return [
        Detector("nir", ("nir", "nss", "n ss", "no ss", "num ss", "numero ss", "numero securite sociale",
                         "numero de securite sociale", "securite sociale", "secu", "num secu", "insee",
                         "numero insee", "n insee", "ssn", "social security number", "social security",
                         "immatriculation", "matricule assure", "nir patient", "n immatriculation"),
                 _nir, 0.95, text_patterns=(("nir", _NIR_TEXT),), validate=nir.is_valid, text_score=0.3),
        Detector("phone", ("telephone", "tel", "tel portable", "portable", "mobile", "gsm", "phone", "phone number",
                           "fixe", "tel domicile", "tel dom", "tel port", "numero de telephone", "num tel",
                           "n tel", "telephone mobile", "telephone fixe", "contact tel", "cell", "mobile phone",
                           "tel fixe", "telephone portable"),
                 _phone, 0.9, text_patterns=(("phone_fr", _PHONE_TEXT),), validate=phone.is_dialable,
                 text_score=0.5),
        Detector("email", ("email", "e mail", "mail", "courriel", "adresse mail", "adresse email",
                           "adresse electronique", "email address", "adresse courriel", "mel"),
                 _email, 0.95, text_patterns=(("email", _EMAIL_TEXT),), validate=email_address.is_valid,
                 text_score=0.9),
        Detector("birth_date", ("date de naissance", "date naissance", "naissance", "ddn", "dob", "date of birth",
                                "birth date", "birthdate", "date nais", "dt naiss", "dnais", "date naiss", "ne le",
                                "nee le", "birthday", "dt naissance", "datenaissance", "naiss", "dn"),
                 _date, 0.9, text_patterns=(("date", _DATE_TEXT),), text_score=0.2),
        Detector("sample_date", ("date de prelevement", "date prelevement", "date prel", "dt prel", "date prlv",
                                 "date analyse", "date d analyse", "date examen", "sample date", "collection date",
                                 "date", "date visite", "date rdv", "prelevement", "prelevee le", "preleve le",
                                 "date du prelevement", "date de l analyse", "date resultat", "date dossier",
                                 "date_prel", "dte prel", "sampled at",
                                 "date recep", "date reception", "date demande", "date of test", "test date"),
                 _date, 0.9),
        Detector("sex", ("sexe", "sex", "sx", "civ", "genre", "gender", "civilite", "h f", "m f", "s", "titre", "title"),
                 _sex, 0.85),
        Detector("postal_code", ("cp", "code postal", "codepostal", "zip", "zip code", "zipcode", "postcode",
                                 "postal code", "code post", "c postal", "cpostal"),
                 _postal_code, 0.7),
        Detector("city", ("ville", "commune", "localite", "city", "town", "ville residence", "municipality",
                          "bureau distributeur", "ville patient", "lieu de residence"),
                 _city, 0.2, 0.55),
        Detector("street_address", ("adresse", "adr", "rue", "voie", "street", "address line", "address",
                                    "adresse ligne", "complement adresse", "numero et voie", "adresse patient",
                                    "address line 1", "street address", "ligne adresse", "domicile"),
                 _street, 0.9),
        Detector("full_address", ("adresse complete", "adresse postale", "full address", "postal address",
                                  "adresse postale complete", "coordonnees postales", "mailing address"),
                 _full_address, 0.95),
        Detector("first_name", ("prenom", "prenoms", "first name", "firstname", "given name", "forename",
                                "prenom patient", "pnom", "prenom usuel", "first"),
                 _first_name, 0.85),
        Detector("last_name", ("nom", "nom de famille", "nom patient", "nom naissance", "nom de naissance",
                               "nom usuel", "nom marital", "nom d usage", "patronyme", "last name", "lastname",
                               "surname", "family name", "nom jf", "nom de jeune fille", "last", "nom epouse"),
                 _last_name, 0.45, 0.5),
        Detector("full_name", ("nom prenom", "nom et prenom", "nom complet", "patient", "identite", "full name",
                               "name", "prenom nom", "nom prenom patient", "patient name", "assure",
                               "beneficiaire", "nom du patient", "identite patient"),
                 _full_name, 0.8),
        Detector("blood_group", ("groupe sanguin", "groupe", "grp", "gs", "groupe abo", "abo", "rh", "rhesus",
                                 "blood group", "blood type", "rh d", "grp sang", "groupe rh", "groupage",
                                 "facteur rhesus", "grp rh", "abo rh", "groupe rhesus"),
                 _blood, 0.95),
        Detector("physician_name", ("medecin", "medecin prescripteur", "prescripteur", "docteur", "dr",
                                    "medecin traitant", "physician", "doctor", "prescriber", "referring physician",
                                    "med traitant", "nom medecin", "medecin nom", "praticien", "gp",
                                    "medecin demandeur", "correspondant", "medecin nom prenom"),
                 _physician, 0.95),
        Detector("physician_id", ("rpps", "n rpps", "num rpps", "rpps medecin", "id medecin", "code medecin",
                                  "prescriber id", "rpps prescripteur", "adeli", "n adeli", "num adeli",
                                  "medecin rpps", "identifiant medecin", "npi", "medecin id"),
                 _rpps, 0.9, text_patterns=(("rpps", _RPPS_TEXT),), validate=rpps.is_valid, text_score=0.2),
        Detector("physician_id", ("adeli", "n adeli", "num adeli", "medecin adeli"), _adeli, 0.3,
                 name="adeli_detector"),
        Detector("insurer_name", ("mutuelle", "complementaire", "amc", "organisme complementaire",
                                  "assurance complementaire", "insurer", "health insurer", "mutuelle sante",
                                  "nom mutuelle", "complementaire sante", "assureur", "organisme", "caisse",
                                  "nom amc", "mutuelle nom", "insurance", "regime complementaire", "mut",
                                  "organisme amc", "complementaire sante solidaire"),
                 _insurer, 0.9),
        Detector("insurer_id", ("numero adherent", "n adherent", "adherent", "num adherent", "member number",
                                "membership number", "amc numero", "n amc", "no amc", "num amc", "numero amc",
                                "num mutuelle", "numero mutuelle", "n mutuelle", "n contrat", "numero contrat",
                                "contrat", "member id", "policy number", "id adherent", "mutuelle numero",
                                "mutuelle num", "mutuelle id", "adherent id", "n adh", "num adh", "amc id",
                                "insurance id", "policy"),
                 _code, 0.15, 0.6),
        Detector("lab_name", ("laboratoire", "labo", "lab", "laboratory", "site", "lbm", "nom labo",
                              "centre de prelevement", "etablissement", "site de prelevement", "nom laboratoire",
                              "laboratoire nom", "labo nom", "lab name", "centre"),
                 _lab, 0.85),
        Detector("lab_id", ("finess", "n finess", "finess labo", "lab id", "id labo", "code finess",
                            "finess laboratoire", "labo finess", "laboratoire finess", "finess etablissement",
                            "id laboratoire", "labo id", "laboratoire id"),
                 _finess, 0.85),
        Detector("health_note", ("obs", "observations", "observation", "commentaire", "commentaires", "remarque",
                                 "remarques", "notes", "note", "comment", "comments", "renseignements cliniques",
                                 "clinique", "infos medicales", "informations medicales", "antecedents", "atcd",
                                 "motif", "diagnostic", "memo", "renseignements", "rc", "info", "infos",
                                 "clinical notes", "medical notes", "notes medicales", "commentaire medical",
                                 "texte", "libre", "compte rendu", "cr", "conclusion", "anamnese", "resultat",
                                 "resultats", "result", "results", "valeur", "interpretation", "test result",
                                 "resultat analyse", "res"),
                 _health_note, 0.9),
        Detector("health_note", (), _lab_result, 0.85, 0.0, name="lab_result_detector"),
        Detector("health_note", (), _prose, 0.35, 0.0, name="prose_detector"),
        Detector("medication", ("traitement", "traitements", "ttt", "medicaments", "medicament", "treatment",
                                "medication", "medications", "drugs", "traitement en cours", "trt",
                                "traitement actuel", "prescription", "molecule", "therapeutique"),
                 _medication, 0.95),
        Detector("credential", ("password", "mot de passe", "mdp", "pwd", "passwd", "login", "identifiant connexion",
                                "username", "user", "hash", "pass", "password hash", "pwd hash", "mdp hash",
                                "token", "api key", "secret", "user name", "nom utilisateur", "utilisateur"),
                 _credential, 0.9, 0.55),
        Detector("internal_id", ("id", "identifiant", "num dossier", "n dossier", "dossier", "numero dossier",
                                 "ipp", "code patient", "patient id", "id patient", "ref", "reference",
                                 "n commande", "commande", "order", "order id", "num", "no", "n", "numero",
                                 "uid", "code", "record id", "nda", "n demande", "demande", "facture",
                                 "n facture", "n ordre", "ordre", "num prelevement", "n prelevement",
                                 "id analyse", "analyse id", "n echantillon", "echantillon", "barcode",
                                 "code barre", "n bon", "bon", "episode", "sejour", "n sejour", "rowid", "pk",
                                 "num patient", "n patient", "patient num", "id_patient", "ref dossier",
                                 "identifiant patient", "order number", "invoice", "numero de commande"),
                 _internal_id, 0.4, 0.5),
        Detector("other", ("montant", "prix", "tarif", "amount", "statut", "status", "code acte", "acte", "analyse",
                           "examen", "unite", "nb", "quantite", "total", "remise", "valeur", "unit",
                           "price", "cotation", "nabm", "b", "coefficient", "etat", "type", "libelle", "urgent",
                           "paye", "regle", "mode paiement", "tube", "priorite", "test", "date creation", "date saisie",
                           "date modification", "date maj", "created", "created at", "updated", "updated at",
                           "date import", "date export", "date facture", "date edition", "last login", "timestamp",
                           "examens", "analyses", "reglement", "tiers payant", "montant regle", "honoraires"),
                 _other, 0.3, 0.5),
    ]


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
