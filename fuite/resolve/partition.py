"""Resolution in bounded memory: the records cut into partitions that no candidate pair crosses (pure).

Two records are compared only when a blocking rule brings them together, and linked
deterministically only when they share a strong identifier: both are equalities of key
columns. Records that share no key, directly or through others, are never compared, so the
connected components of "shares a key" (one union-find over the keys of every blocking and
deterministic rule at once, which overlapping rules do not defeat) can be resolved apart and
give the clusters of the whole run. Child rows go with their parent row.

Components are packed, in a seeded random order, into partitions of about ``cap`` records,
each resolved by the pure core in turn. The keys are joined one rule at a time, strongest
first, and a merge that would make a component larger than ``cap`` (a *giant*: on a
national leak, namesakes in one town chain whole families together through the weakest
rules) is refused for that component only: the pairs only that rule (or a weaker one)
would have proposed between its pieces are not scored, which can only keep persons apart.
The refused components, their records and the rules refused are counted.

Keys are 64-bit hashes of the key values, in memory only; nothing here writes anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa

from fuite.resolve.clusters import components
from fuite.resolve.deterministic import IDENTIFIERS
from fuite.resolve.features import comparison_frame
from fuite.resolve.settings import ResolveSettings

__all__ = ["FEATURE_COLUMNS", "Plan", "KeySpec", "key_specs", "plan_partitions", "partition_cap",
           "BYTES_PER_RECORD", "HELD_BYTES_PER_RECORD",
           "key_passes", "memory_bytes", "plan_floor"]

#: Record columns the comparison frame is built from (all a plan reads from the store).
FEATURE_COLUMNS = ("record_id", "last_name", "first_name", "birth_name", "birth_date", "sex", "postal_code", "city",
                   "phone", "email", "nir", "beneficiary_rank", "beneficiary_quality")

#: Peak memory of the pure core per record resolved at once (measured: 5.47 GB for the full drill's 1.49 M
#: records, 10.3 GB for 3.0 M), used to size partitions from the memory cap.
BYTES_PER_RECORD = 3_500

#: What a partitioned resolution keeps per record while it resolves the partitions (record id, parent, partition,
#: person id), taken from the memory cap before the partitions are sized, so that the peak stays at the cap.
HELD_BYTES_PER_RECORD = 32

#: Every column derived from the NIR is keyed by the NIR itself: which role (own, an insured person's) a NIR
#: plays is decided over all the records that carry it, so they must stay together.
_NIR_COLUMNS = {"nir_own": "nir", "nir_insured": "nir", "nir_rank": "nir"}

_EQUALITY = re.compile(r"^\s*\(?\s*l\.(\w+)\s*=\s*r\.(\w+)\s*\)?\s*$")
_SKIPS_LINKED = re.compile(r"^\s*l\.det_id\s*<>\s*r\.det_id\s*$")


@dataclass(frozen=True)
class KeySpec:
    """One rule's key: the columns of the left record that must equal those of the right one."""

    name: str
    left: tuple[str, ...]
    right: tuple[str, ...]

    @property
    def symmetric(self) -> bool:
        return self.left == self.right


