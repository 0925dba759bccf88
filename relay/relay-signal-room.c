/* relay-signal-room.c: one live session's room — who is in the call, who
 * waits, the chat, the recording flag — and every in-room message. The relay
 * is authoritative: waiting guests hear only their own state, host commands
 * come from the host's socket only, SDP/ICE flow only between the host and
 * admitted guests. */
#define G_LOG_DOMAIN "relay-signal"

#include "relay-signal-private.h"
#include "relay-store-signal.h"
#include "omni-error.h"
#include "omni-json.h"
#include "omni-time.h"

#include <string.h>

/* ---- members ---- */

static void
member_free (RelayMember *member)
{
  g_clear_handle_id (&member->grace_source, g_source_remove);
  if (member->client != NULL)
    member->client->member = NULL;
  g_free (member->id);
  g_free (member->name);
  g_free (member);
}

static const char *
member_role (const RelayMember *member)
{
  return member->is_host ? "host" : "guest";
}

static void
add_member_object (JsonBuilder       *builder,
                   const RelayMember *member)
{
  json_builder_begin_object (builder);
  omni_signal_add_string (builder, "id", member->id);
  omni_signal_add_string (builder, "name", member->name);
  omni_signal_add_string (builder, "role", member_role (member));
  omni_signal_add_bool (builder, "mic", member->mic);
  omni_signal_add_bool (builder, "cam", member->cam);
  omni_signal_add_bool (builder, "screen", member->screen);
  omni_signal_add_bool (builder, "hand", member->hand);
  omni_signal_add_bool (builder, "connected", member->client != NULL);
  json_builder_end_object (builder);
}

static void
send_to (RelayMember *member,
         const char  *text)
{
  if (member != NULL && member->client != NULL)
    relay_client_send (member->client, text);
}

static void
send_error (RelayMember   *member,
            OmniErrorCode  code,
            const char    *field,
            const char    *ref_type,
            const char    *message)
{
  g_autoptr(GError) error = NULL;

  omni_error_set_field (&error, code, field, "%s", message);
  if (member->client != NULL)
    relay_client_send_error (member->client, error, ref_type);
}

/* Everyone in the call (host and admitted guests), never the waiting room. */
static void
broadcast (RelayRoom   *room,
           const char  *text,
           RelayMember *except)
{
  GHashTableIter iter;
  RelayMember *member;

  g_hash_table_iter_init (&iter, room->members);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &member))
    if (member != except && member->admitted)
      send_to (member, text);
}

static void
broadcast_member (RelayRoom      *room,
                  OmniSignalKind  kind,
                  RelayMember    *member,
                  RelayMember    *except)
{
  g_autoptr(JsonBuilder) builder = omni_signal_builder_new (kind);
  g_autofree char *text = NULL;

  json_builder_set_member_name (builder, "participant");
  add_member_object (builder, member);
  text = omni_signal_builder_finish (builder, NULL);
  broadcast (room, text, except);
}

static RelayMember *
room_host (RelayRoom *room)
{
  return g_hash_table_lookup (room->members, room->host_id);
}

static gint
compare_since (gconstpointer a,
               gconstpointer b)
{
  const RelayMember *ma = *(RelayMember * const *) a;
  const RelayMember *mb = *(RelayMember * const *) b;

  return (ma->since_ms > mb->since_ms) - (ma->since_ms < mb->since_ms);
}

/* The host sees the whole waiting room each time it changes: small, and the
 * host never has to reconcile deltas. */
static void
send_waiting_list (RelayRoom *room)
{
  RelayMember *host = room_host (room);
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GPtrArray) waiting = g_ptr_array_new ();
  g_autofree char *text = NULL;
  GHashTableIter iter;
  RelayMember *member;

  if (host == NULL || host->client == NULL)
    return;

  g_hash_table_iter_init (&iter, room->members);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &member))
    if (!member->admitted)
      g_ptr_array_add (waiting, member);
  g_ptr_array_sort (waiting, compare_since);

  builder = omni_signal_builder_new (OMNI_SIGNAL_WAITING_LIST);
  json_builder_set_member_name (builder, "guests");
  json_builder_begin_array (builder);
  for (guint i = 0; i < waiting->len; i++)
    {
      char since[OMNI_TIME_ISO8601_LEN + 1];

      member = g_ptr_array_index (waiting, i);
      omni_time_format_iso8601_buf (member->since_ms, since);
      json_builder_begin_object (builder);
      omni_signal_add_string (builder, "id", member->id);
      omni_signal_add_string (builder, "name", member->name);
      omni_signal_add_string (builder, "since", since);
      omni_signal_add_bool (builder, "connected", member->client != NULL);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  text = omni_signal_builder_finish (builder, NULL);
  send_to (host, text);
}

