#!/usr/bin/env bash
# Install flexisim with its test tools into .venv (first time only) and run the whole test suite.
# Extra arguments go to pytest, e.g. ./test.sh -k scenario
set -euo pipefail
cd "$(dirname "$0")"
source tools/venv.sh
ensure_venv "dev,cluster"   # cluster: the Dask executor is tested too (tests/test_experiment*.py)
exec .venv/bin/python -m pytest -n "${FLEXISIM_TEST_WORKERS:-2}" "$@"
