/* relay-api-join.c: the public join endpoints a guest's browser calls. */
#define G_LOG_DOMAIN "relay-api"

#include "relay-api.h"
#include "relay-password.h"
#include "omni-email.h"
#include "omni-error.h"
#include "omni-json.h"
#include "omni-time.h"
#include "omni-token.h"

#include <string.h>

/* Cancelled sessions answer like unknown links: the guest has nothing to do. */
static OmniSession *
load_by_link (RelayRequest  *request,
              char         **out_password_hash,
              GError       **error)
{
  RelayApp *app = relay_request_get_app (request);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(OmniSession) session = NULL;

  session = relay_store_session_get_by_link (app->store, relay_request_get_param (request, 0),
                                             out_password_hash, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (session == NULL || session->status == OMNI_SESSION_STATUS_CANCELLED)
    {
      relay_api_set_session_not_found (error);
      return NULL;
    }
  return g_steal_pointer (&session);
}

static void
add_member_time (JsonBuilder *builder,
                 const char  *name,
                 gint64       ms)
{
  char buf[OMNI_TIME_ISO8601_LEN + 1];

  omni_time_format_iso8601_buf (ms, buf);
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, buf);
}

static void
handle_join_info (RelayRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) session = load_by_link (request, NULL, &error);
  g_autoptr(JsonBuilder) builder = NULL;

  if (session == NULL)
    {
      relay_request_reply_error (request, error);
      return;
    }

  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, session->title);
  json_builder_set_member_name (builder, "description");
  json_builder_add_string_value (builder, session->description);
  json_builder_set_member_name (builder, "sessionType");
  json_builder_add_string_value (builder, omni_session_type_to_string (session->type));
  json_builder_set_member_name (builder, "hostName");
  json_builder_add_string_value (builder, session->host_name);
  add_member_time (builder, "scheduledStartTime", session->scheduled_start);
  add_member_time (builder, "scheduledEndTime", session->scheduled_end);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, omni_session_status_to_string (session->status));
  json_builder_set_member_name (builder, "needsPassword");
  json_builder_add_boolean_value (builder, session->has_password);
  json_builder_set_member_name (builder, "waitingRoom");
  json_builder_add_boolean_value (builder, omni_session_uses_waiting_room (session));
  json_builder_set_member_name (builder, "enableChat");
  json_builder_add_boolean_value (builder, session->enable_chat);
  json_builder_set_member_name (builder, "enableScreenShare");
  json_builder_add_boolean_value (builder, session->enable_screen_share);
  json_builder_set_member_name (builder, "maxParticipants");
  json_builder_add_int_value (builder, session->max_participants);
  json_builder_end_object (builder);
  relay_request_reply_builder (request, 200, builder);
}

/* The checks of a join that do not need the password, run before and again
 * after the (slow, threaded) password check. */