static void
send_roster (RelayRoom   *room,
             RelayMember *to)
{
  g_autoptr(JsonBuilder) builder = omni_signal_builder_new (OMNI_SIGNAL_ROSTER);
  g_autoptr(GPtrArray) admitted = g_ptr_array_new ();
  g_autofree char *text = NULL;
  GHashTableIter iter;
  RelayMember *member;

  g_hash_table_iter_init (&iter, room->members);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &member))
    if (member->admitted)
      g_ptr_array_add (admitted, member);
  g_ptr_array_sort (admitted, compare_since);

  json_builder_set_member_name (builder, "participants");
  json_builder_begin_array (builder);
  for (guint i = 0; i < admitted->len; i++)
    add_member_object (builder, g_ptr_array_index (admitted, i));
  json_builder_end_array (builder);
  text = omni_signal_builder_finish (builder, NULL);
  send_to (to, text);
}

static void
send_chat_history (RelayRoom   *room,
                   RelayMember *to)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *text = NULL;

  if (!room->enable_chat)
    return;
  builder = omni_signal_builder_new (OMNI_SIGNAL_CHAT_HISTORY);
  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  for (GList *l = room->chat->head; l != NULL; l = l->next)
    json_builder_add_value (builder, json_node_copy (l->data));
  json_builder_end_array (builder);
  text = omni_signal_builder_finish (builder, NULL);
  send_to (to, text);
}

static char *
build_recording (RelayRoom *room)
{
  g_autoptr(JsonBuilder) builder = omni_signal_builder_new (OMNI_SIGNAL_RECORDING);

  omni_signal_add_bool (builder, "on", room->recording);
  return omni_signal_builder_finish (builder, NULL);
}

/* What an admitted member needs to draw the call: who is in it, what was
 * said before it came, whether it is being recorded. */
static void
send_call_state (RelayRoom   *room,
                 RelayMember *member)
{
  g_autofree char *recording = build_recording (room);

  send_roster (room, member);
  send_chat_history (room, member);
  send_to (member, recording);
  if (member->is_host)
    send_waiting_list (room);
}

static void
send_welcome (RelayRoom   *room,
              RelayMember *member,
              gboolean     resumed)
{
  RelaySignal *self = room->signal;
  g_autoptr(JsonBuilder) builder = omni_signal_builder_new (OMNI_SIGNAL_WELCOME);
  g_autofree char *text = NULL;

  omni_signal_add_int (builder, "v", OMNI_SIGNAL_VERSION);
  omni_signal_add_string (builder, "role", member_role (member));
  omni_signal_add_string (builder, "participantId", member->id);
  omni_signal_add_string (builder, "name", member->name);
  omni_signal_add_string (builder, "state", member->admitted ? "admitted" : "waiting");
  omni_signal_add_bool (builder, "resumed", resumed);
  omni_signal_add_int (builder, "resumeWindowMs", self->resume_ms);
  json_builder_set_member_name (builder, "session");
  json_builder_begin_object (builder);
  omni_signal_add_string (builder, "id", room->session_id);
  omni_signal_add_string (builder, "title", room->title);
  /* A waiting guest learns the session's settings, never who is inside. */
  omni_signal_add_string (builder, "sessionType", room->session_type);
  omni_signal_add_string (builder, "hostName", room->host_name);
  omni_signal_add_bool (builder, "enableChat", room->enable_chat);
  omni_signal_add_bool (builder, "enableScreenShare", room->enable_screen_share);
  omni_signal_add_bool (builder, "enableRecording", room->enable_recording);
  omni_signal_add_int (builder, "maxParticipants", room->max_participants);
  json_builder_end_object (builder);
  if (self->ice_servers_func != NULL)
    {
      json_builder_set_member_name (builder, "iceServers");
      self->ice_servers_func (builder, member->id, self->ice_servers_data);
    }
  text = omni_signal_builder_finish (builder, NULL);
  send_to (member, text);
}

