#!/usr/bin/env bash
# The integration-test environment: a private Docker engine, the stand-in images and a
# local registry, plus a probe of the kernel features tests depend on.
#
#   bash scripts/testenv.sh up       install what is missing, start engine + registry, build images
#   bash scripts/testenv.sh env      print `export ...` lines to eval (DOCKER_HOST, SVCMGR_TEST_*)
#   bash scripts/testenv.sh status   print what is up
#   bash scripts/testenv.sh down     stop the registry and the engine this script started (data kept)
#
# Idempotent: `up` twice starts nothing twice. It creates no network namespace nor loop
# device that outlives it: tests make and clean their own. The feature probe (ipvlan,
# macvlan) runs inside a throwaway network namespace, never on the host's interfaces.
#
# Paths: /run/svcmgr-testenv (socket, pid files, features), /var/lib/svcmgr-testenv
# (engine data, registry storage), /var/log/svcmgr-testenv (logs).
# Knobs: TESTENV_TIMEOUT (seconds to wait for a daemon, default 30), DOCKER_HOST (an
# engine that already answers there is used instead of starting one).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN=/run/svcmgr-testenv
DATA=/var/lib/svcmgr-testenv
LOGS=/var/log/svcmgr-testenv
PRIVATE_HOST=unix://$RUN/docker.sock
DOCKERD_PID=$RUN/docker.pid
REGISTRY_ADDR=127.0.0.1:5000
REGISTRY_HOST=${REGISTRY_ADDR%:*}
REGISTRY_PORT=${REGISTRY_ADDR##*:}
REGISTRY_PID=$RUN/registry.pid
REGISTRY_CONF=$RUN/registry.yml
REGISTRY_DATA=$DATA/registry
REGISTRY_IMAGE=redis:3.0          # pushed as $REGISTRY_ADDR/redis:3.0, then untagged locally
FEATURES=$RUN/features.env
ENGINE_FILE=$RUN/docker-host
TIMEOUT=${TESTENV_TIMEOUT:-30}
APT_PACKAGES=(docker.io busybox-static docker-registry lvm2 xfsprogs e2fsprogs iproute2 util-linux etcd-server etcd-client)

PROBE_NS=
trap '[ -z "$PROBE_NS" ] || ip netns del "$PROBE_NS" 2>/dev/null || true' EXIT

log() { echo "testenv: $*" >&2; }
die() { echo "testenv: error: $*" >&2; exit 1; }

pid_alive() { # pidfile
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && proc_alive "$pid"
}

# A killed daemon whose parent is gone can linger as a zombie until PID 1 reaps it:
# kill -0 still succeeds on it, so look at its state too.
proc_alive() { # pid
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$state" != Z ] && [ "$state" != X ]
}

engine_answers() { # docker host
  timeout 10 docker -H "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# GET http://REGISTRY_ADDR$1 with bash's /dev/tcp (no curl/wget needed); prints the response.
registry_get() {
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: %s:%s\r\nConnection: close\r\n\r\n" "$3" "$1" "$2" >&3
    cat <&3' _ "$REGISTRY_HOST" "$REGISTRY_PORT" "$1" 2>/dev/null
}

registry_answers() {
  local r
  r=$(registry_get /v2/) || return 1
  head -1 <<<"$r" | grep -q ' 200' && grep -qi '^Docker-Distribution-Api-Version: *registry/2' <<<"$r"
}

current_engine() {
  if [ -s "$ENGINE_FILE" ]; then cat "$ENGINE_FILE"; else echo "$PRIVATE_HOST"; fi
}

# --- packages --------------------------------------------------------------------------
ensure_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  # Keep the packages' init scripts from starting a system dockerd (with iptables and a
  # bridge on the host) or a registry on :5000 of every interface.
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  } >"$LOGS/apt.log" 2>&1 || rc=$?
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  if [ "$rc" != 0 ]; then
    tail -n 30 "$LOGS/apt.log" >&2
    die "apt-get install ${missing[*]} failed (log: $LOGS/apt.log)"
  fi
}

