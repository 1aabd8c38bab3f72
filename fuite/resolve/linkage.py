"""Probabilistic linkage with Splink, trained on the case itself (no labels).

u probabilities come from random sampling, m probabilities from EM on the
training blocking rules (skipped when a rule yields too few pairs: the levels then
keep the starting m values of :mod:`fuite.resolve.settings`), the prior from the
deterministic clusters. Everything engine-specific stays behind ``make_db_api``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import polars as pl

from fuite.errors import LinkError
from fuite.resolve.engine import make_db_api, release
from fuite.resolve.features import COMPARED
from fuite.resolve.settings import ResolveSettings, splink_settings, training_blocks

__all__ = ["ScoredPairs", "score_pairs", "pair_count", "level_labels", "floor_m_probabilities"]


@dataclass
class ScoredPairs:
    """Pairs Splink scored at or above the review floor, plus the trained model."""

    pairs: pl.DataFrame              # uid_l, uid_r, match_probability, match_weight, gamma_*
    model: dict                      # Splink model JSON (no data values)
    trained: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def pair_count(frame: pl.DataFrame, columns: tuple[str, ...]) -> int:
    """Number of pairs a blocking rule on equal ``columns`` generates (nulls never match)."""
    sizes = frame.drop_nulls(list(columns)).group_by(list(columns)).len()["len"]
    return int((sizes * (sizes - 1) // 2).sum())


def _prior(frame: pl.DataFrame, recall: float, floor: float = 1e-9, scale: float = 1.0) -> float:
    """Known pairs (within deterministic clusters) over the recall, per pair of rows; ``scale``: the rows of the whole
    case per row of ``frame``, when ``frame`` is one partition of it (known pairs grow with it, pairs squared)."""
    total = frame.height * (frame.height * scale - 1) / 2
    known = pair_count(frame, ("det_id",))
    return min(max((known / recall) / max(total, 1.0), floor), 0.5)


def score_pairs(frame: pl.DataFrame, settings: ResolveSettings, engine: str = "duckdb",
                review_floor: float = 0.5, progress=None, model: dict | None = None,
                prior_scale: float = 1.0) -> ScoredPairs:
    """Train a Splink model on ``frame`` (uid, det_id and the compared columns) and score its pairs; with
    ``model`` (trained before on most of these rows), score with it, its prior recomputed for ``frame``."""
    db_api = make_db_api(engine, memory_limit=settings.memory_limit, threads=settings.threads)
    try:
        return _score_pairs(db_api, frame, settings, review_floor, progress, model, prior_scale)
    finally:
        release(db_api)


def _score_pairs(db_api, frame: pl.DataFrame, settings: ResolveSettings, review_floor: float,
                 progress, reuse: dict | None = None, prior_scale: float = 1.0) -> ScoredPairs:
    from splink import Linker
    from splink.internals.exceptions import SplinkException

    logging.getLogger("splink").setLevel(logging.ERROR)
    table = frame.select("uid", "det_id", *COMPARED).to_arrow()
    sdf = db_api.register(table, table_name="fuite_resolve_input")
    prior = _prior(frame, settings.deterministic_recall, settings.min_prior, prior_scale)
    linker = Linker(sdf, splink_settings(settings, prior), log_level=None)
    trained, skipped = [], []
    try:
        if reuse is not None:
            model = {**reuse, "probability_two_random_records_match": prior}
            return _predict(sdf, model, review_floor, progress, [], ["reused"])
        if frame.height >= settings.min_u_rows:
            _step(progress, "estimating u by random sampling")
            # one pass per comparison over all the sampled pairs: the same u as Splink's ten chunks when, as
            # here, rare levels never reach its early-stopping count, in half the queries
            linker.training.estimate_u_using_random_sampling(max_pairs=settings.u_max_pairs, seed=settings.seed,
                                                             num_chunks=1, min_count_per_level=None)
            trained.append("u")
        else:
            skipped.append("u")
        for columns, rule in zip(settings.training_rules, training_blocks(settings)):
            name = "+".join(columns)
            if pair_count(frame, columns) < settings.min_training_pairs:
                skipped.append(name)
                continue
            _step(progress, f"EM on {name}")
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, max_pairs=settings.em_max_pairs, estimate_without_term_frequencies=True)
                trained.append(name)
            except SplinkException:
                skipped.append(name)
        model = floor_m_probabilities(linker.misc.save_model_to_json(), settings.m_floor)
        return _predict(sdf, model, review_floor, progress, trained, skipped)
    except SplinkException as exc:   # the message may quote values: never show it
        if "out of memory" in str(exc).lower():
            raise LinkError(f"linkage needs more than its memory limit ({settings.memory_limit}): raise it "
                            "(--memory, ResolveSettings.memory_limit)") from None
        raise LinkError(f"Splink failed ({type(exc.__cause__ or exc).__name__})") from None


def _predict(sdf, model: dict, review_floor: float, progress, trained: list[str], skipped: list[str]) -> ScoredPairs:
    from splink import Linker

    linker = Linker(sdf, model, log_level=None)
    _step(progress, "scoring candidate pairs")
    predictions = linker.inference.predict(threshold_match_probability=review_floor, warning_mode="never")
    pairs = pl.from_arrow(predictions.as_pyarrow_table())
    keep = ["uid_l", "uid_r", "match_probability", "match_weight"] + [c for c in pairs.columns if c.startswith("gamma_")]
    return ScoredPairs(pairs=pairs.select(keep), model=model, trained=trained, skipped=skipped)


def floor_m_probabilities(model: dict, floor: float) -> dict:
    """Raise trained m probabilities below ``floor``: a disagreement EM never saw among matches
    (an email typed differently) must weigh against a link, not forbid it."""
    for comparison in model.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            if "m_probability" in level:
                level["m_probability"] = max(level["m_probability"], floor)
    return model


def level_labels(model: dict) -> dict[str, dict[int, str]]:
    """For each comparison of a Splink model, its gamma value -> level label."""
    labels: dict[str, dict[int, str]] = {}
    for comparison in model.get("comparisons", []):
        levels = comparison["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        mapping = {-1: "missing"}
        for value, level in zip(range(len(non_null) - 1, -1, -1), non_null):
            mapping[value] = level.get("label_for_charts") or "other"
        labels[comparison["output_column_name"]] = mapping
    return labels


def _step(progress, message: str) -> None:
    if progress is not None:
        progress(message)
