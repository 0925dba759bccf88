#!/usr/bin/env bash
# ./omni bench media: join-to-first-frame (median/max over 10 joins) and the
# host's cost per guest at 720p30 (0 to 16 guests), with the headless host
# (the real engine) and Debian chromium guests on loopback. The work is in
# tests/media/bench.mjs (it shares the e2e test's harness).
set -euo pipefail
: "${OMNI_BUILD_DIR:?}" "${OMNI_SOURCE_DIR:?}"
MEDIA="$OMNI_SOURCE_DIR/tests/media"
if [ ! -d "$MEDIA/node_modules/playwright-core" ]; then
  (cd "$MEDIA" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
if [ ! -x "$OMNI_BUILD_DIR/desktop/engine/media/omnilive-headless" ]; then
  echo "bench media: $OMNI_BUILD_DIR/desktop/engine/media/omnilive-headless is not built (the desktop part of the build is off?)" >&2
  exit 1
fi
exec node "$MEDIA/bench.mjs"
