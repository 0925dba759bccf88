/* relay-signal.c: the /ws socket side of signaling — accepting sockets,
 * bounding and validating every frame, the hello (authentication of hosts,
 * guests and start-watchers), strikes for malformed input, idle timeouts.
 * Everything that happens inside a session's room is relay-signal-room.c. */
#define G_LOG_DOMAIN "relay-signal"

#include "relay-signal-private.h"
#include "relay-store-signal.h"
#include "omni-error.h"
#include "omni-json.h"
#include "omni-time.h"
#include "omni-token.h"

#include <stdlib.h>
#include <string.h>

static void client_free (RelayClient *client);

/* ---- sending and closing ---- */

void
relay_client_send (RelayClient *client,
                   const char  *text)
{
  if (client == NULL || client->closing ||
      soup_websocket_connection_get_state (client->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  soup_websocket_connection_send_text (client->ws, text);
}

void
relay_client_send_error (RelayClient  *client,
                         const GError *error,
                         const char   *ref_type)
{
  g_autofree char *text = omni_signal_build_error (error, ref_type);
  relay_client_send (client, text);
}

static void
remove_watcher (RelayClient *client)
{
  GPtrArray *list;

  if (client->watch_link == NULL)
    return;
  list = g_hash_table_lookup (client->signal->watchers, client->watch_link);
  if (list != NULL)
    {
      g_ptr_array_remove_fast (list, client);
      if (list->len == 0)
        g_hash_table_remove (client->signal->watchers, client->watch_link);
    }
  g_clear_pointer (&client->watch_link, g_free);
}

void
relay_client_close (RelayClient *client,
                    gushort      code,
                    const char  *reason)
{
  if (client->closing)
    return;
  client->closing = TRUE;
  g_clear_handle_id (&client->hello_source, g_source_remove);
  g_clear_handle_id (&client->idle_source, g_source_remove);
  remove_watcher (client);
  if (soup_websocket_connection_get_state (client->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (client->ws, code, reason);
}

/* A strike for input that breaks the protocol; enough of them close the
 * socket, the session goes on for everyone else. */
static void
client_strike (RelayClient  *client,
               const GError *error,
               const char   *ref_type)
{
  relay_client_send_error (client, error, ref_type);
  client->strikes++;
  if (client->strikes >= RELAY_SIGNAL_MAX_STRIKES)
    {
      g_message ("Closing a %s socket after %u invalid messages",
                 client->role == OMNI_SIGNAL_FROM_HOST ? "host" : "guest", client->strikes);
      relay_client_close (client, RELAY_CLOSE_POLICY, "Too many invalid messages");
    }
}

/* Answers a hello (or what came instead of one) with the error and closes:
 * nobody gets a second try on the same socket. Takes the error. */
static void
refuse (RelayClient   *client,
        GError        *error,
        gushort        code)
{
  g_autoptr(GError) owned = error;

  relay_client_send_error (client, owned, "hello");
  relay_client_close (client, code, owned->message);
}

/* ---- hello: who is on this socket ---- */

static gboolean
check_live (const OmniSession  *session,
            GError            **error)
{
  switch (session->status)
    {
    case OMNI_SESSION_STATUS_LIVE:
      return TRUE;
    case OMNI_SESSION_STATUS_SCHEDULED:
      {
        g_autofree char *start = omni_time_format_iso8601 (session->scheduled_start);
        omni_error_set_field (error, OMNI_ERROR_NOT_STARTED, NULL, "This session has not started yet");
        omni_error_set_detail (*error, "scheduledStartTime", start);
        return FALSE;
      }
    case OMNI_SESSION_STATUS_ENDED:
      omni_error_set_field (error, OMNI_ERROR_ENDED, NULL, "This session has ended");
      return FALSE;
    case OMNI_SESSION_STATUS_CANCELLED:
    case OMNI_SESSION_N_STATUSES:
    default:
      omni_error_set_field (error, OMNI_ERROR_NOT_FOUND, NULL, "Session not found");
      return FALSE;
    }
}

static RelayRoom *
ensure_room (RelaySignal       *self,
             const OmniSession *session)
{
  RelayRoom *room = g_hash_table_lookup (self->rooms, session->id);

  if (room == NULL)
    {
      room = relay_room_new (self, session);
      g_hash_table_insert (self->rooms, room->session_id, room);
    }
  return room;
}

/* Another socket of the same member (a second tab, or a resume before the
 * old socket noticed it was dead) takes over. */
static void
take_over (RelayMember *member)
{
  RelayClient *old = member->client;

  if (old == NULL)
    return;
  member->client = NULL;
  old->member = NULL;
  relay_client_close (old, RELAY_CLOSE_REPLACED, "Replaced by a newer connection");
}

static void
hello_host (RelayClient *client,
            JsonObject  *message)
{
  RelaySignal *self = client->signal;
  RelayStore *store = self->app->store;
  const char *token = omni_json_get_string (message, "token");
  const char *session_id = omni_json_get_string (message, "sessionId");
  g_autofree char *hash = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayHost) host = NULL;
  g_autoptr(OmniSession) session = NULL;
  RelayRoom *room;
  RelayMember *member;
  gboolean resumed;

  if (token == NULL || session_id == NULL)
    {
      omni_error_set_field (&error, OMNI_ERROR_MISSING_FIELD, token == NULL ? "token" : "sessionId",
                            "A host's hello needs its token and the sessionId");
      refuse (client, g_steal_pointer (&error), RELAY_CLOSE_AUTH);
      return;
    }
  hash = omni_token_hash (token);
  host = relay_store_host_find_by_token (store, hash, &error);
  if (host == NULL && error == NULL)
    omni_error_set_field (&error, OMNI_ERROR_UNAUTHORIZED, "token", "The token is not valid or has been revoked");
  if (host != NULL)
    {
      session = relay_store_session_get (store, session_id, &error);
      /* Other hosts' sessions look like missing ones. */
      if (session != NULL && !host->admin && g_strcmp0 (session->host_id, host->id) != 0)
        g_clear_pointer (&session, omni_session_free);
      if (session == NULL && error == NULL)
        omni_error_set_field (&error, OMNI_ERROR_NOT_FOUND, "sessionId", "Session not found");
    }
  if (error == NULL)
    check_live (session, &error);
  if (error != NULL)
    {
      refuse (client, g_steal_pointer (&error), RELAY_CLOSE_AUTH);
      return;
    }

  room = ensure_room (self, session);
  /* The room's host is the session's owner, also when an admin connects. */
  member = relay_room_lookup (room, room->host_id);
  resumed = member != NULL;
  if (member == NULL)
    member = relay_room_add_member (room, room->host_id, session->host_name, TRUE, TRUE);
  take_over (member);
  client->role = OMNI_SIGNAL_FROM_HOST;
  relay_room_attach (room, member, client, resumed);
}

static gboolean
refuse_guest_state (const OmniParticipant  *p,
                    GError                **error)
{
  if (g_strcmp0 (p->state, "removed") == 0)
    {
      omni_error_set_field (error, OMNI_ERROR_UNAUTHORIZED, "token", "The host removed you from this session");
      omni_error_set_detail (*error, "reason", "removed");
      return TRUE;
    }
  if (g_strcmp0 (p->state, "denied") == 0)
    {
      omni_error_set_field (error, OMNI_ERROR_UNAUTHORIZED, "token", "The host did not let you in");
      omni_error_set_detail (*error, "reason", "denied");
      return TRUE;
    }
  if (g_strcmp0 (p->state, "invited") == 0)
    {
      omni_error_set_field (error, OMNI_ERROR_UNAUTHORIZED, "token", "The token is not valid");
      return TRUE;
    }
  return FALSE;
}

static void
hello_guest (RelayClient *client,
             JsonObject  *message)
{
  RelaySignal *self = client->signal;
  RelayStore *store = self->app->store;
  const char *token = omni_json_get_string (message, "token");
  g_autofree char *hash = NULL;
  g_autofree char *session_id = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniParticipant) p = NULL;
  g_autoptr(OmniSession) session = NULL;
  RelayRoom *room;
  RelayMember *member;
  gboolean admitted;

  if (token == NULL)
    {
      omni_error_set_field (&error, OMNI_ERROR_MISSING_FIELD, "token", "A guest's hello needs its guestToken");
      refuse (client, g_steal_pointer (&error), RELAY_CLOSE_AUTH);
      return;
    }
  hash = omni_token_hash (token);
  p = relay_store_signal_find_guest (store, hash, &session_id, &error);
  if (p == NULL && error == NULL)
    omni_error_set_field (&error, OMNI_ERROR_UNAUTHORIZED, "token", "The token is not valid");
  if (p != NULL)
    {
      session = relay_store_session_get (store, session_id, &error);
      if (session == NULL && error == NULL)
        omni_error_set_field (&error, OMNI_ERROR_NOT_FOUND, NULL, "Session not found");
    }
  if (error == NULL && check_live (session, &error))
    refuse_guest_state (p, &error);
  if (error != NULL)
    {
      refuse (client, g_steal_pointer (&error), RELAY_CLOSE_AUTH);
      return;
    }

  room = ensure_room (self, session);
  client->role = OMNI_SIGNAL_FROM_GUEST;

  member = relay_room_lookup (room, p->id);
  if (member != NULL)
    {
      /* Within the resume window: same place, no waiting room again. */
      take_over (member);
      relay_room_attach (room, member, client, TRUE);
      return;
    }

  /* A new arrival, or one whose resume window has passed. */
  admitted = g_strcmp0 (p->state, "admitted") == 0 ||
             (g_strcmp0 (p->state, "left") == 0 && !omni_session_uses_waiting_room (session));
  if (admitted)
    {
      if (relay_room_check_capacity (room, NULL, &error))
        relay_store_signal_enter_call (store, session->id, p->id, omni_time_now_ms (), &error);
    }
  else if (g_strcmp0 (p->state, "left") == 0)
    relay_store_signal_set_waiting (store, session->id, p->id, &error);
  if (error != NULL)
    {
      refuse (client, g_steal_pointer (&error), RELAY_CLOSE_AUTH);
      if (g_hash_table_size (room->members) == 0)
        g_hash_table_remove (self->rooms, room->session_id);
      return;
    }

  member = relay_room_add_member (room, p->id, p->name, FALSE, admitted);
  relay_room_attach (room, member, client, FALSE);
}

static void
send_session_status (RelayClient       *client,
                     const OmniSession *session)
{
  g_autoptr(JsonBuilder) builder = omni_signal_builder_new (OMNI_SIGNAL_SESSION_STATUS);
  g_autofree char *start = omni_time_format_iso8601 (session->scheduled_start);
  g_autofree char *text = NULL;

  omni_signal_add_string (builder, "status", session->status == OMNI_SESSION_STATUS_CANCELLED
                                             ? "cancelled" : omni_session_status_to_string (session->status));
  omni_signal_add_string (builder, "scheduledStartTime", start);
  text = omni_signal_builder_finish (builder, NULL);
  relay_client_send (client, text);
}

/* A join page on a session that has not started waits here to hear the
 * start; it learns nothing but the session's status. */
static void
hello_watch (RelayClient *client,
             JsonObject  *message)
{
  RelaySignal *self = client->signal;
  const char *link = omni_json_get_string (message, "link");
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) session = NULL;
  GPtrArray *list;

  if (link == NULL)
    {
      omni_error_set_field (&error, OMNI_ERROR_MISSING_FIELD, "link", "A watcher's hello needs the access link");
      refuse (client, g_steal_pointer (&error), RELAY_CLOSE_AUTH);
      return;
    }
  session = relay_store_session_get_by_link (self->app->store, link, NULL, &error);
  if (session == NULL || session->status == OMNI_SESSION_STATUS_CANCELLED)
    {
      g_clear_error (&error);
      omni_error_set_field (&error, OMNI_ERROR_NOT_FOUND, "link", "Session not found");
      refuse (client, g_steal_pointer (&error), RELAY_CLOSE_AUTH);
      return;
    }

  client->role = OMNI_SIGNAL_FROM_WATCH;
  send_session_status (client, session);
  if (session->status != OMNI_SESSION_STATUS_SCHEDULED)
    {
      relay_client_close (client, RELAY_CLOSE_NORMAL, "Status sent");
      return;
    }

  list = g_hash_table_lookup (self->watchers, link);
  if (list == NULL)
    {
      list = g_ptr_array_new ();
      g_hash_table_insert (self->watchers, g_strdup (link), list);
    }
  if (list->len >= RELAY_SIGNAL_MAX_WATCHERS_PER_LINK)
    {
      relay_client_close (client, RELAY_CLOSE_GOING_AWAY, "Too many pages waiting; poll instead");
      return;
    }
  g_ptr_array_add (list, client);
  client->watch_link = g_strdup (link);
}

static void
handle_hello (RelayClient *client,
              JsonObject  *message)
{
  const char *role = omni_json_get_string (message, "role");
  gint64 version = omni_json_get_integer (message, "v", 0);
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&client->hello_source, g_source_remove);

  if (version != OMNI_SIGNAL_VERSION)
    {
      omni_error_set_field (&error, OMNI_ERROR_INVALID_FIELD, "v",
                            "This relay speaks protocol version %d", OMNI_SIGNAL_VERSION);
      refuse (client, g_steal_pointer (&error), RELAY_CLOSE_POLICY);
      return;
    }
  if (g_strcmp0 (role, "host") == 0)
    hello_host (client, message);
  else if (g_strcmp0 (role, "guest") == 0)
    hello_guest (client, message);
  else if (g_strcmp0 (role, "watch") == 0)
    hello_watch (client, message);
  else
    {
      omni_error_set_field (&error, OMNI_ERROR_INVALID_FIELD, "role", "'role' must be host, guest or watch");
      refuse (client, g_steal_pointer (&error), RELAY_CLOSE_POLICY);
    }
}

