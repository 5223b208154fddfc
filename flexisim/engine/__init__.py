"""The engine: compiled helpers, named records and the kernel decorator, the twin's thread.

Everything here is performance machinery that the mechanisms use without having to think
about it: ``@kernel`` (compilation, cheap calls, the ``noalias`` option), records (named
state and parameters for kernels), counter-based uniforms, float32 constants and sums, and
stepping a run's two worlds side by side.
"""

from flexisim.engine.compiled import (
    FIVE,
    HALF,
    ONE,
    TWO,
    ZERO,
    active_sum_count,
    clip01,
    counter_index,
    counter_uniform,
    counter_uniforms,
    exp_arith,
    exp_arith32,
    group_sums,
    sigmoid1,
    week_key,
)
from flexisim.engine.kernel import JIT, JIT_DISJOINT, KERNELS, Kernel, kernel
from flexisim.engine.records import record_class

__all__ = [
    "FIVE", "HALF", "JIT", "JIT_DISJOINT", "KERNELS", "ONE", "TWO", "ZERO", "Kernel",
    "active_sum_count", "clip01", "counter_index", "counter_uniform", "counter_uniforms",
    "exp_arith", "exp_arith32", "group_sums", "kernel", "record_class", "sigmoid1", "week_key",
]
