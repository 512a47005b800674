#!/usr/bin/env bash
# Scrape-while-receiving benchmark (not a test; never run by the test command).
#
# Issue 6 asks that the receive rate during a scrape loop stay within 10 % of
# the rate without one. This script fills the exporter's store with about
# 100,000 device × trap series, then, at each rate in RATES, measures the
# accepted rate for SECS seconds without scraping and for SECS seconds while
# curl scrapes /metrics back to back (gzip, as Prometheus asks), alternating
# the two REPEAT times so that both see the same noise. The exporter is
# pinned to CPU 1 (so it receives and serves /metrics on one core); trapgen
# and curl (niced) share CPU 0. As scripts/bench.sh, everything runs in a new network
# namespace with only loopback up (unshare -n); traps go to 127.0.0.1 only.
#
# Needs root and taskset. Usage: sudo scripts/bench-scrape.sh
# Env: RATES (traps/s, 0 = flat out), SECS, REPEAT, CURL_NICE, DEVICES (fill sources,
# one socket each) and TYPES (trap types each sends): DEVICES*TYPES series.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SNMPTRAP_BENCH_NETNS:-}" ]; then
  exec unshare -n env SNMPTRAP_BENCH_NETNS=1 bash "$0" "$@"
fi
ip link set lo up

RATES=${RATES:-"100000 0"}
SECS=${SECS:-5}
REPEAT=${REPEAT:-2}
DEVICES=${DEVICES:-12500}
TYPES=${TYPES:-8}
# curl shares CPU 0 with the sender; niced, it takes the sender's idle time
# rather than lowering the rate it sends at (CURL_NICE=0: as the sender).
CURL_NICE=${CURL_NICE:-10}
MAX_SCRAPES=2000 # per phase; the phase's time bound stops it first
PORT=10162
WEB=127.0.0.1:19412
tmp=$(mktemp -d)
trap 'pkill -P $$ 2>/dev/null || true; rm -rf "$tmp"' EXIT
# One socket per fill source.
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt $((DEVICES + 256)) ]; then
  echo "DEVICES=$DEVICES needs $((DEVICES + 256)) open files; the hard limit is $(ulimit -Hn)" >&2; exit 1
fi
ulimit -Sn "$(ulimit -Hn)"

go build -o "$tmp/exporter" .
go build -o "$tmp/trapgen" ./cmd/trapgen

taskset -c 1 "$tmp/exporter" --trap.listen-address=udp://127.0.0.1:$PORT --trap.udp.sockets=1 \
  --trap.max-series=$((DEVICES * TYPES + 1000)) --web.listen-address=$WEB --storage.path="$tmp/data" \
  >/dev/null 2>"$tmp/exporter.log" & pid=$!
for _ in $(seq 100); do
  curl -sf "$WEB/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done

metric() { # metric NAME-REGEX: sum of the matching samples
  curl -s --compressed "$WEB/metrics" | awk -v re="$1" '$0 ~ re {s+=$NF} END {printf "%d\n", s}'
}
accepted() { metric '^snmptrap_packets_total\{.*result="accepted"'; }

# Fill: DEVICES sources (127.0.0.2 up), each sending TYPES distinct v2c
# traps in one batch, paced so that nothing is dropped; twice, so a trap lost
# the first time is sent again.
for _ in 1 2; do
  taskset -c 0 "$tmp/trapgen" --target 127.0.0.1:$PORT --kind v2c --trap-types "$TYPES" --batch "$TYPES" \
    --sources "$DEVICES" --count $((DEVICES * TYPES)) --rate 20000 --duration 60s >/dev/null
done
sleep 1
series=$(metric '^snmptrap_series ')
body=$(curl -s -o /dev/null -w '%{size_download}' "$WEB/metrics")
gz=$(curl -s --compressed -o /dev/null -w '%{size_download}' "$WEB/metrics")
echo "store: $series series from $(accepted) traps accepted of $((2 * DEVICES * TYPES)) sent" \
  "($(metric '^snmptrap_receive_drops_total') kernel drops); /metrics is $body bytes, $gz gzipped"
echo

# phase RATE SCRAPE: one measurement; prints "sent accepted elapsed" and
# leaves the scrape durations (seconds, one a line) in $tmp/durations.
phase() {
  local rate=$1 scrape=$2 a0 a1 line
  : >"$tmp/durations"
  a0=$(accepted)
  if [ "$scrape" = 1 ]; then
    touch "$tmp/scraping"
    (
      for _ in $(seq $MAX_SCRAPES); do
        [ -e "$tmp/scraping" ] || break
        taskset -c 0 nice -n "$CURL_NICE" curl -s --compressed -o /dev/null -w '%{time_total}\n' "$WEB/metrics" >>"$tmp/durations"
      done
    ) & loop=$!
  fi
  line=$(taskset -c 0 "$tmp/trapgen" --target 127.0.0.1:$PORT --kind mix --sources 16 \
    --rate "$rate" --count $(( rate > 0 ? rate * SECS : 50000000 )) --duration "${SECS}s")
  if [ "$scrape" = 1 ]; then
    rm -f "$tmp/scraping"
    wait $loop
  fi
  sleep 1 # let the exporter drain its socket
  a1=$(accepted)
  echo "$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$line") $((a1 - a0)) $(sed -n 's/.*elapsed_s=\([0-9.]*\).*/\1/p' <<<"$line")"
}

printf '| rate asked (/s) | round | scraping | sent | sent rate (/s) | accepted | accepted rate (/s) | loss %% | scrapes | scrape s min / median / max |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
for rate in $RATES; do
  for round in $(seq "$REPEAT"); do
    for scrape in 0 1; do
      read -r sent acc secs < <(phase "$rate" "$scrape")
      stats=$(sort -n "$tmp/durations" | awk '{v[NR]=$1} END {
        if (NR == 0) { print "0 -"; exit }
        printf "%d %.3f / %.3f / %.3f\n", NR, v[1], v[int((NR+1)/2)], v[NR] }')
      printf '%s %s %s %s %s %s\n' "$rate" "$round" "$scrape" "$sent" "$acc" "$secs" >>"$tmp/rows"
      awk -v r="$rate" -v n="$round" -v sc="$scrape" -v s="$sent" -v a="$acc" -v t="$secs" -v st="$stats" 'BEGIN {
        split(st, f, " "); rest = substr(st, length(f[1]) + 2)
        printf "| %s | %d | %s | %d | %.0f | %d | %.0f | %.2f | %d | %s |\n",
          (r == 0 ? "flat out" : r), n, (sc ? "yes" : "no"), s, s / t, a, a / t, (s > 0 ? 100 * (s - a) / s : 0), f[1], rest }'
    done
  done
done
echo
# Per rate: accepted rate with the scrape loop over without, summed over the
# rounds.
awk '{ acc[$1, $3] += $5; t[$1, $3] += $6; rates[$1] = 1 } END {
  printf "| rate asked (/s) | accepted/s without scrapes | accepted/s with scrapes | ratio |\n|---|---|---|---|\n"
  for (r in rates) {
    a = acc[r, 0] / t[r, 0]; b = acc[r, 1] / t[r, 1]
    printf "| %s | %.0f | %.0f | %.3f |\n", (r == 0 ? "flat out" : r), a, b, b / a
  }
}' "$tmp/rows"
kill -TERM $pid; wait $pid || true