/* Takes the member out of the room. Frees the room when it is empty, so the
 * caller must not use either afterwards. */
static void
member_leave (RelayRoom   *room,
              RelayMember *member,
              const char  *reason,
              gboolean     record_leave)
{
  RelaySignal *self = room->signal;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = g_strdup (member->id);
  gboolean was_admitted = member->admitted;

  if (record_leave && !member->is_host &&
      !relay_store_guest_leave (self->app->store, room->session_id, member->id, omni_time_now_ms (), &error))
    g_warning ("Cannot record that %s left session %s: %s", member->id, room->session_id, error->message);

  g_hash_table_remove (room->members, id);   /* frees member */

  if (was_admitted)
    {
      g_autoptr(JsonBuilder) builder = omni_signal_builder_new (OMNI_SIGNAL_PARTICIPANT_LEFT);
      g_autofree char *text = NULL;

      omni_signal_add_string (builder, "id", id);
      omni_signal_add_string (builder, "reason", reason);
      text = omni_signal_builder_finish (builder, NULL);
      broadcast (room, text, NULL);
    }
  else
    send_waiting_list (room);

  if (g_hash_table_size (room->members) == 0)
    g_hash_table_remove (self->rooms, room->session_id);
}

static gboolean
on_grace_over (gpointer user_data)
{
  RelayMember *member = user_data;

  member->grace_source = 0;
  g_message ("%s %s did not come back to session %s", member_role (member), member->id,
             member->room->session_id);
  member_leave (member->room, member, "left", TRUE);
  return G_SOURCE_REMOVE;
}

/* Sends a final message, closes the socket, and forgets the member. */
static void
kick (RelayRoom   *room,
      RelayMember *member,
      const char  *final_text,
      const char  *reason)
{
  RelayClient *client = member->client;

  if (client != NULL)
    {
      relay_client_send (client, final_text);
      member->client = NULL;
      client->member = NULL;
      relay_client_close (client, RELAY_CLOSE_NORMAL, reason);
    }
  member_leave (room, member, reason, FALSE);
}

/* ---- room lifecycle ---- */

RelayRoom *
relay_room_new (RelaySignal       *signal,
                const OmniSession *session)
{
  RelayRoom *room = g_new0 (RelayRoom, 1);

  room->signal = signal;
  room->session_id = g_strdup (session->id);
  room->host_id = g_strdup (session->host_id);
  room->title = g_strdup (session->title);
  room->session_type = g_strdup (omni_session_type_to_string (session->type));
  room->host_name = g_strdup (session->host_name);
  room->enable_chat = session->enable_chat;
  room->enable_screen_share = session->enable_screen_share;
  room->enable_recording = session->enable_recording;
  room->max_participants = session->max_participants;
  room->members = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) member_free);
  room->chat = g_queue_new ();
  room->next_chat_id = 1;
  return room;
}

void
relay_room_free (RelayRoom *room)
{
  g_hash_table_unref (room->members);
  g_queue_free_full (room->chat, (GDestroyNotify) json_node_unref);
  g_free (room->session_id);
  g_free (room->host_id);
  g_free (room->title);
  g_free (room->session_type);
  g_free (room->host_name);
  g_free (room);
}

void
relay_room_end (RelayRoom *room)
{
  g_autoptr(JsonBuilder) builder = omni_signal_builder_new (OMNI_SIGNAL_SESSION_ENDED);
  g_autofree char *text = NULL;
  GHashTableIter iter;
  RelayMember *member;

  omni_signal_add_string (builder, "reason", "host-ended");
  text = omni_signal_builder_finish (builder, NULL);

  /* Waiting guests hear it too: there is nothing left to wait for. */
  g_hash_table_iter_init (&iter, room->members);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &member))
    {
      RelayClient *client = member->client;

      if (client == NULL)
        continue;
      relay_client_send (client, text);
      member->client = NULL;
      client->member = NULL;
      relay_client_close (client, RELAY_CLOSE_NORMAL, "The session has ended");
    }
  g_message ("Session %s ended: room closed", room->session_id);
  g_hash_table_remove (room->signal->rooms, room->session_id);
}

