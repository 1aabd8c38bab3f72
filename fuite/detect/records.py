"""Normalised record fields from a batch, given the column findings (vectorised over whole columns).

Every field of ``RECORD_SCHEMA`` that detect owns is built with polars
expressions over whole columns; only free text goes through Python, once per
distinct text (``fuite.detect.freetext``).
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from fuite import taxonomy
from fuite.detect import dates, freetext, lexicons, textids
from fuite.detect.detectors import first_item
from fuite.detect.names import split_full_names
from fuite.ids import email_address, nir, phone, postal_code
from fuite.schema import RECORD_SCHEMA, ROW_FIELD, ColumnFinding
from fuite.text.fold import fold_column

__all__ = ["extract_records", "RECORD_FIELDS", "TEXT_CATEGORIES"]

RECORD_FIELDS = ("row", "last_name", "first_name", "birth_date", "sex", "nir", "phone", "email", "street",
                 "postal_code", "city", "physician", "insurer", "lab", "sample_date", "categories", "health", "hiv",
                 "conditions", "birth_name", "beneficiary_rank", "beneficiary_quality")
#: Categories read as free text for health, HIV and special conditions.
TEXT_CATEGORIES = ("health_note", "medication")
_FULL_ADDRESS = rf"^(.+?)[\s,;\-]+({postal_code.PATTERN})[\s,]+(.+)$"
_ADDRESS_NEWLINES = r"\s*[\r\n]+\s*"


def _data_columns(batch: pa.Table | pa.RecordBatch) -> tuple[pl.DataFrame, pl.Series]:
    table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
    names = [n for n in table.column_names if not n.startswith("__")]
    frame = pl.from_arrow(table.select(names)) if names else pl.DataFrame()
    if not isinstance(frame, pl.DataFrame):
        frame = frame.to_frame()
    frame = frame.with_columns(pl.all().cast(pl.String).str.strip_chars()) if names else frame
    frame = frame.with_columns(pl.when(pl.all().str.len_chars() > 0).then(pl.all())) if names else frame
    if ROW_FIELD in table.column_names:
        rows = pl.from_arrow(table.column(ROW_FIELD)).cast(pl.Int64)
    else:
        rows = pl.Series(range(table.num_rows), dtype=pl.Int64)
    return frame, rows.alias("row")


def _columns_of(findings: list[ColumnFinding], frame: pl.DataFrame, category: str) -> list[pl.Series]:
    return [frame.get_column(frame.columns[f.position]) for f in findings
            if f.category == category and f.position < frame.width]


def _first_non_null(series: list[pl.Series], n: int) -> pl.Series:
    if not series:
        return pl.Series([None] * n, dtype=pl.String)
    if len(series) == 1:
        return series[0]
    frame = pl.DataFrame({f"s{i}": s for i, s in enumerate(series)})
    return frame.select(pl.coalesce(pl.all()))[:, 0]


def _null(n: int) -> pl.Series:
    return pl.Series([None] * n, dtype=pl.String)


def _nir(findings: list[ColumnFinding], frame: pl.DataFrame, n: int) -> pl.Series:
    candidates = []
    positions = [f.position for f in findings if f.category == "nir" and f.position < frame.width]
    for pos in positions:
        col = nir.compact_column(frame[:, pos])
        if pos + 1 in positions and col.str.len_chars().drop_nulls().median() == 13:
            col = nir.join_split_column(col, frame[:, pos + 1])
        candidates.append(nir.validate_column(col))
    return _first_non_null(candidates, n)


def _phone(findings, frame, n) -> pl.Series:
    return _first_non_null([phone.validate_column(first_item(s)) for s in _columns_of(findings, frame, "phone")], n)


def _email(findings, frame, n) -> pl.Series:
    return _first_non_null([email_address.validate_column(first_item(s)) for s in _columns_of(findings, frame, "email")],
                           n)


def _dates(findings, frame, n, category) -> pl.Series:
    return _first_non_null([dates.parse_dates(s, serials=True) for s in _columns_of(findings, frame, category)], n)


def _sex(findings, frame, n) -> pl.Series:
    out = [fold_column(s).replace_strict(lexicons.SEX_VALUES, default=None, return_dtype=pl.String)
           for s in _columns_of(findings, frame, "sex")]
    return _first_non_null(out, n)


def _names(findings, frame, n) -> tuple[pl.Series, pl.Series]:
    last = _first_non_null(_columns_of(findings, frame, "last_name"), n)
    first = _first_non_null(_columns_of(findings, frame, "first_name"), n)
    full = _columns_of(findings, frame, "full_name")
    if full:
        split = split_full_names(_first_non_null(full, n))
        last = last.fill_null(split["last_name"])
        first = first.fill_null(split["first_name"])
    return last, first


#: Beneficiary qualities (folded, as ``detectors.QUALITIES`` reads them) -> ASSURE / CONJOINT / ENFANT / AUTRE.
QUALITY_VALUES = {
    **{w: "ASSURE" for w in ("assure", "assuree", "assure principal", "assuree principale", "titulaire", "adherent",
                             "adherente", "ouvrant droit", "ouvrant-droit", "insured", "main insured",
                             "policyholder", "ass", "od", "a")},
    **{w: "CONJOINT" for w in ("conjoint", "conjointe", "concubin", "concubine", "partenaire", "pacse", "pacsee",
                               "epoux", "epouse", "spouse", "partner", "cjt", "c")},
    **{w: "ENFANT" for w in ("enfant", "enfant a charge", "child", "enf", "e")},
    **{w: "AUTRE" for w in ("ayant droit", "ayants droit", "ayant-droit", "autre ayant droit", "autre", "ascendant",
                            "beneficiaire", "dependant", "dependent", "ad")},
}


def _beneficiary(findings, frame, n) -> tuple[pl.Series, pl.Series]:
    """Beneficiary rank as two digits ("01") and quality as ASSURE / CONJOINT / ENFANT / AUTRE."""
    rank = _first_non_null(_columns_of(findings, frame, "beneficiary_rank"), n).str.extract(r"^0?([1-9]\d?)$", 1)
    rank = rank.str.zfill(2)
    quality = [fold_column(s).replace_strict(QUALITY_VALUES, default=None, return_dtype=pl.String)
               for s in _columns_of(findings, frame, "beneficiary_quality")]
    return rank, _first_non_null(quality, n)


def _address(findings, frame, n) -> tuple[pl.Series, pl.Series, pl.Series]:
    street = _first_non_null(_columns_of(findings, frame, "street_address"), n)
    postal = postal_code.compact_column(_first_non_null(_columns_of(findings, frame, "postal_code"), n))
    city = _first_non_null(_columns_of(findings, frame, "city"), n)
    full = _columns_of(findings, frame, "full_address")
    if full:
        text = _first_non_null(full, n).str.replace_all(_ADDRESS_NEWLINES, ", ")
        parts = pl.DataFrame({"t": text}).select(pl.col("t").str.extract_groups(_FULL_ADDRESS).alias("g"))["g"]
        street = street.fill_null(parts.struct.field("1").str.strip_chars(" ,;-"))
        postal = postal.fill_null(parts.struct.field("2"))
        city = city.fill_null(parts.struct.field("3").str.strip_chars(" ,;-"))
    return street, postal, city


def _categories(findings: list[ColumnFinding], frame: pl.DataFrame, n: int) -> pl.Series:
    present = {}
    for f in findings:
        if f.category == "other" or f.position >= frame.width:
            continue
        flag = frame[:, f.position].is_not_null()
        present[f.category] = present[f.category] | flag if f.category in present else flag
    if not present:
        return _null(n)
    ordered = [c for c in taxonomy.CATEGORY_IDS if c in present]
    flags = pl.DataFrame({c: present[c] for c in ordered})
    joined = flags.select(pl.concat_str([pl.when(pl.col(c)).then(pl.lit(c)) for c in ordered], separator=";",
                                        ignore_nulls=True).alias("c"))["c"]
    return joined.replace("", None)


def _health(findings: list[ColumnFinding], frame: pl.DataFrame, n: int) -> tuple[pl.Series, pl.Series, pl.Series]:
    health = pl.Series([False] * n, dtype=pl.Boolean)
    for category in taxonomy.HEALTH_CATEGORIES:     # a filled cell of these is data concerning health
        for s in _columns_of(findings, frame, category):
            health = health | s.is_not_null()
    found = freetext.analyse_records(_text_columns(findings, frame), n)   # subject, status, record context
    return health | found["health"], found["hiv"], found["conditions"]


def _text_columns(findings: list[ColumnFinding], frame: pl.DataFrame) -> list[tuple[str, pl.Series]]:
    return [(f.column, frame[:, f.position]) for f in findings
            if f.category in TEXT_CATEGORIES and f.position < frame.width]


def extract_records(batch: pa.RecordBatch | pa.Table, findings: list[ColumnFinding]) -> pa.Table:
    """One row per input row with the normalised fields of ``RECORD_SCHEMA`` that detect fills."""
    frame, rows = _data_columns(batch)
    n = rows.len()
    last, first = _names(findings, frame, n)
    street, postal, city = _address(findings, frame, n)
    health, hiv, conditions = _health(findings, frame, n)
    rank, quality = _beneficiary(findings, frame, n)
    out = pl.DataFrame({
        "row": rows,
        "last_name": last, "first_name": first,
        "birth_date": _dates(findings, frame, n, "birth_date"),
        "sex": _sex(findings, frame, n),
        "nir": _nir(findings, frame, n),
        "phone": _phone(findings, frame, n),
        "email": _email(findings, frame, n),
        "street": street, "postal_code": postal, "city": city,
        "physician": _first_non_null(_columns_of(findings, frame, "physician_name"), n),
        "insurer": _first_non_null(_columns_of(findings, frame, "insurer_name"), n),
        "lab": _first_non_null(_columns_of(findings, frame, "lab_name"), n),
        "sample_date": _dates(findings, frame, n, "sample_date"),
        "categories": textids.with_typed_categories(_categories(findings, frame, n),
                                                    [s for _, s in _text_columns(findings, frame)]),
        "health": health, "hiv": hiv, "conditions": conditions,
        "birth_name": _first_non_null(_columns_of(findings, frame, "birth_name"), n),
        "beneficiary_rank": rank, "beneficiary_quality": quality,
    })
    schema = pa.schema([RECORD_SCHEMA.field(name) for name in RECORD_FIELDS])
    return out.to_arrow().cast(schema)
