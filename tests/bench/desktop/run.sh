#!/bin/sh
# ./omni bench desktop: cold start to first frame (target < 400 ms), resident
# memory after start (target < 120 MB), and ticket filter/search times over
# 10,000 tickets (target < 30 ms). Needs OMNI_BUILD_DIR (a build with the
# desktop app) and OMNI_SOURCE_DIR.
set -eu
build="${OMNI_BUILD_DIR:?set OMNI_BUILD_DIR}"
source_dir="${OMNI_SOURCE_DIR:?set OMNI_SOURCE_DIR}"
app="$build/desktop/omnilive"
bench="$build/tests/desktop/bench-ticket-store"
schemas="$build/data/desktop"
runs="${OMNI_BENCH_RUNS:-7}"

for f in "$app" "$bench" "$schemas/gschemas.compiled"; do
  [ -e "$f" ] || { echo "missing $f: build the desktop app first (ninja -C $build)" >&2; exit 1; }
done

scratch=$(mktemp -d "${TMPDIR:-/tmp}/omnilive-bench-XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM

echo "== Ticket filter and search over 10,000 tickets (target < 30 ms)"
"$bench"

echo
echo "== Cold start to first frame (target < 400 ms) and memory after start (target < 120 MB)"
mkdir -p "$scratch/data/omnilive"
"$bench" --create "$scratch/data/omnilive/tickets.db"
export XDG_DATA_HOME="$scratch/data" XDG_CONFIG_HOME="$scratch/config" \
       GSETTINGS_SCHEMA_DIR="$schemas" GSETTINGS_BACKEND=memory NO_AT_BRIDGE=1 GTK_A11Y=none \
       OMNILIVE_BENCH_FIRST_FRAME=quit

# Each start is a fresh process in a fresh X server session; the first run
# warms the page cache and is not counted.
cat > "$scratch/start.sh" <<'INNER'
#!/bin/sh
set -eu
app="$1"; runs="$2"; out="$3"
i=0
while [ "$i" -le "$runs" ]; do
  start=$(date +%s%N)
  log=$("$app" --relay-url http://127.0.0.1:9 2>/dev/null)
  frame=$(echo "$log" | sed -n 's/^omnilive-bench: first-frame-realtime-us //p')
  rss=$(echo "$log" | sed -n 's/^omnilive-bench: rss-kb //p')
  cpu=$(echo "$log" | sed -n 's/^omnilive-bench: cpu-ms //p')
  if [ -z "$frame" ]; then echo "no frame reported" >&2; exit 1; fi
  if [ "$i" -gt 0 ]; then
    echo "$(( (frame * 1000 - start) / 1000000 )) $rss $cpu" >> "$out"
  fi
  i=$((i + 1))
done
INNER
chmod +x "$scratch/start.sh"
xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session --config-file="$source_dir/tests/desktop/session-no-services.conf" -- "$scratch/start.sh" "$app" "$runs" "$scratch/starts.txt" 2>/dev/null

sort -n "$scratch/starts.txt" | awk '
  { ms[NR] = $1; if ($2 > maxrss) maxrss = $2 }
  END {
    printf "  cold start to first frame (10,000-ticket database, %d runs): median %d ms, min %d ms, max %d ms\n",
           NR, ms[int((NR + 1) / 2)], ms[1], ms[NR]
    printf "  resident memory at first frame: max %.1f MB\n", maxrss / 1024
  }'
cut -d" " -f3 "$scratch/starts.txt" | sort -n | awk '
  { cpu[NR] = $1 }
  END { printf "  CPU time of all threads until the first frame: median %d ms (less sensitive to load)\n", cpu[int((NR + 1) / 2)] }'
echo "  load average while measuring: $(cut -d" " -f1-3 /proc/loadavg)"
echo "  renderer: ${GSK_RENDERER:-GTK default (GL; llvmpipe software GL under Xvfb)}"
