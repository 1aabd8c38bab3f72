"""The processor's notice to each controller (GDPR art. 33(2)): counts and categories, French then English.

:func:`build_processor_notice` is pure: from the case file, one controller and that controller's figures
(:func:`fuite.assess.figures.controller_figures`, the one source of the counts) it returns a JSON-ready
dict holding **counts only**: no identifier, no file name, no value of the leak. :func:`write_processor_notice`
renders it to JSON, HTML and PDF (WeasyPrint) with the template ``processor.html.j2``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from fuite import taxonomy
from fuite.store.casefile import PARIS, CaseFile, Controller
from fuite.notify.documents import write_documents
from fuite.notify.wording import date_en, date_fr, format_count

__all__ = ["build_processor_notice", "write_processor_notice", "FORMATS", "FILE_STEM"]

FORMATS = ("html", "pdf", "json")
FILE_STEM = "processor-notice"


def _party(c: Controller) -> dict:
    return {"id": c.id, "name": c.party.name, "address": c.party.address, "siren": c.party.siren,
            "dpo": {"name": c.dpo.name, "email": c.dpo.email, "phone": c.dpo.phone},
            "contact": {"email": c.contact.email, "phone": c.contact.phone}}


def build_processor_notice(cf: CaseFile, controller: Controller, figures: dict, *, shared: int = 0,
                           now: datetime | None = None) -> dict:
    """The notice from ``cf.processor`` to ``controller``; ``figures`` is that controller's entry of
    ``controller_figures``; ``shared``: how many of its persons other controllers hold too."""
    b = cf.breach
    processor = cf.processor or Controller("processor")
    categories = [{"id": cat.id, "fr": cat.fr, "en": cat.en, "persons": figures["categories"].get(cat.id, 0),
                   "special": cat.special} for cat in taxonomy.CATEGORIES
                  if figures["categories"].get(cat.id, 0) and cat.group != "none"]
    return {
        "processor": _party(processor),
        "controller": _party(replace(controller, dpo=cf.view(controller).dpo, contact=cf.view(controller).contact)),
        "written_on": {"fr": date_fr(now or datetime.now(PARIS)), "en": date_en(now or datetime.now(PARIS))},
        "breach": {
            "discovered_at": {"fr": date_fr(b.discovered_at), "en": date_en(b.discovered_at)},
            "started_at": {"fr": date_fr(b.started_at), "en": date_en(b.started_at)},
            "ended_at": {"fr": date_fr(b.ended_at), "en": date_en(b.ended_at)}, "ongoing": b.ongoing,
            "description": {"fr": b.description_fr, "en": b.description_en or b.description_fr},
            "cause": b.cause, "established": b.established,
            "measures_taken": {"fr": list(b.measures_taken), "en": list(b.measures_taken_en or b.measures_taken)},
            "measures_planned": {"fr": list(b.measures_planned),
                                 "en": list(b.measures_planned_en or b.measures_planned)},
        },
        "figures": {"persons": figures["persons"], "records": figures["records"],
                    "persons_health": figures["persons_health"], "persons_hiv": figures["persons_hiv"],
                    "persons_shared": shared, "categories": categories},
    }


def write_processor_notice(notice: dict, output: Path, formats: tuple[str, ...] = FORMATS,
                           override_dirs: list[Path] | None = None) -> list[Path]:
    """Write ``processor-notice.<fmt>`` under ``output``; return their paths."""
    return write_documents(notice, output, FILE_STEM, "processor.html.j2", formats, override_dirs,
                           {"n": format_count, "n_en": lambda v: format_count(v, "en")})
