"""Comparison columns derived from normalised records (pure, vectorised with polars).

Names are compared accent-folded and uppercased with punctuation turned into
spaces ("Lefèvre-Dupont" -> "LEFEVRE DUPONT") after mojibake is repaired
("LefÃ¨vre" -> "Lefèvre"). A married woman's names are split
("MARTIN épouse DURAND", "DURAND née MARTIN", a separate birth-name column):
``last_f`` is the usage name, ``last_alt`` the other one. ``last_tokens`` holds every
surname word but particles, and each surname glued ("DE LA FONTAINE" ->
"FONTAINE", "DELAFONTAINE"), so compound, particle and married forms share a token.
``first_tokens`` holds the first names of a civil list ("Marie Claire" -> two), a
hyphenated one staying whole ("Jean-Pierre" -> "JEANPIERRE").

The NIR is split by what it says about this record: ``nir_own`` when it is the person's
own (quality ASSURE or rank 01, else when its sex, birth year and month agree with the
record's; a record without a birth date only when no dated record carries the NIR as someone
else's), ``nir_insured`` when it is an insured person's under which this one is covered
(an ayant droit: quality CONJOINT/ENFANT, rank above 01, or a birth date the NIR
contradicts). ``nir_rank`` is the insured NIR with the beneficiary rank, which names
one beneficiary.
"""

from __future__ import annotations

import polars as pl

from fuite.ids import email_address, nir
from fuite.text.fold import name_key_column, name_key_expr

__all__ = ["fold", "comparison_frame", "COMPARED", "repair_mojibake", "PARTICLES"]

#: Columns the Splink comparisons read (besides the row id and ``det_id``).
COMPARED = ("last_f", "last_alt", "last_tokens", "first_f", "first_tokens", "name_key", "birth_date", "birth_ym",
            "birth_y", "first_1",
            "sex", "postal_code", "city_f", "phone", "email", "nir_own", "nir_insured", "nir_rank")

#: Surname words that are particles, not names.
PARTICLES = ("DE", "DU", "DES", "LA", "LE", "LES", "D", "L", "DEL", "DELLA", "VAN", "VON")

_MARRIED = r"^(.+?) (?:EPOUSE|EPSE|EP|VEUVE|VVE|DITE) (.+)$"
_BORN = r"^(.+?) (?:NEE|NE) (.+)$"


def fold(expr: pl.Expr) -> pl.Expr:
    """Accent-folded, uppercase, letters and digits only, single-spaced; null when empty (``fuite.text.fold``)."""
    return name_key_expr(expr)


def repair_mojibake(text: str | None) -> str | None:
    """UTF-8 text that was read as cp1252 or latin-1, back to what was written (else unchanged)."""
    if text is None or not any(c in text for c in "ÃÂÅÄ"):
        return text
    for codec in ("cp1252", "latin-1"):
        try:
            return text.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return text


def _blank_to_null(name: str) -> pl.Expr:
    value = pl.col(name).str.strip_chars()
    return pl.when(value == "").then(None).otherwise(value)


def _per_distinct(records: pl.DataFrame, column: str, compute) -> pl.Series:
    """``compute`` (Series -> Series) once per distinct value, after mojibake repair (names repeat a lot)."""
    distinct = records.select(pl.col(column).unique().drop_nulls())[column]
    repaired = distinct.map_elements(repair_mojibake, return_dtype=pl.String)
    mapping = pl.DataFrame({column: distinct, "__out": compute(repaired)})
    return records.select(column).join(mapping, on=column, how="left", maintain_order="left")["__out"]


def _per_distinct_rows(frame: pl.DataFrame, columns: tuple[str, ...], expr: pl.Expr) -> pl.DataFrame:
    """``frame`` with ``expr`` (over ``columns``) computed once per distinct combination of them: list work on
    names is slow in polars, and names repeat."""
    distinct = frame.select(columns).unique()
    mapping = distinct.with_columns(expr)
    return frame.join(mapping, on=list(columns), how="left", nulls_equal=True, maintain_order="left")


def _folded(records: pl.DataFrame, column: str) -> pl.Series:
    return _per_distinct(records, column, name_key_column)


def _first_tokens(values: pl.Series) -> pl.Series:
    """The first names of a civil list, each folded whole ("Jean-Pierre" -> "JEANPIERRE")."""
    words = pl.DataFrame({"i": range(len(values)), "w": values.str.split(" ")}).explode("w")
    words = words.with_columns(name_key_column(words["w"]).str.replace_all(" ", "").alias("w")).drop_nulls("w")
    grouped = words.group_by("i").agg(pl.col("w").unique().sort())
    out = pl.DataFrame({"i": range(len(values))}).join(grouped, on="i", how="left", maintain_order="left")["w"]
    return out


def _surname_tokens(*exprs: pl.Expr) -> pl.Expr:
    words = [e.str.split(" ").list.set_difference(pl.lit(list(PARTICLES))) for e in exprs]
    glued = [e.str.replace_all(" ", "") for e in exprs]
    tokens = pl.concat_list([*[w.fill_null([]) for w in words],
                             *[pl.concat_list([g]).list.drop_nulls() for g in glued]])
    return pl.when(tokens.list.len() > 0).then(tokens.list.unique().list.sort())


