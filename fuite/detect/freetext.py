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
from fuite.detect.context import REGEX_TIMEOUT, TextContext, timeout_for
from fuite.detect.terminology import Term, drug_terms, pathology_terms

__all__ = ["TextFinding", "Finding", "Hit", "analyse_text", "analyse_column", "header_context", "REGEX_TIMEOUT"]

_POSITIVE = regex.compile(
    r"^\W{0,3}(?:\S+\s+){0,3}?(?:positif|positive|positifs|positives|pos|confirme|confirmee|reactif|reactive"
    r"|detectable|detecte|detectee)\b|^\s*\(?\+")
_WEEKS = regex.compile(r"\b\d{1,2}\s?(?:SA|sa)\s?(?:\+\s?\d+\s?j)?\b|\b\d{1,2}\s?SA\b")
#: Pregnancy shapes no single word gives: a positive hCG, gravidity/parity (G2P1), "x mois de grossesse".
_PREGNANCY_SHAPES = regex.compile(
    r"(?<![\w])(?:β|beta|b)?[\s-]?hcg(?:\s*plasmatiques?|\s*sanguins?|\s*quantitatifs?)?\s*:?\s*"
    r"(?:positifs?|\+|eleves?)"
    r"|(?<![\w])g\d\s?p\d(?![\w])|test de grossesse\s*:?\s*(?:positif|\+)")
_ICD10 = regex.compile(r"(?:\b(?i:cim|icd)[- ]?10\W{0,3}|\b)([A-TV-Z]\d{2})(\.\d{1,2})?\b")


@dataclass(frozen=True)
class Hit:
    """One term found in a text: its entry, where, and whether it is negated."""

    term: Term
    start: int
    end: int
    negated: bool = False


@dataclass(frozen=True)
class Finding:
    """One condition mentioned in a text: what, about whom, asserted how, and where (in the folded text)."""

    condition: str
    subject: str = "patient"
    status: str = "affirmed"
    start: int = 0
    end: int = 0
    cue: str = ""

    @property
    def counts_for_patient(self) -> bool:
        return self.subject == "patient" and self.status == "affirmed"


@dataclass(frozen=True)
class TextFinding:
    """What a text reveals about the patient (``hiv``, ``conditions``: affirmed findings about the patient only),
    every condition finding with its subject and status, and the ambiguous mentions left undecided."""

    health: bool = False
    hiv: bool = False
    conditions: tuple[str, ...] = ()
    hits: tuple[Hit, ...] = field(default=(), repr=False)
    findings: tuple[Finding, ...] = field(default=(), repr=False)
    undecided: int = 0
    #: The conditions decided by the text itself, the ambiguous mentions it could not decide alone (for the record's
    #: other cells to decide: ``resolve_deferred``) and whether the patient's hepatitis here is a B.
    firm: tuple[str, ...] = field(default=(), repr=False)
    deferred: tuple[str, ...] = field(default=(), repr=False)
    hepatitis_b: bool = field(default=False, repr=False)


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


_LIST_SEPARATOR = regex.compile(r"^\s*(?:[,/+&]|et|ou|and)?\s*$")


def _groups(folded: str, hits: list[tuple[int, int, Term]]) -> list[tuple[int, int]]:
    """Per hit, the span of its enumeration ("sérologies VIH, VHB, VHC négatives"): members share one clause."""
    spans, i = [None] * len(hits), 0
    while i < len(hits):
        j = i
        while (j + 1 < len(hits) and hits[j][2].kind != "test" and hits[j + 1][2].kind != "test"
               and _LIST_SEPARATOR.match(folded[hits[j][1]:hits[j + 1][0]])):
            j += 1
        for k in range(i, j + 1):
            spans[k] = (hits[i][0], hits[j][1])
        i = j + 1
    return spans



def _icd10_conditions(text: str, timeout: float | None) -> list[tuple[str, int, int]]:
    found = []
    for match in _ICD10.finditer(text, timeout=timeout):
        code, decimals = match.group(1), match.group(2)
        if decimals or match.group(0)[:3].lower() in ("cim", "icd"):
            condition = _icd10_condition(code)
            if condition:
                found.append((condition, match.start(1), match.end()))
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


#: Words that a test request also uses ("sérologie VIH", "Ag HBs"): they reveal a condition only with a positive
#: result; inside a test without one they are health data only (status ``proposed``, or ``negated``).
_TESTED_WORDS = {"vih", "hiv", "sida", "hiv-1", "vih-1", "vih1", "vih 1", "vih-2", "vih2", "vhb", "vhc", "hbv",
                 "hcv", "ag hbs", "aghbs", "hepatite", "hepatites", "hepatite b", "hepatite c"}
