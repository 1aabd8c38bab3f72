"""File 4: an Excel workbook (sheet ``Extraction``) with three title rows above the header.

Written with xlsxwriter (constant-memory mode, fixed document dates so the bytes
are reproducible). Birth dates are real Excel dates (serial + date format) except
a few typed as text and a few bare serial numbers; sample dates are bare serial numbers (the format was lost);
postcodes and amounts are numbers. Persons recur with title-case names and
``+33 6 …`` phones; blood groups read ``A Rh+``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter

from fuite.synth.health import COMMENT_TABLE
from fuite.synth.rows import (
    Ctx, ROW_REALITIES, Table, amounts, analysis_cells, blood_cells, distractor_nirs, doctor_cells, shuffled_rows, health_cells,
    insurer_cells, maybe_blank, name_cells, sample_dates, third_party,
)
from fuite.synth.households import reality_bit
from fuite.synth.variants import choose, date_layout, nir_layout, phone_layout

PATH = "wetransfer/Extraction_LBM_Grand_Ouest.xlsx"
SHEET = "Extraction"
TITLE_ROWS = (
    "Laboratoires de biologie médicale du Grand Ouest",
    "Extraction patients du 01/01/2015 au 31/12/2020 - document interne, ne pas diffuser",
    "",
)
COLUMNS = [
    ("Nom patient", "last_name"), ("Nom de naissance", "birth_name"), ("Prénom", "first_name"), ("Né(e) le", "birth_date"), ("Sexe", "sex"),
    ("NIR", "nir"), ("Adresse", "street_address"), ("CP", "postal_code"), ("Commune", "city"), ("Portable", "phone"),
    ("Fixe", "phone"), ("Courriel", "email"), ("Groupe", "blood_group"), ("Prescripteur", "physician_name"),
    ("Organisme complémentaire", "insurer_name"), ("Laboratoire", "lab_name"), ("Date prélèvement", "sample_date"),
    ("Analyses demandées", "health_note"), ("Observations", "health_note"), ("Montant facturé", "other"),
    ("Réf. facture", "internal_id"),
]
#: A second sheet: the lab's SMS reminder list (sparse records: names, birth date, a mobile, the appointment).
SMS_SHEET = "Rappels SMS"
SMS_COLUMNS = [("NOM", "last_name"), ("PRENOM", "first_name"), ("DATE NAISSANCE", "birth_date"),
               ("MOBILE", "phone"), ("DATE RDV", "sample_date")]
_EXCEL_EPOCH_OFFSET = 25569  # days from 1899-12-30 to 1970-01-01


def build(ctx: Ctx, rng: np.random.Generator, pids: np.ndarray) -> list[Table]:
    pids, p = shuffled_rows(ctx, rng, pids)
    n = len(pids)
    usage = p.with_columns(pl.col("usage_name").alias("last_name"))
    last, first = name_cells(rng, usage, upper_last=0.2, upper_first=0.0, no_accent=0.05, typo=0.02, swap=0.02)
    obs = health_cells(rng, ctx, pids, COMMENT_TABLE, p_generic=0.35, p_topic=0.8)
    obs_text = third_party(rng, ctx, obs.text, 0.05)
    analysis = analysis_cells(rng, ctx, pids)
    asked = rng.random(n) < 0.85
    u = rng.random((2, n))
    cells = p.select(
        sex=pl.when(pl.col("sex") == "M").then(pl.lit("Masculin")).otherwise(pl.lit("Féminin")),
        nir=choose(u[0], [(0.8, nir_layout(pl.col("nir"), "compact")), (1, nir_layout(pl.col("nir"), "spaced"))]),
        mobile=phone_layout(pl.col("mobile"), "intl_spaced"),
        landline=phone_layout(pl.col("landline"), "spaced"),
        birth_text=date_layout(pl.col("birth_date"), "fr"),
        birth_iso=date_layout(pl.col("birth_date"), "iso"),
        birth_serial=pl.col("birth_date").cast(pl.Int32) + _EXCEL_EPOCH_OFFSET,
    )
    birth_as_text = u[1] < 0.06          # typed as text "dd/mm/yyyy"
    birth_as_number = u[1] > 0.95        # bare serial number (the date format was lost)
    sample = sample_dates(rng, n)
    amount = amounts(rng, n, comma=False)
    frame = pl.DataFrame({
        "Nom patient": last,
        "Nom de naissance": pl.select(pl.when(pl.lit(last).str.to_uppercase() == pl.lit(last))
                                      .then(pl.lit(p["birth_name"]).str.to_uppercase())
                                      .otherwise(pl.lit(p["birth_name"]))).to_series(),
        "Prénom": first,
        "Né(e) le": maybe_blank(cells["birth_iso"], rng, 0.01),
        "Sexe": cells["sex"],
        "NIR": maybe_blank(cells["nir"], rng, 0.1),
        "Adresse": p["street"],
        "CP": p["postal_code"],
        "Commune": p["city"],
        "Portable": cells["mobile"],
        "Fixe": cells["landline"],
        "Courriel": maybe_blank(p["email"], rng, 0.05),
        "Groupe": maybe_blank(blood_cells(rng, p["blood"].to_numpy(), "rh"), rng, 0.3),
        "Prescripteur": doctor_cells(rng, ctx, p["doctor"].to_numpy(), [(0.6, "dr_last"), (1, "dr_full")]),
        "Organisme complémentaire": insurer_cells(p["insurer"].to_numpy(), abbreviated=False),
        "Laboratoire": pl.Series(ctx.pools.lab_names[p["lab"].to_numpy()], dtype=pl.String),
        "Date prélèvement": pl.select(date_layout(pl.lit(sample), "iso")).to_series(),
        "Analyses demandées": pl.Series(np.where(asked, analysis.label.to_numpy(), None).tolist(), dtype=pl.String),
        "Observations": obs_text,
        "Montant facturé": amount,
        "Réf. facture": maybe_blank(distractor_nirs(rng, n), rng, 0.5),
    })
    hiv = obs.hiv | (asked & analysis.hiv)
    cond = obs.conditions | np.where(asked, analysis.conditions, 0)
    extra = {
        "birth_serial": cells["birth_serial"].to_numpy(),
        "birth_as_text": birth_as_text,
        "birth_as_number": birth_as_number,
        "birth_text": cells["birth_text"],
        "sample_serial": sample.cast(pl.Int32).to_numpy() + _EXCEL_EPOCH_OFFSET,
    }
    return [Table(PATH, SHEET, COLUMNS, frame, pids, hiv, cond, extra=extra, realities=p[ROW_REALITIES].to_numpy()),
            _reminders(ctx, rng, pids)]


def _reminders(ctx: Ctx, rng: np.random.Generator, pids: np.ndarray) -> Table:
    """The SMS reminder list: two persons in five, names and birth date, a mobile on half the rows (a minor's
    is a parent's)."""
    pids, p = shuffled_rows(ctx, rng, pids[rng.random(len(pids)) < 0.4])
    n = len(pids)
    guardian = ctx.persons["mobile"].gather(p["household"])
    mobile = p.select(pl.coalesce(pl.col("mobile"), pl.lit(guardian))).to_series()
    frame = pl.DataFrame({
        "NOM": p["last_name"].str.to_uppercase(),
        "PRENOM": p["first_name"],
        "DATE NAISSANCE": p.select(date_layout(pl.col("birth_date"), "fr")).to_series(),
        "MOBILE": maybe_blank(pl.select(phone_layout(pl.lit(mobile), "compact")).to_series(), rng, 0.5),
        "DATE RDV": pl.select(date_layout(pl.lit(sample_dates(rng, n)), "fr")).to_series(),
    })
    bits = p[ROW_REALITIES].to_numpy() | np.int64(reality_bit("sparse"))
    return Table(PATH, SMS_SHEET, SMS_COLUMNS, frame, pids, np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64),
                 realities=bits)


