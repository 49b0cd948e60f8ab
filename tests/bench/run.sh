#!/usr/bin/env bash
# Runtime benchmarks against CAF 0.17, side by side in one run on this machine.
# Builds the release preset, runs every benchmark 3 times (median), prints `BENCH <name> <value>
# <unit>` lines, and ends with the ratio lines scripts read. Not part of the test suite.
#   bash tests/bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! dpkg-query -W -f='${Status}' libcaf-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "bench: installing libcaf-dev (the baseline)" >&2
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends libcaf-dev >&2
fi
cmake --preset release >/dev/null
cmake --build --preset release --target alys_bench_runtime alys_bench_caf_baseline \
  alys_bench_swap_pause >&2
bench=build/release/tests/bench

# median NAME: the median of the values collected for NAME in $results
results=$(mktemp)
trap 'rm -f "$results"' EXIT
run3() {  # run3 COMMAND...: runs 3 times, keeps every BENCH line
  for _ in 1 2 3; do "$@" 2>/dev/null | grep '^BENCH' >>"$results"; done
}
median() {
  grep "^BENCH $1 " "$results" | awk '{print $3}' | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}
unit() { grep -m1 "^BENCH $1 " "$results" | awk '{print $4}'; }

run3 "$bench/alys_bench_caf_baseline" oneway 10000000
run3 "$bench/alys_bench_caf_baseline" pingpong 1000000
run3 "$bench/alys_bench_runtime" oneway 10000000
run3 "$bench/alys_bench_runtime" fanin 10000000
run3 "$bench/alys_bench_runtime" pingpong 1000000
run3 "$bench/alys_bench_runtime" restart 1000
run3 "$bench/alys_bench_runtime" mailbox 1000000
run3 "$bench/alys_bench_swap_pause" 200

for name in $(awk '{print $2}' "$results" | sort -u); do
  echo "BENCH $name $(median "$name") $(unit "$name")"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "BENCH oneway_ratio_vs_caf $(ratio "$(median oneway_msgs_per_s)" "$(median caf_oneway_msgs_per_s)") x"
echo "BENCH pingpong_ratio_vs_caf $(ratio "$(median pingpong_round_trips_per_s)" "$(median caf_pingpong_round_trips_per_s)") x"
echo "BENCH pingpong_p99_ratio_vs_caf $(ratio "$(median pingpong_p99_us)" "$(median caf_pingpong_p99_us)") x"
echo "BENCH oneway_peak_rss_mb $(median oneway_peak_rss_mb) MB"
echo "BENCH swap_pause_p99_us $(median swap_pause_p99_us) us"
echo "BENCH restart_resume_p99_us $(median restart_resume_p99_us) us"
