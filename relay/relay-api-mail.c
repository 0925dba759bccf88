/* relay-api-mail.c: the mail endpoints — a host resends a session's mail, an
 * admin reads the outbox — and the mail options of a create request. */
#define G_LOG_DOMAIN "relay-api"

#include "relay-api.h"
#include "relay-mail.h"
#include "omni-error.h"
#include "omni-json.h"

#include <string.h>

#define OUTBOX_DEFAULT_LIMIT 100
#define OUTBOX_MAX_LIMIT     1000
#define INCLUDE_PASSWORD     "includePassword"

/* The session fields of a create body, without the mail options the session
 * validator does not know. */
JsonObject *
relay_api_mail_session_fields (JsonObject  *body,
                               GError     **error)
{
  JsonNode *include = json_object_get_member (body, INCLUDE_PASSWORD);
  g_autoptr(GList) members = NULL;
  JsonObject *fields;

  /* Usually there is nothing to take out: the body itself, not a deep copy. */
  if (include == NULL)
    return json_object_ref (body);
  if (json_node_get_value_type (include) != G_TYPE_BOOLEAN)
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, INCLUDE_PASSWORD,
                            "'" INCLUDE_PASSWORD "' must be true or false");
      return NULL;
    }
  fields = json_object_new ();
  members = json_object_get_members (body);
  for (GList *l = members; l != NULL; l = l->next)
    if (strcmp (l->data, INCLUDE_PASSWORD) != 0)
      json_object_set_member (fields, l->data, json_node_copy (json_object_get_member (body, l->data)));
  return fields;
}

/* The password to print in invitations: only when the host ticked
 * "include password"; otherwise invitees get a hint that one is needed. */
const char *
relay_api_mail_included_password (JsonObject *body,
                                  const char *password)
{
  return omni_json_get_boolean (body, INCLUDE_PASSWORD, FALSE) ? password : NULL;
}

static const OmniJsonField resend_fields[] = {
  { "email", OMNI_JSON_STRING, FALSE, 3, 254 },
};

static void
handle_resend (RelayRequest *request)
{
  RelayApp *app = relay_request_get_app (request);
  JsonObject *body = relay_request_get_body (request);
  sqlite3 *db = relay_store_get_db (app->store);
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) session = NULL;
  const char *email = NULL;
  int count;

  session = relay_api_load_owned_session (request, &error);
  if (session == NULL)
    goto failed;
  if (body != NULL)
    {
      if (!omni_json_check_fields (body, resend_fields, G_N_ELEMENTS (resend_fields), NULL, &error))
        goto failed;
      email = omni_json_get_string (body, "email");
    }

  if (!relay_store_begin (app->store, &error))
    goto failed;
  count = relay_mail_resend (app->mail, db, session->id, email, &error);
  if (count < 0)
    {
      relay_store_rollback (app->store);
      goto failed;
    }
  if (!relay_store_commit (app->store, &error))
    goto failed;
  relay_mail_wake (app->mail);

  if (count == 0 && email != NULL)
    {
      omni_error_set_field (&error, OMNI_ERROR_NOT_FOUND, "email",
                            "%s has not been sent anything for this session", email);
      goto failed;
    }
  g_message ("Resending %d message(s) of session %s", count, session->id);

  relay_api_reply_stored_session (request, 202);
  return;

failed:
  relay_request_reply_error (request, error);
}

static gboolean
query_int (RelayRequest  *request,
           const char    *name,
           int            max,
           int           *value,
           GError       **error)
{
  const char *text = relay_request_get_query (request, name);
  gint64 parsed;

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_signed (text, 10, 0, max, &parsed, NULL))
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, name, "'%s' must be a whole number from 0 to %d",
                            name, max);
      return FALSE;
    }
  *value = (int) parsed;
  return TRUE;
}

static void
handle_outbox (RelayRequest *request)
{
  RelayApp *app = relay_request_get_app (request);
  const char *state = relay_request_get_query (request, "state");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) rows = NULL;
  int limit = OUTBOX_DEFAULT_LIMIT, offset = 0;

  /* Recipients of every host are in there: admins only. */
  if (!relay_request_get_host (request)->admin)
    {
      omni_error_set_field (&error, OMNI_ERROR_FORBIDDEN, NULL, "Only an admin can read the outbox");
      goto failed;
    }
  if (state != NULL && !g_strv_contains ((const char * const[]) { "queued", "sending", "sent", "failed", NULL }, state))
    {
      omni_error_set_field (&error, OMNI_ERROR_INVALID_FIELD, "state", "'state' must be queued, sent or failed");
      goto failed;
    }
  if (!query_int (request, "limit", OUTBOX_MAX_LIMIT, &limit, &error) ||
      !query_int (request, "offset", G_MAXINT, &offset, &error))
    goto failed;

  rows = relay_mail_outbox_list (relay_store_get_db (app->store), state,
                                 relay_request_get_query (request, "sessionId"), limit, offset, &error);
  if (rows == NULL)
    goto failed;
  relay_request_reply_node (request, 200, rows);
  return;

failed:
  relay_request_reply_error (request, error);
}

static const RelayRoute mail_routes[] = {
  { "POST", "/api/sessions/:id/resend", handle_resend, RELAY_ROUTE_HOST | RELAY_ROUTE_OPTIONAL_BODY },
  { "GET",  "/api/outbox",              handle_outbox, RELAY_ROUTE_HOST },
};

void
relay_api_mail_register (void)
{
  relay_http_add_routes (mail_routes, G_N_ELEMENTS (mail_routes));
}
