#!/usr/bin/env bash
# Install flexisim into .venv (first time only) and run a scenario end to end.
# Usage: ./run.sh [SCENARIO] [--steps N] [--seed S] [--asn N] [--out DIR]
#        (no arguments: the default Permenpan RB 4/2025 scenario)
set -euo pipefail
cd "$(dirname "$0")"
source tools/venv.sh
# the core is enough for `flexisim run` (no dashboard extra: README, "Workshop dashboard")
ensure_venv ""
exec .venv/bin/flexisim run "$@"
