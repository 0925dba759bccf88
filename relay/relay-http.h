/* relay-http.h: routing, request bodies, authentication and the one place
 * where results and errors become HTTP responses. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "relay-app.h"

G_BEGIN_DECLS

typedef struct _RelayRequest RelayRequest;
typedef void (*RelayHandler) (RelayRequest *request);

typedef enum {
  RELAY_ROUTE_PUBLIC       = 0,
  RELAY_ROUTE_HOST         = 1 << 0,  /* needs a host's Bearer token */
  RELAY_ROUTE_JSON_BODY    = 1 << 1,  /* needs a JSON object body */
  RELAY_ROUTE_OPTIONAL_BODY = 1 << 2, /* an empty body or any JSON object */
  /* With RELAY_ROUTE_HOST: a token found in the host cache is taken as it
   * is, without the read transaction that asks whether another connection
   * has changed the hosts since; the handler's batched write confirms the
   * host in its own transaction (relay_request_confirm_host). Any reply
   * sent unconfirmed checks the token first, so a revoked token still gets
   * 401, never another answer. */
  RELAY_ROUTE_HOST_CONFIRMED_BY_WRITE = 1 << 3,
} RelayRouteFlags;

typedef struct {
  const char      *method;
  const char      *pattern;   /* "/api/sessions/:id/start"; ':' segments are parameters */
  RelayHandler     handler;
  RelayRouteFlags  flags;
} RelayRoute;

void          relay_http_add_routes      (const RelayRoute *routes,
                                          guint             n_routes);
void          relay_http_attach          (RelayApp         *app);

RelayApp     *relay_request_get_app      (RelayRequest *request);
/* The n-th ':' parameter of the route, in order. */
const char   *relay_request_get_param    (RelayRequest *request,
                                          guint         index);
const char   *relay_request_get_query    (RelayRequest *request,
                                          const char   *name);
RelayHost    *relay_request_get_host     (RelayRequest *request);
/* From a RELAY_ROUTE_HOST_CONFIRMED_BY_WRITE handler's write (any thread):
 * the host is still active in the write's transaction. */
void          relay_request_confirm_host (RelayRequest *request);
/* The 401 of a host token that is unknown or revoked. */
void          relay_http_set_token_refused (GError **error);
JsonObject   *relay_request_get_body     (RelayRequest *request);
const char   *relay_request_get_client_address (RelayRequest *request);

/* For handlers that finish later: hold a ref across the wait. The message
 * stays paused until a reply is sent. */
RelayRequest *relay_request_ref          (RelayRequest *request);
void          relay_request_unref        (RelayRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayRequest, relay_request_unref)

/* Each request gets exactly one reply. */
void          relay_request_reply_node   (RelayRequest *request,
                                          guint         status,
                                          JsonNode     *node);
void          relay_request_reply_builder (RelayRequest *request,
                                           guint         status,
                                           JsonBuilder  *builder);
/* A JSON text already written (e.g. with OmniJsonWriter); takes the string. */
void          relay_request_reply_json_text (RelayRequest *request,
                                             guint         status,
                                             GString      *text);
void          relay_request_reply_error  (RelayRequest *request,
                                          const GError *error);
/* Static bytes (a page, a script) of the given type, with nosniff and
 * Referrer-Policy: no-referrer; a page's CSP is set by its caller. */
void          relay_request_reply_bytes  (RelayRequest *request,
                                          guint         status,
                                          const char   *content_type,
                                          GBytes       *bytes);
void          relay_request_set_header   (RelayRequest *request,
                                          const char   *name,
                                          const char   *value);

G_END_DECLS
