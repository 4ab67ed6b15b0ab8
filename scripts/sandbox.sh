#!/usr/bin/env bash
# npm start: install the tools if needed, then run the sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d node_modules ]] || npm install --no-audit --no-fund  # see .ci/run for why not npm ci
eval "$(bash scripts/tools.sh)"
exec node --import tsx scripts/sandbox.ts
