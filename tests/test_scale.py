"""The national-scale path at a reduced size: the same code, dtypes and memory discipline.

`flexisim run --asn 5600000` (benchmarks/README.md) runs exactly this code; here a 50,000-ASN
model checks what makes that run fit: compact column types, the office-only twin sharing the
read-only columns, no large temporaries inside a step (traced with tracemalloc), reused
scratch buffers, and a threaded twin that changes nothing.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from flexisim import FlexiworkModel
from flexisim import model as model_module
from flexisim.population import Staff

N_ASN = 50_000


@pytest.fixture(scope="module")
def model():
    m = FlexiworkModel(rng=3, n_asn=N_ASN)
    m.run(2)
    return m


def test_columns_use_compact_types(model):
    s = model.pop.staff
    allowed = {np.dtype(np.float32), np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32),
               np.dtype(bool)}
    wide = {f.name: getattr(s, f.name).dtype for f in fields(Staff)
            if getattr(s, f.name).dtype not in allowed}
    assert wide == {}, f"staff columns wider than needed: {wide}"
    c = model.pop.citizens
    assert c.trust.dtype == np.float32 and c.ties.data.dtype == np.float32
    assert c.ties.indices.dtype == np.int32
    # per-staff copies of the leader's attributes are compact too
    for name in ("lead_style", "lead_literacy", "staff_credibility"):
        assert getattr(model.p, name).dtype == np.float32, name


def test_twin_shares_read_only_columns_and_copies_the_rest(model):
    a, b = model.pop, model.counterfactual.pop
    for name in ("region", "agency", "leader", "job"):
        assert np.shares_memory(getattr(a.staff, name), getattr(b.staff, name))
    assert a.citizens.ties is b.citizens.ties
    for name in ("effort", "belief", "active", "flex_days", "ability", "age"):
        assert not np.shares_memory(getattr(a.staff, name), getattr(b.staff, name)), name
    assert not np.shares_memory(a.citizens.trust, b.citizens.trust)


_ALLOC_SCRIPT = """
import json, tracemalloc
from flexisim import FlexiworkModel
model = FlexiworkModel(rng=3, n_asn=N_ASN)
model.run(2)  # compiled, and every scratch buffer made
n = len(model.pop.staff)
before = {name: id(buf) for name, buf in model.pop._workspace.items()}
peaks = []
for _ in range(3):
    tracemalloc.start()
    model.step()  # both worlds
    peaks.append(tracemalloc.get_traced_memory()[1] / n)
    tracemalloc.stop()
same = {name: id(buf) for name, buf in model.pop._workspace.items()} == before
print(json.dumps({"peaks": peaks, "same_buffers": same}))
"""


def test_a_step_allocates_no_large_temporaries():
    """Traced in a fresh process: tracemalloc counts every thread's allocations, and in the
    test session other tests' threads (a Dask client, a server) would be counted too."""
    import json
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", f"N_ASN = {N_ASN}\n" + _ALLOC_SCRIPT],
                         capture_output=True, text=True, check=True)
    out = json.loads(run.stdout.strip().splitlines()[-1])
    # the columns alone are about 130 bytes per staff row per world; a step (two worlds)
    # may allocate a few bytes per row (recruits, small per-group arrays), never a column
    assert max(out["peaks"]) < 4, f"peak traced allocation per step, bytes per row: {out}"
    assert out["same_buffers"]  # the scratch buffers are reused, not made again


def test_rows_are_in_team_order(model):
    s = model.pop.staff
    assert (np.diff(s.leader) >= 0).all()
    assert (np.diff(model.pop.citizens.agency) >= 0).all()


def test_threaded_twin_changes_nothing(monkeypatch):
    runs = []
    for parallel in (True, False):
        monkeypatch.setattr(model_module, "PARALLEL_TWIN", parallel)
        m = FlexiworkModel(rng=5, n_asn=5000)
        runs.append(m.run(6))
    assert runs[0].equals(runs[1])


