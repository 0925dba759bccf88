/* omni-session.c: session model, presets, request validation and JSON codec. */
#define G_LOG_DOMAIN "omni-session"

#include "omni-session.h"
#include "omni-email.h"
#include "omni-error.h"
#include "omni-json.h"
#include "omni-json-writer.h"
#include "omni-time.h"

#include <string.h>

static const OmniSessionPreset presets[OMNI_SESSION_N_TYPES] = {
  { OMNI_SESSION_TYPE_WEBINAR,      "webinar",      100, TRUE,  FALSE, FALSE, TRUE,  TRUE },
  { OMNI_SESSION_TYPE_MEETING,      "meeting",      10,  FALSE, FALSE, FALSE, TRUE,  TRUE },
  { OMNI_SESSION_TYPE_SUPPORT_CALL, "support_call", 2,   FALSE, FALSE, TRUE,  TRUE,  TRUE },
  { OMNI_SESSION_TYPE_TRAINING,     "training",     20,  FALSE, FALSE, FALSE, TRUE,  TRUE },
  { OMNI_SESSION_TYPE_CONSULTATION, "consultation", 5,   TRUE,  TRUE,  FALSE, TRUE,  TRUE },
  { OMNI_SESSION_TYPE_DEMO,         "demo",         10,  FALSE, FALSE, TRUE,  TRUE,  TRUE },
};

static const char * const status_names[OMNI_SESSION_N_STATUSES] = {
  "scheduled", "live", "ended", "cancelled",
};

const OmniSessionPreset *
omni_session_type_get_preset (OmniSessionType type)
{
  g_return_val_if_fail (type < OMNI_SESSION_N_TYPES, NULL);
  return &presets[type];
}

const char *
omni_session_type_to_string (OmniSessionType type)
{
  g_return_val_if_fail (type < OMNI_SESSION_N_TYPES, NULL);
  return presets[type].name;
}

gboolean
omni_session_type_from_string (const char      *text,
                               OmniSessionType *out_type)
{
  for (guint i = 0; i < OMNI_SESSION_N_TYPES; i++)
    if (g_strcmp0 (text, presets[i].name) == 0)
      {
        *out_type = presets[i].type;
        return TRUE;
      }
  return FALSE;
}

const char *
omni_session_status_to_string (OmniSessionStatus status)
{
  g_return_val_if_fail (status < OMNI_SESSION_N_STATUSES, NULL);
  return status_names[status];
}

gboolean
omni_session_status_from_string (const char        *text,
                                 OmniSessionStatus *out_status)
{
  for (guint i = 0; i < OMNI_SESSION_N_STATUSES; i++)
    if (g_strcmp0 (text, status_names[i]) == 0)
      {
        *out_status = (OmniSessionStatus) i;
        return TRUE;
      }
  return FALSE;
}

OmniParticipant *
omni_participant_new (void)
{
  return g_new0 (OmniParticipant, 1);
}

void
omni_participant_free (OmniParticipant *participant)
{
  if (participant == NULL)
    return;
  g_free (participant->id);
  g_free (participant->email);
  g_free (participant->name);
  g_free (participant->state);
  g_free (participant->mail_state);
  g_free (participant->mail_error);
  g_free (participant->mail_kind);
  g_free (participant);
}

OmniSession *
omni_session_new (void)
{
  OmniSession *session = g_new0 (OmniSession, 1);
  session->participants = g_ptr_array_new_with_free_func ((GDestroyNotify) omni_participant_free);
  session->series_count = 1;
  return session;
}

void
omni_session_free (OmniSession *session)
{
  if (session == NULL)
    return;
  g_free (session->id);
  g_free (session->host_id);
  g_free (session->host_name);
  g_free (session->host_email);
  g_free (session->title);
  g_free (session->description);
  g_free (session->agenda);
  g_free (session->related_ticket);
  g_free (session->access_link);
  g_free (session->series_id);
  g_strfreev (session->allowed_domains);
  g_ptr_array_unref (session->participants);
  g_free (session);
}

