"""How fuite writes a count, a duration and a path in a command for a person to read: one formatter each.

- Counts: ``57,221`` in English (the console, the English documents) and ``57 221`` in French, with a NARROW
  NO-BREAK SPACE (U+202F) as the thousands separator, as French typography and CLDR's ``fr`` locale write it:
  it never breaks a number across two lines of a notice, and it reads as a plain space.
- Durations: seconds below a minute, minutes below an hour, hours up to 48 hours, days beyond.

>>> format_count(57221), format_count(57221, "fr") == "57\\u202f221"
('57,221', True)
>>> format_duration(12.34), format_duration(600), format_duration(47 * 3600), format_duration(50 * 3600)
('12.3 s', '10 min', '47 h', '2.1 days')
>>> format_duration(50 * 3600, "fr")
'2,1 jours'
>>> shell_word("case"), shell_word("my case")
('case', "'my case'")
"""

from __future__ import annotations

import shlex

__all__ = ["FRENCH_THOUSANDS", "format_count", "format_duration", "shell_word"]

#: The French thousands separator (U+202F NARROW NO-BREAK SPACE).
FRENCH_THOUSANDS = "\u202f"

#: Above this many hours a duration is given in days.
DAYS_ABOVE_HOURS = 48

_UNITS = {"en": ("s", "min", "h", "day", "days"), "fr": ("s", "min", "h", "jour", "jours")}


def format_count(n: int, lang: str = "en") -> str:
    """``n`` with thousands separators: ``57,221`` (en) or ``57 221`` (fr, narrow no-break space)."""
    text = f"{int(n):,}"
    return text.replace(",", FRENCH_THOUSANDS) if lang == "fr" else text


def _decimal(value: float, lang: str) -> str:
    text = f"{value:.1f}".removesuffix(".0")
    return text.replace(".", ",") if lang == "fr" else text


def format_duration(seconds: float, lang: str = "en") -> str:
    """``12.3 s``, ``10 min``, ``47 h``, and beyond 48 hours ``2.1 days`` (fr: ``2,1 jours``)."""
    s, minute, hour, day, days = _UNITS[lang]
    if abs(seconds) < 60:
        return f"{_decimal(seconds, lang)} {s}"
    if abs(seconds) < 3600:
        return f"{round(seconds / 60)} {minute}"
    hours = seconds / 3600
    if abs(hours) <= DAYS_ABOVE_HOURS:
        return f"{_decimal(hours, lang)} {hour}"
    value = hours / 24
    return f"{_decimal(value, lang)} {day if abs(value) < 2 else days}"


def shell_word(value: object) -> str:
    """``value`` (a path) as one shell word, so that a command printed in advice can be pasted as is."""
    return shlex.quote(str(value))