# Debian's etcd-server enables a system etcd on 127.0.0.1:2379. The cluster tests run their
# own members inside network namespaces (scripts/clusterenv.sh): keep that one stopped and
# disabled, so that nothing of etcd listens in the root namespace.
quiet_system_etcd() {
  dpkg-query -W -f='${Status}' etcd-server 2>/dev/null | grep -q 'install ok installed' || return 0
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now etcd >/dev/null 2>&1 || true
  else
    [ -x /etc/init.d/etcd ] && { /etc/init.d/etcd stop >/dev/null 2>&1 || true; }
    command -v update-rc.d >/dev/null && { update-rc.d etcd disable >/dev/null 2>&1 || true; }
  fi
}

# --- engine ----------------------------------------------------------------------------
ensure_engine() {
  local want=${DOCKER_HOST:-}
  if [ -n "$want" ] && [ "$want" != "$PRIVATE_HOST" ] && engine_answers "$want"; then
    log "using the engine that answers at DOCKER_HOST=$want"
    echo "$want" >"$ENGINE_FILE"
    export DOCKER_HOST=$want
    return 0
  fi
  echo "$PRIVATE_HOST" >"$ENGINE_FILE"
  export DOCKER_HOST=$PRIVATE_HOST
  local started=
  if engine_answers "$PRIVATE_HOST"; then
    return 0
  fi
  if pid_alive "$DOCKERD_PID"; then
    log "dockerd (pid $(cat "$DOCKERD_PID")) is running but not answering yet; waiting"
  else
    command -v dockerd >/dev/null || die "dockerd not found (apt-get install docker.io)"
    mkdir -p "$DATA/docker" "$RUN/exec"
    # Stale pid files: dockerd refuses to start while its pid exists, and waits in vain
    # for a managed containerd whose pid exists, even as zombies of a killed daemon.
    rm -f "$DOCKERD_PID"
    pid_alive "$RUN/exec/containerd/containerd.pid" || rm -f "$RUN/exec/containerd/containerd.pid"
    log "starting dockerd at $PRIVATE_HOST (log $LOGS/dockerd.log)"
    echo "---- $(date -Is) testenv up" >>"$LOGS/dockerd.log"
    setsid nohup dockerd \
      --data-root "$DATA/docker" \
      --exec-root "$RUN/exec" \
      -H "$PRIVATE_HOST" \
      --pidfile "$DOCKERD_PID" \
      --iptables=false --ip6tables=false --ip-masq=false --bridge=none \
      >>"$LOGS/dockerd.log" 2>&1 </dev/null &
    started=$!
  fi
  local i
  for ((i = 0; i < TIMEOUT * 5; i++)); do
    engine_answers "$PRIVATE_HOST" && return 0
    if [ -n "$started" ] && ! proc_alive "$started"; then
      tail -n 40 "$LOGS/dockerd.log" >&2 || true
      die "dockerd exited at start (log above: $LOGS/dockerd.log)"
    fi
    sleep 0.2
  done
  tail -n 40 "$LOGS/dockerd.log" >&2 || true
  die "dockerd did not answer at $PRIVATE_HOST within ${TIMEOUT}s (log above: $LOGS/dockerd.log)"
}

# --- registry --------------------------------------------------------------------------
write_registry_conf() {
  mkdir -p "$REGISTRY_DATA"
  cat >"$REGISTRY_CONF" <<EOF
version: 0.1
log:
  level: warn
  fields:
    service: svcmgr-testenv-registry
storage:
  filesystem:
    rootdirectory: $REGISTRY_DATA
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $REGISTRY_ADDR
  headers:
    X-Content-Type-Options: [nosniff]
EOF
}

