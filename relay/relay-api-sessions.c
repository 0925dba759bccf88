/* relay-api-sessions.c: the hosts' session endpoints under /api/sessions. */
#define G_LOG_DOMAIN "relay-api"

#include "relay-api.h"
#include "relay-mail.h"
#include "relay-password.h"
#include "relay-signal.h"
#include "omni-email.h"
#include "omni-error.h"
#include "omni-json.h"
#include "omni-time.h"
#include "omni-token.h"

#include <string.h>

#define WEEK_MS (7 * 24 * OMNI_MS_PER_HOUR)
#define LIST_DEFAULT_LIMIT 100
#define LIST_MAX_LIMIT 500

void
relay_api_set_session_not_found (GError **error)
{
  omni_error_set_field (error, OMNI_ERROR_NOT_FOUND, NULL, "Session not found");
}

OmniSession *
relay_api_load_owned_session (RelayRequest  *request,
                              GError       **error)
{
  RelayApp *app = relay_request_get_app (request);
  RelayHost *host = relay_request_get_host (request);
  const char *id = relay_request_get_param (request, 0);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(OmniSession) session = NULL;

  session = relay_store_session_get (app->store, id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (session == NULL || (!host->admin && g_strcmp0 (session->host_id, host->id) != 0))
    {
      relay_api_set_session_not_found (error);
      return NULL;
    }
  return g_steal_pointer (&session);
}

void
relay_api_reply_session (RelayRequest      *request,
                         guint              status,
                         const OmniSession *session)
{
  RelayApp *app = relay_request_get_app (request);
  GString *text = g_string_sized_new (1024);
  OmniJsonWriter writer;

  omni_json_writer_init (&writer, text);
  omni_session_write_json (session, &writer, app->public_url, omni_time_now_ms ());
  relay_request_reply_json_text (request, status, text);
}

void
relay_api_reply_stored_session (RelayRequest *request,
                                guint         status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) session = relay_api_load_owned_session (request, &error);

  if (session == NULL)
    relay_request_reply_error (request, error);
  else
    relay_api_reply_session (request, status, session);
}

static void
handle_me (RelayRequest *request)
{
  RelayHost *host = relay_request_get_host (request);
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "_id");
  json_builder_add_string_value (builder, host->id);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, host->name);
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, host->email);
  json_builder_set_member_name (builder, "admin");
  json_builder_add_boolean_value (builder, host->admin);
  json_builder_end_object (builder);
  relay_request_reply_builder (request, 200, builder);
}

/* ---- POST /api/sessions ---- */

/* A create on its way: its password hashed on a worker, then through the
 * store's group commit. */
typedef struct {
  RelayRequest       *request;
  OmniSessionRequest *create;
  GPtrArray          *series;          /* OmniSession, as inserted */
  char               *password_hash;   /* NULL: no password */
  gint64              now;
} CreateWrite;

static void
create_write_free (CreateWrite *write)
{
  relay_request_unref (write->request);
  omni_session_request_free (write->create);
  g_ptr_array_unref (write->series);
  g_free (write->password_hash);
  g_free (write);
}

/* What the outbox triggers (migration 5) write on each invitee's row when
 * the invitation is queued: for a series, the first session's invitation
 * shows on every occurrence. Kept in step with them by
 * /relay/api/create-reply-is-stored. */
static void
note_invitations_queued (GPtrArray *series)
{
  for (guint i = 0; i < series->len; i++)
    {
      OmniSession *s = g_ptr_array_index (series, i);

      for (guint j = 0; j < s->participants->len; j++)
        {
          OmniParticipant *p = g_ptr_array_index (s->participants, j);

          g_free (p->mail_state);
          p->mail_state = g_strdup ("queued");
          g_free (p->mail_kind);
          p->mail_kind = g_strdup (relay_mail_kind_to_string (RELAY_MAIL_INVITATION));
          g_clear_pointer (&p->mail_error, g_free);
          p->mail_attempts = 0;
        }
    }
}

/* The whole series and its invitees land together or not at all. The
 * sessions in write->series end up as the rows hold them. */
