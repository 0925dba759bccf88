/* relay-http.c: the request pipeline — size limit, route match, method check,
 * authentication, body parsing — ahead of every handler, and the single
 * place where JSON and {"error":{…}} responses are written. */
#define G_LOG_DOMAIN "relay-http"

#include "relay-http.h"
#include "omni-error.h"
#include "omni-json.h"
#include "omni-token.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#define MAX_PARAMS 4
#define MAX_SEGMENTS 8

struct _RelayRequest {
  RelayApp          *app;
  SoupServerMessage *msg;
  const RelayRoute  *route;
  char              *params[MAX_PARAMS];
  GHashTable        *query;
  RelayHost         *host;
  char              *host_token_hash;   /* set while the host is unconfirmed */
  JsonObject        *body;
  gboolean           replied;
  gboolean           paused;
};

static GArray *routes;   /* RelayRoute, registered once at start-up */

void
relay_http_add_routes (const RelayRoute *new_routes,
                       guint             n_routes)
{
  if (routes == NULL)
    routes = g_array_new (FALSE, FALSE, sizeof (RelayRoute));
  g_array_append_vals (routes, new_routes, n_routes);
}

static void
relay_request_clear (RelayRequest *request)
{
  for (guint i = 0; i < MAX_PARAMS; i++)
    g_free (request->params[i]);
  g_clear_pointer (&request->query, g_hash_table_unref);
  g_clear_pointer (&request->host, relay_host_free);
  g_clear_pointer (&request->host_token_hash, g_free);
  g_clear_pointer (&request->body, json_object_unref);
  if (request->paused && !request->replied)
    {
      /* A handler dropped its request without answering: never leave a client hanging. */
      soup_server_message_set_status (request->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
      soup_server_message_unpause (request->msg);
    }
  g_clear_object (&request->msg);
}

RelayRequest *
relay_request_ref (RelayRequest *request)
{
  return g_rc_box_acquire (request);
}

void
relay_request_unref (RelayRequest *request)
{
  g_rc_box_release_full (request, (GDestroyNotify) relay_request_clear);
}

RelayApp *
relay_request_get_app (RelayRequest *request)
{
  return request->app;
}

const char *
relay_request_get_param (RelayRequest *request,
                         guint         index)
{
  g_return_val_if_fail (index < MAX_PARAMS, NULL);
  return request->params[index];
}

const char *
relay_request_get_query (RelayRequest *request,
                         const char   *name)
{
  if (request->query == NULL)
    return NULL;
  return g_hash_table_lookup (request->query, name);
}

RelayHost *
relay_request_get_host (RelayRequest *request)
{
  return request->host;
}

void
relay_http_set_token_refused (GError **error)
{
  omni_error_set_field (error, OMNI_ERROR_UNAUTHORIZED, NULL, "The token is not valid or has been revoked");
}

void
relay_request_confirm_host (RelayRequest *request)
{
  g_clear_pointer (&request->host_token_hash, g_free);
}

/* For a reply before the write confirmed the host (a refused body, a
 * failed write): the full token check, on the main connection. */
static gboolean
host_still_active (RelayRequest *request)
{
  g_autoptr(RelayHost) host = NULL;
  g_autoptr(GError) error = NULL;

  if (request->host_token_hash == NULL)
    return TRUE;
  host = relay_store_host_find_by_token (request->app->store, request->host_token_hash, &error);
  g_clear_pointer (&request->host_token_hash, g_free);
  return host != NULL;
}

JsonObject *
relay_request_get_body (RelayRequest *request)
{
  return request->body;
}

const char *
relay_request_get_client_address (RelayRequest *request)
{
  const char *host = soup_server_message_get_remote_host (request->msg);
  return host != NULL ? host : "unknown";
}

void
relay_request_set_header (RelayRequest *request,
                          const char   *name,
                          const char   *value)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (request->msg), name, value);
}

/* Every reply: exactly one per request, never sniffed, and the connection
 * resumes if the handler paused it for async work. */
static SoupMessageHeaders *
begin_reply (RelayRequest *request,
             guint         status)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (request->msg);

  request->replied = TRUE;
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_server_message_set_status (request->msg, status, NULL);
  return headers;
}

static void
end_reply (RelayRequest *request)
{
  if (request->paused)
    {
      request->paused = FALSE;
      soup_server_message_unpause (request->msg);
    }
}

static void
finish_reply (RelayRequest *request,
              guint         status,
              char         *data,
              gsize         len)
{
  SoupMessageHeaders *headers;

  g_return_if_fail (!request->replied);
  if (!host_still_active (request))
    {
      g_autoptr(GError) error = NULL;

      g_free (data);
      relay_http_set_token_refused (&error);
      relay_request_reply_error (request, error);
      return;
    }
  headers = begin_reply (request, status);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_server_message_set_response (request->msg, "application/json; charset=utf-8",
                                    SOUP_MEMORY_TAKE, data, len);
  end_reply (request);
}

