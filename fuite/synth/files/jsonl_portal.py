"""File 10: JSON lines from a results portal's API, one object per line, with one record nested 1,000 levels deep.

Nested objects (``patient.contact.email``…) flatten to dotted paths. The deep record
(``{"meta":{"meta":…}}``, as a fuzzer or a broken exporter writes) sits between two
records; it takes one row index and is listed in the answer key's ``quarantine.csv``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from fuite.synth.health import COMMENT_TABLE
from fuite.synth.rows import Ctx, Table, analysis_cells, health_cells, maybe_blank, name_cells, shuffled_rows
from fuite.synth.stream import TextFile
from fuite.synth.variants import date_layout, phone_layout

PATH = "api_scrape/portail_resultats.jsonl"
DEPTH = 1000
COLUMNS = [
    ("id", "internal_id"), ("patient.nom", "last_name"), ("patient.prenom", "first_name"),
    ("patient.naissance", "birth_date"), ("patient.contact.email", "email"),
    ("patient.contact.telephone", "phone"), ("adresse.cp", "postal_code"), ("adresse.ville", "city"),
    ("examen.libelle", "health_note"), ("examen.commentaire", "health_note"),
]


def build(ctx: Ctx, rng: np.random.Generator, pids: np.ndarray) -> list[Table]:
    pids, p = shuffled_rows(ctx, rng, pids)
    n = len(pids)
    last, first = name_cells(rng, p, upper_last=0.0, upper_first=0.0, no_accent=0.05, typo=0.01, swap=0.01)
    analysis = analysis_cells(rng, ctx, pids)
    note = health_cells(rng, ctx, pids, COMMENT_TABLE, p_generic=0.2, p_topic=0.6)
    cells = p.select(birth=date_layout(pl.col("birth_date"), "iso"),
                     phone=phone_layout(pl.coalesce(pl.col("mobile"), pl.col("landline")), "intl_nozero"))
    frame = pl.DataFrame({
        "id": pl.Series([f"R{v:08d}" for v in rng.integers(0, 10**8, n).tolist()], dtype=pl.String),
        "patient.nom": last, "patient.prenom": first,
        "patient.naissance": cells["birth"],
        "patient.contact.email": maybe_blank(p["email"], rng, 0.1),
        "patient.contact.telephone": maybe_blank(cells["phone"], rng, 0.1),
        "adresse.cp": p["postal_code"], "adresse.ville": p["city"],
        "examen.libelle": analysis.label, "examen.commentaire": note.text,
    })
    deep_at = int(rng.integers(0, n + 1)) if n else 0
    if ctx.first:   # the one broken line, in the first chunk; later chunks' rows come after it
        extra = {"deep_at": deep_at, "row_index": np.arange(n) + (np.arange(n) >= deep_at),
                 "quarantined": [(f"line {deep_at + 1}", f"record nested {DEPTH} levels deep")]}
    else:
        extra = {"deep_at": None, "row_index": ctx.start.get("", 0) + 1 + np.arange(n)}
    return [Table(PATH, "", COLUMNS, frame, pids, analysis.hiv | note.hiv, analysis.conditions | note.conditions,
                  extra=extra)]


def _nested(row: dict) -> dict:
    """``{"patient.contact.email": v}`` → ``{"patient": {"contact": {"email": v}}}`` (empty cells null)."""
    out: dict = {}
    for path, value in row.items():
        *parents, leaf = path.split(".")
        node = out
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return out


def _render(tables: list[Table], first: bool) -> bytes:
    table = tables[0]
    lines = [json.dumps(_nested(row), ensure_ascii=False) for row in table.frame.iter_rows(named=True)]
    if table.extra["deep_at"] is not None:
        lines.insert(table.extra["deep_at"], '{"meta":' * DEPTH + "null" + "}" * DEPTH)
    return "".join(line + "\n" for line in lines).encode("utf-8")


def open_writer(path: Path) -> TextFile:
    """The file, written chunk by chunk."""
    return TextFile(path, _render)
