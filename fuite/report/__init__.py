"""fuite.report: the DPO's report — aggregate figures (JSON) and an HTML/PDF document with charts.

``build_figures`` (pure, Arrow tables in, dict out) → ``render_html`` / ``render_pdf``; the stage
(``fuite.report.stage``: ``case_figures``, ``json_report``, ``produce_report``) reads an open case and audits.
No identifier ever reaches a report.
"""

from __future__ import annotations

from fuite.lazy import lazy_exports
from fuite.report.figures import FORMAT, build_figures
from fuite.report.masking import MASKED, SMALL_COUNT, mask_count, mask_figures

__all__ = ["FORMAT", "MASKED", "SMALL_COUNT", "build_figures", "case_figures", "json_report", "mask_count",
           "mask_figures", "render_html", "render_pdf", "produce_report"]

def render_html(figures: dict, lang: str = "fr", **kwargs) -> str:
    from fuite.report.document import render_html as _render

    return _render(figures, lang, **kwargs)


def render_pdf(figures: dict, lang: str = "fr", **kwargs) -> bytes:
    from fuite.report.document import render_pdf as _render

    return _render(figures, lang, **kwargs)


#: The stage's names, loaded on first use (the stage reads the case through the resolve stage's guard).
__getattr__ = lazy_exports(globals(), {name: "fuite.report.stage"
                                       for name in ("FORMATS", "case_figures", "json_report", "produce_report")})
