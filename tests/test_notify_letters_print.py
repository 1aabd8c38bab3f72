"""Print-ready letters: duplex-safe on the longest notices, postcode order, manifests, 0600; read with poppler."""

from __future__ import annotations

import json
import stat
import subprocess
import tomllib

import pytest
from test_notify_support import FILLED_CASE, persons_table

from fuite import taxonomy
from fuite.notify.persons import PersonsOptions, notify_persons
from fuite.store.casefile import parse_case_file
from conftest import access

CASE_FILE = parse_case_file(tomllib.loads(FILLED_CASE.replace(
    '# The self-check page (fuite serve), if published.\nurl = ""',
    'url = "https://verification.bioline-armor.test/verifier-mes-donnees"')))
ALL_CATEGORIES = ";".join(c.id for c in taxonomy.CATEGORIES)
ALL_CONDITIONS = ";".join(taxonomy.SPECIAL_CONDITIONS)


def _longest(i: int) -> dict:
    """A notice as long as they come: every category and condition, long name, long address."""
    return dict(person_id=1000 + i, first_name="Marie-Bernadette-Éléonore", last_name="de La Tour d'Auvergne-Lauraguais",
                birth_date="1950-01-01", nir="1", email=None,
                street="Résidence des Grands Chênes, bâtiment B, 127 boulevard du Maréchal-de-Lattre-de-Tassigny",
                postal_code=f"{97400 - 37 * i:05d}", city="Saint-Rémy-en-Bouzemont-Saint-Genest-et-Isson",
                categories=ALL_CATEGORIES, health=True, hiv=True, conditions=ALL_CONDITIONS, labs="A")


def _short(i: int) -> dict:
    return dict(person_id=2000 + i, first_name="ZOÉ", last_name="LEFÈVRE", email=None, street=f"{i} rue de la Paix",
                postal_code=f"{44000 + i:05d}", city="Nantes", categories="last_name;first_name;street_address",
                health=False, hiv=False)


def _pages(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    return text.split("\f")[:-1]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("letters")
    rows = [_longest(i) for i in range(6)] + [_short(i) for i in range(5)]
    from fuite.store import open_case
    with open_case(tmp / "case", access(), create=True) as case:
        report = notify_persons(case.conn, persons_table(rows), CASE_FILE,
                                PersonsOptions(letters_dir=tmp / "out", letters_per_pdf=4, name_conditions=True),
                                secret=b"k" * 32)
    return rows, report, tmp / "out"


def test_each_letter_starts_on_a_front_page_and_takes_one_sheet(printed):
    rows, report, out = printed
    starts = []
    for pdf in sorted(out.glob("*.pdf")):
        pages = _pages(pdf)
        assert len(pages) % 2 == 0
        first = [k for k, page in enumerate(pages, 1) if "Objet : information importante" in page]
        starts += first
        assert all(k % 2 == 1 for k in first), first          # always a front page
        assert len(pages) == 2 * len(first)                    # one sheet each, even the longest
        for k in first:                                        # French on the front, English on the back
            assert "Ce que nous avons fait" in pages[k - 1] and "What we have done" in pages[k]
    assert len(starts) == len(rows) == report.letters and report.letter_pages == 2 * len(rows)


def test_batches_follow_the_postcode_with_a_manifest_holding_no_identifier(printed):
    rows, _, out = printed
    manifests = [json.loads(p.read_text()) for p in sorted(out.glob("*.manifest.json"))]
    assert [m["letters"] for m in manifests] == [4, 4, 3]
    assert all(m["pages"] == 2 * m["letters"] == 2 * m["sheets_duplex"] for m in manifests)
    bounds = [(m["postcode_first"], m["postcode_last"]) for m in manifests]
    assert bounds == sorted(bounds) and all(a <= b for a, b in bounds)
    assert bounds[0][0] == min(r["postal_code"] for r in rows) and bounds[-1][1] == max(r["postal_code"] for r in rows)
    text = "".join(p.read_text() for p in out.glob("*.manifest.json"))
    assert "Lefèvre" not in text and "LEFÈVRE" not in text and "rue" not in text and "Tour" not in text


def test_letters_are_private_files(printed):
    _, _, out = printed
    files = list(out.iterdir())
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert stat.S_IMODE(out.stat().st_mode) & 0o077 == 0


def test_the_letter_reads_as_a_person_writes_it(printed):
    _, _, out = printed
    pages = _pages(sorted(out.glob("*.pdf"))[0])   # postcode order: the 44xxx letters come first
    front = "\n".join(pages)
    assert "Bonjour Zoé Lefèvre," in front and "ZOÉ" not in front.replace("Zoé LEFÈVRE", "")
    assert "Laboratoire Bioline Armor" in front and "Claire Le Goff" in front    # who signs, and the DPO
    assert "verifier-mes-" in front and "verification.bioline-armor.test" in front   # the self-check link


def test_the_longest_letter_renders_as_an_image(printed, tmp_path):
    _, _, out = printed
    first = sorted(out.glob("*.pdf"))[-1]   # the 97xxx letters: the longest notices
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "2", str(first), str(tmp_path / "p")], check=True)
    images = sorted(tmp_path.glob("p-*.png"))
    assert len(images) == 2 and all(img.stat().st_size > 3000 for img in images)