static gboolean
write_create (RelayStore *store,
              gpointer    user_data,
              GError    **error)
{
  CreateWrite *write = user_data;
  RelayApp *app = relay_request_get_app (write->request);
  RelayHost *host = relay_request_get_host (write->request);
  g_autoptr(RelayHost) active = NULL;
  g_autoptr(GError) local_error = NULL;

  /* The token was taken from the host cache (RELAY_ROUTE_HOST_CONFIRMED_BY_WRITE):
   * a host revoked or renamed since is seen here, in the create's transaction,
   * and the sessions carry the host as stored. */
  active = relay_store_host_get_active (store, host->id, &local_error);
  if (active == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        relay_http_set_token_refused (error);
      return FALSE;
    }
  relay_request_confirm_host (write->request);
  for (guint i = 0; i < write->series->len; i++)
    {
      OmniSession *s = g_ptr_array_index (write->series, i);

      s->host_name = g_strdup (active->name);
      s->host_email = g_strdup (active->email);
    }

  for (guint i = 0; i < write->series->len; i++)
    if (!relay_store_session_insert (store, g_ptr_array_index (write->series, i), write->password_hash,
                                     write->create->invitees, write->now, error))
      return FALSE;
  /* One invitation per invitee; for a series it covers every occurrence. */
  if (!relay_mail_enqueue (app->mail, relay_store_get_db (store), RELAY_MAIL_INVITATION,
                           g_ptr_array_index (write->series, 0), write->create->invitees,
                           relay_api_mail_included_password (relay_request_get_body (write->request),
                                                             write->create->password),
                           error))
    return FALSE;
  if (app->mail != NULL)
    note_invitations_queued (write->series);
  return TRUE;
}

static void
on_create_written (gpointer      user_data,
                   const GError *write_error)
{
  CreateWrite *write = user_data;
  RelayRequest *request = write->request;
  RelayApp *app = relay_request_get_app (request);
  RelayHost *host = relay_request_get_host (request);
  OmniSession *first;

  if (write_error != NULL)
    {
      relay_request_reply_error (request, write_error);
      return;
    }
  relay_mail_wake (app->mail);

  /* write_create left the sessions as stored, invitees and all: no need
   * to read them back. */
  first = g_ptr_array_index (write->series, 0);

  g_message ("Host %s created session %s (%s, %d occurrence(s), %u invitee(s))",
             host->email, first->title, omni_session_type_to_string (first->type),
             write->create->recurrence_count, write->create->invitees->len);

  if (write->series->len == 1)
    {
      relay_api_reply_session (request, 201, first);
      return;
    }

  /* A series answers with its first session, and all of them in "sessions". */
  {
    GString *text = g_string_sized_new (4096);
    OmniJsonWriter writer;

    omni_json_writer_init (&writer, text);
    omni_session_write_json (first, &writer, app->public_url, write->now);
    g_string_truncate (text, text->len - 1);   /* reopen the object to add "sessions" */
    g_string_append (text, ",\"sessions\":");
    omni_json_writer_init (&writer, text);
    omni_json_writer_begin_array (&writer);
    for (guint i = 0; i < write->series->len; i++)
      omni_session_write_json (g_ptr_array_index (write->series, i), &writer, app->public_url, write->now);
    omni_json_writer_end_array (&writer);
    g_string_append_c (text, '}');
    relay_request_reply_json_text (request, 201, text);
  }
}

/* Takes write. */
static void
finish_create (CreateWrite *write)
{
  RelayApp *app = relay_request_get_app (write->request);
  RelayHost *host = relay_request_get_host (write->request);
  OmniSessionRequest *create = write->create;
  OmniSession *first = create->session;
  g_autofree char *series_id = NULL;

  write->now = omni_time_now_ms ();

  if (create->recurrence_count > 1)
    series_id = relay_store_new_id ();

  for (int i = 0; i < create->recurrence_count; i++)
    {
      OmniSession *s = omni_session_new ();

      s->id = relay_store_new_id ();
      s->host_id = g_strdup (host->id);   /* name and e-mail: write_create, from the host as stored */
      s->title = g_strdup (first->title);
      s->description = g_strdup (first->description);
      s->agenda = g_strdup (first->agenda);
      s->related_ticket = g_strdup (first->related_ticket);
      s->type = first->type;
      s->status = OMNI_SESSION_STATUS_SCHEDULED;
      s->scheduled_start = first->scheduled_start + i * WEEK_MS;
      s->scheduled_end = first->scheduled_end + i * WEEK_MS;
      s->max_participants = first->max_participants;
      s->enable_recording = first->enable_recording;
      s->enable_screen_share = first->enable_screen_share;
      s->enable_chat = first->enable_chat;
      s->waiting_room_enabled = first->waiting_room_enabled;
      s->requires_approval = first->requires_approval;
      s->has_password = write->password_hash != NULL;
      s->allowed_domains = g_strdupv (first->allowed_domains);
      s->access_link = omni_token_new (16);
      s->series_id = g_strdup (series_id);
      s->series_index = i;
      s->series_count = create->recurrence_count;
      g_ptr_array_add (write->series, s);
    }

  /* Creates arriving together share one commit (one WAL write): the reply
   * waits for it, so a 201 still means stored. */
  relay_store_write_batched (app->store, write_create, on_create_written, write,
                             (GDestroyNotify) create_write_free);
}

