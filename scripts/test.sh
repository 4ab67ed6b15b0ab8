#!/usr/bin/env bash
# npm test: types, lint, then every test against the real peers (installed if missing).
# Results also land in .data/test-results.json (vitest's JSON reporter) for CI's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d node_modules ]] || npm install --no-audit --no-fund  # see .ci/run for why not npm ci
eval "$(bash scripts/tools.sh --tests)"
echo "== typecheck"; npx tsc --noEmit
echo "== lint"; npx eslint .
echo "== tests"
mkdir -p .data
exec npx vitest run --reporter=default --reporter=json --outputFile.json=.data/test-results.json "$@"