#: Data rows a sheet holds (Excel's 1,048,576 rows less the title rows and header): the drill writes no more.
MAX_PERSONS = 1_048_576 - len(TITLE_ROWS) - 1


class Writer:
    """The workbook, written chunk by chunk (xlsxwriter's constant-memory mode: rows go to disk as written)."""

    def __init__(self, path: Path):
        wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                             "strings_to_urls": False})
        wb.set_properties({"title": "Extraction patients", "author": "SIL", "created": dt.datetime(2021, 1, 12, 9, 30)})
        self._wb = wb
        self._date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
        self._bold = wb.add_format({"bold": True})
        self._ws = self._sms = None
        self._row = self._sms_row = 0

    def _open_sheets(self, table: Table, reminders: Table) -> None:
        self._ws = self._wb.add_worksheet(SHEET)
        for r, title in enumerate(TITLE_ROWS):
            if title:
                self._ws.write_string(r, 0, title, self._bold)
        self._ws.write_row(len(TITLE_ROWS), 0, [h for h, _ in table.columns], self._bold)
        self._row = len(TITLE_ROWS) + 1
        self._sms = self._wb.add_worksheet(SMS_SHEET)
        self._sms.write_row(0, 0, [h for h, _ in reminders.columns], self._bold)
        self._sms_row = 1

    def add(self, tables: list[Table]) -> None:
        table, reminders = tables
        if self._ws is None:
            self._open_sheets(table, reminders)
        ws, f = self._ws, table.frame
        birth_col = f.columns.index("Né(e) le")
        sample_col = f.columns.index("Date prélèvement")
        births = f["Né(e) le"].is_not_null().to_numpy()
        serial = table.extra["birth_serial"].tolist()
        as_text = table.extra["birth_as_text"].tolist()
        as_number = table.extra["birth_as_number"].tolist()
        birth_text = table.extra["birth_text"].to_list()
        sample_serial = table.extra["sample_serial"].tolist()
        rows = f.with_columns(pl.col("CP").cast(pl.Int32), pl.col("Montant facturé").cast(pl.Float64)).rows()
        for i, values in enumerate(rows):
            r = self._row + i
            values = list(values)
            values[birth_col] = None
            values[sample_col] = sample_serial[i]
            ws.write_row(r, 0, values)
            if births[i]:
                if as_text[i]:
                    ws.write_string(r, birth_col, birth_text[i])
                elif as_number[i]:
                    ws.write_number(r, birth_col, serial[i])
                else:
                    ws.write_number(r, birth_col, serial[i], self._date_fmt)
        self._row += len(rows)
        for i, values in enumerate(reminders.frame.rows()):
            self._sms.write_row(self._sms_row + i, 0, values)
        self._sms_row += reminders.frame.height

    def close(self) -> None:
        self._wb.close()


def open_writer(path: Path) -> Writer:
    return Writer(path)
