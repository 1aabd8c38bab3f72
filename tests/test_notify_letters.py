"""Postal letters: PDF batches read back as text, addressed in the French way, written exactly once."""

from __future__ import annotations

import io
import json
import tomllib

import pytest
from pypdf import PdfReader
from test_notify_support import FILLED_CASE, PEOPLE, persons_table

from fuite.notify import ledger
from fuite.store.casefile import parse_case_file
from fuite.notify.letters import has_postal_address
from fuite.notify.notice import postal_block, usable_email
from fuite.notify.persons import PersonsOptions, notify_persons
from conftest import access

CASE_FILE = parse_case_file(tomllib.loads(FILLED_CASE))


def _letter_rows(n: int) -> list[dict]:
    rows = []
    for i in range(1, n + 1):
        rows.append(dict(person_id=100 + i, last_name=f"Lefèvre{i}", first_name=f"Zoé{i}", email=None,
                         street=f"{i} rue de la Paix", postal_code="44000", city="Nantes",
                         categories="last_name;first_name;street_address;postal_code;city" +
                         (";nir" if i % 2 else ";blood_group"), nir="1" if i % 2 else None,
                         health=not i % 2, hiv=False))
    return rows


def _pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def _case(tmp_path):
    from fuite.store import open_case
    return open_case(tmp_path / "case", access(), create=True)


@pytest.mark.parametrize("jobs", [1, 2])
def test_letters_are_batched_addressed_and_name_each_persons_own_data(tmp_path, jobs):
    rows = _letter_rows(5)
    out = tmp_path / "letters"
    with _case(tmp_path) as case:
        report = notify_persons(case.conn, persons_table(rows), CASE_FILE,
                                PersonsOptions(letters_dir=out, letters_per_pdf=2, jobs=jobs), secret=b"k" * 32)
        states = {ledger.entry(case.conn, r["person_id"], "letter")["state"] for r in rows}
        again = notify_persons(case.conn, persons_table(rows), CASE_FILE,
                               PersonsOptions(letters_dir=out, letters_per_pdf=2), secret=b"k" * 32)
    files = sorted(out.glob("*.pdf"))
    assert report.letters == 5 and len(files) == 3 and states == {"sent"}
    assert again.letters == 0 and len(sorted(out.glob("*.pdf"))) == 3
    assert not list(out.glob(".*partial"))
    texts = [_pdf_text(f) for f in files]
    everything = "\n".join(texts)
    for r in rows:
        assert everything.count(f"Zoé{r['person_id'] - 100} LEFÈVRE{r['person_id'] - 100}") == 1
    # each letter (FR page then EN page) names the person's own exposed data
    first = PdfReader(str(files[0]))
    page1 = first.pages[0].extract_text()
    assert "44000 NANTES" in page1 and "1 rue de la Paix" in page1
    assert "numéro de sécurité sociale" in page1 and "groupe sanguin" not in page1
    page3 = first.pages[2].extract_text() if len(first.pages) > 2 else ""
    assert "groupe sanguin" in "\n".join(p.extract_text() for p in first.pages[1:])
    assert "social security number" in everything and "Dear" in everything
    assert page3  # two pages per letter


def test_only_persons_without_usable_email_get_letters(tmp_path):
    out = tmp_path / "letters"
    with _case(tmp_path) as case:
        report = notify_persons(case.conn, persons_table(PEOPLE), CASE_FILE,
                                PersonsOptions(letters_dir=out, smtp_url="smtp://127.0.0.1:9", limit=None,
                                               dry_run=True), secret=b"k" * 32)
    expected_letters = [r for r in PEOPLE if not usable_email(r.get("email")) and has_postal_address(r)]
    assert report.planned == {"email": 3, "letter": len(expected_letters), "none": 1}
    assert not out.exists()   # dry run writes nothing


def test_postal_block_is_french_style():
    assert postal_block(dict(first_name="Chloé", last_name="Petit", street="4 allée des Chênes",
                             postal_code="35000", city="Rennes")) == ["Chloé PETIT", "4 allée des Chênes",
                                                                     "35000 RENNES"]
    long = postal_block(dict(first_name="A" * 30, last_name="B" * 30, street="x", postal_code="1", city="y"))
    assert all(len(line) <= 38 for line in long)


def _words(lines: list[str]) -> list[str]:
    """The words of address lines, a line cut after a hyphen joined back to the next."""
    text = ""
    for line in lines:
        text += line if text.endswith("-") or not text else " " + line
    return text.replace(",", " ").replace("-", " ").split()


