"""The pure core: records in, persons out (``resolve_records``).

1. child rows (``parent_record_id`` set) are set aside: they take their root parent's person;
2. deterministic links on strong identifiers (the record's own NIR, an insured NIR with
   the beneficiary rank, email or phone with the birth date), clustered under the
   incompatibility rules of ``constraints`` (no cluster holds two sexes, two birth dates
   beyond a typo, two own NIRs, two ranks under one NIR or two first names);
3. rows of one deterministic cluster with identical comparison values are collapsed;
4. Splink scores the candidate pairs between different clusters; pairs at or above
   ``settings.match_threshold`` are proposed;
5. all proposed links are clustered again under the same rules, strongest first, so a
   sparse record cannot chain two persons; a record two incompatible clusters claim about
   equally is undecided and kept alone. ``person_id`` is the smallest ``record_id`` of
   each person.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa

from fuite.errors import LinkError
from fuite.resolve.clusters import Constrained, components, constrained_components
from fuite.resolve.constraints import incompatibility, signature_table
from fuite.resolve.deterministic import blank_placeholders, deterministic_edges
from fuite.resolve.features import COMPARED, comparison_frame
from fuite.resolve.linkage import level_labels, score_pairs
from fuite.resolve.persons import build_persons
from fuite.resolve.settings import DEFAULT_SETTINGS, DETERMINISTIC_WEIGHTS, ResolveSettings

__all__ = ["Resolution", "resolve_records", "LINK_SCHEMA", "RULE_EVIDENCE"]

#: The ``links`` table: one row per link considered (joined or a near miss).
LINK_SCHEMA = pa.schema([
    ("record_id_l", pa.int64()),
    ("record_id_r", pa.int64()),
    ("rule", pa.string()),            # "nir", "nir+rank", "email+birth_date", "phone+birth_date", "splink", "parent"
    ("match_probability", pa.float64()),
    ("match_weight", pa.float64()),   # Splink's log2 Bayes factor; null for deterministic links
    ("joined", pa.bool_()),
    ("evidence", pa.string()),        # what agreed, in words; never a value
    ("split_rule", pa.string()),      # why a proposed link did not join: "pair:…", "cluster:…", "undecided:…"
])

RULE_EVIDENCE = {
    "nir": "same own NIR",
    "nir+rank": "same insured NIR and beneficiary rank",
    "email+birth_date": "same email and birth date",
    "phone+birth_date": "same phone and birth date",
    "parent": "child row of this record (foreign key or nesting)",
}

_REQUIRED = ("record_id", "last_name", "first_name", "birth_date", "nir", "phone", "email", "postal_code", "city")


@dataclass
class Resolution:
    """What ``resolve_records`` found."""

    records: pa.Table      # the input records with person_id set
    links: pa.Table        # LINK_SCHEMA
    persons: pa.Table      # PERSON_SCHEMA
    summary: dict = field(default_factory=dict)
    model: dict = field(default_factory=dict)   # the trained Splink model (no data values)

    @property
    def person_ids(self) -> pa.Table:
        return self.records.select(["record_id", "person_id"])


def _roots(df: pl.DataFrame) -> tuple[pl.Series, int]:
    """The top-most ancestor of every record, and how many parent links point to no record.

    Each record has at most one parent, so each connected component of the parent links is a tree
    whose root is its one member without a parent, or (corrupt input) holds a cycle: then its
    smallest record id stands as the root.
    """
    if "parent_record_id" not in df.columns or df["parent_record_id"].null_count() == df.height:
        return df["record_id"], 0
    frame = df.select("record_id", pl.col("parent_record_id").alias("up")).with_row_index("pos")
    frame = frame.with_columns(pl.when(pl.col("up") == pl.col("record_id")).then(None).otherwise(pl.col("up"))
                               .alias("up"))
    edges = frame.drop_nulls("up").join(frame.select(pl.col("record_id").alias("up"), pl.col("pos").alias("up_pos")),
                                        on="up", how="inner")
    dangling = frame["up"].is_not_null().sum() - edges.height
    label = components(frame.height, edges["pos"].to_numpy(), edges["up_pos"].to_numpy())
    valid_up = frame.join(edges.select("pos", "up_pos"), on="pos", how="left", maintain_order="left")["up_pos"]
    frame = frame.with_columns(pl.Series("component", label), valid_up.alias("up_pos"))
    tops = frame.filter(pl.col("up_pos").is_null()).group_by("component").agg(pl.col("record_id").min().alias("top"))
    smallest = frame.group_by("component").agg(pl.col("record_id").min().alias("smallest"))
    root = frame.join(tops, on="component", how="left", maintain_order="left").join(
        smallest, on="component", how="left", maintain_order="left")
    return root.select(pl.coalesce("top", "smallest"))["top"].rename("root"), int(dangling)


def _collapse(frame: pl.DataFrame, collapse: bool) -> pl.DataFrame:
    """Splink input rows: uid, rep_pos (a record position), det_id and the compared columns.

    Rows without any compared value cannot link and are left out. With ``collapse``, rows of one
    deterministic cluster with identical compared values become one row.
    """
    usable = frame.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in COMPARED]))
    if collapse:
        rows = usable.group_by(["det_id", *COMPARED], maintain_order=True).agg(pl.col("pos").min().alias("rep_pos"))
    else:
        rows = usable.select("det_id", *COMPARED, pl.col("pos").alias("rep_pos"))
    return rows.with_row_index("uid").with_columns(pl.col("uid").cast(pl.Int64))


def _splink_links(rows: pl.DataFrame, settings: ResolveSettings, engine: str,
                  summary: dict, progress, model: dict | None = None,
                  prior_scale: float = 1.0) -> tuple[pl.DataFrame, dict]:
    """Scored pairs as record positions with evidence; empty when there is nothing to compare."""
    empty = pl.DataFrame(schema={"pos_l": pl.Int64, "pos_r": pl.Int64, "match_probability": pl.Float64,
                                 "match_weight": pl.Float64, "evidence": pl.String, "contacts": pl.Boolean})
    if rows.height < 2:
        return empty, {}
    scored = score_pairs(rows, settings, engine, progress=progress, model=model, prior_scale=prior_scale)
    summary["em_trained"], summary["em_skipped"] = scored.trained, scored.skipped
    labels = level_labels(scored.model)
    pairs = scored.pairs
    rep = rows.select("uid", "rep_pos")
    pairs = (pairs.join(rep.rename({"uid": "uid_l", "rep_pos": "pos_l"}), on="uid_l")
             .join(rep.rename({"uid": "uid_r", "rep_pos": "pos_r"}), on="uid_r"))
    parts = []
    for name, mapping in labels.items():
        column = f"gamma_{name}"
        if column in pairs.columns:
            text = pl.col(column).cast(pl.Int64).replace_strict(mapping, default="?", return_dtype=pl.String)
            parts.append(pl.lit(f"{name.replace('_', ' ')}: ") + text)
    evidence = pl.concat_str(parts, separator="; ") if parts else pl.lit("")
    pairs = pairs.with_columns(evidence.alias("evidence"), _contacts_disagree(pairs, labels).alias("contacts"))
    return pairs.select("pos_l", "pos_r", "match_probability", "match_weight", "evidence", "contacts"), scored.model


def _contacts_disagree(pairs: pl.DataFrame, labels: dict) -> pl.Expr:
    """Two of phone, email and place present on both sides and different, and no identifier in common:
    a namesake born the same day (a true homonym) looks exactly like this, so the pair is not proposed."""
    def gamma(name: str) -> pl.Expr:
        return pl.col(f"gamma_{name}") if f"gamma_{name}" in pairs.columns else pl.lit(-1)

    differ = ((gamma("phone") == 0).cast(pl.Int8) + (gamma("email") == 0).cast(pl.Int8)
              + gamma("place").is_in([0, 1]).cast(pl.Int8))
    top = {name: max(mapping) for name, mapping in labels.items()}
    same = pl.lit(False)
    for name in ("phone", "email", "nir"):
        if name in top:
            same = same | (gamma(name) == top[name])
    return (differ >= 2) & ~same


def resolve_records(records: pa.Table, *, settings: ResolveSettings | None = None, engine: str = "duckdb",
                    progress=None, model: dict | None = None, population: int | None = None,
                    placeholders: dict[str, pl.Series] | None = None) -> Resolution:
    """Resolve normalised records (``RECORD_SCHEMA``) into persons. See the module docstring.

    ``model``: a Splink model trained before on most of these records (files added to a case), or on the first
    partition of this case: scoring uses it instead of training again, with the prior recomputed.
    ``population`` and ``placeholders``, for one partition of a larger case (``fuite.resolve.partition``): the
    case's number of records that are not child rows (the prior is that of two random records of the whole case)
    and the hashes of its placeholder identifier values (blanked as they are in the whole case)."""
    settings = settings or DEFAULT_SETTINGS
    missing = [c for c in _REQUIRED if c not in records.column_names]
    if missing:
        raise LinkError(f"the records table lacks the column(s): {', '.join(missing)}")
    started = time.perf_counter()
    df = pl.from_arrow(records)
    if df["record_id"].null_count() or df["record_id"].n_unique() != df.height:
        raise LinkError("record_id must be present and unique")
    roots, dangling = _roots(df)
    df = df.with_columns(roots.alias("__root"))
    linkable = df.filter(pl.col("__root") == pl.col("record_id"))
    frame = comparison_frame(linkable).with_row_index("pos").with_columns(pl.col("pos").cast(pl.Int64))
    linked_rows = linkable.height
    del linkable   # memory: the comparison frame is all the linkage reads
    frame, blanked = blank_placeholders(frame, settings.max_identifier_rows, placeholders)
    summary: dict = {"records": df.height, "child_records": df.height - linked_rows,
                     "dangling_parents": dangling, "placeholders_blanked": blanked}

    _step(progress, "deterministic links")
    sig_keys, signatures, fields = signature_table(frame)
    contacts = frame.select("phone", "postal_code", "email", "nir_own")
    det = deterministic_edges(frame, settings)
    ids = frame["record_id"]
    position = pl.DataFrame({"record_id": ids, "pos": frame["pos"]})
    det = (det.join(position.rename({"record_id": "record_id_l", "pos": "pos_l"}), on="record_id_l")
           .join(position.rename({"record_id": "record_id_r", "pos": "pos_r"}), on="record_id_r"))
    det_weight = det["rule"].replace_strict(DETERMINISTIC_WEIGHTS, default=50.0, return_dtype=pl.Float64)
    det_clusters = _cluster(frame.height, det["pos_l"], det["pos_r"], det_weight, (sig_keys, signatures, fields, contacts),
                            settings)
    det_label = det_clusters.labels
    frame = frame.with_columns(pl.Series("det_id", ids.to_numpy()[det_label] if frame.height else [],
                                         dtype=pl.Int64))
    summary["deterministic_links"] = {rule: int(n) for rule, n in det.group_by("rule").len().iter_rows()}
    summary["deterministic_clusters"] = int(len(np.unique(det_label)))

    rows = _collapse(frame, settings.collapse_duplicates)
    summary["splink_rows"] = rows.height
    scale = population / linked_rows if population and linked_rows else 1.0
    scored, model = _splink_links(rows, settings, engine, summary, progress, model, scale)
    del rows
    proposed = (scored["match_probability"].to_numpy() >= settings.match_threshold) & \
        ~scored["contacts"].fill_null(False).to_numpy() if scored.height else np.zeros(0, dtype=bool)
    joined = scored.filter(pl.Series(proposed))
    summary["splink_pairs_scored"] = scored.height

    _step(progress, "clustering")
    final = _cluster(frame.height, pl.concat([det["pos_l"], joined["pos_l"]]),
                     pl.concat([det["pos_r"], joined["pos_r"]]),
                     pl.concat([det_weight, joined["match_weight"].cast(pl.Float64)]), (sig_keys, signatures, fields, contacts),
                     settings, previous=det_clusters)
    label = final.labels
    summary["splink_links"] = int(final.accepted[det.height:].sum())
    summary.update(_kept_apart(final))
    person_of_root = pl.DataFrame({"__root": ids, "person_id": ids.to_numpy()[label] if frame.height else []},
                                  schema={"__root": pl.Int64, "person_id": pl.Int64})
    df = df.drop("person_id", strict=False).join(person_of_root, on="__root", how="left")
    df = df.with_columns(pl.coalesce("person_id", "__root").alias("person_id"))
    summary["persons"] = int(df["person_id"].n_unique())

    links = _links_table(df, det, scored, ids, _verdicts(final, det.height, proposed,
                                                                 scored["contacts"].fill_null(False).to_numpy()))
    persons = build_persons(df)
    out = df.drop("__root")
    order = [c for c in records.column_names]
    out = out.select(order + [c for c in out.columns if c not in order])
    table = out.to_arrow()
    table = table.cast(pa.schema([records.schema.field(c) if c in records.column_names else table.schema.field(c)
                                  for c in table.column_names]))
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return Resolution(records=table, links=links, persons=persons, summary=summary, model=model)


def _cluster(size: int, left: pl.Series, right: pl.Series, weight: pl.Series, signature: tuple,
             settings: ResolveSettings, previous: Constrained | None = None) -> Constrained:
    """Clusters under the incompatibility rules; with ``previous`` (the deterministic clusters, whose links come
    first in ``left``/``right``), only the new links go through the greedy pass."""
    sig_keys, signatures, fields, contacts = signature
    return constrained_components(size, left.to_numpy(), right.to_numpy(), weight.fill_null(0.0).to_numpy(),
                                  sig_keys, signatures, incompatibility, fields, margin=settings.undecided_margin,
                                  contacts=contacts, previous=previous)


def _kept_apart(final: Constrained) -> dict:
    """Counts of the links the incompatibility rules refused, by rule, and of the undecided records."""
    counts: dict[str, int] = {}
    for why in final.reason:
        if why:
            counts[why] = counts.get(why, 0) + 1
    return {"kept_apart_links": dict(sorted(counts.items())), "undecided_records": int(len(final.undecided)),
            "checked_clusters": final.dirty_components}


def _verdicts(final: Constrained, n_det: int, proposed: np.ndarray, contacts: np.ndarray) -> dict:
    """Per deterministic and per scored link: joined, and why not when it was refused."""
    scored_joined = np.zeros(len(proposed), dtype=bool)
    scored_joined[np.flatnonzero(proposed)] = final.accepted[n_det:]
    scored_reason: list = [None] * len(proposed)
    for i in np.flatnonzero(~proposed & contacts).tolist():
        scored_reason[i] = "pair:contacts"
    for i, why in zip(np.flatnonzero(proposed).tolist(), final.reason[n_det:]):
        scored_reason[i] = why
    return {"det_joined": final.accepted[:n_det], "det_reason": final.reason[:n_det],
            "scored_joined": scored_joined, "scored_reason": scored_reason}


def _links_table(df: pl.DataFrame, det: pl.DataFrame, scored: pl.DataFrame, ids: pl.Series,
                 verdicts: dict) -> pa.Table:
    id_at = ids.to_numpy()
    det_part = pl.DataFrame({
        "record_id_l": det["record_id_l"], "record_id_r": det["record_id_r"], "rule": det["rule"],
        "match_probability": pl.Series([1.0] * det.height, dtype=pl.Float64),
        "match_weight": pl.Series([None] * det.height, dtype=pl.Float64),
        "joined": pl.Series(verdicts["det_joined"], dtype=pl.Boolean),
        "evidence": det["rule"].replace_strict(RULE_EVIDENCE, default="", return_dtype=pl.String),
        "split_rule": pl.Series(verdicts["det_reason"], dtype=pl.String),
    })
    splink_part = pl.DataFrame({
        "record_id_l": pl.Series(id_at[scored["pos_l"].to_numpy()] if scored.height else [], dtype=pl.Int64),
        "record_id_r": pl.Series(id_at[scored["pos_r"].to_numpy()] if scored.height else [], dtype=pl.Int64),
        "rule": pl.Series(["splink"] * scored.height, dtype=pl.String),
        "match_probability": scored["match_probability"].cast(pl.Float64),
        "match_weight": scored["match_weight"].cast(pl.Float64),
        "joined": pl.Series(verdicts["scored_joined"], dtype=pl.Boolean),
        "evidence": scored["evidence"],
        "split_rule": pl.Series(verdicts["scored_reason"], dtype=pl.String),
    })
    children = df.filter(pl.col("__root") != pl.col("record_id"))
    parent_part = pl.DataFrame({
        "record_id_l": children["parent_record_id"].cast(pl.Int64), "record_id_r": children["record_id"],
        "rule": pl.Series(["parent"] * children.height, dtype=pl.String),
        "match_probability": pl.Series([1.0] * children.height, dtype=pl.Float64),
        "match_weight": pl.Series([None] * children.height, dtype=pl.Float64),
        "joined": pl.Series([True] * children.height, dtype=pl.Boolean),
        "evidence": pl.Series([RULE_EVIDENCE["parent"]] * children.height, dtype=pl.String),
        "split_rule": pl.Series([None] * children.height, dtype=pl.String),
    })
    return pl.concat([det_part, splink_part, parent_part]).to_arrow().cast(LINK_SCHEMA)


def _step(progress, message: str) -> None:
    if progress is not None:
        progress(message)
