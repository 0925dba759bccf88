/* relay-mail-ics.c: the RFC 5545 VCALENDAR of invitations, updates and
 * cancellations (iTIP REQUEST / CANCEL, RFC 5546), so calendars add, move or
 * remove the event with one click. A weekly series is one event with an RRULE
 * and an override per occurrence, because each occurrence has its own link. */
#define G_LOG_DOMAIN "relay-mail"

#include "relay-mail-message.h"
#include "omni-json.h"
#include "omni-time.h"

#include <string.h>

#define ICS_LINE_OCTETS 75
#define WEEK_MS (7 * 24 * OMNI_MS_PER_HOUR)

char *
relay_mail_ics_format_utc (gint64 ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (ms / 1000);
  return g_date_time_format (dt, "%Y%m%dT%H%M%SZ");
}

/* Appends one content line, folded at 75 octets without splitting a UTF-8
 * character (RFC 5545 §3.1). */
static void
append_line (GString    *out,
             const char *line)
{
  gsize octets = 0;

  for (const char *p = line; *p != '\0'; p = g_utf8_next_char (p))
    {
      gsize len = (gsize) (g_utf8_next_char (p) - p);
      if (octets + len > ICS_LINE_OCTETS)
        {
          g_string_append (out, "\r\n ");
          octets = 1;
        }
      g_string_append_len (out, p, (gssize) len);
      octets += len;
    }
  g_string_append (out, "\r\n");
}

/* TEXT values escape backslash, semicolon, comma and newlines (§3.3.11). */
static char *
escape_text (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text != NULL ? text : ""; *p != '\0'; p++)
    switch (*p)
      {
      case '\\': g_string_append (out, "\\\\"); break;
      case ';':  g_string_append (out, "\\;"); break;
      case ',':  g_string_append (out, "\\,"); break;
      case '\n': g_string_append (out, "\\n"); break;
      case '\r': break;
      default:
        if ((guchar) *p >= 0x20 && *p != 0x7f)
          g_string_append_c (out, *p);
        break;
      }
  return g_string_free (out, FALSE);
}