/* ---- socket events ---- */

static void
handle_text (RelayClient *client,
             const char  *data,
             gsize        len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autofree char *type = NULL;
  const OmniSignalDef *def = NULL;

  message = omni_signal_parse (data, len, client->role, &def, &type, &error);
  if (message == NULL)
    {
      /* Before hello, anything else is the wrong protocol: no second chance. */
      if (client->role == OMNI_SIGNAL_FROM_ANON)
        refuse (client, g_steal_pointer (&error), RELAY_CLOSE_POLICY);
      else
        client_strike (client, error, type);
      return;
    }

  if (def->kind == OMNI_SIGNAL_PING)
    {
      g_autoptr(JsonBuilder) builder = omni_signal_builder_new (OMNI_SIGNAL_PONG);
      g_autofree char *text = NULL;

      if (omni_json_has (message, "t"))
        omni_signal_add_int (builder, "t", omni_json_get_integer (message, "t", 0));
      text = omni_signal_builder_finish (builder, NULL);
      relay_client_send (client, text);
      return;
    }
  if (def->kind == OMNI_SIGNAL_HELLO)
    {
      handle_hello (client, message);
      return;
    }
  if (client->member == NULL)
    return;   /* a watcher (only pings), or a member just removed */
  relay_room_dispatch (client->member->room, client->member, def, message);
}

