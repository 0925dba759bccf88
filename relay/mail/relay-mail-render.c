/* relay-mail-render.c: turns an outbox row into the message to send: loads the
 * templates (config overrides, installed files, built-in copies), builds the
 * values a template may use from the row's payload, renders subject, text and
 * HTML, and adds the calendar part. */
#define G_LOG_DOMAIN "relay-mail"

#include "relay-mail-private.h"
#include "relay-mail-message.h"
#include "relay-mail-template.h"
#include "relay-mail-templates.h"
#include "omni-error.h"
#include "omni-json.h"
#include "omni-time.h"

#include <gio/gio.h>
#include <string.h>

#define RESOURCE_PREFIX "/org/omnilive/relay/mail/"

static const char * const month_names[] = {
  "January", "February", "March", "April", "May", "June", "July", "August",
  "September", "October", "November", "December",
};

/* What each session type is called in "You're invited to …". */
static const char * const type_phrases[OMNI_SESSION_N_TYPES] = {
  "a webinar", "a meeting", "a support call", "a training session", "a consultation", "a demo",
};

static char *
read_template (const char  *name,
               const char  *const *dirs,
               GError     **error)
{
  g_autofree char *resource = g_strconcat (RESOURCE_PREFIX, name, NULL);
  g_autoptr(GBytes) bytes = NULL;

  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (dirs[i], name, NULL);
      g_autoptr(GError) local_error = NULL;
      char *contents = NULL;
      gsize len;

      if (!g_file_get_contents (path, &contents, &len, &local_error))
        {
          if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            {
              omni_error_set_field (error, OMNI_ERROR_CONFIG, "templates_dir", "Cannot read mail template %s: %s",
                                    path, local_error->message);
              return NULL;
            }
          continue;
        }
      g_debug ("Mail template %s from %s", name, path);
      return contents;
    }

  /* The built-in copy: an uninstalled relay (tests, ./omni run) still mails.
   * Looked up in our own GResource: a static library's constructor that
   * would register it globally is dropped by the linker. */
  bytes = g_resource_lookup_data (relay_mail_templates_get_resource (), resource,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (bytes == NULL)
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, "templates_dir", "Mail template %s is missing", name);
      return NULL;
    }
  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

/* "January 25, 2025 at 10:00 AM CET": English like the templates, in the
 * relay's zone, with the zone named so nobody has to guess. */
static char *
format_when (RelayMail *mail,
             gint64     ms,
             gboolean   date_too)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (ms / 1000);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, mail->timezone);
  const char *abbreviation = g_date_time_get_timezone_abbreviation (local);
  const char *identifier = g_time_zone_get_identifier (mail->timezone);
  int hour = g_date_time_get_hour (local);
  g_autofree char *zone = NULL;
  g_autofree char *time = NULL;

  if (g_strcmp0 (abbreviation, identifier) == 0 || g_strcmp0 (identifier, "UTC") == 0)
    zone = g_strdup (abbreviation);
  else
    zone = g_strdup_printf ("%s (%s)", abbreviation, identifier);

  time = g_strdup_printf ("%d:%02d %s %s", hour % 12 == 0 ? 12 : hour % 12, g_date_time_get_minute (local),
                          hour < 12 ? "AM" : "PM", zone);
  if (!date_too)
    return g_steal_pointer (&time);
  return g_strdup_printf ("%s %d, %d at %s", month_names[g_date_time_get_month (local) - 1],
                          g_date_time_get_day_of_month (local), g_date_time_get_year (local), time);
}

/* Payload members that templates see unchanged. */
static const char * const copied_members[] = {
  "title", "description", "agenda", "joinUrl", "hostName", "hostEmail", "recipientName", "recipientEmail",
  "sessionType",
};

static void
set_string (JsonObject *object,
            const char *name,
            const char *value)
{
  if (value != NULL && value[0] != '\0')
    json_object_set_string_member (object, name, value);
}

