#!/usr/bin/env bash
# solc, the Solidity compiler, from npm (solc-js: the official compiler built to WebAssembly) at a
# pinned version, installed outside the clone so that a `git clean` keeps it and every worktree
# shares it. The compiled contracts in contracts/ and tests/contracts/ are reproduced byte for byte
# only with this version and the settings of packaging/solc_compile.js.
#
#   bash packaging/solc.sh install        # idempotent; prints the install folder
#   bash packaging/solc.sh path           # the solcjs entry point (exit 1 when not installed)
#   bash packaging/solc.sh compile F.sol [OUT_DIR]
#       prints {"compiler","settings","contracts":{NAME:{"bytecode","runtime","abi"}}} as JSON (hex
#       without 0x); with OUT_DIR also writes NAME.bin, NAME.bin-runtime and NAME.abi.json there
set -euo pipefail

SOLC_VERSION=0.8.30
here="$(cd "$(dirname "$0")" && pwd)"
dir="${ALYS_PEERS_DIR:-$HOME/.cache/alys-peers}/solc-$SOLC_VERSION"
entry="$dir/node_modules/solc/solc.js"

installed() {
  [ -f "$entry" ] &&
    [ "$(node -p "require('$dir/node_modules/solc/package.json').version" 2>/dev/null)" = "$SOLC_VERSION" ]
}

case "${1:-}" in
  install)
    command -v npm >/dev/null || { echo "solc.sh: npm is not installed (apt-get install nodejs npm)" >&2; exit 1; }
    if ! installed; then
      mkdir -p "$dir"
      # --prefix with its own package.json: npm never walks up into a project that happens to
      # enclose the cache folder.
      [ -f "$dir/package.json" ] || echo '{"private":true}' >"$dir/package.json"
      npm install --prefix "$dir" --no-audit --no-fund --loglevel=error --save-exact \
        "solc@$SOLC_VERSION" >&2
      installed || { echo "solc.sh: npm did not install solc $SOLC_VERSION into $dir" >&2; exit 1; }
    fi
    echo "$dir"
    ;;
  path)
    installed || { echo "solc.sh: solc $SOLC_VERSION is not installed (bash packaging/solc.sh install)" >&2; exit 1; }
    echo "$entry"
    ;;
  version)
    echo "$SOLC_VERSION"
    ;;
  compile)
    [ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: $0 compile FILE.sol [OUT_DIR]" >&2; exit 2; }
    installed || { echo "solc.sh: solc $SOLC_VERSION is not installed (bash packaging/solc.sh install)" >&2; exit 1; }
    exec node "$here/solc_compile.js" "$dir/node_modules/solc" "${@:2}"
    ;;
  *)
    echo "usage: $0 install|path|version|compile FILE.sol [OUT_DIR]" >&2
    exit 2
    ;;
esac
