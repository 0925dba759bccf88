/* omni-time.c: strict ISO-8601 parsing and JavaScript-compatible formatting. */
#define G_LOG_DOMAIN "omni-time"

#include "omni-time.h"
#include "omni-error.h"

#include <string.h>

/* 0001-01-01 .. 9999-12-31 keeps formatting at a fixed width. */
#define MIN_MS G_GINT64_CONSTANT (-62135596800000)
#define MAX_MS G_GINT64_CONSTANT (253402300799999)

static gboolean
has_zone_designator (const char *text)
{
  const char *t = strchr (text, 'T');
  if (t == NULL)
    t = strchr (text, 't');
  if (t == NULL)
    return FALSE;
  return strpbrk (t, "Zz+-") != NULL;
}

gboolean
omni_time_parse_iso8601 (const char  *text,
                         gint64      *out_ms,
                         GError     **error)
{
  g_autoptr(GDateTime) dt = NULL;
  gint64 ms;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (out_ms != NULL, FALSE);

  if (strlen (text) > 64 || !g_utf8_validate (text, -1, NULL))
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, NULL,
                            "is not an ISO-8601 date and time");
      return FALSE;
    }
  if (!has_zone_designator (text))
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, NULL,
                            "needs a time zone, e.g. 2025-01-25T14:00:00Z");
      return FALSE;
    }

  dt = g_date_time_new_from_iso8601 (text, NULL);
  if (dt == NULL)
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, NULL,
                            "is not an ISO-8601 date and time, e.g. 2025-01-25T14:00:00Z");
      return FALSE;
    }

  ms = g_date_time_to_unix (dt) * OMNI_MS_PER_SECOND +
       g_date_time_get_microsecond (dt) / 1000;
  if (ms < MIN_MS || ms > MAX_MS)
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, NULL,
                            "is out of range");
      return FALSE;
    }

  *out_ms = ms;
  return TRUE;
}

void
omni_time_format_iso8601_buf (gint64  ms,
                              char   *buf)
{
  g_autoptr(GDateTime) dt = NULL;
  gint64 seconds = ms / 1000;
  int millis = (int) (ms % 1000);

  if (millis < 0)
    {
      millis += 1000;
      seconds -= 1;
    }
  dt = g_date_time_new_from_unix_utc (seconds);
  if (dt == NULL)
    {
      g_strlcpy (buf, "1970-01-01T00:00:00.000Z", OMNI_TIME_ISO8601_LEN + 1);
      return;
    }
  g_snprintf (buf, OMNI_TIME_ISO8601_LEN + 1, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
              g_date_time_get_year (dt), g_date_time_get_month (dt),
              g_date_time_get_day_of_month (dt), g_date_time_get_hour (dt),
              g_date_time_get_minute (dt), g_date_time_get_second (dt), millis);
}

char *
omni_time_format_iso8601 (gint64 ms)
{
  char *buf = g_malloc (OMNI_TIME_ISO8601_LEN + 1);
  omni_time_format_iso8601_buf (ms, buf);
  return buf;
}

gint64
omni_time_now_ms (void)
{
  return g_get_real_time () / 1000;
}