/* The values templates may use (see data/mail/README). */
static JsonObject *
build_context (RelayMail  *mail,
               JsonObject *payload,
               gint64      now_ms)
{
  JsonObject *context = json_object_new ();
  gint64 start = omni_json_get_integer (payload, "start", 0);
  gint64 end = omni_json_get_integer (payload, "end", 0);
  JsonArray *occurrences = omni_json_get_array (payload, "occurrences");
  OmniSessionType type = OMNI_SESSION_TYPE_MEETING;
  g_autofree char *when = format_when (mail, start, TRUE);
  g_autofree char *time = format_when (mail, start, FALSE);
  g_autofree char *duration = g_strdup_printf ("%" G_GINT64_FORMAT " minutes", MAX (end - start, 0) / OMNI_MS_PER_MINUTE);
  gint64 minutes_left = (start - now_ms + OMNI_MS_PER_MINUTE / 2) / OMNI_MS_PER_MINUTE;
  const char *password = omni_json_get_string (payload, "password");

  omni_session_type_from_string (omni_json_get_string (payload, "sessionType"), &type);

  for (guint i = 0; i < G_N_ELEMENTS (copied_members); i++)
    set_string (context, copied_members[i], omni_json_get_string (payload, copied_members[i]));
  set_string (context, "typePhrase", type_phrases[type]);
  set_string (context, "when", when);
  set_string (context, "time", time);
  set_string (context, "duration", duration);
  set_string (context, "password", password);
  json_object_set_boolean_member (context, "passwordHint",
                                  omni_json_get_boolean (payload, "hasPassword", FALSE) && password == NULL);
  json_object_set_int_member (context, "minutesLeft", MAX (minutes_left, 0));

  if (occurrences != NULL && json_array_get_length (occurrences) > 1)
    {
      JsonArray *dates = json_array_new ();

      for (guint i = 0; i < json_array_get_length (occurrences); i++)
        {
          JsonObject *occurrence = json_array_get_object_element (occurrences, i);
          JsonObject *date = json_object_new ();
          g_autofree char *occurrence_when = format_when (mail, omni_json_get_integer (occurrence, "start", 0), TRUE);

          set_string (date, "when", occurrence_when);
          set_string (date, "joinUrl", omni_json_get_string (occurrence, "joinUrl"));
          json_array_add_object_element (dates, date);
        }
      json_object_set_array_member (context, "series", dates);
      json_object_set_int_member (context, "seriesCount", json_array_get_length (occurrences));
    }
  return context;
}

static const char *
template_text (RelayMail  *mail,
               const char *kind,
               const char *extension,
               char      **out_name)
{
  *out_name = g_strdup_printf ("%s.%s", kind, extension);
  return g_hash_table_lookup (mail->templates, *out_name);
}

/* A text template starts with "Subject: …" and a blank line. */
static gboolean
split_subject (const char  *rendered,
               char       **out_subject,
               const char **out_body)
{
  const char *line_end;

  if (!g_str_has_prefix (rendered, "Subject:") || (line_end = strchr (rendered, '\n')) == NULL)
    return FALSE;
  *out_subject = g_strstrip (g_strndup (rendered + 8, (gsize) (line_end - rendered - 8)));
  *out_body = line_end + 1;
  while (**out_body == '\n' || **out_body == '\r')
    (*out_body)++;
  return TRUE;
}

static gboolean
render_parts (RelayMail   *mail,
              const char  *kind,
              JsonObject  *context,
              char       **out_subject,
              char       **out_text,
              char       **out_html,
              GError     **error)
{
  g_autofree char *text_name = NULL;
  g_autofree char *html_name = NULL;
  const char *text_template = template_text (mail, kind, "txt", &text_name);
  const char *html_template = template_text (mail, kind, "html", &html_name);
  const char *layout = g_hash_table_lookup (mail->templates, "layout.html");
  g_autofree char *text = NULL;
  g_autofree char *html_body = NULL;
  g_autofree char *subject = NULL;
  const char *body;

  g_assert (text_template != NULL && html_template != NULL && layout != NULL);

  text = relay_mail_template_render (text_template, strlen (text_template), context, RELAY_MAIL_ESCAPE_NONE, error);
  if (text == NULL)
    {
      g_prefix_error (error, "%s: ", text_name);
      return FALSE;
    }
  if (!split_subject (text, &subject, &body))
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, "templates_dir",
                            "Mail template %s must start with a \"Subject: …\" line", text_name);
      return FALSE;
    }
  html_body = relay_mail_template_render (html_template, strlen (html_template), context, RELAY_MAIL_ESCAPE_HTML, error);
  if (html_body == NULL)
    {
      g_prefix_error (error, "%s: ", html_name);
      return FALSE;
    }

  /* The layout puts the already escaped body in with {{{body}}}. */
  json_object_set_string_member (context, "body", html_body);
  json_object_set_string_member (context, "subject", subject);
  *out_html = relay_mail_template_render (layout, strlen (layout), context, RELAY_MAIL_ESCAPE_HTML, error);
  json_object_remove_member (context, "body");
  if (*out_html == NULL)
    {
      g_prefix_error (error, "layout.html: ");
      return FALSE;
    }
  *out_text = g_strdup (body);
  *out_subject = g_steal_pointer (&subject);
  return TRUE;
}

