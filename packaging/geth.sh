#!/usr/bin/env bash
# Geth, the execution client the `engine-api` backend drives, built from the Go module registry at a
# pinned version. The binary lives in a cache outside the clone so every clone and CI run reuse one
# build (the first one takes minutes).
#
#   bash packaging/geth.sh install   # build once, print the binary's path
#   bash packaging/geth.sh path      # print the binary's path, or exit 1 when it is not built
#
# ALYS_PEERS_DIR moves the cache (default ~/.cache/alys-peers).
set -euo pipefail

version=v1.17.10
peers_dir="${ALYS_PEERS_DIR:-${HOME}/.cache/alys-peers}"
prefix="${peers_dir}/geth-${version}"
binary="${prefix}/bin/geth"

install() {
  if [ -x "$binary" ]; then
    echo "$binary"
    return 0
  fi
  if ! command -v go >/dev/null; then
    for candidate in /usr/local/go/bin/go /usr/lib/go/bin/go; do
      [ -x "$candidate" ] && PATH="$(dirname "$candidate"):$PATH" && break
    done
  fi
  command -v go >/dev/null || {
    # go-ethereum v1.17.10's go.mod says go 1.25.0.
    echo "geth.sh: go is not installed; Geth ${version} is built with 'go install'" \
      "(Go 1.25 or later)" >&2
    exit 1
  }
  mkdir -p "${prefix}/bin"
  echo "geth.sh: building geth ${version} with $(go env GOVERSION) into ${prefix} (minutes)" >&2
  local start
  start=$(date +%s)
  # A private GOPATH and build cache keep the user's Go setup untouched and make the cache
  # self-contained: deleting ${prefix} removes every trace. -modcacherw lets that deletion work.
  GOBIN="${prefix}/bin" GOPATH="${prefix}/gopath" GOCACHE="${prefix}/gocache" \
    GOFLAGS="${GOFLAGS:-} -modcacherw" GOTOOLCHAIN=local \
    go install "github.com/ethereum/go-ethereum/cmd/geth@${version}" >&2
  [ -x "$binary" ] || { echo "geth.sh: go install finished but ${binary} is missing" >&2; exit 1; }
  # Sources and objects take 1.6 GB beside an 87 MB binary; a failed build keeps them for its retry.
  rm -rf "${prefix}/gopath" "${prefix}/gocache"
  echo "geth.sh: built in $(($(date +%s) - start)) s" >&2
  echo "$binary"
}

case "${1:-}" in
  install) install ;;
  path)
    [ -x "$binary" ] || {
      echo "geth.sh: geth ${version} is not installed: bash packaging/geth.sh install" >&2
      exit 1
    }
    echo "$binary"
    ;;
  *)
    echo "usage: $0 install|path" >&2
    exit 2
    ;;
esac
