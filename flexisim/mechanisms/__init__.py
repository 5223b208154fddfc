"""The weekly mechanisms of MODEL.md, one module each; their order is the registry's."""

from flexisim.mechanisms.appraisal import appraise
from flexisim.mechanisms.citizens import serve_citizens
from flexisim.mechanisms.effort import effort_and_shirking
from flexisim.mechanisms.eligibility import eligibility_and_approval
from flexisim.mechanisms.investment import invest
from flexisim.mechanisms.oversight import oversee
from flexisim.mechanisms.production import produce_output
from flexisim.mechanisms.setup import apply_levers, infrastructure_levels
from flexisim.mechanisms.signalling import signal_of_grant
from flexisim.mechanisms.workforce import workforce_dynamics
from flexisim.mechanisms.workmode import work_mode_choice

__all__ = [
    "apply_levers", "appraise", "effort_and_shirking", "eligibility_and_approval",
    "infrastructure_levels", "invest", "oversee", "produce_output",
    "serve_citizens", "signal_of_grant", "work_mode_choice", "workforce_dynamics",
]
