#!/usr/bin/env bash
# The cluster testbed: three etcd members and three simulated nodes on one machine, each in
# its own network namespace, joined by a bridge in a fabric namespace. Nothing of it is in
# the root namespace: no address, no listening socket (the nodes' engines listen on unix
# sockets, which the root namespace reaches through the file system).
#
#   bash scripts/clusterenv.sh up [--engines]   (re)create it; a stale testbed is removed first
#   bash scripts/clusterenv.sh down             remove every namespace, process, mount and file it made
#   bash scripts/clusterenv.sh env              print `export ...` lines (SVCMGR_ETCD, the namespaces, ...)
#   bash scripts/clusterenv.sh status           what is up
#   bash scripts/clusterenv.sh crash nN         kill every process of the node's namespace and of its containers,
#                                               and drop its containers' network namespaces (a power-off)
#   bash scripts/clusterenv.sh cut nN|eN        set the namespace's eth0 down (a partition)
#   bash scripts/clusterenv.sh restore nN|eN    set it up again
#   bash scripts/clusterenv.sh etcd-stop eN     SIGKILL one etcd member
#   bash scripts/clusterenv.sh etcd-start eN    start it again (same data dir: it rejoins)
#   bash scripts/clusterenv.sh engine-start nN  start the node's dockerd (and copy CLUSTERENV_IMAGES into it)
#
# --engines starts one dockerd per node (its own data-root, exec-root, socket, pidfile) inside
# the node's namespace with `nsenter --net=` and copies the images named in CLUSTERENV_IMAGES
# (space separated) from the engine at DOCKER_HOST with docker save | docker load (read only there).
#
# Knobs: CLUSTERENV_PREFIX (names, default "et": namespaces et-fab, et-e1.., et-n1..),
# CLUSTERENV_NET (the first three octets and the base of the /26, default 203.0.113.64).
# Addresses (inside the fabric only): members .65 .66 .67, nodes .81 .82 .83 of the /26.
# Paths: /run/svcmgr-clusterenv-PREFIX (pids, sockets, exec roots), /var/tmp/svcmgr-clusterenv-PREFIX
# (etcd data, engine data roots, node state roots, logs).
set -euo pipefail

P=${CLUSTERENV_PREFIX:-et}
NET=${CLUSTERENV_NET:-203.0.113.64}
BASE=${NET%.*}
OFF=${NET##*.}
RUN=/run/svcmgr-clusterenv-$P
DATA=/var/tmp/svcmgr-clusterenv-$P
FAB=$P-fab
MEMBERS=(e1 e2 e3)
NODES=(n1 n2 n3)
TIMEOUT=${CLUSTERENV_TIMEOUT:-30}

log() { echo "clusterenv: $*" >&2; }
die() { echo "clusterenv: error: $*" >&2; exit 1; }

ip_of() { # e1..e3 n1..n3
  case "$1" in
    e1) echo "$BASE.$((OFF + 1))" ;; e2) echo "$BASE.$((OFF + 2))" ;; e3) echo "$BASE.$((OFF + 3))" ;;
    n1) echo "$BASE.$((OFF + 17))" ;; n2) echo "$BASE.$((OFF + 18))" ;; n3) echo "$BASE.$((OFF + 19))" ;;
    *) die "unknown member or node $1" ;;
  esac
}
ns_of() { echo "$P-$1"; }
endpoints() { local m out=(); for m in "${MEMBERS[@]}"; do out+=("http://$(ip_of "$m"):2379"); done; (IFS=,; echo "${out[*]}"); }
initial_cluster() { local m out=(); for m in "${MEMBERS[@]}"; do out+=("$m=http://$(ip_of "$m"):2380"); done; (IFS=,; echo "${out[*]}"); }

need() { command -v "$1" >/dev/null || die "$1 not found ($2)"; }

proc_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$state" != Z ] && [ "$state" != X ]
}

# kill_ns NS: SIGKILL every process whose network namespace is NS, until none is left
kill_ns() {
  local ns=$1 i pids
  [ -e "/run/netns/$ns" ] || return 0
  for i in $(seq 1 50); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -z "$pids" ] && return 0
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null || true
    sleep 0.1
  done
  log "warning: processes still in $ns: $(ip netns pids "$ns" | tr '\n' ' ')"
}