#: Antiretrovirals also given for hepatitis B (tenofovir, lamivudine, emtricitabine/tenofovir): resolved by the
#: record's context; alone, tenofovir or lamivudine say nothing certain (undecided).
_DUAL_USE_ATC = {"J05AF05", "J05AF07", "J05AF13", "J05AF09"}
_HIV_OR_HBV_ATC = {"J05AR03"}
#: Mentions that are HIV wording unless the record is about a hepatitis: a bare undetectable viral load.
_VIRAL_LOAD_ALONE = {"cv indetectable", "charge virale indetectable"}
_HEPATITIS_C = regex.compile(r"\b(?:vhc|hcv|hepatite c)\b")
_VACCINE = regex.compile(r"\b(?:vaccin\w*|immunis\w*|anti-?hbs|ac anti)\b")


def _qualify(context: TextContext, start: int, end: int, span: tuple[int, int], term: Term | None
             ) -> tuple[str, str, str]:
    """(subject, status, cue) of one mention, with the test-context and vaccination rules."""
    subject, cue = context.subject(start, end)
    status = context.status(start, end, span)
    before, after = context.clause_text(*span)
    if term is not None and term.text in _TESTED_WORDS and status == "affirmed":
        in_test = any(t.kind == "test" for _, _, t in _longest_hits(before + " " + after))
        if in_test and not _POSITIVE.search(after, timeout=context.timeout):
            status = "proposed"
    if term is not None and term.condition == "hepatitis" and _VACCINE.search(before + " " + after,
                                                                              timeout=context.timeout):
        status = "negated"
    return subject, status, cue


def resolve_deferred(kind: str, firm: set[str], hepatitis_b: bool) -> str | None:
    """The condition of an ambiguous mention (``tenofovir``, ``emtricitabine``, ``viral_load``) given the patient's
    other affirmed conditions in the record (``firm``) and whether one of them is a hepatitis B."""
    if kind == "viral_load":
        return None if "hepatitis" in firm else "hiv"
    if "hiv" in firm:
        return "hiv"
    if hepatitis_b:
        return "hepatitis"
    return "hiv" if kind == "emtricitabine" else None


def _pending_kind(term: Term) -> str:
    if term.text in _VIRAL_LOAD_ALONE:
        return "viral_load"
    return "emtricitabine" if term.atc in _HIV_OR_HBV_ATC else "tenofovir"


def _resolve_dual(pending, findings: list[Finding], folded: str
                  ) -> tuple[list[Finding], list[tuple[str, Finding]], bool]:
    """Conditions of the dual-use drugs and bare viral loads from the text's other findings (its context); the
    kinds decided without any context are returned as *deferred*, for the record's other cells to decide."""
    patient = {f.condition for f in findings if f.counts_for_patient}
    hepatitis_b = "hepatitis" in patient and not _HEPATITIS_C.search(folded, timeout=timeout_for(folded))
    resolved, deferred = [], []
    for (start, end, term), (subject, status, cue) in pending:
        kind = _pending_kind(term)
        condition = resolve_deferred(kind, patient, hepatitis_b)
        has_context = "hiv" in patient or hepatitis_b or (kind == "viral_load" and "hepatitis" in patient)
        if subject == "patient" and status == "affirmed" and not has_context:
            deferred.append((kind, Finding(condition or "", subject, status, start, end, cue)))
        elif condition:
            resolved.append(Finding(condition, subject, status, start, end, cue))
    return resolved, deferred, hepatitis_b


def _term_findings(folded: str, context: TextContext) -> tuple[bool, list[Hit], list[Finding], list]:
    hits = _longest_hits(folded)
    spans = _groups(folded, hits)
    health, out_hits, findings, pending = False, [], [], []
    for (start, end, term), span in zip(hits, spans):
        if term.kind == "test":
            health |= "grossesse" in term.text          # a pregnancy test is health data
            continue
        subject, status, cue = _qualify(context, start, end, span, term)
        health |= status != "negated" or term.kind != "health" or term.text in ("ttt", "traitement", "atcd",
                                                                                  "antecedents")
        if (term.kind == "drug" and term.condition == "hiv" and (term.atc in _DUAL_USE_ATC
                                                                  or term.atc in _HIV_OR_HBV_ATC)) \
                or term.text in _VIRAL_LOAD_ALONE:
            pending.append(((start, end, term), (subject, status, cue)))
        elif term.condition:
            findings.append(Finding(term.condition, subject, status, start, end, cue))
        out_hits.append(Hit(term, start, end, negated=status != "affirmed" and term.condition is not None))
    return health, out_hits, findings, pending


