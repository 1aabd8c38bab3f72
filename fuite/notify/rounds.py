"""Notice rounds of a growing leak: who a complementary round notifies, and with what (pure, pyarrow/polars).

Round 1 is the initial notification: every person. When files are added after notices went out, the
resolve stage stores the **delta** of the next round (:mod:`fuite.notify.delta`). That round notifies:

- a person of the delta told in an earlier round (``grown``, or ``new`` under an id that was told: a pending
  new person merged into a notified one): a complementary notice that says only what is new and refers to the
  first one (``complement_kind = "grown"``; for a ``new`` row, everything its records expose);
- a person never planned in an earlier round (``new``, or grown before being planned at all): a full
  notice, which says the files were found later (``complement_kind = "new"``);
- nobody else: a person whose earlier notice is still pending gets it with everything known by then.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

__all__ = ["round_persons", "COMPLEMENT_COLUMNS"]

COMPLEMENT_COLUMNS = ("complement_kind", "new_categories", "new_conditions", "new_health", "first_notice")


def round_persons(persons: pa.Table, delta: pa.Table, told: dict[int, str], planned: set[int]) -> pa.Table:
    """The persons rows of one complementary round, with the ``COMPLEMENT_COLUMNS`` set.

    ``told``: person_id -> when an earlier round's notice reached them; ``planned``: persons with an
    entry in an earlier round's ledger.
    """
    d = pl.from_arrow(delta).select("person_id", "status", "new_categories", "new_conditions", "new_health")
    when = pl.DataFrame({"person_id": list(told), "first_notice": list(told.values())},
                        schema={"person_id": pl.Int64, "first_notice": pl.String})
    d = d.join(when, on="person_id", how="left").with_columns(
        pl.col("person_id").is_in(list(planned)).alias("planned"))
    d = d.with_columns(
        pl.when(pl.col("first_notice").is_not_null()).then(pl.lit("grown"))
        .when(~pl.col("planned")).then(pl.lit("new")).otherwise(None).alias("complement_kind"))
    d = d.filter(pl.col("complement_kind").is_not_null()).drop("status", "planned")
    base = pl.from_arrow(persons).drop([c for c in COMPLEMENT_COLUMNS if c in persons.column_names])
    return base.join(d, on="person_id", how="inner").sort("person_id").to_arrow()
