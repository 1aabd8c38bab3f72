"""The report's words in French (default) and English, and how numbers and months are written.

Category and condition labels come from ``fuite.taxonomy``; this module holds only the
report's own headings and sentences.
"""

from __future__ import annotations

from fuite.report.masking import MASKED, is_small
from fuite.taxonomy import SPECIAL_CONDITIONS, get

__all__ = ["LANGS", "TEXT", "fmt_count", "fmt_number", "fmt_share", "month_label", "category_label", "condition_label",
           "severity_label"]

LANGS = ("fr", "en")

_MONTHS = {
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
_MONTHS_LONG = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}

_SEVERITY = {
    "fr": {"low": "Faible", "medium": "Moyen", "high": "Élevé", "very_high": "Très élevé"},
    "en": {"low": "Low", "medium": "Medium", "high": "High", "very_high": "Very high"},
}

TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Violation de données de santé — rapport au DPO",
        "subtitle": "Synthèse chiffrée de la fuite, établie à partir du dossier chiffré",
        "generated": "Établi le",
        "controller": "Responsable du traitement :",
        "confidential": "Document interne — chiffres agrégés, sans aucune donnée identifiante",
        "summary": "Synthèse",
        "persons": "Personnes distinctes",
        "records": "Enregistrements",
        "files": "Fichiers",
        "tables": "tables",
        "period": "Période des prélèvements",
        "period_none": "aucune date de prélèvement",
        "labs": "Laboratoires",
        "persons_health": "Personnes avec données de santé",
        "persons_hiv": "Personnes avec données liées au VIH",
        "categories": "Catégories de données exposées",
        "categories_intro": "Nombre de personnes dont au moins un enregistrement contient la catégorie.",
        "category": "Catégorie",
        "special_flag": "Art. 9",
        "share": "Part des personnes",
        "special": "Catégories particulières (santé)",
        "special_intro": "Personnes dont les données révèlent l'une de ces situations (données de santé, "
                         "article 9 du RGPD).",
        "condition": "Situation",
        "severity": "Gravité (méthode ENISA)",
        "severity_intro": "Répartition des personnes par niveau de gravité calculé par « fuite assess ».",
        "severity_missing": "La gravité n'a pas encore été évaluée : lancez « fuite assess » puis régénérez "
                            "ce rapport.",
        "level": "Niveau",
        "not_assessed": "Non évaluées",
        "controllers": "Responsables de traitement",
        "controllers_intro": "Personnes et enregistrements de chaque responsable de traitement, selon les "
                             "données qu'il détenait (une personne de plusieurs responsables compte pour chacun).",
        "unattributed": "Enregistrements sans responsable identifié (à attribuer dans case.toml) :",
        "controller_line": "{persons} personnes, {records} enregistrements ; {health} avec données de santé, "
                           "{hiv} avec données liées au VIH",
        "sources": "Sources",
        "sources_intro": "Une ligne par table lue (feuille de classeur, table SQL, fichier texte).",
        "file": "Fichier",
        "table": "Table",
        "table_of": "table : ",
        "format": "Format",
        "rows": "Lignes lues",
        "quarantined": "Lignes écartées",
        "persons_short": "Personnes",
        "categories_short": "Catégories",
        "timeline": "Chronologie des prélèvements",
        "timeline_intro": "Nombre d'enregistrements par mois de prélèvement.",
        "timeline_none": "Aucune date de prélèvement n'a été trouvée.",
        "quality": "Qualité des données",
        "quality_quarantine": "lignes écartées (mises en quarantaine, chiffrées dans le dossier)",
        "quality_reasons": "Principaux motifs",
        "quality_problems": "fichiers illisibles",
        "quality_low": "colonnes classées avec une confiance inférieure à",
        "quality_no_date": "enregistrements sans date de prélèvement exploitable",
        "quality_none": "Rien à signaler.",
        "reason": "Motif",
        "count": "Nombre",
        "column": "Colonne",
        "column_n": "n° {n}",
        "confidence": "Confiance",
        "labs_named": "Laboratoires représentés (10 personnes ou plus)",
        "labs_unnamed": "Laboratoires de moins de 10 personnes, non nommés :",
        "breach_level": "Niveau de gravité de la violation :",
        "score": "score",
        "method": "Méthode et lecture",
        "method_masking": "Pour qu'aucune personne ne puisse être isolée, tout effectif de 1 à 9 personnes "
                          "est affiché « < 10 » (barre hachurée dans les graphiques), et sa part n'est pas "
                          "donnée.",
        "method_persons": "Une personne est un regroupement d'enregistrements (rapprochement déterministe "
                          "puis probabiliste) ; un enregistrement est une ligne de donnée d'une table.",
        "page": "Page",
        "of": "sur",
        "yes": "oui",
    },
    "en": {
        "title": "Health-data breach — report to the DPO",
        "subtitle": "Figures of the leak, computed from the encrypted case",
        "generated": "Produced on",
        "controller": "Data controller:",
        "confidential": "Internal document — aggregate figures, no identifying data",
        "summary": "Summary",
        "persons": "Distinct persons",
        "records": "Records",
        "files": "Files",
        "tables": "tables",
        "period": "Sample dates",
        "period_none": "no sample date",
        "labs": "Laboratories",
        "persons_health": "Persons with health data",
        "persons_hiv": "Persons with HIV-related data",
        "categories": "Categories of data exposed",
        "categories_intro": "Number of persons with at least one record holding the category.",
        "category": "Category",
        "special_flag": "Art. 9",
        "share": "Share of persons",
        "special": "Special categories (health)",
        "special_intro": "Persons whose data reveal one of these conditions (health data, GDPR article 9).",
        "condition": "Condition",
        "severity": "Severity (ENISA method)",
        "severity_intro": "Persons per severity level computed by “fuite assess”.",
        "severity_missing": "Severity has not been assessed yet: run “fuite assess”, then produce this report "
                            "again.",
        "level": "Level",
        "not_assessed": "Not assessed",
        "controllers": "Data controllers",
        "controllers_intro": "Persons and records of each data controller, from the data it held (a person of "
                             "several controllers counts for each).",
        "unattributed": "Records with no identified controller (to attribute in case.toml):",
        "controller_line": "{persons} persons, {records} records; {health} with health data, {hiv} with "
                           "HIV-related data",
        "sources": "Sources",
        "sources_intro": "One line per table read (workbook sheet, SQL table, text file).",
        "file": "File",
        "table": "Table",
        "table_of": "table: ",
        "format": "Format",
        "rows": "Rows read",
        "quarantined": "Rows set aside",
        "persons_short": "Persons",
        "categories_short": "Categories",
        "timeline": "Timeline of sample dates",
        "timeline_intro": "Records per month of sample.",
        "timeline_none": "No sample date was found.",
        "quality": "Data quality",
        "quality_quarantine": "rows set aside (quarantined, kept encrypted in the case)",
        "quality_reasons": "Main reasons",
        "quality_problems": "unreadable files",
        "quality_low": "columns classified with a confidence below",
        "quality_no_date": "records without a usable sample date",
        "quality_none": "Nothing to report.",
        "reason": "Reason",
        "count": "Count",
        "column": "Column",
        "column_n": "no. {n}",
        "confidence": "Confidence",
        "labs_named": "Laboratories represented (10 persons or more)",
        "labs_unnamed": "Laboratories with fewer than 10 persons, not named:",
        "breach_level": "Severity of the breach:",
        "score": "score",
        "method": "Method and reading",
        "method_masking": "So that nobody can be singled out, any count of 1 to 9 persons is shown as “< 10” "
                          "(hatched bar in the charts) and its share is not given.",
        "method_persons": "A person is a group of records (deterministic then probabilistic linkage); a record "
                          "is one data row of one table.",
        "page": "Page",
        "of": "of",
        "yes": "yes",
    },
}


