#!/usr/bin/env bash
# ./omni bench api: wrk at 64 connections against GET /api/sessions?upcoming=true
# (1,000 sessions stored) and POST /api/sessions, on omnilive-relay and on the
# seed's stack (Express + better-sqlite3) doing the same work on the same schema.
set -euo pipefail
: "${OMNI_BUILD_DIR:?}" "${OMNI_SOURCE_DIR:?}"
DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
HERE="$OMNI_SOURCE_DIR/tests/bench/api"
PEER="$OMNI_SOURCE_DIR/tests/bench/peers/express"
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 100); do curl -fs "$1/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "server at $1 did not start" >&2; return 1; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# The main thread alone: the relay's API work, without its mail and TURN threads.
main_thread_ticks() { awk '{print $14 + $15}' "/proc/$1/task/$1/stat"; }

# wrk --latency prints "99%  12.34ms"; report req/s, p99 in ms, and the
# server's CPU time per request (from /proc/PID/stat), which other load on the
# machine disturbs far less than throughput.
measure() {  # PID URL TOKEN [lua]
  local out before after main_before main_after
  before=$(cpu_ticks "$1")
  main_before=$(main_thread_ticks "$1")
  out=$(BENCH_TOKEN=$3 wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency ${4:+-s "$4"} \
          -H "Authorization: Bearer $3" "$2" 2>&1)
  after=$(cpu_ticks "$1")
  main_after=$(main_thread_ticks "$1")
  local rps p99 requests cpu main_cpu
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu=$(awk -v t=$((after - before)) -v n="$requests" -v hz="$(getconf CLK_TCK)" \
          'BEGIN { if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print "n/a" }')
  main_cpu=$(awk -v t=$((main_after - main_before)) -v n="$requests" -v hz="$(getconf CLK_TCK)" \
          'BEGIN { if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print "n/a" }')
  if grep -q 'Non-2xx' <<<"$out"; then echo "warning: $(grep 'Non-2xx' <<<"$out")" >&2; fi
  echo "$rps $p99 $cpu $main_cpu"
}

# omnilive-relay
RELAY_PORT=$(free_port)
mkdir -p "$WORK/relay"
TOKEN=$("$OMNI_BUILD_DIR/relay/omnilive-relay" host add --email bench@example.com --name Bench --data-dir "$WORK/relay" | tail -n 1)
"$OMNI_BUILD_DIR/relay/omnilive-relay" --listen "127.0.0.1:$RELAY_PORT" --data-dir "$WORK/relay" >"$WORK/relay.log" 2>&1 &
PIDS+=($!)
RELAY_PID=$!
wait_for "http://127.0.0.1:$RELAY_PORT"
/usr/bin/python3 "$HERE/seed.py" "http://127.0.0.1:$RELAY_PORT" "$TOKEN" 1000

# Express + better-sqlite3
if [ ! -d "$PEER/node_modules" ]; then
  (cd "$PEER" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
PEER_PORT=$(free_port)
# The relay makes the peer's database: the same schema, indexes and triggers.
mkdir -p "$WORK/peer"
PEER_TOKEN=$("$OMNI_BUILD_DIR/relay/omnilive-relay" host add --email bench@example.com --name Bench --data-dir "$WORK/peer" | tail -n 1)
node "$PEER/server.js" "$WORK/peer/relay.db" "$PEER_PORT" >"$WORK/peer.log" 2>&1 &
PIDS+=($!)
PEER_PID=$!
wait_for "http://127.0.0.1:$PEER_PORT"
/usr/bin/python3 "$HERE/seed.py" "http://127.0.0.1:$PEER_PORT" "$PEER_TOKEN" 1000

ROUNDS=${BENCH_ROUNDS:-3}
# The two servers take turns, ROUNDS times each, and each column is the
# median of its rounds: a shared machine's speed drifts over a minute, and
# alternating puts both servers through the same drift.
median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
column() { awk -v c="$1" '{print $c}' "$2" | median; }

echo "api benchmark: wrk -t2 -c$CONNECTIONS -d$DURATION, $ROUNDS alternating rounds per server (medians), 1,000 upcoming sessions stored, 100 per page (load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-34s %11s %8s %8s %8s %13s %8s %8s %8s %9s\n' "request" "relay req/s" "p99 ms" "CPU us" "API us" \
  "express req/s" "p99 ms" "CPU us" "ratio" "CPU ratio"
for kind in get post; do
  : >"$WORK/relay.$kind"
  : >"$WORK/peer.$kind"
  for _ in $(seq "$ROUNDS"); do
    if [ "$kind" = get ]; then
      measure "$RELAY_PID" "http://127.0.0.1:$RELAY_PORT/api/sessions?upcoming=true" "$TOKEN" >>"$WORK/relay.$kind"
      measure "$PEER_PID" "http://127.0.0.1:$PEER_PORT/api/sessions?upcoming=true" "$PEER_TOKEN" >>"$WORK/peer.$kind"
    else
      measure "$RELAY_PID" "http://127.0.0.1:$RELAY_PORT/api/sessions" "$TOKEN" "$HERE/post.lua" >>"$WORK/relay.$kind"
      measure "$PEER_PID" "http://127.0.0.1:$PEER_PORT/api/sessions" "$PEER_TOKEN" "$HERE/post.lua" >>"$WORK/peer.$kind"
    fi
  done
  [ "$kind" = get ] && label="GET /api/sessions?upcoming=true" || label="POST /api/sessions"
  r_rps=$(column 1 "$WORK/relay.$kind"); r_p99=$(column 2 "$WORK/relay.$kind")
  r_cpu=$(column 3 "$WORK/relay.$kind"); r_main=$(column 4 "$WORK/relay.$kind")
  e_rps=$(column 1 "$WORK/peer.$kind"); e_p99=$(column 2 "$WORK/peer.$kind"); e_cpu=$(column 3 "$WORK/peer.$kind")
  ratio=$(awk -v a="$r_rps" -v b="$e_rps" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }')
  cpu_ratio=$(awk -v a="$r_cpu" -v b="$e_cpu" 'BEGIN { if (a > 0) printf "%.2fx", b / a; else print "n/a" }')
  printf '%-34s %11s %8s %8s %8s %13s %8s %8s %8s %9s\n' "$label" "$r_rps" "$r_p99" "$r_cpu" "$r_main" "$e_rps" "$e_p99" "$e_cpu" "$ratio" "$cpu_ratio"
  echo "  rounds, relay then express req/s: $(paste -d' ' <(awk '{print $1}' "$WORK/relay.$kind") <(awk '{print $1}' "$WORK/peer.$kind") | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
done
echo "CPU us: the server process's CPU time per request; API us: the relay's main thread alone (HTTP, JSON,"
echo "validation, replies), without its store writer thread (the inserts and commits of POST) and its mail worker"
echo "(rendering and writing each invitation, which Express does not do at all; both store it in the create's"
echo "transaction). Both servers run on a database the relay's migrations made. ratio: relay req/s over"
echo "Express's; CPU ratio: Express's CPU per request over the relay's process CPU (target ≥ 5x)"
echo "relay resident memory: $(awk '/VmRSS/ {print $2, $3}' /proc/$RELAY_PID/status)"