gint64
omni_session_total_duration (const OmniSession *session,
                             gint64             now_ms)
{
  gint64 end;

  if (session->actual_start == 0)
    return 0;
  end = session->actual_end != 0 ? session->actual_end : now_ms;
  return MAX (0, end - session->actual_start) / 1000;
}

gboolean
omni_session_uses_waiting_room (const OmniSession *session)
{
  return session->waiting_room_enabled || session->requires_approval;
}

static void
add_time (OmniJsonWriter *w,
          const char     *name,
          gint64          ms)
{
  char buf[OMNI_TIME_ISO8601_LEN + 1];

  omni_json_writer_member (w, name);
  if (ms == 0)
    {
      omni_json_writer_null (w);
      return;
    }
  omni_time_format_iso8601_buf (ms, buf);
  omni_json_writer_string (w, buf);
}

static void
write_participant (const OmniParticipant *p,
                   OmniJsonWriter        *w,
                   gint64                 now_ms)
{
  gint64 duration_ms = p->duration_ms;

  /* Someone still in the call has been in it until now. */
  if (p->in_call_since != 0 && now_ms > p->in_call_since)
    duration_ms += now_ms - p->in_call_since;

  omni_json_writer_begin_object (w);
  omni_json_writer_member_string (w, "_id", p->id);
  omni_json_writer_member_string (w, "name", p->name);
  omni_json_writer_member_string (w, "email", p->email);
  omni_json_writer_member_bool (w, "invited", p->invited);
  omni_json_writer_member_string (w, "status", p->state);
  add_time (w, "joinedAt", p->joined_at);
  add_time (w, "leftAt", p->left_at);
  omni_json_writer_member_int (w, "duration", duration_ms / 1000);
  if (p->mail_state != NULL)
    {
      omni_json_writer_member (w, "mail");
      omni_json_writer_begin_object (w);
      omni_json_writer_member_string (w, "state", p->mail_state);
      omni_json_writer_member_string (w, "kind", p->mail_kind);
      omni_json_writer_member_int (w, "attempts", p->mail_attempts);
      omni_json_writer_member_string (w, "lastError", p->mail_error);
      omni_json_writer_end_object (w);
    }
  omni_json_writer_end_object (w);
}