static void
on_message (SoupWebsocketConnection *ws,
            gint                     data_type,
            GBytes                  *bytes,
            gpointer                 user_data)
{
  RelayClient *client = user_data;
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  g_autoptr(GError) error = NULL;

  if (client->closing)
    return;
  client->last_seen_ms = omni_time_now_ms ();

  if (data_type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      omni_error_set_field (&error, OMNI_ERROR_INVALID_JSON, NULL, "Messages are JSON text frames, not binary");
      if (client->role == OMNI_SIGNAL_FROM_ANON)
        refuse (client, g_steal_pointer (&error), RELAY_CLOSE_POLICY);
      else
        client_strike (client, error, NULL);
      return;
    }
  handle_text (client, data, len);
}

static void
on_closed (SoupWebsocketConnection *ws,
           gpointer                 user_data)
{
  RelayClient *client = user_data;

  g_hash_table_remove (client->signal->clients, client);
}

static gboolean
on_hello_timeout (gpointer user_data)
{
  RelayClient *client = user_data;
  g_autoptr(GError) error = NULL;

  client->hello_source = 0;
  omni_error_set_field (&error, OMNI_ERROR_UNAUTHORIZED, NULL, "No hello within %d seconds",
                        RELAY_SIGNAL_HELLO_TIMEOUT_S);
  refuse (client, g_steal_pointer (&error), RELAY_CLOSE_POLICY);
  return G_SOURCE_REMOVE;
}

