"""fuite.assess: ENISA 2013 severity of the breach, per person and as a whole.

Rules: :mod:`fuite.assess.rules`; scoring: :mod:`fuite.assess.severity`.
"""

from fuite.assess.rules import Circumstances, explain
from fuite.assess.severity import SEVERITY_SCHEMA, BreachAssessment, assess_breach, assess_persons

__all__ = ["Circumstances", "explain", "SEVERITY_SCHEMA", "BreachAssessment", "assess_breach", "assess_persons"]
