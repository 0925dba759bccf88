/* engine-relay-client.h: the relay's REST API over libsoup3, asynchronous
 * only. Relay errors come back as OMNI_ERROR with the relay's code, message
 * and field; network failures as G_IO_ERROR / G_RESOLVER_ERROR / SOUP. */
#pragma once

#include <json-glib/json-glib.h>

#include "engine-session.h"

G_BEGIN_DECLS

#define ENGINE_TYPE_RELAY_CLIENT (engine_relay_client_get_type ())
G_DECLARE_FINAL_TYPE (EngineRelayClient, engine_relay_client, ENGINE, RELAY_CLIENT, GObject)

EngineRelayClient *engine_relay_client_new            (const char        *base_url,
                                                       const char        *token);
const char        *engine_relay_client_get_base_url   (EngineRelayClient *self);
void               engine_relay_client_set_base_url   (EngineRelayClient *self,
                                                       const char        *base_url);
const char        *engine_relay_client_get_token      (EngineRelayClient *self);
void               engine_relay_client_set_token      (EngineRelayClient *self,
                                                       const char        *token);

/* One request; body may be NULL. The result is the parsed JSON (NULL for 204). */
void               engine_relay_client_request_async  (EngineRelayClient  *self,
                                                       const char         *method,
                                                       const char         *path,
                                                       JsonNode           *body,
                                                       GCancellable       *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer            user_data);
JsonNode          *engine_relay_client_request_finish (EngineRelayClient  *self,
                                                       GAsyncResult       *result,
                                                       GError            **error);

/* GET path → array of EngineSession (accepts an array or {"sessions":[…]}). */
void               engine_relay_client_list_sessions_async  (EngineRelayClient  *self,
                                                             const char         *path,
                                                             GCancellable       *cancellable,
                                                             GAsyncReadyCallback callback,
                                                             gpointer            user_data);
GPtrArray         *engine_relay_client_list_sessions_finish (EngineRelayClient  *self,
                                                             GAsyncResult       *result,
                                                             GError            **error);

/* Reads the sessions of a create answer: one session or a series. */
GPtrArray         *engine_relay_sessions_from_json    (JsonNode           *node,
                                                       GError            **error);

/* TRUE for errors that mean "could not reach the relay" rather than "the
 * relay said no". */
gboolean           engine_relay_error_is_network      (const GError       *error);

G_END_DECLS
