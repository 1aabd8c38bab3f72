"""Who a mention in free text is about, and whether it is asserted: the *subject* and *status* of a finding.

The same shape as edsnlp's qualifier pipes (``eds.family``, ``eds.negation``,
``eds.hypothesis``), and their French trigger lists, read from the installed
edsnlp package's ``patterns.py`` files without importing edsnlp (its import
costs seconds and rewires spaCy's registry). fuite adds what those pipes do not
cover in lab comments: partners, the source patient of a blood exposure, tests
and treatments proposed, requested or refused.

- **subject**: ``patient`` (the default), ``relative`` (``père VIH+``), ``partner``
  (``conjointe séropositive``), ``source`` (``AES : patient source VIH+``) or ``other``.
  A cue holds from where it is written to the end of its sentence (``.``, ``;``,
  a new line, `` — ``) or the next cue; ``patient``/``patiente`` brings the subject
  back to the patient. A cue just after the mention (``VIH+ chez le père``) counts too.
- **status**: ``affirmed``, ``negated`` (``pas de``, ``négatif``), ``hypothetical``
  (``suspicion de``, ``?``) or ``proposed`` (proposed, requested, refused, planned).
  Status cues hold inside the mention's clause (cut at commas and brackets).

Only an affirmed finding about the patient is the patient's condition.

>>> subject_at(fold("père VIH+"), 5)
('relative', 'pere')
>>> subject_at(fold("AES : patient source VIH+"), 22)
('source', 'patient source')
>>> subject_at(fold("Conjoint VIH+. Patient : PrEP"), 25)
('patient', 'patient')
>>> status_in(fold("prep proposee"), 0, 4)
'proposed'
"""

from __future__ import annotations

import bisect
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick
import regex

from fuite.detect.folding import fold

__all__ = ["SUBJECTS", "STATUSES", "Qualified", "TextContext", "subject_at", "status_in", "edsnlp_triggers",
           "REGEX_TIMEOUT", "timeout_for"]

SUBJECTS = ("patient", "relative", "partner", "source", "other")
STATUSES = ("affirmed", "negated", "hypothetical", "proposed")
#: Seconds any regex may spend on one leaked text before the text is skipped.
REGEX_TIMEOUT = 0.05
#: Texts up to this length run their (linear) regexes without a timeout: arming the ``regex`` module's timer costs
#: about 50 times the match itself on a lab comment, and a short text cannot make a linear pattern slow.
SHORT_TEXT = 4096


def timeout_for(text: str) -> float | None:
    """The regex timeout for one text: none for a short text, ``REGEX_TIMEOUT`` for a long one."""
    return None if len(text) <= SHORT_TEXT else REGEX_TIMEOUT


@dataclass(frozen=True)
class Qualified:
    """The subject and status of one mention, with the cues that decided them (for ``fuite explain``)."""

    subject: str = "patient"
    status: str = "affirmed"
    subject_cue: str = ""

    @property
    def counts_for_patient(self) -> bool:
        return self.subject == "patient" and self.status == "affirmed"


