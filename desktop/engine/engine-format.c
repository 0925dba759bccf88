/* engine-format.c: GDateTime in the local zone with translatable strftime
 * formats, as GNOME apps do, so each language orders day and month its way. */
#define G_LOG_DOMAIN "engine-format"

#include "desktop-config.h"

#include <glib/gi18n.h>

#include "engine-format.h"

static GDateTime *
local_time (gint64 ms)
{
  return g_date_time_new_from_unix_local (ms / 1000);
}

char *
engine_format_date_time (gint64 ms)
{
  g_autoptr(GDateTime) dt = NULL;

  if (ms == 0)
    return g_strdup ("");
  dt = local_time (ms);
  /* Translators: a date and time, see strftime(3); e.g. "Tue, Nov 25, 14:00" */
  return g_date_time_format (dt, _("%a, %b %e, %H:%M"));
}

char *
engine_format_time (gint64 ms)
{
  g_autoptr(GDateTime) dt = local_time (ms);

  /* Translators: a time of day, see strftime(3) */
  return g_date_time_format (dt, _("%H:%M"));
}

char *
engine_format_relative (gint64 ms,
                        gint64 now_ms)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *time = NULL;
  int days;

  if (ms == 0)
    return g_strdup ("");
  dt = local_time (ms);
  now = local_time (now_ms);
  days = g_date_time_get_day_of_year (now) - g_date_time_get_day_of_year (dt);
  if (g_date_time_get_year (dt) != g_date_time_get_year (now) || days < 0 || days > 1)
    return engine_format_date_time (ms);

  time = engine_format_time (ms);
  if (days == 0)
    /* Translators: %s is a time of day */
    return g_strdup_printf (_("Today, %s"), time);
  /* Translators: %s is a time of day */
  return g_strdup_printf (_("Yesterday, %s"), time);
}

char *
engine_format_duration (gint64 seconds)
{
  gint64 hours = seconds / 3600;
  gint64 minutes = (seconds % 3600) / 60;

  if (seconds < 60)
    /* Translators: a duration in seconds */
    return g_strdup_printf (_("%d s"), (int) MAX (seconds, 0));
  if (hours == 0)
    /* Translators: a duration in minutes */
    return g_strdup_printf (_("%d min"), (int) minutes);
  /* Translators: a duration in hours and minutes */
  return g_strdup_printf (_("%d h %d min"), (int) hours, (int) minutes);
}

const char *
engine_format_session_status (OmniSessionStatus status)
{
  switch (status)
    {
    case OMNI_SESSION_STATUS_SCHEDULED: return _("Scheduled");
    case OMNI_SESSION_STATUS_LIVE:      return _("Live");
    case OMNI_SESSION_STATUS_ENDED:     return _("Ended");
    case OMNI_SESSION_STATUS_CANCELLED: return _("Cancelled");
    case OMNI_SESSION_N_STATUSES:
    default:                            return "";
    }
}

const char *
engine_format_session_type (OmniSessionType type)
{
  switch (type)
    {
    case OMNI_SESSION_TYPE_WEBINAR:      return _("Webinar");
    case OMNI_SESSION_TYPE_MEETING:      return _("Meeting");
    case OMNI_SESSION_TYPE_SUPPORT_CALL: return _("Support Call");
    case OMNI_SESSION_TYPE_TRAINING:     return _("Training");
    case OMNI_SESSION_TYPE_CONSULTATION: return _("Consultation");
    case OMNI_SESSION_TYPE_DEMO:         return _("Demo");
    case OMNI_SESSION_N_TYPES:
    default:                             return "";
    }
}

char *
engine_format_analytics (const OmniSession *session)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *total = NULL;
  gboolean first = TRUE;
  gint64 seconds;

  g_return_val_if_fail (session != NULL, NULL);

  seconds = omni_session_total_duration (session, session->actual_end);
  total = engine_format_duration (seconds);
  g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "Peak %d person", "Peak %d people",
                                             session->peak_participants),
                          session->peak_participants);
  g_string_append_printf (text, " · %s", total);

  for (guint i = 0; session->participants != NULL && i < session->participants->len; i++)
    {
      OmniParticipant *p = g_ptr_array_index (session->participants, i);
      g_autofree char *duration = NULL;

      if (p->joined_at == 0)
        continue;
      duration = engine_format_duration (p->duration_ms / 1000);
      g_string_append (text, first ? " · " : ", ");
      g_string_append_printf (text, "%s %s", p->name ? p->name : p->email, duration);
      first = FALSE;
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

char *
engine_format_time_range (gint64 start_ms,
                          gint64 end_ms)
{
  g_autofree char *start = engine_format_date_time (start_ms);
  g_autofree char *end = engine_format_time (end_ms);

  /* Translators: a time range, e.g. "Tue, Nov 25, 14:00 – 15:00" */
  return g_strdup_printf (_("%s – %s"), start, end);
}