def _nir_roles(frame: pl.DataFrame) -> pl.DataFrame:
    """``nir_own``, ``nir_insured`` and ``nir_rank`` from the NIR, the record's sex, birth date, rank and quality."""
    nir, birth, sex = pl.col("nir"), pl.col("birth_date"), pl.col("sex")
    nir_sex = pl.when(nir.str.slice(0, 1).is_in(["1", "3", "7"])).then(pl.lit("M")) \
        .when(nir.str.slice(0, 1).is_in(["2", "4", "8"])).then(pl.lit("F"))
    month = nir.str.slice(3, 2)
    year, born = nir.str.slice(1, 2), birth.str.slice(2, 2)
    same_year = (year.str.slice(0, 1) == born.str.slice(0, 1)).cast(pl.Int8) + \
        (year.str.slice(1, 1) == born.str.slice(1, 1)).cast(pl.Int8) >= 1   # a typo in the year is forgiven
    same_month = (month == birth.str.slice(5, 2)) | (month == birth.str.slice(8, 2)) | ~month.is_in(
        [f"{m:02d}" for m in range(1, 13)])
    exact_month = month == birth.str.slice(5, 2)
    dated = pl.when(birth.is_not_null()).then((same_year & exact_month) | ((year == born) & same_month))
    covers_others = (dated == False).any().over("nir").fill_null(False)  # noqa: E712 - an insured's NIR
    agrees = pl.when(birth.is_not_null()).then(dated).otherwise(
        ~covers_others & (sex.is_null() | nir_sex.is_null() | (sex == nir_sex)))
    rank, quality = pl.col("beneficiary_rank"), pl.col("beneficiary_quality")
    declared_own = (quality == "ASSURE") | (rank == "01")
    declared_other = quality.is_in(["CONJOINT", "ENFANT", "AUTRE"]) | (rank.is_not_null() & (rank != "01"))
    # a NIR that spells the record's own sex, birth year and month is its own, whatever a rank or quality column
    # claims (an insured parent or spouse is not born the same month, of the same sex): a noisy quality column
    # must not turn a namesake's own NIR into an insured one, which no rule compares
    spells_own = (year == born) & exact_month & (sex.is_null() | nir_sex.is_null() | (sex == nir_sex))
    own = pl.when(declared_own | spells_own.fill_null(False)).then(True).when(declared_other).then(False) \
        .otherwise(agrees).fill_null(True)
    return frame.with_columns(
        pl.when(own).then(nir).alias("nir_own"),
        pl.when(~own).then(nir).alias("nir_insured"),
        pl.when(~own & rank.is_not_null()).then(pl.concat_str([nir, rank], separator="|")).alias("nir_rank"),
    )


def _split_married(frame: pl.DataFrame) -> pl.DataFrame:
    """``last_f`` = usage name, ``last_alt`` = birth name, from "X EPOUSE Y", "Y NEE X" or a birth-name column."""
    married = pl.col("last_raw").str.extract_groups(_MARRIED)
    born = pl.col("last_raw").str.extract_groups(_BORN)
    usage = pl.coalesce(married.struct.field("2"), born.struct.field("1"), pl.col("last_raw"))
    birth = pl.coalesce(married.struct.field("1"), born.struct.field("2"), pl.col("birth_f"))
    return frame.with_columns(usage.alias("last_f"), pl.when(birth != usage).then(birth).alias("last_alt"))


def comparison_frame(records: pl.DataFrame, *, keys_only: bool = False) -> pl.DataFrame:
    """One row per record: ``record_id`` and the compared columns.

    ``keys_only``: only the columns blocking and deterministic keys are made of (``fuite.resolve.partition``),
    with the NIR in every role (``nir_own``, ``nir_insured``, ``nir_rank`` are not split) and the birth
    year-month taken from the NIR whatever its role."""
    def optional(name: str) -> pl.Series:
        return records[name] if name in records.columns else pl.Series(name, [None] * records.height, pl.String)

    frame = pl.DataFrame({
        "record_id": records["record_id"],
        "last_raw": _folded(records, "last_name"),
        "birth_f": _folded(records.with_columns(optional("birth_name")), "birth_name"),
        "first_f": _folded(records, "first_name"),
        "birth_date": records.select(_blank_to_null("birth_date"))[:, 0],
        "sex": records.select(_blank_to_null("sex"))[:, 0] if "sex" in records.columns else optional("sex"),
        "postal_code": records.select(_blank_to_null("postal_code"))[:, 0],
        "city_f": _folded(records, "city"),
        "phone": records.select(_blank_to_null("phone"))[:, 0],
        "email": email_address.compact_column(records["email"]).replace("", None),
        "nir": nir.compact_column(records["nir"]).replace("", None),
        "beneficiary_rank": optional("beneficiary_rank"),
        "beneficiary_quality": optional("beneficiary_quality"),
    })
    frame = _split_married(frame)
    if not keys_only:
        frame = _nir_roles(frame.with_columns(_per_distinct(records, "first_name", _first_tokens).alias("first_tokens")))
        frame = _per_distinct_rows(frame, ("last_f", "last_alt"),
                                   _surname_tokens(pl.col("last_f"), pl.col("last_alt")).alias("last_tokens"))
    tokens = pl.concat_str([pl.col("last_f"), pl.col("first_f")], separator=" ", ignore_nulls=True)
    frame = _per_distinct_rows(frame, ("last_f", "first_f"),
                               pl.when(pl.col("last_f").is_null() & pl.col("first_f").is_null()).then(None)
                               .otherwise(tokens.str.split(" ").list.sort().list.join(" ")).alias("name_key"))
    return frame.with_columns(
        pl.coalesce(pl.concat_str([pl.col("birth_date").str.slice(2, 2), pl.col("birth_date").str.slice(5, 2)]),
                    pl.col("nir" if keys_only else "nir_own").str.slice(1, 4)).alias("birth_ym"),
        pl.col("birth_date").str.slice(0, 4).alias("birth_y"),
        pl.col("first_f").str.split(" ").list.first().alias("first_1"),
    ).drop("last_raw", "birth_f")
