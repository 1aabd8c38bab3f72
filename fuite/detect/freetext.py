"""Health information in French free text: drugs (ATC), pathologies, HIV, special conditions, with negation.

One Aho-Corasick automaton (``pyahocorasick``) holds every term of
``fuite.detect.terminology`` in accent-folded lower case; a text is folded
once, matched once, and each hit is checked for word boundaries and for
negation inside its clause (``pas de``, ``absence de``, ``négatif``, ``VIH -``…).
An HIV word inside a test context (``sérologie``, ``dépistage``, ``TROD``) is
health data but reveals HIV only with a positive result.

>>> analyse_text("Sérologie VIH négative").hiv, analyse_text("Sérologie VIH négative").health
(False, True)
>>> analyse_text("ttt : Biktarvy 1 cp/j, CV indétectable").hiv
True
>>> analyse_text("28 SA, contrôle glycémie").conditions
('pregnancy',)
>>> analyse_text("Patient pressé, rappeler demain").health
False
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import ahocorasick
import polars as pl
import regex

from fuite.detect.folding import fold
from fuite.detect.terminology import Term, drug_terms, pathology_terms

__all__ = ["TextFinding", "Hit", "analyse_text", "analyse_column", "header_context", "REGEX_TIMEOUT"]

#: Seconds any regex may spend on one leaked text before the text is skipped.
REGEX_TIMEOUT = 0.05

_PRECEDING_NEGATIONS = regex.compile(
    r"(?:\b(?:pas de|pas d'|pas|absence de|absence d'|absence|aucun|aucune|sans|non|ni|jamais|nie|exclusion de"
    r"|exclu|elimine|ecarte|negatif pour|negative pour)\s*(?:\S+\s+){0,2}$)")
_FOLLOWING_NEGATIONS = regex.compile(
    r"^\W{0,3}(?:\S+\s+){0,3}?(?:negatif|negative|negatifs|negatives|neg|absent|absente|exclu|exclue|normal|normale"
    r"|non reactif|non reactive|ecarte|ecartee|infirme|infirmee|non)\b|^\s*\(?-(?![\w])")
_POSITIVE = regex.compile(
    r"^\W{0,3}(?:\S+\s+){0,3}?(?:positif|positive|positifs|positives|pos|confirme|confirmee|reactif|reactive"
    r"|detectable|detecte|detectee)\b|^\s*\(?\+")
_CLAUSE_END = regex.compile(r"[;\n!?|)(]|[.,](?!\d)")
_WEEKS = regex.compile(r"\b\d{1,2}\s?(?:SA|sa)\s?(?:\+\s?\d+\s?j)?\b|\b\d{1,2}\s?SA\b")
_ICD10 = regex.compile(r"(?:\b(?i:cim|icd)[- ]?10\W{0,3}|\b)([A-TV-Z]\d{2})(\.\d{1,2})?\b")


@dataclass(frozen=True)
class Hit:
    """One term found in a text: its entry, where, and whether it is negated."""

    term: Term
    start: int
    end: int
    negated: bool = False


@dataclass(frozen=True)
class TextFinding:
    """What a text reveals."""

    health: bool = False
    hiv: bool = False
    conditions: tuple[str, ...] = ()
    hits: tuple[Hit, ...] = field(default=(), repr=False)


@lru_cache(maxsize=1)
def _automaton() -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for term in (*drug_terms(), *pathology_terms()):
        if term.text not in automaton:          # the pathology lexicon wins over a same-named drug
            automaton.add_word(term.text, term)
        elif term.kind != "drug":
            automaton.add_word(term.text, term)
    automaton.make_automaton()
    return automaton


def _boundary(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not before.isalnum() and not after.isalnum()


def _longest_hits(folded: str) -> list[tuple[int, int, Term]]:
    found = []
    for last, term in _automaton().iter(folded):
        start = last - len(term.text) + 1
        if _boundary(folded, start, last + 1):
            found.append((start, last + 1, term))
    found.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    kept, reach = [], -1
    for start, end, term in found:
        if start >= reach:
            kept.append((start, end, term))
            reach = end
    return kept


def _clause(folded: str, start: int, end: int) -> tuple[str, str]:
    """Text before and after a hit, cut at the clause boundaries."""
    before = folded[:start]
    cuts = [m.end() for m in _CLAUSE_END.finditer(before, timeout=REGEX_TIMEOUT)]
    before = before[cuts[-1]:] if cuts else before
    after = folded[end:]
    cut = _CLAUSE_END.search(after, timeout=REGEX_TIMEOUT)
    return before[-40:], (after[:cut.start()] if cut else after)[:40]


def _is_negated(before: str, after: str) -> bool:
    return bool(_PRECEDING_NEGATIONS.search(before, timeout=REGEX_TIMEOUT)
                or _FOLLOWING_NEGATIONS.search(after, timeout=REGEX_TIMEOUT))


def _icd10_conditions(text: str) -> set[str]:
    found = set()
    for match in _ICD10.finditer(text, timeout=REGEX_TIMEOUT):
        code, decimals = match.group(1), match.group(2)
        if decimals or match.group(0)[:3].lower() in ("cim", "icd"):
            found.add(_icd10_condition(code))
    return found


def _icd10_condition(code: str) -> str:
    letter, number = code[0], int(code[1:])
    if (letter == "B" and 20 <= number <= 24) or code == "Z21":
        return "hiv"
    if letter == "C" or (letter == "D" and number <= 9):
        return "cancer"
    if letter == "B" and 15 <= number <= 19:
        return "hepatitis"
    if letter == "F":
        return "addiction" if 10 <= number <= 19 else "mental_health"
    if letter == "O" or (letter == "Z" and 33 <= number <= 36):
        return "pregnancy"
    return ""


#: HIV words that a test request also uses ("sérologie VIH"); PrEP, ARV, CD4 follow-up reveal HIV on their own.
_HIV_WORDS_TESTED = {"vih", "hiv", "sida", "hiv-1", "vih-1", "vih1", "vih 1", "vih-2", "vih2"}
#: Antiretrovirals also prescribed alone for hepatitis B (tenofovir, lamivudine): HIV only without a VHB context.
_DUAL_USE_ATC = {"J05AF05", "J05AF07", "J05AF13"}
_HEPATITIS_B_CONTEXT = regex.compile(r"\b(?:vhb|hbv|hepatite\s*b|ag\s*hbs|aghbs|hepatite)\b")


def _drug_condition(folded: str, term: Term) -> str | None:
    if term.atc in _DUAL_USE_ATC and _HEPATITIS_B_CONTEXT.search(folded, timeout=REGEX_TIMEOUT):
        return "hepatitis"
    return term.condition


def _judge(folded: str, start: int, end: int, term: Term) -> tuple[bool, bool]:
    """(counts as health, reveals its condition) for one hit."""
    before, after = _clause(folded, start, end)
    negated = _is_negated(before, after)
    if term.kind == "test":
        return False, False
    if term.kind == "hiv" and term.text not in _HIV_WORDS_TESTED:
        return True, not negated
    if term.kind == "hiv":
        in_test = any(t.kind == "test" for _, _, t in _longest_hits(before + " " + after))
        positive = bool(_POSITIVE.search(after, timeout=REGEX_TIMEOUT))
        if in_test and not positive:
            return True, False
        return True, not negated
    if term.kind == "drug":
        return True, not negated and term.condition is not None
    if term.kind == "condition":
        return True, not negated
    return not negated or term.text in ("ttt", "traitement", "atcd", "antecedents"), False


@lru_cache(maxsize=65_536)
def analyse_text(text: str | None) -> TextFinding:
    """Health, HIV and special conditions revealed by one free-text cell."""
    if not text:
        return TextFinding()
    try:
        folded = fold(text)
        health, conditions, hits = False, set(), []
        for start, end, term in _longest_hits(folded):
            counts, reveals = _judge(folded, start, end, term)
            health |= counts
            condition = _drug_condition(folded, term) if term.kind == "drug" else term.condition
            if reveals and condition:
                conditions.add(condition)
            hits.append(Hit(term, start, end, negated=not reveals and term.condition is not None))
        if _WEEKS.search(text, timeout=REGEX_TIMEOUT):
            health = True
            conditions.add("pregnancy")
        icd = _icd10_conditions(text)
        if icd:
            health = True
            conditions |= icd - {""}
    except TimeoutError:
        return TextFinding()
    return TextFinding(health, "hiv" in conditions, tuple(sorted(conditions)), tuple(hits))


_TITLED_NAME = (r"\s(?:M\.|Mr\.?|Mme\.?|Mlle\.?|Monsieur|Madame|Dr\.?|Docteur|Pr\.?)\s+\p{Lu}[\p{L}'’\-]+"
                r"(?:\s+\p{Lu}[\p{L}'’\-]+)?")

#: Cells that may reveal a condition without containing one of the special words: weeks of amenorrhoea, ICD-10.
_SPECIAL_SHAPES = r"\b\d{1,2}\s?(?:SA|sa)\b|\b[A-TV-Z]\d{2}\.\d|(?i:cim|icd)"


@lru_cache(maxsize=4)
def _spaced(kind: str) -> list[str]:
    """Terms as space-delimited tokens, so that an Aho-Corasick pass matches whole words only."""
    from fuite.detect.terminology import all_words, special_words

    words = special_words() if kind == "special" else all_words()
    return sorted({" " + regex.sub(r"[^a-z0-9]+", " ", w).strip() + " " for w in words})


def analyse_column(values: pl.Series, *, plain_health: bool = True) -> pl.DataFrame:
    """``health``/``hiv``/``conditions`` per cell, vectorised where it can be.

    A polars Aho-Corasick pass (``str.contains_any``) over the folded column
    finds the cells holding any special word; only those distinct texts go
    through ``analyse_text`` (negation, test contexts). The other cells get
    ``health`` from a plain lexicon match (or, with ``plain_health=False``, from being non-empty) and no HIV
    or condition.
    """
    from fuite.detect.folding import fold_column
    text = values.cast(pl.String)
    spaced = " " + fold_column(text).str.replace_all(r"[^a-z0-9]+", " ") + " "
    frame = pl.DataFrame({"text": text, "spaced": spaced})
    frame = frame.with_columns(
        special=(pl.col("spaced").str.contains_any(_spaced("special"))
                 | pl.col("text").str.contains(_SPECIAL_SHAPES)).fill_null(False),
        plain_health=(pl.col("spaced").str.contains_any(_spaced("all")) if plain_health
                      else pl.col("text").is_not_null()),
    )
    # names of third persons carry no medical meaning: masking them lets templated notes share one analysis
    frame = frame.with_columns(key=pl.col("text").str.replace_all(_TITLED_NAME, " M. X"))
    distinct = frame.filter(pl.col("special"))["key"].unique()
    results = [analyse_text(t) for t in distinct.to_list()]
    lookup = pl.DataFrame({
        "key": distinct,
        "a_health": [r.health for r in results],
        "a_hiv": [r.hiv for r in results],
        "a_conditions": [";".join(r.conditions) or None for r in results],
    }, schema={"key": pl.String, "a_health": pl.Boolean, "a_hiv": pl.Boolean, "a_conditions": pl.String})
    joined = frame.join(lookup, on="key", how="left", maintain_order="left")
    return joined.select(
        health=pl.when(pl.col("text").is_null()).then(None)
        .when(pl.col("special")).then(pl.col("a_health")).otherwise(pl.col("plain_health")),
        hiv=pl.when(pl.col("text").is_null()).then(None).otherwise(pl.col("a_hiv").fill_null(False)),
        conditions=pl.col("a_conditions"),
    )


def header_context(header: str) -> str | None:
    """The header, when it names what its cells are about (``Statut VIH``, ``PrEP``, ``Sérologie VHC``).

    Such a column holds bare answers (``positif``, ``oui``, ``négatif``) that mean nothing without it.
    """
    if not header:
        return None
    spaced = " " + regex.sub(r"[^a-z0-9]+", " ", fold(header)) + " "
    return header if any(word in spaced for word in _spaced("special")) else None
