#!/usr/bin/env bash
# The property test with as many sequences as asked: `npm run soak -- 10000` (or
# CUTOVER_PROPERTY_RUNS=10000 npm run soak). The seed is printed; CUTOVER_PROPERTY_SEED replays it.
set -euo pipefail
export CUTOVER_PROPERTY_RUNS="${1:-${CUTOVER_PROPERTY_RUNS:-200}}"
exec npx vitest run test/workflow/properties.test.ts
