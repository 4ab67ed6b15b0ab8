#!/usr/bin/env bash
# The property test with as many sequences as asked, shared out over parallel test processes:
#   npm run soak -- 10000          (or CUTOVER_PROPERTY_RUNS=10000 npm run soak; default 200)
# CUTOVER_SOAK_PROCESSES sets how many processes (default 2: on 2 cores, 24 sequences took 50 s
# in one process, 30 s in two or three, 35 s in four). Process i runs seed+i, printed with its
# share; a failure names its seed and path, and CUTOVER_PROPERTY_SEED=<seed>
# CUTOVER_PROPERTY_PATH=<path> npx vitest run test/workflow/properties.test.ts replays it.
# CUTOVER_PROPERTY_SEED sets the first seed. Each process's log stays in the folder printed first.
set -euo pipefail
cd "$(dirname "$0")/.."

total="${1:-${CUTOVER_PROPERTY_RUNS:-200}}"
processes="${CUTOVER_SOAK_PROCESSES:-2}"
seed="${CUTOVER_PROPERTY_SEED:-$((RANDOM * 32768 + RANDOM))}"
[[ "$total" =~ ^[1-9][0-9]*$ ]] || { echo "soak: the count must be a positive whole number, not '$total'" >&2; exit 2; }
[[ "$processes" =~ ^[1-9][0-9]*$ ]] || { echo "soak: CUTOVER_SOAK_PROCESSES must be a positive whole number, not '$processes'" >&2; exit 2; }
(( processes > total )) && processes=$total
logs=$(mktemp -d "${TMPDIR:-/tmp}/cutover-soak-XXXXXX")
echo "soak: $total sequences in $processes processes, first seed $seed; logs in $logs"

pids=()
for ((i = 0; i < processes; i++)); do
  share=$(( total / processes + (i < total % processes ? 1 : 0) ))
  echo "soak: process $i: seed $((seed + i)), $share sequences"
  CUTOVER_PROPERTY_SEED=$((seed + i)) CUTOVER_PROPERTY_RUNS=$share CUTOVER_TEST_PEERS=none \
    npx vitest run test/workflow/properties.test.ts >"$logs/process-$i.log" 2>&1 &
  pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null' INT TERM

done_count() { cat "$logs"/process-*.log 2>/dev/null | grep -c 'property test: sequence [0-9]*:' || true; }
alive() { for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
started=$SECONDS
while alive; do
  sleep 1
  (( (SECONDS - started) % 60 == 0 )) && echo "soak: $(done_count) of $total sequences after $(( (SECONDS - started) / 60 )) min"
done

failed=0
for ((i = 0; i < processes; i++)); do
  if ! wait "${pids[$i]}"; then
    failed=1
    echo "soak: process $i (seed $((seed + i))) FAILED; its report:"
    grep -E 'Property failed|Counterexample|seed|path|AssertionError|Error:' "$logs/process-$i.log" | head -20
  fi
  grep -ho 'property test: [0-9]* sequences.*\|property test: CPU.*' "$logs/process-$i.log" | sed "s/^/soak: process $i: /"
done
echo "soak: $(done_count) of $total sequences in $(( SECONDS - started )) s, $([[ $failed == 0 ]] && echo 'no failure' || echo 'FAILED')"
exit "$failed"
