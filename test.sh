#!/usr/bin/env bash
# Install flexisim with its test tools into .venv (first time only), check the code with ruff
# and run the whole test suite. Extra arguments go to pytest, e.g. ./test.sh -k scenario, or
# ./test.sh -m "not slow and not browser" for the fast subset (about a minute).
set -euo pipefail
cd "$(dirname "$0")"
source tools/venv.sh
# cluster: the Dask executor is tested too (tests/test_experiment*.py); ema: the EMA Workbench
# round trip (tests/test_experiment.py::test_ema_workbench_round_trip); dashboard: Solara and
# Mesa's visualisation (tests/test_dashboard.py, tests/test_browser.py)
ensure_venv "dev,cluster,ema,dashboard"
# Browser tests (tests/test_browser.py) drive Debian's Chromium; install it when missing.
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Chromium for the browser tests (apt-get)..." >&2
        apt-get update -qq && apt-get install -y -qq chromium >&2
    else
        echo "Chromium (/usr/bin/chromium) is missing and we are not root: browser tests will be skipped" >&2
    fi
fi
echo "ruff check ." >&2
.venv/bin/ruff check .
status=0
.venv/bin/python -m pytest -n "${FLEXISIM_TEST_WORKERS:-2}" "$@" || status=$?
# The declared minimum versions (tools/min_versions.sh: .venv-min with every dependency at its
# floor, the fast subset; about 5 minutes the first time, 3.5 later). On by default for the
# whole suite (no arguments, as CI runs it); FLEXISIM_MIN_VERSIONS=0 skips it, =1 forces it.
if [ "${FLEXISIM_MIN_VERSIONS:-$([ $# -eq 0 ] && echo 1 || echo 0)}" = 1 ]; then
    tools/min_versions.sh || { s=$?; [ "$status" -ne 0 ] || status=$s; }
fi
exit $status
