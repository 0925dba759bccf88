#!/bin/sh
# ./omni bench desktop: cold start to first frame (target < 400 ms), resident
# memory at the first frame (target < 120 MB), and ticket filter/search times
# over 10,000 tickets (target < 30 ms). Start-up is measured once per renderer
# (OMNI_BENCH_RENDERERS, default "default gl cairo": the app's own choice,
# then each renderer forced through GSK_RENDERER), each as medians over
# OMNI_BENCH_RUNS fresh processes (default 7) after one uncounted warm-up.
# Needs OMNI_BUILD_DIR (a build with the desktop app) and OMNI_SOURCE_DIR.
set -eu
build="${OMNI_BUILD_DIR:?set OMNI_BUILD_DIR}"
source_dir="${OMNI_SOURCE_DIR:?set OMNI_SOURCE_DIR}"
app="$build/desktop/omnilive"
bench="$build/tests/desktop/bench-ticket-store"
schemas="$build/data/desktop"
runs="${OMNI_BENCH_RUNS:-7}"
renderers="${OMNI_BENCH_RENDERERS:-default gl cairo}"
target_start_ms=400
target_rss_mb=120

for f in "$app" "$bench" "$schemas/gschemas.compiled"; do
  [ -e "$f" ] || { echo "missing $f: build the desktop app first (ninja -C $build)" >&2; exit 1; }
done

scratch=$(mktemp -d "${TMPDIR:-/tmp}/omnilive-bench-XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM

echo "== Ticket filter and search over 10,000 tickets (target < 30 ms each, median of 15)"
echo "   load average before: $(cut -d" " -f1-3 /proc/loadavg) on $(nproc) CPUs"
"$bench"

mkdir -p "$scratch/data/omnilive"
"$bench" --create "$scratch/data/omnilive/tickets.db"
export XDG_DATA_HOME="$scratch/data" XDG_CONFIG_HOME="$scratch/config" \
       GSETTINGS_SCHEMA_DIR="$schemas" GSETTINGS_BACKEND=memory NO_AT_BRIDGE=1 GTK_A11Y=none \
       OMNILIVE_BENCH_FIRST_FRAME=quit

# One fresh process per run inside one X server and D-Bus session; the app
# prints "omnilive-bench: phase NAME REALTIME-US CPU-MS" lines (ui-bench.c),
# turned here into milliseconds since the exec. Run 0 warms the page cache
# and is not counted.
cat > "$scratch/start.sh" <<'INNER'
#!/bin/sh
set -eu
app="$1"; runs="$2"; out="$3"
i=0
while [ "$i" -le "$runs" ]; do
  start=$(( $(date +%s%N) / 1000 ))
  "$app" --relay-url http://127.0.0.1:9 2>/dev/null > "$out.log"
  grep -q '^omnilive-bench: first-frame-realtime-us' "$out.log" || { echo "run $i: no frame reported" >&2; exit 1; }
  if [ "$i" -gt 0 ]; then
    awk -v s="$start" -v i="$i" '
      $2 == "phase" { printf "%d %s %d %d\n", i, $3, ($4 - s) / 1000, $5 }
      $2 == "first-frame-realtime-us" { printf "%d first-frame %d -\n", i, ($3 - s) / 1000 }
      $2 == "rss-kb" { printf "%d rss-kb %d -\n", i, $3 }
      $2 == "cpu-ms" { printf "%d cpu-ms %d -\n", i, $3 }' "$out.log" >> "$out"
  fi
  i=$((i + 1))
done
INNER
chmod +x "$scratch/start.sh"

# median FILE FIELD NAME: the median of column FIELD over the rows named NAME.
median () {
  awk -v n="$3" -v f="$2" '$2 == n { print $f }' "$1" | sort -n |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print v[int((NR + 1) / 2)] }'
}
extreme () {
  awk -v n="$3" '$2 == n { print $3 }' "$1" | sort -n | if [ "$2" = min ]; then head -1; else tail -1; fi
}
verdict () {  # VALUE TARGET
  awk -v v="$1" -v t="$2" 'BEGIN { print (v < t) ? "met" : "NOT met" }'
}

