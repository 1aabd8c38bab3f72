"""File 9: a ``;`` CSV saved from Excel (cp1252, CRLF): two title rows padded with ``;;;;``, the header on row 3,
and one line of NUL bytes where a crash left a zeroed disk block.

The title rows have as many cells as the header (Excel pads them), so only their
content tells them from the header. The NUL line sits between two data rows; it
takes one data-row index (rows are numbered as data rows of the table: the title
rows and the header take none). The answer key lists it in ``quarantine.csv``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from fuite.synth.health import COMMENT_TABLE
from fuite.synth.rows import (
    Ctx, Table, analysis_cells, health_cells, maybe_blank, name_cells, sample_date_cells, shuffled_rows, third_party,
)
from fuite.synth.stream import TextFile
from fuite.synth.variants import date_layout, nir_layout, phone_layout

PATH = "cloud_share/Bio-Ouest/liste_patients_fevrier.csv"
ENCODING = "cp1252"
TITLE_ROWS = ("LABORATOIRE BIO-OUEST - Liste des patients prélevés", "Édité le 12/02/2021 à 08:14 par l'accueil")
NUL_BYTES = 512
COLUMNS = [
    ("Nom", "last_name"), ("Prénom", "first_name"), ("Date naiss.", "birth_date"), ("N° SS", "nir"),
    ("Adresse", "street_address"), ("CP", "postal_code"), ("Ville", "city"), ("Tél. portable", "phone"),
    ("Mél", "email"), ("Date prél.", "sample_date"), ("Analyse", "health_note"), ("Observations", "health_note"),
]


def build(ctx: Ctx, rng: np.random.Generator, pids: np.ndarray) -> list[Table]:
    pids, p = shuffled_rows(ctx, rng, pids)
    n = len(pids)
    last, first = name_cells(rng, p, upper_last=0.6, upper_first=0.0, no_accent=0.1, typo=0.02, swap=0.02)
    analysis = analysis_cells(rng, ctx, pids)
    obs = health_cells(rng, ctx, pids, COMMENT_TABLE, p_generic=0.3, p_topic=0.7)
    cells = p.select(
        birth=date_layout(pl.col("birth_date"), "fr"),
        nir=nir_layout(pl.col("nir"), "spaced"),
        mobile=phone_layout(pl.col("mobile"), "dotted"),
    )
    frame = pl.DataFrame({
        "Nom": last, "Prénom": first,
        "Date naiss.": maybe_blank(cells["birth"], rng, 0.02),
        "N° SS": maybe_blank(cells["nir"], rng, 0.2),
        "Adresse": maybe_blank(p["street"], rng, 0.05),
        "CP": p["postal_code"], "Ville": p["city"],
        "Tél. portable": maybe_blank(cells["mobile"], rng, 0.1),
        "Mél": maybe_blank(p["email"], rng, 0.15),
        "Date prél.": sample_date_cells(rng, n, "fr"),
        "Analyse": analysis.label,
        "Observations": third_party(rng, ctx, obs.text, 0.04),
    })
    nul_at = int(rng.integers(0, n + 1)) if n else 0     # the NUL line comes before data row ``nul_at``
    if ctx.first:   # the one broken line, in the first chunk; later chunks' rows come after it
        rows = np.arange(n) + (np.arange(n) >= nul_at)
        line = len(TITLE_ROWS) + 1 + nul_at + 1
        extra = {"nul_at": nul_at, "row_index": rows, "quarantined": [(f"line {line}", "NUL bytes")]}
    else:
        extra = {"nul_at": None, "row_index": ctx.start.get("", 0) + 1 + np.arange(n)}
    return [Table(PATH, "", COLUMNS, frame, pids, analysis.hiv | obs.hiv, analysis.conditions | obs.conditions,
                  extra=extra)]


def _cell(column: pl.Expr) -> pl.Expr:
    """Excel's quoting: a cell holding ``;``, a quote or a line break is quoted, quotes doubled."""
    quoted = pl.concat_str([pl.lit('"'), column.str.replace_all('"', '""', literal=True), pl.lit('"')])
    return pl.when(column.str.contains(r'[;"\r\n]')).then(quoted).otherwise(column).fill_null("")


def _render(tables: list[Table], first: bool) -> bytes:
    table = tables[0]
    width = len(table.columns)
    pad = ";" * (width - 1)
    lines = table.frame.select(pl.concat_str([_cell(pl.col(c)) for c in table.frame.columns], separator=";")
                               ).to_series().to_list()
    head = [t + pad for t in TITLE_ROWS] + [";".join(h for h, _ in table.columns)] if first else []
    encode = lambda part: "".join(line + "\r\n" for line in part).replace("β", "bêta").encode(ENCODING)  # noqa: E731
    at = table.extra["nul_at"]
    if at is None:
        return encode(head + lines)
    return encode(head + lines[:at]) + b"\x00" * NUL_BYTES + b"\r\n" + encode(lines[at:])


def open_writer(path: Path) -> TextFile:
    """The file, written chunk by chunk (the title rows and header with the first)."""
    return TextFile(path, _render)
