"""Every knob of record linkage, in one documented place (see docs/resolve.md).

The settings are plain data that never mention a backend: the Splink comparisons
are built from Splink's dialect-free level creators, blocking rules from
``block_on`` or portable SQL, and the engine (DuckDB now, Spark later) is chosen
only when :func:`fuite.resolve.engine.make_db_api` is called.

Columns the comparisons see are prepared by :mod:`fuite.resolve.features`:
``last_f``/``first_f`` (accent-folded uppercase names), ``name_key`` (the sorted
name tokens, so swapped first/last names agree), ``birth_date`` (ISO), ``birth_ym``
(YYMM from the birth date, else from the NIR, which encodes it),
``postal_code``, ``city_f``, ``phone`` (E.164), ``email``, ``nir_own``, ``last_alt``,
``last_tokens``, ``first_tokens`` (see ``features``) and ``det_id`` (the deterministic
cluster a row already belongs to). A shared phone, email, address or insured NIR only
proposes pairs; the incompatibility rules of ``constraints`` decide what cannot join.
"""

from __future__ import annotations

from dataclasses import dataclass

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

__all__ = ["ResolveSettings", "DEFAULT_SETTINGS", "DETERMINISTIC_RULES", "comparisons", "splink_settings"]

#: Deterministic rules, strongest first: (name, key columns). Rows agreeing on every key
#: column are proposed as the same person, then checked by the incompatibility rules.
#: Contact points are shared in families, so they need the birth date as well; an insured
#: parent's NIR names a beneficiary only with the rank.
DETERMINISTIC_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("nir", ("nir_own",)),
    ("nir+rank", ("nir_rank",)),
    ("email+birth_date", ("email", "birth_date")),
    ("phone+birth_date", ("phone", "birth_date")),
)

#: The match weight (log2 Bayes factor) a deterministic link counts for when clusters are
#: built strongest link first.
DETERMINISTIC_WEIGHTS = {"nir": 60.0, "nir+rank": 60.0, "email+birth_date": 50.0, "phone+birth_date": 50.0}


def _level(level, label: str, m: float, u: float):
    """A level with its label and the starting m/u used until the case trains better ones."""
    return level.configure(label_for_charts=label, m_probability=m, u_probability=u)


def _names_levels() -> list:
    """Last and first names together, so that a swap counts once."""
    jw = "jaro_winkler_similarity"
    first_missing = "(first_f_l IS NULL OR first_f_r IS NULL)"
    return [
        cll.NullLevel("last_f"),
        _level(cll.CustomLevel("last_f_l = last_f_r AND first_f_l = first_f_r"), "same names", 0.82, 1e-5),
        _level(cll.CustomLevel("last_f_l = first_f_r AND first_f_l = last_f_r"),
               "same names, first and last swapped", 0.03, 1e-6),
        _level(cll.CustomLevel(f"{jw}(last_f_l, last_f_r) >= 0.92 AND {jw}(first_f_l, first_f_r) >= 0.92"),
               "names nearly equal (typo)", 0.07, 2e-5),
        _level(cll.CustomLevel(f"{jw}(last_f_l, first_f_r) >= 0.92 AND {jw}(first_f_l, last_f_r) >= 0.92"),
               "names nearly equal, swapped", 0.005, 1e-6),
        _level(cll.CustomLevel(f"last_f_l = last_f_r AND {first_missing}"),
               "same last name, a first name missing", 0.02, 1e-4),
        _level(cll.CustomLevel(f"{jw}(last_f_l, last_f_r) >= 0.92 AND {first_missing}"),
               "last name nearly equal, a first name missing", 0.005, 1e-4),
        _level(cll.And(cll.ArrayIntersectLevel("last_tokens", 1), cll.ArrayIntersectLevel("first_tokens", 1)),
               "a surname and a first name in common (compound, married or several names)", 0.03, 2e-5),
        _level(cll.And(cll.CustomLevel("last_alt_l = last_f_r OR last_f_l = last_alt_r OR last_alt_l = last_alt_r"),
                       cll.CustomLevel(f"{jw}(first_f_l, first_f_r) >= 0.92")),
               "birth name and usage name agree, same first name", 0.02, 1e-5),
        _level(cll.CustomLevel("last_f_l = last_f_r"), "same last name only", 0.02, 0.003),
        _level(cll.ArrayIntersectLevel("first_tokens", 1), "a first name in common only (another surname: married?)",
               0.02, 0.01),
        _level(cll.ElseLevel(), "names different", 0.01, 0.987),
    ]