static void
on_create_password_hashed (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  CreateWrite *write = user_data;
  g_autoptr(GError) error = NULL;

  write->password_hash = relay_password_hash_finish (result, &error);
  if (write->password_hash == NULL)
    {
      relay_request_reply_error (write->request, error);
      create_write_free (write);
      return;
    }
  finish_create (write);
}

static void
handle_create (RelayRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSessionRequest) create = NULL;
  g_autoptr(JsonObject) fields = NULL;
  CreateWrite *write;

  fields = relay_api_mail_session_fields (relay_request_get_body (request), &error);
  if (fields != NULL)
    create = omni_session_request_new_create (fields, omni_time_now_ms (), &error);
  if (create == NULL)
    {
      relay_request_reply_error (request, error);
      return;
    }

  write = g_new0 (CreateWrite, 1);
  write->request = relay_request_ref (request);
  write->create = g_steal_pointer (&create);
  write->series = g_ptr_array_new_with_free_func ((GDestroyNotify) omni_session_free);
  if (write->create->password == NULL)
    finish_create (write);
  else
    relay_password_hash_async (write->create->password, NULL, on_create_password_hashed, write);
}

/* ---- GET /api/sessions ---- */

static gboolean
query_time (RelayRequest  *request,
            const char    *name,
            gint64        *out_ms,
            GError       **error)
{
  const char *value = relay_request_get_query (request, name);
  g_autoptr(GError) local_error = NULL;

  *out_ms = 0;
  if (value == NULL)
    return TRUE;
  if (!omni_time_parse_iso8601 (value, out_ms, &local_error))
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, name, "'%s' %s", name, local_error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
query_int (RelayRequest  *request,
           const char    *name,
           int            min,
           int            max,
           int           *out_value,
           GError       **error)
{
  const char *value = relay_request_get_query (request, name);
  gint64 parsed;

  if (value == NULL)
    return TRUE;
  if (!g_ascii_string_to_signed (value, 10, min, max, &parsed, NULL))
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, name,
                            "'%s' must be a whole number from %d to %d", name, min, max);
      return FALSE;
    }
  *out_value = (int) parsed;
  return TRUE;
}

static void
handle_list (RelayRequest *request)
{
  RelayApp *app = relay_request_get_app (request);
  RelayHost *host = relay_request_get_host (request);
  RelaySessionFilter filter = { 0 };
  const char *upcoming = relay_request_get_query (request, "upcoming");
  const char *status = relay_request_get_query (request, "status");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  GString *text;
  OmniJsonWriter writer;
  char total_text[16];
  int total = 0;

  filter.host_id = host->admin && g_strcmp0 (relay_request_get_query (request, "all"), "true") == 0 ? NULL : host->id;
  filter.status = -1;
  filter.limit = LIST_DEFAULT_LIMIT;
  filter.now_ms = omni_time_now_ms ();

  if (upcoming != NULL && strcmp (upcoming, "true") != 0 && strcmp (upcoming, "false") != 0)
    {
      omni_error_set_field (&error, OMNI_ERROR_INVALID_FIELD, "upcoming", "'upcoming' must be true or false");
      goto failed;
    }
  filter.upcoming = g_strcmp0 (upcoming, "true") == 0;
  if (status != NULL)
    {
      OmniSessionStatus parsed;
      if (!omni_session_status_from_string (status, &parsed))
        {
          omni_error_set_field (&error, OMNI_ERROR_INVALID_FIELD, "status",
                                "'%s' is not a status; use scheduled, live, ended or cancelled", status);
          goto failed;
        }
      filter.status = (int) parsed;
    }
  if (!query_time (request, "from", &filter.from_ms, &error) ||
      !query_time (request, "to", &filter.to_ms, &error) ||
      !query_int (request, "limit", 1, LIST_MAX_LIMIT, &filter.limit, &error) ||
      !query_int (request, "offset", 0, G_MAXINT, &filter.offset, &error))
    goto failed;
  if (filter.from_ms != 0 && filter.to_ms != 0 && filter.to_ms <= filter.from_ms)
    {
      omni_error_set_field (&error, OMNI_ERROR_INVALID_FIELD, "to", "'to' must be after 'from'");
      goto failed;
    }

  sessions = relay_store_session_list (app->store, &filter, &total, &error);
  if (sessions == NULL)
    goto failed;

  text = g_string_sized_new (1024 * (sessions->len + 1));
  omni_json_writer_init (&writer, text);
  omni_json_writer_begin_array (&writer);
  for (guint i = 0; i < sessions->len; i++)
    omni_session_write_json (g_ptr_array_index (sessions, i), &writer, app->public_url, filter.now_ms);
  omni_json_writer_end_array (&writer);

  g_snprintf (total_text, sizeof total_text, "%d", total);
  relay_request_set_header (request, "X-Total-Count", total_text);
  relay_request_reply_json_text (request, 200, text);
  return;

failed:
  relay_request_reply_error (request, error);
}

