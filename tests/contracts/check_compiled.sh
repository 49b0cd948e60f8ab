#!/usr/bin/env bash
# Recompiles every committed contract with the pinned solc (packaging/solc.sh) and compares the
# creation code, runtime code (CBOR metadata and its IPFS hash included) and ABI byte for byte with
# the committed artefacts: the bytecode predeployed in every genesis is the one the source says.
#
#   bash tests/contracts/check_compiled.sh SOURCE_DIR
set -euo pipefail
source_dir="$(cd "${1:-$(dirname "$0")/../..}" && pwd)"
solc_sh="$source_dir/packaging/solc.sh"

if ! bash "$solc_sh" path >/dev/null 2>&1; then
  echo "SKIP: solc $(bash "$solc_sh" version) is not installed (bash packaging/solc.sh install)"
  exit 0
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
failed=0
for source in contracts/bridge/Bridge.sol tests/contracts/TestToken.sol; do
  name="$(basename "$source" .sol)"
  committed="$source_dir/$(dirname "$source")"
  bash "$solc_sh" compile "$source_dir/$source" "$out/$name" >/dev/null
  for artefact in "$name.bin" "$name.bin-runtime" "$name.abi.json"; do
    if cmp -s "$out/$name/$artefact" "$committed/$artefact"; then
      echo "ok: $(dirname "$source")/$artefact ($(wc -c <"$committed/$artefact") bytes)"
    else
      echo "FAIL: $(dirname "$source")/$artefact differs from what solc $(bash "$solc_sh" version) compiles:"
      diff <(fold -w 100 "$committed/$artefact") <(fold -w 100 "$out/$name/$artefact") | head -20 || true
      failed=1
    fi
  done
done
exit "$failed"
