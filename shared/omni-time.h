/* omni-time.h: ISO-8601 on the wire, milliseconds since the Unix epoch inside. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define OMNI_MS_PER_SECOND  G_GINT64_CONSTANT (1000)
#define OMNI_MS_PER_MINUTE  (60 * OMNI_MS_PER_SECOND)
#define OMNI_MS_PER_HOUR    (60 * OMNI_MS_PER_MINUTE)

/* Parses e.g. "2025-01-25T14:00:00Z" or "2025-01-25T15:00:00.250+01:00".
 * A time zone designator is required: a time without one is ambiguous. */
gboolean  omni_time_parse_iso8601  (const char  *text,
                                    gint64      *out_ms,
                                    GError     **error);

/* Formats as JavaScript's toISOString() does: "2025-01-25T14:00:00.000Z". */
char     *omni_time_format_iso8601 (gint64       ms);

/* Writes the same into buf (at least OMNI_TIME_ISO8601_LEN + 1 bytes). */
#define OMNI_TIME_ISO8601_LEN 24
void      omni_time_format_iso8601_buf (gint64  ms,
                                        char   *buf);

gint64    omni_time_now_ms         (void);

G_END_DECLS