static gboolean
check_joinable (RelayApp           *app,
                const OmniSession  *session,
                const char         *email,
                GError            **error)
{
  int present;

  if (session->status == OMNI_SESSION_STATUS_ENDED)
    {
      omni_error_set_field (error, OMNI_ERROR_ENDED, NULL, "This session has ended");
      return FALSE;
    }
  if (session->status == OMNI_SESSION_STATUS_SCHEDULED)
    {
      g_autofree char *start = omni_time_format_iso8601 (session->scheduled_start);
      omni_error_set_field (error, OMNI_ERROR_NOT_STARTED, NULL,
                            "This session has not started yet; it is scheduled for %s", start);
      omni_error_set_detail (*error, "scheduledStartTime", start);
      return FALSE;
    }
  if (!omni_email_domain_allowed (email, (const char * const *) session->allowed_domains))
    {
      g_autofree char *domains = g_strjoinv (", ", session->allowed_domains);
      omni_error_set_field (error, OMNI_ERROR_DOMAIN_NOT_ALLOWED, "email",
                            "This session is only open to e-mail addresses of: %s", domains);
      return FALSE;
    }

  /* Someone already in the call (another tab, a reconnect) takes no new seat.
   * Someone the host removed does not come back with a fresh token. */
  for (guint i = 0; i < session->participants->len; i++)
    {
      OmniParticipant *p = g_ptr_array_index (session->participants, i);
      if (g_ascii_strcasecmp (p->email, email) == 0 && g_strcmp0 (p->state, "removed") == 0)
        {
          omni_error_set_field (error, OMNI_ERROR_FORBIDDEN, NULL, "The host removed you from this session");
          return FALSE;
        }
      if (g_ascii_strcasecmp (p->email, email) == 0 &&
          (p->in_call_since != 0 || g_strcmp0 (p->state, "waiting") == 0))
        return TRUE;
    }

  present = relay_store_session_count_guests (app->store, session->id, TRUE, error);
  if (present < 0)
    return FALSE;
  /* maxParticipants counts the host too: a support call of 2 is one guest. */
  if (present + 1 >= session->max_participants)
    {
      omni_error_set_field (error, OMNI_ERROR_FULL, NULL,
                            "This session is full (%d participants)", session->max_participants);
      return FALSE;
    }
  return TRUE;
}

static const OmniJsonField join_fields[] = {
  { "name",     OMNI_JSON_STRING, TRUE,  1, 100 },
  { "email",    OMNI_JSON_STRING, TRUE,  1, OMNI_EMAIL_MAX_LEN },
  { "password", OMNI_JSON_STRING, FALSE, 0, 128 },
};

static void
finish_join (RelayRequest *request)
{
  RelayApp *app = relay_request_get_app (request);
  JsonObject *body = relay_request_get_body (request);
  g_autofree char *email = omni_email_normalize (omni_json_get_string (body, "email"));
  g_autofree char *name = g_strstrip (g_strdup (omni_json_get_string (body, "name")));
  g_autofree char *token = NULL;
  g_autofree char *token_hash = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) session = NULL;
  g_autoptr(OmniParticipant) participant = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  const char *state;

  session = load_by_link (request, NULL, &error);
  if (session == NULL || !check_joinable (app, session, email, &error))
    goto failed;

  state = omni_session_uses_waiting_room (session) ? "waiting" : "admitted";
  token = omni_token_new (32);
  token_hash = omni_token_hash (token);

  if (!relay_store_begin (app->store, &error))
    goto failed;
  participant = relay_store_guest_join (app->store, session->id, email, name, token_hash, state,
                                        omni_time_now_ms (), &error);
  if (participant == NULL)
    {
      relay_store_rollback (app->store);
      goto failed;
    }
  if (!relay_store_commit (app->store, &error))
    goto failed;

  g_message ("Guest %s joined session %s (%s)", participant->id, session->id, state);

  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "participantId");
  json_builder_add_string_value (builder, participant->id);
  json_builder_set_member_name (builder, "sessionId");
  json_builder_add_string_value (builder, session->id);
  json_builder_set_member_name (builder, "guestToken");
  json_builder_add_string_value (builder, token);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, state);
  relay_app_add_ice_servers (app, builder, participant->id);
  json_builder_end_object (builder);
  relay_request_reply_builder (request, 200, builder);
  return;

failed:
  relay_request_reply_error (request, error);
}

static char *
rate_limit_key (RelayRequest *request)
{
  return g_strconcat (relay_request_get_param (request, 0), " ",
                      relay_request_get_client_address (request), NULL);
}

static void
on_join_password_verified (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(RelayRequest) request = user_data;
  RelayApp *app = relay_request_get_app (request);
  g_autoptr(GError) error = NULL;

  if (!relay_password_verify_finish (result, &error))
    {
      g_autofree char *key = rate_limit_key (request);

      if (error == NULL)
        {
          relay_rate_limit_fail (app->password_failures, key, omni_time_now_ms ());
          omni_error_set_field (&error, OMNI_ERROR_WRONG_PASSWORD, "password", "The password is not correct");
        }
      relay_request_reply_error (request, error);
      return;
    }
  finish_join (request);
}