void
omni_session_write_json (const OmniSession *session,
                         OmniJsonWriter    *w,
                         const char        *public_url,
                         gint64             now_ms)
{
  omni_json_writer_begin_object (w);
  omni_json_writer_member_string (w, "_id", session->id);
  omni_json_writer_member_string (w, "title", session->title);
  omni_json_writer_member_string (w, "description", session->description);
  omni_json_writer_member_string (w, "sessionType", omni_session_type_to_string (session->type));
  omni_json_writer_member_string (w, "status", omni_session_status_to_string (session->status));
  add_time (w, "scheduledStartTime", session->scheduled_start);
  add_time (w, "scheduledEndTime", session->scheduled_end);
  add_time (w, "actualStartTime", session->actual_start);
  add_time (w, "actualEndTime", session->actual_end);

  omni_json_writer_member (w, "host");
  omni_json_writer_begin_object (w);
  omni_json_writer_member_string (w, "_id", session->host_id);
  omni_json_writer_member_string (w, "name", session->host_name);
  omni_json_writer_member_string (w, "email", session->host_email);
  omni_json_writer_end_object (w);

  omni_json_writer_member_int (w, "maxParticipants", session->max_participants);
  omni_json_writer_member_bool (w, "enableRecording", session->enable_recording);
  omni_json_writer_member_bool (w, "enableScreenShare", session->enable_screen_share);
  omni_json_writer_member_bool (w, "enableChat", session->enable_chat);
  omni_json_writer_member_bool (w, "waitingRoomEnabled", session->waiting_room_enabled);
  omni_json_writer_member_bool (w, "requiresApproval", session->requires_approval);
  omni_json_writer_member_bool (w, "hasPassword", session->has_password);

  omni_json_writer_member (w, "allowedDomains");
  omni_json_writer_begin_array (w);
  for (guint i = 0; session->allowed_domains != NULL && session->allowed_domains[i] != NULL; i++)
    omni_json_writer_string (w, session->allowed_domains[i]);
  omni_json_writer_end_array (w);

  omni_json_writer_member_string (w, "agenda", session->agenda);
  omni_json_writer_member_string (w, "relatedTicket", session->related_ticket);
  omni_json_writer_member_string (w, "seriesId", session->series_id);
  if (session->series_id != NULL)
    {
      omni_json_writer_member_int (w, "seriesIndex", session->series_index);
      omni_json_writer_member_int (w, "seriesCount", session->series_count);
    }
  omni_json_writer_member_string (w, "accessLink", session->access_link);

  omni_json_writer_member (w, "joinUrl");
  if (public_url != NULL && session->access_link != NULL)
    {
      gsize len = strlen (public_url);
      g_autoptr(GString) url = g_string_sized_new (len + 64);

      if (len > 0 && public_url[len - 1] == '/')
        len--;
      g_string_append_len (url, public_url, (gssize) len);
      g_string_append (url, "/session/join/");
      g_string_append (url, session->access_link);
      omni_json_writer_string (w, url->str);
    }
  else
    omni_json_writer_null (w);

  omni_json_writer_member_int (w, "peakParticipants", session->peak_participants);
  omni_json_writer_member_int (w, "totalDuration", omni_session_total_duration (session, now_ms));

  omni_json_writer_member (w, "participants");
  omni_json_writer_begin_array (w);
  for (guint i = 0; i < session->participants->len; i++)
    write_participant (g_ptr_array_index (session->participants, i), w, now_ms);
  omni_json_writer_end_array (w);

  add_time (w, "createdAt", session->created_at);
  add_time (w, "updatedAt", session->updated_at);
  omni_json_writer_end_object (w);
}

JsonNode *
omni_session_to_json_node (const OmniSession *session,
                           const char        *public_url,
                           gint64             now_ms)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  OmniJsonWriter writer;

  /* One encoder: the tree form parses what the writer wrote. */
  omni_json_writer_init (&writer, out);
  omni_session_write_json (session, &writer, public_url, now_ms);
  if (!json_parser_load_from_data (parser, out->str, (gssize) out->len, NULL))
    g_return_val_if_reached (NULL);
  return json_node_copy (json_parser_get_root (parser));
}

static gboolean
read_time (JsonObject  *object,
           const char  *name,
           gint64      *out_ms,
           GError     **error)
{
  const char *text = omni_json_get_string (object, name);
  g_autoptr(GError) local_error = NULL;

  *out_ms = 0;
  if (text == NULL)
    return TRUE;
  if (!omni_time_parse_iso8601 (text, out_ms, &local_error))
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, name,
                            "'%s' %s", name, local_error->message);
      return FALSE;
    }
  return TRUE;
}

