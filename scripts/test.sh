#!/usr/bin/env bash
# What `npm test` runs: build, bring up the test environment, run the mocha suites.
#
#   bash scripts/test.sh            unit tests, then every integration test, then the cluster tests
#   bash scripts/test.sh --unit     unit tests only (no test environment needed)
#   bash scripts/test.sh --e2e      unit tests, then test/integration/e2e-*.test.ts only
#   --no-build                      skip `npm run build`
#
# Unit:        test/unit/**/*.test.ts  plugins/*/test/unit/**/*.test.ts
# Integration: test/integration/**/*.test.ts  plugins/*/test/integration/**/*.test.ts
# Cluster:     test/cluster/**/*.test.ts (real etcd members and node namespaces made by
#              scripts/clusterenv.sh; testenv.sh up installs etcd; npm run test:cluster alone)
# A glob that matches no file is left out (mocha fails on one). Mocha's settings are in
# .mocharc.json (it loads tsx). The last line sums every mocha run:
#   tests: N passed, N failed, N skipped
# SVCMGR_TEST_COUNTS=FILE appends "passed failed skipped" to FILE (for .ci/run's total).
# SVCMGR_TEST_RUN_TIMEOUT (seconds, default 2400) bounds each mocha run, so a test that
# leaves a handle open cannot hang CI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MODE=all
BUILD=1
for arg in "$@"; do
  case "$arg" in
    --unit) MODE=unit ;;
    --e2e) MODE=e2e ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

# a fresh clone: install the dependencies first (the README's test command is all a new user runs)
if [ ! -d node_modules ]; then npm ci --no-audit --no-fund; fi

RUN_TIMEOUT=${SVCMGR_TEST_RUN_TIMEOUT:-2400}
LOG=$(mktemp /tmp/svcmgr-test.XXXXXX)
trap 'rm -f "$LOG"' EXIT
PASSED=0 FAILED=0 SKIPPED=0 STATUS=0

phase() { echo; echo "==> $* ($(node --version))"; }

# Print the globs that match at least one file.
matching() {
  local g
  shopt -s globstar
  for g in "$@"; do
    if compgen -G "$g" >/dev/null; then printf '%s\n' "$g"; fi
  done
}

# mocha NAME [mocha args...] -- globs...
run_mocha() {
  local name=$1; shift
  local args=() globs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
  shift
  mapfile -t globs < <(matching "$@")
  if [ ${#globs[@]} -eq 0 ]; then
    echo "test.sh: no $name test files (looked for: $*)"
    return 0
  fi
  phase "$name tests: ${globs[*]}"
  local t0=$SECONDS rc=0
  timeout -k 30 "$RUN_TIMEOUT" npx mocha "${args[@]}" "${globs[@]}" 2>&1 | tee "$LOG" || rc=$?
  local p f s
  p=$(sed -nE 's/^ *([0-9]+) passing.*/\1/p' "$LOG" | tail -1)
  f=$(sed -nE 's/^ *([0-9]+) failing.*/\1/p' "$LOG" | tail -1)
  s=$(sed -nE 's/^ *([0-9]+) pending.*/\1/p' "$LOG" | tail -1)
  PASSED=$((PASSED + ${p:-0})) FAILED=$((FAILED + ${f:-0})) SKIPPED=$((SKIPPED + ${s:-0}))
  if [ "$rc" != 0 ]; then
    STATUS=1
    [ "$rc" = 124 ] && echo "test.sh: $name tests timed out after ${RUN_TIMEOUT}s"
    # A crash before mocha's summary still counts as a failure.
    [ -z "$f" ] && FAILED=$((FAILED + 1))
  fi
  echo "test.sh: $name tests took $((SECONDS - t0))s (mocha exit $rc)"
}

T0=$SECONDS
if [ "$BUILD" = 1 ]; then
  phase "npm run build"
  t=$SECONDS
  npm run build
  echo "test.sh: build took $((SECONDS - t))s"
fi

run_mocha unit -- 'test/unit/**/*.test.ts' 'plugins/*/test/unit/**/*.test.ts'

if [ "$MODE" != unit ]; then
  if [ "$MODE" = e2e ]; then
    integration=('test/integration/e2e-*.test.ts')
  else
    integration=('test/integration/**/*.test.ts' 'plugins/*/test/integration/**/*.test.ts')
  fi
  if [ -n "$(matching "${integration[@]}")" ]; then
    phase "test environment"
    t=$SECONDS
    bash scripts/testenv.sh up
    eval "$(bash scripts/testenv.sh env)"
    echo "test.sh: test environment took $((SECONDS - t))s"
    run_mocha integration --timeout 180000 -- "${integration[@]}"
  else
    echo "test.sh: no integration test files (looked for: ${integration[*]})"
  fi
  if [ "$MODE" = all ]; then
    run_mocha cluster --timeout 120000 -- 'test/cluster/**/*.test.ts'
  fi
fi

echo
echo "test.sh: done in $((SECONDS - T0))s with $(node --version)"
if [ -n "${SVCMGR_TEST_COUNTS:-}" ]; then
  echo "$PASSED $FAILED $SKIPPED" >>"$SVCMGR_TEST_COUNTS"
fi
echo "tests: $PASSED passed, $FAILED failed, $SKIPPED skipped"
exit "$STATUS"
