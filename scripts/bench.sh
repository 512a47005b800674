#!/usr/bin/env bash
# Receive benchmark (not a test; never run by the test command).
#
# In one run it measures, at rising rates, three receivers of the same load:
# a bare UDP receiver that only counts (cmd/udpsink, the baseline), net-snmp's
# snmptrapd logging each trap to a file, and this exporter. The sender
# (cmd/trapgen, a v1/v2c mix from 16 loopback sources) is pinned to CPU 0,
# the receiver to CPU 1. Everything runs inside a new network namespace with
# only loopback up (unshare -n), so nothing can leave the machine -- snmptrapd
# looks up names for v1 traps even with -n.
#
# Needs root, taskset, and Debian's snmptrapd. Usage: sudo scripts/bench.sh
# Receivers: udpsink, snmptrapd, exporter (defaults: trap history on, no
# log output), exporter-bare (history and refused ring off), exporter-logs
# (history on, --trap.dedup.window=0 so every trap is kept, and both log
# outputs: a file in the temporary directory and OTLP to cmd/otlpsink on
# 127.0.0.1, pinned to the sender's CPU), exporter-logs-dedup (the same with
# the default dedup window).
# Env: RATES (traps/s, 0 = flat out), SECONDS_PER_RATE, RECEIVERS,
#      KIND (mix: v1/v2c; v3: SHA/AES-128 authPriv traps), SOCKETS (the
#      exporter's --trap.udp.sockets; with more than 1 it is given both CPUs
#      and the sender shares CPU 0 with it), HOG (1: a busy loop shares the
#      receiver's CPU, so that a sender that cannot outrun a whole core
#      still outruns the receiver and flat-out goodput is the receiver's).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SNMPTRAP_BENCH_NETNS:-}" ]; then
  exec unshare -n env SNMPTRAP_BENCH_NETNS=1 bash "$0" "$@"
fi
ip link set lo up

RATES=${RATES:-"5000 10000 25000 50000 100000 200000 400000 0"}
RECEIVERS=${RECEIVERS:-"udpsink snmptrapd exporter"}
SECS=${SECONDS_PER_RATE:-3}
KIND=${KIND:-mix}
HOG=${HOG:-0}
SOCKETS=${SOCKETS:-1}
RECV_CPUS=1
[ "$SOCKETS" -gt 1 ] && RECV_CPUS=0,1
PORT=10162
tmp=$(mktemp -d)
trap 'pkill -P $$ 2>/dev/null || true; rm -rf "$tmp"' EXIT

go build -o "$tmp/exporter" .
go build -o "$tmp/trapgen" ./cmd/trapgen
go build -o "$tmp/udpsink" ./cmd/udpsink
go build -o "$tmp/otlpsink" ./cmd/otlpsink
# trapgen's v3 user: SHA/AES-128, engine ID 0x80001f8804 "trapgen".
V3_USER=trapgen V3_AUTH=bench-auth-pass V3_PRIV=bench-priv-pass
export SNMP_PERSISTENT_DIR="$tmp/snmp"
cat >"$tmp/snmptrapd.conf" <<CONF
disableAuthorization yes
createUser -e 0x80001f88047472617067656e $V3_USER SHA $V3_AUTH AES $V3_PRIV
CONF
cat >"$tmp/exporter.yml" <<CONF
auth:
  users:
    - username: $V3_USER
      security_level: authPriv
      auth_protocol: SHA
      password: $V3_AUTH
      priv_protocol: AES
      priv_password: $V3_PRIV
CONF

# socket_drops PORT: sum of the drop counters of UDP sockets on PORT.
socket_drops() {
  local hex; hex=$(printf '%04X' "$1")
  awk -v p=":$hex" 'NR>1 && $2 ~ p"$" {s+=$NF} END {print s+0}' /proc/net/udp /proc/net/udp6
}
cpu_seconds() { awk '{print ($14+$15)/100}' "/proc/$1/stat"; }
rss_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
wait_port() {
  for _ in $(seq 100); do
    grep -q ":$(printf '%04X' "$PORT") " /proc/net/udp 2>/dev/null && return 0
    sleep 0.05
  done
  echo "receiver did not bind $PORT" >&2; return 1
}

