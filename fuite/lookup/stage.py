"""The lookup stage over an open case: read ``persons``, build the self-check index, audit it."""

from __future__ import annotations

from pathlib import Path

__all__ = ["build_index_for_case", "require_persons"]


def _with_controllers(case):
    """The persons' index columns, each person's categories followed by ``controller:<id>`` for every controller
    holding one of their records (a case of several controllers): their sealed answer names them."""
    import polars as pl

    from fuite.assess.attribution import controllers_of_persons
    from fuite.assess.stage import attribution_for_case
    from fuite.lookup.build import PERSON_COLUMNS
    from fuite.lookup.guidance import CONTROLLER_PREFIX

    persons = pl.from_arrow(case.get_table("persons", ("person_id", *PERSON_COLUMNS)))
    held = controllers_of_persons(attribution_for_case(case), case.settings)
    codes = pl.col("controllers").str.split(";").list.eval(pl.lit(CONTROLLER_PREFIX) + pl.element()).list.join(";")
    persons = persons.join(held, on="person_id", how="left", maintain_order="left").with_columns(
        pl.concat_str([pl.col("categories").fill_null(""), codes.fill_null("")], separator=";").alias("categories"))
    return persons.select(PERSON_COLUMNS).to_arrow()


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
    persons = case.get_table("persons", PERSON_COLUMNS)
    if case.settings.many:
        persons = _with_controllers(case)
    stats = build_index(persons, key, out, case.settings, workers, bucket_bits, with_conditions,
                        progress or NO_PROGRESS)
    case.audit("lookup.build", records=stats.inputs,
               detail={"key_id": key.key_id, "persons": stats.persons, "inputs": stats.inputs,
                       "skipped_no_birth_date": stats.skipped_no_birth_date, "shared_inputs": stats.shared_inputs,
                       "with_conditions": with_conditions})
    return stats
