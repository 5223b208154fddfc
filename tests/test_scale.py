"""The national-scale path at a reduced size: the same code, dtypes and memory discipline.

`flexisim run --asn 5600000` (benchmarks/README.md) runs exactly this code; here a 50,000-ASN
model checks what makes that run fit: compact column types, the office-only twin sharing the
read-only columns, no large temporaries inside a step (traced with tracemalloc), reused
scratch buffers, and a threaded twin that changes nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

from flexisim import FlexiworkModel
from flexisim.engine import twin
from flexisim.population import build_population
from flexisim.state import KINDS, Citizens, ViewSpec

N_ASN = 50_000


@pytest.fixture(scope="module")
def model():
    m = FlexiworkModel(rng=3, n_asn=N_ASN)
    m.run(2)
    return m


def test_columns_use_compact_types(model):
    allowed = {np.dtype(np.float32), np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32),
               np.dtype(bool)}
    s = model.pop.staff
    wide = {name: col.dtype for name, col in s.columns.items() if col.dtype not in allowed}
    assert wide == {}, f"staff columns wider than needed: {wide}"
    assert {name: getattr(s, name).dtype for name in s.columns} == {
        name: col.dtype for name, col in s.columns.items()}  # as declared
    c = model.pop.citizens
    assert c.trust.dtype == np.float32 and c.ties.data.dtype == np.float32
    assert c.ties.indices.dtype == np.int32 and c.tie_target.dtype == np.int32


def test_twin_shares_static_columns_and_copies_the_rest(model):
    """Follows from the declarations: every static column is shared by the two worlds of a
    run, every other one is the world's own."""
    a, b = model.pop, model.counterfactual.pop
    for name, table in a.tables().items():
        other = b.tables()[name]
        for column, col in table.columns.items():
            x, y = getattr(table, column), getattr(other, column)
            if col.kind == "static":
                assert x is y, f"{name}.{column} is static but not shared"
            else:
                assert not np.shares_memory(x, y), f"{name}.{column} ({col.kind}) is shared"
    # memory accounting from the declarations covers every array the state holds
    for pop in (a, b):
        held = sum(v.nbytes for t in pop.tables().values() for v in vars(t).values()
                   if isinstance(v, np.ndarray))
        assert pop.nbytes() == held == sum(sum(k.values()) for k in pop.memory().values())
    own = [k for k in KINDS if k != "static"]
    assert a.nbytes(*own) == b.nbytes(*own) > a.nbytes("static") > 0


def test_tables_refuse_rebinding_a_column_once_set_up(model):
    s = model.pop.staff
    with pytest.raises(AttributeError, match="in place"):
        s.effort = np.zeros(len(s), np.float32)
    s.effort[:] = s.effort  # in place is fine


_ALLOC_SCRIPT = """
import json, tracemalloc
from flexisim import FlexiworkModel
model = FlexiworkModel(rng=3, n_asn=N_ASN)
model.run(2)  # compiled, and every view made
n = len(model.pop.staff)

def arrays(world):
    return {(t, c): id(getattr(table, c)) for t, table in world.pop.tables().items()
            for c in table.columns}

before = [arrays(w) for w in (model.world, model.counterfactual)]
peaks = []
for _ in range(3):
    tracemalloc.start()
    model.step()  # both worlds
    peaks.append(tracemalloc.get_traced_memory()[1] / n)
    tracemalloc.stop()
same = [arrays(w) for w in (model.world, model.counterfactual)] == before
own = model.pop.nbytes("dynamic", "derived", "scratch") / n
print(json.dumps({"peaks": peaks, "same_arrays": same, "own_bytes_per_row": own}))
"""


@pytest.mark.slow
def test_a_step_allocates_no_large_temporaries():
    """Traced in a fresh process: tracemalloc counts every thread's allocations, and in the
    test session other tests' threads (a Dask client, a server) would be counted too.

    The bound follows from the declared columns: a step (two worlds) may allocate at most
    2.5% of one world's own column bytes per staff row (recruits, small per-group arrays;
    about 4 bytes a row, as much as one float32 column), and no column is ever reallocated.
    """
    import json
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", f"N_ASN = {N_ASN}\n" + _ALLOC_SCRIPT],
                         capture_output=True, text=True, check=True)
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert max(out["peaks"]) < 0.025 * out["own_bytes_per_row"], out
    assert out["same_arrays"]  # every column, scratch buffers included, updated in place


def test_rows_are_in_team_order(model):
    s = model.pop.staff
    assert (np.diff(s.leader) >= 0).all()
    assert (np.diff(model.pop.citizens.agency) >= 0).all()


