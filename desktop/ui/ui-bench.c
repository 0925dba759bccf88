/* ui-bench.c: start-up markers for ./omni bench desktop: wall-clock time of
 * each start-up phase (the bench script subtracts its own start time), then
 * resident memory and CPU time at the first frame. */
#define G_LOG_DOMAIN "ui-bench"

#include "ui-bench.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static long
read_rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line ? strtol (line + 6, NULL, 10) : -1;
}

/* CPU time of all threads so far: a start-up cost that does not depend on
 * how busy the machine is. */
static long
read_cpu_ms (void)
{
  struct rusage usage;

  if (getrusage (RUSAGE_SELF, &usage) != 0)
    return -1;
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
}

gboolean
ui_bench_enabled (void)
{
  static int enabled = -1;

  if (enabled < 0)
    enabled = g_getenv ("OMNILIVE_BENCH_FIRST_FRAME") != NULL;
  return enabled;
}

void
ui_bench_mark (const char *phase)
{
  if (ui_bench_enabled ())
    g_print ("omnilive-bench: phase %s %" G_GINT64_FORMAT " %ld\n", phase, g_get_real_time (), read_cpu_ms ());
}

void
ui_bench_report_first_frame (void)
{
  g_print ("omnilive-bench: first-frame-realtime-us %" G_GINT64_FORMAT "\n", g_get_real_time ());
  g_print ("omnilive-bench: rss-kb %ld\n", read_rss_kb ());
  g_print ("omnilive-bench: cpu-ms %ld\n", read_cpu_ms ());
}
