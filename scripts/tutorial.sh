#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine (root, Node >= 20.19): install svcmgr, then run
# docs/tutorial.md's shell blocks, in order, in one shell: a Docker engine (svcmgr starts its
# own when none answers), the stand-in images of the seed's google/pause, nginx and redis, a
# demo LAN, the seed's svc2 commands and the complex orchestration service, then clean up.
#
#   bash scripts/tutorial.sh            install + tutorial, cleaned up at the end
#   bash scripts/tutorial.sh --keep-up  skip the final clean-up block: svc2 and busybox stay
#
# Network safety: the seed's ip#1 plumbs an address on eth0. Here it goes into a demo LAN
# (a network namespace "svcmgr-demo" reached by a veth pair, 198.51.100.0/24, a documentation
# range), never on the machine's real interfaces.
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
command -v curl >/dev/null || need+=(curl)
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

say "Leftovers of an earlier --keep-up run"
for svc in svc2 busybox; do
  if svcmgr ls | grep -qx "$svc"; then svcmgr -s "$svc" unprovision >/dev/null || true; svcmgr -s "$svc" delete; fi
done
ip netns del svcmgr-demo 2>/dev/null || true
ip link del svcdemo0 2>/dev/null || true

say "docs/tutorial.md, block by block"
# every ```sh block, each command echoed then run, in one bash session (DOCKER_HOST set by the first block stays)
script=$(node scripts/doc-blocks.mjs docs/tutorial.md $([ $KEEP_UP = 1 ] && echo --drop-last))
bash -euo pipefail -c "$script"
if [ $KEEP_UP = 1 ]; then
  say "Done. svc2 and busybox stay: svcmgr -s svc2 print status; the clean-up block of docs/tutorial.md removes them"
else
  say "Done (cleaned up). bash scripts/tutorial.sh --keep-up leaves the services in place"
fi