def _shape_findings(text: str, folded: str, context: TextContext) -> list[Finding]:
    timeout = context.timeout
    found = [("pregnancy", m.start(), m.end()) for m in _WEEKS.finditer(text, timeout=timeout)]
    found += [("pregnancy", m.start(), m.end()) for m in _PREGNANCY_SHAPES.finditer(folded, timeout=timeout)]
    found += _icd10_conditions(text, timeout)
    out = []
    for condition, start, end in found:
        subject, status, cue = _qualify(context, start, end, (start, end), None)
        out.append(Finding(condition, subject, status, start, end, cue))
    return out


@lru_cache(maxsize=65_536)
def analyse_text(text: str | None) -> TextFinding:
    """Health, HIV and special conditions revealed by one free-text cell (or the joined texts of one record)."""
    if not text:
        return TextFinding()
    try:
        folded = fold(text)
        if len(folded) != len(text):            # folding changed offsets (ligatures): shapes read the fold only
            text = folded
        context = TextContext(folded)
        health, hits, findings, pending = _term_findings(folded, context)
        shapes = _shape_findings(text, folded, context)
        health |= bool(shapes)
        findings += shapes
        resolved, deferred, hepatitis_b = _resolve_dual(pending, findings, folded)
        findings += resolved
    except TimeoutError:
        return TextFinding()
    firm = {f.condition for f in findings if f.counts_for_patient}
    findings += [f for _, f in deferred if f.condition]          # decided by default, kept for explain
    conditions = tuple(sorted(firm | {f.condition for _, f in deferred if f.condition}))
    return TextFinding(health, "hiv" in conditions, conditions, tuple(hits), tuple(findings),
                       sum(not f.condition for _, f in deferred), tuple(sorted(firm)),
                       tuple(kind for kind, _ in deferred), hepatitis_b)


_TITLED_NAME = (r"\s(?:M\.|Mr\.?|Mme\.?|Mlle\.?|Monsieur|Madame|Dr\.?|Docteur|Pr\.?)\s+\p{Lu}[\p{L}'’\-]+"
                r"(?:\s+\p{Lu}[\p{L}'’\-]+)?")

#: Cells that may reveal a condition without containing one of the special words: weeks of amenorrhoea, ICD-10.
_SPECIAL_SHAPES = r"\b\d{1,2}\s?(?:SA|sa)\b|\b[A-TV-Z]\d{2}\.\d|(?i:cim|icd|hcg)|\b[Gg]\d\s?[Pp]\d\b"
#: Identifiers typed into a note (phone, NIR, email) carry no medical meaning: masked, notes share one analysis.
_TYPED_IDENTIFIER = r"\+?\d[\d .\-]{7,}\d|[\w.+\-]+@[\w\-]+\.[\w.\-]+"


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
    frame = frame.with_columns(key=pl.col("text").str.replace_all(_TITLED_NAME, " M. X")
                               .str.replace_all(_TYPED_IDENTIFIER, "0"))
    distinct = frame.filter(pl.col("special"))["key"].unique()
    results = [analyse_text(t) for t in distinct.to_list()]
    lookup = pl.DataFrame({
        "key": distinct,
        "a_health": [r.health for r in results],
        "a_hiv": [r.hiv for r in results],
        "a_conditions": [";".join(r.conditions) or None for r in results],
        "a_firm": [";".join(r.firm) or None for r in results],
        "a_deferred": [";".join(r.deferred) or None for r in results],
        "a_hepatitis_b": [r.hepatitis_b for r in results],
    }, schema={"key": pl.String, "a_health": pl.Boolean, "a_hiv": pl.Boolean, "a_conditions": pl.String,
               "a_firm": pl.String, "a_deferred": pl.String, "a_hepatitis_b": pl.Boolean})
    joined = frame.join(lookup, on="key", how="left", maintain_order="left")
    return joined.select(
        health=pl.when(pl.col("text").is_null()).then(None)
        .when(pl.col("special")).then(pl.col("a_health")).otherwise(pl.col("plain_health")),
        hiv=pl.when(pl.col("text").is_null()).then(None).otherwise(pl.col("a_hiv").fill_null(False)),
        conditions=pl.col("a_conditions"),
        firm=pl.col("a_firm"), deferred=pl.col("a_deferred"), hepatitis_b=pl.col("a_hepatitis_b").fill_null(False),
    )