def _birth_levels() -> list:
    swapped = ("substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4) AND "
               "substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2) AND "
               "substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2)")
    return [
        cll.NullLevel("birth_ym"),
        _level(cll.ExactMatchLevel("birth_date"), "same birth date", 0.9, 4e-5),
        _level(cll.DamerauLevenshteinLevel("birth_date", 1), "birth date one character off", 0.04, 5e-4),
        _level(cll.CustomLevel(swapped), "birth day and month swapped", 0.01, 1e-5),
        _level(cll.AbsoluteDateDifferenceLevel("birth_date", input_is_string=True, threshold=1, metric="day"),
               "birth dates one day apart", 0.005, 1e-5),
        _level(cll.CustomLevel("substr(birth_date_l, 3, 8) = substr(birth_date_r, 3, 8)"),
               "birth date equal but the century", 0.005, 1e-5),
        _level(cll.ExactMatchLevel("birth_ym"), "same birth year and month (date or NIR)", 0.03, 1e-3),
        _level(cll.CustomLevel("substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4)"),
               "same birth year", 0.005, 0.012),
        _level(cll.ElseLevel(), "birth date different", 0.01, 0.987),
    ]


def _place_levels() -> list:
    both_null = "(postal_code_l IS NULL OR postal_code_r IS NULL) AND (city_f_l IS NULL OR city_f_r IS NULL)"
    return [
        cll.CustomLevel(both_null, "postcode and town missing").configure(is_null_level=True),
        _level(cll.CustomLevel("postal_code_l = postal_code_r AND city_f_l = city_f_r"),
               "same postcode and town", 0.75, 0.002),
        _level(cll.CustomLevel("postal_code_l = postal_code_r"), "same postcode", 0.08, 0.001),
        _level(cll.CustomLevel("city_f_l = city_f_r"), "same town", 0.05, 0.001),
        _level(cll.CustomLevel("substr(postal_code_l, 1, 2) = substr(postal_code_r, 1, 2)"),
               "same département", 0.05, 0.05),
        _level(cll.ElseLevel(), "place different", 0.07, 0.946),
    ]


def _identifier_levels(col: str, label: str, near: int | None) -> list:
    typo = [_level(cll.LevenshteinLevel(col, near), f"{label} nearly equal (typo)", 0.05, 1e-4)] if near else []
    return [
        cll.NullLevel(col),
        _level(cll.ExactMatchLevel(col), f"same {label}", 0.8, 1e-5),
        *typo,
        _level(cll.ElseLevel(), f"{label} different", 0.1, 1 - 1.1e-4),
    ]


def comparisons() -> list:
    """The Splink comparisons, one per kind of evidence, with starting m/u values.

    Email has no "nearly equal" level: namesakes get ``jean.martin@`` and ``jean.martin2@``, so
    near-equal emails measure the names again (Splink assumes comparisons independent).
    """
    return [
        cl.CustomComparison(_names_levels(), output_column_name="names"),
        cl.CustomComparison(_birth_levels(), output_column_name="birth_date"),
        cl.CustomComparison(_place_levels(), output_column_name="place"),
        cl.CustomComparison(_identifier_levels("phone", "phone", 1), output_column_name="phone"),
        cl.CustomComparison(_identifier_levels("email", "email", None), output_column_name="email"),
        cl.CustomComparison(_identifier_levels("nir_own", "own NIR", 2), output_column_name="nir"),
    ]


_NOT_YET_LINKED = "l.det_id <> r.det_id"