void
relay_request_reply_node (RelayRequest *request,
                          guint         status,
                          JsonNode     *node)
{
  gsize len = 0;
  char *data = omni_json_to_string (node, &len);

  finish_reply (request, status, data, len);
}

void
relay_request_reply_json_text (RelayRequest *request,
                               guint         status,
                               GString      *text)
{
  gsize len = text->len;
  finish_reply (request, status, g_string_free (text, FALSE), len);
}

void
relay_request_reply_builder (RelayRequest *request,
                             guint         status,
                             JsonBuilder  *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  relay_request_reply_node (request, status, root);
}

void
relay_request_reply_bytes (RelayRequest *request,
                           guint         status,
                           const char   *content_type,
                           GBytes       *bytes)
{
  SoupMessageHeaders *headers;

  g_return_if_fail (!request->replied);
  headers = begin_reply (request, status);
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "Content-Type", content_type);
  soup_message_body_append_bytes (soup_server_message_get_response_body (request->msg), bytes);
  end_reply (request);
}

static void
reply_error_message (RelayRequest *request,
                     guint         status,
                     const char   *code,
                     const char   *message,
                     const char   *field,
                     const char   *detail_key,
                     const char   *detail_value)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "field");
  if (field != NULL)
    json_builder_add_string_value (builder, field);
  else
    json_builder_add_null_value (builder);
  if (detail_key != NULL)
    {
      json_builder_set_member_name (builder, detail_key);
      json_builder_add_string_value (builder, detail_value);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  relay_request_reply_builder (request, status, builder);
}

void
relay_request_reply_error (RelayRequest *request,
                           const GError *error)
{
  guint status = omni_error_http_status (error);
  guint retry_after = omni_error_get_retry_after (error);

  if (status >= 500)
    {
      /* Internal details go to the log, not to the client. */
      g_warning ("%s %s failed: %s", soup_server_message_get_method (request->msg),
                 g_uri_get_path (soup_server_message_get_uri (request->msg)), error->message);
      reply_error_message (request, status, omni_error_wire_code (error),
                           "The relay could not complete the request; see its log", NULL, NULL, NULL);
      return;
    }

  if (retry_after > 0)
    {
      char value[16];
      g_snprintf (value, sizeof value, "%u", retry_after);
      relay_request_set_header (request, "Retry-After", value);
    }
  if (status == 401)
    relay_request_set_header (request, "WWW-Authenticate", "Bearer realm=\"omnilive\"");

  reply_error_message (request, status, omni_error_wire_code (error), error->message,
                       omni_error_get_field (error), omni_error_get_detail_key (error),
                       omni_error_get_detail_value (error));
}

/* Splits "/api/sessions/x/start" into segments, refusing empty ones beyond a
 * trailing slash and paths deeper than any route. */
static guint
split_path (const char *path,
            char      **segments)
{
  guint n = 0;
  const char *p = path;

  while (*p == '/')
    p++;
  while (*p != '\0')
    {
      const char *end = strchr (p, '/');
      gsize len = end ? (gsize) (end - p) : strlen (p);

      if (n == MAX_SEGMENTS)
        return MAX_SEGMENTS + 1;
      segments[n++] = g_uri_unescape_segment (p, p + len, NULL);
      if (segments[n - 1] == NULL)
        segments[n - 1] = g_strndup (p, len);
      p += len;
      if (*p == '/')
        p++;
    }
  return n;
}

