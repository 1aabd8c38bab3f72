"""Vectorised layout variations: how one true value gets written in a given file.

Every function takes polars expressions (or numpy draws) for whole columns; none
loops over cells except ``typos``, which touches only the few rows it damages.
"""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = [
    "ACCENTS", "strip_accents", "choose", "phone_layout", "nir_layout", "date_layout", "typos", "blank",
    "to_latin1_safe", "mojibake", "ocr_errors",
]

ACCENTS = {
    "à": "a", "â": "a", "ä": "a", "á": "a", "ç": "c", "é": "e", "è": "e", "ê": "e", "ë": "e", "î": "i", "ï": "i",
    "í": "i", "ô": "o", "ö": "o", "ó": "o", "ù": "u", "û": "u", "ü": "u", "ú": "u", "ÿ": "y", "ñ": "n",
    "À": "A", "Â": "A", "Ä": "A", "Ç": "C", "É": "E", "È": "E", "Ê": "E", "Ë": "E", "Î": "I", "Ï": "I", "Ô": "O",
    "Ö": "O", "Ù": "U", "Û": "U", "Ü": "U", "Ÿ": "Y", "Ñ": "N", "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE",
    "’": "'",
}


def strip_accents(expr: pl.Expr) -> pl.Expr:
    """Drop diacritics (``Lefèvre`` → ``Lefevre``, ``Lecœur`` → ``Lecoeur``)."""
    return expr.str.replace_many(list(ACCENTS), list(ACCENTS.values()))


def to_latin1_safe(expr: pl.Expr) -> pl.Expr:
    """Replace the few cp1252/Unicode characters latin-1 cannot hold (œ, €, ’, µ kept)."""
    table = {"œ": "oe", "Œ": "OE", "€": "EUR", "’": "'", "β": "beta", "—": "-"}
    return expr.str.replace_many(list(table), list(table.values()))


def choose(u: np.ndarray | pl.Expr, options: list[tuple[float, pl.Expr]]) -> pl.Expr:
    """Pick one expression per row: ``options`` are (probability, expr); the last takes the rest."""
    draw = pl.lit(pl.Series(u)) if isinstance(u, np.ndarray) else u
    cum = 0.0
    chain = None
    for p, expr in options[:-1]:
        cum += p
        chain = (pl.when(draw < cum) if chain is None else chain.when(draw < cum)).then(expr)
    last = options[-1][1]
    return last if chain is None else chain.otherwise(last)


def blank(expr: pl.Expr, u: np.ndarray, p: float) -> pl.Expr:
    """Null the value on a share ``p`` of rows (a missing cell)."""
    return pl.when(pl.lit(pl.Series(u)) < p).then(pl.lit(None, dtype=pl.String)).otherwise(expr)


def _slices(expr: pl.Expr, cuts: list[tuple[int, int]], sep: str) -> pl.Expr:
    return pl.concat_str([expr.str.slice(a, b) for a, b in cuts], separator=sep)


_PAIRS = [(0, 2), (2, 2), (4, 2), (6, 2), (8, 2)]


def phone_layout(national: pl.Expr, layout: str) -> pl.Expr:
    """Write a 10-digit French number (``0612345678``) in one of the layouts leaks show."""
    rest = national.str.slice(1)
    if layout == "spaced":         # 06 12 34 56 78
        return _slices(national, _PAIRS, " ")
    if layout == "dotted":         # 06.12.34.56.78
        return _slices(national, _PAIRS, ".")
    if layout == "compact":        # 0612345678
        return national
    if layout == "intl_spaced":    # +33 6 12 34 56 78
        return pl.concat_str([pl.lit("+33 "), _slices(rest, [(0, 1), (1, 2), (3, 2), (5, 2), (7, 2)], " ")])
    if layout == "intl":           # +33612345678
        return pl.concat_str([pl.lit("+33"), rest])
    if layout == "intl_nozero":    # 33612345678
        return pl.concat_str([pl.lit("33"), rest])
    raise ValueError(layout)


def nir_layout(nir: pl.Expr, layout: str) -> pl.Expr:
    """Write a 15-character NIR compact, spaced (``1 85 05 35 238 123 45``), or its parts."""
    if layout == "compact":
        return nir
    if layout == "spaced":
        return _slices(nir, [(0, 1), (1, 2), (3, 2), (5, 2), (7, 3), (10, 3), (13, 2)], " ")
    if layout == "body":
        return nir.str.slice(0, 13)
    if layout == "key":
        return nir.str.slice(13, 2)
    raise ValueError(layout)


def date_layout(date: pl.Expr, layout: str) -> pl.Expr:
    """Write a date as ``dd/mm/yyyy``, ``yyyy-mm-dd``, ``dd-mm-yy`` or ``yyyymmdd``."""
    formats = {"fr": "%d/%m/%Y", "iso": "%Y-%m-%d", "fr_short": "%d-%m-%y", "compact": "%Y%m%d"}
    return date.dt.strftime(formats[layout])


def _typo(word: str, r: int) -> str:
    if len(word) < 4:
        return word
    i = 1 + r % (len(word) - 2)
    kind = r % 3
    if kind == 0:      # swap two neighbours
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:      # drop one letter
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]  # double one letter


def typos(series: pl.Series, rows: np.ndarray, draws: np.ndarray) -> pl.Series:
    """Return ``series`` with one typing error in each of ``rows`` (a small subset)."""
    if len(rows) == 0:
        return series
    old = series.gather(rows).to_list()
    new = [None if w is None else _typo(w, int(r)) for w, r in zip(old, draws)]
    return series.scatter(rows, pl.Series(new, dtype=pl.String))


def _mojibake(word: str) -> str:
    try:
        broken = word.encode("utf-8").decode("cp1252")
        broken.encode("latin-1")          # every file's encoding can hold it
        return broken
    except (UnicodeDecodeError, UnicodeEncodeError):
        return word


def mojibake(series: pl.Series, rows: np.ndarray) -> pl.Series:
    """UTF-8 read as cp1252 on ``rows`` (``Lefèvre`` -> ``LefÃ¨vre``)."""
    if len(rows) == 0:
        return series
    old = series.gather(rows).to_list()
    return series.scatter(rows, pl.Series([None if w is None else _mojibake(w) for w in old], dtype=pl.String))


_OCR = (("m", "rn"), ("rn", "m"), ("e", "c"), ("l", "I"), ("h", "li"), ("u", "ii"), ("o", "0"), ("é", "e"))


def _ocr(word: str, r: int) -> str:
    found = [(a, b) for a, b in _OCR if a in word[1:]]
    if not found:
        return word
    a, b = found[r % len(found)]
    i = word.index(a, 1)
    return word[:i] + b + word[i + len(a):]


def ocr_errors(series: pl.Series, rows: np.ndarray, draws: np.ndarray) -> pl.Series:
    """One OCR-like confusion (``m``/``rn``, ``l``/``I``, ``e``/``c``…) in each of ``rows``."""
    if len(rows) == 0:
        return series
    old = series.gather(rows).to_list()
    return series.scatter(rows, pl.Series([None if w is None else _ocr(w, int(r)) for w, r in zip(old, draws)],
                                          dtype=pl.String))
