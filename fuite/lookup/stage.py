"""The lookup stage over an open case: read ``persons``, build the self-check index, audit it."""

from __future__ import annotations

from pathlib import Path

__all__ = ["build_index_for_case", "require_persons"]


def require_persons(case) -> None:
    """Refuse before anything is written (no key file, no index) when the case has no resolved persons."""
    from fuite.resolve.stage import require_tables

    require_tables(case, "persons")


def build_index_for_case(case, out: Path, key, workers: int | None = None, bucket_bits: int | None = None,
                         with_conditions: bool = False, progress=None):
    """Build the index of the case's persons at ``out`` with ``key``; audited; returns the build stats.

    ``with_conditions``: the controller's choice to tell each person their own affirmed conditions.
    ``progress``: a ``fuite.progress.Tracker`` (a bar of the inputs evaluated).
    """
    from fuite.progress import NO_PROGRESS

    from fuite.lookup.build import PERSON_COLUMNS, build_index

    require_persons(case)
    stats = build_index(case.get_table("persons", PERSON_COLUMNS), key, out, case.settings, workers, bucket_bits, with_conditions,
                        progress or NO_PROGRESS)
    case.audit("lookup.build", records=stats.inputs,
               detail={"key_id": key.key_id, "persons": stats.persons, "inputs": stats.inputs,
                       "skipped_no_birth_date": stats.skipped_no_birth_date, "shared_inputs": stats.shared_inputs,
                       "with_conditions": with_conditions})
    return stats
