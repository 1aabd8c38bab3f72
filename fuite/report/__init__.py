"""fuite.report: the DPO's report — aggregate figures (JSON) and an HTML/PDF document with charts.

``build_figures`` (pure, Arrow tables in, dict out) → ``render_html`` / ``render_pdf``;
``case_figures`` and ``json_report`` read an open case. No identifier ever reaches a report.
"""

from __future__ import annotations

from fuite.report.figures import FORMAT, build_figures
from fuite.report.masking import MASKED, SMALL_COUNT, mask_count, mask_figures

__all__ = ["FORMAT", "MASKED", "SMALL_COUNT", "build_figures", "case_figures", "json_report", "mask_count",
           "mask_figures", "render_html", "render_pdf", "produce_report"]

FORMATS = ("json", "html", "pdf")


def case_figures(case, name_labs: bool = False) -> dict:
    """The figures of an open case (exact counts)."""
    from fuite.report.case_input import read_tables

    breach = case.meta_get("assess.breach", None) if case.has_table("severity") else None
    return build_figures(**read_tables(case), breach=breach, name_labs=name_labs)


def json_report(case, mask: bool = False, name_labs: bool = False) -> dict:
    """The JSON figure sheet of an open case; ``mask``: small counts become "< 10"."""
    figures = case_figures(case, name_labs)
    return mask_figures(figures) if mask else figures


def render_html(figures: dict, lang: str = "fr", **kwargs) -> str:
    from fuite.report.document import render_html as _render

    return _render(figures, lang, **kwargs)


def render_pdf(figures: dict, lang: str = "fr", **kwargs) -> bytes:
    from fuite.report.document import render_pdf as _render

    return _render(figures, lang, **kwargs)


def produce_report(case, fmt: str, lang: str = "fr", mask: bool = False, title: str | None = None,
                   name_labs: bool = False) -> bytes:
    """The report of an open case in ``fmt`` (json, html or pdf), as bytes; audited."""
    import json

    from fuite.errors import UsageError
    from fuite.store.casefile import known

    if fmt not in FORMATS:
        raise UsageError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
    figures = case_figures(case, name_labs)
    controller = known(case.settings.controller.name) or None
    if fmt == "json":
        data = json.dumps(mask_figures(figures) if mask else figures, ensure_ascii=False, indent=2).encode() + b"\n"
    elif fmt == "html":
        data = render_html(figures, lang, title=title, controller=controller).encode("utf-8")
    else:
        data = render_pdf(figures, lang, title=title, controller=controller)
    case.audit("report", records=0, detail={"format": fmt, "lang": lang, "masked": bool(mask or fmt != "json"),
                                                    "lab_names": name_labs})
    return data

