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

/* Civil date from days since 1970-01-01 (Howard Hinnant's algorithm): the
 * API formats thousands of times per request, so no GDateTime per call. */
static void
civil_from_days (gint64  days,
                 int    *year,
                 int    *month,
                 int    *day)
{
  gint64 z = days + 719468;
  gint64 era = (z >= 0 ? z : z - 146096) / 146097;
  gint64 doe = z - era * 146097;
  gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  gint64 mp = (5 * doy + 2) / 153;
  gint64 d = doy - (153 * mp + 2) / 5 + 1;
  gint64 m = mp < 10 ? mp + 3 : mp - 9;

  *year = (int) (yoe + era * 400 + (m <= 2));
  *month = (int) m;
  *day = (int) d;
}

static inline char *
put_digits (char *p,
            int   value,
            int   width)
{
  for (int i = width - 1; i >= 0; i--)
    {
      p[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  return p + width;
}

void
omni_time_format_iso8601_buf (gint64  ms,
                              char   *buf)
{
  gint64 days, rest;
  int year, month, day;
  char *p = buf;

  if (ms < MIN_MS || ms > MAX_MS)
    ms = 0;
  days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  rest = ms - days * 86400000;
  civil_from_days (days, &year, &month, &day);

  p = put_digits (p, year, 4);
  *p++ = '-';
  p = put_digits (p, month, 2);
  *p++ = '-';
  p = put_digits (p, day, 2);
  *p++ = 'T';
  p = put_digits (p, (int) (rest / 3600000), 2);
  *p++ = ':';
  p = put_digits (p, (int) (rest / 60000 % 60), 2);
  *p++ = ':';
  p = put_digits (p, (int) (rest / 1000 % 60), 2);
  *p++ = '.';
  p = put_digits (p, (int) (rest % 1000), 3);
  *p++ = 'Z';
  *p = '\0';
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
