#!/usr/bin/env bash
# The engine-api backend with a real Geth: slot start -> block imported under transfers sent to
# Geth, replay of the whole chain into a Geth started on an empty data dir, RSS of alysd and Geth.
# Builds the release preset; installs Geth if missing; prints `BENCH <name> <value> <unit>` lines.
# Not part of the test suite. About 18 minutes with the defaults (1,000 slots of 1 s: Geth block
# timestamps are whole seconds, so a slot is at least 1,000 ms).
#   bash tests/bench/geth_run.sh [--slots 1000] [--txs 20] [--slot-ms 1000]
set -euo pipefail
cd "$(dirname "$0")/../.."
bash packaging/geth.sh install >&2
cmake --preset release >/dev/null
cmake --build --preset release --target alys_bench_geth >&2
exec build/release/tests/bench/alys_bench_geth "$@"
