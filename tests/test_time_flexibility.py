"""Time flexibility (issue 14, item 2; ODD §7.10): shifts and dynamic hours.

Each effect has a test that fails when it is removed or reversed: frontline shifts extend
the counters' hours and serve citizens who cannot come in office hours; shifts beyond what
that demand needs leave the core short; staff on shifts or dynamic hours gain well-being as
far as they want flexibility, and output; teams share fewer hours. Nothing of it reaches the
office-only twin, and without time flexibility the run is the one without the mechanism.
"""

from __future__ import annotations

import numpy as np
import pytest

from flexisim import FlexiworkModel
from flexisim.mechanisms.citizens import counter_hours, extended_hours_staffing
from flexisim.mechanisms.common import OFFICE_HOURS
from flexisim.params import make_params
from flexisim.scenario import load_scenario

N = 6000


def _run(scenario="permenpan_4_2025", weeks=26, calibration=None, **levers) -> FlexiworkModel:
    m = FlexiworkModel(scenario=scenario, rng=4, n_asn=N, warmup_weeks=8,
                       calibration=calibration, **levers)
    m.run(weeks)
    return m


def _p(**calibration):
    return make_params(load_scenario().values, calibration)


def test_staffing_of_extended_hours_by_the_equation():
    p = _p(after_hours_share=0.25, off_core_hours=4.0)
    front = np.array([10.0, 10.0, 10.0, 0.0])
    shifts = np.array([0.0, 2.0, 8.0, 0.0])
    cover, core = extended_hours_staffing(shifts, front, p)
    # a worker on shifts spends 4 / 8 = 0.5 of the day outside the core
    assert cover == pytest.approx([0.0, 0.2 * 0.5 / 0.25, 1.0, 0.0])
    # 8 of 10 on shifts move 0.4 of the staff-hours out for 0.25 of the demand: core short
    assert core == pytest.approx([1.0, 1.0, 0.6 / 0.75, 1.0])
    # an early and a late shift: the day is 2 x 4 hours longer when fully covered
    assert counter_hours(cover, p) == pytest.approx([8.0, 8.0 + 8.0 * 0.4, 16.0, 8.0])
    none = extended_hours_staffing(shifts, front, _p(off_core_hours=0.0))
    assert not none[0].any() and (none[1] == 1.0).all()


def test_shifts_extend_counter_hours_in_its_scenario_and_not_in_the_twin():
    m = _run("shifts_and_dynamic_hours")
    ts = m.timeseries()
    assert ts["counter_hours"].mean() > OFFICE_HOURS + 0.7
    assert (m.counterfactual.pop.agencies.counter_cover == 0).all()
    assert not m.counterfactual.pop.staff.time_flex.any()
    share = m.pop.staff.time_flex[m.pop.staff.active].mean()
    assert share == pytest.approx(0.3, abs=0.03)
    today = _run()
    assert (today.timeseries()["counter_hours"] == OFFICE_HOURS).all()


def test_extended_hours_serve_citizens_who_cannot_come_in_office_hours():
    # the same world with the after-hours citizens served late everywhere (no cover) and
    # with shifts covering them: service availability rises with the cover
    base = _run("shifts_and_dynamic_hours")
    gated = FlexiworkModel(scenario="shifts_and_dynamic_hours", rng=4, n_asn=N,
                           warmup_weeks=8)
    gated.world.p = gated.world.p.replace(ch_time_hours=0.0)
    gated.run(26)
    a = base.timeseries()["service_availability"].mean()
    b = gated.timeseries()["service_availability"].mean()
    assert a > b + 0.01
    assert (gated.timeseries()["counter_hours"] == OFFICE_HOURS).all()  # the gate reports it
    # without after-hours citizens there is nothing for the extended hours to do
    nobody = _run("shifts_and_dynamic_hours", calibration={"after_hours_share": 0.0})
    assert (nobody.pop.agencies.counter_cover == 0).all()


def test_too_many_shifts_leave_the_core_short():
    # with 2 of 8 hours off the core even every frontline worker on shifts moves a quarter of
    # the staff-hours, less than the after-hours demand (0.26): longer shifts off the core
    # (4 hours) can overshoot it
    long = {"off_core_hours": 4.0}
    moderate = _run(time_flexibility=0.3, calibration=long)
    heavy = _run(time_flexibility=0.9, calibration=long)
    assert heavy.timeseries()["counter_hours"].mean() >= moderate.timeseries()[
        "counter_hours"].mean()
    # beyond the after-hours demand, the core hours have less capacity and a thinner counter
    p = heavy.p
    A = heavy.pop.agencies
    _, core = extended_hours_staffing(A.frontline_shifts, A.frontline_staff, p)
    assert (core < 1.0).mean() > 0.5
    assert heavy.timeseries()["frontline_presence"].mean() == pytest.approx(
        moderate.timeseries()["frontline_presence"].mean(), abs=0.02)  # staff-days alike


def test_time_flexibility_eases_care_and_adds_output_but_costs_coordination():
    cal = {"leader_turnover_annual": 0.0}
    on = _run(time_flexibility=0.5, calibration=cal, weeks=30)
    s = on.pop.staff
    shifts, others = s.time_flex & s.active, ~s.time_flex & s.active
    # same leaders and agencies (the draw is independent of everything else): people on
    # shifts are better off, as far as they want flexibility
    assert s.wellbeing[shifts].mean() > s.wellbeing[others].mean() + 0.005
    off = _run(time_flexibility=0.5, calibration=cal | {"wellbeing_time": 0.0}, weeks=30)
    gain = on.pop.staff.wellbeing[shifts].mean() - off.pop.staff.wellbeing[shifts].mean()
    assert gain > 0.005
    # teams share fewer hours: coordination loss rises with the team's share on shifts
    L = on.pop.leaders
    assert (L.team_apart >= L.team_remote * np.float32(on.p.ch_coordination) - 1e-7).all()
    assert (L.team_apart > L.team_remote + 1e-4).mean() > 0.5
    none = _run(time_flexibility=0.5, calibration=cal | {"off_core_hours": 0.0}, weeks=30)
    assert none.pop.staff.coordination.mean() < on.pop.staff.coordination.mean()
    # and output per person on shifts is higher by time_productivity, all else equal
    more = _run(time_flexibility=0.5, calibration=cal | {"time_productivity": 0.2}, weeks=4)
    less = _run(time_flexibility=0.5, calibration=cal | {"time_productivity": 0.0}, weeks=4)
    t = more.pop.staff.time_flex & more.pop.staff.active
    assert more.pop.staff.output[t].mean() > 1.1 * less.pop.staff.output[t].mean()


def test_without_time_flexibility_the_terms_vanish_bit_for_bit():
    a = _run(weeks=12)
    b = _run(weeks=12, calibration={"time_productivity": 0.1, "wellbeing_time": 0.1,
                                    "off_core_hours": 3.0})
    for name in ("output", "wellbeing", "coordination", "effort"):
        assert np.array_equal(getattr(a.pop.staff, name), getattr(b.pop.staff, name)), name
    assert np.array_equal(a.pop.citizens.trust, b.pop.citizens.trust)
