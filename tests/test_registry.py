"""The registry of mechanisms and the streams keyed by name.

* Streams are keyed by the mechanism's name with a stable hash, so adding, removing or
  reordering a mechanism leaves every other mechanism's draws unchanged: a model with an
  extra mechanism (tests/toy_mechanism.py, written by following docs/contributing.md) gives
  bit-identical results for everything else.
* The registry drives the step order, the streams, the declarations the docs list
  (tests/test_docs.py) and the plain-Mesa oracle's order, which refuses a mechanism it has no
  counterpart for.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import toy_mechanism as toy

from flexisim import FlexiworkModel, streams
from flexisim.mechanisms.registry import STEP, Registry

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

KEY_OF_DESK_VISITS = 0x99cb6151bed198a9  # streams.stream_key("desk_visits"), computed once


def test_stream_keys_are_stable_and_never_collide():
    # the first version's streams keep their spawn positions, so their draws are unchanged
    assert [streams.stream_key(n) for n in ("population", "eligibility", "workmode", "effort",
                                             "production", "oversight", "citizens",
                                             "workforce", "appraisal", "recruits")] == list(
        range(10))
    # a new name: 64 bits of BLAKE2b with the top bit set (not Python's salted hash())
    key = streams.stream_key("desk_visits")
    assert key >= 2**63 and key not in streams.LEGACY_KEYS.values()
    assert streams.stream_key("desk_visits") != streams.stream_key("desk_visit")
    with pytest.raises(ValueError):
        streams.stream_key("")


def test_the_stream_key_of_a_new_name_is_fixed():
    """The key is part of the results' identity (a new mechanism's draws follow from it):
    pinned for one name, so that a change of the hash fails here, in every process."""
    assert streams.stream_key("desk_visits") == KEY_OF_DESK_VISITS


def test_a_stream_is_the_same_whatever_the_order_of_the_mechanisms():
    order = Registry(STEP)
    reversed_order = Registry(reversed(list(STEP)))
    assert order.streams() != reversed_order.streams()
    first = FlexiworkModel(rng=9, n_asn=800, counterfactual=False, mechanisms=order)
    second = FlexiworkModel(rng=9, n_asn=800, counterfactual=False, mechanisms=reversed_order)
    for name in order.streams():
        a = first.world.streams[name].integers(0, 2**63, 5)
        b = second.world.streams[name].integers(0, 2**63, 5)
        assert np.array_equal(a, b), name


@pytest.mark.parametrize("where", [{"before": "investment"}, {"after": "oversight"}, {}])
def test_adding_a_mechanism_leaves_every_other_result_bit_identical(where):
    """The toy mechanism draws from its own stream and writes only its own column: wherever
    it goes in the week, every other output of the run is unchanged to the last bit."""
    plain = FlexiworkModel(rng=21, n_asn=3000).run(14)
    extended = FlexiworkModel(rng=21, n_asn=3000, mechanisms=STEP.insert(toy.MECHANISM, **where))
    ts = extended.run(14)
    assert "desk_visit_rate" in ts.columns
    assert ts[plain.columns].equals(plain)
    # and the toy did draw: about verification_rate of staff are visited
    rate = extended.p.verification_rate
    assert ts["desk_visit_rate"].mean() == pytest.approx(rate, abs=0.03)


def test_a_new_mechanisms_state_is_declared_and_follows_the_declarations():
    model = FlexiworkModel(rng=3, n_asn=1200, mechanisms=STEP.insert(toy.MECHANISM))
    model.run(2)
    a, b = model.pop.staff, model.counterfactual.pop.staff
    assert a.columns["desk_visited"].kind == "dynamic"
    assert not np.shares_memory(a.desk_visited, b.desk_visited)  # each world's own copy
    assert "desk_visited" in a.names("dynamic")  # counted in the memory accounting
    held = sum(v.nbytes for v in vars(a).values() if isinstance(v, np.ndarray))
    assert model.pop.memory()["staff"] == {k: a.nbytes(k) for k in ("static", "dynamic",
                                                                      "derived", "scratch")}
    assert sum(model.pop.memory()["staff"].values()) == held
    with pytest.raises(AttributeError, match="in place"):
        a.desk_visited = np.zeros(len(a), bool)


def test_the_toy_uses_only_the_parameters_it_declares():
    from test_docs import _parameter_uses

    assert _parameter_uses(toy) <= set(toy.VIEW.parameters)


def test_registry_refuses_two_mechanisms_of_one_name():
    with pytest.raises(ValueError, match="used twice"):
        STEP.insert(STEP["effort"])
    with pytest.raises(KeyError, match="no mechanism"):
        STEP.insert(toy.MECHANISM, after="no_such_mechanism")
    assert "effort" in STEP and "desk_visits" not in STEP
    assert STEP.without("leadership").names() == STEP.names()[:-1]


def test_the_oracle_follows_the_registry_and_refuses_an_unknown_mechanism(monkeypatch):
    from reference_mesa import model as oracle

    assert set(oracle.ORACLE) == set(STEP.names())
    monkeypatch.setattr(oracle, "STEP", STEP.insert(toy.MECHANISM))
    reference = oracle.ReferenceModel(rng=1, n_asn=600, counterfactual=False, warmup_weeks=0)
    with pytest.raises(NotImplementedError, match="desk_visits"):
        reference.step()


def test_the_docs_checks_accept_a_mechanism_with_state_of_its_own():
    """Following docs/contributing.md gives a registry the docs checks accept: the toy's own
    column is known, and it writes only what it declares."""
    from test_docs import _state_arrays, declared_columns_problems

    registry = STEP.insert(toy.MECHANISM, after="oversight")
    assert declared_columns_problems(registry) == []
    model = FlexiworkModel(rng=2, n_asn=1000, counterfactual=False, mechanisms=registry)
    model.run(2)
    before = _state_arrays(model.pop)
    toy.MECHANISM.run(model.pop, model.p, model.world.streams["desk_visits"], 2)
    after = _state_arrays(model.pop)
    changed = {k for k in before if not np.array_equal(before[k], after[k], equal_nan=True)}
    assert changed == {("staff", "desk_visited")}


def test_the_registry_refuses_reserved_names_and_clashing_outputs():
    from dataclasses import replace

    from flexisim.state import ViewSpec

    with pytest.raises(ValueError, match="reserved"):
        Registry([replace(toy.MECHANISM, view=ViewSpec("population"))])
    with pytest.raises(ValueError, match="outputs declared twice"):
        Registry([replace(toy.MECHANISM, outputs={"public_trust": ("points", "again")})])