static void
handle_get (RelayRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) session = relay_api_load_owned_session (request, &error);

  if (session == NULL)
    relay_request_reply_error (request, error);
  else
    relay_api_reply_session (request, 200, session);
}

/* ---- PATCH /api/sessions/:id ---- */

typedef struct {
  RelayRequest       *request;
  OmniSessionRequest *update;
} UpdateJob;

static void
finish_update (RelayRequest       *request,
               OmniSessionRequest *update,
               const char         *password_hash)
{
  RelayApp *app = relay_request_get_app (request);
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) session = relay_api_load_owned_session (request, &error);
  gboolean times_changed;

  if (session == NULL)
    goto failed;
  /* The session may have ended while a password was being hashed. */
  if (session->status == OMNI_SESSION_STATUS_ENDED || session->status == OMNI_SESSION_STATUS_CANCELLED)
    {
      omni_error_set_field (&error, OMNI_ERROR_INVALID_STATE, NULL,
                            "A session that is %s cannot be changed",
                            omni_session_status_to_string (session->status));
      goto failed;
    }

  times_changed = (update->has_start && update->session->scheduled_start != session->scheduled_start) ||
                  (update->has_end && update->session->scheduled_end != session->scheduled_end);
  omni_session_apply_update (session, update);

  if (!relay_store_begin (app->store, &error))
    goto failed;
  if (!relay_store_session_update (app->store, session,
                                   update->has_password ? (password_hash ? password_hash : "") : NULL,
                                   times_changed, omni_time_now_ms (), &error) ||
      (times_changed && !relay_mail_enqueue (app->mail, relay_store_get_db (app->store), RELAY_MAIL_UPDATED,
                                             session, NULL, NULL, &error)))
    {
      relay_store_rollback (app->store);
      goto failed;
    }
  if (!relay_store_commit (app->store, &error))
    goto failed;
  relay_mail_wake (app->mail);

  relay_api_reply_stored_session (request, 200);
  return;

failed:
  relay_request_reply_error (request, error);
}

static void
on_update_password_hashed (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  UpdateJob *job = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = relay_password_hash_finish (result, &error);

  if (hash == NULL)
    relay_request_reply_error (job->request, error);
  else
    finish_update (job->request, job->update, hash);
  relay_request_unref (job->request);
  omni_session_request_free (job->update);
  g_free (job);
}

static void
handle_update (RelayRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) session = relay_api_load_owned_session (request, &error);
  g_autoptr(OmniSessionRequest) update = NULL;
  UpdateJob *job;

  if (session == NULL)
    goto failed;
  if (session->status == OMNI_SESSION_STATUS_ENDED || session->status == OMNI_SESSION_STATUS_CANCELLED)
    {
      omni_error_set_field (&error, OMNI_ERROR_INVALID_STATE, NULL,
                            "A session that is %s cannot be changed",
                            omni_session_status_to_string (session->status));
      goto failed;
    }
  update = omni_session_request_new_update (relay_request_get_body (request), session,
                                            omni_time_now_ms (), &error);
  if (update == NULL)
    goto failed;

  if (!update->has_password || update->password[0] == '\0')
    {
      finish_update (request, update, NULL);
      return;
    }

  job = g_new0 (UpdateJob, 1);
  job->request = relay_request_ref (request);
  job->update = g_steal_pointer (&update);
  relay_password_hash_async (job->update->password, NULL, on_update_password_hashed, job);
  return;

failed:
  relay_request_reply_error (request, error);
}

