"""flexisim: agent-based simulation of flexible work (flexiwork) for Indonesia's civil servants."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("flexisim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from flexisim.model import FlexiworkModel  # noqa: E402
from flexisim.scenario import Scenario, ScenarioError, list_scenarios, load_scenario  # noqa: E402

__all__ = ["FlexiworkModel", "Scenario", "ScenarioError", "__version__", "list_scenarios",
           "load_scenario"]
