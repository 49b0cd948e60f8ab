#!/usr/bin/env bash
# The README's quick start. Installs the Debian packages the build needs (when missing), builds the
# `dev` preset, then either runs a dev node or the whole test suite.
#
#   bash packaging/quickstart.sh run    # build and start alysd with config/dev.toml
#   bash packaging/quickstart.sh test   # build and run every test (ctest)
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

case "${1:-}" in
  run)
    install_missing "${packages[@]}"
    build
    # Git does not keep file modes beyond the executable bit; the chain refuses a key file that
    # others can read.
    chmod 600 config/dev-member.key
    exec build/dev/bin/alysd --config config/dev.toml
    ;;
  test)
    install_missing "${packages[@]}" "${test_packages[@]}"
    build
    ctest --preset dev -j "$(nproc)"
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