/* ---- POST /api/sessions/:id/participants ---- */

static const OmniJsonField add_participants_fields[] = {
  { "participants", OMNI_JSON_ARRAY, TRUE, 1, OMNI_SESSION_MAX_INVITEES },
};

static void
handle_add_participants (RelayRequest *request)
{
  RelayApp *app = relay_request_get_app (request);
  JsonObject *body = relay_request_get_body (request);
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) session = NULL;
  g_autoptr(GPtrArray) invitees = NULL;
  g_autoptr(GPtrArray) added = NULL;

  session = relay_api_load_owned_session (request, &error);
  if (session == NULL)
    goto failed;
  if (!omni_json_check_fields (body, add_participants_fields, G_N_ELEMENTS (add_participants_fields), NULL, &error))
    goto failed;
  invitees = omni_invitees_from_json (omni_json_get_array (body, "participants"), "participants", &error);
  if (invitees == NULL)
    goto failed;
  if (session->status == OMNI_SESSION_STATUS_ENDED || session->status == OMNI_SESSION_STATUS_CANCELLED)
    {
      omni_error_set_field (&error, OMNI_ERROR_INVALID_STATE, NULL,
                            "Nobody can be invited to a session that is %s",
                            omni_session_status_to_string (session->status));
      goto failed;
    }
  for (guint i = 0; i < invitees->len; i++)
    {
      OmniInvitee *invitee = g_ptr_array_index (invitees, i);
      if (!omni_email_domain_allowed (invitee->email, (const char * const *) session->allowed_domains))
        {
          g_autofree char *field = g_strdup_printf ("participants[%u].email", i);
          omni_error_set_field (&error, OMNI_ERROR_INVALID_FIELD, field,
                                "'%s' is not in one of the allowed domains", invitee->email);
          goto failed;
        }
    }

  if (!relay_store_begin (app->store, &error))
    goto failed;
  added = relay_store_session_add_invitees (app->store, session->id, invitees, &error);
  if (added == NULL ||
      !relay_mail_enqueue (app->mail, relay_store_get_db (app->store), RELAY_MAIL_INVITATION,
                           session, added, NULL, &error))
    {
      relay_store_rollback (app->store);
      goto failed;
    }
  if (!relay_store_commit (app->store, &error))
    goto failed;
  relay_mail_wake (app->mail);

  relay_api_reply_stored_session (request, added->len > 0 ? 201 : 200);
  return;

failed:
  relay_request_reply_error (request, error);
}

/* ---- start / end / cancel ---- */

static gboolean
check_transition (const OmniSession  *session,
                  OmniSessionStatus   target,
                  gint64              now_ms,
                  GError            **error)
{
  const char *status = omni_session_status_to_string (session->status);

  switch (target)
    {
    case OMNI_SESSION_STATUS_LIVE:
      if (session->status != OMNI_SESSION_STATUS_SCHEDULED)
        {
          omni_error_set_field (error, OMNI_ERROR_INVALID_STATE, NULL,
                                "The session is %s; only a scheduled session can start", status);
          return FALSE;
        }
      if (now_ms < session->scheduled_start - OMNI_SESSION_EARLY_START_MS)
        {
          g_autofree char *can_start = omni_time_format_iso8601 (session->scheduled_start - OMNI_SESSION_EARLY_START_MS);
          omni_error_set_field (error, OMNI_ERROR_TOO_EARLY, NULL,
                                "The session can start from 15 minutes before its start time, at %s", can_start);
          omni_error_set_detail (*error, "canStartAt", can_start);
          return FALSE;
        }
      return TRUE;
    case OMNI_SESSION_STATUS_ENDED:
      if (session->status != OMNI_SESSION_STATUS_LIVE)
        {
          omni_error_set_field (error, OMNI_ERROR_INVALID_STATE, NULL,
                                session->status == OMNI_SESSION_STATUS_SCHEDULED
                                  ? "The session has not started; cancel it instead"
                                  : "The session is %s; only a live session can end", status);
          return FALSE;
        }
      return TRUE;
    case OMNI_SESSION_STATUS_CANCELLED:
      if (session->status != OMNI_SESSION_STATUS_SCHEDULED)
        {
          omni_error_set_field (error, OMNI_ERROR_INVALID_STATE, NULL,
                                "The session is %s; only a scheduled session can be cancelled", status);
          return FALSE;
        }
      return TRUE;
    case OMNI_SESSION_STATUS_SCHEDULED:
    case OMNI_SESSION_N_STATUSES:
    default:
      g_assert_not_reached ();
    }
}

