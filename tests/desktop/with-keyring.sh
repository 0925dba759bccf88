#!/bin/sh
# Runs a test command in a private D-Bus session; with --keyring, an unlocked
# gnome-keyring (Secret Service) runs in it with its own scratch home.
set -u
keyring=0
if [ "${1:-}" = "--keyring" ]; then
  keyring=1
  shift
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/omnilive-keyring-XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
export HOME="$scratch" XDG_DATA_HOME="$scratch/data" XDG_CONFIG_HOME="$scratch/config" \
       XDG_CACHE_HOME="$scratch/cache" XDG_RUNTIME_DIR="$scratch/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
export OMNI_EXPECT_KEYRING=$keyring
# The keyring runs in the foreground under our control so it is stopped by
# its pid when the test ends, and we wait for its bus name, not for time.
if [ "$keyring" = 1 ]; then
  bus_config=""
else
  bus_config="--config-file=$(dirname "$0")/session-no-services.conf"
fi
dbus-run-session $bus_config -- sh -c '
  keyring_pid=
  if [ "$OMNI_EXPECT_KEYRING" = 1 ]; then
    printf omnilive-test | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
    keyring_pid=$!
    gdbus wait --session --timeout 15 org.freedesktop.secrets || { echo "gnome-keyring did not start" >&2; exit 99; }
  fi
  # Own process group, so helpers the test started (the relay) are stopped
  # by group id even if the test aborts before its teardown.
  setsid "$@" &
  test_pid=$!
  wait "$test_pid"
  status=$?
  kill -TERM "-$test_pid" 2>/dev/null
  if [ -n "$keyring_pid" ]; then
    kill "$keyring_pid" 2>/dev/null
    wait "$keyring_pid" 2>/dev/null
  fi
  exit $status
' sh "$@"
