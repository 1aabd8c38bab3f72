"""What a person types into the self-check, normalised by ``fuite.ids``, and the OPRF input string.

The rules live in ``fuite.ids`` (``email_address``, ``phone``, ``nir``, ``birth_date``), the same ones
detect applied to the leaked values and ``fuite.lookup.build`` applies to the stored ones, so that a
typed value and a stored one meet. The page's JavaScript (``fuite/server/static/normalise.js``)
implements the same rules; a test runs both on the same values. The input string is
``{kind}:{value}|{birth_date}`` (UTF-8).

>>> lookup_input("email", "  Jean.Dupont@Example.FR ", "1970-01-31")
'email:jean.dupont@example.fr|1970-01-31'
>>> nir("1 85 05 78 006 084 91")
'185057800608491'
>>> birth_date("31/01/1970")
'1970-01-31'
"""

from __future__ import annotations

from fuite.errors import ValidationError
from fuite.ids import birth_date as ids_birth_date
from fuite.ids import email_address, phone as ids_phone
from fuite.ids import nir as ids_nir
from fuite.ids._text import TRIM_CHARS

__all__ = ["KINDS", "TRIM_CHARS", "email", "phone", "nir", "birth_date", "normalise", "lookup_input"]

KINDS = ("email", "phone", "nir")


def email(value: str) -> str:
    """``fuite.ids.email_address.validate``."""
    return email_address.validate(value)


def phone(value: str) -> str:
    """``fuite.ids.phone.validate`` (E.164)."""
    return ids_phone.validate(value)


def nir(value: str) -> str:
    """``fuite.ids.nir.validate`` (15 characters, key checked)."""
    return ids_nir.validate(value)


def birth_date(value: str) -> str:
    """``fuite.ids.birth_date.validate`` (ISO)."""
    return ids_birth_date.validate(value)


_NORMALISERS = {"email": email, "phone": phone, "nir": nir}


def normalise(kind: str, value: str) -> str:
    """Normalise ``value`` of ``kind`` (one of ``KINDS``)."""
    if kind not in _NORMALISERS:
        raise ValidationError(f"unknown kind (expected one of {', '.join(KINDS)})")
    return _NORMALISERS[kind](value)


def lookup_input(kind: str, value: str, birth: str) -> str:
    """The OPRF input string ``{kind}:{value}|{birth_date}`` with both parts normalised."""
    return f"{kind}:{normalise(kind, value)}|{birth_date(birth)}"
