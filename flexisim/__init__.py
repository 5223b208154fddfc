"""flexisim: agent-based simulation of flexible work (flexiwork) for Indonesia's civil servants."""

from typing import Any

from flexisim.scenario import Scenario, ScenarioError, list_scenarios, load_scenario  # noqa: E402

__all__ = ["FlexiworkModel", "Scenario", "ScenarioError", "__version__",
           "calibration_preset", "explain", "list_scenarios", "load_scenario"]


def __getattr__(name: str) -> Any:
    # The model pulls in mesa (about a second of imports); `flexisim scenarios` and
    # `flexisim validate` should not pay for it.
    if name == "__version__":
        # computed on first use: in a source checkout it is the live git version
        # (flexisim.provenance.package_version), which costs a git call or two
        from flexisim.provenance import package_version

        return package_version()
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
