"""The category taxonomy: every kind of data fuite looks for in a leak.

Labels are worded the way a CNIL notification words them (French) with an English
twin. ``patient_fr``/``patient_en`` are the plain words a patient reads in a notice.
``special`` marks GDPR art. 9 data (health); ``identifier`` marks values that single
a person out on their own. ``HEALTH_CATEGORIES`` (the ``special`` ones) is the one list of
categories whose filled cells are data concerning health: detect sets a record's ``health``
flag from them, assess and notify read it. A sample date is one of them: it records that the
person had a biological test on that day (GDPR recital 35, information collected in the course
of the provision of health care), see ``docs/taxonomy.md``.
"""

from dataclasses import dataclass

__all__ = ["Category", "CATEGORIES", "CATEGORY_IDS", "get", "SPECIAL_CONDITIONS", "PERSONAL_IDS",
           "HEALTH_CATEGORIES"]


@dataclass(frozen=True)
class Category:
    id: str
    fr: str
    en: str
    patient_fr: str
    patient_en: str
    group: str  # identity, contact, national_id, health, professional, financial, technical, none
    special: bool = False
    identifier: bool = False


CATEGORIES: tuple[Category, ...] = (
    Category("last_name", "Nom de famille", "Last name", "votre nom", "your last name", "identity"),
    Category("first_name", "Prénom", "First name", "votre prénom", "your first name", "identity"),
    Category("birth_name", "Nom de naissance", "Birth name", "votre nom de naissance", "your birth name",
             "identity"),
    Category("full_name", "Nom et prénom", "Full name", "vos nom et prénom", "your full name", "identity"),
    Category("birth_date", "Date de naissance", "Date of birth", "votre date de naissance", "your date of birth", "identity"),
    Category("sex", "Sexe", "Sex", "votre sexe", "your sex", "identity"),
    Category("nir", "Numéro de sécurité sociale (NIR)", "Social security number (NIR)",
             "votre numéro de sécurité sociale", "your social security number", "national_id", identifier=True),
    Category("phone", "Numéro de téléphone", "Phone number", "votre numéro de téléphone", "your phone number",
             "contact", identifier=True),
    Category("email", "Adresse électronique", "Email address", "votre adresse e-mail", "your email address",
             "contact", identifier=True),
    Category("street_address", "Adresse postale (voie)", "Street address", "votre adresse postale",
             "your postal address", "contact"),
    Category("postal_code", "Code postal", "Postal code", "votre code postal", "your postal code", "contact"),
    Category("city", "Commune", "City", "votre ville", "your town", "contact"),
    Category("full_address", "Adresse postale complète", "Full postal address", "votre adresse postale",
             "your postal address", "contact"),
    Category("blood_group", "Groupe sanguin", "Blood group", "votre groupe sanguin", "your blood group",
             "health", special=True),
    Category("physician_name", "Médecin prescripteur", "Referring physician", "le nom de votre médecin",
             "your doctor's name", "professional"),
    Category("physician_id", "Identifiant du médecin (RPPS/ADELI)", "Physician identifier (RPPS/ADELI)",
             "l'identifiant de votre médecin", "your doctor's identifier", "professional"),
    Category("insurer_name", "Organisme complémentaire (mutuelle)", "Health insurer (mutuelle)",
             "le nom de votre mutuelle", "your health insurer", "financial"),
    Category("insurer_id", "Numéro d'adhérent à la mutuelle", "Insurer membership number",
             "votre numéro d'adhérent à la mutuelle", "your insurer membership number", "financial", identifier=True),
    Category("beneficiary_quality", "Qualité du bénéficiaire (assuré, conjoint, enfant)",
             "Beneficiary status (insured, spouse, child)", "votre qualité d'assuré ou d'ayant droit",
             "whether you are the insured person or a dependant", "financial"),
    Category("beneficiary_rank", "Rang du bénéficiaire", "Beneficiary rank", "votre rang d'ayant droit",
             "your rank as a dependant on the insurance card", "financial"),
    Category("health_note", "Commentaires de santé (texte libre)", "Health comments (free text)",
             "des commentaires sur votre santé", "comments about your health", "health", special=True),
    Category("medication", "Traitements médicamenteux", "Medications", "vos traitements", "your treatments",
             "health", special=True),
    Category("lab_name", "Laboratoire", "Laboratory", "le laboratoire où vous avez été prélevé",
             "the laboratory you visited", "health"),
    Category("lab_id", "Identifiant du laboratoire (FINESS)", "Laboratory identifier (FINESS)",
             "l'identifiant du laboratoire", "the laboratory's identifier", "technical"),
    Category("sample_date", "Date de prélèvement", "Sample date", "la date de vos analyses",
             "the date of your tests", "health", special=True),
    Category("credential", "Identifiants de connexion", "Credentials", "vos identifiants de connexion",
             "your login credentials", "technical", identifier=True),
    Category("internal_id", "Identifiant interne", "Internal identifier", "un numéro de dossier interne",
             "an internal record number", "technical"),
    Category("other", "Autre (non personnel)", "Other (not personal data)", "", "", "none"),
)

CATEGORY_IDS: tuple[str, ...] = tuple(c.id for c in CATEGORIES)
_BY_ID = {c.id: c for c in CATEGORIES}

#: Special conditions found in health data, beyond the plain ``health`` flag.
SPECIAL_CONDITIONS: dict[str, tuple[str, str]] = {
    "hiv": ("VIH (infection, traitement antirétroviral ou PrEP)", "HIV (infection, antiretroviral treatment or PrEP)"),
    "pregnancy": ("Grossesse", "Pregnancy"),
    "cancer": ("Cancer", "Cancer"),
    "hepatitis": ("Hépatite", "Hepatitis"),
    "mental_health": ("Santé mentale", "Mental health"),
    "addiction": ("Traitement d'une addiction", "Addiction treatment"),
}

#: Categories that describe the person themselves (not ``other``/``internal_id``/lab metadata).
PERSONAL_IDS: tuple[str, ...] = tuple(c.id for c in CATEGORIES if c.group not in ("none", "technical"))

#: Categories whose filled cells are data concerning health (GDPR art. 9): the ``special`` ones.
HEALTH_CATEGORIES: frozenset[str] = frozenset(c.id for c in CATEGORIES if c.special)


def get(category_id: str) -> Category:
    """Return the category with this id, or raise ``KeyError``."""
    return _BY_ID[category_id]
