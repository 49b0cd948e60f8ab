#!/usr/bin/env bash
# ethers, the Ethereum client library the wallet tests drive nodes with (tests/js/erc20_flow.mjs),
# from npm at a pinned version, installed outside the clone so that a `git clean` keeps it and every
# worktree and CI run shares one copy.
#
#   bash packaging/ethers.sh install   # idempotent; prints the install folder
#   bash packaging/ethers.sh path      # prints the install folder (exit 1 when not installed)
#   bash packaging/ethers.sh version   # prints the pinned version
#
# The install folder holds node_modules/ethers: resolve `ethers` from it (node's
# createRequire(FOLDER + "/"), or NODE_PATH=FOLDER/node_modules for CommonJS scripts).
# Exit status of install: 0 installed, 1 failed, 3 npm is missing or cannot reach its registry (a
# test that needs ethers prints SKIP with the message then).
# ALYS_PEERS_DIR moves the cache (default ~/.cache/alys-peers).
set -euo pipefail

ETHERS_VERSION=6.17.0
dir="${ALYS_PEERS_DIR:-$HOME/.cache/alys-peers}/ethers-$ETHERS_VERSION"

installed() {
  [ -f "$dir/node_modules/ethers/package.json" ] &&
    [ "$(node -p "require('$dir/node_modules/ethers/package.json').version" 2>/dev/null)" = "$ETHERS_VERSION" ]
}

case "${1:-}" in
  install)
    if ! installed; then
      command -v npm >/dev/null || {
        echo "ethers.sh: npm is not installed (apt-get install nodejs npm)" >&2
        exit 3
      }
      mkdir -p "$dir"
      # --prefix with its own package.json: npm never walks up into a project that happens to
      # enclose the cache folder.
      [ -f "$dir/package.json" ] || echo '{"private":true}' >"$dir/package.json"
      log="$dir/npm-install.log"
      if ! npm install --prefix "$dir" --no-audit --no-fund --loglevel=error --save-exact \
        "ethers@$ETHERS_VERSION" >"$log" 2>&1; then
        cat "$log" >&2
        # npm's network failures carry the system call's error code; anything else is a real failure.
        if grep -qE 'ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|EHOSTUNREACH' "$log"; then
          echo "ethers.sh: npm cannot reach its registry ($(npm config get registry)); ethers $ETHERS_VERSION is not installed" >&2
          exit 3
        fi
        echo "ethers.sh: npm install ethers@$ETHERS_VERSION failed (log above)" >&2
        exit 1
      fi
      installed || { echo "ethers.sh: npm did not install ethers $ETHERS_VERSION into $dir" >&2; exit 1; }
    fi
    echo "$dir"
    ;;
  path)
    installed || { echo "ethers.sh: ethers $ETHERS_VERSION is not installed (bash packaging/ethers.sh install)" >&2; exit 1; }
    echo "$dir"
    ;;
  version)
    echo "$ETHERS_VERSION"
    ;;
  *)
    echo "usage: $0 install|path|version" >&2
    exit 2
    ;;
esac