/* The host's start answer carries its TURN credentials, like a guest's join answer. */
static void
reply_started_session (RelayRequest *request)
{
  RelayApp *app = relay_request_get_app (request);
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) session = relay_api_load_owned_session (request, &error);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) extra = NULL;
  JsonObject *object;

  if (session == NULL)
    {
      relay_request_reply_error (request, error);
      return;
    }
  node = omni_session_to_json_node (session, app->public_url, omni_time_now_ms ());
  object = json_node_get_object (node);

  json_builder_begin_object (builder);
  relay_app_add_ice_servers (app, builder, session->host_id);
  json_builder_end_object (builder);
  extra = json_builder_get_root (builder);
  json_object_set_member (object, "iceServers",
                          json_object_dup_member (json_node_get_object (extra), "iceServers"));
  relay_request_reply_node (request, 200, node);
}

static void
transition (RelayRequest      *request,
            OmniSessionStatus  target)
{
  RelayApp *app = relay_request_get_app (request);
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) session = relay_api_load_owned_session (request, &error);
  gint64 now = omni_time_now_ms ();

  if (session == NULL || !check_transition (session, target, now, &error))
    goto failed;

  if (!relay_store_begin (app->store, &error))
    goto failed;
  if (!relay_store_session_set_status (app->store, session->id, target, now, &error) ||
      (target == OMNI_SESSION_STATUS_ENDED &&
       !relay_store_session_close_calls (app->store, session->id, now, &error)) ||
      !relay_mail_enqueue (app->mail, relay_store_get_db (app->store),
                           target == OMNI_SESSION_STATUS_LIVE ? RELAY_MAIL_STARTED
                           : target == OMNI_SESSION_STATUS_ENDED ? RELAY_MAIL_FOLLOW_UP : RELAY_MAIL_CANCELLED,
                           session, NULL, NULL, &error))
    {
      relay_store_rollback (app->store);
      goto failed;
    }
  if (!relay_store_commit (app->store, &error))
    goto failed;
  relay_mail_wake (app->mail);

  g_message ("Session %s is now %s", session->id, omni_session_status_to_string (target));
  /* Waiting join pages hear a start; an ended session's sockets close. */
  relay_signal_session_changed (app->signal, session->id);
  if (target == OMNI_SESSION_STATUS_LIVE && app->turn != NULL)
    reply_started_session (request);
  else
    relay_api_reply_stored_session (request, 200);
  return;

failed:
  relay_request_reply_error (request, error);
}

static void
handle_start (RelayRequest *request)
{
  transition (request, OMNI_SESSION_STATUS_LIVE);
}

static void
handle_end (RelayRequest *request)
{
  transition (request, OMNI_SESSION_STATUS_ENDED);
}

static void
handle_cancel (RelayRequest *request)
{
  transition (request, OMNI_SESSION_STATUS_CANCELLED);
}

static const RelayRoute session_routes[] = {
  { "GET",   "/api/me",                            handle_me,               RELAY_ROUTE_HOST },
  { "GET",   "/api/sessions",                      handle_list,             RELAY_ROUTE_HOST },
  { "POST",  "/api/sessions",                      handle_create,
    RELAY_ROUTE_HOST | RELAY_ROUTE_JSON_BODY | RELAY_ROUTE_HOST_CONFIRMED_BY_WRITE },
  { "GET",   "/api/sessions/:id",                  handle_get,              RELAY_ROUTE_HOST },
  { "PATCH", "/api/sessions/:id",                  handle_update,           RELAY_ROUTE_HOST | RELAY_ROUTE_JSON_BODY },
  { "POST",  "/api/sessions/:id/participants",     handle_add_participants, RELAY_ROUTE_HOST | RELAY_ROUTE_JSON_BODY },
  { "POST",  "/api/sessions/:id/start",            handle_start,            RELAY_ROUTE_HOST | RELAY_ROUTE_OPTIONAL_BODY },
  { "POST",  "/api/sessions/:id/end",              handle_end,              RELAY_ROUTE_HOST | RELAY_ROUTE_OPTIONAL_BODY },
  { "POST",  "/api/sessions/:id/cancel",           handle_cancel,           RELAY_ROUTE_HOST | RELAY_ROUTE_OPTIONAL_BODY },
};

void
relay_api_sessions_register (void)
{
  relay_http_add_routes (session_routes, G_N_ELEMENTS (session_routes));
}
