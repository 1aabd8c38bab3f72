"""The report stage over an open case: read the tables the figures need, build them, render, audit."""

from __future__ import annotations

import json

from fuite.errors import UsageError
from fuite.report.figures import build_figures
from fuite.report.masking import mask_figures
from fuite.store.casefile import known

__all__ = ["FORMATS", "case_figures", "json_report", "produce_report"]

FORMATS = ("json", "html", "pdf")


def case_figures(case, name_labs: bool = False) -> dict:
    """The figures of an open case (exact counts); the persons must be resolved (else records would count as persons)."""
    from fuite.report.case_input import read_tables
    from fuite.resolve.stage import require_tables

    require_tables(case, "records", "persons")
    breach = case.meta_get("assess.breach", None) if case.has_table("severity") else None
    return build_figures(**read_tables(case), breach=breach, name_labs=name_labs)


def json_report(case, mask: bool = False, name_labs: bool = False) -> dict:
    """The JSON figure sheet of an open case; ``mask``: small counts become "< 10"."""
    figures = case_figures(case, name_labs)
    return mask_figures(figures) if mask else figures


def produce_report(case, fmt: str, lang: str = "fr", mask: bool = False, title: str | None = None,
                   name_labs: bool = False) -> bytes:
    """The report of an open case in ``fmt`` (json, html or pdf), as bytes; audited."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
    figures = case_figures(case, name_labs)
    controller = known(case.settings.controller.name) or None
    if fmt == "json":
        data = json.dumps(mask_figures(figures) if mask else figures, ensure_ascii=False, indent=2).encode() + b"\n"
    elif fmt == "html":
        from fuite.report import render_html

        data = render_html(figures, lang, title=title, controller=controller).encode("utf-8")
    else:
        from fuite.report import render_pdf

        data = render_pdf(figures, lang, title=title, controller=controller)
    case.audit("report", records=0, detail={"format": fmt, "lang": lang, "masked": bool(mask or fmt != "json"),
                                                    "lab_names": name_labs})
    return data
