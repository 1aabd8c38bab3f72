"""The French postal address block (NF Z10-011): at most 6 lines of at most 38 characters.

Lines are cut on word boundaries, never inside a word: the name, then the street address (its
comma-separated parts, e.g. residence, building, number and street, packed together when they fit),
then ``POSTCODE TOWN`` in capitals on the last line. A town too long for its line is written as La Poste
writes routing names (hyphens and apostrophes as spaces, ``SAINT`` as ``ST``, ``SAINTE`` as ``STE``). No
part of an address is ever dropped: an address that cannot fit the norm all the same (more than 6 lines,
or a single word longer than 38 characters) keeps every word, and :func:`fits_norm` says so, so that the
letters step counts it instead of losing part of it silently.
"""

from __future__ import annotations

import re
import textwrap

from fuite.notify.names import usual_case

__all__ = ["LINE_WIDTH", "MAX_LINES", "postal_lines", "fits_norm"]

LINE_WIDTH = 38
MAX_LINES = 6
_SAINT = re.compile(r"\b(SAINTE?)\b")
#: The norm's abbreviations of street types, building parts and titles (NF Z10-011, annex), used only
#: when an address does not fit as written.
_ABBREVIATIONS = {
    "ALLEE": "ALL", "ALLÉE": "ALL", "APPARTEMENT": "APP", "AVENUE": "AV", "BATIMENT": "BAT", "BÂTIMENT": "BAT",
    "BOULEVARD": "BD", "CHEMIN": "CHE", "CHEZ": "CHEZ", "COMMANDANT": "CDT", "DOCTEUR": "DR", "ESCALIER": "ESC",
    "ETAGE": "ETG", "ÉTAGE": "ETG", "FAUBOURG": "FG", "GENERAL": "GAL", "GÉNÉRAL": "GAL", "IMMEUBLE": "IMM",
    "IMPASSE": "IMP", "LOTISSEMENT": "LOT", "MARECHAL": "MAL", "MARÉCHAL": "MAL",
    "PLACE": "PL", "PRESIDENT": "PDT", "PRÉSIDENT": "PDT", "QUARTIER": "QUA", "RESIDENCE": "RES",
    "RÉSIDENCE": "RES", "ROUTE": "RTE", "SAINT": "ST", "SAINTE": "STE", "SQUARE": "SQ",
}
_WORD = re.compile(r"[\w'’-]+")


def _wrap(text: str) -> list[str]:
    """Word-boundary lines of at most 38 characters; a longer word is cut at its hyphens, else kept whole."""
    text = " ".join(text.split())
    if len(text) <= LINE_WIDTH:
        return [text] if text else []
    lines = textwrap.wrap(text, LINE_WIDTH, break_long_words=False, break_on_hyphens=False)
    if all(len(line) <= LINE_WIDTH for line in lines):
        return lines
    return textwrap.wrap(text, LINE_WIDTH, break_long_words=False, break_on_hyphens=True)


def _pack(parts: list[str]) -> list[str]:
    """Comma-separated parts joined on one line while they fit, each part wrapped on its own otherwise."""
    lines: list[str] = []
    for part in (" ".join(p.split()) for p in parts):
        if not part:
            continue
        if lines and len(lines[-1]) + 2 + len(part) <= LINE_WIDTH:
            lines[-1] = f"{lines[-1]}, {part}"
        else:
            lines += _wrap(part)
    return lines


def _routing_town(town: str) -> str:
    """The town as La Poste's routing name writes it: no hyphen or apostrophe, SAINT(E) as ST(E)."""
    plain = " ".join(re.sub(r"[-'’]", " ", town).split())
    return _SAINT.sub(lambda m: "ST" if m.group(1) == "SAINT" else "STE", plain)


def _abbreviated(street: str) -> str:
    """The street in capitals with the norm's abbreviations (hyphens between words as spaces)."""
    words = " ".join(street.upper().replace("-", " ").split())
    return _WORD.sub(lambda m: _ABBREVIATIONS.get(m.group(0), m.group(0)), words)


def postal_lines(row: dict) -> list[str]:
    """The address block of a persons row: name, street lines, ``POSTCODE TOWN`` (no line empty).

    As written when it fits the norm; else with the street abbreviated as the norm says; a block that
    still does not fit keeps every word (:func:`fits_norm` is then false).
    """
    name = " ".join(p for p in (usual_case(row.get("first_name")), (row.get("last_name") or "").upper()) if p)
    code = " ".join((row.get("postal_code") or "").split())
    town = " ".join((row.get("city") or "").upper().split())
    last = " ".join(p for p in (code, town) if p)
    if len(last) > LINE_WIDTH:
        last = " ".join(p for p in (code, _routing_town(town)) if p)
    street = row.get("street") or ""
    lines = _wrap(name) + _pack(street.split(","))
    if not fits_norm(lines + [last]):
        short = _wrap(name) + _pack(_abbreviated(street).split(","))
        if len(short) < len(lines) or fits_norm(short + [last]):
            lines = short
    return lines + [last] if last else lines   # the last line is never cut: a town too long is counted


def fits_norm(lines: list[str]) -> bool:
    """At most 6 lines of at most 38 characters."""
    return len(lines) <= MAX_LINES and all(len(line) <= LINE_WIDTH for line in lines)
