"""A notice greets a person by the best-attested spelling of their name, in the usual case."""

from __future__ import annotations

import pyarrow as pa
import pytest

from fuite.notify.names import best_names, usual_case


def _records(rows):
    return pa.table({"person_id": [r[0] for r in rows], "record_id": list(range(len(rows))),
                     "first_name": [r[1] for r in rows], "last_name": [r[2] for r in rows]})


def test_majority_spelling_wins_over_a_typo_and_keeps_accents():
    names = best_names(_records([(1, "CORINNE", "ANDRE"), (1, "Corinne", "André"), (1, "CORINNE", "ANDRE"),
                                 (1, "EDOUADR", "ANDRE"), (2, "Édouard", "Péron"), (2, "EDOUADR", "PERON"),
                                 (2, "EDOUARD", "PERON")]))
    got = {r["person_id"]: (r["first_name"], r["last_name"]) for r in names.iter_rows(named=True)}
    assert got[1] == ("Corinne", "André")
    assert got[2] == ("Édouard", "Péron")


def test_ascii_only_names_and_missing_parts():
    names = best_names(_records([(3, "JEAN", "DUPONT"), (3, None, "DUPONT"), (4, "", "")]))
    got = {r["person_id"]: (r["first_name"], r["last_name"]) for r in names.iter_rows(named=True)}
    assert got == {3: ("Jean", "Dupont")}


@pytest.mark.parametrize("raw, expected", [("CORINNE", "Corinne"), ("jean-claude", "Jean-Claude"),
                                           ("LE GOFF", "Le Goff")])
def test_usual_case(raw, expected):
    assert usual_case(raw) == expected