def _parse_rule(sql: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """``l.a = r.a AND l.b = r.c AND l.det_id <> r.det_id`` -> ((a, b), (a, c)); None for anything else."""
    left, right = [], []
    for term in re.split(r"\s+AND\s+", sql.strip(), flags=re.IGNORECASE):
        if _SKIPS_LINKED.match(term):
            continue
        found = _EQUALITY.match(term)
        if not found:
            return None
        left.append(_NIR_COLUMNS.get(found.group(1), found.group(1)))
        right.append(_NIR_COLUMNS.get(found.group(2), found.group(2)))
    if not left:
        return None
    pairs = sorted(set(zip(left, right)))
    return tuple(a for a, _ in pairs), tuple(b for _, b in pairs)


def _strength(spec: KeySpec) -> int:
    """Identifiers first, then rules with the birth date, then names alone (the order giants are cut in)."""
    columns = set(spec.left) | set(spec.right)
    if columns & {"nir", "email", "phone"}:
        return 0
    return 1 if "birth_date" in columns else 2


def key_specs(settings: ResolveSettings) -> list[KeySpec] | None:
    """The keys of every deterministic and blocking rule, strongest first, without the redundant ones (a rule
    whose columns include another's: its pairs are the other's too); None when a blocking rule is not a
    conjunction of column equalities (then partitioning would not be exact: resolve whole)."""
    specs: list[KeySpec] = []
    for name, columns in settings.deterministic_rules:
        mapped = tuple(sorted({_NIR_COLUMNS.get(c, c) for c in columns}))
        specs.append(KeySpec(name, mapped, mapped))
    for i, sql in enumerate(settings.blocking_rules):
        parsed = _parse_rule(sql)
        if parsed is None:
            return None
        specs.append(KeySpec(f"blocking {i + 1}: " + "+".join(dict.fromkeys(parsed[0] + parsed[1])), *parsed))
    kept: list[KeySpec] = []
    for spec in sorted(specs, key=_strength):   # stable: the settings' order within a class
        if any(k.symmetric and spec.symmetric and set(k.left) <= set(spec.left) for k in kept):
            continue
        if spec.symmetric:
            kept = [k for k in kept if not (k.symmetric and set(spec.left) < set(k.left))]
        if spec not in kept:
            kept.append(spec)
    return kept


def partition_cap(settings: ResolveSettings, records: int = 0) -> int:
    """Most records resolved at once: ``settings.partition_records``, else what ``memory_limit`` holds once what a
    partitioned run keeps for each of the case's ``records`` is set aside."""
    if settings.partition_records:
        return int(settings.partition_records)
    limit = memory_bytes(settings)
    whole = limit // BYTES_PER_RECORD
    if records <= whole:
        return max(whole, 1000)
    return max((limit - records * HELD_BYTES_PER_RECORD) // BYTES_PER_RECORD, 1000)


@dataclass
class Plan:
    """Which partition each record (in store order) goes to, and what the cut found."""

    part: np.ndarray                      # int32 per record, in the order the records were read
    count: int                            # number of partitions
    linkable: int                         # records that are not child rows (the population of the prior)
    placeholders: dict[str, pl.Series]    # identifier -> hashes of the values held by too many records
    summary: dict = field(default_factory=dict)


def _key_hashes(frame: pl.DataFrame, spec: KeySpec) -> list[pl.Series]:
    """One or two (for a rule equating different columns) hash series of this rule's key, null when a part is."""
    def one(columns: tuple[str, ...]) -> pl.Series:
        parts = [pl.col(c).list.join("\x1e") if frame.schema[c] == pl.List(pl.String) else pl.col(c)
                 for c in columns]
        expr = pl.concat_str(parts, separator="\x1f")
        return frame.select(pl.when(expr.is_not_null()).then(expr.hash()).alias("k"))["k"]

    return [one(spec.left)] if spec.symmetric else [one(spec.left), one(spec.right)]


def _join_on(label: np.ndarray, positions: np.ndarray, key: pl.Series) -> np.ndarray:
    """``label`` (each record's component, as its smallest position) merged along equal non-null ``key`` values
    (``key[i]`` is that of the record at ``positions[i]``). Sorted by polars, grouped in numpy: a window over
    millions of keys costs several times more in polars."""
    valid = key.is_not_null().to_numpy()
    keys, where = key.fill_null(0).to_numpy()[valid], positions[valid]
    if len(keys) < 2:
        return label
    order = pl.Series(keys).arg_sort().to_numpy()   # polars sorts on every core
    keys, where = keys[order], where[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    head = np.repeat(np.minimum.reduceat(where, starts), np.diff(np.r_[starts, len(keys)]))
    a, b = label[where], label[head]
    differ = a != b
    if not differ.any():
        return label
    n = len(label)
    pairs = pl.Series(a[differ] * n + b[differ]).unique().to_numpy()
    merged = components(n, pairs // n, pairs % n)
    return merged[label]


def _nulled(series: pl.Series, mask: np.ndarray) -> pl.Series:
    return pl.DataFrame({"v": series, "m": mask}).select(pl.when(pl.col("m")).then(None).otherwise(pl.col("v")))[:, 0]


def _sizes(label: np.ndarray) -> np.ndarray:
    return np.bincount(label, minlength=len(label))


def _rebatched(batches, keep: np.ndarray, rows: int = 262_144):
    """The rows of ``batches`` where ``keep`` (one flag per row, in order), as frames of about ``rows`` rows, each
    with the positions of its rows: polars works per call, so a few large frames cost less than many chunks."""
    pending, positions, size, offset = [], [], 0, 0
    for batch in batches:
        flags = keep[offset:offset + batch.num_rows]
        if flags.any():
            pending.append(batch.filter(pa.array(flags)))
            positions.append(offset + np.flatnonzero(flags))
            size += pending[-1].num_rows
        offset += batch.num_rows
        if size >= rows:
            yield _frame(pending), np.concatenate(positions)
            pending, positions, size = [], [], 0
    if pending:
        yield _frame(pending), np.concatenate(positions)


def _frame(batches: list) -> pl.DataFrame:
    return pl.from_arrow(pa.concat_tables([pa.Table.from_batches([b]) for b in batches], promote_options="default"))


def plan_partitions(batches, record_ids, parents, settings: ResolveSettings, cap: int,
                    seed: int | None = None, memory: int | None = None, groups=None,
                    touched: np.ndarray | None = None) -> Plan | None:
    """Partition the records read as ``batches`` (``FEATURE_COLUMNS``, in store order; ``record_ids`` and
    ``parents``, their ``record_id`` and ``parent_record_id`` in the same order) into partitions of about ``cap``
    records; None when the rules cannot be partitioned exactly (``key_specs``).

    ``batches`` is a list, or a function returning a new iterator over them: the records are read once for every
    group of rules whose keys fit in ``memory`` bytes at once (default: the settings' memory cap), so that the
    plan of a case of any size stays within the cap; the plan is the same whatever the number of passes.

    ``groups`` (one integer or null per record: the person a resolution already made of it) keeps each group in
    one component, before any rule. With ``touched`` (a flag per record: the records added since), only the
    components holding a touched record are packed into partitions; every other record gets partition -1."""
    specs = key_specs(settings)
    if specs is None:
        return None
    read = batches if callable(batches) else (lambda: iter(batches))
    record_id = pl.Series("record_id", record_ids).cast(pl.Int64)
    n = len(record_id)
    lookup = pl.DataFrame({"parent": record_id, "up": np.arange(n, dtype=np.int64)})
    up = pl.DataFrame({"parent": pl.Series("parent", parents).cast(pl.Int64)}).join(
        lookup, on="parent", how="left", maintain_order="left")["up"]
    del lookup, record_id
    child = up.is_not_null().to_numpy()
    label = np.arange(n, dtype=np.int64)
    if child.any():
        label = components(n, np.flatnonzero(child), up.drop_nulls().to_numpy())
    del up
    if groups is not None:
        label = _join_on(label, np.arange(n, dtype=np.int64), pl.Series("g", groups, pl.Int64))
    cut, linked, placeholders = _Cut(cap, label), None, {}
    for group in key_passes(specs, n, memory_bytes(settings) if memory is None else memory):
        hashes, where, ident = _read_keys(read, ~child, [specs[i] for i in group], first=linked is None)
        if linked is None:
            linked = np.concatenate(where) if where else np.zeros(0, dtype=np.int64)   # the linkable rows
            placeholders = _placeholders(ident, settings.max_identifier_rows)
        del where, ident
        for i in group:   # each key freed once joined
            key = hashes.pop(0)
            label = cut.merge(specs[i].name, label, _joined(label, linked, specs[i], key, placeholders))
            del key
    return _pack(label, cap, n, n - int(child.sum()), placeholders, cut.summary(),
                 settings.seed if seed is None else seed, touched)


#: Bytes a record costs the plan whatever the rules (its label, positions, parent, the sort of one key), and
#: per side of a rule's key (a 64-bit hash and its validity) while a pass holds it.
PLAN_BYTES_PER_RECORD, KEY_BYTES_PER_RECORD = 120, 9


def memory_bytes(settings: ResolveSettings) -> int:
    """The memory cap in bytes (``settings.memory_limit``, read by ``fuite.resolve.engine``, its one parser)."""
    from fuite.resolve.engine import memory_bytes as parsed

    return parsed(settings.memory_limit)


def plan_floor(records: int) -> int:
    """The least memory the plan of ``records`` records needs (its fixed part and the keys of one two-sided rule):
    below it, no number of passes keeps the plan within the cap."""
    return records * (PLAN_BYTES_PER_RECORD + 2 * KEY_BYTES_PER_RECORD)


def key_passes(specs: list[KeySpec], records: int, memory: int) -> list[list[int]]:
    """The rules (indices, strongest first) grouped into passes over the records, each group's keys within what
    ``memory`` leaves once every record's fixed part is counted; at least one rule a pass."""
    budget = memory - records * PLAN_BYTES_PER_RECORD
    groups: list[list[int]] = [[]]
    used = 0
    for i, spec in enumerate(specs):
        cost = records * KEY_BYTES_PER_RECORD * (1 if spec.symmetric else 2)
        if groups[-1] and used + cost > budget:
            groups.append([])
            used = 0
        groups[-1].append(i)
        used += cost
    return groups


def _read_keys(read, linkable: np.ndarray, specs: list[KeySpec], first: bool):
    """One pass over the records: the key hashes of ``specs`` for the linkable rows; on the first pass also their
    positions and the hashes of their identifiers (for the placeholders)."""
    hashes: list[list[list[pl.Series]]] = [[] for _ in specs]
    ident: dict[str, list[pl.Series]] = {name: [] for name in ("nir", "email", "phone")} if first else {}
    where = []
    for batch, positions in _rebatched(read(), linkable):   # child rows take their parent's component: no keys
        frame = comparison_frame(batch, keys_only=True)
        if first:
            where.append(positions)
        for i, spec in enumerate(specs):
            hashes[i].append(_key_hashes(frame, spec))
        for name in ident:
            ident[name].append(frame.select(pl.when(pl.col(name).is_not_null()).then(pl.col(name).hash()))[:, 0])
        del frame
    joined = [[pl.concat([h[s] for h in parts]) for s in range(len(parts[0]))] if parts else [] for parts in hashes]
    return joined, where, ident


def _placeholders(ident: dict[str, list[pl.Series]], limit: int) -> dict[str, pl.Series]:
    """Identifier values held by more linkable records than ``limit`` are placeholders: they link nothing in the
    core, and join no component here."""
    placeholders: dict[str, pl.Series] = {}
    for name, parts in ident.items():
        column = pl.concat(parts) if parts else pl.Series(name, [], pl.UInt64)
        counts = pl.DataFrame({"h": column}).drop_nulls().group_by("h").len()
        placeholders["nir_own" if name == "nir" else name] = counts.filter(pl.col("len") > limit)["h"]
    return placeholders


def _joined(label: np.ndarray, linked: np.ndarray, spec: KeySpec, sides: list[pl.Series],
            placeholders: dict[str, pl.Series]) -> np.ndarray:
    """``label`` merged along one rule's key (both sides in one key space for a rule equating two columns)."""
    if not sides:
        return label
    if spec.symmetric and len(spec.left) == 1 and spec.left[0] in ("email", "phone", "nir"):
        blank = placeholders["nir_own" if spec.left[0] == "nir" else spec.left[0]]
        sides = [_nulled(sides[0], sides[0].is_in(blank.implode()).fill_null(False).to_numpy())]
    if len(sides) == 1:
        return _join_on(label, linked, sides[0])
    return _join_on(label, np.concatenate([linked, linked]), pl.concat(sides))


class _Cut:
    """Merges of components that would outgrow the cap are refused, one rule at a time, strongest rule first:
    inside an overflowing component every stronger rule has joined its records, and the pairs only this rule
    (or a weaker one) proposes across the pieces are not scored. Counts what was refused."""

    def __init__(self, cap: int, label: np.ndarray):
        self.cap = cap
        self.refused = np.zeros(len(label), dtype=bool)   # records of a component whose growth was refused
        self.giants = 0
        self.rules: dict[str, int] = {}
        self.largest = int(_sizes(label).max()) if len(label) else 0

    def merge(self, rule: str, label: np.ndarray, merged: np.ndarray) -> np.ndarray:
        """``merged`` (the components once this rule's keys are joined) where they fit the cap, else ``label``."""
        if merged is label or not len(label):
            return label
        sizes = _sizes(merged)
        self.largest = max(self.largest, int(sizes.max()))
        over = sizes[merged] > self.cap
        grown = over & (merged != label)   # records an overflowing component would have moved
        if not grown.any():
            return merged
        roots = np.unique(merged[grown])
        marked = np.zeros(len(label), dtype=bool)
        marked[roots] = True
        refused = over & marked[merged]
        self.giants += len(roots)
        self.rules[rule] = int(refused.sum())
        self.refused |= refused
        return np.where(refused, label, merged)

    def summary(self) -> dict:
        return {"largest_component": self.largest, "giant_components": self.giants,
                "giant_records": int(self.refused.sum()), "rules_cut": dict(self.rules)}


def _pack(component: np.ndarray, cap: int, n: int, linkable: int, placeholders: dict, summary: dict,
          seed: int, touched: np.ndarray | None = None) -> Plan:
    """Components (those holding a ``touched`` record, when given) packed, in a seeded random order, into as few
    partitions of at most about ``cap`` records as the cap allows (``_bins``; one that is larger on its own, a tree
    of child rows, gets a partition of its own); the other records get partition -1."""
    comp_sizes = _sizes(component) if n else np.zeros(0, dtype=np.int64)
    summary = {"components": int((comp_sizes > 0).sum()), **summary}
    roots = np.flatnonzero(comp_sizes)
    if touched is not None:
        wanted = np.zeros(n, dtype=bool)
        wanted[component[touched]] = True
        roots = roots[wanted[roots]]
        summary["components_touched"] = len(roots)
    rng = np.random.default_rng(seed)
    big = roots[comp_sizes[roots] > cap]
    small = rng.permutation(roots[comp_sizes[roots] <= cap])
    bin_of = np.full(n, -1, dtype=np.int32)
    bins = _bins(comp_sizes[small], cap)
    bin_of[small] = bins
    count = int(bins.max()) + 1 if len(bins) else 0
    bin_of[big] = np.arange(count, count + len(big), dtype=np.int32)
    count += len(big)
    part = bin_of[component] if n else np.zeros(0, dtype=np.int32)
    placed = part[part >= 0]
    summary["partitions"] = max(count, 1)
    summary["partition_records"] = int(np.bincount(placed).max()) if len(placed) else 0
    if touched is not None:
        summary["records_touched"] = len(placed)
    return Plan(part=part, count=count if touched is not None else max(count, 1), linkable=linkable,
                placeholders=placeholders, summary=summary)


#: The large components placed one by one (largest first); any others are placed with the small ones.
_LARGEST_PLACED = 4096


def _bins(sizes: np.ndarray, cap: int) -> np.ndarray:
    """The partition of each component (``sizes``, each at most ``cap``, in a random order): as few partitions as
    the cap allows, evenly filled. The large components (over 1/64 of a partition: pieces of a giant) go first,
    largest first, each into the first partition with room; the others fill what is left in their order, each in
    the partition where it starts, so that no partition exceeds its share by more than one small component."""
    total = int(sizes.sum())
    if not total:
        return np.zeros(len(sizes), dtype=np.int32)
    width = -(-total // -(-total // cap))
    out = np.zeros(len(sizes), dtype=np.int32)
    large = np.flatnonzero(sizes > width // 64)
    large = large[np.argsort(-sizes[large], kind="stable")][:_LARGEST_PLACED]
    fill = np.zeros(len(large), dtype=np.int64)   # at most one partition a large component
    for i in large.tolist():
        fits = fill + sizes[i] <= width
        slot = int(np.argmax(fits)) if fits.any() else int(np.argmax(fill == 0))   # the first with room, or alone
        fill[slot] += sizes[i]
        out[i] = slot
    used = int(np.count_nonzero(fill))
    small = np.ones(len(sizes), dtype=bool)
    small[large] = False
    small = np.flatnonzero(small)
    room = np.cumsum(np.maximum(width - fill[:used], 0))
    start = np.cumsum(sizes[small]) - sizes[small]
    inside = np.searchsorted(room, start, side="right")
    beyond = used + (start - (room[-1] if used else 0)) // width
    out[small] = np.where(inside < used, inside, beyond)
    return np.unique(out, return_inverse=True)[1].astype(np.int32)   # no partition left empty


def resolve_in_parts(records: pa.Table, *, settings: ResolveSettings, cap: int, engine: str = "duckdb"):
    """``resolve_records`` a partition at a time, all in memory (what ``fuite resolve`` does through the case
    store): the first partition trains the Splink model, the others score with it. Returns a ``Resolution``
    whose records are in the input order and whose summary adds the plan's counts."""
    from fuite.resolve.core import Resolution, resolve_records

    parents = records.column("parent_record_id") if "parent_record_id" in records.column_names else \
        pa.nulls(records.num_rows, pa.int64())
    plan = plan_partitions(records.select([c for c in FEATURE_COLUMNS if c in records.column_names]).to_batches(),
                           records.column("record_id"), parents, settings, cap)
    if plan is None or plan.count == 1:
        return resolve_records(records, settings=settings, engine=engine)
    model, results = None, []
    for p in range(plan.count):
        part = records.filter(pa.array(plan.part == p))
        results.append(resolve_records(part, settings=settings, engine=engine, model=model,
                                       population=plan.linkable, placeholders=plan.placeholders))
        model = model or results[-1].model
    ids = pl.concat([pl.from_arrow(r.person_ids) for r in results])
    order = pl.from_arrow(records.select(["record_id"])).join(ids, on="record_id", how="left", maintain_order="left")
    table = records.set_column(records.column_names.index("person_id"), records.schema.field("person_id"),
                               order["person_id"].to_arrow().cast(records.schema.field("person_id").type)) \
        if "person_id" in records.column_names else records.append_column("person_id", order["person_id"].to_arrow())
    summary = {"records": records.num_rows, "persons": int(ids["person_id"].n_unique()), **plan.summary}
    return Resolution(records=table, links=pa.concat_tables([r.links for r in results]),
                      persons=pa.concat_tables([r.persons for r in results]), summary=summary, model=model)
