#!/usr/bin/env bash
# Chain benchmarks: slot start -> block imported under 100 transfers per block, replay throughput,
# idle RSS of the dev node. Builds the release preset; prints `BENCH <name> <value> <unit>` lines.
# Not part of the test suite. About 5 minutes with the defaults.
#   bash tests/bench/chain_run.sh [--slots 1000] [--txs 100] [--slot-ms 250] [--idle-s 30]
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake --preset release >/dev/null
cmake --build --preset release --target alys_bench_chain >&2
exec build/release/tests/bench/alys_bench_chain "$@"