# The processes of the node's containers live in their own namespaces: find them as the
# descendants of the node's containerd-shims (children of the node's dockerd/containerd).
container_pids() { # node
  local n=$1 shim pids=()
  for shim in $(pgrep -f "containerd-shim.*$RUN/$n/" 2>/dev/null || true); do
    pids+=("$shim")
    mapfile -t -O "${#pids[@]}" pids < <(descendants "$shim")
  done
  printf '%s\n' "${pids[@]}"
}
descendants() {
  local c
  for c in $(pgrep -P "$1" 2>/dev/null || true); do echo "$c"; descendants "$c"; done
}

umount_under() { # dir: lazily unmount everything mounted below it, deepest first
  local m
  [ -n "$1" ] || return 0
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(awk -v d="$1" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/mounts | sort -r)
}

start_member() { # eN
  local m=$1 ip ns
  ip=$(ip_of "$m"); ns=$(ns_of "$m")
  mkdir -p "$DATA/$m" "$RUN"
  local state=new
  [ -d "$DATA/$m/data/member" ] && state=existing
  setsid nsenter --net="/run/netns/$ns" etcd --name "$m" --data-dir "$DATA/$m/data" \
    --listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
    --listen-client-urls "http://$ip:2379" --advertise-client-urls "http://$ip:2379" \
    --initial-cluster "$(initial_cluster)" --initial-cluster-state "$state" \
    --initial-cluster-token "svcmgr-clusterenv-$P" \
    --heartbeat-interval 100 --election-timeout 1000 --log-level warn \
    </dev/null >>"$DATA/$m/etcd.log" 2>&1 &
  echo $! >"$RUN/$m.pid"
}

stop_member() { # eN
  local m=$1 pid
  pid=$(cat "$RUN/$m.pid" 2>/dev/null || true)
  kill_ns "$(ns_of "$m")"
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  rm -f "$RUN/$m.pid"
}

# etcdctl from inside n1 (the root namespace has no route to the fabric)
etcdctl_in() { # ns args...
  local ns=$1; shift
  ETCDCTL_API=3 nsenter --net="/run/netns/$ns" etcdctl --endpoints "$(endpoints)" --command-timeout=3s "$@"
}

wait_quorum() {
  local i
  for i in $(seq 1 $((TIMEOUT * 5))); do
    if etcdctl_in "$(ns_of n1)" endpoint health >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  etcdctl_in "$(ns_of n1)" endpoint health >&2 || true
  die "the etcd members did not all answer within ${TIMEOUT}s (logs: $DATA/e*/etcd.log)"
}

engine_host() { echo "unix://$RUN/$1/docker.sock"; }

start_engine() { # nN
  local n=$1 ns
  ns=$(ns_of "$n")
  mkdir -p "$RUN/$n" "$DATA/$n"
  setsid nsenter --net="/run/netns/$ns" dockerd --data-root "$DATA/$n/docker" --exec-root "$RUN/$n/exec" \
    -H "$(engine_host "$n")" --pidfile "$RUN/$n/docker.pid" \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false --userland-proxy=false --log-level=warn \
    </dev/null >>"$DATA/$n/dockerd.log" 2>&1 &
  local i
  for i in $(seq 1 $((TIMEOUT * 5))); do
    if timeout 5 docker -H "$(engine_host "$n")" version --format '{{.Server.Version}}' >/dev/null 2>&1; then
      copy_images "$n"
      return 0
    fi
    sleep 0.2
  done
  die "$n's dockerd did not answer within ${TIMEOUT}s (log: $DATA/$n/dockerd.log)"
}

copy_images() { # nN
  local img
  for img in ${CLUSTERENV_IMAGES:-}; do
    if ! docker -H "$(engine_host "$1")" image inspect "$img" >/dev/null 2>&1; then
      docker save "$img" | docker -H "$(engine_host "$1")" load -q >/dev/null || die "could not copy $img into $1's engine"
    fi
  done
}

stop_engine() { # nN: containers first, then the daemon, then what it left mounted
  local n=$1 pid ids
  pid=$(cat "$RUN/$n/docker.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && proc_alive "$pid"; then
    ids=$(timeout 10 docker -H "$(engine_host "$n")" ps -aq 2>/dev/null || true)
    # shellcheck disable=SC2086
    [ -n "$ids" ] && timeout 20 docker -H "$(engine_host "$n")" rm -f $ids >/dev/null 2>&1 || true
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 50); do proc_alive "$pid" || break; sleep 0.2; done
  fi
  crash_node "$n" quiet
  umount_under "$RUN/$n"
  umount_under "$DATA/$n"
}

