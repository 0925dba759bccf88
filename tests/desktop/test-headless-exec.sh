#!/bin/sh
# test-headless-exec.sh OMNILIVE: `omnilive --headless` reaches the headless
# host (its own option checks answer), and the window app does not link
# GStreamer or libnice (they stay out of its start-up).
set -u
app="$1"
echo "1..2"

out=$("$app" --headless 2>&1); rc=$?
if [ "$rc" -eq 2 ] && echo "$out" | grep -q -- "--relay, --token-file and --host are needed"; then
  echo "ok 1 - omnilive --headless runs the headless host"
else
  echo "not ok 1 - omnilive --headless exited $rc: $out"
fi

needed=$(readelf -d "$app" | grep NEEDED | grep -E 'gst|nice' || true)
if [ -z "$needed" ]; then
  echo "ok 2 - omnilive does not link GStreamer or libnice"
else
  echo "not ok 2 - omnilive links: $needed"
fi
