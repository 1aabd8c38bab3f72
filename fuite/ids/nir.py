"""NIR (French social security number), delegating to ``stdnum.fr.nir``.

15 characters: sex (1), year (2), month (2), department (2, ``2A``/``2B`` for
Corsica), commune (3), serial (3), key (2) with ``key = 97 - (first 13 digits
mod 97)``; for Corsica ``2A`` counts as 19 and ``2B`` as 18. Leaks also hold
the NIR as 13 digits with the key in another column: ``validate_split`` joins
them back.

Reference: https://www.insee.fr/en/metadonnees/definition/c1409

>>> validate('1 85 05 78 006 084 91')
'185057800608491'
>>> validate('185057800608492')
Traceback (most recent call last):
    ...
fuite.errors.InvalidChecksum: the value's check digits are wrong
>>> validate('185057800608X36')
Traceback (most recent call last):
    ...
fuite.errors.InvalidFormat: the value has an invalid format
>>> validate('18505780060843')
Traceback (most recent call last):
    ...
fuite.errors.InvalidLength: the value has an invalid length
>>> validate('253072B07300470')
'253072B07300470'
>>> validate_split('1850578006084', '91')
'185057800608491'
>>> is_valid(None)
False
"""

from stdnum import exceptions as stdnum_errors
from stdnum.fr import nir as _stdnum_nir

from fuite.errors import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from fuite.ids._text import require_text

__all__ = ["compact", "calc_check_digits", "validate", "validate_split", "is_valid", "format"]

_ERRORS = {
    stdnum_errors.InvalidChecksum: InvalidChecksum,
    stdnum_errors.InvalidLength: InvalidLength,
    stdnum_errors.InvalidComponent: InvalidComponent,
}


def compact(number: str) -> str:
    """Strip spaces and dots, upper-case (``2a`` -> ``2A``)."""
    return _stdnum_nir.compact(require_text(number))


def calc_check_digits(number: str) -> str:
    """The two key digits of the first 13 characters."""
    return _stdnum_nir.calc_check_digits(compact(number))


def validate(number: str) -> str:
    """Return the compact NIR or raise a ``fuite.errors.ValidationError``."""
    if not require_text(number).isascii():  # stdnum would fold full-width digits into a valid NIR
        raise InvalidFormat()
    number = compact(number)
    try:
        return _stdnum_nir.validate(number)
    except stdnum_errors.ValidationError as exc:
        raise _ERRORS.get(type(exc), InvalidFormat)() from None


def validate_split(body: str, key: str) -> str:
    """Validate a NIR whose 13-character body and 2-digit key sit in two cells."""
    body, key = compact(body), compact(key).zfill(2)
    if len(body) != 13 or len(key) != 2:
        raise InvalidLength()
    return validate(body + key)


def is_valid(number: str) -> bool:
    """True when ``number`` is a valid NIR."""
    try:
        return bool(validate(number))
    except (InvalidFormat, InvalidChecksum, InvalidLength, InvalidComponent):
        return False


def format(number: str, separator: str = " ") -> str:
    """The usual printed layout, ``1 85 05 78 006 084 91``."""
    return _stdnum_nir.format(compact(number), separator)
