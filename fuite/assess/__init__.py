"""fuite.assess: ENISA 2013 severity of the breach, per person and as a whole.

Rules: :mod:`fuite.assess.rules`; scoring: :mod:`fuite.assess.severity`.
"""

from fuite.lazy import lazy_exports

__all__ = ["Circumstances", "explain", "SEVERITY_SCHEMA", "BreachAssessment", "assess_breach", "assess_persons"]
__getattr__ = lazy_exports(globals(), {
    "Circumstances": "fuite.assess.rules", "explain": "fuite.assess.rules", "SEVERITY_SCHEMA": "fuite.assess.severity",
    "BreachAssessment": "fuite.assess.severity", "assess_breach": "fuite.assess.severity",
    "assess_persons": "fuite.assess.severity",
})
