"""Postal letters: one PDF per batch of persons (WeasyPrint), ready for printing and window envelopes.

Each letter starts on a new page with the sender, the French postal address block
(NF Z10-011: name, street line, ``POSTCODE TOWN``) placed for a DL window envelope,
the French notice, then the English one on the next page. The PDFs hold names and
addresses in clear: they are an explicit export, written atomically (temporary
name in the same folder, then renamed) so that a batch file exists only complete.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from fuite.notify.notice import NoticeRenderer, notice_context

__all__ = ["has_postal_address", "render_letters_html", "write_letters_pdf"]


def has_postal_address(row: dict) -> bool:
    """A letter can be addressed: street, postcode and town are all known."""
    return all((row.get(k) or "").strip() for k in ("street", "postal_code", "city"))


def render_letters_html(renderer: NoticeRenderer, rows: list[dict], today: date | None = None) -> str:
    """One HTML document holding every letter of the batch."""
    template = renderer.env.get_template("letter.html.j2")
    letters = [notice_context(r, renderer.case_file, name_conditions=renderer.name_conditions) for r in rows]
    return template.render(letters=letters, case=renderer.case_file, controller=renderer.case_file.controller,
                           contact=renderer.case_file.contact, dpo=renderer.case_file.dpo,
                           today=today or date.today())


def write_letters_pdf(html: str, path: Path) -> Path:
    """Render ``html`` to ``path`` atomically (fsync, then rename)."""
    from weasyprint import HTML

    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    HTML(string=html).write_pdf(str(tmp))
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path
