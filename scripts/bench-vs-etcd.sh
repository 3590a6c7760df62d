#!/usr/bin/env bash
# Interleaved rounds of the create-throughput reference: a real single-member etcd doing raw
# 1 KiB puts (64 clients, 4 connections), then `capstan bench apiserver --only-create` with the
# same load shape, ROUNDS times; prints each round's rates and their ratio, then the median.
#
#   scripts/bench-vs-etcd.sh [ROUNDS]        (default 8)
#
# Needs etcd (Debian: apt-get install etcd-server) and builds capstan with the `etcd-bench`
# feature (needs protobuf-compiler and libprotobuf-dev). Measures; asserts nothing.
set -euo pipefail
rounds=${1:-8}
cd "$(dirname "$0")/.."
command -v etcd >/dev/null || { echo "etcd not found (apt-get install etcd-server)" >&2; exit 1; }
cargo build --release -q -p capstan --features etcd-bench
bin=${CARGO_TARGET_DIR:-target}/release/capstan

work=$(mktemp -d)
etcd_pid=
cleanup() {
    if [ -n "$etcd_pid" ]; then kill "$etcd_pid" 2>/dev/null || true; wait "$etcd_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ratios=()
for i in $(seq "$rounds"); do
    client=$(free_port); peer=$(free_port)
    rm -rf "$work/etcd"
    etcd --data-dir "$work/etcd" --name bench \
        --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
        --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
        --initial-cluster "bench=http://127.0.0.1:$peer" >"$work/etcd.log" 2>&1 &
    etcd_pid=$!
    deadline=$((SECONDS + 20))
    until curl -sf "http://127.0.0.1:$client/health" | grep -q true; do
        [ $SECONDS -lt $deadline ] || { echo "etcd did not start:" >&2; cat "$work/etcd.log" >&2; exit 1; }
        sleep 0.1
    done
    etcd_rate=$("$bin" bench etcd --endpoint "http://127.0.0.1:$client" | grep -o '[0-9]* puts/s' | head -1 | cut -d' ' -f1)
    kill "$etcd_pid"; wait "$etcd_pid" 2>/dev/null || true; etcd_pid=
    capstan_rate=$("$bin" bench apiserver --only-create | grep -o '[0-9]* creates/s' | head -1 | cut -d' ' -f1)
    ratio=$(python3 -c "print(f'{100*$capstan_rate/$etcd_rate:.1f}')")
    ratios+=("$ratio")
    echo "round $i: etcd $etcd_rate puts/s, capstan $capstan_rate creates/s: $ratio%"
done
python3 -c "import statistics,sys; r=[float(x) for x in sys.argv[1:]]; print(f'median {statistics.median(r):.1f}% (min {min(r):.1f}%, max {max(r):.1f}%, {sum(x>=100 for x in r)} of {len(r)} rounds at or above etcd)')" "${ratios[@]}"
