"""Header evidence: how strongly a column header names a category.

Headers are folded to ASCII words; digits glued to a word are dropped
(``TEL1`` -> ``tel``), runs of single letters are joined (``N° S.S.`` ->
``nss``), JSON paths are read word by word (``coordonnees.tel[]``).

>>> header_words("N° S.S.")
('nss',)
>>> header_words("coordonnees.tel[]")
('coordonnees', 'tel')
>>> phrase_score(("date", "de", "naissance"), header_words("Date de naissance du patient"))
0.6
"""

from __future__ import annotations

import re

from fuite.detect.folding import fold

__all__ = ["header_words", "phrase_score", "is_meaningless"]

_SPLIT = re.compile(r"[^a-z0-9]+")
_FILLER = {"du", "de", "la", "le", "des", "d", "l", "the", "of", "en", "et", "and", "a"}


def header_words(header: str) -> tuple[str, ...]:
    """The header as folded words, glued digits dropped and single letters joined."""
    words = [w for w in _SPLIT.split(fold(header or "").replace("°", " ")) if w]
    words = [re.sub(r"(?<=[a-z])\d+$", "", w) for w in words]
    joined: list[str] = []
    single_run = False
    for word in words:
        if len(word) == 1 and word.isalpha() and single_run:
            joined[-1] += word
        else:
            joined.append(word)
            single_run = len(word) == 1 and word.isalpha()
    return tuple(w for w in joined if w)


def phrase_score(phrase: tuple[str, ...], words: tuple[str, ...]) -> float:
    """1.0 when the header is the phrase, else the share of the header's content words the phrase covers."""
    if not phrase or not words:
        return 0.0
    if words == phrase:
        return 1.0
    content = [w for w in words if w not in _FILLER]
    if tuple(content) == tuple(w for w in phrase if w not in _FILLER):
        return 1.0
    n = len(phrase)
    for i in range(len(words) - n + 1):
        if words[i:i + n] == phrase:
            covered = len([w for w in phrase if w not in _FILLER])
            return round(0.9 * covered / max(len(content), 1), 3)
    return 0.0


def is_meaningless(header: str) -> bool:
    """True for ``col1``, ``#3``, ``field_2``, ``Unnamed: 4``, ``A``... headers that say nothing."""
    words = header_words(header)
    folded = fold(header or "").strip()
    return (not words or bool(re.fullmatch(r"(col|column|colonne|champ|field|unnamed|var|v|c|f|x)?\s*[_#:-]?\s*\d*",
                                           folded)))
