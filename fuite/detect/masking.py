"""Masked examples for explanations: enough of the layout to see why, not enough to identify anyone.

>>> mask_value("185057800608491", "nir")
'1 85 ** ** *** *** 91'
>>> mask_value("jean.dupont@orange.fr", "email")
'j***@orange.fr'
>>> mask_value("06 12 34 56 78", "phone")
'06 ** ** ** 78'
>>> mask_value("DUPONT Jean", "full_name")
'D***** J***'
"""

import re

__all__ = ["mask_value"]


def _mask_word(word: str) -> str:
    return word[:1] + "*" * (len(word) - 1)


def mask_value(value: str, category: str = "") -> str:
    """Mask one cell for display."""
    value = value.strip()
    compact = re.sub(r"[\s.]", "", value)
    if category == "nir" and len(compact) == 15:
        return f"{compact[0]} {compact[1:3]} ** ** *** *** {compact[13:]}"
    if "@" in value:
        local, _, domain = value.partition("@")
        return local[:1] + "***@" + domain
    if category in ("phone", "physician_id", "insurer_id", "internal_id", "lab_id", "nir", "credential"):
        digits = [i for i, c in enumerate(value) if c.isalnum()]
        keep = set(digits[:2] + digits[-2:])
        return "".join(c if (i in keep or not c.isalnum()) else "*" for i, c in enumerate(value))
    if category in ("birth_date", "sample_date"):
        return re.sub(r"\d", "*", value)
    if category in ("blood_group", "sex", "other", "postal_code", "lab_name", "insurer_name"):
        return value if len(value) <= 40 else value[:37] + "..."
    return " ".join(_mask_word(w) for w in value.split())
