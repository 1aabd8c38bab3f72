"""Small-count masking of the figure sheet: a count of 1 to 9 persons is shown as "< 10".

A report read by management or CNIL must not single anyone out: "1 person with HIV data in
file X" would. The policy (``SMALL_COUNT``, ``mask_count``) is ``fuite.ids.masking``'s; this
module only knows which keys of the figure sheet count persons.

>>> mask_count(0), mask_count(3), mask_count(10)
(0, '< 10', 10)
"""

from __future__ import annotations

from fuite.ids.masking import MASKED, SMALL_COUNT, is_small, mask_count

__all__ = ["SMALL_COUNT", "MASKED", "is_small", "mask_count", "mask_figures"]


#: Keys of the figure sheet that count persons, records or data rows (masked); the others
#: (quarantined rows, problems, columns, thresholds) describe files, not persons.
_PERSON_COUNTS = frozenset({
    "records", "persons", "persons_health", "persons_hiv", "rows_read", "assessed", "not_assessed",
    "records_without_sample_date",
})
_PERSON_MAPS = frozenset({"persons_per_category", "persons_per_condition", "persons_per_level",
                          "samples_per_month", "categories", "records_per_file", "records_per_reason"})


def mask_figures(figures: dict) -> dict:
    """A copy of a figure sheet with every small count of persons or records masked."""
    return _mask(figures, None)


def _mask(value, key):
    if isinstance(value, dict):
        if key in _PERSON_MAPS:
            return {k: mask_count(v) for k, v in value.items()}
        return {k: _mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, key) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and key in _PERSON_COUNTS:
        return mask_count(value)
    return value
