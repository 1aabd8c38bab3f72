"""Identifiers typed into free text (a NIR, a phone number, an email in a comment), counted as exposed.

The same detectors as columns find them: ``find_in_text`` runs each detector's
free-text patterns and validator (NIR key, phone numbering plan, email rules);
the value is then normalised by ``fuite.ids`` (the only normaliser), so that a
typed ``06 12 34 56 78`` and a phone column meet in one form.

Only the cells that can hold one go through Python: a vectorised prefilter keeps
cells with an ``@`` or a run of nine digits or more. An identifier in a
sentence about someone else (``joindre sa fille au 06…``) is not the patient's
and is not counted for the record (``fuite.detect.context``).

>>> typed_identifiers("Patient joignable au 06 12 34 56 78")
{'phone': '+33612345678'}
>>> typed_identifiers("prévenir sa fille au 06 12 34 56 78")
{}
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl
import regex

from fuite import taxonomy
from fuite.detect.context import TextContext, timeout_for
from fuite.detect.folding import fold
from fuite.ids import SEPARATORS_RE

__all__ = ["TEXT_IDENTIFIERS", "typed_identifiers", "typed_categories", "with_typed_categories"]

#: Categories of the patient's own identifiers looked for in free text.
TEXT_IDENTIFIERS = ("nir", "phone", "email")
_DIGITS = rf"\d(?:{SEPARATORS_RE}?[\dABab]){{8,}}"   # nine digits or more (a Corsican NIR holds 2A or 2B)
_PREFILTER = "@|" + _DIGITS
_HAS_DIGITS = regex.compile(_DIGITS)


@lru_cache(maxsize=4)
def _detectors(email: bool, digits: bool) -> list:
    """The text detectors worth running on a text with an ``@`` and/or a run of digits."""
    from fuite.detect.detectors import default_detectors

    wanted = {"email"} if email else set()
    wanted |= {"nir", "phone"} if digits else set()
    return [d for d in default_detectors() if d.category in wanted and d.text_patterns]


def _normalise(category: str, value: str) -> str | None:
    from fuite.ids import email_address, nir, phone

    module = {"nir": nir, "phone": phone, "email": email_address}[category]
    try:
        return module.validate(value)
    except ValueError:
        return None


@lru_cache(maxsize=65_536)
def _typed(text: str) -> tuple[tuple[str, int, int], ...]:
    """(category, start, end) of the patient's own identifiers in one text, validated, first of each category."""
    from fuite.detect.detectors import find_in_text

    detectors = _detectors("@" in text, bool(_HAS_DIGITS.search(text, timeout=timeout_for(text))))
    if not detectors:
        return ()
    folded = fold(text)
    context = TextContext(folded) if len(folded) == len(text) else None
    found: dict[str, tuple[str, int, int]] = {}
    for match in find_in_text(text, detectors, timeout=timeout_for(text)):
        if match.score < 1.0 or match.category in found:
            continue
        if context is not None and context.subject(match.start, match.end)[0] != "patient":
            continue
        found[match.category] = (match.category, match.start, match.end)
    return tuple(sorted(found.values()))


def typed_identifiers(text: str | None) -> dict[str, str]:
    """The patient's identifiers typed in one text, normalised by ``fuite.ids``, by category."""
    out = {}
    for category, start, end in _typed(text) if text else ():
        value = _normalise(category, text[start:end])
        if value:
            out[category] = value
    return out


def typed_categories(texts: pl.Series) -> pl.Series:
    """Per cell, the ``;``-joined categories of the identifiers typed in it (null when none)."""
    text = texts.cast(pl.String)
    maybe = text.str.contains(_PREFILTER).fill_null(False)
    if not maybe.any():
        return pl.Series([None] * text.len(), dtype=pl.String)
    distinct = text.filter(maybe).unique()
    found = {t: ";".join(c for c, _, _ in _typed(t)) or None for t in distinct.to_list()}
    lookup = pl.DataFrame({"text": distinct, "typed": [found[t] for t in distinct.to_list()]},
                          schema={"text": pl.String, "typed": pl.String})
    return pl.DataFrame({"text": text}).join(lookup, on="text", how="left", maintain_order="left")["typed"]


def with_typed_categories(categories: pl.Series, texts: list[pl.Series]) -> pl.Series:
    """A record's ``categories`` with the identifiers typed into its free-text cells added, in taxonomy order."""
    typed = [typed_categories(t) for t in texts]
    typed = [t for t in typed if t.null_count() < t.len()]
    if not typed:
        return categories
    parts = pl.DataFrame({"c": categories.cast(pl.String), **{f"t{i}": t for i, t in enumerate(typed)}})
    extra = parts.select(pl.concat_str(pl.all().exclude("c"), separator=";", ignore_nulls=True).alias("t"))["t"]
    order = {c: i for i, c in enumerate(taxonomy.CATEGORY_IDS)}
    out = categories.cast(pl.String).to_list()
    for i in (extra.str.len_chars() > 0).fill_null(False).arg_true().to_list():
        merged = {*(out[i] or "").split(";"), *extra[i].split(";")} - {""}
        out[i] = ";".join(sorted(merged, key=order.get))
    return pl.Series(out, dtype=pl.String)
