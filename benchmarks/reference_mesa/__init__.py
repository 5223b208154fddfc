"""flexisim's rules written the plain Mesa way: the oracle and the speed baseline.

One ``mesa.Agent`` object per civil servant, leader and citizen, each with its own methods for
the eight weekly mechanisms of docs/ODD.md §7, stepped phase by phase through Mesa
``AgentSet``s (``agents.do(...)``). See ``model.py``.
"""

from reference_mesa.model import CitizenAgent, CivilServant, LeaderAgent, ReferenceModel

__all__ = ["CitizenAgent", "CivilServant", "LeaderAgent", "ReferenceModel"]