def test_kernels_refuse_overlapping_arrays(model):
    """The noalias kernels (fast.JIT_DISJOINT) must never see a written array twice."""
    pop = model.pop
    s = pop.staff
    pop.check_disjoint("test", (s.belief, s.effort, s.motivation), n_written=1)
    with pytest.raises(ValueError):
        pop.check_disjoint("test-same", (s.effort, s.belief, s.effort), n_written=1)
    with pytest.raises(ValueError):
        pop.check_disjoint("test-view", (s.effort, s.belief, s.effort[5:]), n_written=1)
    # small per-group outputs are checked on every call, also once the columns are known
    totals, other = np.zeros(7), np.zeros(7)
    for _ in range(2):
        pop.check_disjoint("test-small", (s.belief, s.effort, totals, other), n_written=3)
    with pytest.raises(ValueError):
        pop.check_disjoint("test-small", (s.belief, s.effort, totals, totals[2:]), n_written=3)
    with pytest.raises(ValueError):  # a small written array that is a view of a column
        pop.check_disjoint("test-small", (s.belief, s.effort, totals, s.belief[:7]), n_written=3)


def test_agency_rows_are_the_agencies_row_ranges(model):
    """Loops over agencies read each agency's staff as one contiguous row range."""
    pop = model.pop
    rows = pop.agency_rows
    assert rows[0] == 0 and rows[-1] == len(pop.staff) and len(rows) == len(pop.agencies) + 1
    for a in (0, len(pop.agencies) // 2, len(pop.agencies) - 1):
        assert (pop.staff.agency[rows[a]:rows[a + 1]] == a).all()


def test_word_of_mouth_needs_equal_ties_per_citizen(model):
    """The word-of-mouth kernel reads k ties per citizen without row pointers."""
    import copy

    c = model.pop.citizens
    k = c.ties_per_citizen
    assert k == 8 and c.ties.nnz == k * len(c)
    uneven = c.ties.tolil()
    uneven[0, uneven.rows[0][0]] = 0.0  # one tie fewer for the first citizen
    broken = copy.copy(c)
    broken.ties = uneven.tocsr()
    broken.ties.eliminate_zeros()
    with pytest.raises(ValueError, match="same number"):
        broken.__post_init__()


#: The row kernels that dominate a step, by module: they must compute in float32.
FLOAT32_KERNELS = {"effort": "_effort_kernel", "oversight": "_oversight_kernel",
                   "production": "_production_kernel", "workforce": "_workforce_kernel",
                   "citizens": "_citizen_kernel"}

_IR_SCRIPT = """
import importlib, json, re
from flexisim import FlexiworkModel
FlexiworkModel(rng=1, n_asn=3000).step()
out = {}
for module, name in KERNELS.items():
    kernel = getattr(importlib.import_module("flexisim.mechanisms." + module), name)
    ir = "".join(kernel.inspect_llvm().values())
    ops = r"= f(?:add|sub|mul|div|cmp \\w+)(?: \\w+)* (?:<\\d+ x )?"
    widen = r"= fpext (?:<\\d+ x )?float .* to (?:<\\d+ x )?double"
    out[name] = {"double": len(re.findall(ops + "double", ir)) + len(re.findall(widen, ir)),
                 "float": len(re.findall(ops + "float", ir))}
print(json.dumps(out))
"""


def test_row_kernels_compute_in_float32(tmp_path):
    """The hot kernels do their arithmetic in float32, the columns' own precision.

    One float64 literal or scalar would promote a whole expression to float64 and halve the
    vector lanes (benchmarks/README.md: the effort kernel took 2.4x as long). Compiled afresh
    in a subprocess (an empty numba cache), whose LLVM code must have no float64 arithmetic,
    comparison or widening of a float32 to float64.
    """
    import json
    import os
    import subprocess
    import sys

    script = f"KERNELS = {FLOAT32_KERNELS!r}\n" + _IR_SCRIPT
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}, check=True)
    ops = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(ops) == set(FLOAT32_KERNELS.values())
    for name, count in ops.items():
        assert count["float"] > 0 and count["double"] == 0, (name, count)
