/* engine-relay-client.c: one SoupSession; every call is a GTask completed in
 * the caller's context, with the relay's error object turned into GError. */
#define G_LOG_DOMAIN "engine-relay-client"

#include "desktop-config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "omni-error.h"
#include "omni-json.h"

#include "engine-relay-client.h"

#define MAX_RESPONSE_BYTES (8 * 1024 * 1024)

struct _EngineRelayClient
{
  GObject parent_instance;

  SoupSession *soup;
  char *base_url;
  char *token;
};

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_TOKEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (EngineRelayClient, engine_relay_client, G_TYPE_OBJECT)

static OmniErrorCode
code_from_wire (const char *wire,
                guint       status)
{
  for (int code = 0; code <= OMNI_ERROR_INTERNAL; code++)
    {
      g_autoptr(GError) probe = g_error_new_literal (OMNI_ERROR, code, "");
      if (g_strcmp0 (omni_error_wire_code (probe), wire) == 0)
        return code;
    }
  switch (status)
    {
    case 401: return OMNI_ERROR_UNAUTHORIZED;
    case 403: return OMNI_ERROR_FORBIDDEN;
    case 404: return OMNI_ERROR_NOT_FOUND;
    case 409: return OMNI_ERROR_INVALID_STATE;
    case 413: return OMNI_ERROR_PAYLOAD_TOO_LARGE;
    case 429: return OMNI_ERROR_RATE_LIMITED;
    default:  return status < 500 ? OMNI_ERROR_INVALID_FIELD : OMNI_ERROR_INTERNAL;
    }
}

static GError *
error_from_response (guint       status,
                     const char *reason,
                     JsonNode   *node)
{
  JsonObject *object = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonNode *inner = object ? json_object_get_member (object, "error") : NULL;
  GError *error = NULL;

  if (inner != NULL && JSON_NODE_HOLDS_OBJECT (inner))
    {
      JsonObject *e = json_node_get_object (inner);
      const char *message = omni_json_get_string (e, "message");

      omni_error_set_field (&error, code_from_wire (omni_json_get_string (e, "code"), status),
                            omni_json_get_string (e, "field"), "%s",
                            message ? message : reason);
      return error;
    }
  return g_error_new (OMNI_ERROR, code_from_wire (NULL, status),
                      _("The relay answered %u %s"), status, reason ? reason : "");
}

/* The whole body is read by libsoup; the relay is the only peer and answers
 * in kilobytes, and anything above MAX_RESPONSE_BYTES is refused unparsed. */
static void
on_body_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SoupMessage *message = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root = NULL;
  guint status;
  gsize len;
  const char *data;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  status = soup_message_get_status (message);
  data = g_bytes_get_data (bytes, &len);
  if (len > MAX_RESPONSE_BYTES)
    {
      g_task_return_new_error (task, OMNI_ERROR, OMNI_ERROR_PAYLOAD_TOO_LARGE,
                               _("The relay's answer is too large"));
      return;
    }
  if (len > 0)
    {
      parser = json_parser_new_immutable ();
      if (json_parser_load_from_data (parser, data, (gssize) len, NULL))
        root = json_parser_get_root (parser);
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_error (task, error_from_response (status, soup_message_get_reason_phrase (message), root));
      return;
    }
  if (len > 0 && root == NULL)
    {
      g_task_return_new_error (task, OMNI_ERROR, OMNI_ERROR_INVALID_JSON,
                               _("The relay's answer is not valid JSON"));
      return;
    }
  g_task_return_pointer (task, root ? json_node_ref (root) : NULL, (GDestroyNotify) json_node_unref);
}

static void
on_list_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonNode) node = NULL;
  GPtrArray *sessions;
  GError *error = NULL;

  node = engine_relay_client_request_finish (ENGINE_RELAY_CLIENT (source), result, &error);
  if (error == NULL && (sessions = engine_relay_sessions_from_json (node, &error)) != NULL)
    g_task_return_pointer (task, sessions, (GDestroyNotify) g_ptr_array_unref);
  else
    g_task_return_error (task, error);
}

static void
engine_relay_client_finalize (GObject *object)
{
  EngineRelayClient *self = (EngineRelayClient *) object;

  g_clear_object (&self->soup);
  g_free (self->base_url);
  g_free (self->token);

  G_OBJECT_CLASS (engine_relay_client_parent_class)->finalize (object);
}

static void
engine_relay_client_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  EngineRelayClient *self = ENGINE_RELAY_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    case PROP_TOKEN:
      g_value_set_string (value, self->token);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
