#!/usr/bin/env bash
# Attack benchmark (not a test; never run by the test command).
#
# Measures, against two real binaries in one run, the faults that a
# deliberate attack found (issue 10), so that old and new see the same
# machine and the same noise:
#   A  scrape starvation: ~20,000 series, v2c at 50,000/s for 10 s with 0 and
#      with 20 back-to-back scrape loops; kernel drops and accepted %.
#   B  slow scrapers: ~100,000 series, 300 connections that ask for /metrics
#      and never read; RSS, and whether a normal scrape still works.
#   C  device inventory: 10,000 `devices:` entries and ~100,000 series from
#      other sources; the time of 3 scrapes.
#   D  amplification within the cap: 110,000 v2c traps, each with a trap OID
#      of its own of 128 arcs; RSS, /metrics bytes, series, refusals,
#      snapshot size, idle CPU over 30 s.
#   E  reload with 10,000 SNMPv3 users (authPriv SHA256/AES): start-up time,
#      3 reloads of the unchanged file, 20 concurrent reloads.
#   F  flood totals: 1,000,000 v2c flat out from 16 sources, with the default
#      receive buffer and the system default one; accepted +
#      kernel drops must equal sent.
# Each exporter runs alone with a fresh --storage.path, pinned to CPU 1 (so
# GOMAXPROCS is 1) with one UDP socket; trapgen, curl and the slow clients
# run on CPU 0. A's 20 scrape loops run on either CPU, and A also runs each
# binary on both CPUs (layout shared). Scenarios repeated over ROUNDS
# alternate old/new, new/old. As scripts/bench.sh, everything runs in a new
# network namespace with only loopback up (unshare -n): traffic goes to
# 127.0.0.1 only. Whole run: about 13 minutes.
#
# Needs root, taskset, curl, python3. Usage:
#   sudo scripts/bench-attack.sh [OLD NEW]    or    sudo OLD=path NEW=path scripts/bench-attack.sh
# One argument is NEW. Without NEW the work tree is built; without OLD, NEW
# is measured alone. The NEW binary alone is given --web.write-timeout=10s
# (B); every other flag is the same for both.
# Env: SCENARIOS (default "A B C D E F"), ROUNDS (A and F, default 2),
#      A_LAYOUTS (default "pinned-nice pinned shared"; also shared-nice: the
#      exporter on CPU 1, or on both; the curl loops at nice 19, or 0),
#      E_CAP (seconds a reload request may take, default 60).
set -euo pipefail
if [ -z "${SNMPTRAP_BENCH_NETNS:-}" ]; then
  [ $# -ge 2 ] && { OLD=$1; NEW=$2; }
  [ $# -eq 1 ] && NEW=$1
  [ -n "${OLD:-}" ] && OLD=$(realpath "$OLD")
  [ -n "${NEW:-}" ] && NEW=$(realpath "$NEW")
  self=$(realpath "$0")
  cd "$(dirname "$self")/.."
  exec unshare -n env SNMPTRAP_BENCH_NETNS=1 OLD="${OLD:-}" NEW="${NEW:-}" bash "$self"
fi
cd "$(dirname "$0")/.."
ip link set lo up

SCENARIOS=${SCENARIOS:-"A B C D E F"}
ROUNDS=${ROUNDS:-2}
E_CAP=${E_CAP:-60}
A_LAYOUTS=${A_LAYOUTS:-"pinned-nice pinned shared"}
B_CPUS=${B_CPUS:-1}
PORT=10162
WEBPORT=19412
WEB=127.0.0.1:$WEBPORT
tmp=$(mktemp -d)
pids=() # every background process started, ended by id on exit
cleanup() {
  rm -f "$tmp/scraping"
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
ulimit -Sn "$(ulimit -Hn)" # one socket per fill source
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 13000 ]; then
  echo "needs 13000 open files; the hard limit is $(ulimit -Hn)" >&2; exit 1
fi

go build -o "$tmp/trapgen" ./cmd/trapgen
if [ -z "${NEW:-}" ]; then go build -o "$tmp/new" . && NEW=$tmp/new; fi
declare -A BIN=([new]=$NEW)
NAMES=(new)
if [ -n "${OLD:-}" ]; then BIN[old]=$OLD; NAMES=(old new); fi
# order ROUND: the binaries in the order of that round (old, new; then new, old).
order() {
  if [ ${#NAMES[@]} -eq 1 ] || [ $(($1 % 2)) -eq 1 ]; then echo "${NAMES[@]}"; else echo new old; fi
}
log() { echo "[$(date +%T)] $*" >&2; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# start NAME [flags...]: start the exporter NAME alone with a fresh storage
# directory and wait until it is ready (at most 180 s); sets pid and
# startup_s (launch to ready).
start() {
  local name=$1 t0; shift
  rm -rf "$tmp/data"
  t0=$(date +%s%N)
  taskset -c "${CPUS:-1}" "${BIN[$name]}" --trap.listen-address=udp://127.0.0.1:$PORT --trap.udp.sockets="${SOCKETS:-1}" \
    --web.listen-address=$WEB --storage.path="$tmp/data" "$@" >"$tmp/$name.log" 2>&1 &
  pid=$!; pids+=("$pid")
  for _ in $(seq 1800); do
    curl -sf -m 2 -o /dev/null "$WEB/-/ready" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { echo "$name exited:" >&2; tail -5 "$tmp/$name.log" >&2; exit 1; }
    sleep 0.1
  done
  curl -sf -m 2 -o /dev/null "$WEB/-/ready" || { echo "$name not ready after 180 s" >&2; exit 1; }
  startup_s=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN {printf "%.2f", (b - a) / 1e9}')
}
# stop: SIGTERM the exporter (it saves its snapshot), SIGKILL after 60 s.
stop() {
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
# scrape FILE: /metrics, uncompressed, into FILE.
scrape() { curl -s -m 300 -o "$1" "$WEB/metrics"; }
# sum FILE REGEX: the sum of the samples matching REGEX.
sum() { awk -v re="$2" '$0 ~ re {s += $NF} END {printf "%d\n", s}' "$1"; }
# metric REGEX: the sum, from a scrape filtered to the exporter's own
# families (the new binary's name[]; the old one ignores it and sends all).
metric() {
  curl -s -m 300 "$WEB/metrics?name[]=snmptrap_packets_total&name[]=snmptrap_receive_drops_total&name[]=snmptrap_series&name[]=snmptrap_series_dropped_total" \
    | awk -v re="$1" '$0 ~ re {s += $NF} END {printf "%d\n", s}'
}
accepted() { metric '^snmptrap_packets_total\{.*result="accepted"'; }
kdrops() { metric '^snmptrap_receive_drops_total\{.*stage="kernel"'; }
rss_mib() { awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
hwm_mib() { awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# sleep_until T0_NS SECS: sleep until SECS seconds after T0_NS (date +%s%N).
sleep_until() {
  local left
  left=$(awk -v a="$1" -v s="$2" -v b="$(date +%s%N)" 'BEGIN {d = s - (b - a) / 1e9; printf "%.3f", (d > 0 ? d : 0)}')
  sleep "$left"
}
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; } # field NAME <<<"trapgen line"

# fill SOURCES TYPES [START]: SOURCES sources (START, default 127.0.0.2, up)
# each send TYPES distinct v2c traps in one batch, paced so that nothing is
# dropped; twice, so a trap lost the first time is sent again.
fill() {
  fill_once "$@"; fill_once "$@"
  sleep 1
}
fill_once() {
  taskset -c 0 "$tmp/trapgen" --target 127.0.0.1:$PORT --kind v2c --trap-types "$2" --batch "$2" \
    --sources "$1" --source-start "${3:-127.0.0.2}" --count $(($1 * $2)) --rate "${FILL_RATE:-20000}" --duration 60s >/dev/null
}

echo "# bench-attack: $(date -u +%FT%TZ), $(nproc) CPUs, $(uname -r)"
for n in "${NAMES[@]}"; do echo "- $n: ${BIN[$n]} (sha256 $(sha256sum "${BIN[$n]}" | cut -c1-12))"; done
echo "- load average at start: $(loadavg)"
echo

# --- A: scrape starvation -------------------------------------------------
scenario_A() {
  local devices=2500 types=8 secs=10 rate=50000
  echo "## A. Scrape starvation: $((devices * types)) series, v2c at $rate/s for $secs s from 16 sources, 0 or 20 scrape loops"
  echo
  echo "Scrape loops: curl -s -o /dev/null /metrics back to back (uncompressed), on either CPU; trapgen on CPU 0."
  echo "Layout pinned: the exporter on CPU 1 (GOMAXPROCS 1), 1 UDP socket. Layout shared: the exporter on both CPUs"
  echo "(GOMAXPROCS 2), 2 UDP sockets (its default there). The curl loops run at nice 0, or in the -nice layouts"
  echo "at nice 19, so that they take only CPU time the exporter and trapgen leave."
  echo
  echo "| layout | binary | round | scrapers | sent | accepted | accepted % | kernel drops | drops % | scrapes done | 503s | load avg |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  local layout cpus sockets nice
  for layout in $A_LAYOUTS; do
    case $layout in
      pinned) cpus=1 sockets=1 nice=0 ;;
      pinned-nice) cpus=1 sockets=1 nice=19 ;;
      shared) cpus=0,1 sockets=2 nice=0 ;;
      shared-nice) cpus=0,1 sockets=2 nice=19 ;;
      *) echo "unknown layout $layout" >&2; exit 1 ;;
    esac
    for round in $(seq "$ROUNDS"); do
      for name in $(order "$round"); do
        log "A $layout round $round $name"
        CPUS=$cpus SOCKETS=$sockets start "$name" --trap.max-series=$((devices * types + 1000))
        fill $devices $types
        for scrapers in 0 20; do
          local a0 d0 line a1 d1 sent loops=() p
          a0=$(accepted); d0=$(kdrops)
          : >"$tmp/codes"
          if [ $scrapers -gt 0 ]; then
            touch "$tmp/scraping"
            for _ in $(seq $scrapers); do
              # shellcheck disable=SC2016 # expanded by the inner bash
              nice -n "$nice" bash -c 'while [ -e "$1/scraping" ]; do
                  curl -s -m 30 -o /dev/null -w "%{http_code}\n" "$2/metrics" >>"$1/codes" || true
                done' loop "$tmp" "$WEB" & loops+=("$!"); pids+=("$!")
            done
          fi
          line=$(taskset -c 0 "$tmp/trapgen" --target 127.0.0.1:$PORT --kind v2c --sources 16 \
            --rate $rate --count $((rate * secs)) --duration "${secs}s")
          rm -f "$tmp/scraping"
          for p in "${loops[@]}"; do wait "$p" 2>/dev/null || true; done # each ends after its current curl
          sleep 1 # let the exporter drain its socket
          a1=$(accepted); d1=$(kdrops); sent=$(field sent <<<"$line")
          local n503 nscrapes
          nscrapes=$(grep -c . "$tmp/codes" || true); n503=$(grep -c '^503' "$tmp/codes" || true)
          echo "$layout $name $scrapers $sent $((a1 - a0)) $((d1 - d0))" >>"$tmp/A.rows"
          awk -v lay="$layout" -v n="$name" -v r="$round" -v sc="$scrapers" -v s="$sent" -v a=$((a1 - a0)) -v d=$((d1 - d0)) \
              -v sd="$nscrapes" -v f="$n503" -v l="$(loadavg)" 'BEGIN {
            printf "| %s | %s | %d | %d | %d | %d | %.2f | %d | %.2f | %d | %d | %s |\n", lay, n, r, sc, s, a, 100 * a / s, d, 100 * d / s, sd, f, l }'
        done
        stop
      done
    done
  done
  echo
  echo "Summed over the rounds:"
  echo
  echo "| layout | scrapers | old accepted % | new accepted % | old drops % | new drops % | drops new/old |"
  echo "|---|---|---|---|---|---|---|"
  for layout in $A_LAYOUTS; do
    for scrapers in 0 20; do
      awk -v lay="$layout" -v sc=$scrapers '$1 == lay && $3 == sc { s[$2] += $4; a[$2] += $5; d[$2] += $6 } END {
        for (n in s) { pa[n] = sprintf("%.2f", 100 * a[n] / s[n]); pd[n] = sprintf("%.2f", 100 * d[n] / s[n]) }
        r = ("old" in s && d["old"] > 0) ? sprintf("%.3g", (d["new"] / s["new"]) / (d["old"] / s["old"])) : "-"
        printf "| %s | %d | %s | %s | %s | %s | %s |\n", lay, sc, ("old" in s ? pa["old"] : "-"), pa["new"], ("old" in s ? pd["old"] : "-"), pd["new"], r }' "$tmp/A.rows"
    done
  done
  echo
}

