"""Shared helpers of the test suite: small model worlds to call mechanisms on."""

from __future__ import annotations

import pytest

from flexisim.model import FlexiworkModel


def make_world(n_asn: int = 1000, seed: int = 1, calibration: dict | None = None,
               warmup_weeks: int = 0, **levers):
    """A small model world without its counterfactual twin (built in about 10 ms).

    The same arguments always give the same world, so two fresh worlds are a clean way to
    compare one mechanism call under two settings with identical random draws. Without a
    warm-up by default: the unit tests of mechanisms set the state they need.
    """
    return FlexiworkModel(rng=seed, n_asn=n_asn, counterfactual=False,
                          calibration=calibration, warmup_weeks=warmup_weeks, **levers)


@pytest.fixture
def world():
    """Factory fixture: ``world(**levers)`` -> a fresh ``FlexiworkModel`` (see make_world)."""
    return make_world
