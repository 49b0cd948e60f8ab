#!/usr/bin/env bash
# Hot-swap pauses of the built-in plugins (docs/performance.md, "Hot swap pause of the built-in
# plugins"): builds the release preset and runs, once each,
#   engine   10,000 transfers pending, 1,000 swaps v1 <-> v2
#   chain    producing 100 ms slots, 500 swaps v1 <-> v2
#   storage  10,000 blocks committed, 200 swaps v1 <-> v2, leveldb and memory backends
# and prints their `BENCH <name> <value> <unit>` lines. Not part of the test suite; run it on a
# quiet machine (another process's time slice lands inside a pause and shows in the p99).
#   bash tests/bench/plugin_swap_run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake --preset release >/dev/null
cmake --build --preset release --target alys_bench_engine_swap_pause alys_bench_chain_swap_pause \
  alys_bench_storage_swap_pause >&2
bench=build/release/tests/bench
echo "bench: engine (10,000 pending)" >&2
"$bench/alys_bench_engine_swap_pause" --swaps 1000 --pending 10000 2>/dev/null | grep '^BENCH'
echo "bench: chain (producing)" >&2
"$bench/alys_bench_chain_swap_pause" 500 2>/dev/null | grep '^BENCH'
echo "bench: storage (10,000 blocks)" >&2
"$bench/alys_bench_storage_swap_pause" 200 10000 2>/dev/null | grep '^BENCH'
