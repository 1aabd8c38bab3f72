"""fuite.report.document: the HTML page and the PDF built from figures (no browser needed)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from fuite.errors import ReportError
from fuite.report import MASKED, build_figures, render_html, render_pdf
from fuite.taxonomy import SPECIAL_CONDITIONS, get
from test_report_figures import hand_built


class _Text(HTMLParser):
    """Visible text of a page (style/script skipped), and every URL-bearing attribute."""

    def __init__(self):
        super().__init__()
        self.parts, self.urls, self._skip = [], [], 0
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = []
        self.urls += [v for k, v in attrs if k in ("src", "href", "xlink:href", "data", "action") and v]

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)
            if self._cell is not None:
                self._cell.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def page_text(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def drill():
    return hand_built(persons=60, seed=1)


@pytest.fixture(scope="module")
def figures(drill):
    return build_figures(**drill.tables)


@pytest.fixture(scope="module")
def html_fr(figures):
    return render_html(figures, "fr", generated=dt.date(2021, 2, 25))


def _row(page: _Text, label: str) -> list[str]:
    rows = [r for r in page.rows if r and r[0] == label]
    assert rows, f"no table row {label!r}"
    return rows[0]


def test_html_shows_the_sections_in_french(html_fr, figures):
    page = page_text(html_fr)
    for heading in ("Synthèse", "Catégories de données exposées", "Catégories particulières (santé)",
                    "Gravité (méthode ENISA)", "Sources", "Chronologie des prélèvements", "Qualité des données"):
        assert heading in page.text
    assert "25 février 2021" in page.text
    assert f"{figures['records']}" in page.text and html_fr.startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in html_fr


def test_small_counts_are_masked_in_cells(html_fr, figures):
    page = page_text(html_fr)
    hiv = SPECIAL_CONDITIONS["hiv"][0]
    assert figures["persons_per_condition"]["hiv"] == 3
    assert _row(page, hiv)[1:] == [MASKED, "—"], "a masked count must not leak through its share either"
    pregnancy = _row(page, SPECIAL_CONDITIONS["pregnancy"][0])
    assert pregnancy[1] == str(figures["persons_per_condition"]["pregnancy"])
    assert _row(page, SPECIAL_CONDITIONS["cancer"][0])[1] == "0"
    # the HIV card of the summary too
    assert re.search(r"< 10 Personnes avec données liées au VIH", page.text)


def test_small_counts_are_masked_in_charts(html_fr):
    svgs = re.findall(r"<svg.*?</svg>", html_fr, flags=re.S)
    assert len(svgs) == 4  # categories, conditions, severity, timeline
    conditions = next(s for s in svgs if "VIH" in s)
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", conditions)
    assert labels.count("&lt; 10") == 2  # HIV and addiction
    assert "3" not in labels and "1" not in labels


def test_english_labels(figures):
    page = page_text(render_html(figures, "en", generated=dt.date(2021, 2, 25)))
    assert "Categories of data exposed" in page.text and "February 25, 2021" in page.text
    assert _row(page, get("nir").en)[2] == str(figures["persons_per_category"]["nir"])
    assert _row(page, SPECIAL_CONDITIONS["hiv"][1])[1] == MASKED
    assert "Synthèse" not in page.text


def test_no_identifier_in_html(drill, html_fr):
    assert not [v for v in drill.identifiers if v in html_fr]


def test_html_needs_nothing_from_outside(html_fr):
    page = page_text(html_fr)
    assert all(u.startswith("#") for u in page.urls), page.urls
    assert "<link" not in html_fr and "@import" not in html_fr and "url(http" not in html_fr
    assert not re.search(r"""url\(\s*['"]?(?!#)""", html_fr), "only in-page url(#id) references are allowed"


def test_chart_ids_are_unique(html_fr):
    ids = re.findall(r'\sid="([^"]+)"', html_fr)
    assert len(ids) == len(set(ids))
    for ref in re.findall(r'url\(#([^)]+)\)', html_fr):
        assert ref in ids


def test_report_without_severity_says_how_to_get_it(drill):
    figures = build_figures(**dict(drill.tables, severity=None))
    text = page_text(render_html(figures, "fr")).text
    assert "lancez « fuite assess »" in text


def test_unknown_language():
    with pytest.raises(ReportError):
        render_html(build_figures(sources=None, records=None), "de")


def test_pdf_renders_without_warnings(figures, caplog):
    with caplog.at_level("WARNING"):
        pdf = render_pdf(figures, "fr")
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert [r.getMessage() for r in caplog.records if r.levelname != "DEBUG"] == []