ensure_registry() {
  if registry_answers; then return 0; fi
  if pid_alive "$REGISTRY_PID"; then
    log "registry (pid $(cat "$REGISTRY_PID")) is running but not answering yet; waiting"
  else
    command -v docker-registry >/dev/null || die "docker-registry not found (apt-get install docker-registry)"
    write_registry_conf
    rm -f "$REGISTRY_PID"
    log "starting docker-registry at $REGISTRY_ADDR (log $LOGS/registry.log)"
    echo "---- $(date -Is) testenv up" >>"$LOGS/registry.log"
    setsid nohup docker-registry serve "$REGISTRY_CONF" >>"$LOGS/registry.log" 2>&1 </dev/null &
    echo $! >"$REGISTRY_PID"
  fi
  local i
  for ((i = 0; i < TIMEOUT * 5; i++)); do
    registry_answers && return 0
    pid_alive "$REGISTRY_PID" || break
    sleep 0.2
  done
  tail -n 30 "$LOGS/registry.log" >&2 || true
  die "registry did not answer at http://$REGISTRY_ADDR/v2/ within ${TIMEOUT}s (log above: $LOGS/registry.log)"
}

# Push redis:3.0 into the registry (once per stand-in revision), then drop the local tags
# so that running $REGISTRY_ADDR/redis:3.0 is a real pull.
seed_registry() {
  local repo=${REGISTRY_IMAGE%%:*} tag=${REGISTRY_IMAGE##*:} rev marker remote
  remote=$REGISTRY_ADDR/$REGISTRY_IMAGE
  rev=$(bash "$HERE/standin-images.sh" --rev)
  marker=$REGISTRY_DATA/.svcmgr-$repo-$tag.rev
  if [ "$(cat "$marker" 2>/dev/null)" != "$rev" ] ||
     ! registry_get "/v2/$repo/tags/list" | grep -q "\"$tag\""; then
    bash "$HERE/standin-images.sh" "$REGISTRY_IMAGE" | grep -v -e " kept (rev" -e ": 0 built," >&2 || true
    docker tag "$REGISTRY_IMAGE" "$remote"
    docker push -q "$remote" >/dev/null 2>"$LOGS/push.log" || {
      cat "$LOGS/push.log" >&2; die "docker push $remote failed"; }
    echo "$rev" >"$marker"
    log "pushed $remote (rev $rev)"
  fi
  local t
  for t in "$remote" "$REGISTRY_IMAGE"; do
    if docker image inspect "$t" >/dev/null 2>&1; then
      docker rmi "$t" >/dev/null 2>&1 || log "warning: could not remove the local tag $t (a container uses it?)"
    fi
  done
}

# --- kernel features -------------------------------------------------------------------
probe_features() {
  local ns=svcmgr-probe-$$ ipvlan=0 macvlan=0 dm=0
  mkdir -p "$RUN"
  if ip netns add "$ns" 2>/dev/null; then
    PROBE_NS=$ns     # deleted by the EXIT trap if we are interrupted
    if ip -n "$ns" link add pv0 type veth peer name pv1 2>/dev/null; then
      ip -n "$ns" link add link pv0 name t0 type ipvlan mode l2 2>/dev/null && ipvlan=1
      ip -n "$ns" link add link pv0 name t1 type macvlan mode bridge 2>/dev/null && macvlan=1
    fi
    ip netns del "$ns" 2>/dev/null || true
    PROBE_NS=
  fi
  if command -v dmsetup >/dev/null 2>&1; then
    dmsetup version >/dev/null 2>&1 && dm=1
  elif grep -qw device-mapper /proc/misc 2>/dev/null; then
    dm=1
  fi
  {
    echo "SVCMGR_TEST_IPVLAN=$ipvlan"
    echo "SVCMGR_TEST_MACVLAN=$macvlan"
    echo "SVCMGR_TEST_DM=$dm"
  } >"$FEATURES.tmp"
  mv "$FEATURES.tmp" "$FEATURES"
}

feature() { # name -> 0|1
  [ -s "$FEATURES" ] || probe_features
  sed -n "s/^$1=//p" "$FEATURES"
}

yesno() { # value reason-when-no
  if [ "$1" = 1 ]; then echo yes; else echo "no${2:+ ($2)}"; fi
}

summary() {
  echo "testenv: engine $(current_engine), registry $REGISTRY_ADDR," \
    "ipvlan: $(yesno "$(feature SVCMGR_TEST_IPVLAN)" 'kernel lacks it')," \
    "device-mapper: $(yesno "$(feature SVCMGR_TEST_DM)" 'kernel lacks it')," \
    "macvlan: $(yesno "$(feature SVCMGR_TEST_MACVLAN)" 'kernel lacks it')"
}

# --- commands --------------------------------------------------------------------------
cmd_up() {
  [ "$(id -u)" = 0 ] || die "must run as root"
  local t0=$SECONDS
  mkdir -p "$RUN" "$DATA" "$LOGS"
  ensure_packages
  quiet_system_etcd
  ensure_engine
  local others=() img
  for img in google/pause:latest nginx:latest redis:latest opensvc/busybox:date \
             svcmgr/failing:latest svcmgr/slowstop:latest; do
    others+=("$img")
  done
  local out
  out=$(bash "$HERE/standin-images.sh" "${others[@]}" 2>&1) || {
    echo "$out" >&2; die "building the stand-in images failed"; }
  grep -v -e ' kept (rev' -e ': 0 built,' <<<"$out" >&2 || true
  ensure_registry
  seed_registry
  probe_features
  summary
  log "up in $((SECONDS - t0))s"
}

stop_pidfile() { # name pidfile
  local pid i
  if ! pid_alive "$2"; then
    rm -f "$2"
    log "$1 not running"
    return 0
  fi
  pid=$(cat "$2")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < TIMEOUT * 5; i++)); do
    proc_alive "$pid" || break
    sleep 0.2
  done
  if proc_alive "$pid"; then
    log "$1 (pid $pid) did not stop within ${TIMEOUT}s; killing"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$2"
  log "$1 (pid $pid) stopped"
}

