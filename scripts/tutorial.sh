#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine (root, Node >= 20.19): install svcmgr, make sure a
# Docker engine answers (svcmgr starts its own when none does), build the stand-in images of
# the seed's google/pause, nginx and redis, then run the seed tutorial's svc2 commands.
#
#   bash scripts/tutorial.sh            install + tutorial (svc2 left stopped at the end)
#   bash scripts/tutorial.sh --keep-up  leave svc2 running
#
# Network safety: the seed's ip#1 plumbs an address on eth0. Here it goes into a demo LAN
# (a network namespace "svcmgr-demo" reached by a veth pair, 192.0.2.0/24, a documentation
# range), never on the machine's real interfaces; mode macvlan where the kernel lacks ipvlan.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
KEEP_UP=0
[ "${1:-}" = "--keep-up" ] && KEEP_UP=1

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '\n$ %s\n' "$*"; "$@"; }

missing=()
command -v node >/dev/null || missing+=("node (Node.js >= 20.19)")
command -v npm >/dev/null || missing+=("npm")
if [ ${#missing[@]} -gt 0 ]; then echo "tutorial: missing: ${missing[*]}" >&2; exit 1; fi

say "System packages (dockerd, busybox for the stand-in images, iproute2)"
need=()
command -v dockerd >/dev/null || need+=(docker.io)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx httpd || need+=(busybox-static)
command -v ip >/dev/null || need+=(iproute2)
command -v nsenter >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "tutorial: missing packages ${need[*]}: run as root, or apt-get install ${need[*]}" >&2; exit 1; fi
  # keep the packages' init scripts from starting a system dockerd: svcmgr runs its own
  policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; policy_added=1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
  [ $policy_added = 1 ] && rm -f /usr/sbin/policy-rc.d
else
  echo "already installed"
fi

say "svcmgr: npm ci, build, and the svcmgr command on PATH"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
npm run build --silent
ln -sfn "$PWD/bin/run.js" /usr/local/bin/svcmgr
echo "svcmgr -> $(readlink /usr/local/bin/svcmgr)"

say "A Docker engine: the one that answers, or svcmgr's own"
eval "$(svcmgr engine start)"
echo "DOCKER_HOST=$DOCKER_HOST"

say "Stand-in images tagged as the seed's (no registry needed)"
bash scripts/standin-images.sh

say "A demo LAN for ip#1 (namespace svcmgr-demo, 192.0.2.0/24)"
if ! ip netns list | grep -qw svcmgr-demo; then
  ip netns add svcmgr-demo
  ip link add svcdemo0 type veth peer name gw0 netns svcmgr-demo
  ip -n svcmgr-demo addr add 192.0.2.1/24 dev gw0
  ip -n svcmgr-demo link set gw0 up
  ip -n svcmgr-demo link set lo up
fi
ip link set svcdemo0 up
MODE=ipvlan-l2
ip netns add svcmgr-probe 2>/dev/null || true
ip -n svcmgr-probe link add p0 type veth peer name p1 2>/dev/null || true
ip -n svcmgr-probe link add link p0 name p2 type ipvlan mode l2 2>/dev/null || MODE=macvlan
ip netns del svcmgr-probe 2>/dev/null || true
echo "ipdev svcdemo0, mode $MODE$([ $MODE = macvlan ] && echo ' (this kernel has no ipvlan)')"

if svcmgr ls | grep -qx svc2; then
  say "Removing the svc2 left by an earlier run"
  svcmgr -s svc2 unprovision >/dev/null || true
  svcmgr -s svc2 delete
fi

say "The seed tutorial"
SVC2_JSON=$(cat <<JSON
{
	"DEFAULT": {
		"id": "fd1196ad-fbf1-49bb-ab52-12ed2a1fbf0e"
	},
	"container#1": {
		"image": "google/pause",
		"run_command": "/bin/sh",
		"type": "docker"
	},
	"container#2": {
		"image": "nginx",
		"netns": "container#1",
		"type": "docker"
	},
	"container#3": {
		"image": "redis",
		"netns": "container#1",
		"type": "docker"
	},
	"ip#1": {
		"gateway": "192.0.2.1",
		"ipdev": "svcdemo0",
		"ipname": "192.0.2.151",
		"mode": "$MODE",
		"netmask": "255.255.255.0",
		"netns": "container#1",
		"type": "netns"
	}
}
JSON
)
printf '\n$ cat - <<EOF | svcmgr -s svc2 create --config=- --provision --local\n%s\nEOF\n' "$SVC2_JSON"
svcmgr -s svc2 create --config=- --provision --local <<<"$SVC2_JSON"
run svcmgr -s svc2 print config
run svcmgr -s svc2 docker images
run svcmgr -s svc2 docker ps
run svcmgr -s svc2 print status
if svcmgr -s svc2 print config | grep -q '^\[ip#1\]'; then
  say "The nginx stand-in answers on ip#1, seen from the demo LAN"
  run ip netns exec svcmgr-demo curl -s --max-time 3 http://192.0.2.151/
fi
run svcmgr -s svc2 stop --rid container
run svcmgr -s svc2 start --rid container
run svcmgr -s svc2 restart --rid container#3
run svcmgr -s svc2 set --kw container#3.rm=true --kw container#3.image=redis:3.0
run svcmgr -s svc2 restart --rid container#3
run svcmgr -s svc2 print status
if [ $KEEP_UP = 0 ]; then
  run svcmgr -s svc2 stop
  run svcmgr -s svc2 print status
fi
say "Done. svc2 stays configured: svcmgr -s svc2 start | print status | unprovision | delete"
