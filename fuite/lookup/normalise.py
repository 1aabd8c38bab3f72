"""Normalisation of what a person types into the self-check, and the OPRF input string.

The page's JavaScript (``fuite/server/static/normalise.js``) implements exactly the same rules; a test
runs both on the same values. The input string is ``{kind}:{value}|{birth_date}`` (UTF-8):

- ``email``: trimmed, lowercased;
- ``phone``: E.164; French national numbers (``06 12 34 56 78``, ``0033…``, ``+33 (0)6…``) become ``+33…``;
- ``nir``: 15 characters, spaces/dots/dashes removed, uppercase (Corsica ``2A``/``2B`` kept), key checked;
- ``birth_date``: ISO ``YYYY-MM-DD`` (``DD/MM/YYYY`` accepted).

>>> lookup_input("email", "  Jean.Dupont@Example.FR ", "1970-01-31")
'email:jean.dupont@example.fr|1970-01-31'
>>> phone("06 12 34 56 78")
'+33612345678'
>>> birth_date("31/01/1970")
'1970-01-31'
"""

from __future__ import annotations

import datetime as dt
import re

from fuite.errors import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from fuite.ids import nir as ids_nir

__all__ = ["KINDS", "TRIM_CHARS", "email", "phone", "nir", "birth_date", "normalise", "lookup_input"]

KINDS = ("email", "phone", "nir")

#: Characters trimmed around a value (identical set in normalise.js).
TRIM_CHARS = _TRIM = " \t\n\r\f\v\u00a0\u2009\u202f\ufeff"
#: Separators people type inside phone numbers and NIRs.
_SEPARATORS = re.compile("[ \t\u00a0\u2009\u202f.\\-/()]")
_DIGITS = re.compile("[0-9]+")
_NIR = re.compile("[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}")
_ISO = re.compile("([0-9]{4})-([0-9]{2})-([0-9]{2})")
_FRENCH = re.compile("([0-9]{2})/([0-9]{2})/([0-9]{4})")


def _trim(value) -> str:
    if not isinstance(value, str):
        raise InvalidFormat("the value is not text")
    return value.strip(_TRIM)


def email(value: str) -> str:
    """Trim and lowercase; the value must look like ``local@domain``."""
    value = _trim(value).lower()
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or any(c in _TRIM for c in value) or len(value) > 254:
        raise InvalidFormat("not an email address")
    return value


def phone(value: str) -> str:
    """E.164; national French numbers get the +33 prefix."""
    value = _SEPARATORS.sub("", _trim(value).replace("(0)", ""))
    if value.startswith("00"):
        value = "+" + value[2:]
    if value.startswith("+"):
        digits = value[1:]
        if digits.startswith("330") and len(digits) == 12:
            digits = "33" + digits[3:]
        french_length_wrong = digits.startswith("33") and len(digits) != 11
        if not _DIGITS.fullmatch(digits) or not 8 <= len(digits) <= 15 or french_length_wrong:
            raise InvalidFormat("not a phone number")
        return "+" + digits
    if not _DIGITS.fullmatch(value):
        raise InvalidFormat("not a phone number")
    if len(value) == 10 and value[0] == "0" and value[1] != "0":
        return "+33" + value[1:]
    if len(value) == 9 and value[0] != "0":
        return "+33" + value
    raise InvalidLength("a French phone number has 10 digits")


def nir(value: str) -> str:
    """15 characters, uppercase, separators removed; format and key (97 - n mod 97) checked."""
    value = _SEPARATORS.sub("", _trim(value)).upper()
    if len(value) != 15:
        raise InvalidLength("a NIR has 15 characters (13 + a 2-digit key)")
    if not _NIR.fullmatch(value):
        raise InvalidFormat("not a NIR")
    if ids_nir.calc_check_digits(value[:13]) != value[13:]:
        raise InvalidChecksum("the NIR key (last 2 digits) does not match")
    return value


def birth_date(value: str) -> str:
    """ISO ``YYYY-MM-DD`` of a real calendar date; ``DD/MM/YYYY`` is accepted too."""
    value = _trim(value)
    iso, french = _ISO.fullmatch(value), _FRENCH.fullmatch(value)
    if iso:
        year, month, day = iso.groups()
    elif french:
        day, month, year = french.groups()
    else:
        raise InvalidFormat("a birth date is written YYYY-MM-DD or DD/MM/YYYY")
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        raise InvalidComponent("the birth date is not a calendar date") from None
    if int(year) < 1880:
        raise InvalidComponent("the birth date is too early")
    return f"{year}-{month}-{day}"


_NORMALISERS = {"email": email, "phone": phone, "nir": nir}


def normalise(kind: str, value: str) -> str:
    """Normalise ``value`` of ``kind`` (one of ``KINDS``)."""
    if kind not in _NORMALISERS:
        raise ValidationError(f"unknown kind (expected one of {', '.join(KINDS)})")
    return _NORMALISERS[kind](value)


def lookup_input(kind: str, value: str, birth: str) -> str:
    """The OPRF input string ``{kind}:{value}|{birth_date}`` with both parts normalised."""
    return f"{kind}:{normalise(kind, value)}|{birth_date(birth)}"