cmd_down() {
  stop_pidfile registry "$REGISTRY_PID"
  stop_pidfile dockerd "$DOCKERD_PID"
  rm -f "$ENGINE_FILE"
}

cmd_env() {
  echo "export DOCKER_HOST=$(current_engine)"
  echo "export SVCMGR_TEST_REGISTRY=$REGISTRY_ADDR"
  echo "export SVCMGR_TEST_IPVLAN=$(feature SVCMGR_TEST_IPVLAN)"
  echo "export SVCMGR_TEST_MACVLAN=$(feature SVCMGR_TEST_MACVLAN)"
  echo "export SVCMGR_TEST_DM=$(feature SVCMGR_TEST_DM)"
  echo "export LVM_SUPPRESS_FD_WARNINGS=1"
}

cmd_status() {
  local engine rc=0 v
  engine=$(current_engine)
  if v=$(timeout 10 docker -H "$engine" version --format '{{.Server.Version}}' 2>/dev/null); then
    echo "engine:   up at $engine (server $v$(pid_alive "$DOCKERD_PID" && echo ", dockerd pid $(cat "$DOCKERD_PID")"))"
    local img line
    for img in google/pause:latest nginx:latest redis:latest opensvc/busybox:date \
               svcmgr/failing:latest svcmgr/slowstop:latest; do
      if line=$(docker -H "$engine" image inspect --format '{{index .Config.Labels "svcmgr.standin.rev"}}' "$img" 2>/dev/null); then
        echo "image:    $img (rev $line)"
      else
        echo "image:    $img MISSING"; rc=1
      fi
    done
  else
    echo "engine:   down (nothing answers at $engine)"; rc=1
  fi
  if registry_answers; then
    local tags
    tags=$(registry_get /v2/redis/tags/list | tail -1)
    echo "registry: up at $REGISTRY_ADDR$(pid_alive "$REGISTRY_PID" && echo " (pid $(cat "$REGISTRY_PID"))"), redis tags: $tags"
  else
    echo "registry: down (nothing answers at http://$REGISTRY_ADDR/v2/)"; rc=1
  fi
  if [ -s "$FEATURES" ]; then
    echo "features: $(tr '\n' ' ' <"$FEATURES")"
  else
    echo "features: not probed yet (run up)"
  fi
  return $rc
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|env|status" >&2; exit 2 ;;
esac
