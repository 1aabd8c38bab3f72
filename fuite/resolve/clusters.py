"""Clusters over edge lists.

``components``: connected components, vectorised union-find (min-label propagation with
pointer jumping), so millions of links cluster in well under a second.
``constrained_components``: the same, checked as a whole against incompatibility rules
(``fuite.resolve.constraints``); only components whose records disagree are rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["components", "constrained_components", "Constrained"]


def components(size: int, left, right) -> np.ndarray:
    """Label each of ``size`` nodes with the smallest node index of its component.

    ``left``/``right`` are the two ends of each edge (node indices ``0..size-1``).
    """
    labels = np.arange(size, dtype=np.int64)
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    if size == 0 or len(left) == 0:
        return labels
    while True:
        low = np.minimum(labels[left], labels[right])
        before = labels.copy()
        np.minimum.at(labels, labels[left], low)   # hook each root under the smaller label
        np.minimum.at(labels, labels[right], low)
        np.minimum.at(labels, left, low)
        np.minimum.at(labels, right, low)
        while True:                                  # pointer jumping: flatten the trees
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(labels, before):
            return labels


@dataclass
class Constrained:
    """Clusters built under the incompatibility rules, and what was kept apart."""

    labels: np.ndarray          # per node: the smallest node index of its cluster
    accepted: np.ndarray        # per edge: True when the edge lies inside a cluster
    reason: list                # per edge: None, or "<scope>:<rule>" (scope "pair", "cluster" or "undecided")
    undecided: np.ndarray       # node indices kept alone because two incompatible clusters claimed them
    dirty_components: int = 0
    _pass: tuple | None = field(default=None, repr=False)   # the greedy pass before undecided records, to resume


def _disputed(fields, labels: np.ndarray, contacts=None) -> tuple[np.ndarray, np.ndarray]:
    """Components (by label) where some field holds two different non-null values, or that hold several values
    of two of phone, place and email: only they need checking."""
    import polars as pl

    frame = fields.with_columns(pl.Series("__label", labels))
    counts = frame.group_by("__label").agg([pl.col(c).drop_nulls().n_unique() for c in fields.columns])
    disputed = counts.filter(pl.any_horizontal([pl.col(c) > 1 for c in fields.columns]))["__label"]
    moved = pl.Series("__label", [], dtype=disputed.dtype)
    if contacts is not None:   # two of phone, place and email with several values: namesakes or a move
        kinds = ("phone", "postal_code", "email")
        moved = contacts.select(kinds).with_columns(pl.Series("__label", labels)).group_by("__label").agg(
            [pl.col(c).drop_nulls().n_unique() for c in kinds])
        several = pl.sum_horizontal([(pl.col(c) > 1).cast(pl.Int8) for c in kinds]) >= 2
        moved = moved.filter(several)["__label"]
    return disputed.to_numpy().astype(np.int64), moved.to_numpy().astype(np.int64)


def _incompatible(candidates: np.ndarray, labels: np.ndarray, keys: np.ndarray, greedy: "_Greedy",
                  most: int = 16) -> np.ndarray:
    """The components of ``candidates`` that hold two incompatible signatures (or more than ``most`` distinct
    ones, not worth checking pair by pair): in the others every merge would be accepted."""
    nodes = np.flatnonzero(np.isin(labels, candidates))
    if len(nodes) == 0:
        return candidates[:0]
    pairs = np.unique(np.stack([labels[nodes], keys[nodes]], axis=1), axis=0)
    starts = np.flatnonzero(np.r_[True, pairs[1:, 0] != pairs[:-1, 0]])
    ends = np.r_[starts[1:], len(pairs)]
    found = []
    for a, b in zip(starts.tolist(), ends.tolist()):
        signatures = set(pairs[a:b, 1].tolist())
        if b - a > most or greedy.clash(signatures, signatures):
            found.append(int(pairs[a, 0]))
    return np.array(found, dtype=np.int64)


class _Contacts:
    """Per cluster: its phones, places, emails and own NIRs, to tell a namesake from a person who moved."""

    def __init__(self, contacts):
        self._columns = [contacts[c].to_list() for c in ("phone", "postal_code", "email", "nir_own")]
        self.of: dict[int, list[set]] = {}

    def alone(self, node: int) -> list[set]:
        return [set() if (v := col[node]) is None else {v} for col in self._columns]

    def get(self, root: int, node: int) -> list[set]:
        found = self.of.get(root)
        if found is None:
            found = self.of[root] = self.alone(node)
        return found

    def seed(self, root: int, nodes) -> None:
        """A cluster already built (all its records together) before the greedy pass."""
        self.of[root] = [{v for v in (col[n] for n in nodes) if v is not None} for col in self._columns]

    def merge(self, root: int, other: int) -> None:
        a, b = self.of.pop(other), self.of[root]
        for x, y in zip(b, a):   # in place, into the kept cluster's sets
            x |= y

    @staticmethod
    def clash(a: list[set], b: list[set]) -> str | None:
        """Two of phones, places and emails known on each side and all different, and no phone, email or own NIR
        in common: what the pair guard (``core._contacts_disagree``) refuses, for whole clusters."""
        phones, places, emails, nirs = zip(a, b)
        if not (phones[0].isdisjoint(phones[1]) and emails[0].isdisjoint(emails[1]) and nirs[0].isdisjoint(nirs[1])):
            return None
        differ = (bool(phones[0] and phones[1]) + bool(emails[0] and emails[1])   # known on both sides: disjoint
                  + bool(places[0] and places[1] and places[0].isdisjoint(places[1])))
        return "contacts" if differ >= 2 else None


class _Greedy:
    """The greedy pass of ``constrained_components``: a union-find over records whose every merge is checked
    against the clusters' signatures (and contacts). It can go on with more edges (see ``resume``)."""

    def __init__(self, signature_keys: np.ndarray, signatures, incompatibility, contacts):
        self.keys = signature_keys
        self.signatures = signatures
        self.incompatibility = incompatibility
        self.profile = _Contacts(contacts) if contacts is not None else None
        self.parent: dict[int, int] = {}
        self.members: dict[int, set] = {}
        self.cache: dict[tuple[int, int], str | None] = {}
        self.best_in: dict[int, float] = {}
        self.refused: list[tuple[int, int, int]] = []

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while (up := parent.get(root, root)) != root:
            root = up
        while (up := parent.get(x, x)) != root:
            parent[x], x = root, up
        return root

    def clash(self, a: set, b: set) -> str | None:
        cache = self.cache
        for s in a:
            for t in b:
                if s == t:
                    continue
                key = (s, t) if s < t else (t, s)
                why = cache.get(key, 0)
                if why == 0:
                    why = cache[key] = self.incompatibility(self.signatures[s], self.signatures[t])
                if why:
                    return why
        return None

    def seed(self, root: int, nodes: np.ndarray) -> None:
        """Put ``nodes`` (an already compatible cluster) together under ``root`` before the pass."""
        parent = self.parent
        for n in nodes.tolist():
            parent[n] = root
        self.members[root] = set(self.keys[nodes].tolist())
        if self.profile is not None:
            self.profile.seed(root, nodes.tolist())

    def run(self, edges: np.ndarray, left: np.ndarray, right: np.ndarray, weight: np.ndarray,
            accepted: np.ndarray, reason: list) -> None:
        """Take ``edges`` (indices, strongest first), joining their clusters unless a rule forbids it."""
        keys, members, profile, best_in = self.keys, self.members, self.profile, self.best_in
        for e in edges.tolist():
            u, v = int(left[e]), int(right[e])
            ru, rv = self.find(u), self.find(v)
            if ru == rv:
                continue
            ku, kv = int(keys[u]), int(keys[v])
            su = members.get(ru)
            if su is None:
                su = members[ru] = {ku}
            sv = members.get(rv)
            if sv is None:
                sv = members[rv] = {kv}
            direct = None if ku == kv else self.clash({ku}, {kv})
            why = direct or self.clash(su, sv)
            if not why and profile is not None:
                why = profile.clash(profile.get(ru, u), profile.get(rv, v))
            if why:
                accepted[e] = False
                reason[e] = f"{'pair' if direct else 'cluster'}:{why}"
                if not direct:
                    self.refused.append((e, u, v))
                continue
            if len(su) < len(sv):     # the larger cluster's root stays the root: unions in place, smaller in
                ru, rv, su, sv = rv, ru, sv, su
            self.parent[rv] = ru
            su |= sv
            members.pop(rv, None)
            if profile is not None:   # both clusters' contacts were read by the check above
                profile.merge(ru, rv)
            w = weight[e]
            for node in (u, v):
                if best_in.get(node, -np.inf) < w:
                    best_in[node] = w

    def undecided(self, weight: np.ndarray, margin: float) -> set:
        """Records a refused edge would have put, about as strongly as their own cluster holds them, in another
        cluster they are compatible with."""
        found = set()
        keys, profile, best_in = self.keys, self.profile, self.best_in
        for e, u, v in self.refused:
            for node, other in ((u, v), (v, u)):
                if node not in best_in or weight[e] < best_in[node] - margin:
                    continue
                root = self.find(other)
                claim = self.members.get(root, {int(keys[other])})
                if self.clash({int(keys[node])}, claim) is not None:
                    continue
                if profile is not None and profile.clash(profile.alone(node), profile.get(root, other)):
                    continue
                found.add(node)
        return found


