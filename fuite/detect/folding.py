"""Accent folding and lower-casing, the one normal form every lexicon and header is matched in.

>>> fold("Sérologie VIH négative, Œdème")
'serologie vih negative, oedeme'
>>> fold_header("N° S.S.")
'n ss'
"""

import re
import unicodedata

import polars as pl

__all__ = ["fold", "fold_header", "fold_column"]

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "’": "'", "ʼ": "'"})
_HEADER_SEPARATORS = re.compile(r"[^a-z0-9]+")
_ACCENTED = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿ"
_PLAIN = "aaaaaaceeeeiiiinooooouuuuyy"
_SOURCES = ["œ", "æ", "ß", "’", *_ACCENTED]
_FAST = str.maketrans({**{a: b for a, b in zip(_ACCENTED, _PLAIN)}, "œ": "oe", "æ": "ae", "ß": "ss", "’": "'"})
_TARGETS = ["oe", "ae", "ss", "'", *_PLAIN]


def fold(text: str) -> str:
    """Lower-case, ligatures expanded, accents removed."""
    text = text.lower().translate(_FAST)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold_header(header: str) -> str:
    """A header as space-separated ASCII words: ``"N° S.S."`` -> ``"n ss"``, ``"TEL1"`` -> ``"tel1"``."""
    words = _HEADER_SEPARATORS.split(fold(header).replace("°", " ").replace(".", ""))
    return " ".join(w for w in words if w)


def fold_column(values: pl.Series) -> pl.Series:
    """Vectorised ``fold`` for the common Latin-1 letters (what French data holds)."""
    return values.cast(pl.String).str.to_lowercase().str.replace_many(_SOURCES, _TARGETS)