static void
handle_join (RelayRequest *request)
{
  RelayApp *app = relay_request_get_app (request);
  JsonObject *body = relay_request_get_body (request);
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) session = NULL;
  g_autofree char *password_hash = NULL;
  g_autofree char *email = NULL;
  g_autofree char *key = NULL;
  const char *password;
  guint retry_after;

  if (!omni_json_check_fields (body, join_fields, G_N_ELEMENTS (join_fields), NULL, &error))
    goto failed;
  email = omni_email_normalize (omni_json_get_string (body, "email"));
  if (email == NULL)
    {
      omni_error_set_field (&error, OMNI_ERROR_INVALID_FIELD, "email",
                            "'%s' is not a valid e-mail address", omni_json_get_string (body, "email"));
      goto failed;
    }

  session = load_by_link (request, &password_hash, &error);
  if (session == NULL || !check_joinable (app, session, email, &error))
    goto failed;

  if (password_hash == NULL)
    {
      finish_join (request);
      return;
    }

  key = rate_limit_key (request);
  retry_after = relay_rate_limit_check (app->password_failures, key, omni_time_now_ms ());
  if (retry_after > 0)
    {
      omni_error_set_field (&error, OMNI_ERROR_RATE_LIMITED, "password",
                            "Too many wrong passwords; try again in %u seconds", retry_after);
      omni_error_set_retry_after (error, retry_after);
      goto failed;
    }
  password = omni_json_get_string (body, "password");
  if (password == NULL || *password == '\0')
    {
      omni_error_set_field (&error, OMNI_ERROR_WRONG_PASSWORD, "password", "This session needs a password");
      goto failed;
    }

  relay_password_verify_async (password, password_hash, NULL, on_join_password_verified,
                               relay_request_ref (request));
  return;

failed:
  relay_request_reply_error (request, error);
}

static const OmniJsonField leave_fields[] = {
  { "guestToken", OMNI_JSON_STRING, TRUE, 1, 512 },
};

static void
handle_leave (RelayRequest *request)
{
  RelayApp *app = relay_request_get_app (request);
  JsonObject *body = relay_request_get_body (request);
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) session = NULL;
  g_autoptr(OmniParticipant) participant = NULL;
  g_autofree char *token_hash = NULL;
  g_autoptr(JsonBuilder) builder = NULL;

  if (!omni_json_check_fields (body, leave_fields, G_N_ELEMENTS (leave_fields), NULL, &error))
    goto failed;
  session = load_by_link (request, NULL, &error);
  if (session == NULL)
    goto failed;

  token_hash = omni_token_hash (omni_json_get_string (body, "guestToken"));
  participant = relay_store_guest_find (app->store, session->id, token_hash, &error);
  if (participant == NULL)
    {
      if (error == NULL)
        omni_error_set_field (&error, OMNI_ERROR_NOT_FOUND, "guestToken",
                              "This guest token does not belong to this session");
      goto failed;
    }
  if (!relay_store_guest_leave (app->store, session->id, participant->id, omni_time_now_ms (), &error))
    goto failed;

  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "participantId");
  json_builder_add_string_value (builder, participant->id);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, "left");
  json_builder_end_object (builder);
  relay_request_reply_builder (request, 200, builder);
  return;

failed:
  relay_request_reply_error (request, error);
}

static const RelayRoute join_routes[] = {
  { "GET",  "/api/join/:link",       handle_join_info, RELAY_ROUTE_PUBLIC },
  { "POST", "/api/join/:link",       handle_join,      RELAY_ROUTE_JSON_BODY },
  { "POST", "/api/join/:link/leave", handle_leave,     RELAY_ROUTE_JSON_BODY },
};

void
relay_api_join_register (void)
{
  relay_http_add_routes (join_routes, G_N_ELEMENTS (join_routes));
}