@pytest.mark.parametrize("street, city", [
    ("Appartement 12, escalier C, Résidence Les Tilleuls, 3 rue Jean-Baptiste-Pierre-Antoine-de-Monet-de-Lamarck",
     "Paris"),
    ("Chez Mme Anne-Sophie Delacroix-Fontaine, 14 bis chemin des Vignes Hautes du Petit Clos", "Aix-en-Provence"),
    ("Lieu-dit La Grande Borne Basse du Moulin de la Fontaine Saint-Martin", "Saint-Germain-au-Mont-d'Or"),
])
def test_long_addresses_wrap_on_words_within_the_norm_and_lose_nothing(street, city):
    from fuite.notify.postal import _ABBREVIATIONS, fits_norm

    row = dict(first_name="Marie-Hélène", last_name="Dupont-Laborde", street=street, postal_code="69270", city=city)
    lines = postal_block(row)
    assert fits_norm(lines) and len(lines) <= 6 and all(len(line) <= 38 for line in lines)
    assert lines[-1] == f"69270 {city.upper()}" and lines[0] == "Marie-Hélène DUPONT-LABORDE"
    written = [w.upper() for w in _words(lines[1:-1])]
    expected = [w.upper() for w in _words([street])]
    # every word, whole and in order (a few in the norm's abbreviation when the address needed them)
    assert written == expected or written == [_ABBREVIATIONS.get(w, w) for w in expected]
def test_an_address_beyond_the_norm_keeps_every_word_and_is_counted(tmp_path):
    from fuite.notify.postal import fits_norm

    row = dict(person_id=7, first_name="Marie-Bernadette-Éléonore", last_name="de La Tour d'Auvergne-Lauraguais",
               street="Résidence des Grands Chênes, bâtiment B, 127 boulevard du Maréchal-de-Lattre-de-Tassigny",
               postal_code="51300", city="Saint-Rémy-en-Bouzemont-Saint-Genest-et-Isson", email=None,
               categories="last_name;first_name;street_address", health=False, hiv=False)
    lines = postal_block(row)
    assert not fits_norm(lines) and len(lines) <= 6
    assert lines[-1] == "51300 ST RÉMY EN BOUZEMONT ST GENEST ET ISSON"       # the routing name, uncut
    assert "127 BD DU MAL DE LATTRE DE TASSIGNY" in lines and "D'AUVERGNE-LAURAGUAIS" in lines
    with _case(tmp_path) as case:
        report = notify_persons(case.conn, persons_table([row]), CASE_FILE,
                                PersonsOptions(letters_dir=tmp_path / "out"), secret=b"k" * 32)
    assert report.letters == 1 and report.addresses_beyond_norm == 1
    assert "TASSIGNY" in _pdf_text(next((tmp_path / "out").glob("*.pdf")))


def test_the_dry_run_renders_the_letters_as_the_real_run_does_and_writes_nothing(tmp_path):
    rows = _letter_rows(5)
    out = tmp_path / "letters"
    with _case(tmp_path) as case:
        dry = notify_persons(case.conn, persons_table(rows), CASE_FILE,
                             PersonsOptions(letters_dir=out, letters_per_pdf=2, jobs=2, dry_run=True), secret=b"k" * 32)
        untouched = case.conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'notify_ledger%'").fetchall()
        real = notify_persons(case.conn, persons_table(rows), CASE_FILE,
                              PersonsOptions(letters_dir=out, letters_per_pdf=2, jobs=2), secret=b"k" * 32)
        after = notify_persons(case.conn, persons_table(rows), CASE_FILE,
                               PersonsOptions(letters_dir=out, letters_per_pdf=2, dry_run=True), secret=b"k" * 32)
    assert dry.would_send == {"email": 0, "letter": 5} and dry.rendered == 5 and untouched == []
    assert dry.letter_pages == real.letter_pages == 10 and real.letters == 5
    assert after.would_send == {"email": 0, "letter": 0} and after.letter_pages == 0


def test_interrupted_letter_batches_are_settled_by_their_files(tmp_path):
    rows = _letter_rows(4)
    out = tmp_path / "letters"
    out.mkdir()
    with _case(tmp_path) as case:
        ledger.ensure(case.conn)
        ledger.seed(case.conn, [r["person_id"] for r in rows], "letter")
        # a crash left two batches "sending": the first was written completely, the second never was
        ledger.mark_many(case.conn, [101, 102], "letter", "sending", batch="letters-old-0001.pdf")
        ledger.mark_many(case.conn, [103, 104], "letter", "sending", batch="letters-old-0002.pdf")
        (out / "letters-old-0001.pdf").write_bytes(b"%PDF-1.7 already printed")
        report = notify_persons(case.conn, persons_table(rows), CASE_FILE, PersonsOptions(letters_dir=out),
                                secret=b"k" * 32)
        states = {r["person_id"]: ledger.entry(case.conn, r["person_id"], "letter")["state"] for r in rows}
    assert report.settled == {"letter_sent": 2, "letter_pending": 2}
    assert report.letters == 2 and set(states.values()) == {"sent"}
    (new,) = [f for f in out.glob("*.pdf") if "old" not in f.name]
    text = _pdf_text(new)
    assert "Zoé3" in text and "Zoé4" in text and "Zoé1" not in text