static gboolean
on_idle_check (gpointer user_data)
{
  RelayClient *client = user_data;

  if (omni_time_now_ms () - client->last_seen_ms > RELAY_SIGNAL_IDLE_TIMEOUT_MS)
    {
      client->idle_source = 0;
      relay_client_close (client, RELAY_CLOSE_IDLE, "No message for too long; send pings");
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
client_free (RelayClient *client)
{
  RelayMember *member = client->member;

  g_clear_handle_id (&client->hello_source, g_source_remove);
  g_clear_handle_id (&client->idle_source, g_source_remove);
  remove_watcher (client);
  if (member != NULL && member->client == client)
    {
      client->member = NULL;
      relay_room_detach (member->room, member);
    }
  g_signal_handlers_disconnect_by_data (client->ws, client);
  if (soup_websocket_connection_get_state (client->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (client->ws, RELAY_CLOSE_GOING_AWAY, "The relay is stopping");
  g_object_unref (client->ws);
  g_free (client);
}

static void
on_websocket (SoupServer              *server,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  RelaySignal *self = user_data;
  RelayClient *client;

  if (g_hash_table_size (self->clients) >= RELAY_SIGNAL_MAX_CLIENTS)
    {
      soup_websocket_connection_close (ws, RELAY_CLOSE_GOING_AWAY, "The relay is full");
      return;
    }

  /* TCP_NODELAY is already set on every connection (relay-http.c), which
   * signaling needs: small frames that must go out now. */
  client = g_new0 (RelayClient, 1);
  client->signal = self;
  client->ws = g_object_ref (ws);
  client->role = OMNI_SIGNAL_FROM_ANON;
  client->last_seen_ms = omni_time_now_ms ();

  /* 64 KiB is the protocol's bound and gets an error reply; libsoup's own
   * limit only drops absurd frames before they are buffered whole. */
  soup_websocket_connection_set_max_incoming_payload_size (ws, RELAY_SIGNAL_MAX_FRAME);
  soup_websocket_connection_set_keepalive_interval (ws, 15);
  g_signal_connect (ws, "message", G_CALLBACK (on_message), client);
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), client);
  client->hello_source = g_timeout_add_seconds (RELAY_SIGNAL_HELLO_TIMEOUT_S, on_hello_timeout, client);
  client->idle_source = g_timeout_add_seconds (5, on_idle_check, client);
  g_hash_table_add (self->clients, client);
}

/* ---- public API ---- */

RelaySignal *
relay_signal_new (RelayApp *app)
{
  RelaySignal *self = g_new0 (RelaySignal, 1);
  const char *resume = g_getenv ("OMNILIVE_SIGNAL_RESUME_MS");

  self->app = app;
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) relay_room_free);
  self->clients = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) client_free, NULL);
  self->watchers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  self->resume_ms = RELAY_SIGNAL_RESUME_MS;
  /* Tests shorten the resume window to see its end without waiting 30 s. */
  if (resume != NULL)
    self->resume_ms = CLAMP (g_ascii_strtoll (resume, NULL, 10), 100, RELAY_SIGNAL_RESUME_MS);

  /* No permessage-deflate: signaling frames are small, and a zlib state per
   * socket costs ~100 KiB of memory and a compression pass per fan-out frame
   * (Socket.IO turned it off by default for the same reasons). */
  soup_server_remove_websocket_extension (app->server, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  soup_server_add_websocket_handler (app->server, "/ws", NULL, NULL, on_websocket, self, NULL);
  return self;
}