def test_threaded_twin_changes_nothing():
    runs = []
    previous = twin.twin_thread()
    try:
        for parallel in (True, False):
            twin.set_twin_thread(parallel)
            runs.append(FlexiworkModel(rng=5, n_asn=5000).run(6))
    finally:
        twin.set_twin_thread(previous)
    assert runs[0].equals(runs[1])


def test_views_refuse_overlapping_written_arrays():
    """The noalias kernels (engine.kernel) must never see a written array twice: the views
    they get are checked when made, nested records included."""
    pop = build_population(2000, 0.5, np.random.default_rng(1))  # not yet frozen
    spec = ViewSpec("test_overlap", reads={"staff": ("effort",)}, writes={"staff": ("quality",)})
    pop.views(spec)  # distinct columns: fine
    pop.staff.quality = pop.staff.effort  # the same array under two names
    pop._views.clear()
    with pytest.raises(ValueError, match="staff.quality overlaps"):
        pop.views(spec)
    pop.staff.quality = pop.staff.effort[:]  # a view of it
    with pytest.raises(ValueError, match="overlaps"):
        pop.views(spec)
    other = ViewSpec("test_overlap_groups", reads={"staff": ("effort",)},
                     writes={"leaders": ("team_doubt",)})
    pop.leaders.team_doubt = pop.staff.effort[:len(pop.leaders)]  # across tables
    with pytest.raises(ValueError, match="leaders.team_doubt overlaps"):
        pop.views(other)


def test_disjoint_kernels_take_arrays_only_in_checked_views(model):
    from flexisim.mechanisms import effort

    s = model.pop.staff
    with pytest.raises(TypeError, match="not bare"):
        effort._effort_rows(np.uint64(1), s.effort, None)
    fake = type(model.pop.views(effort.VIEW, model.p))(*model.pop.views(effort.VIEW, model.p))
    with pytest.raises(TypeError, match="not made"):
        effort._effort_rows(np.uint64(1), fake, None)


def test_kernels_take_at_most_five_positional_arguments(model):
    """Every compiled kernel takes records, not long positional lists (engine.kernel)."""
    import inspect

    from flexisim.engine import KERNELS, kernel
    from flexisim.engine.kernel import MAX_POSITIONAL

    assert MAX_POSITIONAL == 5 and len(KERNELS) >= 20
    for name, k in KERNELS.items():
        assert len(inspect.signature(k.py_func).parameters) <= 5, name
    with pytest.raises(TypeError, match="positional"):
        @kernel
        def too_many(a, b, c, d, e, f):  # pragma: no cover - refused when defined
            pass


def test_agency_rows_are_the_agencies_row_ranges(model):
    """Loops over agencies read each agency's staff as one contiguous row range."""
    pop = model.pop
    rows = pop.agencies.staff_rows
    assert rows[0] == 0 and rows[-1] == len(pop.staff) and len(rows) == len(pop.agencies) + 1
    for a in (0, len(pop.agencies) // 2, len(pop.agencies) - 1):
        assert (pop.staff.agency[rows[a]:rows[a + 1]] == a).all()


def test_word_of_mouth_needs_equal_ties_per_citizen(model):
    """The word-of-mouth kernel reads k ties per citizen without row pointers."""
    c = model.pop.citizens
    k = c.ties_per_citizen
    assert k == 8 and c.ties.nnz == k * len(c)
    values = {name: getattr(c, name) for name in c.columns}
    values["tie_target"] = c.tie_target[:-1]  # one tie fewer in all
    with pytest.raises(ValueError, match="same number"):
        Citizens(len(c), **values)


#: The row kernels that dominate a step, by module: they must compute in float32.
FLOAT32_KERNELS = {"effort": "_effort_rows", "oversight": "_oversight_rows",
                   "production": "_production_rows", "workforce": "_workforce_rows",
                   "citizens": "_citizen_rows"}

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


@pytest.mark.slow
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


def test_views_refuse_aliasing_even_between_read_columns():
    """A noalias kernel may write any array it gets, declared or not: no two arrays of a view
    may overlap."""
    pop = build_population(2000, 0.5, np.random.default_rng(1))
    pop.staff.ability = pop.staff.motivation  # two columns, one array
    spec = ViewSpec("test_read_alias", reads={"staff": ("ability", "motivation")})
    with pytest.raises(ValueError, match="overlaps"):
        pop.views(spec)


def test_a_disjoint_kernel_takes_one_view(model):
    """Two views were each checked alone, not against each other."""
    from flexisim.engine import kernel

    @kernel(disjoint=True)
    def two_views(a, b):  # pragma: no cover - refused before it runs
        pass

    from flexisim.mechanisms import effort, oversight

    a = model.pop.views(effort.VIEW, model.p)
    b = model.pop.views(oversight.VIEW, model.p)
    with pytest.raises(TypeError, match="one view"):
        two_views(a, b)