def test_recurring_sections_are_laid_out_once_and_stay_text(tmp_path):
    from fuite.notify import letters
    from fuite.notify.notice import NoticeRenderer

    rows = _letter_rows(4)
    renderer = NoticeRenderer(CASE_FILE)
    source = letters._SHIPPED.read_bytes()
    letters._DOCS.clear(), letters._WHERE.clear()
    data = letters.letter_data(renderer, rows)
    docs = letters._use_fragments(source, data)
    # every section and the letterhead come from one new fragment document: a 7-bit PDF, one page per piece
    assert len(docs) == 1 and docs[0].isascii() and docs[0].startswith("%PDF")
    marks = [tuple(s["frag"]) for letter in data["letters"] for lang in ("fr", "en") for s in letter[lang]["sections"]]
    heads = {tuple(letter["head"]) for letter in data["letters"]}
    assert len(heads) == 1 and len(set(marks)) < len(marks)     # each shared section is laid out once
    # the exposed list differs between odd and even rows: two pieces for it in each language
    exposed = {tuple(letter[lang]["sections"][1]["frag"]) for letter in data["letters"] for lang in ("fr", "en")}
    assert len(exposed) == 4
    assert all(letter["fr"]["closing"] is None for letter in data["letters"])   # drawn by the last fragment
    assert len(set(marks) | heads) == PdfReader(io.BytesIO(docs[0].encode())).get_num_pages()
    again = letters.letter_data(renderer, rows[:2])    # a later batch lays out nothing already laid out
    assert letters._use_fragments(source, again) == docs and len(letters._DOCS) == 1
    lone = letters.letter_data(renderer, rows[:1])
    assert letters._use_fragments(b"#let data = json(bytes(sys.inputs.data))", lone) == []   # no fragment protocol
    assert "frag" not in lone["letters"][0]["fr"]["sections"][0] and lone["letters"][0]["fr"]["closing"]
    out = tmp_path / "letters"
    with _case(tmp_path) as case:
        notify_persons(case.conn, persons_table(rows), CASE_FILE, PersonsOptions(letters_dir=out), secret=b"k" * 32)
    text = _pdf_text(next(out.glob("*.pdf")))
    assert text.count("Ce que vous pouvez faire") == 4 and text.count("What you can do") == 4


def test_a_template_without_the_fragment_protocol_gets_every_word_itself(tmp_path):
    from fuite.notify.letters import render_letters_pdf
    from fuite.notify.notice import NoticeRenderer

    (tmp_path / "letter.typ").write_text(
        '#let data = json(bytes(sys.inputs.data))\n'
        '#for (i, l) in data.letters.enumerate() { if i > 0 { pagebreak() }; par(l.fr.greeting)\n'
        '  for s in l.fr.sections { par(s.title) }; pagebreak(); par(l.en.closing) }\n', encoding="utf-8")
    pdf = render_letters_pdf(NoticeRenderer(CASE_FILE), _letter_rows(2), override_dirs=[tmp_path])
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Bonjour Zoé1 Lefèvre1" in text and "Ce que vous pouvez faire" in text and "We apologise" in text


def test_sections_that_many_letters_share_in_a_row_are_one_image(tmp_path):
    from fuite.notify import letters
    from fuite.notify.notice import NoticeRenderer

    extra = ["blood_group", "medication", "sample_date", "physician_name", "insurer_name"]
    rows = _letter_rows(2 * letters._RUN_MIN)    # a list of exposed data of its own in each letter, the rest shared
    for k, row in enumerate(rows):
        row.update(nir=None, categories="last_name;first_name;street_address;postal_code;city;" +
                   ";".join(c for bit, c in enumerate(extra) if k >> bit & 1))
    renderer = NoticeRenderer(CASE_FILE)
    written = len(letters.letter_data(renderer, rows)["letters"][0]["fr"]["sections"]) + 1   # and the closing
    data = letters.letter_data(renderer, rows)
    docs = letters._use_fragments(letters._SHIPPED.read_bytes(), data)
    drawn = data["letters"][0]["fr"]["sections"]
    # what happened, the letter's exposed list, then one image from the consequences to the signature
    assert written >= 6 and len(drawn) == 3 and all(s["frag"] for s in drawn)
    pdf = letters._compile(letters._SHIPPED.read_bytes(),
                           {"data": json.dumps(data), "docs": str(len(docs))} | {f"doc{k}": d for k, d in enumerate(docs)})
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert text.count("Ce que vous pouvez faire") == len(rows) and text.count("We apologise") == len(rows)
    assert text.count("votre groupe sanguin") == len(rows) // 2
