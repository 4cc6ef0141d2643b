#!/bin/sh
# Baseline of `svcmgr start` of the seed's svc2 (bench/start-wait.ts): the bare docker CLI doing
# what svcmgr's docker driver does for it, in the same order (container#1, then container#2, then
# container#3, which join container#1's network namespace: svcmgr's plan runs them one after the
# other), one docker process per step, nothing waited for after a start.
#   sh bench/bare-svc2-cli.sh start NAME
#       the containers exist, stopped: docker start NAME.container.1, .2, .3
#   sh bench/bare-svc2-cli.sh run NAME ID CGROUP_DRIVER
#       the containers are absent: the `docker run -d ...` lines svcmgr logs for them
#       (labels com.svcmgr.service=NAME, com.svcmgr.id=ID; --cgroup-parent on cgroupfs engines)
# DOCKER_HOST selects the engine, as for svcmgr.
set -eu
usage() {
  echo 'usage: sh bench/bare-svc2-cli.sh start NAME | run NAME ID CGROUP_DRIVER' >&2
  exit 2
}
[ $# -ge 2 ] || usage
mode=$1
name=$2
case $mode in
start)
  for n in 1 2 3; do docker start "$name.container.$n" >/dev/null; done
  ;;
run)
  [ $# -eq 4 ] || usage
  id=$3
  driver=$4
  # one container: N NET IMAGE [CMD...], the words in the order svcmgr's spec.ts cliArgs writes them
  run() {
    n=$1
    net=$2
    shift 2
    cg=
    [ "$driver" = cgroupfs ] && cg="/svcmgr.slice/$name.slice/container.slice/container.$n.slice"
    docker run -d "--name=$name.container.$n" "--net=$net" ${cg:+--cgroup-parent "$cg"} \
      "--label=com.svcmgr.service=$name" "--label=com.svcmgr.rid=container#$n" "--label=com.svcmgr.id=$id" \
      "$@" >/dev/null
  }
  run 1 none google/pause /bin/sh
  run 2 "container:$name.container.1" nginx
  run 3 "container:$name.container.1" redis
  ;;
*) usage ;;
esac
