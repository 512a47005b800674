#!/usr/bin/env bash
# Vendor table benchmark (not a test; the test command never runs it).
#
# What the compiled vendor table (mib/vendor_table.bin, --mib.vendor) costs,
# against the revision just before it, built and measured in the same run:
#   - binary size, as `go build` makes it and as `make build` does
#     (CGO_ENABLED=0, -trimpath, -s -w);
#   - start-up time, from the exporter's launch to /-/ready answering 200,
#     RUNS times each, the variants alternated (before, after, after with
#     --no-mib.vendor) so that all see the same noise;
#   - resident memory (VmRSS) once ready, and after one Cisco trap has been
#     counted (the vendor table is decoded at start, by the first MIB load,
#     so the trap should add little), and the peak (VmHWM);
#   - the mib package's benchmarks: a name lookup in the built-in table and
#     in the vendor+builtin one, and decoding and merging the vendor table.
# Everything is on 127.0.0.1; only curl, net-snmp's snmptrap and Go are used.
#
# Usage: scripts/bench-vendor.sh [BEFORE_REV]
#   BEFORE_REV: default the parent of the commit that added the vendor table.
# Env: RUNS (start-ups per variant, default 15), BENCH_COUNT (go test -count, 5).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-15}
BENCH_COUNT=${BENCH_COUNT:-5}
before_rev=${1:-$(git log -1 --diff-filter=A --format=%H -- mib/vendor_table.bin)^}
for tool in curl snmptrap go; do
  command -v "$tool" >/dev/null || { echo "bench-vendor.sh: $tool not found (Debian: curl, snmp)" >&2; exit 1; }
done
TRAP_PORT=${TRAP_PORT:-19162}
WEB=127.0.0.1:${WEB_PORT:-19413}

tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  git worktree remove --force "$tmp/src" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== building $(git rev-parse --short "$before_rev") (before) and the work tree (after)"
git worktree add -q --detach "$tmp/src" "$before_rev"
build() { # src out
  (cd "$1" && go build -o "$2" . && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$2-release" .)
}
build "$tmp/src" "$tmp/before"
build "$PWD" "$tmp/after"
size() { stat -c %s "$1"; }
printf '%-8s %14s %14s\n' binary "go build" "release build"
for v in before after; do
  printf '%-8s %14d %14d\n' "$v" "$(size "$tmp/$v")" "$(size "$tmp/$v-release")"
done
awk -v a="$(size "$tmp/after")" -v b="$(size "$tmp/before")" -v ar="$(size "$tmp/after-release")" -v br="$(size "$tmp/before-release")" \
  'BEGIN { printf "after/before: %.3f (+%.2f MiB), release %.3f (+%.2f MiB)\n", a/b, (a-b)/1048576, ar/br, (ar-br)/1048576 }'

now_us() { echo $(( $(date +%s%N) / 1000 )); }
kib() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$pid/status"; }

# one VARIANT BINARY [FLAG...]: start, time to ready, RSS, one trap, RSS, stop.
one() {
  local name=$1 bin=$2
  shift 2
  local dir="$tmp/storage"
  rm -rf "$dir"
  mkdir -p "$dir"
  local t0 t1 rss0 rss1 hwm
  t0=$(now_us)
  "$bin" --web.listen-address="$WEB" --trap.listen-address="udp://127.0.0.1:$TRAP_PORT" \
    --storage.path="$dir" "$@" 2>"$tmp/log" &
  pid=$!
  local tries=0
  until curl -sf -o /dev/null "http://$WEB/-/ready"; do
    tries=$((tries + 1))
    if [ "$tries" -gt 5000 ] || ! kill -0 "$pid" 2>/dev/null; then
      echo "bench-vendor.sh: $name never became ready:" >&2
      cat "$tmp/log" >&2
      exit 1
    fi
    sleep 0.002
  done
  t1=$(now_us)
  rss0=$(kib VmRSS)
  snmptrap -M /dev/null -m '' -v 2c -c public "127.0.0.1:$TRAP_PORT" '' 1.3.6.1.4.1.9.9.43.2.0.1 \
    1.3.6.1.4.1.9.9.43.1.1.6.1.3.1 i 2 1.3.6.1.4.1.9.9.43.1.1.6.1.4.1 i 3 1.3.6.1.4.1.9.9.43.1.1.6.1.5.1 i 4
  tries=0
  until curl -sf "http://$WEB/metrics" | grep -q '^snmptrap_traps_received_total{'; do
    tries=$((tries + 1))
    [ "$tries" -lt 1000 ] || { echo "bench-vendor.sh: $name never counted the trap" >&2; exit 1; }
    sleep 0.01
  done
  rss1=$(kib VmRSS)
  hwm=$(kib VmHWM)
  kill -INT "$pid"
  wait "$pid" || true
  pid=""
  echo "$name $(( (t1 - t0) / 1000 )) $rss0 $rss1 $hwm"
}

echo "== start-up and memory, $RUNS runs each, alternated"
results="$tmp/results"
: >"$results"
for i in $(seq "$RUNS"); do
  one before "$tmp/before" >>"$results"
  one after "$tmp/after" >>"$results"
  one after-no-vendor "$tmp/after" --no-mib.vendor >>"$results"
done
echo "variant run ready_ms rss_ready_kib rss_after_trap_kib hwm_kib"
awk '{ n[$1]++; print $1, n[$1], $2, $3, $4, $5 }' "$results"

median() { # variant column
  awk -v v="$1" -v c="$2" '$1 == v { print $c }' "$results" | sort -n |
    awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# The median of the pairwise ratios variant/before (run i against run i).
pairwise() { # variant column
  awk -v v="$1" -v c="$2" '$1 == "before" { b[++nb] = $c } $1 == v { a[++na] = $c }
    END { for (i = 1; i <= na && i <= nb; i++) if (b[i] > 0) print a[i] / b[i] }' "$results" | sort -g |
    awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
echo
printf '%-16s %10s %10s %16s %16s %10s\n' variant ready_ms ratio rss_ready_MiB rss_trap_MiB hwm_MiB
for v in before after after-no-vendor; do
  printf '%-16s %10s %10.3f %16.1f %16.1f %10.1f\n' "$v" "$(median "$v" 2)" "$(pairwise "$v" 2)" \
    "$(awk -v k="$(median "$v" 3)" 'BEGIN { print k / 1024 }')" \
    "$(awk -v k="$(median "$v" 4)" 'BEGIN { print k / 1024 }')" \
    "$(awk -v k="$(median "$v" 5)" 'BEGIN { print k / 1024 }')"
done
echo "(medians; ratio: the median of run-by-run ratios against before)"

echo
echo "== go test -bench (mib), -count $BENCH_COUNT"
go test -run '^$' -bench 'NotificationName|DecodeVendor|VendorMerge' -benchmem -count "$BENCH_COUNT" ./mib | grep -E '^Benchmark'
