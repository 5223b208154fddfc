"""The eight weekly mechanisms of MODEL.md, one vectorised function each, in step order."""

from flexisim.mechanisms.appraisal import appraise
from flexisim.mechanisms.citizens import serve_citizens
from flexisim.mechanisms.effort import effort_and_shirking
from flexisim.mechanisms.eligibility import eligibility_and_approval
from flexisim.mechanisms.oversight import oversee
from flexisim.mechanisms.production import produce_output
from flexisim.mechanisms.workforce import workforce_dynamics
from flexisim.mechanisms.workmode import work_mode_choice

#: The weekly order; each name is also the name of the mechanism's random stream.
STEP_ORDER = (
    "eligibility", "workmode", "effort", "production", "oversight", "citizens", "workforce",
    "appraisal",
)

__all__ = [
    "STEP_ORDER", "appraise", "effort_and_shirking", "eligibility_and_approval", "oversee",
    "produce_output", "serve_citizens", "work_mode_choice", "workforce_dynamics",
]
