/* engine-format.h: dates, times and durations for display, in the user's
 * locale and time zone (translators give each language its format). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "Tue, Nov 25, 14:00" (or the locale's form); "" for 0. */
char *engine_format_date_time (gint64 ms);
/* "14:00" */
char *engine_format_time      (gint64 ms);
/* "Today, 14:00" / "Yesterday, 09:10" / a date and time, relative to now_ms. */
char *engine_format_relative  (gint64 ms,
                               gint64 now_ms);
/* "1 h 5 min" / "42 min" / "30 s" */
char *engine_format_duration  (gint64 seconds);

G_END_DECLS

#include "omni-session.h"

G_BEGIN_DECLS

/* "Scheduled", "Live", "Ended", "Cancelled" */
const char *engine_format_session_status (OmniSessionStatus status);
/* "Webinar", "Meeting", "Support Call"… */
const char *engine_format_session_type   (OmniSessionType   type);
/* "Peak 3 people · 52 min · Jane Doe 50 min, …" for an ended session. */
char       *engine_format_analytics      (const OmniSession *session);
/* "Tue, Nov 25, 14:00 – 15:00" */
char       *engine_format_time_range     (gint64 start_ms,
                                          gint64 end_ms);

G_END_DECLS
