"""The HTML and PDF report: figures → a page model → Jinja2 template → HTML (→ WeasyPrint PDF).

``page_model`` is pure: it formats the figures in one language, masks small counts and draws
the charts. The HTML is one self-contained file (CSS and SVG inline) that opens offline.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from functools import cache
from importlib.resources import files

import jinja2

from fuite.errors import ReportError
from fuite.report import charts
from fuite.report.masking import is_small
from fuite.report.wording import (
    LANGS, TEXT, category_label, condition_label, fmt_count, fmt_number, fmt_share, month_label, severity_label,
)
from fuite.taxonomy import get

__all__ = ["page_model", "render_html", "render_pdf"]

_NOT_PERSONAL = ("other",)


def page_model(figures: dict, lang: str = "fr", title: str | None = None,
               generated: dt.date | None = None, controller: str | None = None) -> dict:
    """Everything the template shows, formatted in ``lang``, small counts masked."""
    if lang not in LANGS:
        raise ReportError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    t = TEXT[lang]

    def n(value: int) -> str:
        return fmt_count(value, lang)

    persons = figures["persons"]
    return {
        "lang": lang, "t": t, "title": title or t["title"], "controller": controller or "",
        "generated": _date_label(generated or dt.date.today(), lang),
        "summary": _summary(figures, lang, n),
        "categories": _categories(figures, lang, n, persons),
        "conditions": _conditions(figures, lang, n, persons),
        "severity": _severity(figures, lang, n),
        "sources": [{**s, "rows_read": n(s["rows_read"]), "rows_quarantined": fmt_number(s["rows_quarantined"], lang),
                     "persons": n(s["persons"]),
                     "categories": ", ".join(category_label(c, lang) for c in s["categories"])}
                    for s in figures["sources"]],
        "timeline": _timeline(figures, lang, n),
        "labs": {"named": [{"lab": lab["lab"], "persons": n(lab["persons"])} for lab in figures["labs"]["named"]],
                 "unnamed": figures["labs"]["unnamed"]},
        "quality": _quality(figures, lang),
        "controllers": _controllers(figures, lang, n),
    }


def _controllers(figures: dict, lang: str, n) -> dict:
    """A table per controller (its persons, records, health and HIV, categories) and the unattributed files."""
    listed = figures.get("controllers") or []
    free = figures.get("unattributed") or {}
    if len(listed) <= 1 and not free.get("records") and all(c["id"] == "controller" for c in listed):
        return {"tables": [], "unattributed": []}   # a single-controller case: the summary says it all
    tables = []
    for c in listed:
        counts = sorted(((cid, v) for cid, v in c["categories"].items() if v > 0 and cid not in _NOT_PERSONAL),
                        key=lambda item: -item[1])
        line = TEXT[lang]["controller_line"].format(persons=n(c["persons"]), records=n(c["records"]),
                                                    health=n(c["persons_health"]), hiv=n(c["persons_hiv"]))
        tables.append({"name": c["name"] or c["id"], "line": line,
                       "rows": [{"label": category_label(cid, lang), "persons": n(v), "masked": is_small(v),
                                 "share": fmt_share(v, c["persons"], lang)} for cid, v in counts]})
    return {"tables": tables, "unattributed": [{"file": f, "records": n(v)}
                                               for f, v in (free.get("records_per_file") or {}).items()]}


def _date_label(day: dt.date, lang: str) -> str:
    label = month_label(f"{day.year}-{day.month:02d}", lang, long=True)
    return f"{day.day} {label}" if lang == "fr" else f"{label.split()[0]} {day.day}, {day.year}"


def _summary(figures: dict, lang: str, n) -> dict:
    period = figures["sample_period"]
    t = TEXT[lang]
    if period:
        first, last = (month_label(period[k], lang, long=True) for k in ("first", "last"))
        period_text = first if first == last else f"{first} – {last}"
    else:
        period_text = t["period_none"]
    tables = len(figures["sources"])
    return {
        "persons": n(figures["persons"]), "records": n(figures["records"]),
        "files": f"{len(figures['files'])}", "tables": f"{tables} {t['tables']}",
        "period": period_text, "labs": str(figures["labs"]["count"]),
        "persons_health": n(figures["persons_health"]), "persons_hiv": n(figures["persons_hiv"]),
    }


def _categories(figures: dict, lang: str, n, total: int) -> dict:
    counts = [(cid, c) for cid, c in figures["persons_per_category"].items() if c > 0 and cid not in _NOT_PERSONAL]
    counts.sort(key=lambda item: -item[1])
    rows = [{"label": category_label(cid, lang), "special": _is_special(cid), "persons": n(c),
             "masked": is_small(c), "share": fmt_share(c, total, lang)} for cid, c in counts]
    chart = charts.bar_chart("categories", TEXT[lang]["categories"], [r["label"] for r in rows],
                             [c for _, c in counts], lambda v: fmt_count(v, lang)) if counts else ""
    return {"rows": rows, "chart": chart}


def _is_special(category_id: str) -> bool:
    try:
        return get(category_id).special
    except KeyError:
        return False


def _conditions(figures: dict, lang: str, n, total: int) -> dict:
    counts = list(figures["persons_per_condition"].items())
    rows = [{"label": condition_label(key, lang), "persons": n(c), "masked": is_small(c),
             "share": fmt_share(c, total, lang)} for key, c in counts]
    chart = charts.bar_chart("conditions", TEXT[lang]["special"], [r["label"] for r in rows],
                             [c for _, c in counts], lambda v: fmt_count(v, lang), colours=["#8e3b46"] * len(rows))
    return {"rows": rows, "chart": chart}


def _severity(figures: dict, lang: str, n) -> dict | None:
    severity = figures["severity"]
    if not severity:
        return None
    per_level = severity["persons_per_level"]
    total = sum(per_level.values())
    rows = [{"label": severity_label(level, lang), "persons": n(c), "share": fmt_share(c, total, lang)}
            for level, c in per_level.items()]
    colours = list(charts.SEVERITY_COLOURS) + [charts.MUTED] * max(len(rows) - len(charts.SEVERITY_COLOURS), 0)
    chart = charts.bar_chart("severity", TEXT[lang]["severity"], [r["label"] for r in rows],
                             list(per_level.values()), lambda v: fmt_count(v, lang), colours=colours[:len(rows)])
    level = severity.get("breach_level")
    score = severity.get("breach_score")
    return {"rows": rows, "chart": chart, "not_assessed": n(severity["not_assessed"]),
            "has_not_assessed": severity["not_assessed"] > 0,
            "breach_level": severity_label(level, lang) if level else "",
            "breach_score": _decimal(score, lang) if score is not None else ""}


def _timeline(figures: dict, lang: str, n) -> dict:
    per_month = _fill_months(figures["samples_per_month"])
    if not per_month:
        return {"chart": ""}
    chart = charts.timeline_chart("timeline", TEXT[lang]["timeline"], list(per_month), list(per_month.values()),
                                  lambda v: fmt_number(v, lang),
                                  lambda m: month_label(m, lang) if len(per_month) <= 36 else m[:4])
    return {"chart": chart}


def _fill_months(per_month: dict[str, int]) -> dict[str, int]:
    """Every month between the first and the last, zero where nothing was sampled."""
    if not per_month:
        return {}
    first, last = min(per_month), max(per_month)
    year, month = int(first[:4]), int(first[5:7])
    filled = {}
    while f"{year}-{month:02d}" <= last:
        key = f"{year}-{month:02d}"
        filled[key] = per_month.get(key, 0)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return filled


def _quality(figures: dict, lang: str) -> dict:
    q = figures["quality"]
    t = TEXT[lang]
    reasons = sorted(q["quarantine_reasons"].items(), key=lambda item: -item[1])[:10]
    return {
        "rows_quarantined": fmt_number(q["rows_quarantined"], lang),
        "has_quarantine": q["rows_quarantined"] > 0,
        "reasons": [{"reason": r, "count": fmt_number(c, lang)} for r, c in reasons],
        "problems": q["problems"], "unreadable": q["unreadable_files"],
        "low": [{**c, "column": t["column_n"].format(n=c["position"]), "category": category_label(c["category"], lang),
                 "confidence": _decimal(c["confidence"], lang)} for c in q["low_confidence_columns"]],
        "low_threshold": _decimal(q["low_confidence_threshold"], lang),
        "no_date": fmt_count(q["records_without_sample_date"], lang),
        "has_no_date": q["records_without_sample_date"] > 0,
    }


def _decimal(value: float, lang: str) -> str:
    text = f"{value:.2f}"
    return text.replace(".", ",") if lang == "fr" else text


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("fuite.report", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


def render_html(figures: dict, lang: str = "fr", title: str | None = None,
                generated: dt.date | None = None, controller: str | None = None) -> str:
    """The whole report as one self-contained HTML page; ``controller``: the data controller's name."""
    model = page_model(figures, lang, title, generated, controller)
    css = files("fuite.report").joinpath("templates/report.css").read_text(encoding="utf-8")
    return _environment().get_template("report.html.j2").render(css=css, **model)


def render_pdf(figures: dict, lang: str = "fr", title: str | None = None,
               generated: dt.date | None = None, controller: str | None = None) -> bytes:
    """The report as an A4 PDF (WeasyPrint; no network: every resource is inline)."""
    import weasyprint

    html = _svg_as_images(render_html(figures, lang, title, generated, controller))
    offline = weasyprint.urls.URLFetcher(allowed_protocols=("data",))  # the report needs nothing outside itself
    return weasyprint.HTML(string=html, url_fetcher=offline).write_pdf()


def _svg_as_images(html: str) -> str:
    """Charts as ``data:`` images for WeasyPrint, which would otherwise read SVG styles as HTML CSS."""
    def image(match: re.Match) -> str:
        svg = match.group(0)
        label = re.search(r'aria-label="([^"]*)"', svg)
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        return f'<img class="chart" alt="{label.group(1) if label else ""}" src="data:image/svg+xml;base64,{data}">'

    return re.sub(r"<svg\b.*?</svg>", image, html, flags=re.S)
