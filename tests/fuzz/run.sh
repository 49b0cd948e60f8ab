#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`: clang, ASan + UBSan) and runs each for SECONDS,
# two at a time, from the seed corpora (alys_fuzz_seeds) plus the corpus kept from earlier runs.
#   tests/fuzz/run.sh SECONDS [target...]     targets: frame handshake block approval auxpow transaction
# Prints executions and coverage per target; exits non-zero when any target crashed, leaked,
# broke an invariant or timed out (its log and crashing input are under build/fuzz/fuzz-runs/).
set -euo pipefail

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 SECONDS [target...]" >&2
  exit 2
fi
seconds=$1
shift
all=(frame handshake block approval auxpow transaction)
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${all[@]}")
for target in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $target "* ]] || { echo "unknown fuzz target: $target" >&2; exit 2; }
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$root/build/fuzz
cd "$root"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target alys_fuzz_seeds "${targets[@]/#/fuzz_}"

seeds=$build/fuzz-seeds
runs=$build/fuzz-runs
rm -rf "$seeds" "$runs"
mkdir -p "$runs"
"$build/tests/fuzz/alys_fuzz_seeds" "$seeds"

run_one() {
  local target=$1 corpus=$build/fuzz-corpus/$1
  mkdir -p "$corpus" "$seeds/$target"
  local rc=0
  "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 \
    -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$runs/$target-" \
    "$corpus" "$seeds/$target" >"$runs/$target.log" 2>&1 || rc=$?
  echo "$rc" >"$runs/$target.rc"
}

running=0
for target in "${targets[@]}"; do
  run_one "$target" &
  running=$((running + 1))
  if ((running >= 2)); then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

failed=0
printf '%-12s %12s %10s %8s %8s %8s  %s\n' target executions exec/s cov ft corpus result
for target in "${targets[@]}"; do
  log=$runs/$target.log
  rc=$(cat "$runs/$target.rc")
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(find "$build/fuzz-corpus/$target" -type f | wc -l)
  result=ok
  if [[ $rc != 0 ]] || grep -qE '==ERROR|deadly signal|runtime error:' "$log"; then
    result="FAILED (rc $rc, see $log)"
    failed=1
  fi
  printf '%-12s %12s %10s %8s %8s %8s  %s\n' "$target" "${execs:-?}" "${speed:-?}" "${cov:-?}" \
    "${ft:-?}" "$corpus" "$result"
done
exit $failed