static gboolean
route_matches (const RelayRoute *route,
               char            **segments,
               guint             n_segments,
               char            **params)
{
  g_auto(GStrv) pattern = g_strsplit (route->pattern + 1, "/", -1);
  guint n_params = 0;

  if (g_strv_length (pattern) != n_segments)
    return FALSE;
  for (guint i = 0; i < n_segments; i++)
    {
      if (pattern[i][0] == ':')
        {
          if (segments[i][0] == '\0' || n_params == MAX_PARAMS)
            return FALSE;
          if (params != NULL)
            params[n_params] = g_strdup (segments[i]);
          n_params++;
        }
      else if (strcmp (pattern[i], segments[i]) != 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
authenticate (RelayRequest  *request,
              GError       **error)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (request->msg),
                                                     "Authorization");
  g_autofree char *hash = NULL;
  g_autoptr(GError) local_error = NULL;

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0 || header[7] == '\0')
    {
      omni_error_set_field (error, OMNI_ERROR_UNAUTHORIZED, NULL,
                            "This endpoint needs a host token: send 'Authorization: Bearer <token>'");
      return FALSE;
    }
  if (strlen (header + 7) > 512)
    {
      relay_http_set_token_refused (error);
      return FALSE;
    }

  hash = omni_token_hash (header + 7);
  if (request->route->flags & RELAY_ROUTE_HOST_CONFIRMED_BY_WRITE)
    {
      request->host = relay_store_host_find_cached (request->app->store, hash);
      if (request->host != NULL)
        {
          request->host_token_hash = g_steal_pointer (&hash);
          return TRUE;
        }
    }
  request->host = relay_store_host_find_by_token (request->app->store, hash, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (request->host == NULL)
    {
      relay_http_set_token_refused (error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
is_json_content_type (SoupServerMessage *msg)
{
  const char *type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);
  return type == NULL || g_ascii_strcasecmp (type, "application/json") == 0;
}

static gboolean
read_body (RelayRequest  *request,
           GError       **error)
{
  SoupMessageBody *body = soup_server_message_get_request_body (request->msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  if (len > RELAY_MAX_BODY_SIZE)
    {
      omni_error_set_field (error, OMNI_ERROR_PAYLOAD_TOO_LARGE, NULL,
                            "The request body is larger than %d bytes", RELAY_MAX_BODY_SIZE);
      return FALSE;
    }
  if (len == 0 && (request->route->flags & RELAY_ROUTE_OPTIONAL_BODY))
    return TRUE;
  if (!is_json_content_type (request->msg))
    {
      omni_error_set_field (error, OMNI_ERROR_UNSUPPORTED_MEDIA_TYPE, NULL,
                            "The request body must be JSON, sent with 'Content-Type: application/json'");
      return FALSE;
    }
  request->body = omni_json_parse_object (data, len, RELAY_MAX_BODY_SIZE, error);
  return request->body != NULL;
}

static void
dispatch (RelayRequest *request,
          const char   *path)
{
  const char *method = soup_server_message_get_method (request->msg);
  char *segments[MAX_SEGMENTS] = { NULL };
  guint n_segments = split_path (path, segments);
  g_autoptr(GString) allowed = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; routes != NULL && n_segments <= MAX_SEGMENTS && i < routes->len; i++)
    {
      const RelayRoute *route = &g_array_index (routes, RelayRoute, i);

      if (!route_matches (route, segments, n_segments, NULL))
        continue;
      if (strcmp (route->method, method) != 0)
        {
          if (!strstr (allowed->str, route->method))
            g_string_append_printf (allowed, "%s%s", allowed->len ? ", " : "", route->method);
          continue;
        }
      request->route = route;
      route_matches (route, segments, n_segments, request->params);
      break;
    }

  for (guint i = 0; i < MIN (n_segments, MAX_SEGMENTS); i++)
    g_free (segments[i]);

  if (request->route == NULL)
    {
      if (allowed->len > 0)
        {
          relay_request_set_header (request, "Allow", allowed->str);
          omni_error_set_field (&error, OMNI_ERROR_METHOD_NOT_ALLOWED, NULL,
                                "%s is not allowed on %s; use %s", method, path, allowed->str);
        }
      else
        omni_error_set_field (&error, OMNI_ERROR_NOT_FOUND, NULL, "There is nothing at %s", path);
      relay_request_reply_error (request, error);
      return;
    }

  if ((request->route->flags & RELAY_ROUTE_HOST) && !authenticate (request, &error))
    {
      relay_request_reply_error (request, error);
      return;
    }
  if ((request->route->flags & (RELAY_ROUTE_JSON_BODY | RELAY_ROUTE_OPTIONAL_BODY)) &&
      !read_body (request, &error))
    {
      relay_request_reply_error (request, error);
      return;
    }

  request->route->handler (request);
}

static void
on_request (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  g_autoptr(RelayRequest) request = g_rc_box_new0 (RelayRequest);

  request->app = user_data;
  request->msg = g_object_ref (msg);
  request->query = query != NULL ? g_hash_table_ref (query) : NULL;

  dispatch (request, path);

  if (!request->replied)
    {
      /* The handler holds a ref and answers later. */
      request->paused = TRUE;
      soup_server_message_pause (msg);
    }
}

/* Refuses oversized bodies from their Content-Length, before reading them. */
static void
on_early_request (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > RELAY_MAX_BODY_SIZE)
    {
      g_autoptr(RelayRequest) request = g_rc_box_new0 (RelayRequest);
      g_autoptr(GError) error = NULL;

      request->app = user_data;
      request->msg = g_object_ref (msg);
      omni_error_set_field (&error, OMNI_ERROR_PAYLOAD_TOO_LARGE, NULL,
                            "The request body is larger than %d bytes", RELAY_MAX_BODY_SIZE);
      relay_request_reply_error (request, error);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
    }
}

/* Answers go out as soon as they are written: without TCP_NODELAY the tail
 * of a large response waits for the client's delayed ACK (~40 ms). */
static void
on_request_started (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket != NULL && g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

static void
handle_healthz (RelayRequest *request)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "ok");
  json_builder_end_object (builder);
  relay_request_reply_builder (request, 200, builder);
}

static const RelayRoute health_routes[] = {
  { "GET", "/healthz", handle_healthz, RELAY_ROUTE_PUBLIC },
};

void
relay_http_attach (RelayApp *app)
{
  relay_http_add_routes (health_routes, G_N_ELEMENTS (health_routes));
  g_signal_connect (app->server, "request-started", G_CALLBACK (on_request_started), NULL);
  soup_server_add_early_handler (app->server, NULL, on_early_request, app, NULL);
  soup_server_add_handler (app->server, NULL, on_request, app, NULL);
}