def _rule(*cols: str) -> str:
    """A blocking rule on equal columns that skips pairs the deterministic step already joined."""
    return " AND ".join([f"l.{c} = r.{c}" for c in cols] + [_NOT_YET_LINKED])


@dataclass(frozen=True)
class ResolveSettings:
    """Linkage parameters. Change them here or pass a modified copy to ``resolve_records``."""

    #: Deterministic rules (name, key columns), strongest first; see DETERMINISTIC_RULES.
    deterministic_rules: tuple[tuple[str, tuple[str, ...]], ...] = DETERMINISTIC_RULES
    #: Pairs scored by Splink at or above this probability are proposed (then checked as clusters).
    match_threshold: float = 0.95
    #: A record that a refused link would have put in another compatible cluster, by a link
    #: within this many bits (log2) of its strongest link to its own cluster, is undecided.
    undecided_margin: float = 2.0
    #: Identifier values shared by more rows than this are treated as placeholders
    #: (``inconnu@inconnu.fr``, a lab's switchboard number) and never link on their own.
    max_identifier_rows: int = 40
    #: Blocking rules that generate the candidate pairs Splink scores (portable SQL).
    blocking_rules: tuple[str, ...] = (
        _rule("birth_date", "last_f"),
        _rule("birth_date", "first_f"),
        _rule("birth_date", "first_1"),
        "l.birth_date = r.birth_date AND l.last_f = r.first_f AND " + _NOT_YET_LINKED,
        _rule("birth_date", "postal_code"),
        _rule("name_key", "birth_ym"),
        _rule("name_key", "birth_y"),
        _rule("name_key", "postal_code"),
        _rule("phone"),
        _rule("email"),
        _rule("nir_own"),
        _rule("nir_insured", "birth_ym"),
    )
    #: Blocking rules whose pairs train the m probabilities by EM (no labels). Not on names: blocks
    #: of namesakes let EM mistake "same family name" for "same person".
    training_rules: tuple[tuple[str, ...], ...] = (("birth_date", "postal_code"), ("nir_own",))
    #: Fewer rows than this and u keeps its starting values (sampling would meet mostly matches).
    min_u_rows: int = 5000
    #: Fewer blocked pairs than this and EM is not run for that training rule.
    min_training_pairs: int = 2000
    #: Random pairs sampled to estimate the u probabilities.
    u_max_pairs: float = 1e6
    #: Cap on the pairs each EM session samples.
    em_max_pairs: float = 5e5
    #: Trained m probabilities are raised to at least this (no evidence is absolute).
    m_floor: float = 0.002
    #: Recall assumed for the deterministic rules when estimating the prior match probability.
    deterministic_recall: float = 0.7
    #: Floor of that prior (a case the deterministic rules barely touch estimates almost zero).
    min_prior: float = 1e-9
    seed: int = 42
    #: Collapse rows of one deterministic cluster with identical comparison values before Splink.
    collapse_duplicates: bool = True
    #: DuckDB memory cap; beyond it DuckDB spills, encrypted, or fails where it cannot encrypt (see engine.py).
    memory_limit: str = "5GB"
    #: Most records resolved at once (see ``partition``): a larger case is cut into partitions that no candidate
    #: pair crosses, resolved one at a time. None: as many as ``memory_limit`` holds (about 3.5 KB a record).
    partition_records: int | None = None
    threads: int | None = None


DEFAULT_SETTINGS = ResolveSettings()


def splink_settings(settings: ResolveSettings, prior: float = 1e-5) -> SettingsCreator:
    """The Splink model (dedupe) for these settings."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="uid",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=list(settings.blocking_rules),
        probability_two_random_records_match=prior,
        retain_matching_columns=True,  # gamma_* columns come only with these
        retain_intermediate_calculation_columns=False,
        max_iterations=15,
    )


def training_blocks(settings: ResolveSettings) -> list:
    """The EM training blocking rules as Splink rule creators."""
    return [block_on(*cols) for cols in settings.training_rules]
