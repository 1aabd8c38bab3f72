"""Sample notices of every variant, for the controller to read and sign off before anything is sent.

:func:`preview_rows` picks one person per variant from the case (or makes synthetic ones):
an email, a letter, a minor, a shared mailbox, a person with sensitive conditions (discreet,
and named when the run will name them). :func:`write_preview` renders each as the person
would receive it, French then English: ``<variant>.eml`` (the exact message), ``.txt`` and
``.html`` (its two parts), and one ``letters.pdf``. The files hold the sampled persons' data
in clear when drawn from the case: they are created 0600.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from fuite.notify.letters import has_postal_address, render_letters_pdf, write_private
from fuite.notify.notice import NoticeRenderer, is_minor, usable_email
from fuite.store.casefile import CaseFile

__all__ = ["VARIANTS", "LATER_VARIANTS", "preview_rows", "synthetic_rows", "write_preview"]

#: Variant name → what it shows.
VARIANTS = {
    "email": "an email notice",
    "letter": "a postal letter",
    "minor": "a notice about a minor, addressed to the legal guardians",
    "shared-mailbox": "an email to an address other persons share (conditions never named)",
    "discreet": "an email whose sensitive conditions are not named (the default)",
    "named-conditions": "the same with --name-conditions (the person's own affirmed findings)",
}

#: Variants of a complementary round (files added after the first notices), shown when there is one.
LATER_VARIANTS = {"complementary": "a complementary notice: only what the files found later add, referring to the "
                                   "first notice"}

_SENSITIVE = "hiv;pregnancy"


def synthetic_rows() -> dict[str, dict]:
    """One invented person per variant (no case data)."""
    base = dict(last_name="EXEMPLE", first_name="CAMILLE", birth_date="1984-05-17", nir=None, phone="+33600000000",
                street="8 rue des Exemples", postal_code="35000", city="Rennes", labs="Laboratoire exemple",
                categories="last_name;first_name;birth_date;email;phone;street_address;sample_date", health=True,
                hiv=False, conditions=None, email="camille.exemple@example.org")
    sensitive = dict(base, person_id=5, categories=base["categories"] + ";medication", hiv=True,
                     conditions=_SENSITIVE)
    return {
        "email": dict(base, person_id=1),
        "letter": dict(base, person_id=2, email=None, nir="1", categories=base["categories"] + ";nir"),
        "minor": dict(base, person_id=3, first_name="LÉO", birth_date="2014-09-01", email="famille@example.org"),
        "shared-mailbox": dict(sensitive, person_id=4, email="famille@example.org", shared_mailbox=True),
        "discreet": sensitive,
        "named-conditions": dict(sensitive, person_id=6),
        "complementary": dict(base, person_id=7, complement_kind="grown", new_categories="nir;blood_group",
                              new_conditions="", new_health=True, first_notice="2026-03-04"),
    }


def signed_synthetic(rows: dict[str, dict], case_file: CaseFile) -> dict[str, dict]:
    """Invented persons of a case of several controllers: each held by its first two controllers (one notice
    naming both, as a person seen by two labs gets); a single-controller case's rows unchanged."""
    if not case_file.many:
        return rows
    ids = ";".join(c.id for c in case_file.controllers[:2])
    return {variant: {**row, "controllers": ids} for variant, row in rows.items()}


def preview_rows(persons: pa.Table, shared: set[str]) -> dict[str, dict]:
    """One person of the case per variant, where the case has one (first found in the persons table)."""
    found: dict[str, dict] = {}
    for batch in persons.to_batches(max_chunksize=10_000):
        for row in batch.to_pylist():
            email = usable_email(row.get("email"))
            sensitive = bool(row.get("hiv") or row.get("conditions"))
            if email and email.lower() in shared and sensitive:
                found.setdefault("shared-mailbox", dict(row, shared_mailbox=True))
            elif email and sensitive:
                found.setdefault("discreet", row)
                found.setdefault("named-conditions", row)
            elif email:
                found.setdefault("email", row)
            if is_minor(row.get("birth_date")) and (email or has_postal_address(row)):
                found.setdefault("minor", row)
            if not email and has_postal_address(row):
                found.setdefault("letter", row)
            if len(found) == len(VARIANTS):
                return found
    return found


def write_preview(case_file: CaseFile, rows: dict[str, dict], out: Path, *, override_dirs: list[Path] | None = None,
                  secret: bytes = b"preview") -> list[Path]:
    """Render every sampled variant under ``out`` (created 0700, files 0600); return the files written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    sender = case_file.smtp.sender or "notices@fuite.invalid"
    discreet = NoticeRenderer(case_file, override_dirs, secret=secret, sender=sender, name_conditions=False)
    named = NoticeRenderer(case_file, override_dirs, secret=secret, sender=sender, name_conditions=True)
    written = []
    for variant, row in rows.items():
        renderer = named if variant == "named-conditions" else discreet
        if variant == "letter":
            written.append(write_private(out / "letter.pdf", render_letters_pdf(renderer, [row],
                                                                                override_dirs=override_dirs)))
            continue
        address = usable_email(row.get("email")) or "recipient@fuite.invalid"
        rendered = renderer.render(row)
        _, message = renderer.email(row, address, rendered)
        written.append(write_private(out / f"{variant}.eml", message))
        written.append(write_private(out / f"{variant}.txt", rendered.text.encode()))
        written.append(write_private(out / f"{variant}.html", rendered.html.encode()))
    letters = [r for v, r in rows.items() if v != "letter" and has_postal_address(r)]
    if letters:
        written.append(write_private(out / "letters-all-variants.pdf",
                                     render_letters_pdf(discreet, letters, override_dirs=override_dirs)))
    return written
