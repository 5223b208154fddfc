#!/usr/bin/env bash
# The declared minimum versions work: create .venv-min (or $FLEXISIM_MIN_VENV), install flexisim
# with every direct dependency pinned to its floor in pyproject.toml (tools/min_constraints.py
# writes the constraints, so they cannot drift from what pyproject declares), and run the fast
# test subset there. Run by ./test.sh (skip with FLEXISIM_MIN_VERSIONS=0); on its own:
#     tools/min_versions.sh [PYTEST ARGS]      (default: -m "not slow and not browser")
# The core's pinned packages must install from wheels (--only-binary): a floor without a
# Python 3.12 wheel fails here instead of compiling for half an hour.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/venv.sh

venv=${FLEXISIM_MIN_VENV:-.venv-min}
# the extras come too, so that the fast subset runs (almost) whole; their floors are pinned as
# well (mesa[rec], solara ==, dask), the test tools' (dev) are not. Not ema: it needs
# numpy>=2.0 (pyproject), above the core's floor, which is what is tested here; its one test
# is deselected below
extras="dev,cluster,dashboard"
start=$SECONDS
if [ ! -x "$venv/bin/python" ]; then
    python=$(find_python)
    echo "min-versions: creating $venv with $($python --version)..." >&2
    "$python" -m venv "$venv"
fi
constraints="$venv/constraints.txt"
"$venv/bin/python" tools/min_constraints.py cluster dashboard > "$constraints.new"
stamp="$venv/.flexisim-installed"
hash=$(cat pyproject.toml "$constraints.new" | sha256sum | cut -c1-16)
mv "$constraints.new" "$constraints"
if [ ! -f "$stamp" ] || ! grep -q "^$hash" "$stamp"; then
    # wheels only for the core's (compiled) packages; solara-assets is published as an sdist
    pinned=$("$venv/bin/python" tools/min_constraints.py | grep -v '^#' | cut -d= -f1 |
             paste -sd, -)
    echo "min-versions: installing flexisim[$extras] with $(grep -vc '^#' "$constraints")" \
         "dependencies at their floors ($(grep -v '^#' "$constraints" | paste -sd' ' -))..." >&2
    "$venv/bin/python" -m pip install --quiet --upgrade pip >&2
    "$venv/bin/python" -m pip install --quiet --only-binary "$pinned" -c "$constraints" \
        -e ".[$extras]" >&2
    # the pins really took (a constraint pip could not honour would have failed above, but an
    # extra pulling a package in again would show here)
    "$venv/bin/python" - "$constraints" <<'EOF' >&2
import importlib.metadata as md, re, sys
bad = []
for line in open(sys.argv[1]):
    if line.startswith("#") or "==" not in line:
        continue
    name, want = line.strip().split("==")
    have = md.version(name)
    norm = lambda v: re.sub(r"(\.0)+$", "", v)
    if norm(have) != norm(want):
        bad.append(f"{name} {have} (floor {want})")
if bad:
    sys.exit("min-versions: not at the floor: " + ", ".join(bad))
EOF
    echo "$hash" > "$stamp"
fi
echo "min-versions: $("$venv/bin/python" -c 'import numpy, scipy, pandas, pyarrow, numba, mesa; print("numpy", numpy.__version__, "scipy", scipy.__version__, "pandas", pandas.__version__, "pyarrow", pyarrow.__version__, "numba", numba.__version__, "mesa", mesa.__version__)')" >&2
if [ $# -eq 0 ]; then
    set -- -m "not slow and not browser" \
        --deselect tests/test_experiment.py::test_ema_workbench_round_trip
fi
# a numba cache of its own: the main .venv's compiled kernels (another numba) stay valid
status=0
NUMBA_CACHE_DIR="$PWD/$venv/numba-cache" "$venv/bin/python" -m pytest -p no:cacheprovider \
    -n "${FLEXISIM_TEST_WORKERS:-2}" -q "$@" || status=$?
echo "min-versions: $((SECONDS - start)) s (exit $status)" >&2
exit $status