if [ -e /dev/dri/renderD128 ]; then gl_kind="hardware GL if the driver accepts it"
else gl_kind="Mesa llvmpipe, software GL on the CPU (no GPU here)"; fi
if [ -e /dev/dri/renderD128 ]; then default_kind="GL on a GPU unless its driver is a software one"
else default_kind="cairo, as GL here is llvmpipe (ui-renderer.c)"; fi

for renderer in $renderers; do
  out="$scratch/starts-$renderer.txt"
  : > "$out"
  case "$renderer" in
    default) unset GSK_RENDERER; label="the app's choice, what users get ($default_kind)" ;;
    gl) export GSK_RENDERER=gl; label="gl (GSK_RENDERER=gl; $gl_kind)" ;;
    *) export GSK_RENDERER="$renderer"; label="$renderer (GSK_RENDERER=$renderer)" ;;
  esac
  load_before=$(cut -d" " -f1-3 /proc/loadavg)
  xvfb-run -a -s '-screen 0 1280x800x24' \
    dbus-run-session --config-file="$source_dir/tests/desktop/session-no-services.conf" -- \
    "$scratch/start.sh" "$app" "$runs" "$out" 2>/dev/null
  unset GSK_RENDERER

  frame=$(median "$out" 3 first-frame)
  rss_kb=$(median "$out" 3 rss-kb)
  rss_max_kb=$(awk '$2 == "rss-kb" { print $3 }' "$out" | sort -n | tail -1)
  rss=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
  rss_max=$(awk -v k="$rss_max_kb" 'BEGIN { printf "%.1f", k / 1024 }')
  echo
  echo "== Start-up, renderer: $label"
  echo "   10,000-ticket database, Xvfb 1280x800, window 1100x720, $runs runs (medians)"
  printf "   %-44s %6s ms   (min %s, max %s)   target < %d ms: %s\n" "cold start to first frame" \
         "$frame" "$(extreme "$out" min first-frame)" "$(extreme "$out" max first-frame)" \
         "$target_start_ms" "$(verdict "$frame" "$target_start_ms")"
  printf "   %-44s %6s MB   (max %s)           target < %d MB: %s\n" "resident memory at the first frame" \
         "$rss" "$rss_max" "$target_rss_mb" "$(verdict "$rss" "$target_rss_mb")"
  printf "   %-44s %6s ms   (all threads; less sensitive to load)\n" "CPU time until the first frame" \
         "$(median "$out" 3 cpu-ms)"
  printf "   %-44s %6s ms   (the list drawn with its tickets)\n" "cold start to the ticket list shown" \
         "$(median "$out" 3 tickets-shown)"
  echo "   where the time goes (median ms since exec / CPU ms of the process by then):"
  for phase in main gtk-adw-init window-built window-mapped first-frame store-opened tickets-loaded tickets-shown; do
    case "$phase" in
      main) what="exec, dynamic linking, main()" ;;
      gtk-adw-init) what="GTK + libadwaita init (display, GL probe, CSS)" ;;
      window-built) what="window and Tickets page built (templates)" ;;
      window-mapped) what="realized and mapped (renderer, styles, layout)" ;;
      first-frame) what="first frame drawn" ;;
      store-opened) what="ticket database opened (worker thread)" ;;
      tickets-loaded) what="10,000 tickets queried (worker thread)" ;;
      tickets-shown) what="first frame showing the tickets" ;;
    esac
    if [ "$phase" = first-frame ]; then cpu=$(median "$out" 3 cpu-ms); else cpu=$(median "$out" 4 "$phase"); fi
    printf "     %-16s %6s ms  cpu %5s ms   %s\n" "$phase" "$(median "$out" 3 "$phase")" "$cpu" "$what"
  done
  echo "   load average before/after: $load_before / $(cut -d" " -f1-3 /proc/loadavg) on $(nproc) CPUs"
done

echo
echo "Note: under Xvfb the gl renderer runs on llvmpipe (shader compilation with LLVM and"
echo "rasterisation on the CPU); a desktop GPU driver does both differently, so the gl figures"
echo "here are a pessimistic stand-in. GDK probes GL (EGL, then GLX) at start-up with either"
echo "renderer, which maps Mesa and LLVM into the process in the cairo runs too."
