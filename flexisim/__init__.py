"""flexisim: agent-based simulation of flexible work (flexiwork) for Indonesia's civil servants."""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("flexisim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from flexisim.scenario import Scenario, ScenarioError, list_scenarios, load_scenario  # noqa: E402

__all__ = ["FlexiworkModel", "Scenario", "ScenarioError", "__version__",
           "calibration_preset", "explain", "list_scenarios", "load_scenario"]


def __getattr__(name: str) -> Any:
    # The model pulls in mesa (about a second of imports); `flexisim scenarios` and
    # `flexisim validate` should not pay for it.
    if name == "FlexiworkModel":
        from flexisim.model import FlexiworkModel

        return FlexiworkModel
    if name == "calibration_preset":
        from flexisim.params import calibration_preset

        return calibration_preset
    if name == "explain":
        from flexisim.explain import explain

        return explain
    raise AttributeError(f"module 'flexisim' has no attribute {name!r}")
