"""Why records were joined: a person's records (masked) and the links between them.

Values are masked so the explanation can be shown on screen or pasted in a ticket, with the
one privacy policy of ``fuite.ids.masking`` (a name keeps its first letter, a date its year, a
phone its last two digits, an email the first letters of its parts, a NIR its first digit, a
postcode its département).
"""

from __future__ import annotations

from collections import deque

import polars as pl
import pyarrow as pa

from fuite.errors import UsageError
from fuite.ids import masking

__all__ = ["mask", "explain_person", "explain_records", "MASKED_FIELDS"]

MASKED_FIELDS = ("last_name", "first_name", "birth_date", "nir", "phone", "email", "postal_code", "city")


def mask(field: str, value: str | None) -> str | None:
    """Mask one value of ``field`` (see the module docstring); None for a missing value."""
    if value is None or value == "":
        return None
    return masking.mask(value, field)


def _masked_records(records: pl.DataFrame) -> list[dict]:
    out = []
    for row in records.iter_rows(named=True):
        item = {"record_id": row["record_id"], "file": row["file"], "table": row["table"], "row": row["row"],
                "parent_record_id": row.get("parent_record_id")}
        item.update({f: mask(f, row.get(f)) for f in MASKED_FIELDS})
        out.append(item)
    return out


def _with_reasons(links: list[dict]) -> list[dict]:
    """Each link with ``kept_apart``: why a proposed link did not join (the pair or cluster rule), in words."""
    from fuite.resolve.constraints import split_rule_text

    return [{**link, "kept_apart": split_rule_text(link.get("split_rule"))} for link in links]


def explain_person(records: pa.Table, links: pa.Table, person_id: int) -> dict:
    """The person's records (masked), every link among them, strongest evidence first, and the links
    to other persons' records that the incompatibility rules refused (``kept_apart``)."""
    rec = pl.from_arrow(records).filter(pl.col("person_id") == person_id).sort("record_id")
    if rec.height == 0:
        raise UsageError("no person with this id in the case")
    ids = rec["record_id"].implode()
    found = pl.from_arrow(links).filter(pl.col("record_id_l").is_in(ids) & pl.col("record_id_r").is_in(ids))
    found = found.sort(["joined", "match_probability"], descending=[True, True])
    every = pl.from_arrow(links)
    outward = every.filter((pl.col("record_id_l").is_in(ids) ^ pl.col("record_id_r").is_in(ids))
                           & pl.col("split_rule").is_not_null()) if "split_rule" in every.columns else every.clear()
    return {"person_id": person_id, "records": _masked_records(rec), "links": _with_reasons(found.to_dicts()),
            "kept_apart": _with_reasons(outward.sort("match_probability", descending=True).to_dicts())}


def _path(links: pl.DataFrame, start: int, goal: int) -> list[dict] | None:
    """Shortest chain of joined links from ``start`` to ``goal`` (breadth-first)."""
    edges: dict[int, list[dict]] = {}
    for link in links.filter(pl.col("joined")).to_dicts():
        edges.setdefault(link["record_id_l"], []).append(link)
        edges.setdefault(link["record_id_r"], []).append(link)
    previous: dict[int, dict | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            chain, at = [], goal
            while previous[at] is not None:
                link = previous[at]
                chain.append(link)
                at = link["record_id_l"] if link["record_id_r"] == at else link["record_id_r"]
            return list(reversed(chain))
        for link in edges.get(node, []):
            other = link["record_id_r"] if link["record_id_l"] == node else link["record_id_l"]
            if other not in previous:
                previous[other] = link
                queue.append(other)
    return None


def explain_records(records: pa.Table, links: pa.Table, first: int, second: int) -> dict:
    """Whether two records are the same person, and the chain of links that joined them (or the near miss)."""
    rec = pl.from_arrow(records).filter(pl.col("record_id").is_in([first, second])).sort("record_id")
    if rec.height != len({first, second}):
        raise UsageError("record id not found in the case")
    persons = dict(zip(rec["record_id"].to_list(), rec["person_id"].to_list()))
    same = persons[first] == persons[second]
    all_links = pl.from_arrow(links)
    direct = all_links.filter(
        ((pl.col("record_id_l") == first) & (pl.col("record_id_r") == second))
        | ((pl.col("record_id_l") == second) & (pl.col("record_id_r") == first)))
    result = {"records": _masked_records(rec), "same_person": same, "person_ids": [persons[first], persons[second]],
              "direct_links": _with_reasons(direct.to_dicts())}
    if same:
        members = pl.from_arrow(records.select(["record_id", "person_id"])).filter(
            pl.col("person_id") == persons[first])["record_id"].implode()
        inside = all_links.filter(pl.col("record_id_l").is_in(members) & pl.col("record_id_r").is_in(members))
        result["chain"] = _with_reasons(_path(inside, first, second) or [])
    return result