printf '| receiver | rate asked (/s) | sent | sent rate (/s) | received | loss %% | kernel drops | receiver CPU s | CPU us/trap | peak RSS MiB |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
for receiver in $RECEIVERS; do
  for rate in $RATES; do
    count=$(( rate > 0 ? rate * SECS : 2000000 ))
    case $receiver in
      udpsink)
        taskset -c 1 "$tmp/udpsink" --listen 127.0.0.1:$PORT >"$tmp/out" 2>/dev/null & pid=$! ;;
      snmptrapd)
        rm -f "$tmp/traps.log"
        taskset -c 1 snmptrapd -f -n -On -C -c "$tmp/snmptrapd.conf" -Lf "$tmp/traps.log" \
          -F "trap %b %N\n" udp:127.0.0.1:$PORT >/dev/null 2>&1 & pid=$! ;;
      exporter*)
        extra=()
        case $receiver in
          exporter-bare) extra=(--trap.history.size=0 --trap.history.rejected-size=0) ;;
          exporter-logs*)
            [ "$receiver" = exporter-logs ] && extra=(--trap.dedup.window=0)
            rm -f "$tmp/trap.log"
            taskset -c 0 "$tmp/otlpsink" --listen 127.0.0.1:14318 >"$tmp/otlp.out" 2>&1 & sinkpid=$!
            extra+=(--trap.log.file="$tmp/trap.log" --trap.otlp.endpoint=http://127.0.0.1:14318) ;;
        esac
        rm -rf "$tmp/data"
        taskset -c $RECV_CPUS "$tmp/exporter" --trap.listen-address=udp://127.0.0.1:$PORT --trap.udp.sockets=$SOCKETS \
          --config.file="$tmp/exporter.yml" "${extra[@]}" \
          --web.listen-address=127.0.0.1:19412 --storage.path="$tmp/data" >/dev/null 2>&1 & pid=$! ;;
    esac
    wait_port
    hogpid=
    if [ "$HOG" = 1 ]; then
      taskset -c 1 bash -c 'while :; do :; done' & hogpid=$!
    fi
    cpu0=$(cpu_seconds $pid)
    sent_line=$(taskset -c 0 "$tmp/trapgen" --target 127.0.0.1:$PORT --kind "$KIND" --sources 16 \
      --user $V3_USER --auth-pass $V3_AUTH --priv-pass $V3_PRIV \
      --rate "$rate" --count "$count" --duration $((SECS * 3))s)
    [ -n "$hogpid" ] && { kill $hogpid; wait $hogpid 2>/dev/null || true; }
    sleep 1 # let the receiver drain its buffer
    cpu1=$(cpu_seconds $pid); rss=$(rss_kib $pid); drops=$(socket_drops $PORT)
    case $receiver in
      udpsink) kill -TERM $pid; wait $pid || true; received=$(sed -n 's/^received=//p' "$tmp/out") ;;
      snmptrapd) # its log is flushed when it stops
        kill -TERM $pid; wait $pid || true; received=$(grep -c '^trap ' "$tmp/traps.log" || true) ;;
      exporter*)
        curl -s 127.0.0.1:19412/metrics >"$tmp/metrics"
        received=$(awk '/^snmptrap_packets_total\{.*result="accepted"/ {s+=$2} END {print s+0}' "$tmp/metrics")
        kill -TERM $pid; wait $pid || true
        if [ "$receiver" != "${receiver#exporter-logs}" ]; then
          kill -TERM $sinkpid; wait $sinkpid || true
          # what the outputs wrote, missed and failed, and what arrived
          echo "$receiver $rate: $(grep -E '^snmptrap_trap_log_(records_total|paused_seconds_total)' "$tmp/metrics" | sed 's/snmptrap_trap_log_//' | tr '\n' ' ')" \
            "file_lines=$(wc -l <"$tmp/trap.log") otlp_sink: $(cat "$tmp/otlp.out")" >>"$tmp/outputs"
        fi ;;
    esac
    sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$sent_line")
    srate=$(sed -n 's/.*rate_per_s=\([0-9.]*\).*/\1/p' <<<"$sent_line")
    awk -v r="$receiver" -v asked="$rate" -v s="$sent" -v sr="$srate" -v got="$received" -v d="$drops" \
        -v c0="$cpu0" -v c1="$cpu1" -v rss="$rss" 'BEGIN {
      loss = s > 0 ? 100 * (s - got) / s : 0; cpu = c1 - c0
      printf "| %s | %s | %d | %.0f | %d | %.2f | %d | %.2f | %.2f | %.1f |\n",
        r, (asked == 0 ? "flat out" : asked), s, sr, got, loss, d, cpu, (got > 0 ? 1e6 * cpu / got : 0), rss / 1024 }'
  done
done
if [ -s "$tmp/outputs" ]; then
  echo; echo "Log outputs:"; cat "$tmp/outputs"
fi
