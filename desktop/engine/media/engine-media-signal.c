/* engine-media-signal.c: the host's /ws client. Inbound frames are checked
 * against the same table the relay uses (omni_signal_parse) so the media
 * engine only ever sees well-formed messages. */
#define G_LOG_DOMAIN "engine-media-signal"

#include "engine-media-signal.h"
#include "omni-error.h"

#include <libsoup/soup.h>
#include <string.h>

/* The relay closes sockets that are silent for 60 s; browsers and we send an
 * application ping well inside that. */
#define PING_INTERVAL_S  15
/* Bigger than any valid frame (64 KiB) but bounded: a relay bug must not
 * make us buffer without limit. */
#define MAX_INCOMING     (1024 * 1024)

struct _EngineMediaSignal
{
  GObject                  parent_instance;

  char                    *relay_url;
  char                    *token;
  char                    *session_id;   /* NULL for a guest */
  SoupSession             *soup;
  SoupWebsocketConnection *ws;
  guint                    ping_source;
};

enum {
  SIGNAL_MESSAGE,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EngineMediaSignal, engine_media_signal, G_TYPE_OBJECT)

static char *
api_url (EngineMediaSignal *self,
         const char        *path)
{
  const char *base = self->relay_url;
  gsize len = strlen (base);

  while (len > 0 && base[len - 1] == '/')
    len--;
  return g_strdup_printf ("%.*s%s", (int) len, base, path);
}

static gboolean
on_ping_timeout (gpointer user_data)
{
  EngineMediaSignal *self = user_data;

  engine_media_signal_send (self, "{\"type\":\"ping\"}");
  return G_SOURCE_CONTINUE;
}

static void
on_ws_message (SoupWebsocketConnection *ws,
               int                      data_type,
               GBytes                  *message,
               gpointer                 user_data)
{
  EngineMediaSignal *self = user_data;
  const OmniSignalDef *def = NULL;
  g_autofree char *type = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (message, &len);

  if (data_type != SOUP_WEBSOCKET_DATA_TEXT)
    return;
  object = omni_signal_parse (data, len, OMNI_SIGNAL_FROM_RELAY, &def, &type, &error);
  if (object == NULL)
    {
      /* A newer relay may add types or members we do not know: ignoring
       * them is what PROTOCOL.md asks of clients. */
      g_debug ("Ignoring a relay message (%s): %s", type ? type : "?", error->message);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, (int) def->kind, object);
}

static void
on_ws_closed (SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  EngineMediaSignal *self = user_data;
  int code = soup_websocket_connection_get_close_code (ws);
  const char *reason = soup_websocket_connection_get_close_data (ws);

  g_clear_handle_id (&self->ping_source, g_source_remove);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, code, reason ? reason : "");
}

static void
on_ws_connected (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EngineMediaSignal *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *hello = NULL;
  SoupWebsocketConnection *ws;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (ws == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  self->ws = ws;
  soup_websocket_connection_set_max_incoming_payload_size (ws, MAX_INCOMING);
  g_signal_connect_object (ws, "message", G_CALLBACK (on_ws_message), self, 0);
  g_signal_connect_object (ws, "closed", G_CALLBACK (on_ws_closed), self, 0);
  hello = self->session_id != NULL ? omni_signal_build_hello_host (self->token, self->session_id)
                                   : omni_signal_build_hello_guest (self->token);
  soup_websocket_connection_send_text (ws, hello);
  self->ping_source = g_timeout_add_seconds (PING_INTERVAL_S, on_ping_timeout, self);
  g_task_return_boolean (task, TRUE);
}

static void
open_socket (GTask *task)
{
  EngineMediaSignal *self = g_task_get_source_object (task);
  g_autofree char *url = api_url (self, "/ws");
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

  if (msg == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Not a relay URL: %s", self->relay_url);
      g_object_unref (task);
      return;
    }
  soup_session_websocket_connect_async (self->soup, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        g_task_get_cancellable (task), on_ws_connected, task);
}

static void
on_start_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  /* A session that is already live answers invalid_state: that is the
   * "resume it if live" case, and hello tells us if it really is not. */
  if (body == NULL)
    g_debug ("Starting the session over REST failed: %s", error->message);
  open_socket (task);
}