RelayMember *
relay_room_lookup (RelayRoom  *room,
                   const char *id)
{
  return g_hash_table_lookup (room->members, id);
}

gboolean
relay_room_check_capacity (RelayRoom    *room,
                           RelayMember  *except,
                           GError      **error)
{
  GHashTableIter iter;
  RelayMember *member;
  int guests = 0;

  g_hash_table_iter_init (&iter, room->members);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &member))
    if (member != except && member->admitted && !member->is_host)
      guests++;

  if (guests + 1 + 1 > room->max_participants)
    {
      omni_error_set_field (error, OMNI_ERROR_FULL, NULL,
                            "This session is full (%d participants)", room->max_participants);
      return FALSE;
    }
  return TRUE;
}

RelayMember *
relay_room_add_member (RelayRoom  *room,
                       const char *id,
                       const char *name,
                       gboolean    is_host,
                       gboolean    admitted)
{
  RelayMember *member = g_new0 (RelayMember, 1);

  member->room = room;
  member->id = g_strdup (id);
  member->name = g_strdup (name);
  member->is_host = is_host;
  member->admitted = admitted;
  member->since_ms = omni_time_now_ms ();
  member->chat_tokens = is_host ? RELAY_SIGNAL_HOST_CHAT_BURST : RELAY_SIGNAL_CHAT_BURST;
  member->chat_refill_ms = member->since_ms;
  g_hash_table_insert (room->members, member->id, member);
  return member;
}

void
relay_room_attach (RelayRoom   *room,
                   RelayMember *member,
                   RelayClient *client,
                   gboolean     resumed)
{
  g_clear_handle_id (&member->grace_source, g_source_remove);
  member->client = client;
  client->member = member;

  send_welcome (room, member, resumed);
  if (!member->admitted)
    {
      send_waiting_list (room);
      return;
    }
  send_call_state (room, member);
  broadcast_member (room, resumed ? OMNI_SIGNAL_PARTICIPANT_UPDATED : OMNI_SIGNAL_PARTICIPANT_JOINED,
                    member, member);
  g_message ("%s %s %s session %s", member_role (member), member->id,
             resumed ? "resumed in" : "joined", room->session_id);
}

void
relay_room_detach (RelayRoom   *room,
                   RelayMember *member)
{
  RelaySignal *self = room->signal;

  member->client = NULL;
  g_clear_handle_id (&member->grace_source, g_source_remove);
  member->grace_source = g_timeout_add (self->resume_ms, on_grace_over, member);
  if (member->admitted)
    broadcast_member (room, OMNI_SIGNAL_PARTICIPANT_UPDATED, member, NULL);
  else
    send_waiting_list (room);
}

/* ---- in-room messages ---- */

static RelayMember *
find_target (RelayRoom   *room,
             RelayMember *from,
             JsonObject  *message,
             const char  *field,
             const char  *ref_type)
{
  const char *id = omni_json_get_string (message, field);
  RelayMember *target = id != NULL ? relay_room_lookup (room, id) : NULL;

  if (target == NULL || target->is_host)
    {
      send_error (from, OMNI_ERROR_NOT_FOUND, field, ref_type, "No such guest in this session");
      return NULL;
    }
  return target;
}

static void
handle_admit (RelayRoom   *room,
              RelayMember *host,
              JsonObject  *message)
{
  RelayStore *store = room->signal->app->store;
  RelayMember *guest = find_target (room, host, message, "id", "admit");
  g_autoptr(GError) error = NULL;
  g_autofree char *admitted = NULL;
  g_autoptr(JsonBuilder) builder = NULL;

  if (guest == NULL)
    return;
  if (guest->admitted)
    return;   /* a double click: already done */
  if (!relay_room_check_capacity (room, guest, &error) ||
      !relay_store_signal_enter_call (store, room->session_id, guest->id, omni_time_now_ms (), &error))
    {
      if (host->client != NULL)
        relay_client_send_error (host->client, error, "admit");
      return;
    }

  guest->admitted = TRUE;
  builder = omni_signal_builder_new (OMNI_SIGNAL_ADMITTED);
  omni_signal_add_bool (builder, "recording", room->recording);
  admitted = omni_signal_builder_finish (builder, NULL);
  send_to (guest, admitted);
  send_roster (room, guest);
  send_chat_history (room, guest);
  broadcast_member (room, OMNI_SIGNAL_PARTICIPANT_JOINED, guest, guest);
  send_waiting_list (room);
  g_message ("Guest %s admitted to session %s", guest->id, room->session_id);
}

