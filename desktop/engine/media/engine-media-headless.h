/* engine-media-headless.h: `omnilive --headless …` — the host media engine
 * without a UI, printing one JSON object per event on stdout. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int engine_headless_main (int    argc,
                          char **argv);

G_END_DECLS