void
relay_signal_free (RelaySignal *self)
{
  if (self == NULL)
    return;
  /* Rooms first: they may still point at clients. */
  g_hash_table_remove_all (self->rooms);
  g_hash_table_remove_all (self->clients);
  g_hash_table_unref (self->watchers);
  g_hash_table_unref (self->clients);
  g_hash_table_unref (self->rooms);
  g_free (self);
}

void
relay_signal_set_ice_servers_func (RelaySignal               *self,
                                   RelaySignalIceServersFunc  func,
                                   gpointer                   user_data)
{
  g_return_if_fail (self != NULL);
  self->ice_servers_func = func;
  self->ice_servers_data = user_data;
}

void
relay_signal_session_changed (RelaySignal *self,
                              const char  *session_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) session = NULL;
  GPtrArray *list;
  RelayRoom *room;

  g_return_if_fail (self != NULL && session_id != NULL);

  session = relay_store_session_get (self->app->store, session_id, &error);
  if (session == NULL)
    {
      if (error != NULL)
        g_warning ("Cannot tell signaling about session %s: %s", session_id, error->message);
      return;
    }

  room = g_hash_table_lookup (self->rooms, session_id);
  if (room != NULL && session->status != OMNI_SESSION_STATUS_LIVE)
    relay_room_end (room);

  list = g_hash_table_lookup (self->watchers, session->access_link);
  if (list != NULL && session->status != OMNI_SESSION_STATUS_SCHEDULED)
    {
      g_autoptr(GPtrArray) copy = g_ptr_array_copy (list, NULL, NULL);

      /* Each page now joins for real (or shows the end); closing removes it from the list. */
      for (guint i = 0; i < copy->len; i++)
        {
          RelayClient *client = g_ptr_array_index (copy, i);
          send_session_status (client, session);
          relay_client_close (client, RELAY_CLOSE_NORMAL, "Status changed");
        }
    }
}
