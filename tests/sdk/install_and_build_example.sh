#!/usr/bin/env bash
# Acceptance of the installable SDK, as a third-party developer would meet it:
#   1. install the SDK (and alysd, alys-ctl) to a fresh prefix;
#   2. copy the example plugin project out of the source tree and build it against that prefix only
#      (and prove no compile command points into the source tree);
#   3. run the example's own harness tests;
#   4. start the installed alysd with the example's installed plugins, call its admin method;
#   5. hot-reload a rebuilt version of it and check the state survived.
# usage: install_and_build_example.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(realpath "$1")
source=$(realpath "$2")
work=$(mktemp -d /tmp/alys-sdk-e2e-XXXXXX)
node_pid=""
cleanup() {
  [ -n "$node_pid" ] && kill -KILL "$node_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo "sdk-e2e: $*"; }
fail() { echo "sdk-e2e: FAILED: $*" >&2; [ -f "$work/node.log" ] && tail -30 "$work/node.log" >&2; exit 1; }

step "installing the SDK to $work/prefix"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
[ -f "$work/prefix/lib/cmake/AlysSDK/AlysSDKConfigVersion.cmake" ] || fail "no AlysSDK package installed"

step "find_package(AlysSDK): the domain component only on request, the SDK's build type said"
mkdir -p "$work/consumer"
cat >"$work/consumer/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(consumer LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(AlysSDK 1 REQUIRED ${CONSUMER_COMPONENTS})
if(DEFINED PKG_CONFIG_EXECUTABLE)
  message(STATUS "consumer: pkg-config was looked for")
endif()
if(TARGET AlysSDK::domain)
  message(STATUS "consumer: AlysSDK::domain is defined")
  file(WRITE ${CMAKE_BINARY_DIR}/main.cpp
       "#include \"alys/domain/keccak.hpp\"\nint main() { return alys::keccak256({})[0] == 0xc5 ? 0 : 1; }\n")
  add_executable(consumer ${CMAKE_BINARY_DIR}/main.cpp)
  target_link_libraries(consumer PRIVATE AlysSDK::domain)
endif()
CMAKE
plain=$(cmake -S "$work/consumer" -B "$work/consumer-plain" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" 2>&1) ||
  fail "find_package(AlysSDK) without components: $plain"
if echo "$plain" | grep -q "consumer: "; then
  fail "without COMPONENTS domain, pkg-config or AlysSDK::domain was loaded anyway: $plain"
fi
domain=$(cmake -S "$work/consumer" -B "$work/consumer-domain" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  "-DCONSUMER_COMPONENTS=COMPONENTS;domain" 2>&1) || fail "COMPONENTS domain: $domain"
echo "$domain" | grep -q "consumer: AlysSDK::domain is defined" || fail "no AlysSDK::domain: $domain"
cmake --build "$work/consumer-domain" >/dev/null && "$work/consumer-domain/consumer" ||
  fail "a program linking AlysSDK::domain did not build or run"
unknown=$(cmake -S "$work/consumer" -B "$work/consumer-unknown" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  "-DCONSUMER_COMPONENTS=COMPONENTS;nonesuch" 2>&1) && fail "an unknown component was accepted"
echo "$unknown" | grep -q "AlysSDK has no component 'nonesuch'" || fail "unknown component: $unknown"
# No preset builds MinSizeRel, so the installed SDK is of another type: the config file says so.
typed=$(cmake -S "$work/consumer" -B "$work/consumer-typed" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=MinSizeRel 2>&1) || fail "CMAKE_BUILD_TYPE=MinSizeRel: $typed"
echo "$typed" | grep -q "this project builds 'MinSizeRel', so it uses the SDK's" ||
  fail "no word about the SDK's build type: $typed"

step "building the example out of tree against the prefix only"
cp -r "$source/sdk/examples/block_indexer" "$work/example"
cmake -S "$work/example" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_INSTALL_PREFIX="$work/plugins" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
if grep -q -- "$source" "$work/build/compile_commands.json"; then
  fail "a compile command refers to the source tree $source"
fi
cmake --build "$work/build"
step "running the example's harness tests"
ctest --test-dir "$work/build" --output-on-failure
cmake --install "$work/build" >/dev/null
plugin_dir="$work/plugins/lib/alys/plugins"
[ -f "$plugin_dir/block_indexer.so" ] || fail "alys_add_plugin's install rule put nothing in $plugin_dir"

step "building a rebuilt version 1.1.0"
cmake -S "$work/example" -B "$work/build2" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DBLOCK_INDEXER_VERSION=1.1.0 -DBUILD_TESTING=OFF >/dev/null
cmake --build "$work/build2" >/dev/null

step "starting the installed alysd with the example's plugins"
(umask 077 && echo "sdk-e2e-token" >"$work/token")
cat >"$work/node.toml" <<TOML
[host]
workers = 2
data_dir = "$work/data"
plugin_dir = "$plugin_dir"
admin_listen = "127.0.0.1:0"
admin_token_file = "$work/token"
swap_trial_ms = 200

[plugins.chain]
file = "demo_chain.so"

[plugins.indexer]
file = "block_indexer.so"
requires = ["chain"]

[chain]
interval_ms = 50
TOML
"$work/prefix/bin/alysd" --config "$work/node.toml" >"$work/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 1 200); do
  grep -q "node running" "$work/node.log" && break
  kill -0 "$node_pid" 2>/dev/null || fail "alysd exited"
  sleep 0.05
done
address=$(sed -n 's|.*admin API on http://\([^/]*\)/.*|\1|p' "$work/node.log" | head -1)
[ -n "$address" ] || fail "no admin address in the log"
ctl() { "$work/prefix/bin/alys-ctl" --admin "$address" --token-file "$work/token" "$@"; }

status=""
for _ in $(seq 1 100); do
  status=$(ctl call indexer_status) || fail "indexer_status: $status"
  echo "$status" | grep -q '"indexed":[1-9]' && break
  sleep 0.05
done
echo "$status" | grep -q '"version":"1.0.0"' || fail "expected version 1.0.0 serving: $status"
echo "$status" | grep -q '"indexed":[1-9]' || fail "the indexer indexed nothing: $status"
step "indexer_status before reload: $status"
before=$(echo "$status" | sed -n 's/.*"highest":\([0-9]*\).*/\1/p')

step "hot-reloading the rebuilt plugin"
ctl reload indexer "$work/build2/block_indexer.so" || fail "reload refused"
after_status=$(ctl call indexer_status) || fail "indexer_status after reload"
step "indexer_status after reload: $after_status"
echo "$after_status" | grep -q '"version":"1.1.0"' || fail "expected 1.1.0 serving: $after_status"
after=$(echo "$after_status" | sed -n 's/.*"highest":\([0-9]*\).*/\1/p')
[ "$after" -ge "$before" ] || fail "state lost in the swap: highest $before -> $after"
ctl call indexer_get_block "{\"height\":$before}" | grep -q "\"height\":$before" ||
  fail "block $before not answered after the swap"

kill -TERM "$node_pid"
wait "$node_pid" || fail "alysd did not exit 0"
node_pid=""
echo "sdk-e2e: 1 passed, 0 failed"