def _edsnlp_patterns(pipe: str) -> dict[str, list[str]]:
    """The trigger lists of one edsnlp qualifier (``family``, ``negation``, ``hypothesis``), folded."""
    spec = importlib.util.find_spec("edsnlp")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "pipes" / "qualifiers" / pipe / "patterns.py"
    if not path.is_file():
        return {}
    module_spec = importlib.util.spec_from_file_location(f"_fuite_edsnlp_{pipe}_patterns", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return {name: [fold(w) for w in value] for name, value in vars(module).items()
            if isinstance(value, list) and not name.startswith("_") and all(isinstance(w, str) for w in value)}


@lru_cache(maxsize=3)
def edsnlp_triggers(pipe: str) -> dict[str, tuple[str, ...]]:
    """edsnlp's trigger lists for one qualifier pipe (empty when edsnlp is absent)."""
    return {k: tuple(v) for k, v in _edsnlp_patterns(pipe).items()}


# ---- subject ------------------------------------------------------------------------------------------------

_PARTNER_WORDS = ("conjoint", "conjointe", "partenaire", "partenaires", "compagnon", "compagne", "epoux", "epouse",
                  "mari", "concubin", "concubine", "fiance", "fiancee", "partenaire sexuel", "partenaire sexuelle",
                  "sa femme", "son ami", "son amie", "son copain", "sa copine", "partner", "husband", "wife",
                  "boyfriend", "girlfriend")
_SOURCE_WORDS = ("patient source", "patiente source", "sujet source", "personne source", "source", "cas index",
                 "patient index", "donneur", "donneuse", "source patient")
_OTHER_WORDS = ("colocataire", "collegue", "voisin", "voisine", "cas contact")
#: Relative words that often name the patient himself ("Enfant de 3 ans"): a relative only after a possessive.
_POSSESSIVE_ONLY = ("enfant", "enfants", "parent", "parents", "famille", "familial", "familiale", "familiales",
                    "familiaux")
_RELATIVE_EXTRA = ("atcd familial", "atcd familiaux", "atcds familiaux", "atcdf", "antecedents familiaux",
                   "antecedent familial", "mere de", "pere de", "frere", "soeur", "bebe", "nouveau-ne", "nourrisson",
                   "father", "mother", "brother", "sister", "family history")
_PATIENT_WORDS = ("patient", "patiente", "le patient", "la patiente", "chez le patient", "chez la patiente",
                  "lui-meme", "elle-meme", "pour lui", "pour elle", "patient lui-meme", "patient(e)", "pt")
_POSSESSIVES = ("son", "sa", "ses", "leur", "leurs", "l'", "la", "le", "les", "des", "du", "de la", "de l'",
                "chez l'", "chez les", "dans la", "his", "her")
_CLAUSE_END = regex.compile(r"[;\n!|)(]|[.,](?!\d)|\s[—–-]\s")
_NEGATION_BEFORE_EXTRA = ("pas de", "pas d'", "absence de", "absence d'", "exclusion de", "exclu", "elimine",
                          "ecarte", "negative pour", "sans", "aucune", "no", "not", "without", "negative for")
_NEGATION_AFTER_EXTRA = ("neg", "non reactif", "non reactive", "exclue", "ecarte", "ecartee", "infirme", "infirmee",
                         "negative", "negatives", "negatifs", "negatif", "non detecte", "non detectee",
                         "not detected", "negative", "absent", "absente")
#: edsnlp's following negations that are too broad in lab comments unless bare (see ``_BARE_NEGATION``).
_NOT_FOLLOWING = {"non", "normal", "normale", ":0", ": 0", ":non", ": non"}
_HYPOTHESIS_BEFORE = ("suspicion de", "suspicion d'", "suspicion", "suspecte", "suspectee", "hypothese de",
                      "hypothese d'", "possible", "probable", "eventuel", "eventuelle", "eventuellement",
                      "en cas de", "en cas d'", "au cas ou", "si", "s'il", "risque de", "risque d'", "peut-etre",
                      "doute sur", "a eliminer", "a exclure", "evoquant", "evocateur de", "evocatrice de",
                      "recherche de", "recherche d'", "suspected", "possible", "probable", "rule out")
_HYPOTHESIS_AFTER = ("?", "possible", "probable", "suspecte", "suspectee", "a eliminer", "a exclure", "a confirmer",
                     "a verifier", "envisageable", "non confirme", "non confirmee", "pas confirme", "pas confirmee",
                     "hypothetique", "suspected")
_PROPOSED_BEFORE = ("proposition de", "proposition d'", "propose", "proposee", "proposer", "refus de", "refus d'",
                    "refuse", "refusee", "refuse la", "refuse le", "a refuse", "demande de", "demande d'",
                    "info", "information sur", "information", "conseil", "discussion", "discussion de",
                    "envisager", "debuter", "debut prevu", "a debuter", "a initier", "initiation a prevoir",
                    "offered", "declined", "refused")
_PROPOSED_AFTER = ("propose", "proposee", "proposes", "proposees", "refuse", "refusee", "refuses", "refusees",
                   "demande", "demandee", "demandes", "demandees", "a faire", "a prevoir", "a programmer",
                   "a debuter", "a discuter", "a initier", "a envisager", "envisage", "envisagee", "discute",
                   "discutee", "conseille", "conseillee", "prevu", "prevue", "non fait", "non faite", "en attente",
                   "offered", "declined", "refused", "requested")


_PSEUDO_EXTRA = ("non a jeun", "non immun", "non immune", "non immunise", "non immunisee", "si besoin", "a jeun",
                 "a la demande", "sur demande")
#: Where a subject cue stops holding: the end of a sentence, a line, an em dash or a pipe between fields.
_SENTENCE_END = regex.compile(r"[;!?\n|]|\.(?!\d)|\s[—–]\s|\s-\s")
#: A cue written just after the mention, inside its clause: "VIH+ chez le père", "hépatite B (mère)".
_AFTER_CUE = regex.compile(r"^[^,;.\n|]{0,30}?(?:\bchez\b|\bde\b|\bdu\b|\bpour\b|\bdans\b|\()\s*"
                           r"(?:(?:son|sa|ses|le|la|l'|les|leur)\s*)?$")
#: Following triggers that mean "no" only when nothing else follows ("VIH : non", "VIH -"): "VIH non traité" is
#: still HIV, "grossesse normale" still a pregnancy.
#: Characters around a mention that its status cues may sit in (a clause is rarely longer).
_REACH = 120
_SAME_CLAUSE = regex.compile(r"^[^,;.\n|]{0,30}$")
_BARE_NEGATION = regex.compile(r"^\s*(?::\s*)?\(?(?:-|non|no|0)\)?\s*$|^\s*\(?-(?![\w+])")
_QUESTION = regex.compile(r"^[^?.;\n|]{0,30}\?")
_WORD = regex.compile(r"[\w'+-]+")


def _subject_words() -> dict[str, str]:
    family = [w for w in edsnlp_triggers("family").get("family", ())
              if w not in _PARTNER_WORDS and w not in _POSSESSIVE_ONLY]
    words = {w: "relative" for w in (*family, *_RELATIVE_EXTRA)}
    words.update({f"{p}{'' if p.endswith(chr(39)) else ' '}{w}": "relative" for p in _POSSESSIVES
                  for w in _POSSESSIVE_ONLY})
    words.update({w: "other" for w in _OTHER_WORDS})
    words.update({w: "patient" for w in _PATIENT_WORDS})
    words.update({w: "partner" for w in _PARTNER_WORDS})
    words.update({w: "source" for w in _SOURCE_WORDS})
    return words


def _status_words() -> list[tuple[str, str, str]]:
    """(folded trigger, status, side) for every status trigger; side is "before" or "after" the mention."""
    negation, hypothesis = edsnlp_triggers("negation"), edsnlp_triggers("hypothesis")
    out = [(w, "negated", "before") for w in (*negation.get("preceding", ()), *_NEGATION_BEFORE_EXTRA)]
    out += [(w, "negated", "after") for w in (*negation.get("following", ()), *_NEGATION_AFTER_EXTRA)
            if w not in _NOT_FOLLOWING]
    out += [(w, "hypothetical", "before") for w in _HYPOTHESIS_BEFORE]
    out += [(w, "hypothetical", "after") for w in _HYPOTHESIS_AFTER if w != "?"]
    out += [(w, "proposed", "before") for w in _PROPOSED_BEFORE]
    out += [(w, "proposed", "after") for w in _PROPOSED_AFTER]
    out += [(w, "pseudo", "") for w in (*negation.get("pseudo", ()), *hypothesis.get("pseudo", ()), *_PSEUDO_EXTRA)]
    return out


@lru_cache(maxsize=1)
def _automaton() -> ahocorasick.Automaton:
    """One automaton over every cue: subjects, status triggers and pseudo-triggers."""
    entries: dict[str, list[tuple[str, str, str]]] = {}
    for word, subject in _subject_words().items():
        entries.setdefault(word, []).append(("subject", subject, ""))
    for word, status, side in _status_words():
        entries.setdefault(word, []).append(("status", status, side))
    automaton = ahocorasick.Automaton()
    for word, values in entries.items():
        automaton.add_word(word, (word, tuple(values)))
    automaton.make_automaton()
    return automaton


def _bounded(folded: str, start: int, end: int) -> bool:
    before = folded[start - 1] if start > 0 else " "
    after = folded[end] if end < len(folded) else " "
    first, last = folded[start], folded[end - 1]
    return (not (first.isalnum() and before.isalnum())) and (not (last.isalnum() and after.isalnum())) \
        and before != "-" and after != "-"


def _words_between(text: str) -> int:
    return len(_WORD.findall(text))


class TextContext:
    """The cues of one folded text, found once; then the subject and status of any mention in it (bisections over
    sorted cue positions, so that a long hostile text stays O(n log n))."""

    def __init__(self, folded: str):
        self.folded = folded
        self.timeout = timeout_for(folded)
        sentence = [(m.start(), m.end()) for m in _SENTENCE_END.finditer(folded, timeout=self.timeout)]
        self.sentence_starts, self.sentence_ends = [c[0] for c in sentence], [c[1] for c in sentence]
        clause = [(m.start(), m.end()) for m in _CLAUSE_END.finditer(folded, timeout=self.timeout)]
        self.clause_starts, self.clause_ends = [c[0] for c in clause], [c[1] for c in clause]
        subjects, triggers, pseudo = [], [], []
        for last, (word, values) in _automaton().iter(folded):
            start = last - len(word) + 1
            if not _bounded(folded, start, last + 1):
                continue
            for kind, value, side in values:
                item = (start, last + 1, value, side, word)
                (subjects if kind == "subject" else pseudo if value == "pseudo" else triggers).append(item)
        self.subjects = _outermost(subjects)
        self.subject_starts = [c[0] for c in self.subjects]
        covered = _outermost(pseudo)
        self.triggers = sorted(t for t in triggers if not _inside(t, covered))
        self.trigger_starts = [t[0] for t in self.triggers]

    def _sentence(self, start: int, end: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.sentence_ends, start)
        begin = self.sentence_ends[i - 1] if i else 0
        j = bisect.bisect_left(self.sentence_starts, end)
        return begin, self.sentence_starts[j] if j < len(self.sentence_starts) else len(self.folded)

    def clause(self, start: int, end: int) -> tuple[int, int]:
        """Start and end of the clause holding ``[start, end)``."""
        i = bisect.bisect_right(self.clause_ends, start)
        j = bisect.bisect_left(self.clause_starts, end)
        return (self.clause_ends[i - 1] if i else 0,
                self.clause_starts[j] if j < len(self.clause_starts) else len(self.folded))

    def _cues(self, begin: int, stop: int) -> list[tuple]:
        lo, hi = bisect.bisect_left(self.subject_starts, begin), bisect.bisect_left(self.subject_starts, stop)
        return [c for c in self.subjects[lo:hi] if c[1] <= stop]

    def subject(self, start: int, end: int) -> tuple[str, str]:
        """(subject, cue): the last cue before the mention in its sentence, else one just after it, else the
        patient."""
        begin, stop = self._sentence(start, end)
        before = self._cues(begin, start)
        if before:
            return before[-1][2], before[-1][4]
        after = self._cues(end, stop)
        if after and after[0][2] != "patient":
            between, word = self.folded[end:after[0][0]], after[0][4]
            linked = word.startswith(("chez ", "dans ", "de ", "du ")) and _SAME_CLAUSE.match(between)
            if linked or _AFTER_CUE.search(between, timeout=self.timeout):
                return after[0][2], word
        return "patient", ""

    def status(self, start: int, end: int, span: tuple[int, int] | None = None) -> str:
        """proposed, negated, hypothetical or affirmed, from the triggers inside the mention's clause; ``span``
        is the mention's enumeration ("VIH, VHB, VHC négatives"), which shares its clause."""
        first, last = span or (start, end)
        begin, stop = self.clause(first, last)
        begin, stop = max(begin, first - _REACH), min(stop, last + _REACH)
        lo, hi = bisect.bisect_left(self.trigger_starts, begin), bisect.bisect_left(self.trigger_starts, stop)
        found = set()
        for t_start, t_end, status, side, _ in self.triggers[lo:hi]:
            if side == "before" and t_end <= first and _words_between(self.folded[t_end:first]) <= 2:
                found.add(status)
            elif side == "after" and last <= t_start and t_end <= stop \
                    and _words_between(self.folded[last:t_start]) <= 3:
                found.add(status)
        after = self.folded[last:stop]
        if _BARE_NEGATION.search(after, timeout=self.timeout):
            found.add("negated")
        if _QUESTION.match(self.folded[last:last + 32]):      # "VIH ?", "hépatite B ? à contrôler"
            found.add("hypothetical")
        for status in ("proposed", "negated", "hypothetical"):
            if status in found:
                return status
        return "affirmed"

    def clause_text(self, start: int, end: int) -> tuple[str, str]:
        begin, stop = self.clause(start, end)
        return self.folded[begin:start][-60:], self.folded[end:stop][:60]

    def qualify(self, start: int, end: int, span: tuple[int, int] | None = None) -> Qualified:
        subject, cue = self.subject(start, end)
        return Qualified(subject, self.status(start, end, span), cue)


def _inside(item: tuple, covering: list[tuple]) -> bool:
    """Whether ``item`` lies inside one of the sorted, non-overlapping ``covering`` spans."""
    i = bisect.bisect_right(covering, (item[0], float("inf"))) - 1
    return i >= 0 and covering[i][0] <= item[0] and item[1] <= covering[i][1]


def _outermost(items: list[tuple]) -> list[tuple]:
    """Cues not inside a longer cue ("patient source" over "patient" and "source"), in text order."""
    items.sort(key=lambda c: (c[0], -(c[1] - c[0])))
    kept, reach = [], -1
    for item in items:
        if item[1] > reach:
            if kept and item[0] < reach:
                continue
            kept.append(item)
            reach = item[1]
    return kept


def subject_at(folded: str, start: int, end: int | None = None) -> tuple[str, str]:
    """(subject, cue) of the mention at ``folded[start:end]``."""
    return TextContext(folded).subject(start, start if end is None else end)


def status_in(folded: str, start: int, end: int) -> str:
    """Status of the mention at ``folded[start:end]``: proposed, negated, hypothetical or affirmed."""
    return TextContext(folded).status(start, end)
