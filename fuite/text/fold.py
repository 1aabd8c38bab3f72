"""Accent folding: the one normal form of text, for lexicons, headers and names alike; scalar and column forms.

``fold``: compatibility decomposition (NFKD), combining marks dropped,
lower-cased, the letters Unicode leaves whole expanded (``œ`` -> ``oe``,
``æ`` -> ``ae``, ``ß`` -> ``ss``, ``ø`` -> ``o``, ``đ`` -> ``d``, ``ł`` -> ``l``)
and typographic apostrophes made plain. Punctuation is kept.
``fold_header``: a header as space-separated ASCII words.
``name_key``: a name as linkage compares it: folded, upper-cased, letters and
digits only (any script), single-spaced; None when nothing is left.

Each has a column form over a polars Series, equal to the scalar form cell by
cell (tested with hypothesis); French text (ASCII and Latin-1 letters) takes a
fast path that gives the same result.

>>> fold("Sérologie VIH négative, Œdème")
'serologie vih negative, oedeme'
>>> fold_header("N° S.S.")
'n ss'
>>> name_key("  Lefèvre-Dupont "), name_key("Lecœur"), name_key("---")
('LEFEVRE DUPONT', 'LECOEUR', None)
>>> import polars as pl
>>> fold_column(pl.Series(["Ørsted", "ÉLODIE", None])).to_list()
['orsted', 'elodie', None]
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl
import regex

__all__ = ["fold", "fold_column", "fold_expr", "fold_header", "name_key", "name_key_column", "name_key_expr"]

_ACCENTED = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿ"
_PLAIN = "aaaaaaceeeeiiiinooooouuuuyy"
#: Letters NFKD leaves whole, and typographic apostrophes (applied after lower-casing).
_WHOLE = {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l", "’": "'", "ʼ": "'"}
_FAST_SOURCES = [*_WHOLE, *_ACCENTED]
_FAST_TARGETS = [*_WHOLE.values(), *_PLAIN]
_FAST = str.maketrans({**dict(zip(_ACCENTED, _PLAIN)), **_WHOLE})
_LETTERS = str.maketrans(_WHOLE)
_MARKS = regex.compile(r"\p{Mn}+")
_NOT_WORD = regex.compile(r"[^\p{L}\p{N}]+")
_HEADER_SEPARATORS = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, accents removed, whole letters expanded (see the module docstring)."""
    text = text.lower().translate(_FAST)
    if text.isascii():
        return text
    text = _MARKS.sub("", unicodedata.normalize("NFKD", text))
    return text.lower().translate(_LETTERS)



def fold_column(values: pl.Series) -> pl.Series:
    """Vectorised ``fold``; nulls stay null."""
    fast = values.cast(pl.String).str.to_lowercase().str.replace_many(_FAST_SOURCES, _FAST_TARGETS)
    rest = fast.str.contains(r"[^\x00-\x7F]").fill_null(False)
    if not rest.any():
        return fast
    positions = rest.arg_true()   # the rare cells the fast pass leaves outside ASCII: the scalar form, exactly
    exact = [fold(v) for v in values.cast(pl.String).gather(positions).to_list()]
    return fast.scatter(positions, pl.Series(exact, dtype=pl.String))


def fold_expr(expr: pl.Expr) -> pl.Expr:
    """``fold_column`` as a polars expression."""
    return expr.map_batches(fold_column, return_dtype=pl.String)


def fold_header(header: str) -> str:
    """A header as space-separated ASCII words: ``"N° S.S."`` -> ``"n ss"``, ``"TEL1"`` -> ``"tel1"``."""
    words = _HEADER_SEPARATORS.split(fold(header).replace("°", " ").replace(".", ""))
    return " ".join(w for w in words if w)


def name_key(text: str | None) -> str | None:
    """``fold``, upper-cased, letters and digits only, single-spaced; None when empty."""
    key = _NOT_WORD.sub(" ", fold(text or "").upper()).strip()
    return key or None


def name_key_column(values: pl.Series) -> pl.Series:
    """Vectorised ``name_key``. Cells still outside ASCII after the fold go through the scalar form: polars'
    Unicode tables are newer than Python's (it upper-cases ``ƛ``, Python does not), and both forms must agree."""
    values = values.cast(pl.String)
    folded = fold_column(values)
    key = folded.str.to_uppercase().str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars(" ")
    odd = folded.str.contains(r"[^\x00-\x7F]").fill_null(False)
    if odd.any():
        positions = odd.arg_true()
        exact = [name_key(v) or "" for v in values.gather(positions).to_list()]
        key = key.scatter(positions, pl.Series(exact, dtype=pl.String))
    return key.replace("", None)


def name_key_expr(expr: pl.Expr) -> pl.Expr:
    """``name_key_column`` as a polars expression."""
    return expr.map_batches(name_key_column, return_dtype=pl.String)
