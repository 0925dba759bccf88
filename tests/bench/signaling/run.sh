#!/usr/bin/env bash
# ./omni bench signaling: chat fan-out to 100 participants of one session on
# omnilive-relay and on the seed's Socket.IO stack, side by side (bench.mjs).
# Env: OMNI_BUILD_DIR (a build with relay/omnilive-relay), OMNI_SOURCE_DIR.
# BENCH_GUESTS and BENCH_MESSAGES change the size.
set -euo pipefail

SOURCE=${OMNI_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
BUILD=${OMNI_BUILD_DIR:-$SOURCE/build}
PEER=$SOURCE/tests/bench/peers/socketio

if [ ! -x "$BUILD/relay/omnilive-relay" ]; then
  echo "bench signaling: no relay in $BUILD (build first, or set OMNI_BUILD_DIR)" >&2
  exit 1
fi
command -v node >/dev/null || { echo "bench signaling: node is needed" >&2; exit 1; }

# The peer's npm packages (socket.io, its client, ws for the relay's clients).
if [ ! -d "$PEER/node_modules/socket.io" ] || [ ! -d "$PEER/node_modules/ws" ]; then
  echo "bench signaling: npm install in tests/bench/peers/socketio" >&2
  (cd "$PEER" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 ||
                 npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi

OMNI_BUILD_DIR=$BUILD exec node "$SOURCE/tests/bench/signaling/bench.mjs"
