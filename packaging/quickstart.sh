#!/usr/bin/env bash
# The README's quick start. Installs the Debian packages the build needs (when missing), builds the
# `dev` preset, then either runs a dev node or the whole test suite.
#
#   bash packaging/quickstart.sh run        # build and start alysd with config/dev.toml
#   bash packaging/quickstart.sh run-geth   # the same chain executed by Geth: two processes
#   bash packaging/quickstart.sh test       # build and run every test (ctest)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build g++ ccache pkg-config binutils
  libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev
  libtomlplusplus-dev libspdlog-dev libfmt-dev catch2
  libleveldb-dev libsnappy-dev libsecp256k1-dev libssl-dev
)
# The test suite also checks the metrics with promtool and scrapes them with a real Prometheus, and
# drives the dev chain with a real Ethereum client (ethers, from npm).
test_packages=(prometheus)
# Node.js may come from elsewhere (NodeSource ships its own npm): only ask Debian when it is missing.
command -v npm >/dev/null || test_packages+=(nodejs npm)

install_missing() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "quickstart: installing ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "quickstart: run as root or install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
  cmake --preset dev >/dev/null
  echo "quickstart: building (preset dev)"
  cmake --build --preset dev
}

# The dev chain with the engine-api backend: Geth (packaging/geth.sh) executes it and serves the
# wallets' JSON-RPC on 127.0.0.1:8545, alysd (config/dev-geth.toml) drives it through the Engine API
# on 127.0.0.1:8551. Both stop on Ctrl-C or SIGTERM, alysd first; when either exits, so does the
# other. Everything lives in data/dev-geth/ (Geth's database in geth/, its log in geth.log).
run_geth() {
  local config=config/dev-geth.toml data=data/dev-geth
  local geth
  geth="$(bash packaging/geth.sh install)"
  chmod 600 config/dev-member.key
  mkdir -p "$data"
  # The Engine API's shared secret: 32 random bytes as hex, readable by this user only. Geth would
  # create a missing one itself, but alysd must read the same file, so it exists before either starts.
  if [ ! -s "$data/jwt.hex" ]; then
    (umask 077 && openssl rand -hex 32 >"$data/jwt.hex")
  fi
  chmod 600 "$data/jwt.hex"
  # Every start: the same config gives the same genesis, which `geth init` accepts again; a changed
  # config gives another, which Geth refuses for its existing database (remove data/dev-geth).
  build/dev/bin/alys-ctl genesis --engine geth --config "$config" --out "$data/genesis.json"
  "$geth" --datadir "$data/geth" init "$data/genesis.json" >"$data/geth-init.log" 2>&1 || {
    cat "$data/geth-init.log" >&2
    echo "quickstart: geth init refused $data/genesis.json (log above)" >&2
    exit 1
  }
  # Geth moves each block's gas limit toward --miner.gaslimit: the config's, not Geth's default.
  local gas_limit
  gas_limit="$(sed -n 's/^block_gas_limit *= *\([0-9]*\).*/\1/p' "$config")"
  geth_pid="" alysd_pid=""
  # Both run in sessions of their own (setsid), out of reach of the terminal's Ctrl-C: alysd takes a
  # second signal during its ordered stop as "exit now", so the one stop signal each gets is the
  # trap's SIGTERM, alysd first (it drives Geth), and the trap waits for both: no Geth outlives
  # the command.
  # The command's status is alysd's: 0 after a clean stop, as with `run`.
  alysd_status=0
  stop_both() {
    trap - INT TERM
    if [ -n "$alysd_pid" ] && kill -TERM "$alysd_pid" 2>/dev/null; then
      wait "$alysd_pid" 2>/dev/null || alysd_status=$?
    fi
    [ -n "$geth_pid" ] && kill -TERM "$geth_pid" 2>/dev/null && wait "$geth_pid" 2>/dev/null
    true
  }
  trap 'echo "quickstart: stopping alysd, then geth"; stop_both; exit "$alysd_status"' INT TERM
  echo "quickstart: starting geth (log: $data/geth.log; JSON-RPC http://127.0.0.1:8545/)"
  setsid "$geth" --datadir "$data/geth" --syncmode full --nodiscover --maxpeers 0 --port 0 \
    --authrpc.addr 127.0.0.1 --authrpc.port 8551 --authrpc.jwtsecret "$data/jwt.hex" \
    --miner.gaslimit "$gas_limit" \
    --http --http.addr 127.0.0.1 --http.port 8545 --http.api eth,net,web3 \
    >>"$data/geth.log" 2>&1 &
  geth_pid=$!
  # alysd reports Geth down and waits for it; starting it once the Engine API listens keeps that
  # report for real outages.
  local tries=0
  until (exec 3<>/dev/tcp/127.0.0.1/8551) 2>/dev/null; do
    if ! kill -0 "$geth_pid" 2>/dev/null || [ $((tries += 1)) -gt 300 ]; then
      tail -n 20 "$data/geth.log" >&2
      echo "quickstart: geth did not open 127.0.0.1:8551 (log above; is another geth running?)" >&2
      stop_both
      exit 1
    fi
    sleep 0.1
  done
  setsid build/dev/bin/alysd --config "$config" &
  alysd_pid=$!
  local status=0
  wait -n "$alysd_pid" "$geth_pid" || status=$?
  if ! kill -0 "$geth_pid" 2>/dev/null; then
    tail -n 20 "$data/geth.log" >&2
    echo "quickstart: geth exited (log above); stopping alysd" >&2
    [ "$status" -ne 0 ] || status=1
  fi
  stop_both
  exit "$status"
}

case "${1:-}" in
  run)
    install_missing "${packages[@]}"
    build
    # Git does not keep file modes beyond the executable bit; the chain refuses a key file that
    # others can read.
    chmod 600 config/dev-member.key
    exec build/dev/bin/alysd --config config/dev.toml
    ;;
  run-geth)
    install_missing "${packages[@]}" openssl
    build
    run_geth
    ;;
  test)
    install_missing "${packages[@]}" "${test_packages[@]}"
    build
    ctest --preset dev -j "$(nproc)"
    ;;
  *)
    echo "usage: $0 run|run-geth|test" >&2
    exit 2
    ;;
esac
