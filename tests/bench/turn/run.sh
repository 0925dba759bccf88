#!/bin/sh
# TURN benchmark: OmniLive's TURN server side by side with coturn, same secret, same load,
# loopback only.  Called by `./omni bench turn` with OMNI_BUILD_DIR (absolute meson build
# dir) and OMNI_SOURCE_DIR.  Prints figures and ratios; never fails on timing.
#   efficiency: server CPU time (utime+stime from /proc/PID/stat) per relayed message under
#               the same paced turnutils_uclient load
#   capacity:   highest ChannelData rate each server relays with < 0.1 % loss, found by
#               tests/bench/turn/turn-load.c (64 allocations, 200-byte packets)
set -eu

BUILD=${OMNI_BUILD_DIR:?set OMNI_BUILD_DIR to the meson build directory}
BIN="$BUILD/tests/turn"
ALLOCS=${TURN_BENCH_ALLOCS:-64}
SIZE=${TURN_BENCH_SIZE:-200}
STEP=${TURN_BENCH_STEP_SECONDS:-2}
UCLIENT_N=${TURN_BENCH_UCLIENT_MESSAGES:-2000}
ROUNDS=${TURN_BENCH_ROUNDS:-2}
THREADS=${TURN_BENCH_THREADS:-0}
# Everything of the benchmark (both servers, loads, peers) runs at the same raised priority
# so that other work on the machine disturbs the comparison less; no-op without root.
NICE="nice -n -10"
$NICE true 2>/dev/null || NICE=""

for tool in turnserver turnutils_uclient turnutils_peer; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "turn bench: $tool not found (apt-get install coturn)"; exit 0
  fi
done
for prog in turn-bench-server turn-load; do
  if [ ! -x "$BIN/$prog" ]; then
    echo "turn bench: $BIN/$prog missing (ninja -C $BUILD)"; exit 1
  fi
done