static const char *
calendar_method (RelayMailKind kind)
{
  switch (kind)
    {
    case RELAY_MAIL_INVITATION:
    case RELAY_MAIL_UPDATED:
      return "REQUEST";
    case RELAY_MAIL_CANCELLED:
      return "CANCEL";
    case RELAY_MAIL_STARTED:
    case RELAY_MAIL_REMINDER:
    case RELAY_MAIL_FOLLOW_UP:
    case RELAY_MAIL_N_KINDS:
    default:
      return NULL;
    }
}

char *
relay_mail_render_row (RelayMail          *mail,
                       const RelayMailRow *row,
                       gint64              now_ms,
                       gsize              *out_len,
                       GError            **error)
{
  g_autoptr(JsonObject) payload = NULL;
  g_autoptr(JsonObject) context = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *text = NULL;
  g_autofree char *html = NULL;
  g_autofree char *calendar = NULL;
  RelayMailKind kind;
  RelayMailMessage message = { 0 };
  const char *method;

  payload = omni_json_parse_object (row->payload, strlen (row->payload), G_MAXSIZE, error);
  if (payload == NULL)
    return NULL;
  if (!relay_mail_kind_from_string (row->kind, &kind))
    {
      omni_error_set_field (error, OMNI_ERROR_INTERNAL, NULL, "Unknown mail kind %s", row->kind);
      return NULL;
    }

  context = build_context (mail, payload, now_ms);
  if (!render_parts (mail, row->kind, context, &subject, &text, &html, error))
    return NULL;

  method = calendar_method (kind);
  if (method != NULL)
    calendar = relay_mail_ics_build (payload, method, now_ms);

  message.from_name = mail->smtp.from_name;
  message.from_address = mail->smtp.from_address;
  message.reply_to_name = omni_json_get_string (payload, "hostName");
  message.reply_to_address = omni_json_get_string (payload, "hostEmail");
  message.to_name = row->recipient_name;
  message.to_address = row->recipient_email;
  message.subject = subject;
  message.message_id = row->message_id;
  message.date_ms = now_ms;
  message.text = text;
  message.html = html;
  message.calendar = calendar;
  message.calendar_method = method;
  return relay_mail_message_build (&message, out_len);
}

gboolean
relay_mail_templates_load (RelayMail   *mail,
                           const char  *config_dir,
                           const char  *templates_dir,
                           GError     **error)
{
  g_autoptr(GStrvBuilder) dirs_builder = g_strv_builder_new ();
  g_auto(GStrv) dirs = NULL;
  g_autoptr(JsonObject) sample = json_object_new ();
  g_autoptr(JsonObject) context = NULL;
  g_autofree char *config_templates = config_dir != NULL ? g_build_filename (config_dir, "mail", NULL) : NULL;

  if (templates_dir != NULL)
    g_strv_builder_add (dirs_builder, templates_dir);
  else if (config_templates != NULL)
    g_strv_builder_add (dirs_builder, config_templates);
  g_strv_builder_add (dirs_builder, OMNI_MAIL_TEMPLATES_DIR);
  dirs = g_strv_builder_end (dirs_builder);

  for (guint k = 0; k <= RELAY_MAIL_N_KINDS; k++)
    for (guint e = 0; e < 2; e++)
      {
        g_autofree char *name = k == RELAY_MAIL_N_KINDS
                                ? g_strdup ("layout.html")
                                : g_strdup_printf ("%s.%s", relay_mail_kind_to_string (k), e == 0 ? "txt" : "html");
        char *contents;

        if (g_hash_table_contains (mail->templates, name))
          continue;
        contents = read_template (name, (const char * const *) dirs, error);
        if (contents == NULL)
          return FALSE;
        g_hash_table_insert (mail->templates, g_steal_pointer (&name), contents);
      }

  /* A sample render of every kind, so a broken override is found now. */
  json_object_set_string_member (sample, "title", "Sample");
  json_object_set_string_member (sample, "sessionType", "meeting");
  json_object_set_int_member (sample, "start", 0);
  json_object_set_int_member (sample, "end", OMNI_MS_PER_HOUR);
  context = build_context (mail, sample, 0);
  for (guint k = 0; k < RELAY_MAIL_N_KINDS; k++)
    {
      g_autofree char *subject = NULL;
      g_autofree char *text = NULL;
      g_autofree char *html = NULL;

      if (!render_parts (mail, relay_mail_kind_to_string (k), context, &subject, &text, &html, error))
        return FALSE;
    }
  return TRUE;
}
