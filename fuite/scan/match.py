"""How much of a newly found dump a case already holds (``fuite match``): pure figures over resolved records.

The dump is read, classified and resolved **together with the case's records, in memory** (nothing of it is
written anywhere). Then, over the dump's records that say who someone is (a name, a birth date, a NIR, an
email or a phone):

- a **known person** is a person whose records include records of the case; a **new person** has only
  records of the dump;
- **rows matched**: dump rows of known persons; **rows identical**: dump rows whose normalised values are
  those of a row of the case;
- **more exposed**: known persons to whom the dump adds a category or a condition
  (:func:`fuite.notify.delta.exposure_delta`); **categories new**: categories the dump holds and the case
  has for nobody.

The verdict tells a resale of the known leak (≥ 98 % of the dump's persons known, ≤ 2 % new or more
exposed) from a new breach (≤ 10 % known); anything between is a leak that grew.
"""

from __future__ import annotations

import polars as pl

__all__ = ["IDENTITY", "FINGERPRINT", "match_figures", "verdict"]

#: Fields that say who a record is about.
IDENTITY = ("last_name", "first_name", "birth_date", "nir", "email", "phone")
#: Normalised values compared for identical rows.
FINGERPRINT = ("last_name", "first_name", "birth_date", "sex", "nir", "phone", "email", "street", "postal_code",
               "city", "sample_date", "categories", "conditions")


def _fingerprints(records: pl.DataFrame) -> pl.Series:
    cols = [c for c in FINGERPRINT if c in records.columns]
    return records.select(pl.concat_str([pl.col(c).fill_null("\x00") for c in cols], separator="\x1f")
                          .hash(seed=7).alias("fp"))["fp"]


def _categories(records: pl.DataFrame) -> set[str]:
    return {c for c in records["categories"].drop_nulls().str.split(";").explode().unique().to_list() if c}


def match_figures(labelled: pl.DataFrame, first_new: int, persons_case: pl.DataFrame, persons_all: pl.DataFrame,
                  delta: pl.DataFrame) -> dict:
    """Counts (no identifier) for a dump whose records have ``record_id >= first_new`` in ``labelled`` (all
    records, ``person_id`` the joint resolution's). ``persons_case``: the persons built from the case's records
    only; ``persons_all`` from all; ``delta``: ``exposure_delta(persons_case, persons_all restricted to the
    dump's persons)``."""
    new = labelled.filter(pl.col("record_id") >= first_new)
    held = labelled.filter(pl.col("record_id") < first_new)
    who = new.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in IDENTITY if c in new.columns]))
    dump_persons = set(who["person_id"].unique().to_list())
    known = dump_persons & set(held["person_id"].unique().to_list())
    status = dict(delta.select("person_id", "status").iter_rows()) if delta.height else {}
    grown = {p for p in known if status.get(p) == "grown"}
    identical = _fingerprints(new).is_in(_fingerprints(held).implode()).sum() if held.height and new.height else 0
    new_cats = sorted(_categories(new) - _categories(held)) if new.height else []
    persons = len(dump_persons)
    return {
        "rows": new.height, "rows_with_identity": who.height,
        "rows_matched": int(who.filter(pl.col("person_id").is_in(list(known))).height),
        "rows_identical": int(identical),
        "persons": persons, "persons_matched": len(known), "persons_new": persons - len(known),
        "persons_more_exposed": len(grown), "categories_new": new_cats,
        "share_known": round(len(known) / persons, 4) if persons else 0.0,
    }


def verdict(figures: dict) -> tuple[str, str]:
    """``(kind, one line)``: ``resale`` of the known leak, ``new breach``, or ``grown`` (partly known)."""
    persons = figures["persons"]
    if not persons:
        return "empty", "no person in these files: nothing to compare"
    known = figures["persons_matched"] / persons
    changed = (figures["persons_new"] + figures["persons_more_exposed"]) / persons
    pct = f"{100 * known:.1f} %"
    if known >= 0.98 and changed <= 0.02:
        return "resale", (f"resale of the known leak: {pct} of its {persons:,} persons are already in the case, "
                          f"{figures['persons_new']:,} new, {figures['persons_more_exposed']:,} more exposed")
    if known <= 0.10:
        return "new breach", (f"a new breach: only {pct} of its {persons:,} persons are in the case; it is not "
                              "the known leak")
    return "grown", (f"the known leak, grown: {pct} of its {persons:,} persons are in the case, "
                     f"{figures['persons_new']:,} new and {figures['persons_more_exposed']:,} more exposed; "
                     "add it with `fuite scan FILES --case DIR`")
