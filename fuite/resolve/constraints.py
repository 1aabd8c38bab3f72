"""Who cannot be the same person: the incompatibilities a cluster is checked against as a whole.

Two records are incompatible when both carry, and disagree beyond a typing error on:

- ``sex``;
- ``birth_date`` (one digit wrong, two neighbouring digits swapped, day/month swapped and one
  day apart are recording errors; anything else is another person);
- the person's own NIR (``nir_own``);
- the beneficiary rank under one insured NIR (two ranks under one NIR are two beneficiaries);
- the first names: a civil list and its usual name agree ("MARIE CLAIRE" and "CLAIRE"), so do
  names one typing or OCR error apart, and first and last names written swapped; two
  different first names ("JULIEN" and "THOMAS", twins) do not.

A shared phone, email, address or insured NIR is never a reason to join: those are
household evidence, so the rules above are what keeps a family apart. See ``clusters``
for how clusters are built under them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as _date

__all__ = ["Signature", "signature_table", "split_rule_text", "incompatibility", "birth_dates_close", "one_edit", "first_names_agree", "REASONS"]

#: What an incompatibility is called in ``links.split_rule`` and ``explain-person``.
REASONS = {
    "sex": "sexes differ",
    "birth_date": "birth dates differ beyond a typing error",
    "nir": "two different own NIRs",
    "rank": "two beneficiary ranks under one insured NIR",
    "first_name": "first names differ",
    "contacts": "phone, email or place differ and no identifier is shared (a namesake born the same day?)",
}

def split_rule_text(rule: str | None) -> str | None:
    """``cluster:birth_date`` -> "kept apart (cluster rule): birth dates differ beyond a typing error"."""
    if not rule:
        return None
    scope, _, name = rule.partition(":")
    words = {"pair": "kept apart", "cluster": "kept apart (cluster rule: joining would put two persons together)",
             "undecided": "kept apart (undecided)"}
    return f"{words.get(scope, scope)}: {REASONS.get(name, name)}"


_OCR = (("RN", "M"), ("LI", "H"), ("II", "U"), ("0", "O"), ("1", "I"), ("CL", "D"))


@dataclass(frozen=True)
class Signature:
    """The values of a record that the incompatibility rules read (folded, see ``features``)."""

    sex: str | None
    birth_date: str | None
    nir_own: str | None
    nir_insured: str | None
    rank: str | None
    first: frozenset | None
    last: frozenset | None


def one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are at most one substitution, insertion, deletion or neighbour swap apart."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1:]


def birth_dates_close(a: str, b: str) -> bool:
    """Same ISO date up to one wrong digit, two swapped neighbours, day and month swapped, or one day apart."""
    if a == b:
        return True
    if len(a) != 10 or len(b) != 10:
        return False
    if a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]:
        return True
    da, db = a.replace("-", ""), b.replace("-", "")
    if len(da) == len(db) and one_edit(da, db):
        return True
    try:
        return abs((_date.fromisoformat(a) - _date.fromisoformat(b)).days) <= 1
    except ValueError:
        return False


def _ocr(token: str) -> str:
    for wrong, right in _OCR:
        token = token.replace(wrong, right)
    return token


def _token_close(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < 4:
        return False
    return one_edit(a, b) or one_edit(_ocr(a), _ocr(b))


def _covered(small: frozenset, large: frozenset) -> bool:
    return all(any(_token_close(s, t) for t in large) for s in small)


def _names_agree(a: frozenset, b: frozenset) -> bool:
    if a <= b or b <= a:
        return True
    if "".join(sorted(a)) == "".join(sorted(b)):
        return True
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return _covered(small, large)


def first_names_agree(a: Signature, b: Signature) -> bool:
    """First names compatible: missing, a sub-list, one error apart, the names written swapped, or one
    side's first names all among the other's names (a full name split at the wrong word:
    "MENDES MATTHIEU JOSE" / "JONATHAN")."""
    if not a.first or not b.first:
        return True
    if _names_agree(a.first, b.first):
        return True
    if a.last and b.last and _names_agree(a.first, b.last) and _names_agree(a.last, b.first):
        return True
    return _covered(a.first, b.first | (b.last or frozenset())) or _covered(b.first, a.first | (a.last or frozenset()))


def incompatibility(a: Signature, b: Signature) -> str | None:
    """The first rule (a key of ``REASONS``) that says ``a`` and ``b`` are two persons, else None."""
    if a.sex and b.sex and a.sex != b.sex:
        return "sex"
    if a.birth_date and b.birth_date and not birth_dates_close(a.birth_date, b.birth_date):
        return "birth_date"
    if a.nir_own and b.nir_own and a.nir_own != b.nir_own:
        return "nir"
    if a.rank and b.rank and a.nir_insured == b.nir_insured and a.rank != b.rank:
        return "rank"
    if not first_names_agree(a, b):
        return "first_name"
    return None


_SIGNATURE_COLUMNS = ("sex", "birth_date", "nir_own", "nir_insured", "beneficiary_rank", "first_tokens",
                      "last_tokens")


class _Signatures:
    """Distinct signatures, each built into a ``Signature`` the first time a check needs it."""

    def __init__(self, distinct):
        self._rows = distinct         # kept in polars (compact); a signature is built when a check needs it
        self._built: dict[int, Signature] = {}

    def __getitem__(self, i: int) -> Signature:
        if i not in self._built:
            row = self._rows.row(i)
            self._built[i] = Signature(
                sex=row[0] or None, birth_date=row[1] or None, nir_own=row[2] or None, nir_insured=row[3] or None,
                rank=(row[4] or None) if row[3] else None, first=frozenset(row[5].split("|")) if row[5] else None,
                last=frozenset(row[6].split("|")) if row[6] else None)
        return self._built[i]


def signature_table(frame):
    """For each row of a ``comparison_frame``: the index of its distinct signature; the signatures (indexable);
    and the per-row fields whose disagreement makes a cluster worth checking."""
    import polars as pl

    keyed = frame.select(
        *[pl.col(c).fill_null("") for c in _SIGNATURE_COLUMNS[:5]],
        *[pl.col(c).list.join("|").fill_null("") for c in _SIGNATURE_COLUMNS[5:]],
    )
    distinct = keyed.unique(maintain_order=True).with_row_index("__sig")
    ids = keyed.join(distinct, on=list(_SIGNATURE_COLUMNS), how="left", maintain_order="left")["__sig"]
    fields = frame.select("sex", "birth_date", "nir_own", "nir_rank", pl.col("first_tokens").list.join("|"))
    return ids.cast(pl.Int64).to_numpy(), _Signatures(distinct.drop("__sig")), fields
