"""File 7: a comma CSV whose headers say nothing (``col1``, ``col2``…), UTF-8, quoted fields.

Full name in one cell (``DUPONT Jean`` or ``Jean Dupont``), birth dates
``dd/mm/yyyy`` or ``yyyy-mm-dd``, phones ``33612345678`` or ``+33 6 …``, compact NIR,
blood group ``A Rh+``, mutuelle and member number, prescriber, treatment, an act
code and an amount.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from fuite.synth.health import TREATMENT_TABLE
from fuite.synth.rows import (
    Ctx, ROW_REALITIES, Table, amounts, blood_cells, doctor_cells, shuffled_rows, health_cells, insurer_cells, maybe_blank, name_cells,
)
from fuite.synth.stream import TextFile
from fuite.synth.variants import choose, date_layout, phone_layout

PATH = "gist/data.csv"

_CATEGORIES = [
    "internal_id", "full_name", "birth_date", "phone", "email", "nir", "blood_group", "insurer_name", "insurer_id",
    "physician_name", "medication", "other", "other",
]
COLUMNS = [(f"col{k + 1}", c) for k, c in enumerate(_CATEGORIES)]


def build(ctx: Ctx, rng: np.random.Generator, pids: np.ndarray) -> list[Table]:
    pids, p = shuffled_rows(ctx, rng, pids)
    n = len(pids)
    last, first = name_cells(rng, p, upper_last=0.7, upper_first=0.0, no_accent=0.3, typo=0.02, swap=0.0)
    treat = health_cells(rng, ctx, pids, TREATMENT_TABLE, p_generic=0.35, p_topic=0.85, generic_weight=0.2)
    u = rng.random((3, n))
    names = pl.DataFrame({"l": last, "f": first}).select(choose(u[0], [
        (0.6, pl.concat_str([pl.col("l"), pl.lit(" "), pl.col("f")])),
        (1, pl.concat_str([pl.col("f"), pl.lit(" "), pl.col("l")]))])).to_series()
    phone_src = pl.coalesce(pl.col("mobile"), pl.col("landline"))
    cells = p.select(
        birth=choose(u[1], [(0.6, date_layout(pl.col("birth_date"), "fr")),
                                 (1, date_layout(pl.col("birth_date"), "iso"))]),
        phone=choose(u[2], [(0.5, phone_layout(phone_src, "intl_nozero")),
                                 (1, phone_layout(phone_src, "intl_spaced"))]),
    )
    codes = pl.Series(["B12", "B35", "B70", "B120", "PB", "KB", "TB"], dtype=pl.String).gather(rng.integers(0, 7, n))
    hexid = pl.Series([f"{v:010x}" for v in rng.integers(0, 2**40, n).tolist()], dtype=pl.String)
    values = [
        hexid, names, maybe_blank(cells["birth"], rng, 0.03), maybe_blank(cells["phone"], rng, 0.05),
        maybe_blank(p["email"], rng, 0.1), maybe_blank(p["nir"], rng, 0.1),
        maybe_blank(blood_cells(rng, p["blood"].to_numpy(), "rh"), rng, 0.4),
        insurer_cells(p["insurer"].to_numpy(), abbreviated=False), p["member"],
        doctor_cells(rng, ctx, p["doctor"].to_numpy(), [(1, "dr_last")]), treat.text, codes,
        amounts(rng, n, comma=False),
    ]
    frame = pl.DataFrame({h: v.alias(h) for (h, _), v in zip(COLUMNS, values)})
    return [Table(PATH, "", COLUMNS, frame, pids, treat.hiv, treat.conditions, realities=p[ROW_REALITIES].to_numpy())]


def _render(tables: list[Table], first: bool) -> bytes:
    return tables[0].frame.write_csv(quote_style="non_numeric", include_header=first).encode("utf-8")


def open_writer(path: Path) -> TextFile:
    """The file, written chunk by chunk (the header with the first)."""
    return TextFile(path, _render)