static void
handle_deny_or_remove (RelayRoom      *room,
                       RelayMember    *host,
                       JsonObject     *message,
                       OmniSignalKind  kind)
{
  RelayStore *store = room->signal->app->store;
  const char *type = omni_signal_def (kind)->type;
  RelayMember *guest = find_target (room, host, message, "id", type);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *state = kind == OMNI_SIGNAL_DENY ? "denied" : "removed";

  if (guest == NULL)
    return;
  if (kind == OMNI_SIGNAL_DENY && guest->admitted)
    {
      send_error (host, OMNI_ERROR_INVALID_STATE, "id", type, "This guest is already in the call; remove them instead");
      return;
    }
  /* The token dies with the record's state: a reconnect with it is refused. */
  if (!relay_store_signal_close (store, room->session_id, guest->id, state, omni_time_now_ms (), &error))
    {
      if (host->client != NULL)
        relay_client_send_error (host->client, error, type);
      return;
    }
  g_message ("Guest %s %s in session %s", guest->id, state, room->session_id);
  text = omni_signal_build_simple (kind == OMNI_SIGNAL_DENY ? OMNI_SIGNAL_DENIED : OMNI_SIGNAL_REMOVED);
  kick (room, guest, text, state);
}

static void
mute_one (RelayRoom   *room,
          RelayMember *host,
          RelayMember *guest)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *text = NULL;

  if (!guest->admitted)
    return;
  builder = omni_signal_builder_new (OMNI_SIGNAL_MUTED);
  omni_signal_add_string (builder, "by", host->id);
  text = omni_signal_builder_finish (builder, NULL);
  send_to (guest, text);
  /* The relay shows the guest muted at once; the page turns its mic off and
   * confirms with a media message. */
  if (guest->mic)
    {
      guest->mic = FALSE;
      broadcast_member (room, OMNI_SIGNAL_PARTICIPANT_UPDATED, guest, NULL);
    }
}

static void
handle_mute_all (RelayRoom   *room,
                 RelayMember *host)
{
  GHashTableIter iter;
  RelayMember *guest;

  /* mute_one never adds or removes members, so iterating is safe. */
  g_hash_table_iter_init (&iter, room->members);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &guest))
    if (!guest->is_host)
      mute_one (room, host, guest);
}

static void
handle_recording (RelayRoom   *room,
                  RelayMember *host,
                  JsonObject  *message)
{
  gboolean on = omni_json_get_boolean (message, "on", FALSE);
  g_autofree char *text = NULL;

  if (on && !room->enable_recording)
    {
      send_error (host, OMNI_ERROR_FORBIDDEN, "on", "recording-set", "Recording is not enabled for this session");
      return;
    }
  if (on == room->recording)
    return;
  room->recording = on;
  text = build_recording (room);
  broadcast (room, text, NULL);
}

static gboolean
take_chat_token (RelayMember *member,
                 guint       *out_retry_after)
{
  gint64 now = omni_time_now_ms ();
  double elapsed = (double) (now - member->chat_refill_ms) / 1000.0;
  double burst = member->is_host ? RELAY_SIGNAL_HOST_CHAT_BURST : RELAY_SIGNAL_CHAT_BURST;
  double rate = member->is_host ? RELAY_SIGNAL_HOST_CHAT_PER_SECOND : RELAY_SIGNAL_CHAT_PER_SECOND;

  member->chat_tokens = MIN (burst, member->chat_tokens + elapsed * rate);
  member->chat_refill_ms = now;
  if (member->chat_tokens < 1.0)
    {
      *out_retry_after = 1;
      return FALSE;
    }
  member->chat_tokens -= 1.0;
  return TRUE;
}