OmniSession *
omni_session_new_from_json (JsonObject  *object,
                            GError     **error)
{
  g_autoptr(OmniSession) session = omni_session_new ();
  JsonArray *array;
  JsonNode *host;

  g_return_val_if_fail (object != NULL, NULL);

  if (omni_json_get_string (object, "_id") == NULL ||
      omni_json_get_string (object, "title") == NULL)
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_JSON, "_id",
                            "The session has no id or title");
      return NULL;
    }

  session->id = g_strdup (omni_json_get_string (object, "_id"));
  session->title = g_strdup (omni_json_get_string (object, "title"));
  session->description = g_strdup (omni_json_get_string (object, "description"));
  session->agenda = g_strdup (omni_json_get_string (object, "agenda"));
  session->related_ticket = g_strdup (omni_json_get_string (object, "relatedTicket"));
  session->access_link = g_strdup (omni_json_get_string (object, "accessLink"));
  session->series_id = g_strdup (omni_json_get_string (object, "seriesId"));
  session->series_index = (int) omni_json_get_integer (object, "seriesIndex", 0);
  session->series_count = (int) omni_json_get_integer (object, "seriesCount", 1);
  if (!omni_session_type_from_string (omni_json_get_string (object, "sessionType"), &session->type) ||
      !omni_session_status_from_string (omni_json_get_string (object, "status"), &session->status))
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, "sessionType",
                            "The session has an unknown type or status");
      return NULL;
    }
  if (!read_time (object, "scheduledStartTime", &session->scheduled_start, error) ||
      !read_time (object, "scheduledEndTime", &session->scheduled_end, error) ||
      !read_time (object, "actualStartTime", &session->actual_start, error) ||
      !read_time (object, "actualEndTime", &session->actual_end, error) ||
      !read_time (object, "createdAt", &session->created_at, error) ||
      !read_time (object, "updatedAt", &session->updated_at, error))
    return NULL;

  host = json_object_get_member (object, "host");
  if (host != NULL && JSON_NODE_HOLDS_OBJECT (host))
    {
      JsonObject *h = json_node_get_object (host);
      session->host_id = g_strdup (omni_json_get_string (h, "_id"));
      session->host_name = g_strdup (omni_json_get_string (h, "name"));
      session->host_email = g_strdup (omni_json_get_string (h, "email"));
    }

  session->max_participants = (int) omni_json_get_integer (object, "maxParticipants", 0);
  session->peak_participants = (int) omni_json_get_integer (object, "peakParticipants", 0);
  session->enable_recording = omni_json_get_boolean (object, "enableRecording", FALSE);
  session->enable_screen_share = omni_json_get_boolean (object, "enableScreenShare", FALSE);
  session->enable_chat = omni_json_get_boolean (object, "enableChat", FALSE);
  session->waiting_room_enabled = omni_json_get_boolean (object, "waitingRoomEnabled", FALSE);
  session->requires_approval = omni_json_get_boolean (object, "requiresApproval", FALSE);
  session->has_password = omni_json_get_boolean (object, "hasPassword", FALSE);

  array = omni_json_get_array (object, "allowedDomains");
  if (array != NULL)
    {
      g_autoptr(GStrvBuilder) domains = g_strv_builder_new ();
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          const char *d = json_array_get_string_element (array, i);
          if (d != NULL)
            g_strv_builder_add (domains, d);
        }
      session->allowed_domains = g_strv_builder_end (domains);
    }

  array = omni_json_get_array (object, "participants");
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *p;
      OmniParticipant *participant;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      p = json_node_get_object (node);
      participant = omni_participant_new ();
      participant->id = g_strdup (omni_json_get_string (p, "_id"));
      participant->email = g_strdup (omni_json_get_string (p, "email"));
      participant->name = g_strdup (omni_json_get_string (p, "name"));
      participant->state = g_strdup (omni_json_get_string (p, "status"));
      participant->invited = omni_json_get_boolean (p, "invited", FALSE);
      participant->duration_ms = omni_json_get_integer (p, "duration", 0) * 1000;
      if (json_object_has_member (p, "mail") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (p, "mail")))
        {
          JsonObject *mail = json_object_get_object_member (p, "mail");
          participant->mail_state = g_strdup (omni_json_get_string (mail, "state"));
          participant->mail_kind = g_strdup (omni_json_get_string (mail, "kind"));
          participant->mail_error = g_strdup (omni_json_get_string (mail, "lastError"));
          participant->mail_attempts = (int) omni_json_get_integer (mail, "attempts", 0);
        }
      g_ptr_array_add (session->participants, participant);
      if (!read_time (p, "joinedAt", &participant->joined_at, error) ||
          !read_time (p, "leftAt", &participant->left_at, error))
        return NULL;
    }

  return g_steal_pointer (&session);
}

void
omni_invitee_free (OmniInvitee *invitee)
{
  if (invitee == NULL)
    return;
  g_free (invitee->email);
  g_free (invitee->name);
  g_free (invitee);
}

void
omni_session_request_free (OmniSessionRequest *request)
{
  if (request == NULL)
    return;
  g_clear_pointer (&request->session, omni_session_free);
  if (request->password != NULL)
    {
      memset (request->password, 0, strlen (request->password));
      g_free (request->password);
    }
  g_clear_pointer (&request->invitees, g_ptr_array_unref);
  g_free (request);
}