def constrained_components(size: int, left, right, weight, signature_keys: np.ndarray, signatures,
                           incompatibility, fields, margin: float = 2.0, contacts=None,
                           previous: Constrained | None = None) -> Constrained:
    """Connected components whose every pair of records is compatible (Splink's clustering at a
    threshold, checked as a whole).

    Components where no column of ``fields`` (one row per node) holds two different values, or whose
    signatures are all compatible, are kept as they are (nulls agree with anything). The others are rebuilt
    greedily: edges in decreasing ``weight``, a merge refused when any signature of one side is
    incompatible (``incompatibility(a, b) -> reason | None``) with any of the other, so a sparse
    record cannot chain two persons. A record that a refused edge would have put in another
    cluster it is compatible with, about as strongly (within ``margin`` bits) as its own cluster
    holds it, is undecided and kept alone. With ``contacts`` (phone, postal_code, email, nir_own per
    node), two clusters whose phones and places are all different and that share no email or own NIR
    are not merged either: that is a namesake born the same day, not a person who moved.

    With ``previous`` (the result of this function on the first edges of this edge list), those edges
    are taken as that call took them, before any of the new ones, and only the new ones go through the
    greedy pass: the result is that of one pass over all edges with the previous ones first.
    """
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    labels = components(size, left, right)
    accepted = np.ones(len(left), dtype=bool)
    reason: list = [None] * len(left)
    resumed = previous is not None and previous._pass is not None
    greedy = previous._pass[0] if resumed else None
    greedy = greedy or _Greedy(signature_keys, signatures, incompatibility, contacts)
    if size:
        disputed, moved = _disputed(fields, labels, contacts)
        dirty = np.union1d(_incompatible(np.setdiff1d(disputed, moved), labels, np.asarray(signature_keys), greedy),
                           moved)
    else:
        dirty = np.zeros(0, dtype=np.int64)
    if len(dirty) == 0:
        return Constrained(labels, accepted, reason, np.zeros(0, dtype=np.int64),
                           _pass=(None, accepted.copy(), list(reason), labels, dirty))
    in_dirty = np.isin(labels[left], dirty)
    first = 0
    if resumed:
        first = len(previous._pass[1])
        _resume(greedy, previous._pass, size, left, right, weight, labels, dirty, accepted, reason, first)
    edges = np.flatnonzero(in_dirty)
    edges = edges[edges >= first]
    edges = edges[np.lexsort((right[edges], left[edges], -weight[edges]))]
    greedy.run(edges, left, right, weight, accepted, reason)
    raw = (greedy, accepted.copy(), list(reason), labels, dirty)
    undecided = greedy.undecided(weight, margin)
    # accepted edges: those inside one greedy cluster, minus those touching an undecided record
    checked = np.flatnonzero(in_dirty)
    find = greedy.find
    accepted[checked] = np.fromiter((find(int(a)) == find(int(b)) for a, b in zip(left[checked], right[checked])),
                                    dtype=bool, count=len(checked))
    lone = np.array(sorted(undecided), dtype=np.int64)
    if len(lone):
        touching = np.isin(left, lone) | np.isin(right, lone)
        for e in np.flatnonzero(touching & accepted).tolist():
            reason[e] = "undecided:claimed by two incompatible clusters"
        accepted &= ~touching
    labels = components(size, left[accepted], right[accepted])
    return Constrained(labels, accepted, reason, lone, dirty_components=len(dirty), _pass=raw)


def _resume(greedy: _Greedy, previous: tuple, size: int, left, right, weight, labels, dirty, accepted, reason,
            first: int) -> None:
    """Grow the previous call's greedy state to this call's components: its verdicts on its own edges stand,
    and the components it kept whole are seeded as clusters where they now lie in a disputed component."""
    _, prev_accepted, prev_reason, prev_labels, prev_dirty = previous
    accepted[:first] = prev_accepted
    reason[:first] = prev_reason
    whole = np.flatnonzero(np.isin(labels, dirty) & ~np.isin(prev_labels, prev_dirty))
    if len(whole) == 0:
        return
    order = whole[np.argsort(prev_labels[whole], kind="stable")]
    for nodes in np.split(order, np.flatnonzero(np.diff(prev_labels[order])) + 1):
        if len(nodes) > 1:
            greedy.seed(int(nodes[0]), nodes)
    best = np.full(size, -np.inf)       # each record's strongest link, as the greedy pass would have kept it
    np.maximum.at(best, left[:first], weight[:first])
    np.maximum.at(best, right[:first], weight[:first])
    for node in whole[np.isfinite(best[whole])].tolist():
        greedy.best_in[node] = float(best[node])
