/* ui-bench.h: start-up markers for ./omni bench desktop. Silent unless
 * OMNILIVE_BENCH_FIRST_FRAME is set in the environment. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when OMNILIVE_BENCH_FIRST_FRAME is set. */
gboolean ui_bench_enabled (void);
/* Prints "omnilive-bench: phase NAME REALTIME-US CPU-MS" when enabled. */
void     ui_bench_mark    (const char *phase);
/* Prints the first-frame line, resident memory and CPU time so far. */
void     ui_bench_report_first_frame (void);

G_END_DECLS
