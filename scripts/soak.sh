#!/usr/bin/env bash
# The property test with as many sequences as asked, shared out over parallel test processes:
#   npm run soak -- 10000          (or CUTOVER_PROPERTY_RUNS=10000 npm run soak; default 200)
# CUTOVER_SOAK_PROCESSES sets how many run side by side (default 2: on 2 cores, 24 sequences
# took 50 s in one process, 30 s in two or three, 35 s in four). Each runs its share in rounds of
# at most CUTOVER_SOAK_ROUND sequences (default 150), a fresh test process each: a test process
# slows as it ages (a sequence took 1.8 s in its first 100, 3 s by its 300th, same steps), and a
# fresh one costs 8 s. Round r of process i runs seed + i + r * processes,
# printed; a failure names its seed and path, and CUTOVER_PROPERTY_SEED=<seed>
# CUTOVER_PROPERTY_PATH=<path> npx vitest run test/workflow/properties.test.ts replays it.
# CUTOVER_PROPERTY_SEED sets the first seed. Every round's log stays in the folder printed first.
set -euo pipefail
cd "$(dirname "$0")/.."

total="${1:-${CUTOVER_PROPERTY_RUNS:-200}}"
processes="${CUTOVER_SOAK_PROCESSES:-2}"
round_size="${CUTOVER_SOAK_ROUND:-150}"
seed="${CUTOVER_PROPERTY_SEED:-$((RANDOM * 32768 + RANDOM))}"
for setting in "count:$total" "CUTOVER_SOAK_PROCESSES:$processes" "CUTOVER_SOAK_ROUND:$round_size"; do
  [[ "${setting#*:}" =~ ^[1-9][0-9]*$ ]] || { echo "soak: ${setting%%:*} must be a positive whole number, not '${setting#*:}'" >&2; exit 2; }
done
(( processes > total )) && processes=$total
logs=$(mktemp -d "${TMPDIR:-/tmp}/cutover-soak-XXXXXX")
echo "soak: $total sequences in $processes processes, rounds of at most $round_size, first seed $seed; logs in $logs"

# One process's share, round after round; a failed round is recorded and the next one runs.
run_share() {
  local i=$1 left=$2 round=0 runs round_seed
  while (( left > 0 )); do
    runs=$(( left < round_size ? left : round_size ))
    round_seed=$(( seed + i + round * processes ))
    echo "soak: process $i round $round: seed $round_seed, $runs sequences"
    # A process group of its own, so a stop takes vitest's workers and test servers with it.
    CUTOVER_PROPERTY_SEED=$round_seed CUTOVER_PROPERTY_RUNS=$runs CUTOVER_TEST_PEERS=none \
      setsid npx vitest run test/workflow/properties.test.ts >"$logs/process-$i-round-$round.log" 2>&1 &
    trap "kill -- -$! 2>/dev/null; exit 143" TERM
    wait $! || echo "$round_seed $logs/process-$i-round-$round.log" >>"$logs/failed"
    left=$(( left - runs ))
    round=$(( round + 1 ))
  done
}

pids=()
for ((i = 0; i < processes; i++)); do
  share=$(( total / processes + (i < total % processes ? 1 : 0) ))
  echo "soak: process $i: $share sequences"
  run_share "$i" "$share" &
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
wait

for log in "$logs"/process-*.log; do
  grep -ho 'property test: [0-9]* sequences, [0-9]* steps\|property test: CPU.*' "$log" | sed "s|^|soak: $(basename "$log" .log): |"
done
if [[ -s "$logs/failed" ]]; then
  while read -r failed_seed log; do
    echo "soak: the round with seed $failed_seed FAILED; its report ($log):"
    grep -E 'Property failed|Counterexample|seed|path|AssertionError|Error:' "$log" | head -20
  done <"$logs/failed"
fi
echo "soak: $(done_count) of $total sequences in $(( SECONDS - started )) s, $([[ -s "$logs/failed" ]] && echo 'FAILED' || echo 'no failure')"
[[ ! -s "$logs/failed" ]]