def header_context(header: str) -> str | None:
    """The header, when it names what its cells are about (``Statut VIH``, ``PrEP``, ``Sérologie VHC``).

    Such a column holds bare answers (``positif``, ``oui``, ``négatif``) that mean nothing without it.
    """
    if not header:
        return None
    spaced = " " + regex.sub(r"[^a-z0-9]+", " ", fold(header)) + " "
    return header if any(word in spaced for word in _spaced("special")) else None


#: Headers of a column holding the result of the analysis named in the column before it ("libellé" | "résultat").
_RESULT_HEADER = regex.compile(r"^(?:resultats?|results?|valeurs?|conclusion|interpretation|res|rslt)\b")
#: Between the texts of one record: a sentence break, so that a subject cue of one cell does not reach the next.
RECORD_SEPARATOR = " | "


def record_units(columns: list[tuple[str, pl.Series]]) -> list[pl.Series]:
    """The free-text cells of each record as the units read one by one: a cell under a header naming a condition is
    read as ``<header> : <cell>``; a result column (``résultat``, ``valeur``) is joined to the column before it with
    `` : `` (``β-HCG plasmatiques : positif``)."""
    units: list[pl.Series] = []
    for header, values in columns:
        text = values.cast(pl.String)
        context = header_context(header)
        if context:                 # "Statut VIH" over "positif": the header says what the cell is about
            text = context + " : " + text
        if units and _RESULT_HEADER.match(fold(header or "").strip()):
            units[-1] = pl.select(pl.concat_str([pl.lit(units[-1]), pl.lit(text)], separator=" : ",
                                                ignore_nulls=True).replace("", None)).to_series()
        else:
            units.append(text)
    return units


def record_texts(columns: list[tuple[str, pl.Series]]) -> pl.Series:
    """The free texts of each record as one text (units joined with ``RECORD_SEPARATOR``), for ``explain`` and
    tests: ``analyse_text`` of it gives what ``analyse_records`` gives the record."""
    units = record_units(columns)
    if not units:
        return pl.Series([], dtype=pl.String)
    frame = pl.DataFrame({f"u{i}": u for i, u in enumerate(units)})
    return frame.select(pl.concat_str(pl.all(), separator=RECORD_SEPARATOR, ignore_nulls=True)
                        .replace("", None))[:, 0]


def analyse_records(columns: list[tuple[str, pl.Series]], n: int) -> pl.DataFrame:
    """``health``/``hiv``/``conditions`` per record from its free-text columns (``(header, cells)`` pairs).

    Each unit (``record_units``) is analysed once per distinct text; the record's conditions are the union of its
    units' affirmed findings about the patient, and an ambiguous mention one unit could not decide alone (tenofovir
    with no indication in its cell) is decided by the record's other units (``resolve_deferred``). A filled health
    cell is health data.
    """
    empty = pl.DataFrame({"health": [False] * n, "hiv": [False] * n, "conditions": [None] * n},
                         schema={"health": pl.Boolean, "hiv": pl.Boolean, "conditions": pl.String})
    units = [analyse_column(u, plain_health=False) for u in record_units(columns)]
    if not units:
        return empty
    health = pl.select(pl.any_horizontal([pl.lit(u["health"].fill_null(False)) for u in units])).to_series()

    def joined(name: str) -> pl.Series:
        return pl.select(pl.concat_str([pl.lit(u[name]) for u in units], separator=";", ignore_nulls=True)
                         .replace("", None)).to_series()

    conditions, deferred = joined("conditions"), joined("deferred")
    hepatitis_b = pl.select(pl.any_horizontal([pl.lit(u["hepatitis_b"]) for u in units])).to_series()
    firm = joined("firm")
    out = conditions.to_list()
    redo = ((conditions.str.contains(";") & (len(units) > 1)) | deferred.is_not_null()).fill_null(False)
    for i in redo.arg_true().to_list():
        decided = set((firm[i] or "").split(";")) - {""}
        extra = {resolve_deferred(k, decided, hepatitis_b[i]) for k in (deferred[i] or "").split(";") if k}
        out[i] = ";".join(sorted(decided | extra - {None})) or None
    cond = pl.Series(out, dtype=pl.String)
    return pl.DataFrame({"health": health, "hiv": cond.str.contains("hiv").fill_null(False), "conditions": cond})
