#!/usr/bin/env bash
# Build the busybox-based stand-in images the tests and the seed's configurations use.
#
#   bash scripts/standin-images.sh [--force] [--rev] [IMAGE...]
#
# There is no Docker Hub here: each image is a busybox-static rootfs brought in with
# `docker import`, tagged with the name the configurations expect. Talks to whatever
# engine DOCKER_HOST names. Idempotent: an image that exists and carries this script's
# revision label (svcmgr.standin.rev) is kept; --force rebuilds. --rev prints the
# revision and exits. With IMAGE arguments only those images are built.
#
#   google/pause:latest      sleeps forever, exits 0 at once on TERM/INT (extra args ignored)
#   nginx:latest             busybox httpd -f -p 80 -h /var/www, index.html "svcmgr nginx stand-in"
#   redis:latest, redis:3.0  busybox nc on 6379 answering +PONG; env REDIS_VERSION=7 / 3.0
#   opensvc/busybox:date     prints `date` every second
#   svcmgr/failing:latest    exits 1 immediately
#   svcmgr/slowstop:latest   ignores TERM (docker stop must wait its timeout, then KILL)
set -euo pipefail

ALL_IMAGES=(
  google/pause:latest
  nginx:latest
  redis:latest
  redis:3.0
  opensvc/busybox:date
  svcmgr/failing:latest
  svcmgr/slowstop:latest
)

FORCE=0
PRINT_REV=0
WANT=()
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --rev) PRINT_REV=1 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "standin-images: unknown option $arg" >&2; exit 2 ;;
    *) WANT+=("$arg") ;;
  esac
done
[ ${#WANT[@]} -gt 0 ] || WANT=("${ALL_IMAGES[@]}")

find_busybox() {
  local p
  if command -v dpkg >/dev/null 2>&1; then
    for p in $(dpkg -L busybox-static 2>/dev/null | grep -E '/s?bin/busybox$' || true); do
      if [ -x "$p" ] && [ -f "$p" ]; then echo "$p"; return 0; fi
    done
  fi
  for p in /bin/busybox /usr/bin/busybox; do
    if [ -x "$p" ]; then echo "$p"; return 0; fi
  done
  return 1
}

BUSYBOX=$(find_busybox) || { echo "standin-images: busybox not found (apt-get install busybox-static)" >&2; exit 1; }
if ! "$BUSYBOX" --list >/dev/null 2>&1; then
  echo "standin-images: $BUSYBOX is not a busybox binary" >&2; exit 1
fi
# A dynamically linked busybox would not run in an empty rootfs.
if command -v file >/dev/null 2>&1 && file -L "$BUSYBOX" | grep -q 'dynamically linked'; then
  echo "standin-images: $BUSYBOX is dynamically linked; install busybox-static" >&2; exit 1
fi

# Revision: this script's text plus the busybox binary. Any change rebuilds the images.
REV=$(cat "$0" "$BUSYBOX" | sha256sum | cut -c1-12)
if [ "$PRINT_REV" = 1 ]; then echo "$REV"; exit 0; fi

command -v docker >/dev/null 2>&1 || { echo "standin-images: docker CLI not found" >&2; exit 1; }
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || {
  echo "standin-images: no engine answers at ${DOCKER_HOST:-the default socket}" >&2; exit 1; }

WORK=$(mktemp -d /tmp/svcmgr-standin.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# --- the common rootfs (made only when an image is to be built) ----------------------
BASE=$WORK/base
make_base() {
  [ -d "$BASE" ] && return 0
  mkdir -p "$BASE"/{bin,etc,tmp,var/www,root,proc,sys,dev,usr,run,home}
  chmod 1777 "$BASE/tmp"
  cp "$BUSYBOX" "$BASE/bin/busybox"
  chmod 0755 "$BASE/bin/busybox"
  for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] && continue       # the link would replace the binary
    ln -sf busybox "$BASE/bin/$applet"
  done
  ln -s bin "$BASE/sbin"
  ln -s ../bin "$BASE/usr/bin"
  ln -s ../bin "$BASE/usr/sbin"
  cat >"$BASE/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$BASE/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
www-data:x:33:
nogroup:x:65534:
EOF
  echo "svcmgr stand-in image (busybox-static), rev $REV" >"$BASE/etc/svcmgr-standin"
}

# --- per-image content ----------------------------------------------------------------
# Each prints its `docker import -c` changes, one per line, after adding its files to $1.
COMMON_CHANGES=(
  'ENV PATH=/bin:/usr/bin:/sbin:/usr/sbin'
)

redis_files() { # $1 rootfs, $2 version
  cat >"$1/bin/redis-pong" <<'EOF'
#!/bin/sh
# One connection: answer PING with +PONG (inline or RESP form), QUIT with +OK.
while read -r line; do
  case "$line" in
    *[Qq][Uu][Ii][Tt]*) printf '+OK\r\n'; exit 0 ;;
    *[Pp][Ii][Nn][Gg]*) printf '+PONG\r\n' ;;
  esac
done
EOF
  chmod 0755 "$1/bin/redis-pong"
  echo "$2" >"$1/etc/redis-version"
}