static const OmniJsonField invitee_fields[] = {
  { "email", OMNI_JSON_STRING, TRUE,  1, OMNI_EMAIL_MAX_LEN },
  { "name",  OMNI_JSON_STRING, FALSE, 0, 100 },
};

GPtrArray *
omni_invitees_from_json (JsonArray   *array,
                         const char  *field,
                         GError     **error)
{
  g_autoptr(GPtrArray) invitees = g_ptr_array_new_with_free_func ((GDestroyNotify) omni_invitee_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n = json_array_get_length (array);

  if (n > OMNI_SESSION_MAX_INVITEES)
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, field,
                            "'%s' can list at most %d people", field, OMNI_SESSION_MAX_INVITEES);
      return NULL;
    }

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autofree char *prefix = g_strdup_printf ("%s[%u].", field, i);
      g_autofree char *email_field = g_strdup_printf ("%s[%u].email", field, i);
      OmniInvitee *invitee;
      JsonObject *object;
      const char *name;
      char *email;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_autofree char *item = g_strdup_printf ("%s[%u]", field, i);
          omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, item,
                                "'%s' must be an object with email and name", item);
          return NULL;
        }
      object = json_node_get_object (node);
      if (!omni_json_check_fields (object, invitee_fields, G_N_ELEMENTS (invitee_fields), prefix, error))
        return NULL;

      email = omni_email_normalize (omni_json_get_string (object, "email"));
      if (email == NULL)
        {
          omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, email_field,
                                "'%s' is not a valid e-mail address", omni_json_get_string (object, "email"));
          return NULL;
        }
      if (!g_hash_table_add (seen, g_ascii_strdown (email, -1)))
        {
          omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, email_field,
                                "'%s' is listed more than once", email);
          g_free (email);
          return NULL;
        }

      invitee = g_new0 (OmniInvitee, 1);
      invitee->email = email;
      name = omni_json_get_string (object, "name");
      if (name != NULL && *name != '\0')
        invitee->name = g_strstrip (g_strdup (name));
      else
        invitee->name = g_strndup (email, (gsize) (strchr (email, '@') - email));
      g_ptr_array_add (invitees, invitee);
    }

  return g_steal_pointer (&invitees);
}

static gboolean
read_allowed_domains (JsonObject   *object,
                      char       ***out_domains,
                      GError      **error)
{
  JsonArray *array = omni_json_get_array (object, "allowedDomains");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autofree char *field = g_strdup_printf ("allowedDomains[%u]", i);
      g_autofree char *domain = NULL;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, field,
                                "'%s' must be a domain name such as example.com", field);
          return FALSE;
        }
      domain = g_ascii_strdown (json_node_get_string (node), -1);
      if (domain[0] == '@')
        memmove (domain, domain + 1, strlen (domain));
      if (!omni_domain_is_valid (domain))
        {
          omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, field,
                                "'%s' is not a domain name such as example.com", json_node_get_string (node));
          return FALSE;
        }
      g_strv_builder_add (builder, domain);
    }

  *out_domains = g_strv_builder_end (builder);
  return TRUE;
}