def fmt_count(n: int | str, lang: str) -> str:
    """``491 840`` (French, narrow no-break space) or ``491,840``; masked counts as "< 10"."""
    if isinstance(n, str):
        return n
    return MASKED if is_small(n) else fmt_number(n, lang)


def fmt_number(n: int, lang: str) -> str:
    """A count that describes files, not persons (never masked), with thousands separators."""
    text = f"{n:,}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def fmt_share(n: int, total: int, lang: str) -> str:
    """The share of ``n`` in ``total`` as a percentage; empty for masked counts (it would give them away)."""
    if is_small(n) or total <= 0:
        return "—" if is_small(n) else ""
    text = f"{100 * n / total:.1f} %" if lang == "fr" else f"{100 * n / total:.1f}%"
    return text.replace(".", ",") if lang == "fr" else text


def month_label(month: str, lang: str, long: bool = False) -> str:
    """``2019-01`` → ``janv. 2019`` / ``Jan 2019`` (``long``: ``janvier 2019``)."""
    year, number = month[:4], int(month[5:7])
    names = _MONTHS_LONG if long else _MONTHS
    return f"{names[lang][number - 1]} {year}"


def category_label(category_id: str, lang: str) -> str:
    try:
        category = get(category_id)
    except KeyError:
        return category_id
    return category.fr if lang == "fr" else category.en


def condition_label(key: str, lang: str) -> str:
    fr, en = SPECIAL_CONDITIONS.get(key, (key, key))
    return fr if lang == "fr" else en


def severity_label(level: str, lang: str) -> str:
    return _SEVERITY[lang].get(level, level)