crash_node() { # nN [quiet]
  local n=$1 pids
  mapfile -t pids < <(container_pids "$n")
  [ ${#pids[@]} -gt 0 ] && kill -9 "${pids[@]}" 2>/dev/null || true
  kill_ns "$(ns_of "$n")"
  # the engine's bind mounts of its containers' network namespaces outlive its processes: a
  # powered-off node's kernel state goes with it, so they go too (with them the macvlan links
  # and the addresses they held, which would otherwise still answer ARP on the fabric)
  umount_under "$RUN/$n/exec/netns"
  [ "${2:-}" = quiet ] || log "crashed $n"
}

veth_in_fab() { echo "$P$1"; } # the fabric end of X's link, e.g. "ete1"

down() {
  local n m ns
  for n in "${NODES[@]}"; do stop_engine "$n"; done
  for m in "${MEMBERS[@]}"; do stop_member "$m"; done
  for ns in "${NODES[@]}" "${MEMBERS[@]}" fab; do
    ns=$(ns_of "$ns")
    kill_ns "$ns"
    [ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null || true
  done
  umount_under "$RUN"
  umount_under "$DATA"
  rm -rf "$RUN" "$DATA"
}

up() {
  local engines=0 x ns
  [ "${1:-}" = --engines ] && engines=1
  need etcd "apt-get install etcd-server"
  need etcdctl "apt-get install etcd-client"
  need nsenter "apt-get install util-linux"
  [ "$engines" = 0 ] || need dockerd "apt-get install docker.io"
  if [ -e "/run/netns/$FAB" ] || [ -d "$RUN" ] || [ -d "$DATA" ]; then
    log "removing a stale testbed"
    down
  fi
  mkdir -p "$RUN" "$DATA"
  ip netns add "$FAB"
  ip -n "$FAB" link add br0 type bridge
  ip -n "$FAB" link set br0 up
  ip -n "$FAB" link set lo up
  for x in "${MEMBERS[@]}" "${NODES[@]}"; do
    ns=$(ns_of "$x")
    ip netns add "$ns"
    ip -n "$FAB" link add "$(veth_in_fab "$x")" type veth peer name eth0 netns "$ns"
    ip -n "$FAB" link set "$(veth_in_fab "$x")" master br0 up
    ip -n "$ns" addr add "$(ip_of "$x")/26" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    mkdir -p "$DATA/$x"
  done
  for x in "${MEMBERS[@]}"; do start_member "$x"; done
  wait_quorum
  if [ "$engines" = 1 ]; then
    for x in "${NODES[@]}"; do start_engine "$x"; done
  fi
  for x in "${NODES[@]}"; do mkdir -p "$DATA/$x/root"; done
  echo "$engines" >"$RUN/engines"
}

print_env() {
  local n N
  echo "export SVCMGR_ETCD=$(endpoints)"
  echo "export CLUSTERENV_PREFIX=$P"
  for n in "${NODES[@]}"; do
    N=${n^^}
    echo "export CLUSTERENV_${N}_NETNS=/run/netns/$(ns_of "$n")"
    echo "export CLUSTERENV_${N}_ROOT=$DATA/$n/root"
    echo "export CLUSTERENV_${N}_IP=$(ip_of "$n")"
    [ "$(cat "$RUN/engines" 2>/dev/null)" = 1 ] && echo "export CLUSTERENV_${N}_DOCKER_HOST=$(engine_host "$n")"
  done
  return 0
}

status() {
  [ -e "/run/netns/$FAB" ] || { echo "clusterenv: down"; return 1; }
  echo "clusterenv: up (prefix $P)"
  etcdctl_in "$(ns_of n1)" endpoint status -w table 2>&1 || true
}

cmd=${1:-}
shift || true
case "$cmd" in
  up) up "$@" ;;
  down) down ;;
  env) print_env ;;
  status) status ;;
  crash) crash_node "$1" ;;
  cut) ip -n "$(ns_of "$1")" link set eth0 down ;;
  restore) ip -n "$(ns_of "$1")" link set eth0 up ;;
  etcd-stop) stop_member "$1" ;;
  etcd-start) start_member "$1" ;;
  engine-start) start_engine "$1" ;;
  -h|--help|'') sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command $cmd (up, down, env, status, crash, cut, restore, etcd-stop, etcd-start, engine-start)" ;;
esac