static const OmniJsonField session_fields[] = {
  { "title",              OMNI_JSON_STRING,  TRUE,  1, 200 },
  { "description",        OMNI_JSON_STRING,  FALSE, 0, 5000 },
  { "sessionType",        OMNI_JSON_STRING,  FALSE, 0, 0 },
  { "scheduledStartTime", OMNI_JSON_STRING,  TRUE,  0, 0 },
  { "scheduledEndTime",   OMNI_JSON_STRING,  FALSE, 0, 0 },
  { "participants",       OMNI_JSON_ARRAY,   FALSE, 0, 0 },
  { "maxParticipants",    OMNI_JSON_INTEGER, FALSE, OMNI_SESSION_MIN_PARTICIPANTS, OMNI_SESSION_MAX_PARTICIPANTS },
  { "enableRecording",    OMNI_JSON_BOOLEAN, FALSE, 0, 0 },
  { "enableScreenShare",  OMNI_JSON_BOOLEAN, FALSE, 0, 0 },
  { "enableChat",         OMNI_JSON_BOOLEAN, FALSE, 0, 0 },
  { "waitingRoomEnabled", OMNI_JSON_BOOLEAN, FALSE, 0, 0 },
  { "requiresApproval",   OMNI_JSON_BOOLEAN, FALSE, 0, 0 },
  { "password",           OMNI_JSON_STRING,  FALSE, 4, 128 },
  { "allowedDomains",     OMNI_JSON_ARRAY,   FALSE, 0, 50 },
  { "agenda",             OMNI_JSON_STRING,  FALSE, 0, 5000 },
  { "relatedTicket",      OMNI_JSON_STRING,  FALSE, 0, 100 },
  { "recurrence",         OMNI_JSON_OBJECT,  FALSE, 0, 0 },
};

static const OmniJsonField recurrence_fields[] = {
  { "frequency", OMNI_JSON_STRING,  TRUE, 1, 20 },
  { "count",     OMNI_JSON_INTEGER, TRUE, 1, OMNI_SESSION_MAX_SERIES },
};

/* The update table: the same fields, none required, no series or invitees,
 * and "" allowed as a password (it removes the password). */
static const OmniJsonField *
get_update_fields (guint *out_n)
{
  static OmniJsonField fields[G_N_ELEMENTS (session_fields)];
  static guint n_fields;
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      for (guint i = 0; i < G_N_ELEMENTS (session_fields); i++)
        {
          OmniJsonField field = session_fields[i];

          if (field.type == OMNI_JSON_ARRAY && strcmp (field.name, "participants") == 0)
            continue;
          if (field.type == OMNI_JSON_OBJECT)
            continue;
          field.required = FALSE;
          if (strcmp (field.name, "password") == 0)
            field.min = 0;
          fields[n_fields++] = field;
        }
      g_once_init_leave (&once, 1);
    }
  *out_n = n_fields;
  return fields;
}

static char *
dup_trimmed (const char *text)
{
  return text != NULL ? g_strstrip (g_strdup (text)) : NULL;
}

/* Reads the fields shared by create and update into request->session and
 * sets the has_* flags for those present. */
static gboolean
read_common_fields (JsonObject          *object,
                    OmniSessionRequest  *request,
                    GError             **error)
{
  OmniSession *s = request->session;
  const char *type_name = omni_json_get_string (object, "sessionType");
  const char *password = omni_json_get_string (object, "password");

  if (type_name != NULL)
    {
      if (!omni_session_type_from_string (type_name, &s->type))
        {
          omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, "sessionType",
                                "'%s' is not a session type; use webinar, meeting, support_call, training, consultation or demo",
                                type_name);
          return FALSE;
        }
      request->has_type = TRUE;
    }

  if ((request->has_title = omni_json_has (object, "title")))
    s->title = dup_trimmed (omni_json_get_string (object, "title"));
  if ((request->has_description = omni_json_has (object, "description")))
    s->description = g_strdup (omni_json_get_string (object, "description"));
  if ((request->has_agenda = omni_json_has (object, "agenda")))
    s->agenda = g_strdup (omni_json_get_string (object, "agenda"));
  if ((request->has_related_ticket = omni_json_has (object, "relatedTicket")))
    s->related_ticket = dup_trimmed (omni_json_get_string (object, "relatedTicket"));

  if ((request->has_start = omni_json_has (object, "scheduledStartTime")) &&
      !read_time (object, "scheduledStartTime", &s->scheduled_start, error))
    return FALSE;
  if ((request->has_end = omni_json_has (object, "scheduledEndTime")) &&
      !read_time (object, "scheduledEndTime", &s->scheduled_end, error))
    return FALSE;

  if ((request->has_max_participants = omni_json_has (object, "maxParticipants")))
    s->max_participants = (int) omni_json_get_integer (object, "maxParticipants", 0);