/* Parameter values are quoted and may not hold DQUOTE or controls (§3.2). */
static char *
param_value (const char *text)
{
  GString *out = g_string_new ("\"");

  for (const char *p = text != NULL ? text : ""; *p != '\0'; p++)
    if (*p != '"' && (guchar) *p >= 0x20 && *p != 0x7f)
      g_string_append_c (out, *p);
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

static void
append_property (GString    *out,
                 const char *name,
                 const char *value)
{
  g_autofree char *line = g_strdup_printf ("%s:%s", name, value);
  append_line (out, line);
}

static void
append_text_property (GString    *out,
                      const char *name,
                      const char *value)
{
  g_autofree char *escaped = escape_text (value);
  append_property (out, name, escaped);
}

static void
append_time_property (GString    *out,
                      const char *name,
                      gint64      ms)
{
  g_autofree char *value = relay_mail_ics_format_utc (ms);
  append_property (out, name, value);
}

static void
append_person (GString    *out,
               const char *property,
               const char *extra_params,
               const char *name,
               const char *email)
{
  g_autofree char *cn = param_value (name);
  g_autofree char *line = g_strdup_printf ("%s;CN=%s%s:mailto:%s", property, cn, extra_params, email);
  append_line (out, line);
}

typedef struct {
  gint64      start;
  gint64      end;
  gint64      recurrence_id;
  int         sequence;
  const char *join_url;
} Occurrence;

static char *
build_description (JsonObject *payload,
                   const char *join_url)
{
  GString *text = g_string_new (NULL);
  const char *description = omni_json_get_string (payload, "description");
  const char *agenda = omni_json_get_string (payload, "agenda");

  if (description != NULL && description[0] != '\0')
    g_string_append_printf (text, "%s\n\n", description);
  if (agenda != NULL && agenda[0] != '\0')
    g_string_append_printf (text, "Agenda:\n%s\n\n", agenda);
  g_string_append_printf (text, "Join: %s", join_url != NULL ? join_url : "");
  return g_string_free (text, FALSE);
}

static void
append_event (GString          *out,
              JsonObject       *payload,
              const char       *method,
              const Occurrence *occurrence,
              gboolean          with_recurrence_id,
              int               weekly_count,
              GArray           *exdates,
              gint64            now_ms)
{
  gboolean cancel = g_strcmp0 (method, "CANCEL") == 0;
  g_autofree char *sequence = g_strdup_printf ("%d", occurrence->sequence);
  g_autofree char *description = build_description (payload, occurrence->join_url);

  append_line (out, "BEGIN:VEVENT");
  append_text_property (out, "UID", omni_json_get_string (payload, "uid"));
  if (with_recurrence_id)
    append_time_property (out, "RECURRENCE-ID", occurrence->recurrence_id);
  append_property (out, "SEQUENCE", sequence);
  append_time_property (out, "DTSTAMP", now_ms);
  append_time_property (out, "DTSTART", occurrence->start);
  append_time_property (out, "DTEND", occurrence->end);
  if (weekly_count > 1)
    {
      g_autofree char *rrule = g_strdup_printf ("FREQ=WEEKLY;COUNT=%d", weekly_count);
      append_property (out, "RRULE", rrule);
      for (guint i = 0; exdates != NULL && i < exdates->len; i++)
        append_time_property (out, "EXDATE", g_array_index (exdates, gint64, i));
    }
  append_text_property (out, "SUMMARY", omni_json_get_string (payload, "title"));
  append_text_property (out, "DESCRIPTION", description);
  append_text_property (out, "LOCATION", occurrence->join_url);
  append_property (out, "URL", occurrence->join_url);
  append_person (out, "ORGANIZER", "", omni_json_get_string (payload, "hostName"),
                 omni_json_get_string (payload, "hostEmail"));
  append_person (out, "ATTENDEE", ";CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE",
                 omni_json_get_string (payload, "recipientName"),
                 omni_json_get_string (payload, "recipientEmail"));
  append_property (out, "STATUS", cancel ? "CANCELLED" : "CONFIRMED");
  append_property (out, "TRANSP", "OPAQUE");
  append_line (out, "END:VEVENT");
}

static Occurrence
occurrence_from_json (JsonObject *object)
{
  Occurrence o = {
    .start = omni_json_get_integer (object, "start", 0),
    .end = omni_json_get_integer (object, "end", 0),
    .recurrence_id = omni_json_get_integer (object, "recurrenceId", 0),
    .sequence = (int) omni_json_get_integer (object, "sequence", 0),
    .join_url = omni_json_get_string (object, "joinUrl"),
  };
  return o;
}

/* A series invitation: the master event repeats weekly from the first slot;
 * slots the invitee is not part of become EXDATEs, every other occurrence an
 * override carrying its own link. FALSE when the slots are not weekly. */
static gboolean
append_series (GString    *out,
               JsonObject *payload,
               const char *method,
               JsonArray  *occurrences,
               gint64      now_ms)
{
  guint n = json_array_get_length (occurrences);
  Occurrence first = occurrence_from_json (json_array_get_object_element (occurrences, 0));
  Occurrence last = occurrence_from_json (json_array_get_object_element (occurrences, n - 1));
  g_autoptr(GArray) exdates = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 span = last.recurrence_id - first.recurrence_id;
  int count;
  guint next = 0;

  if (first.recurrence_id == 0 || span <= 0 || span % WEEK_MS != 0 || span / WEEK_MS >= 520)
    return FALSE;
  count = (int) (span / WEEK_MS) + 1;

  for (int slot = 0; slot < count; slot++)
    {
      gint64 slot_ms = first.recurrence_id + slot * WEEK_MS;
      Occurrence o = next < n ? occurrence_from_json (json_array_get_object_element (occurrences, next))
                              : (Occurrence) { 0 };
      if (next < n && o.recurrence_id == slot_ms)
        next++;
      else
        g_array_append_val (exdates, slot_ms);
    }
  if (next != n)
    return FALSE;

  /* The master's own DTSTART is the first slot, so it never needs EXDATE 0. */
  append_event (out, payload, method, &first, FALSE, count, exdates, now_ms);
  for (guint i = 1; i < n; i++)
    {
      Occurrence o = occurrence_from_json (json_array_get_object_element (occurrences, i));
      append_event (out, payload, method, &o, TRUE, 0, NULL, now_ms);
    }
  return TRUE;
}

char *
relay_mail_ics_build (JsonObject *payload,
                      const char *method,
                      gint64      now_ms)
{
  g_autoptr(GString) out = g_string_sized_new (2048);
  JsonArray *occurrences = omni_json_get_array (payload, "occurrences");
  Occurrence single = occurrence_from_json (payload);

  append_line (out, "BEGIN:VCALENDAR");
  append_property (out, "PRODID", "-//OmniLive//OmniLive Relay//EN");
  append_property (out, "VERSION", "2.0");
  append_property (out, "CALSCALE", "GREGORIAN");
  append_property (out, "METHOD", method);

  if (occurrences == NULL || json_array_get_length (occurrences) < 2 ||
      !append_series (out, payload, method, occurrences, now_ms))
    append_event (out, payload, method, &single, single.recurrence_id != 0, 0, NULL, now_ms);

  append_line (out, "END:VCALENDAR");
  return g_string_free (g_steal_pointer (&out), FALSE);
}
