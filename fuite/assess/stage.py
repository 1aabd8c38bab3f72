"""The assess stage over a case: read persons, score, store ``severity``, audit."""

from __future__ import annotations

from fuite.assess.rules import Circumstances
from fuite.assess.severity import BreachAssessment, assess_breach, assess_persons

__all__ = ["assess_case"]


def assess_case(case) -> BreachAssessment:
    """Score every person of the case, store the ``severity`` table and the breach summary."""
    persons = case.persons()
    circumstances = Circumstances.of(case.settings)
    severity = assess_persons(persons, circumstances)
    breach = assess_breach(persons, circumstances, severity)
    case.put_table("severity", severity)
    case.meta_set("assess.breach", breach.to_dict())
    case.audit("assess", records=persons.num_rows, detail={"level": breach.level, "score": breach.score.value})
    return breach
