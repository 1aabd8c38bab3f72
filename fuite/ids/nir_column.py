"""NIR validation over a whole column at once (polars), equal to ``fuite.ids.nir.is_valid`` cell by cell.

``compact_column`` applies stdnum's compaction (drop spaces and dots, trim,
upper-case); ``is_valid_column`` checks the layout and the key with integer
arithmetic on the 13-digit body (``2A`` -> 19, ``2B`` -> 18). Nulls give False.

>>> import polars as pl
>>> is_valid_column(pl.Series(['1 85 05 78 006 084 91', '185057800608492', None, '253072B07300470'])).to_list()
[True, False, False, True]
>>> split_valid_column(pl.Series(['1850578006084']), pl.Series(['91'])).to_list()
[True]
"""

import polars as pl

__all__ = ["compact_column", "is_valid_column", "split_valid_column", "join_split_column"]

_LAYOUT = r"^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$"


def compact_column(values: pl.Series) -> pl.Series:
    """Vectorised ``nir.compact``."""
    return values.cast(pl.String).str.replace_all(r"[ .]", "").str.strip_chars().str.to_uppercase()


def _key_matches(compact: pl.Expr) -> pl.Expr:
    body = (
        compact.str.slice(0, 13)
        .str.replace(r"^(.{5})2A", "${1}19")
        .str.replace(r"^(.{5})2B", "${1}18")
        .cast(pl.Int64, strict=False)
    )
    key = compact.str.slice(13, 2).cast(pl.Int64, strict=False)
    return (pl.lit(97, pl.Int64) - body % 97) == key


def is_valid_column(values: pl.Series) -> pl.Series:
    """Boolean Series: which cells hold a valid NIR (nulls -> False)."""
    frame = pl.DataFrame({"v": compact_column(values)})
    expr = pl.col("v").str.contains(_LAYOUT) & _key_matches(pl.col("v"))
    return frame.select(expr.fill_null(False).alias("valid"))["valid"]


def join_split_column(bodies: pl.Series, keys: pl.Series) -> pl.Series:
    """The 15-character compact NIR rebuilt from a 13-character body column and a key column."""
    keys = keys.cast(pl.String).str.strip_chars().str.zfill(2)
    return compact_column(bodies) + keys


def split_valid_column(bodies: pl.Series, keys: pl.Series) -> pl.Series:
    """Boolean Series: which (body, key) pairs form a valid NIR."""
    return is_valid_column(join_split_column(bodies, keys))