static void
handle_chat (RelayRoom   *room,
             RelayMember *member,
             JsonObject  *message)
{
  g_autofree char *text = g_strstrip (g_strdup (omni_json_get_string (message, "text")));
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *wire = NULL;
  char at[OMNI_TIME_ISO8601_LEN + 1];
  guint retry_after = 0;

  if (!room->enable_chat)
    {
      send_error (member, OMNI_ERROR_FORBIDDEN, NULL, "chat-send", "Chat is turned off for this session");
      return;
    }
  if (!take_chat_token (member, &retry_after))
    {
      g_autoptr(GError) error = NULL;

      omni_error_set_field (&error, OMNI_ERROR_RATE_LIMITED, NULL, "You are sending messages too fast");
      omni_error_set_retry_after (error, retry_after);
      relay_client_send_error (member->client, error, "chat-send");
      return;
    }

  omni_time_format_iso8601_buf (omni_time_now_ms (), at);
  builder = omni_signal_builder_new (OMNI_SIGNAL_CHAT);
  omni_signal_add_int (builder, "id", room->next_chat_id++);
  json_builder_set_member_name (builder, "from");
  json_builder_begin_object (builder);
  omni_signal_add_string (builder, "id", member->id);
  omni_signal_add_string (builder, "name", member->name);
  omni_signal_add_string (builder, "role", member_role (member));
  json_builder_end_object (builder);
  omni_signal_add_string (builder, "text", text);
  omni_signal_add_string (builder, "at", at);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);

  wire = omni_json_to_string (node, NULL);
  broadcast (room, wire, NULL);

  g_queue_push_tail (room->chat, g_steal_pointer (&node));
  if (g_queue_get_length (room->chat) > RELAY_SIGNAL_CHAT_HISTORY)
    json_node_unref (g_queue_pop_head (room->chat));
}

static void
handle_media (RelayRoom   *room,
              RelayMember *member,
              JsonObject  *message)
{
  gboolean screen = omni_json_get_boolean (message, "screen", FALSE);

  if (screen && !room->enable_screen_share)
    {
      send_error (member, OMNI_ERROR_FORBIDDEN, "screen", "media", "Screen sharing is turned off for this session");
      screen = FALSE;
    }
  member->mic = omni_json_get_boolean (message, "mic", FALSE);
  member->cam = omni_json_get_boolean (message, "cam", FALSE);
  member->screen = screen;
  broadcast_member (room, OMNI_SIGNAL_PARTICIPANT_UPDATED, member, NULL);
}

static void
handle_hand (RelayRoom   *room,
             RelayMember *member,
             JsonObject  *message)
{
  gboolean raised = omni_json_get_boolean (message, "raised", FALSE);

  if (raised == member->hand)
    return;
  member->hand = raised;
  broadcast_member (room, OMNI_SIGNAL_PARTICIPANT_UPDATED, member, NULL);
}

/* SDP and ICE: the host names the guest; a guest always talks to the host.
 * The relay rebuilds the message so a client cannot forge "from". */
static void
handle_forward (RelayRoom           *room,
                RelayMember         *member,
                const OmniSignalDef *def,
                JsonObject          *message)
{
  RelayMember *to;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *text = NULL;

  if (member->is_host)
    {
      to = find_target (room, member, message, "to", def->type);
      if (to == NULL)
        return;
      if (!to->admitted)
        {
          send_error (member, OMNI_ERROR_INVALID_STATE, "to", def->type, "This guest is still in the waiting room");
          return;
        }
    }
  else
    to = room_host (room);
  if (to == NULL || to->client == NULL)
    {
      send_error (member, OMNI_ERROR_INVALID_STATE, "to", def->type, "The other side is not connected");
      return;
    }

  builder = omni_signal_builder_new (def->kind);
  omni_signal_add_string (builder, "from", member->id);
  if (def->kind == OMNI_SIGNAL_MEDIA_RESTART)
    ;   /* nothing but who asks */
  else if (def->kind == OMNI_SIGNAL_ICE)
    {
      omni_signal_add_string (builder, "candidate", omni_json_get_string (message, "candidate"));
      if (omni_json_has (message, "sdpMid"))
        omni_signal_add_string (builder, "sdpMid", omni_json_get_string (message, "sdpMid"));
      if (omni_json_has (message, "sdpMLineIndex"))
        omni_signal_add_int (builder, "sdpMLineIndex", omni_json_get_integer (message, "sdpMLineIndex", 0));
    }
  else
    omni_signal_add_string (builder, "sdp", omni_json_get_string (message, "sdp"));
  text = omni_signal_builder_finish (builder, NULL);
  send_to (to, text);
}

