"""Splitting a full-name cell into last and first name, over a whole column.

Case decides first (``DUPONT Jean``, ``Jean DUPONT``, ``LE GOFF Marie-Anne``),
then a comma (``Dupont, Jean``), then the first-name lexicon for cells written
in one case (``jean dupont``); cells still undecided follow the column's
majority order, "NOM Prénom" when there is none (the French administrative
habit). Civility prefixes (M., Mme, Dr…) are dropped.

>>> import polars as pl
>>> split_full_names(pl.Series(['DUPONT Jean', 'Marie LE GOFF', 'Martin, Paul', 'durand sophie'])).rows()
[('DUPONT', 'Jean'), ('LE GOFF', 'Marie'), ('Martin', 'Paul'), ('durand', 'sophie')]
"""

from __future__ import annotations

import polars as pl

from fuite.detect import lexicons
from fuite.detect.folding import fold_column

__all__ = ["split_full_names"]

_UPPER_WORDS = r"\p{Lu}[\p{Lu}'’\-]*(?:\s+\p{Lu}[\p{Lu}'’\-]*)*"
_TITLE_WORDS = r"\p{Lu}\p{Ll}[\p{L}'’\-]*(?:[\s\-]+\p{Lu}\p{Ll}[\p{L}'’\-]*)*"
_CIVILITY = r"^(?i:m\.|mr\.?|mme\.?|mlle\.?|monsieur|madame|mademoiselle|dr\.?|docteur|pr\.?)\s+"


def split_full_names(values: pl.Series) -> pl.DataFrame:
    """``last_name``/``first_name`` columns for a Series of full-name cells."""
    frame = pl.DataFrame({"v": values.cast(pl.String).str.strip_chars().str.replace(_CIVILITY, "")})
    v = pl.col("v")
    names = lexicons.first_names_series()
    upper_first = v.str.extract_groups(rf"^({_UPPER_WORDS})\s+({_TITLE_WORDS})$")
    title_first = v.str.extract_groups(rf"^({_TITLE_WORDS})\s+({_UPPER_WORDS})$")
    comma = v.str.extract_groups(r"^([^,]+?)\s*,\s*(.+)$")
    head = v.str.extract(r"^(\S+)\s+", 1)
    head_rest = v.str.extract(r"^\S+\s+(.+)$", 1)
    tail = v.str.extract(r"\s(\S+)$", 1)
    tail_rest = v.str.extract(r"^(.+)\s\S+$", 1)

    def known(expr: pl.Expr) -> pl.Expr:
        return fold_column_expr(expr).str.split("-").list.first().is_in(names.implode())

    frame = frame.with_columns(
        last_upper=upper_first.struct.field("1"), first_upper=upper_first.struct.field("2"),
        first_title=title_first.struct.field("1"), last_title=title_first.struct.field("2"),
        last_comma=comma.struct.field("1"), first_comma=comma.struct.field("2"),
        head=head, head_rest=head_rest, tail=tail, tail_rest=tail_rest,
    ).with_columns(
        head_known=known(pl.col("head")), tail_known=known(pl.col("tail")),
    )
    orientation = frame.select(
        (pl.col("last_upper").is_not_null() | (pl.col("tail_known") & ~pl.col("head_known"))).sum().alias("nom_first"),
        (pl.col("first_title").is_not_null() | (pl.col("head_known") & ~pl.col("tail_known"))).sum()
        .alias("prenom_first"),
    ).row(0)
    prenom_first_default = orientation[1] > orientation[0]
    lexicon_prenom_first = pl.col("head_known") & ~pl.col("tail_known")
    lexicon_nom_first = pl.col("tail_known") & ~pl.col("head_known")
    last = (pl.when(pl.col("last_upper").is_not_null()).then(pl.col("last_upper"))
            .when(pl.col("last_title").is_not_null()).then(pl.col("last_title"))
            .when(pl.col("last_comma").is_not_null()).then(pl.col("last_comma"))
            .when(lexicon_prenom_first).then(pl.col("head_rest"))
            .when(lexicon_nom_first).then(pl.col("tail_rest"))
            .when(pl.col("head").is_null()).then(pl.col("v"))
            .otherwise(pl.col("head_rest") if prenom_first_default else pl.col("tail_rest")))
    first = (pl.when(pl.col("last_upper").is_not_null()).then(pl.col("first_upper"))
             .when(pl.col("last_title").is_not_null()).then(pl.col("first_title"))
             .when(pl.col("last_comma").is_not_null()).then(pl.col("first_comma"))
             .when(lexicon_prenom_first).then(pl.col("head"))
             .when(lexicon_nom_first).then(pl.col("tail"))
             .when(pl.col("head").is_null()).then(pl.lit(None, pl.String))
             .otherwise(pl.col("head") if prenom_first_default else pl.col("tail")))
    return frame.select(last.str.strip_chars().alias("last_name"), first.str.strip_chars().alias("first_name"))


def fold_column_expr(expr: pl.Expr) -> pl.Expr:
    """``fold_column`` as an expression."""
    return expr.map_batches(fold_column, return_dtype=pl.String)
