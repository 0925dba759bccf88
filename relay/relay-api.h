/* relay-api.h: helpers the API handlers share — loading a session the caller
 * may see, replying with a session, reading query parameters. */
#pragma once

#include "relay-http.h"

G_BEGIN_DECLS

/* The session with the route's :id if the caller's host owns it (or is an
 * admin); otherwise a 404 error, so other hosts' ids are not revealed. */
OmniSession *relay_api_load_owned_session (RelayRequest  *request,
                                           GError       **error);
void         relay_api_reply_session      (RelayRequest      *request,
                                           guint              status,
                                           const OmniSession *session);
/* Reads the caller's session again, as the change just committed left it,
 * and replies with it (or with the error). */
void         relay_api_reply_stored_session (RelayRequest *request,
                                             guint         status);
/* Sets a 404 "Session not found" error. */
void         relay_api_set_session_not_found (GError **error);

/* Mail options of a create request (relay-api-mail.c): the body without
 * them, for the session validator, and the password to print if asked. */
JsonObject  *relay_api_mail_session_fields    (JsonObject  *body,
                                               GError     **error);
const char  *relay_api_mail_included_password (JsonObject  *body,
                                               const char  *password);

G_END_DECLS
