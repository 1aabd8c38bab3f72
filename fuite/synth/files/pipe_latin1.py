"""File 6: a header-less ``|``-separated text file in latin-1 (an old lab system's extract).

No header: the answer key names columns ``#0``, ``#1``… Birth dates ``yyyymmdd``,
sex ``M``/``F``, compact NIR, phones ``+33612345678`` or ``0612345678``, the lab's
FINESS and the prescriber's RPPS, sample dates ``dd/mm/yyyy``. First and last
names are swapped more often here. Characters latin-1 lacks (œ, €, β, —) are
transliterated (``oe``, ``EUR``…).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from fuite.synth.health import COMMENT_TABLE, TREATMENT_TABLE
from fuite.synth.rows import (
    Ctx, ROW_REALITIES, Table, amounts, shuffled_rows, health_cells, maybe_blank, name_cells, sample_date_cells, third_party,
)
from fuite.synth.stream import TextFile
from fuite.synth.variants import choose, date_layout, phone_layout, to_latin1_safe

PATH = "torrent/part6/extraction_prelevements.txt"
ENCODING = "latin-1"

_CATEGORIES = [
    "internal_id", "last_name", "first_name", "birth_date", "sex", "nir", "postal_code", "city", "phone", "email",
    "lab_id", "sample_date", "physician_id", "medication", "health_note", "other",
]
COLUMNS = [(f"#{k}", c) for k, c in enumerate(_CATEGORIES)]


def build(ctx: Ctx, rng: np.random.Generator, pids: np.ndarray) -> list[Table]:
    pids, p = shuffled_rows(ctx, rng, pids, old=True)
    n = len(pids)
    last, first = name_cells(rng, p, upper_last=0.9, upper_first=0.5, no_accent=0.5, typo=0.02, swap=0.08)
    treat = health_cells(rng, ctx, pids, TREATMENT_TABLE, p_generic=0.25, p_topic=0.75, generic_weight=0.2)
    obs = health_cells(rng, ctx, pids, COMMENT_TABLE, p_generic=0.3, p_topic=0.6)
    phone_src = pl.coalesce(pl.col("mobile"), pl.col("landline"))
    u = rng.random(n)
    cells = p.select(
        birth=date_layout(pl.col("birth_date"), "compact"),
        phone=choose(pl.lit(pl.Series(u)), [(0.5, phone_layout(phone_src, "intl")),
                                            (1, phone_layout(phone_src, "compact"))]),
        city=pl.col("city").str.to_uppercase(),
    )
    values = [
        pl.select(pl.concat_str([pl.lit(pl.Series(ctx.pools.town_depts[p["town"].to_numpy()], dtype=pl.String)),
                                 pl.lit("A"), pl.lit(pl.Series(rng.integers(0, 10**5, n)).cast(pl.String).str.zfill(5))]
                                )).to_series(),
        last, first,
        maybe_blank(cells["birth"], rng, 0.02),
        p["sex"],
        maybe_blank(p["nir"], rng, 0.15),
        p["postal_code"],
        cells["city"],
        maybe_blank(cells["phone"], rng, 0.05),
        maybe_blank(p["email"], rng, 0.2),
        pl.Series(ctx.pools.lab_finess[p["lab"].to_numpy()], dtype=pl.String),
        sample_date_cells(rng, n, "fr"),
        maybe_blank(pl.Series(ctx.pools.doctor_rpps[p["doctor"].to_numpy()], dtype=pl.String), rng, 0.1),
        treat.text,
        third_party(rng, ctx, obs.text, 0.03),
        amounts(rng, n, comma=True),
    ]
    frame = pl.DataFrame({h: v.alias(h) for (h, _), v in zip(COLUMNS, values)})
    frame = frame.with_columns(to_latin1_safe(pl.col(pl.String)))
    return [Table(PATH, "", COLUMNS, frame, pids, treat.hiv | obs.hiv, treat.conditions | obs.conditions,
                  realities=p[ROW_REALITIES].to_numpy())]


def _render(tables: list[Table], first: bool) -> bytes:
    return tables[0].frame.write_csv(separator="|", include_header=False, quote_style="never").encode(ENCODING)


def open_writer(path: Path) -> TextFile:
    """The file, written chunk by chunk."""
    return TextFile(path, _render)