engine_relay_client_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  EngineRelayClient *self = ENGINE_RELAY_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      engine_relay_client_set_base_url (self, g_value_get_string (value));
      break;
    case PROP_TOKEN:
      engine_relay_client_set_token (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
engine_relay_client_class_init (EngineRelayClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = engine_relay_client_finalize;
  object_class->get_property = engine_relay_client_get_property;
  object_class->set_property = engine_relay_client_set_property;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TOKEN] =
    g_param_spec_string ("token", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
engine_relay_client_init (EngineRelayClient *self)
{
  self->soup = soup_session_new_with_options ("timeout", 20,
                                              "idle-timeout", 60,
                                              "user-agent", "OmniLive/" PACKAGE_VERSION,
                                              NULL);
}

EngineRelayClient *
engine_relay_client_new (const char *base_url,
                         const char *token)
{
  return g_object_new (ENGINE_TYPE_RELAY_CLIENT, "base-url", base_url, "token", token, NULL);
}

const char *
engine_relay_client_get_base_url (EngineRelayClient *self)
{
  g_return_val_if_fail (ENGINE_IS_RELAY_CLIENT (self), NULL);
  return self->base_url;
}

void
engine_relay_client_set_base_url (EngineRelayClient *self,
                                  const char        *base_url)
{
  g_autofree char *trimmed = NULL;

  g_return_if_fail (ENGINE_IS_RELAY_CLIENT (self));

  if (base_url != NULL)
    {
      gsize len;
      trimmed = g_strstrip (g_strdup (base_url));
      len = strlen (trimmed);
      while (len > 0 && trimmed[len - 1] == '/')
        trimmed[--len] = '\0';
    }
  if (g_strcmp0 (trimmed, self->base_url) == 0)
    return;
  g_free (self->base_url);
  self->base_url = g_steal_pointer (&trimmed);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URL]);
}

const char *
engine_relay_client_get_token (EngineRelayClient *self)
{
  g_return_val_if_fail (ENGINE_IS_RELAY_CLIENT (self), NULL);
  return self->token;
}

void
engine_relay_client_set_token (EngineRelayClient *self,
                               const char        *token)
{
  g_return_if_fail (ENGINE_IS_RELAY_CLIENT (self));

  if (g_strcmp0 (token, self->token) == 0)
    return;
  g_free (self->token);
  self->token = g_strdup (token);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN]);
}

void
engine_relay_client_request_async (EngineRelayClient   *self,
                                   const char          *method,
                                   const char          *path,
                                   JsonNode            *body,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (ENGINE_IS_RELAY_CLIENT (self));
  g_return_if_fail (method != NULL && path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, engine_relay_client_request_async);

  if (self->base_url == NULL || *self->base_url == '\0')
    {
      g_task_return_new_error (task, OMNI_ERROR, OMNI_ERROR_CONFIG, _("No relay URL is set"));
      return;
    }

  url = g_strconcat (self->base_url, path, NULL);
  message = soup_message_new (method, url);
  if (message == NULL)
    {
      g_task_return_new_error (task, OMNI_ERROR, OMNI_ERROR_CONFIG,
                               _("“%s” is not a valid relay URL"), self->base_url);
      return;
    }

  soup_message_headers_append (soup_message_get_request_headers (message), "Accept", "application/json");
  if (self->token != NULL && *self->token != '\0')
    {
      g_autofree char *auth = g_strconcat ("Bearer ", self->token, NULL);
      soup_message_headers_append (soup_message_get_request_headers (message), "Authorization", auth);
    }
  if (body != NULL)
    {
      gsize len;
      char *text = omni_json_to_string (body, &len);
      g_autoptr(GBytes) bytes = g_bytes_new_take (text, len);
      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }
  else if (g_strcmp0 (method, "POST") == 0)
    {
      g_autoptr(GBytes) bytes = g_bytes_new_static ("{}", 2);
      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }

  g_task_set_task_data (task, g_object_ref (message), g_object_unref);
  soup_session_send_and_read_async (self->soup, message, G_PRIORITY_DEFAULT, cancellable,
                                    on_body_read, g_steal_pointer (&task));
}

JsonNode *
engine_relay_client_request_finish (EngineRelayClient  *self,
                                    GAsyncResult       *result,
                                    GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
engine_relay_client_list_sessions_async (EngineRelayClient   *self,
                                         const char          *path,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (ENGINE_IS_RELAY_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, engine_relay_client_list_sessions_async);
  engine_relay_client_request_async (self, "GET", path, NULL, cancellable, on_list_done, task);
}

GPtrArray *
engine_relay_client_list_sessions_finish (EngineRelayClient  *self,
                                          GAsyncResult       *result,
                                          GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

GPtrArray *
engine_relay_sessions_from_json (JsonNode  *node,
                                 GError   **error)
{
  g_autoptr(GPtrArray) sessions = g_ptr_array_new_with_free_func (g_object_unref);
  JsonArray *array = NULL;

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    array = json_node_get_array (node);
  else if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      JsonNode *inner = json_object_get_member (object, "sessions");

      if (inner != NULL && JSON_NODE_HOLDS_ARRAY (inner))
        array = json_node_get_array (inner);
      else
        {
          EngineSession *session = engine_session_new_from_json (object, error);
          if (session == NULL)
            return NULL;
          g_ptr_array_add (sessions, session);
          return g_steal_pointer (&sessions);
        }
    }
  if (array == NULL)
    {
      g_set_error (error, OMNI_ERROR, OMNI_ERROR_INVALID_JSON, _("The relay's answer holds no sessions"));
      return NULL;
    }

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      EngineSession *session;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        continue;
      session = engine_session_new_from_json (json_node_get_object (item), error);
      if (session == NULL)
        return NULL;
      g_ptr_array_add (sessions, session);
    }
  return g_steal_pointer (&sessions);
}

gboolean
engine_relay_error_is_network (const GError *error)
{
  return error != NULL &&
         (error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR ||
          error->domain == G_TLS_ERROR || error->domain == SOUP_SESSION_ERROR ||
          (error->domain == OMNI_ERROR && error->code == OMNI_ERROR_CONFIG));
}
