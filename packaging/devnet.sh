#!/usr/bin/env bash
# A federation on this machine in one command: N members and one observer, real alysd processes on
# loopback, each with its own key, config, data dir, admin port and network port.
#
#   bash packaging/devnet.sh up N [--slot-ms MS] [--dir DIR]   # keys, spec, configs; start; table
#   bash packaging/devnet.sh status [--dir DIR]                # each node's head and peers
#   bash packaging/devnet.sh down [--dir DIR]                  # stop every node (SIGTERM, SIGKILL)
#
# DIR defaults to data/devnet. `up` on a DIR that holds a stopped devnet starts it again with its
# keys and chain (same N); remove DIR for a fresh one. The chain is config/dev.toml's (chain id
# 263634, the README's dev account funded at genesis) with N members and threshold (2N+2)/3.
# ALYS_BUILD_DIR overrides the build directory (default build/dev, the `dev` preset's).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="${ALYS_BUILD_DIR:-$repo/build/dev}"

die() {
  echo "devnet: $*" >&2
  exit 1
}

usage() {
  cat >&2 <<'EOF'
usage:
  devnet.sh up N [--slot-ms MS] [--dir DIR]   start N members (1..16) and one observer
  devnet.sh status [--dir DIR]                head height and hash of every node
  devnet.sh down [--dir DIR]                  stop every node of the devnet
EOF
  exit 2
}

command="${1:-}"
[ -n "$command" ] || usage
shift
members=""
slot_ms=2000
dir="$repo/data/devnet"
if [ "$command" = up ]; then
  [ $# -ge 1 ] || usage
  members="$1"
  shift
  [[ "$members" =~ ^[0-9]+$ ]] && [ "$members" -ge 1 ] && [ "$members" -le 16 ] ||
    die "N must be a number of members from 1 to 16, got '$members'"
fi
while [ $# -gt 0 ]; do
  case "$1" in
    --slot-ms)
      [ $# -ge 2 ] || usage
      [ "$command" = up ] || die "--slot-ms goes with up"
      slot_ms="$2"
      [[ "$slot_ms" =~ ^[0-9]+$ ]] && [ "$slot_ms" -ge 100 ] ||
        die "--slot-ms needs milliseconds, at least 100, got '$slot_ms'"
      shift 2
      ;;
    --dir)
      [ $# -ge 2 ] || usage
      dir="$2"
      shift 2
      ;;
    *) usage ;;
  esac
done
mkdir -p "$(dirname "$dir")"
dir="$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")"

alysd="$build/bin/alysd"
ctl="$build/bin/alys-ctl"
plugins=(storage/alys_storage.so engine/alys_engine.so chain/alys_chain.so network/alys_network.so)

# Nodes of the devnet in DIR, in order: node1..nodeN (members), then observer.
nodes_of() {
  local d
  for d in "$dir"/node*; do
    [ -f "$d/node.toml" ] && basename "$d"
  done | sort -V
  [ -f "$dir/observer/node.toml" ] && echo observer
  return 0
}

pid_of() {
  local file="$dir/$1/alysd.pid"
  [ -f "$file" ] || return 1
  local pid
  pid="$(cat "$file")"
  # A pid file can outlive its process, and the pid be reused: only an alysd counts.
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = alysd ] ||
    return 1
  echo "$pid"
}

setting() {  # setting NODE NAME: a value the script recorded for a node
  sed -n "s/^$2=//p" "$dir/$1/devnet.env"
}

ensure_build() {
  local missing=()
  [ -x "$alysd" ] || missing+=("$alysd")
  [ -x "$ctl" ] || missing+=("$ctl")
  local plugin
  for plugin in "${plugins[@]}"; do
    [ -f "$build/plugins/$plugin" ] || missing+=("$build/plugins/$plugin")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -n "${ALYS_BUILD_DIR:-}" ]; then
    die "the build in $build is missing ${missing[*]}: build it (cmake --build $build)"
  fi
  echo "devnet: missing ${missing[*]}; building (preset dev)"
  (cd "$repo" && cmake --preset dev >/dev/null && cmake --build --preset dev) ||
    die "the build failed; see above (bash packaging/quickstart.sh installs what it needs)"
  for plugin in "${missing[@]}"; do
    [ -e "$plugin" ] || die "the build did not produce $plugin"
  done
}

