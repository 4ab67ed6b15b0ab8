#!/usr/bin/env bash
# Fuzzes the REST API with schemathesis against /openapi.json: no 5xx, every response
# matches its documented schema. Installs schemathesis once into its own cached venv,
# then scripts/fuzz-api.ts starts Temporal, moto, a worker and the API on free ports,
# runs schemathesis, prints how many cases ran, and exits non-zero on any failure.
#   bash scripts/fuzz-api.sh                 the default, bounded run (a few minutes)
#   CUTOVER_FUZZ_MAX_EXAMPLES=200 bash …     more cases per operation
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5  # PyPI schemathesis

CACHE="${CUTOVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cutover}"
VENV="$CACHE/venv-schemathesis-$SCHEMATHESIS_VERSION"
if [[ ! -f "$VENV/.complete" ]]; then
  echo "[fuzz] installing schemathesis $SCHEMATHESIS_VERSION into $VENV (first time only)" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --disable-pip-version-check -q "schemathesis==$SCHEMATHESIS_VERSION"
  touch "$VENV/.complete"
fi

[[ -d node_modules ]] || npm install --no-audit --no-fund
eval "$(bash scripts/tools.sh)"
export CUTOVER_SCHEMATHESIS_BIN="$VENV/bin/schemathesis"
exec node --import tsx scripts/fuzz-api.ts "$@"