TMP=$(mktemp -d /tmp/turn-bench.XXXXXX)
PIDS=""
cleanup() {
  for pid in $PIDS; do kill "$pid" 2>/dev/null || true; done
  for pid in $PIDS; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
CLK_TCK=$(getconf CLK_TCK)
free_port() { "$BIN/turn-load" free-port; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# Waits (up to 10 s) until a STUN Binding on 127.0.0.1:$1 is answered.
wait_stun() {
  i=0
  while [ $i -lt 100 ]; do
    if timeout 1 turnutils_stunclient -p "$1" 127.0.0.1 >/dev/null 2>&1; then return 0; fi
    i=$((i + 1)); sleep 0.1
  done
  echo "turn bench: server on port $1 did not answer" >&2; return 1
}

start_peer() {
  PEER_PORT=$(free_port)
  $NICE turnutils_peer -L 127.0.0.1 -p "$PEER_PORT" >/dev/null 2>&1 &
  PEER_PID=$!; PIDS="$PIDS $PEER_PID"
}

start_ours() {
  printf '%s\n' "$SECRET" > "$TMP/secret"
  cat > "$TMP/omni.ini" <<INI
[turn]
listen=127.0.0.1:0
secret_file=$TMP/secret
realm=bench
relay_ports=50000-54999
allowed_peers=127.0.0.1
user_quota=0
threads=$THREADS
INI
  $NICE "$BIN/turn-bench-server" "$TMP/omni.ini" "$TMP" > "$TMP/omni.out" 2>&1 &
  SERVER_PID=$!; PIDS="$PIDS $SERVER_PID"
  i=0
  while ! grep -q '^port ' "$TMP/omni.out" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 100 ] || { cat "$TMP/omni.out" >&2; return 1; }; sleep 0.05
  done
  SERVER_PORT=$(awk '/^port /{ print $2 }' "$TMP/omni.out")
  wait_stun "$SERVER_PORT"
}

start_coturn() {
  SERVER_PORT=$(free_port)
  $NICE turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port="$SERVER_PORT" \
    --use-auth-secret --static-auth-secret="$SECRET" --realm=bench --no-tls --no-dtls --no-cli \
    --allow-loopback-peers --fingerprint --min-port=55000 --max-port=59999 \
    --log-file=stdout --simple-log > "$TMP/coturn.out" 2>&1 &
  SERVER_PID=$!; PIDS="$PIDS $SERVER_PID"
  wait_stun "$SERVER_PORT"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

# efficiency NAME: runs the paced uclient load, prints "NAME us_per_msg msgs lost"
efficiency() {
  before=$(cpu_ticks "$SERVER_PID")
  $NICE turnutils_uclient -W "$SECRET" -u loaduser -e 127.0.0.1 -r "$PEER_PORT" -p "$SERVER_PORT" \
    -n "$UCLIENT_N" -m 20 -l 170 -z 1 -X -c 127.0.0.1 > "$TMP/uclient-$1.out" 2>&1 || true
  after=$(cpu_ticks "$SERVER_PID")
  sent=$(grep -o 'tot_send_msgs=[0-9]*' "$TMP/uclient-$1.out" | tail -1 | cut -d= -f2)
  recv=$(grep -o 'tot_recv_msgs=[0-9]*' "$TMP/uclient-$1.out" | tail -1 | cut -d= -f2)
  lost=$(grep -o 'Total lost packets [0-9]*' "$TMP/uclient-$1.out" | tail -1 | awk '{ print $4 }')
  # every message is relayed twice: client -> peer and peer -> client
  awk -v t="$((after - before))" -v hz="$CLK_TCK" -v s="${sent:-0}" -v r="${recv:-0}" -v l="${lost:-?}" -v n="$1" \
    'BEGIN { m = s + r; printf "%s %.3f %d %s %.2f\n", n, (m > 0 ? t * 1e6 / hz / m : 0), m, l, t / hz }'
}

capacity() {
  $NICE "$BIN/turn-load" search "127.0.0.1:$SERVER_PORT" "$SECRET" "$ALLOCS" "$SIZE" "$STEP" > "$TMP/load-$1.out" 2>&1 || true
  sed 's/^/    /' "$TMP/load-$1.out" >&2
  awk '/^capacity/ { print $2 }' "$TMP/load-$1.out"
}

echo "TURN benchmark on loopback ($(nproc) cores), coturn $(turnserver --version 2>/dev/null | head -1)"
start_peer

# efficiency_of NAME: starts that server, runs the paced uclient load, stops it
efficiency_of() {
  "start_$1" || { echo "turn bench: $1 did not start" >&2; echo "$1 0 0 ? 0"; return 0; }
  echo "$1: efficiency (uclient -n $UCLIENT_N -m 20 -l 170 -z 1, channels)" >&2
  efficiency "$1"
  stop_server
}

# capacity_of NAME: starts that server, searches its capacity, stops it; prints
# "CAPACITY THREADS"
capacity_of() {
  "start_$1" || { echo "turn bench: $1 did not start" >&2; echo "0 0"; return 0; }
  echo "$1: capacity search" >&2
  cap=$(capacity "$1")
  threads=$(ls "/proc/$SERVER_PID/task" | wc -l)
  stop_server
  echo "${cap:-0} $threads"
}

# Not in $(...): the servers must stay children of this shell, so the trap can stop them.
# Capacity rounds alternate between the servers and the best of each counts, so a burst of
# unrelated load on the machine does not decide the ratio.
efficiency_of ours > "$TMP/ours.eff"
efficiency_of coturn > "$TMP/coturn.eff"
: > "$TMP/ours.cap"; : > "$TMP/coturn.cap"
round=1
while [ $round -le "$ROUNDS" ]; do
  capacity_of ours >> "$TMP/ours.cap"
  capacity_of coturn >> "$TMP/coturn.cap"
  round=$((round + 1))
done
best() { sort -n -r "$1" | head -1; }
OURS="$(cat "$TMP/ours.eff") $(best "$TMP/ours.cap")"
COTURN="$(cat "$TMP/coturn.eff") $(best "$TMP/coturn.cap")"
echo "capacity rounds: omnilive $(cut -d' ' -f1 "$TMP/ours.cap" | tr '\n' ' ')/ coturn $(cut -d' ' -f1 "$TMP/coturn.cap" | tr '\n' ' ')"

# fields: name us/msg msgs lost cpu_s capacity threads, for omnilive then coturn
echo "$OURS $COTURN" | awk '{
  printf "efficiency (server CPU per relayed message, lower is better)\n"
  printf "  omnilive  %8.3f us/msg  (%d msgs, lost %s, CPU %.2f s, %d threads)\n", $2, $3, $4, $5, $7
  printf "  coturn    %8.3f us/msg  (%d msgs, lost %s, CPU %.2f s, %d threads)\n", $9, $10, $11, $12, $14
  if ($2 > 0) printf "  ratio coturn/omnilive CPU per message: %.2fx (target >= 1.0)\n", $9 / $2
  printf "capacity (ChannelData round trips/s held with < 0.1%% loss, best of the rounds; each is relayed twice)\n"
  printf "  omnilive  %10.0f /s\n", $6
  printf "  coturn    %10.0f /s\n", $13
  if ($13 > 0) printf "  ratio omnilive/coturn: %.2fx (target >= 1.2)\n", $6 / $13
}'