void
relay_room_dispatch (RelayRoom           *room,
                     RelayMember         *member,
                     const OmniSignalDef *def,
                     JsonObject          *message)
{
  if (def->kind == OMNI_SIGNAL_LEAVE)
    {
      RelayClient *client = member->client;

      member->client = NULL;
      client->member = NULL;
      relay_client_close (client, RELAY_CLOSE_NORMAL, "Left");
      member_leave (room, member, "left", TRUE);
      return;
    }
  if (!member->admitted)
    {
      send_error (member, OMNI_ERROR_INVALID_STATE, NULL, def->type,
                  "You are in the waiting room until the host lets you in");
      return;
    }

  switch (def->kind)
    {
    case OMNI_SIGNAL_MEDIA:
      handle_media (room, member, message);
      break;
    case OMNI_SIGNAL_HAND:
      handle_hand (room, member, message);
      break;
    case OMNI_SIGNAL_CHAT_SEND:
      handle_chat (room, member, message);
      break;
    case OMNI_SIGNAL_OFFER:
    case OMNI_SIGNAL_ANSWER:
    case OMNI_SIGNAL_ICE:
    case OMNI_SIGNAL_MEDIA_RESTART:
      handle_forward (room, member, def, message);
      break;
    /* Host commands: omni_signal_parse has already refused them from guests;
     * the check here keeps that true if the table ever changes. */
    case OMNI_SIGNAL_ADMIT:
    case OMNI_SIGNAL_DENY:
    case OMNI_SIGNAL_REMOVE:
    case OMNI_SIGNAL_MUTE:
    case OMNI_SIGNAL_MUTE_ALL:
    case OMNI_SIGNAL_RECORDING_SET:
      if (!member->is_host)
        {
          send_error (member, OMNI_ERROR_FORBIDDEN, "type", def->type, "Only the host may do that");
          break;
        }
      if (def->kind == OMNI_SIGNAL_ADMIT)
        handle_admit (room, member, message);
      else if (def->kind == OMNI_SIGNAL_DENY || def->kind == OMNI_SIGNAL_REMOVE)
        handle_deny_or_remove (room, member, message, def->kind);
      else if (def->kind == OMNI_SIGNAL_MUTE)
        {
          RelayMember *guest = find_target (room, member, message, "id", def->type);
          if (guest != NULL)
            mute_one (room, member, guest);
        }
      else if (def->kind == OMNI_SIGNAL_MUTE_ALL)
        handle_mute_all (room, member);
      else
        handle_recording (room, member, message);
      break;
    case OMNI_SIGNAL_HELLO:
    case OMNI_SIGNAL_PING:
    case OMNI_SIGNAL_LEAVE:
    case OMNI_SIGNAL_WELCOME:
    case OMNI_SIGNAL_PONG:
    case OMNI_SIGNAL_ERROR:
    case OMNI_SIGNAL_ADMITTED:
    case OMNI_SIGNAL_DENIED:
    case OMNI_SIGNAL_REMOVED:
    case OMNI_SIGNAL_ROSTER:
    case OMNI_SIGNAL_PARTICIPANT_JOINED:
    case OMNI_SIGNAL_PARTICIPANT_UPDATED:
    case OMNI_SIGNAL_PARTICIPANT_LEFT:
    case OMNI_SIGNAL_WAITING_LIST:
    case OMNI_SIGNAL_CHAT:
    case OMNI_SIGNAL_CHAT_HISTORY:
    case OMNI_SIGNAL_MUTED:
    case OMNI_SIGNAL_RECORDING:
    case OMNI_SIGNAL_SESSION_STATUS:
    case OMNI_SIGNAL_SESSION_ENDED:
    case OMNI_SIGNAL_N_KINDS:
    default:
      /* Not sendable by clients: omni_signal_parse refused it already. */
      break;
    }
}
