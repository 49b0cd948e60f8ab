#!/usr/bin/env bash
# Federation benchmarks (issue 13): three alysd members on loopback and an observer. Builds the
# release preset (ALYS_BENCH_PRESET=dev reuses the dev build); prints `BENCH <name> <value> <unit>`.
# Not part of the test suite. With the defaults about 20 minutes, most of it producing the 10,000
# blocks the observer then syncs.
#   bash tests/bench/federation_bench.sh [--slots 200] [--slot-ms 500] [--txs 100]
#                                        [--sync-blocks 10000] [--sync-slot-ms 100]
set -euo pipefail
cd "$(dirname "$0")/../.."
while [ $# -gt 0 ]; do
  case "$1" in
    --slots) export ALYS_BENCH_SLOTS="$2" ;;
    --slot-ms) export ALYS_BENCH_SLOT_MS="$2" ;;
    --txs) export ALYS_BENCH_TXS="$2" ;;
    --sync-blocks) export ALYS_BENCH_SYNC_BLOCKS="$2" ;;
    --sync-slot-ms) export ALYS_BENCH_SYNC_SLOT_MS="$2" ;;
    *)
      echo "usage: $0 [--slots N] [--slot-ms MS] [--txs N] [--sync-blocks N] [--sync-slot-ms MS]" >&2
      exit 2
      ;;
  esac
  [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; }
  shift 2
done
preset="${ALYS_BENCH_PRESET:-release}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" --target alys_bench_federation >&2
exec "build/$preset/tests/bench/alys_bench_federation" "[.bench]"
