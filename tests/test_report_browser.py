"""The rendered report read back as a reader gets it: HTML in headless Chromium, PDF through poppler.

Needs Debian ``chromium`` and ``poppler-utils`` (pdftotext, pdftoppm, pdfinfo); skipped with the reason otherwise.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from conftest import run_fuite
from fuite.report import MASKED
from fuite.taxonomy import SPECIAL_CONDITIONS
from test_report_cli import make_case
from test_report_document import page_text
from test_report_figures import hand_built

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
POPPLER = all(shutil.which(t) for t in ("pdftotext", "pdftoppm", "pdfinfo"))

needs_chromium = [pytest.mark.browser,
                  pytest.mark.skipif(not CHROMIUM, reason="Debian chromium is not installed (apt-get install chromium)")]
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed (apt-get install poppler-utils)")


@pytest.fixture(scope="module")
def drill():
    return hand_built(persons=120, seed=11)


@pytest.fixture(scope="module")
def rendered(drill, tmp_path_factory) -> dict[str, Path]:
    """The report of a real encrypted case, in HTML (fr, en) and PDF (fr), written by `fuite report`."""
    work = tmp_path_factory.mktemp("rendered")
    case = make_case(work / "case", drill)
    out = {}
    for name, fmt, lang in (("html", "html", "fr"), ("html_en", "html", "en"), ("pdf", "pdf", "fr")):
        out[name] = work / f"report-{name}.{fmt}"
        run_fuite("report", "--case", str(case), "--format", fmt, "--lang", lang, "--output", str(out[name]),
                  check=True)
    return out


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           "--no-first-run", "--disable-extensions", "--proxy-server=127.0.0.1:9",
                           *args], capture_output=True, text=True, timeout=180)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _png_is_not_blank(path: Path) -> bool:
    """True when the image has more than one colour (decoded from its IDAT chunks)."""
    data, pos, idat = path.read_bytes(), 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return len(set(raw[i:i + 3] for i in range(1, min(len(raw), 400_000), 3))) > 8


@needs_chromium[0]
@needs_chromium[1]
def test_chromium_shows_the_report(rendered, drill):
    proc = _chromium("--dump-dom", rendered["html"].as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    page = page_text(proc.stdout)
    assert "Violation de données de santé" in page.text
    hiv = [r for r in page.rows if r and r[0] == SPECIAL_CONDITIONS["hiv"][0]]
    assert hiv and hiv[0][1] == MASKED
    assert page.text.count("< 10") >= 3
    assert proc.stdout.count("<svg") == 4, "the four charts are inline SVG"
    assert not [v for v in drill.identifiers if v in proc.stdout]


@needs_chromium[0]
@needs_chromium[1]
def test_chromium_english_version(rendered):
    page = page_text(_chromium("--dump-dom", rendered["html_en"].as_uri()).stdout)
    assert "Health-data breach — report to the DPO" in page.text and "Timeline of sample dates" in page.text


@needs_chromium[0]
@needs_chromium[1]
def test_chromium_screenshot(rendered, tmp_path):
    shot = tmp_path / "report.png"
    proc = _chromium(f"--screenshot={shot}", "--window-size=1000,1400", "--hide-scrollbars",
                     rendered["html"].as_uri())
    assert shot.exists(), proc.stderr[-2000:]
    assert _png_size(shot) == (1000, 1400)
    assert _png_is_not_blank(shot)


@needs_poppler
def test_pdf_text_and_pages(rendered, drill, tmp_path):
    info = subprocess.run(["pdfinfo", str(rendered["pdf"])], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 2
    text = subprocess.run(["pdftotext", "-layout", str(rendered["pdf"]), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Catégories particulières (santé)" in text and "Qualité des données" in text
    assert f"Page 1 sur {pages}" in text and f"Page {pages} sur {pages}" in text
    hiv_line = next(line for line in text.splitlines() if line.strip().startswith("VIH (infection"))
    assert MASKED in hiv_line
    assert not [v for v in drill.identifiers if v in text]


@needs_poppler
def test_pdf_renders_to_png(rendered, tmp_path):
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(rendered["pdf"]), str(tmp_path / "p")],
                   check=True, capture_output=True)
    (png,) = tmp_path.glob("p-*.png")
    width, height = _png_size(png)
    assert abs(width / height - 210 / 297) < 0.01  # A4 portrait
    assert _png_is_not_blank(png)
