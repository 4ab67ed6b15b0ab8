#!/usr/bin/env bash
# npm start: install the tools if needed, then run the sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d node_modules ]] || npm ci --no-audit --no-fund
eval "$(bash scripts/tools.sh)"
exec node --import tsx scripts/sandbox.ts
