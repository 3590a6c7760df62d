#!/usr/bin/env bash
# The project's test command (what .ci/run runs):
#   1. install test dependencies (apt packages, bin/kubectl + bin/helm, .venv)
#   2. build the capstan binary
#   3. cargo nextest run --workspace (cargo test if nextest is missing)
#   4. the end-to-end pytest suite (tests/e2e) against the built binary
#   5. a short run of every libFuzzer target (scripts/fuzz.sh)
# Exits non-zero if any step fails; prints one summary line at the end.
#
# Env:
#   CARGO_TARGET_DIR   build cache, outside the clone by default (/var/tmp/capstan-target)
#   CAPSTAN_PROFILE    debug (default) or release
#   SKIP_UNIT=1        skip step 3;  SKIP_E2E=1 skip step 4;  SKIP_FUZZ=1 skip step 5
#   FUZZ_SECONDS       seconds per fuzz target in step 5 (default 5)
#   PYTEST_ARGS        extra arguments for pytest (e.g. "-k kubectl -x")
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/capstan-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
PROFILE="${CAPSTAN_PROFILE:-debug}"
START=$(date +%s)

declare -A RESULT=([deps]=skipped [build]=skipped [unit]=skipped [e2e]=skipped [fuzz]=skipped)
FAILED=0

# processes started by the e2e suite register their PIDs here; anything left is killed on exit
export CAPSTAN_E2E_PIDDIR
CAPSTAN_E2E_PIDDIR="$(mktemp -d "${TMPDIR:-/tmp}/capstan-e2e-pids.XXXXXX")"
cleanup() {
  local f pid
  for f in "$CAPSTAN_E2E_PIDDIR"/*.pid; do
    [ -e "$f" ] || continue
    pid="$(cat "$f")"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      echo "test.sh: killing leftover capstan server pid $pid" >&2
      kill -TERM "$pid" 2>/dev/null || true
      sleep 1
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$CAPSTAN_E2E_PIDDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { echo; echo "==== test.sh: $* ($(( $(date +%s) - START ))s)"; }

summary() {
  local secs=$(( $(date +%s) - START ))
  echo
  echo "test.sh summary: deps=${RESULT[deps]} build=${RESULT[build]} unit=${RESULT[unit]} e2e=${RESULT[e2e]} fuzz=${RESULT[fuzz]} in ${secs}s"
}

# ---------------------------------------------------------------- 1. deps
step "installing test dependencies"
if scripts/install-test-deps.sh; then RESULT[deps]=ok; else RESULT[deps]=FAILED; summary; exit 1; fi
if [ -x scripts/install-deps.sh ]; then
  scripts/install-deps.sh || { RESULT[deps]=FAILED; summary; exit 1; }
fi

# ---------------------------------------------------------------- 2. build
step "cargo build -p capstan ($PROFILE, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
BUILD_FLAGS=(-p capstan)
[ "$PROFILE" = release ] && BUILD_FLAGS+=(--release)
if cargo build "${BUILD_FLAGS[@]}"; then RESULT[build]=ok; else RESULT[build]=FAILED; summary; exit 1; fi
CAPSTAN_BIN="$CARGO_TARGET_DIR/$PROFILE/capstan"
export CAPSTAN_BIN
[ -x "$CAPSTAN_BIN" ] || { echo "test.sh: no binary at $CAPSTAN_BIN" >&2; RESULT[build]=FAILED; summary; exit 1; }

# ---------------------------------------------------------------- 3. unit / integration tests
if [ "${SKIP_UNIT:-0}" != 1 ]; then
  if cargo nextest --version >/dev/null 2>&1; then
    step "cargo nextest run --workspace"
    if cargo nextest run --workspace --no-fail-fast --no-tests=warn; then RESULT[unit]=ok; else RESULT[unit]=FAILED; FAILED=1; fi
  else
    step "cargo test --workspace (cargo-nextest not installed)"
    if cargo test --workspace --no-fail-fast; then RESULT[unit]=ok; else RESULT[unit]=FAILED; FAILED=1; fi
  fi
fi

# ---------------------------------------------------------------- 4. end-to-end
if [ "${SKIP_E2E:-0}" != 1 ]; then
  step "e2e: pytest tests/e2e (CAPSTAN_BIN=$CAPSTAN_BIN)"
  export CAPSTAN_E2E_ARTIFACTS="${CAPSTAN_E2E_ARTIFACTS:-$CARGO_TARGET_DIR/e2e-logs}"
  rc=0
  # shellcheck disable=SC2086
  "$REPO/.venv/bin/python" -m pytest -c tests/e2e/pytest.ini tests/e2e ${PYTEST_ARGS:-} || rc=$?
  case $rc in
    0) RESULT[e2e]=ok ;;
    5) RESULT[e2e]="FAILED(no tests collected)"; FAILED=1 ;;
    *) RESULT[e2e]="FAILED(rc=$rc)"; FAILED=1 ;;
  esac
fi

# ---------------------------------------------------------------- 5. fuzz
if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  step "fuzz: every target for ${FUZZ_SECONDS:-5}s (scripts/fuzz.sh)"
  if CARGO_TARGET_DIR= bash scripts/fuzz.sh "${FUZZ_SECONDS:-5}"; then RESULT[fuzz]=ok; else RESULT[fuzz]=FAILED; FAILED=1; fi
fi

summary
exit "$FAILED"