# --- B: slow scrapers -------------------------------------------------------
# 300 clients: each connects with a 4 KiB SO_RCVBUF, sends GET /metrics and
# never reads; they hold their sockets for $1 seconds.
SLOW_CLIENTS='
import socket, sys, time
n, port, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    socks.append(s)
print("open", len(socks), flush=True)
time.sleep(hold)
'
scenario_B() {
  local devices=12500 types=8 clients=300
  echo "## B. Slow scrapers: $((devices * types)) series, $clients connections send GET /metrics and never read"
  echo
  echo "The new binary alone runs with --web.write-timeout=10s (its default is 1m). At +8 s and +25 s after the"
  echo "clients connected: the exporter's VmRSS, one normal scrape (status and seconds, 000 = cut off after 15 s)"
  echo "and the connections open on the web port; at +45 s the VmRSS again (the clients hold on until +60 s)."
  echo
  echo "| binary | RSS before MiB | RSS +8 s | scrape +8 s | conns +8 s | RSS +25 s | scrape +25 s | conns +25 s | RSS +45 s | peak RSS MiB | load avg |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for name in "${NAMES[@]}"; do
    log "B $name"
    local extra=()
    [ "$name" = new ] && extra=(--web.write-timeout=10s)
    CPUS=$B_CPUS start "$name" --trap.max-series=$((devices * types + 1000)) "${extra[@]}"
    fill $devices $types
    local before cp t0 at row=()
    before=$(rss_mib "$pid")
    taskset -c 0 python3 -c "$SLOW_CLIENTS" $clients $WEBPORT 60 >"$tmp/slow.out" & cp=$!; pids+=("$cp")
    for _ in $(seq 100); do grep -q open "$tmp/slow.out" && break; sleep 0.1; done
    t0=$(date +%s%N)
    for at in 8 25; do
      sleep_until "$t0" $at
      row+=("$(rss_mib "$pid")")
      row+=("$(taskset -c 0 curl -s -m 15 -o /dev/null -w '%{http_code} in %{time_total} s' "$WEB/metrics" || true)")
      row+=("$(ss -Htn state established "( sport = :$WEBPORT )" | wc -l)")
    done
    sleep_until "$t0" 45
    row+=("$(rss_mib "$pid")")
    echo "$name $before ${row[0]} ${row[3]} ${row[6]}" >>"$tmp/B.rows"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$before" "${row[@]}" "$(hwm_mib "$pid")" "$(loadavg)"
    kill "$cp" 2>/dev/null || true; wait "$cp" 2>/dev/null || true
    stop
  done
  if [ ${#NAMES[@]} -eq 2 ]; then
    echo
    awk '{ b[$1] = $2; for (i = 3; i <= 5; i++) g[$1, i] = $i - $2 } END {
      printf "RSS growth, old / new: +8 s %+d / %+d MiB; +25 s %+d / %+d MiB; +45 s %+d / %+d MiB\n",
        g["old", 3], g["new", 3], g["old", 4], g["new", 4], g["old", 5], g["new", 5] }' "$tmp/B.rows"
  fi
  echo
}

# --- C: device inventory ----------------------------------------------------
scenario_C() {
  local devices=12500 blocks=8 inventory=10000 k
  echo "## C. Device inventory: $inventory devices: entries (10.0.0.0/8), $((devices * blocks)) series from as many other sources (127/8)"
  echo
  echo "One trap type per source, so each series is a device seen that no entry holds. Scrapes uncompressed."
  echo
  {
    echo "devices:"
    for i in $(seq $inventory); do
      printf '  - address: 10.%d.%d.%d\n    name: dev-%05d\n    labels: {site: s%d}\n' \
        $((i / 62500)) $((i / 250 % 250)) $((i % 250 + 1)) "$i" $((i % 100))
    done
  } >"$tmp/devices.yml"
  echo "| binary | start-up s | series | scrape 1 s | scrape 2 s | scrape 3 s | /metrics bytes | load avg |"
  echo "|---|---|---|---|---|---|---|---|"
  for name in "${NAMES[@]}"; do
    log "C $name"
    start "$name" --config.file="$tmp/devices.yml" --trap.max-series=$((devices * blocks + 1000))
    local st=$startup_s times=() size series
    # One trap per message (--batch 1): trapgen's pacing sends ~5,000-17,000/s
    # whatever the rate asked. Each block once, then again only if a trap was lost.
    for k in $(seq 0 $((blocks - 1))); do FILL_RATE=100000 fill_once $devices 1 "127.$k.0.2"; done
    sleep 1
    if [ "$(metric '^snmptrap_series ')" -lt $((devices * blocks)) ]; then
      for k in $(seq 0 $((blocks - 1))); do FILL_RATE=100000 fill_once $devices 1 "127.$k.0.2"; done
      sleep 1
    fi
    series=$(metric '^snmptrap_series ')
    for _ in 1 2 3; do
      read -r t size < <(taskset -c 0 curl -s -m 120 -o /dev/null -w '%{time_total} %{size_download}\n' "$WEB/metrics")
      times+=("$t")
    done
    echo "$name ${times[*]}" >>"$tmp/C.rows"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$st" "$series" "${times[@]}" "$size" "$(loadavg)"
    stop
  done
  if [ ${#NAMES[@]} -eq 2 ]; then
    echo
    awk '{ m[$1] = ($2 + $3 + $4) / 3 } END {
      printf "Mean scrape: old %.3f s, new %.3f s; new/old %.3g\n", m["old"], m["new"], m["new"] / m["old"] }' "$tmp/C.rows"
  fi
  echo
}

# --- D: amplification within the cap ----------------------------------------
scenario_D() {
  local n=110000 sources=64 arcs=128
  echo "## D. Amplification within the cap: $n v2c traps from $sources sources, each a trap OID of its own of $arcs arcs"
  echo
  echo "Default limits (--trap.max-series=100000, --trap.new-series-per-source=6000/min: $((n / sources)) per source),"
  echo "--storage.snapshot-interval=5s. Idle CPU: utime+stime over 30 s with no traffic and no scrape."
  echo
  echo "| binary | sent | accepted | kernel drops | snmptrap_series | dropped (reason=n) | RSS MiB | /metrics bytes | snapshot bytes | idle CPU % of a core | peak RSS MiB | load avg |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  for name in "${NAMES[@]}"; do
    log "D $name"
    start "$name"
    local line rss body series dropped snap c0 c1 idle
    line=$(taskset -c 0 "$tmp/trapgen" --target 127.0.0.1:$PORT --kind v2c --long-oids $arcs \
      --sources $sources --rate 10000 --count $n --duration 60s)
    sleep 2
    rss=$(rss_mib "$pid")
    scrape "$tmp/d.metrics"
    body=$(stat -c %s "$tmp/d.metrics")
    series=$(sum "$tmp/d.metrics" '^snmptrap_series ')
    dropped=$(awk '/^snmptrap_series_dropped_total/ && $NF > 0 { sub(/.*reason="/, "", $1); sub(/".*/, "", $1); printf "%s%s=%d", sep, $1, $NF; sep = " " }' "$tmp/d.metrics")
    local acc kd
    acc=$(sum "$tmp/d.metrics" '^snmptrap_packets_total\{.*result="accepted"')
    kd=$(sum "$tmp/d.metrics" '^snmptrap_receive_drops_total\{.*stage="kernel"')
    rm -f "$tmp/d.metrics"
    sleep 8 # a snapshot (every 5 s) written since the traffic stopped
    snap=$(stat -c %s "$tmp/data/snapshot.jsonl" 2>/dev/null || echo 0)
    c0=$(cpu_ticks "$pid"); sleep 30; c1=$(cpu_ticks "$pid")
    idle=$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", 100 * (b - a) / hz / 30}')
    echo "$name $rss $body $series $snap $idle" >>"$tmp/D.rows"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$(field sent <<<"$line")" "$acc" "$kd" \
      "$series" "${dropped:-none}" "$rss" "$body" "$snap" "$idle" "$(hwm_mib "$pid")" "$(loadavg)"
    stop
  done
  if [ ${#NAMES[@]} -eq 2 ]; then
    echo
    echo "| new/old | RSS | /metrics bytes | series | snapshot bytes | idle CPU |"
    echo "|---|---|---|---|---|---|"
    awk '{ for (i = 2; i <= 6; i++) v[$1, i] = $i } END {
      printf "| ratio |"; for (i = 2; i <= 6; i++) printf " %s |", (v["old", i] > 0 ? sprintf("%.3g", v["new", i] / v["old", i]) : "-"); print "" }' "$tmp/D.rows"
  fi
  echo
}

# --- E: reload with 10,000 SNMPv3 users ---------------------------------------
scenario_E() {
  local users=10000 concurrent=20
  echo "## E. Reload with $users SNMPv3 users (authPriv, SHA256/AES, 15-character passwords), file unchanged"
  echo
  {
    echo "auth:"
    echo "  users:"
    for i in $(seq $users); do
      printf '    - username: user%05d\n      security_level: authPriv\n      auth_protocol: SHA256\n      password: "auth-pass-%05d"\n      priv_protocol: AES\n      priv_password: "priv-pass-%05d"\n' "$i" "$i" "$i"
    done
  } >"$tmp/users.yml"
  echo "Each reload request is cut off after $E_CAP s (curl -m); a cut-off request shows as > $E_CAP s."
  echo
  echo "| binary | start-up s (launch to ready) | CPU s at ready | reload 1 s | reload 2 s | reload 3 s | $concurrent concurrent: wall s | answered 200 in time | load avg |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for name in "${NAMES[@]}"; do
    log "E $name"
    start "$name" --config.file="$tmp/users.yml"
    local st=$startup_s cpu rl=() t0 wall ok code t
    cpu=$(awk -v t="$(cpu_ticks "$pid")" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}')
    for _ in 1 2 3; do
      read -r code t < <(taskset -c 0 curl -s -m "$E_CAP" -o /dev/null -X POST -w '%{http_code} %{time_total}\n' "$WEB/-/reload" || true)
      if [ "$code" = 200 ]; then rl+=("$t"); else rl+=("> $E_CAP ($code)"); fi
    done
    : >"$tmp/reloads"
    t0=$(date +%s%N)
    local cps=()
    for _ in $(seq $concurrent); do
      taskset -c 0 curl -s -m "$E_CAP" -o /dev/null -X POST -w '%{http_code} %{time_total}\n' "$WEB/-/reload" >>"$tmp/reloads" &
      cps+=("$!"); pids+=("$!")
    done
    for p in "${cps[@]}"; do wait "$p" 2>/dev/null || true; done
    wall=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN {printf "%.2f", (b - a) / 1e9}')
    ok=$(grep -c '^200 ' "$tmp/reloads" || true)
    [ "$ok" -lt $concurrent ] && wall="> $E_CAP"
    echo "$name $st ${rl[*]} $wall" >>"$tmp/E.rows"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s of %s | %s |\n' "$name" "$st" "$cpu" "${rl[@]}" "$wall" "$ok" $concurrent "$(loadavg)"
    stop
  done
  echo
}

# --- F: flood totals ------------------------------------------------------------
scenario_F() {
  local n=1000000 buf
  echo "## F. Flood totals: $n v2c flat out from 16 sources to one UDP listener (one socket)"
  echo
  echo "--trap.receive-buffer-size: the default 4MiB, and 0 (the system default) so that the kernel drops some;"
  echo "granted: snmptrap_receive_buffer_bytes."
  echo
  echo "| buffer | granted | binary | round | sent | sent rate /s | accepted | accepted % | kernel drops | accepted + drops - sent | other packet results | load avg |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  for buf in 4MiB 0; do
    for round in $(seq "$ROUNDS"); do
      for name in $(order "$round"); do
        log "F buffer $buf round $round $name"
        start "$name" --trap.receive-buffer-size=$buf
        local line sent acc kd other
        line=$(taskset -c 0 "$tmp/trapgen" --target 127.0.0.1:$PORT --kind v2c --sources 16 --count $n --duration 60s)
        sleep 2
        scrape "$tmp/f.metrics"
        sent=$(field sent <<<"$line")
        acc=$(sum "$tmp/f.metrics" '^snmptrap_packets_total\{.*result="accepted"')
        kd=$(sum "$tmp/f.metrics" '^snmptrap_receive_drops_total\{.*stage="kernel"')
        other=$(awk '/^snmptrap_packets_total/ && !/result="accepted"/ {s += $NF} END {printf "%d", s}' "$tmp/f.metrics")
        echo "$buf $name $sent $acc $kd" >>"$tmp/F.rows"
        printf '| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$buf" "$(sum "$tmp/f.metrics" '^snmptrap_receive_buffer_bytes')" "$name" "$round" "$sent" "$(field rate_per_s <<<"$line")" \
          "$acc" "$(awk -v a="$acc" -v s="$sent" 'BEGIN {printf "%.2f", 100 * a / s}')" "$kd" $((acc + kd - sent)) "$other" "$(loadavg)"
        stop
      done
    done
  done
  echo
  awk '{ s[$1, $2] += $3; a[$1, $2] += $4; bufs[$1] = 1 } END {
    for (b in bufs) if (s[b, "old"] > 0)
      printf "Buffer %s, summed over the rounds: accepted %% old %.2f, new %.2f; new/old %.3f\n", b,
        100 * a[b, "old"] / s[b, "old"], 100 * a[b, "new"] / s[b, "new"], (a[b, "new"] / s[b, "new"]) / (a[b, "old"] / s[b, "old"]) }' "$tmp/F.rows"
  echo
}

for s in $SCENARIOS; do
  "scenario_$s"
  log "$s done, load average $(loadavg)"
done
echo "- load average at the end: $(loadavg)"
