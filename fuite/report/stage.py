"""The report stage over an open case: read the tables the figures need, build them, render, audit."""

from __future__ import annotations

import json

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from fuite.assess.attribution import unattributed_summary
from fuite.assess.figures import controller_figures, persons_of_records
from fuite.errors import UsageError
from fuite.report.figures import build_figures
from fuite.report.masking import mask_figures
from fuite.store.casefile import SINGLE_CONTROLLER, known

__all__ = ["FORMATS", "case_figures", "json_report", "produce_report"]

FORMATS = ("json", "html", "pdf")


def case_figures(case, name_labs: bool = False, controller: str | None = None) -> dict:
    """The figures of an open case (exact counts); the persons must be resolved (else records would count as persons).

    ``controllers`` gives each controller's figures and ``unattributed`` the records none holds, by file.
    ``controller``: one controller's own report, over its records only (persons with what those expose).
    """
    from fuite.assess.stage import attribution_for_case
    from fuite.report.case_input import read_tables
    from fuite.resolve.stage import require_tables

    require_tables(case, "records", "persons")
    breach = case.meta_get("assess.breach", None) if case.has_table("severity") else None
    cf = case.settings
    chosen = [cf.controller_by_id(controller)] if controller else list(cf.controllers)
    if cf.many:   # first, and cut to what the figures need: one record frame at a time
        attributed = attribution_for_case(case)
    else:         # the one [controller] holds every record (its rule is "*"): nothing to read
        attributed = pl.DataFrame(schema={"record_id": pl.Int64, "person_id": pl.Int64, "file": pl.String,
                                          "controllers": pl.String, "attribution": pl.String})
    unattributed = None if controller else unattributed_summary(attributed)
    owners = attributed.select("record_id", "controllers") if cf.many else None
    del attributed
    tables = read_tables(case)
    held = _with_controllers(tables["records"], owners)
    del owners
    if controller:
        tables = _own_tables(tables, held, controller)
        breach = None   # the breach's score is the whole case's
    figures = build_figures(**tables, breach=breach, name_labs=name_labs)
    del tables
    figures["controllers"] = controller_figures(held, chosen)
    if unattributed is not None:
        figures["unattributed"] = unattributed
    return figures


def _with_controllers(records: pl.DataFrame | None, owners: pl.DataFrame | None) -> pl.DataFrame:
    """The report's record columns with each record's ``controllers`` (``owners`` None: all the one controller's)."""
    if records is None:
        records = pl.DataFrame(schema={"record_id": pl.Int64})
    frame = records.select([c for c in ("record_id", "source_id", "file", "person_id", "categories", "hiv",
                                        "health", "conditions") if c in records.columns])
    if owners is None:
        return frame.with_columns(pl.lit(SINGLE_CONTROLLER, pl.String).alias("controllers"))
    return frame.join(owners, on="record_id", how="left")


def _own_tables(tables: dict, held: pl.DataFrame, cid: str) -> dict:
    """The report's tables cut to one controller's records, their persons, sources and files."""
    mine = held.filter(pl.col("controllers").str.split(";").list.contains(cid))
    records = tables["records"].join(mine.select("record_id"), on="record_id", how="semi")
    persons = persons_of_records(mine.select("person_id", "categories", "hiv", "health", "conditions")).to_arrow()
    files = pa.array(mine["file"].unique().to_list(), pa.string())
    cut = dict(tables, records=records, persons=persons)
    for name, key, allowed in (("sources", "source_id", pa.array(mine["source_id"].unique().to_numpy())),
                               ("columns", "file", files), ("quarantine", "file", files), ("problems", "file", files),
                               ("severity", "person_id", persons["person_id"])):
        table = tables.get(name)
        if table is not None and key in table.column_names:
            cut[name] = table.filter(pc.is_in(table[key], allowed.cast(table.schema.field(key).type)))
    return cut


def json_report(case, mask: bool = False, name_labs: bool = False, controller: str | None = None) -> dict:
    """The JSON figure sheet of an open case; ``mask``: small counts become "< 10"."""
    figures = case_figures(case, name_labs, controller)
    return mask_figures(figures) if mask else figures


def produce_report(case, fmt: str, lang: str = "fr", mask: bool = False, title: str | None = None,
                   name_labs: bool = False, controller_id: str | None = None, progress=None) -> bytes:
    """The report of an open case in ``fmt`` (json, html or pdf), as bytes; audited.

    ``controller_id``: that controller's own report (its records only). ``progress``: a ``fuite.progress.Tracker``
    (a bar of two steps: the figures, the document).
    """
    from fuite.progress import NO_PROGRESS

    if fmt not in FORMATS:
        raise UsageError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
    steps = (progress or NO_PROGRESS).bar("report: figures", 2, "steps")
    figures = case_figures(case, name_labs, controller_id)
    steps.advance(label=f"report: the {fmt} document")
    cf = case.settings
    party = cf.controller_by_id(controller_id).party if controller_id else cf.controller
    controller = known(party.name) or None
    if fmt == "json":
        data = json.dumps(mask_figures(figures) if mask else figures, ensure_ascii=False, indent=2).encode() + b"\n"
    elif fmt == "html":
        from fuite.report import render_html

        data = render_html(figures, lang, title=title, controller=controller).encode("utf-8")
    else:
        from fuite.report import render_pdf

        data = render_pdf(figures, lang, title=title, controller=controller)
    steps.finish()
    case.audit("report", records=0, detail={"format": fmt, "lang": lang, "masked": bool(mask or fmt != "json"),
                                                    "lab_names": name_labs, "controller": controller_id})
    return data