#define READ_FLAG(json_name, member) \
  if ((request->has_##member = omni_json_has (object, json_name))) \
    s->member = omni_json_get_boolean (object, json_name, FALSE);
  READ_FLAG ("enableRecording", enable_recording)
  READ_FLAG ("enableScreenShare", enable_screen_share)
  READ_FLAG ("enableChat", enable_chat)
  READ_FLAG ("waitingRoomEnabled", waiting_room_enabled)
  READ_FLAG ("requiresApproval", requires_approval)
#undef READ_FLAG

  if ((request->has_password = (password != NULL)))
    {
      request->password = g_strdup (password);
      s->has_password = password[0] != '\0';
    }

  if ((request->has_allowed_domains = omni_json_has (object, "allowedDomains")) &&
      !read_allowed_domains (object, &s->allowed_domains, error))
    return FALSE;

  return TRUE;
}

static gboolean
check_times (gint64   start,
             gint64   end,
             gint64   now_ms,
             GError **error)
{
  if (end <= start)
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, "scheduledEndTime",
                            "'scheduledEndTime' must be after 'scheduledStartTime'");
      return FALSE;
    }
  if (end - start > OMNI_SESSION_MAX_DURATION_MS)
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, "scheduledEndTime",
                            "A session can last at most 24 hours");
      return FALSE;
    }
  if (end <= now_ms)
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, "scheduledEndTime",
                            "'scheduledEndTime' is in the past");
      return FALSE;
    }
  return TRUE;
}

OmniSessionRequest *
omni_session_request_new_create (JsonObject  *object,
                                 gint64       now_ms,
                                 GError     **error)
{
  g_autoptr(OmniSessionRequest) request = g_new0 (OmniSessionRequest, 1);
  const OmniSessionPreset *preset;
  OmniSession *s;
  JsonArray *participants;
  JsonNode *recurrence;

  g_return_val_if_fail (object != NULL, NULL);

  request->session = s = omni_session_new ();
  request->recurrence_count = 1;
  s->type = OMNI_SESSION_TYPE_MEETING;

  if (!omni_json_check_fields (object, session_fields, G_N_ELEMENTS (session_fields), NULL, error) ||
      !read_common_fields (object, request, error))
    return NULL;

  if (!request->has_end)
    s->scheduled_end = s->scheduled_start + 60 * OMNI_MS_PER_MINUTE;
  if (!check_times (s->scheduled_start, s->scheduled_end, now_ms, error))
    return NULL;

  /* The type's preset fills in what the request leaves out. */
  preset = omni_session_type_get_preset (s->type);
  if (!request->has_max_participants)
    s->max_participants = preset->max_participants;
  if (!request->has_waiting_room_enabled)
    s->waiting_room_enabled = preset->waiting_room_enabled;
  if (!request->has_requires_approval)
    s->requires_approval = preset->requires_approval;
  if (!request->has_enable_recording)
    s->enable_recording = preset->enable_recording;
  if (!request->has_enable_screen_share)
    s->enable_screen_share = preset->enable_screen_share;
  if (!request->has_enable_chat)
    s->enable_chat = preset->enable_chat;
  if (s->allowed_domains == NULL)
    s->allowed_domains = g_new0 (char *, 1);

  participants = omni_json_get_array (object, "participants");
  if (participants != NULL)
    {
      request->invitees = omni_invitees_from_json (participants, "participants", error);
      if (request->invitees == NULL)
        return NULL;
    }
  else
    request->invitees = g_ptr_array_new_with_free_func ((GDestroyNotify) omni_invitee_free);

  for (guint i = 0; i < request->invitees->len; i++)
    {
      OmniInvitee *invitee = g_ptr_array_index (request->invitees, i);
      if (!omni_email_domain_allowed (invitee->email, (const char * const *) s->allowed_domains))
        {
          g_autofree char *field = g_strdup_printf ("participants[%u].email", i);
          omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, field,
                                "'%s' is not in one of the allowed domains", invitee->email);
          return NULL;
        }
    }

  recurrence = json_object_get_member (object, "recurrence");
  if (recurrence != NULL && JSON_NODE_HOLDS_OBJECT (recurrence))
    {
      JsonObject *r = json_node_get_object (recurrence);

      if (!omni_json_check_fields (r, recurrence_fields, G_N_ELEMENTS (recurrence_fields),
                                   "recurrence.", error))
        return NULL;
      if (g_strcmp0 (omni_json_get_string (r, "frequency"), "weekly") != 0)
        {
          omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, "recurrence.frequency",
                                "'recurrence.frequency' must be \"weekly\"");
          return NULL;
        }
      request->recurrence_count = (int) omni_json_get_integer (r, "count", 1);
    }

  return g_steal_pointer (&request);
}