static void
engine_media_signal_dispose (GObject *object)
{
  EngineMediaSignal *self = ENGINE_MEDIA_SIGNAL (object);

  g_clear_handle_id (&self->ping_source, g_source_remove);
  if (self->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->ws, self);
      if (soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
  g_clear_object (&self->ws);
  g_clear_object (&self->soup);
  G_OBJECT_CLASS (engine_media_signal_parent_class)->dispose (object);
}

static void
engine_media_signal_finalize (GObject *object)
{
  EngineMediaSignal *self = ENGINE_MEDIA_SIGNAL (object);

  g_free (self->relay_url);
  g_free (self->token);
  g_free (self->session_id);
  G_OBJECT_CLASS (engine_media_signal_parent_class)->finalize (object);
}

static void
engine_media_signal_class_init (EngineMediaSignalClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = engine_media_signal_dispose;
  object_class->finalize = engine_media_signal_finalize;

  /* kind is an OmniSignalKind; the object is already validated. */
  signals[SIGNAL_MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                          G_TYPE_INT, JSON_TYPE_OBJECT);
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                         G_TYPE_INT, G_TYPE_STRING);
}

static void
engine_media_signal_init (EngineMediaSignal *self)
{
  self->soup = soup_session_new_with_options ("timeout", 15, NULL);
}

EngineMediaSignal *
engine_media_signal_new (const char *relay_url,
                         const char *token,
                         const char *session_id)
{
  EngineMediaSignal *self;

  g_return_val_if_fail (relay_url != NULL, NULL);
  g_return_val_if_fail (token != NULL, NULL);
  g_return_val_if_fail (session_id != NULL, NULL);

  self = g_object_new (ENGINE_TYPE_MEDIA_SIGNAL, NULL);
  self->relay_url = g_strdup (relay_url);
  self->token = g_strdup (token);
  self->session_id = g_strdup (session_id);
  return self;
}

EngineMediaSignal *
engine_media_signal_new_guest (const char *relay_url,
                               const char *guest_token)
{
  EngineMediaSignal *self;

  g_return_val_if_fail (relay_url != NULL, NULL);
  g_return_val_if_fail (guest_token != NULL, NULL);

  self = g_object_new (ENGINE_TYPE_MEDIA_SIGNAL, NULL);
  self->relay_url = g_strdup (relay_url);
  self->token = g_strdup (guest_token);
  return self;
}

void
engine_media_signal_connect_async (EngineMediaSignal   *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task;
  g_autofree char *path = NULL;
  g_autofree char *url = NULL;
  g_autofree char *auth = NULL;
  g_autoptr(SoupMessage) msg = NULL;

  g_return_if_fail (ENGINE_IS_MEDIA_SIGNAL (self));
  g_return_if_fail (self->ws == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, engine_media_signal_connect_async);
  if (self->session_id == NULL)
    {
      open_socket (task);
      return;
    }

  path = g_strdup_printf ("/api/sessions/%s/start", self->session_id);
  url = api_url (self, path);
  msg = soup_message_new ("POST", url);
  if (msg == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Not a relay URL: %s", self->relay_url);
      g_object_unref (task);
      return;
    }
  auth = g_strdup_printf ("Bearer %s", self->token);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_session_send_and_read_async (self->soup, msg, G_PRIORITY_DEFAULT, cancellable,
                                    on_start_done, task);
}

gboolean
engine_media_signal_connect_finish (EngineMediaSignal  *self,
                                    GAsyncResult       *result,
                                    GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
engine_media_signal_send (EngineMediaSignal *self,
                          const char        *text)
{
  g_return_if_fail (ENGINE_IS_MEDIA_SIGNAL (self));

  if (!engine_media_signal_is_open (self))
    return;
  soup_websocket_connection_send_text (self->ws, text);
}

gboolean
engine_media_signal_is_open (EngineMediaSignal *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_SIGNAL (self), FALSE);
  return self->ws != NULL &&
         soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN;
}

void
engine_media_signal_close (EngineMediaSignal *self)
{
  g_return_if_fail (ENGINE_IS_MEDIA_SIGNAL (self));

  g_clear_handle_id (&self->ping_source, g_source_remove);
  if (engine_media_signal_is_open (self))
    {
      engine_media_signal_send (self, "{\"type\":\"leave\"}");
      soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
}