# PID 1 is a shell that forwards nothing: on TERM/INT it exits 0 at once (children die
# with the container); if the served process ends on its own, its status is the exit code.
REDIS_ENTRY='["/bin/sh","-c","trap '"'"'exit 0'"'"' TERM INT; echo \"redis stand-in $REDIS_VERSION listening on 6379\"; nc -ll -p 6379 -e /bin/redis-pong & p=$!; wait $p","redis"]'

content_for() { # $1 image, $2 rootfs
  local img=$1 root=$2
  case "$img" in
    google/pause:latest)
      echo 'ENTRYPOINT ["/bin/sh","-c","trap '"'"'exit 0'"'"' TERM INT; while :; do sleep 86400 & wait $!; done","pause"]'
      ;;
    nginx:latest)
      printf '<!doctype html>\n<html><body><h1>svcmgr nginx stand-in</h1></body></html>\n' >"$root/var/www/index.html"
      echo 'EXPOSE 80/tcp'
      echo 'ENTRYPOINT ["/bin/sh","-c","trap '"'"'exit 0'"'"' TERM INT; httpd -f -p 80 -h /var/www & p=$!; wait $p","nginx"]'
      ;;
    redis:latest)
      redis_files "$root" 7
      echo 'ENV REDIS_VERSION=7'
      echo 'LABEL svcmgr.standin.redis-version=7'
      echo 'EXPOSE 6379/tcp'
      echo "ENTRYPOINT $REDIS_ENTRY"
      ;;
    redis:3.0)
      redis_files "$root" 3.0
      echo 'ENV REDIS_VERSION=3.0'
      echo 'LABEL svcmgr.standin.redis-version=3.0'
      echo 'EXPOSE 6379/tcp'
      echo "ENTRYPOINT $REDIS_ENTRY"
      ;;
    opensvc/busybox:date)
      echo 'ENTRYPOINT ["/bin/sh","-c","trap '"'"'exit 0'"'"' TERM INT; while :; do date; sleep 1 & wait $!; done","date"]'
      ;;
    svcmgr/failing:latest)
      echo 'ENTRYPOINT ["/bin/sh","-c","echo \"svcmgr/failing stand-in: exiting 1\" >&2; exit 1","failing"]'
      ;;
    svcmgr/slowstop:latest)
      echo 'ENTRYPOINT ["/bin/sh","-c","trap '"'"''"'"' TERM INT; echo \"slowstop stand-in: ignoring TERM\"; while :; do sleep 1; done","slowstop"]'
      ;;
    *)
      echo "standin-images: unknown image $img (known: ${ALL_IMAGES[*]})" >&2
      return 1
      ;;
  esac
}

# One query for the images that are already at this revision.
current=" $(docker images --filter "label=svcmgr.standin.rev=$REV" --format '{{.Repository}}:{{.Tag}}' | tr '\n' ' ') "

built=0 kept=0
for img in "${WANT[@]}"; do
  if [ "$FORCE" = 0 ] && [[ "$current" == *" $img "* ]]; then
    have=$REV
  else
    have=$(docker image inspect --format '{{index .Config.Labels "svcmgr.standin.rev"}}' "$img" 2>/dev/null || true)
  fi
  if [ "$FORCE" = 0 ] && [ "$have" = "$REV" ]; then
    echo "standin-images: $img kept (rev $REV)"
    kept=$((kept + 1))
    continue
  fi
  old_id=$(docker image inspect --format '{{.Id}}' "$img" 2>/dev/null || true)
  make_base
  root=$WORK/$(echo "$img" | tr '/:' '__')
  cp -a "$BASE" "$root"
  changes=$(content_for "$img" "$root")
  args=()
  for c in "${COMMON_CHANGES[@]}"; do args+=(-c "$c"); done
  while IFS= read -r c; do [ -n "$c" ] && args+=(-c "$c"); done <<<"$changes"
  args+=(-c "LABEL svcmgr.standin=true svcmgr.standin.rev=$REV")
  id=$(tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
       docker import "${args[@]}" -m "svcmgr stand-in $img" - "$img")
  rm -rf "$root"
  # Drop the image this one replaced, unless a container or another tag still uses it.
  if [ -n "$old_id" ] && [ "$old_id" != "$id" ]; then docker rmi "$old_id" >/dev/null 2>&1 || true; fi
  id=${id#sha256:}
  echo "standin-images: $img built (${id:0:12}, rev $REV${have:+, replaced rev $have})"
  built=$((built + 1))
done
echo "standin-images: $built built, $kept kept"