OmniSessionRequest *
omni_session_request_new_update (JsonObject        *object,
                                 const OmniSession *current,
                                 gint64             now_ms,
                                 GError           **error)
{
  g_autoptr(OmniSessionRequest) request = g_new0 (OmniSessionRequest, 1);
  const OmniJsonField *update_fields;
  guint n_update_fields;
  gint64 start, end;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (current != NULL, NULL);

  request->session = omni_session_new ();
  request->recurrence_count = 1;
  update_fields = get_update_fields (&n_update_fields);

  if (!omni_json_check_fields (object, update_fields, n_update_fields, NULL, error) ||
      !read_common_fields (object, request, error))
    return NULL;

  if (json_object_get_size (object) == 0)
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_JSON, NULL,
                            "The update names no field to change");
      return NULL;
    }

  if (request->has_password && request->password[0] != '\0' && g_utf8_strlen (request->password, -1) < 4)
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, "password",
                            "'password' must be at least 4 characters long (or \"\" to remove it)");
      return NULL;
    }

  if (request->has_start || request->has_end)
    {
      if (current->status != OMNI_SESSION_STATUS_SCHEDULED)
        {
          omni_error_set_field (error, OMNI_ERROR_INVALID_STATE,
                                request->has_start ? "scheduledStartTime" : "scheduledEndTime",
                                "The times of a session that is %s cannot change",
                                omni_session_status_to_string (current->status));
          return NULL;
        }
      start = request->has_start ? request->session->scheduled_start : current->scheduled_start;
      end = request->has_end ? request->session->scheduled_end : current->scheduled_end;
      if (!check_times (start, end, now_ms, error))
        return NULL;
    }

  if (request->has_max_participants && request->session->max_participants < current->peak_participants &&
      current->status == OMNI_SESSION_STATUS_LIVE)
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, "maxParticipants",
                            "'maxParticipants' is below the number of people already in the session");
      return NULL;
    }

  return g_steal_pointer (&request);
}

void
omni_session_apply_update (OmniSession              *session,
                           const OmniSessionRequest *update)
{
  const OmniSession *u = update->session;

#define TAKE_STRING(flag, member) \
  if (update->flag) { g_free (session->member); session->member = g_strdup (u->member); }
  TAKE_STRING (has_title, title)
  TAKE_STRING (has_description, description)
  TAKE_STRING (has_agenda, agenda)
  TAKE_STRING (has_related_ticket, related_ticket)
#undef TAKE_STRING
#define TAKE(flag, member) \
  if (update->flag) session->member = u->member;
  TAKE (has_type, type)
  TAKE (has_start, scheduled_start)
  TAKE (has_end, scheduled_end)
  TAKE (has_max_participants, max_participants)
  TAKE (has_enable_recording, enable_recording)
  TAKE (has_enable_screen_share, enable_screen_share)
  TAKE (has_enable_chat, enable_chat)
  TAKE (has_waiting_room_enabled, waiting_room_enabled)
  TAKE (has_requires_approval, requires_approval)
  TAKE (has_password, has_password)
#undef TAKE
  if (update->has_allowed_domains)
    {
      g_strfreev (session->allowed_domains);
      session->allowed_domains = g_strdupv (u->allowed_domains);
    }
}
