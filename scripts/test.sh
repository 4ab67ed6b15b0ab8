#!/usr/bin/env bash
# npm test: types, lint, then every test against the real peers (installed if missing), on the
# machine's Node.js and again on Node.js 24, the image's, where the machine's is older (the tool
# bootstrap installs it). CUTOVER_TEST_NODE=machine or CUTOVER_TEST_NODE=24 runs only one of them.
# Each run's results also land in .data/test-results/node-<major>.json (vitest's JSON reporter)
# for CI's summary, which adds them up.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d node_modules ]] || npm install --no-audit --no-fund  # see .ci/run for why not npm ci
eval "$(bash scripts/tools.sh --tests)"
echo "== typecheck"; npx tsc --noEmit
echo "== lint"; npx eslint .

nodes=()
case "${CUTOVER_TEST_NODE:-}" in
  '') nodes=("$(command -v node)" ${CUTOVER_NODE24_BIN:+"$CUTOVER_NODE24_BIN"}) ;;
  machine) nodes=("$(command -v node)") ;;
  24) nodes=("${CUTOVER_NODE24_BIN:-$(command -v node)}") ;;
  *) echo "CUTOVER_TEST_NODE must be machine or 24, not '$CUTOVER_TEST_NODE'" >&2; exit 2 ;;
esac

rm -rf .data/test-results; mkdir -p .data/test-results
status=0
for node in "${nodes[@]}"; do
  version=$("$node" --version)
  report=".data/test-results/node-$(cut -d. -f1 <<<"${version#v}").json"
  echo "== tests on Node.js $version"
  : >"$report"  # stays empty if this run ends without a report: CI's summary says so
  # That node first on PATH, so what the tests start (npm, npx, scripts run by `node`) runs on it too.
  PATH="$(dirname "$node"):$PATH" "$node" node_modules/vitest/vitest.mjs run \
    --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=1
done
exit $status
