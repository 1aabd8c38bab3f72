"""Dates in every common layout, parsed over a whole column, and birth dates told apart from event dates.

Layouts: ``yyyy-mm-dd`` (with or without a time), ``dd/mm/yyyy``, ``dd-mm-yyyy``,
``dd.mm.yyyy``, ``dd/mm/yy``, ``yyyymmdd``, ``ddmmyyyy``, ``yyyy/mm/dd``, ``d month yyyy``
in French or English, and spreadsheet serial numbers (only when asked, since
they look like postal codes). A column whose second field goes above 12 while
the first never does is read month-first. Two-digit years are pivoted on the
reference year.

>>> import polars as pl
>>> parse_dates(pl.Series(['12/03/1985', '1985-03-12', '19850312', '12 mars 1985', 'n/a'])).to_list()
['1985-03-12', '1985-03-12', '1985-03-12', '1985-03-12', None]
>>> birth_likelihood(pl.Series(['1950-01-01', '1972-05-06', '1990-07-08', '2001-02-03', '1938-11-30']))
1.0
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fuite.detect.folding import fold_column

__all__ = ["parse_dates", "birth_likelihood", "has_time"]

_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "january": 1, "fevrier": 2, "fevr": 2, "fev": 2, "february": 2, "feb": 2,
    "mars": 3, "mar": 3, "march": 3, "avril": 4, "avr": 4, "april": 4, "apr": 4, "mai": 5, "may": 5, "juin": 6,
    "june": 6, "jun": 6, "juillet": 7, "juil": 7, "july": 7, "jul": 7, "aout": 8, "august": 8, "aug": 8,
    "septembre": 9, "sept": 9, "sep": 9, "september": 9, "octobre": 10, "oct": 10, "october": 10, "novembre": 11,
    "nov": 11, "november": 11, "decembre": 12, "dec": 12, "december": 12,
}
_SERIAL_EPOCH = dt.date(1899, 12, 30)


def _ymd(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """A date from text parts; null when the parts do not make a calendar date (31/02)."""
    text = pl.concat_str(year.cast(pl.String).str.zfill(4), month.cast(pl.String).str.zfill(2),
                         day.cast(pl.String).str.zfill(2), separator="-")
    return text.str.to_date("%Y-%m-%d", strict=False)


def _two_digit_year(year: pl.Expr, reference_year: int) -> pl.Expr:
    century = reference_year // 100 * 100
    y = year.cast(pl.Int32, strict=False)
    return pl.when(year.str.len_chars() == 2).then(
        pl.when(y + century > reference_year).then(y + century - 100).otherwise(y + century)).otherwise(y)


def parse_dates(values: pl.Series, *, serials: bool = False, reference_year: int | None = None) -> pl.Series:
    """ISO ``YYYY-MM-DD`` strings (null when a cell is not a date)."""
    ref = reference_year or dt.date.today().year
    text = values.cast(pl.String).str.strip_chars()
    fast = _parse_one_layout(text, ref)
    if fast is not None:
        return fast.alias(values.name)
    quick = _parse_common_layouts(text, ref)
    if quick is None:
        return _parse_with_patterns(text, serials, ref).alias(values.name)
    missing = quick.is_null() & text.is_not_null() & (text.str.len_chars() > 0)
    if not missing.any():
        return quick.alias(values.name)
    slow = _parse_with_patterns(text.filter(missing), serials, ref)
    return quick.scatter(missing.arg_true(), slow).alias(values.name)


_COMMON = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y%m%d", "%d%m%Y")
_TWO_DIGIT_YEARS = ("%d/%m/%y", "%d-%m-%y", "%d.%m.%y")


def _parse_common_layouts(text: pl.Series, ref: int) -> pl.Series | None:
    """Every common numeric layout tried cell by cell with chrono (no regex); None for a month-first column."""
    token = text.str.extract(r"^(\S+)").str.replace(r"^(\d{4}-\d{2}-\d{2})[tT].*$", "${1}")
    frame = pl.DataFrame({"t": token})
    fields = pl.col("t").str.extract_groups(r"^(\d{1,2})[-/.](\d{1,2})[-/.]\d{2,4}$")
    first_big, second_big = frame.select(
        (fields.struct.field("1").cast(pl.Int32, strict=False) > 12).any(),
        (fields.struct.field("2").cast(pl.Int32, strict=False) > 12).any()).row(0)
    if second_big and not first_big:
        return None
    lo, hi, today = dt.date(1880, 1, 1), dt.date(ref + 1, 12, 31), dt.date(ref, 12, 31)
    candidates = []
    for layout in _COMMON:
        d = pl.col("t").str.to_date(layout, strict=False)
        candidates.append(pl.when(d.is_between(lo, hi)).then(d))
    for layout in _TWO_DIGIT_YEARS:
        d = pl.col("t").str.to_date(layout, strict=False)
        candidates.append(pl.when(d > today).then(d.dt.offset_by("-100y")).otherwise(d))
    parsed = pl.coalesce(candidates)
    return frame.select(parsed.dt.strftime("%Y-%m-%d").alias("d"))["d"]


def _parse_with_patterns(values: pl.Series, serials: bool, ref: int) -> pl.Series:
    """The general path: regexes for every layout, month names, month-first columns, serial numbers."""
    text = fold_column(values.cast(pl.String)).str.strip_chars()
    frame = pl.DataFrame({"t": text})
    t = pl.col("t")
    iso = t.str.extract_groups(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2})?.*)?$")
    compact = t.str.extract_groups(r"^(\d{4})(\d{2})(\d{2})$")
    compact_dmy = t.str.extract_groups(r"^(\d{2})(\d{2})(\d{4})$")
    dmy = t.str.extract_groups(r"^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4}|\d{2})(?:\s+\d{1,2}[:h]\d{2}.*)?$")
    named = t.str.extract_groups(r"^(\d{1,2})(?:er)?[ \-]([a-z]+)\.?[ \-](\d{4})$")
    first, second = dmy.struct.field("1"), dmy.struct.field("2")
    month_first = frame.select(
        (first.cast(pl.Int32, strict=False) > 12).any().alias("a"),
        (second.cast(pl.Int32, strict=False) > 12).any().alias("b"),
    ).row(0)
    day_f, month_f = (second, first) if (month_first[1] and not month_first[0]) else (first, second)
    lo, hi = dt.date(1880, 1, 1), dt.date(ref + 1, 12, 31)

    def plausible_only(expr: pl.Expr) -> pl.Expr:
        return pl.when(expr.is_between(lo, hi)).then(expr)

    parsed = pl.coalesce(
        _ymd(iso.struct.field("1"), iso.struct.field("2"), iso.struct.field("3")),
        plausible_only(_ymd(compact.struct.field("1"), compact.struct.field("2"), compact.struct.field("3"))),
        plausible_only(_ymd(compact_dmy.struct.field("3"), compact_dmy.struct.field("2"),
                            compact_dmy.struct.field("1"))),
        _ymd(_two_digit_year(dmy.struct.field("3"), ref), month_f, day_f),
        _ymd(named.struct.field("3"), named.struct.field("2").replace_strict(_MONTHS, default=None),
             named.struct.field("1")),
    )
    if serials:
        serial = t.cast(pl.Int32, strict=False)
        parsed = pl.coalesce(parsed, pl.when(serial.is_between(1, 80000)).then(
            pl.lit(_SERIAL_EPOCH) + pl.duration(days=serial)))
    plausible = parsed.is_between(dt.date(1880, 1, 1), dt.date(ref + 1, 12, 31))
    return frame.select(pl.when(plausible).then(parsed.dt.strftime("%Y-%m-%d")).alias("d"))["d"]


_FAST_LAYOUTS = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%d-%m-%Y", "%d.%m.%Y")


def _parse_one_layout(text: pl.Series, ref: int) -> pl.Series | None:
    """When every cell has one common layout, a single vectorised parse; None otherwise."""
    present = text.filter(text.is_not_null() & (text.str.len_chars() > 0))
    if present.len() == 0:
        return None
    probe = present.head(50)
    for layout in _FAST_LAYOUTS:
        if probe.str.to_date(layout, strict=False).null_count():
            continue
        parsed = text.str.to_date(layout, strict=False)
        if parsed.null_count() != text.len() - present.len():
            return None
        frame = pl.DataFrame({"d": parsed})
        plausible = pl.col("d").is_between(dt.date(1880, 1, 1), dt.date(ref + 1, 12, 31))
        if layout in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y") and not present.str.contains(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$").all():
            return None
        return frame.select(pl.when(plausible).then(pl.col("d").dt.strftime("%Y-%m-%d")).alias("d"))["d"]
    return None


def has_time(values: pl.Series) -> float:
    """Share of non-null cells that carry a time of day (event dates do, birth dates do not)."""
    nonnull = values.drop_nulls()
    if nonnull.len() == 0:
        return 0.0
    return float(nonnull.str.contains(r"\d{1,2}[:h]\d{2}").mean())


def birth_likelihood(iso_dates: pl.Series, *, reference_year: int | None = None) -> float:
    """0–1: how much a column of ISO dates looks like birth dates rather than event (sample) dates.

    Birth dates spread over decades and reach far back; sample dates bunch into
    a few recent years.
    """
    years = iso_dates.drop_nulls().str.slice(0, 4).cast(pl.Int32)
    if years.len() == 0:
        return 0.5
    ref = reference_year or dt.date.today().year
    spread = float(years.quantile(0.95) - years.quantile(0.05))
    age = ref - float(years.median())
    spread_score = min(max((spread - 6) / 14, 0.0), 1.0)     # <= 6 years: events; >= 20 years: births
    age_score = min(max((age - 12) / 18, 0.0), 1.0)          # median older than 30 years: births
    if years.len() < 5:
        return age_score
    return round(max(spread_score, age_score) if spread_score > 0.5 else min(spread_score, age_score) * 0.5
                 + age_score * 0.5, 3)
