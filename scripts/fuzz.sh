#!/usr/bin/env bash
# Run the libFuzzer targets in fuzz/ (cargo fuzz, no sanitizer so the stable toolchain
# builds them) for SECONDS each, starting from the committed seeds in fuzz/seeds/<target>.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (default: 10 s, every target)
#
# The invariants each target checks are in crates/testing/src/fuzz. A finding is written to
# fuzz/artifacts/<target>/ and fails the run; reproduce it with
#   (cd fuzz && cargo fuzz run -s none <target> artifacts/<target>/<file>)
# CI runs this with a few seconds per target; for a longer hunt: scripts/fuzz.sh 1800.
# The corpus a run grows is kept in $FUZZ_CORPUS_DIR (default: a temp dir, removed after).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-10}
shift || true
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-/var/tmp/capstan-fuzz-target}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install --locked cargo-fuzz
fi

cd fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi

corpus_root="${FUZZ_CORPUS_DIR:-}"
cleanup=
if [ -z "$corpus_root" ]; then
    corpus_root=$(mktemp -d)
    cleanup=$corpus_root
fi
trap '[ -n "$cleanup" ] && rm -rf "$cleanup"' EXIT

cargo fuzz build -s none
failed=0
for t in "${targets[@]}"; do
    mkdir -p "$corpus_root/$t"
    echo "== fuzz $t (${seconds}s)"
    if cargo fuzz run -s none "$t" "$corpus_root/$t" "seeds/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 2>"$corpus_root/$t.log"; then
        grep -E "^Done [0-9]+ runs" "$corpus_root/$t.log" || true
    else
        failed=1
        echo "fuzz.sh: $t found a problem:" >&2
        grep -E -A12 "panicked at|ERROR|SUMMARY|Test unit written" "$corpus_root/$t.log" | head -60 >&2
    fi
done
exit $failed
