"""Clusters over edge lists.

``components``: connected components, vectorised union-find (min-label propagation with
pointer jumping), so millions of links cluster in well under a second.
``constrained_components``: the same, checked as a whole against incompatibility rules
(``fuite.resolve.constraints``); only components whose records disagree are rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def _disputed(fields, labels: np.ndarray, contacts=None) -> np.ndarray:
    """Components (by label) where some field holds two different non-null values, or that hold two phones
    and two places: only they need checking."""
    import polars as pl

    frame = fields.with_columns(pl.Series("__label", labels))
    counts = frame.group_by("__label").agg([pl.col(c).drop_nulls().n_unique() for c in fields.columns])
    disputed = counts.filter(pl.any_horizontal([pl.col(c) > 1 for c in fields.columns]))["__label"]
    if contacts is not None:
        moved = contacts.select("phone", "postal_code").with_columns(pl.Series("__label", labels)).group_by(
            "__label").agg(pl.col("phone").drop_nulls().n_unique(), pl.col("postal_code").drop_nulls().n_unique())
        disputed = pl.concat([disputed, moved.filter((pl.col("phone") > 1) & (pl.col("postal_code") > 1))["__label"]])
    return disputed.unique().to_numpy().astype(np.int64)


class _Contacts:
    """Per cluster: its phones, places, emails and own NIRs, to tell a namesake from a person who moved."""

    def __init__(self, contacts):
        self._columns = [contacts[c].to_list() for c in ("phone", "postal_code", "email", "nir_own")]
        self.of: dict[int, list[set]] = {}

    def alone(self, node: int) -> list[set]:
        return [{col[node]} - {None} for col in self._columns]

    def get(self, root: int, node: int) -> list[set]:
        if root not in self.of:
            self.of[root] = self.alone(node)
        return self.of[root]

    def merge(self, root: int, other: int) -> None:
        a, b = self.of.pop(other), self.of[root]
        self.of[root] = [x | y for x, y in zip(b, a)]

    @staticmethod
    def clash(a: list[set], b: list[set]) -> str | None:
        """Phones and places both known on each side and all different, and no email or own NIR in common."""
        phones, places, emails, nirs = zip(a, b)
        if all(x and y and not x & y for x, y in (phones, places)) and not (emails[0] & emails[1]) \
                and not (nirs[0] & nirs[1]):
            return "contacts"
        return None


def constrained_components(size: int, left, right, weight, signature_keys: np.ndarray, signatures,
                           incompatibility, fields, margin: float = 2.0, contacts=None) -> Constrained:
    """Connected components whose every pair of records is compatible (Splink's clustering at a
    threshold, checked as a whole).

    Components where no column of ``fields`` (one row per node) holds two different values are
    kept as they are (nulls agree with anything). The others are rebuilt
    greedily: edges in decreasing ``weight``, a merge refused when any signature of one side is
    incompatible (``incompatibility(a, b) -> reason | None``) with any of the other, so a sparse
    record cannot chain two persons. A record that a refused edge would have put in another
    cluster it is compatible with, about as strongly (within ``margin`` bits) as its own cluster
    holds it, is undecided and kept alone. With ``contacts`` (phone, postal_code, email, nir_own per
    node), two clusters whose phones and places are all different and that share no email or own NIR
    are not merged either: that is a namesake born the same day, not a person who moved.
    """
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    labels = components(size, left, right)
    accepted = np.ones(len(left), dtype=bool)
    reason: list = [None] * len(left)
    dirty = _disputed(fields, labels, contacts) if size else np.zeros(0, dtype=np.int64)
    profile = _Contacts(contacts) if contacts is not None else None
    if len(dirty) == 0:
        return Constrained(labels, accepted, reason, np.zeros(0, dtype=np.int64))
    in_dirty = np.isin(labels[left], dirty)
    edges = np.flatnonzero(in_dirty)
    edges = edges[np.lexsort((right[edges], left[edges], -weight[edges]))]
    parent: dict[int, int] = {}
    members: dict[int, set] = {}
    cache: dict[tuple[int, int], str | None] = {}

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    def clash(a: set, b: set) -> str | None:
        for s in a:
            for t in b:
                key = (s, t) if s < t else (t, s)
                if key not in cache:
                    cache[key] = None if s == t else incompatibility(signatures[s], signatures[t])
                if cache[key]:
                    return cache[key]
        return None

    best_in: dict[int, float] = {}
    refused: list[tuple[int, int, int]] = []
    for e in edges.tolist():
        u, v = int(left[e]), int(right[e])
        ru, rv = find(u), find(v)
        if ru == rv:
            continue
        su = members.setdefault(ru, {int(signature_keys[u])})
        sv = members.setdefault(rv, {int(signature_keys[v])})
        direct = clash({int(signature_keys[u])}, {int(signature_keys[v])})
        why = direct or clash(su, sv)
        if not why and profile is not None:
            why = profile.clash(profile.get(ru, u), profile.get(rv, v))
        if why:
            accepted[e] = False
            reason[e] = f"{'pair' if direct else 'cluster'}:{why}"
            if not direct:
                refused.append((e, u, v))
            continue
        parent[rv] = ru
        members[ru] = su | sv
        members.pop(rv, None)
        if profile is not None:
            profile.merge(ru, rv)
        for node in (u, v):
            best_in[node] = max(best_in.get(node, -np.inf), weight[e])
    undecided = set()
    for e, u, v in refused:
        for node, other in ((u, v), (v, u)):
            if node not in best_in or weight[e] < best_in[node] - margin:
                continue
            claim = members.get(find(other), {int(signature_keys[other])})
            if clash({int(signature_keys[node])}, claim) is not None:
                continue
            if profile is not None and profile.clash(profile.alone(node), profile.get(find(other), other)):
                continue
            undecided.add(node)
    # accepted edges: those inside one greedy cluster, minus those touching an undecided record
    roots = np.array([find(int(x)) for x in left[edges]]) == np.array([find(int(x)) for x in right[edges]])
    accepted[edges] = roots
    lone = np.array(sorted(undecided), dtype=np.int64)
    if len(lone):
        touching = np.isin(left, lone) | np.isin(right, lone)
        for e in np.flatnonzero(touching & accepted).tolist():
            reason[e] = "undecided:claimed by two incompatible clusters"
        accepted &= ~touching
    labels = components(size, left[accepted], right[accepted])
    return Constrained(labels, accepted, reason, lone, dirty_components=len(dirty))