# A loopback TCP port nobody listens on now, not handed out before by this run. Taken below the
# kernel's ephemeral range (ip_local_port_range), so that no outgoing connection of another
# program can hold it by the time the node binds it.
taken_ports=" "
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "$ephemeral_low" -gt 12000 ] || ephemeral_low=60000
free_port() {
  local port tries=0
  while :; do
    port=$((10000 + RANDOM % (ephemeral_low - 10000)))
    tries=$((tries + 1))
    [ $tries -lt 1000 ] || die "no free loopback port found"
    case "$taken_ports" in *" $port "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      taken_ports+="$port "
      echo "$port"
      return 0
    fi
  done
}

port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

write_spec() {  # the chain spec every node shares: one [chain] and [chain.auxpow] text
  local keys=("$@")
  local n=${#keys[@]}
  local threshold=$(((2 * n + 2) / 3))
  local now_ms=$(($(date +%s%N) / 1000000))
  # Genesis a few seconds ahead, as a federation's launch agrees on it: the first slots come after
  # every node's network is up, so no early proposal goes unheard.
  local genesis=$(((now_ms + 4000) / slot_ms * slot_ms))
  local list="" key
  for key in "${keys[@]}"; do list+="\"$key\", "; done
  cat >"$dir/chain-spec.toml" <<EOF
# The chain spec of this devnet (written by packaging/devnet.sh; every node's [chain] holds it).
[chain]
chain_id = 263634
members = [${list%, }]
threshold = $threshold                           # (2N+2)/3 of $n members
slot_ms = $slot_ms
genesis_timestamp_ms = $genesis
genesis_alloc = [
  { address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", balance_wei = "10000000000000000000000" },
]
# The federation's 20% of the fees (docs/mining.md, "Fees"): Hardhat/Anvil's second dev account.
federation_fee_recipient = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
EOF
}

# The [chain.auxpow] of config/dev.toml, except that the target never retargets: members mine their
# own blocks at dev difficulty (dev_mine), and short slots would otherwise make it harder and harder.
auxpow_table() {
  cat <<'EOF'

[chain.auxpow]
chain_id = 1953
commitment = "coinbase-script"
max_blocks_without_pow = 50
initial_bits = "207fffff"
pow_limit = "7fffff0000000000000000000000000000000000000000000000000000000000"
retarget_interval = 1000000
target_spacing_s = 2
max_adjustment = 4
EOF
}

write_config() {  # write_config NODE ROLE ADMIN_PORT NET_PORT PEERS_TOML
  local node="$1" role="$2" admin_port="$3" net_port="$4" peers="$5"
  local chain_local="dev_mine = true                                 # each member mines its own blocks (development only)
key_file = \"node.key\"
fee_recipient = \"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\""
  [ "$role" = observer ] && chain_local="# no key_file: an observer imports, never approves or authors"
  cat >"$dir/$node/node.toml" <<EOF
# Devnet $role $node (packaging/devnet.sh). Its chain spec is $dir/chain-spec.toml.
[host]
workers = 2
data_dir = "data"
log_level = "info"
admin_listen = "127.0.0.1:$admin_port"
admin_token_file = "token"
swap_trial_ms = 1000
plugin_dir = "$build/plugins"

[plugins.storage]
file = "storage/alys_storage.so"
backend = "leveldb"

[plugins.engine]
file = "engine/alys_engine.so"
backend = "embedded"
requires = ["storage"]

[plugins.chain]
file = "chain/alys_chain.so"
requires = ["storage", "engine"]

[plugins.network]
file = "network/alys_network.so"
requires = ["storage", "engine", "chain"]

[storage]
path = "chain.db"

[engine]
chain_id = 263634
base_fee_wei = 1000000000
block_gas_limit = 30000000

[network]
listen = "127.0.0.1:$net_port"
key_file = "node.key"
peers = [
$peers]

$(sed -n '/^\[chain\]/,$p' "$dir/chain-spec.toml")
$chain_local
$(auxpow_table)

[supervision]
strategy = "rest_for_one"
max_restarts = 5
period_ms = 10000
children = ["storage", "engine", "chain", "network"]
EOF
}

generate() {
  local n="$1" i node
  mkdir -p "$dir"
  local keys=() names=()
  for ((i = 1; i <= n; i++)); do names+=("node$i"); done
  names+=(observer)
  for node in "${names[@]}"; do
    mkdir -p "$dir/$node"
    local public_key
    public_key="$("$ctl" keygen --out "$dir/$node/node.key")" || die "alys-ctl keygen failed"
    local token
    token="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    (umask 077 && echo "$token" >"$dir/$node/token")
    local role=member
    [ "$node" = observer ] && role=observer
    {
      echo "role=$role"
      echo "key=$public_key"
      echo "admin_port=$(free_port)"
      echo "net_port=$(free_port)"
    } >"$dir/$node/devnet.env"
    [ "$role" = member ] && keys+=("$public_key")
  done
  write_spec "${keys[@]}"
  for node in "${names[@]}"; do
    local peers="" other
    for other in "${names[@]}"; do
      [ "$other" = "$node" ] && continue
      local key net
      key="$(setting "$other" key)"
      net="$(setting "$other" net_port)"
      if [ "$other" = observer ]; then
        # Members admit the observer (it is no spec member) and let it dial them.
        peers+="  { public_key = \"$key\" },"$'\n'
      else
        peers+="  { public_key = \"$key\", address = \"127.0.0.1:$net\" },"$'\n'
      fi
    done
    write_config "$node" "$(setting "$node" role)" "$(setting "$node" admin_port)" \
      "$(setting "$node" net_port)" "$peers"
  done
}

admin_of() { echo "127.0.0.1:$(setting "$1" admin_port)"; }

ctl_json() {  # ctl_json NODE METHOD: the method's result as one JSON line
  "$ctl" --admin "$(admin_of "$1")" --token-file "$dir/$1/token" --timeout-ms 3000 --json \
    call "$2" 2>/dev/null
}

json_field() {  # json_field JSON OBJECT FIELD: a scalar field inside "OBJECT":{...}
  sed -n "s/.*\"$2\":{[^}]*\"$3\":\"\{0,1\}\([^,\"}]*\)\"\{0,1\}.*/\1/p" <<<"$1"
}

stop_all() {  # stop_all: SIGTERM every node, SIGKILL after 10 s; says what it did
  local node pid stopped=0
  local pids=()
  for node in $(nodes_of); do
    if pid="$(pid_of "$node")"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$node:$pid")
    fi
    rm -f "$dir/$node/alysd.pid"
  done
  local entry deadline=$((SECONDS + 10))
  for entry in "${pids[@]}"; do
    node="${entry%%:*}"
    pid="${entry#*:}"
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      echo "devnet: $node (pid $pid) did not stop within 10 s: killed (SIGKILL)"
    else
      echo "devnet: $node (pid $pid) stopped"
    fi
    stopped=$((stopped + 1))
  done
  [ $stopped -gt 0 ] || echo "devnet: no node of $dir is running"
}

start_node() {  # start_node NODE: alysd in its own session, its pid recorded
  local node="$1"
  local admin net
  admin="$(setting "$node" admin_port)"
  net="$(setting "$node" net_port)"
  port_busy "$admin" && die "$node: admin port 127.0.0.1:$admin is busy (another process listens)"
  port_busy "$net" && die "$node: network port 127.0.0.1:$net is busy (another process listens)"
  (cd "$dir/$node" && exec setsid "$alysd" --config node.toml >>alysd.log 2>&1 </dev/null) &
  echo $! >"$dir/$node/alysd.pid"
}

wait_ready() {  # wait_ready NODE: until its admin API answers; its log tail if it died first
  local node="$1" deadline=$((SECONDS + 60))
  while [ $SECONDS -lt $deadline ]; do
    if ! kill -0 "$(cat "$dir/$node/alysd.pid")" 2>/dev/null; then
      echo "devnet: $node exited while starting; the end of $dir/$node/alysd.log:" >&2
      tail -n 20 "$dir/$node/alysd.log" >&2
      return 1
    fi
    "$ctl" --admin "$(admin_of "$node")" --timeout-ms 1000 status >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "devnet: $node's admin API did not answer within 60 s; see $dir/$node/alysd.log" >&2
  return 1
}

print_table() {
  printf '%-9s %-9s %-24s %-17s %-66s %s\n' NODE ROLE "ADMIN (ETH JSON-RPC)" NETWORK KEY LOG
  local node
  for node in $(nodes_of); do
    printf '%-9s %-9s %-24s %-17s %-66s %s\n' "$node" "$(setting "$node" role)" \
      "http://$(admin_of "$node")/" "127.0.0.1:$(setting "$node" net_port)" \
      "$(setting "$node" key)" "$dir/$node/alysd.log"
  done
}

case "$command" in
  up)
    ensure_build
    if [ -f "$dir/chain-spec.toml" ]; then
      existing=$(($(nodes_of | wc -l) - 1))
      [ "$existing" -eq "$members" ] ||
        die "$dir holds a devnet of $existing members, not $members: down it and remove $dir, or use --dir"
      for node in $(nodes_of); do
        pid_of "$node" >/dev/null && die "$dir is running already ($node); devnet.sh down first"
      done
      echo "devnet: starting the devnet in $dir again (its keys and chain); remove $dir for a fresh one"
    else
      [ ! -e "$dir" ] || [ -z "$(ls -A "$dir")" ] ||
        die "$dir exists and holds no devnet; choose another --dir"
      generate "$members"
    fi
    for node in $(nodes_of); do start_node "$node"; done
    for node in $(nodes_of); do
      if ! wait_ready "$node"; then
        stop_all >&2
        exit 1
      fi
    done
    echo "devnet: $members member(s) (threshold $(sed -n 's/^threshold = \([0-9]*\).*/\1/p' \
      "$dir/chain-spec.toml"), slot $(sed -n 's/^slot_ms = //p' "$dir/chain-spec.toml") ms) and one observer running in $dir"
    print_table
    cat <<EOF

Chain id 263634; the README's dev account 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 is funded.
Each node's token is DIR/NODE/token: build/dev/bin/alys-ctl --config $dir/node1/node.toml peers
bash packaging/devnet.sh status --dir $dir     bash packaging/devnet.sh down --dir $dir
EOF
    ;;
  status)
    [ -f "$dir/chain-spec.toml" ] || die "no devnet in $dir"
    [ -x "$ctl" ] || die "$ctl is missing: build first (cmake --build --preset dev)"
    printf '%-9s %-9s %-8s %-8s %-68s %s\n' NODE ROLE PID HEIGHT "HEAD HASH" FINALIZED
    for node in $(nodes_of); do
      pid="$(pid_of "$node")" || pid="-"
      height="-" hash="-" finalized="-"
      if [ "$pid" != "-" ] && status="$(ctl_json "$node" chain_status)"; then
        height="$(json_field "$status" head height)"
        hash="$(json_field "$status" head hash)"
        finalized="$(json_field "$status" finalized height)"
        [ -n "$finalized" ] || finalized="-"
      elif [ "$pid" != "-" ]; then
        height="(no answer)"
      fi
      printf '%-9s %-9s %-8s %-8s %-68s %s\n' "$node" "$(setting "$node" role)" "$pid" "$height" \
        "$hash" "$finalized"
    done
    ;;
  down)
    [ -f "$dir/chain-spec.toml" ] || die "no devnet in $dir"
    stop_all
    ;;
  *) usage ;;
esac
