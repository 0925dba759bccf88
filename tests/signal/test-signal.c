/* test-signal.c: signaling against the real relay binary over real
 * WebSockets (libsoup client): waiting room, moderation, capacity, host-only
 * commands, hostile frames, chat, resume, SDP/ICE forwarding, analytics. */
#include "relay-fixture.h"
#include "omni-signal.h"

#include <string.h>

#define WAIT_MS 5000

/* ---- a small WebSocket test client ---- */

typedef struct {
  SoupWebsocketConnection *ws;
  GPtrArray *log;        /* every JsonObject received, in order */
  GQueue    *inbox;      /* not yet consumed by ws_wait */
  gboolean   closed;
  gushort    close_code;
} WsClient;

static void
on_ws_message (SoupWebsocketConnection *ws,
               gint                     type,
               GBytes                  *bytes,
               gpointer                 user_data)
{
  WsClient *c = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  JsonObject *object;
  const OmniSignalDef *def;

  g_assert_true (json_parser_load_from_data (parser, data, (gssize) len, NULL));
  object = json_node_get_object (json_parser_get_root (parser));
  /* Everything the relay sends matches its definition in omni-signal.c. */
  def = omni_signal_def_lookup (json_object_get_string_member (object, "type"));
  g_assert_nonnull (def);
  g_assert_true (def->senders & OMNI_SIGNAL_FROM_RELAY);
  g_ptr_array_add (c->log, json_object_ref (object));
  g_queue_push_tail (c->inbox, json_object_ref (object));
}

static void
on_ws_closed (SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  WsClient *c = user_data;
  c->closed = TRUE;
  c->close_code = soup_websocket_connection_get_close_code (ws);
}

static gboolean
on_timeout (gpointer user_data)
{
  gboolean *flag = user_data;
  *flag = TRUE;
  return G_SOURCE_REMOVE;
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GError *error = NULL;
  SoupWebsocketConnection **out = user_data;

  *out = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
}

static WsClient *
ws_open (RelayFixture *relay)
{
  g_autofree char *url = g_strconcat ("ws", relay->url + 4, "/ws", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  WsClient *c = g_new0 (WsClient, 1);
  gboolean timed_out = FALSE;
  guint timer = g_timeout_add (WAIT_MS, on_timeout, &timed_out);

  soup_session_websocket_connect_async (relay->http, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        on_connected, &c->ws);
  while (c->ws == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (timer);

  /* Frames up to 1 MiB, so the oversized-message test reaches the relay. */
  soup_websocket_connection_set_max_incoming_payload_size (c->ws, 1024 * 1024);
  c->log = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  c->inbox = g_queue_new ();
  g_signal_connect (c->ws, "message", G_CALLBACK (on_ws_message), c);
  g_signal_connect (c->ws, "closed", G_CALLBACK (on_ws_closed), c);
  return c;
}

static void
ws_free (WsClient *c)
{
  if (c == NULL)
    return;
  g_signal_handlers_disconnect_by_data (c->ws, c);
  if (soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (c->ws, 1000, NULL);
  g_object_unref (c->ws);
  g_queue_free_full (c->inbox, (GDestroyNotify) json_object_unref);
  g_ptr_array_unref (c->log);
  g_free (c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsClient, ws_free)

static void
ws_send (WsClient   *c,
         const char *text)
{
  soup_websocket_connection_send_text (c->ws, text);
}

static void
ws_send_take (WsClient *c,
              char     *text)
{
  ws_send (c, text);
  g_free (text);
}

static const char *
type_of (JsonObject *object)
{
  return json_object_get_string_member (object, "type");
}

/* The first unconsumed message of that type (earlier ones of other types
 * stay in the inbox); fails the test after WAIT_MS. */
static JsonObject *
ws_wait (WsClient   *c,
         const char *type)
{
  gboolean timed_out = FALSE;
  guint timer = g_timeout_add (WAIT_MS, on_timeout, &timed_out);

  for (;;)
    {
      for (GList *l = c->inbox->head; l != NULL; l = l->next)
        if (g_strcmp0 (type_of (l->data), type) == 0)
          {
            JsonObject *found = l->data;
            g_queue_delete_link (c->inbox, l);
            g_source_remove (timer);
            /* The log keeps a ref: the caller may use it until ws_free. */
            json_object_unref (found);
            return found;
          }
      if (timed_out)
        g_error ("no '%s' message within %d ms", type, WAIT_MS);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
ws_wait_closed (WsClient *c)
{
  gboolean timed_out = FALSE;
  guint timer = g_timeout_add (WAIT_MS, on_timeout, &timed_out);

  while (!c->closed && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (c->closed);
  g_source_remove (timer);
}

/* Round-trips a ping: everything the relay sent before the pong has arrived. */
static void
ws_sync (WsClient *c)
{
  ws_send (c, "{\"type\":\"ping\",\"t\":7}");
  ws_wait (c, "pong");
}

static guint
ws_count (WsClient   *c,
          const char *type)
{
  guint n = 0;
  for (guint i = 0; i < c->log->len; i++)
    if (g_strcmp0 (type_of (g_ptr_array_index (c->log, i)), type) == 0)
      n++;
  return n;
}

static const char *
error_code (JsonObject *error)
{
  return json_object_get_string_member (error, "code");
}

/* ---- fixture: a relay, a host, a live session ---- */

typedef struct {
  RelayFixture relay;
  char        *session_id;
  char        *link;
} Fixture;

typedef struct {
  const char *extra;      /* more members of the create body */
  gboolean    scheduled;  /* leave it scheduled (not started) */
} SessionSpec;

static void
create_session (Fixture    *f,
                const char *extra,
                gboolean    start)
{
  g_autofree char *begin = relay_fixture_time_from_now (start ? 60 : 600);
  g_autofree char *end = relay_fixture_time_from_now (3600);
  g_autofree char *body = g_strdup_printf ("{\"title\":\"Signal test\",\"sessionType\":\"meeting\","
                                           "\"scheduledStartTime\":\"%s\",\"scheduledEndTime\":\"%s\"%s%s}",
                                           begin, end, extra ? "," : "", extra ? extra : "");
  g_autoptr(RelayResponse) created = relay_fixture_json (&f->relay, "POST", "/api/sessions", f->relay.token, body);

  g_assert_cmpuint (created->status, ==, 201);
  g_free (f->session_id);
  g_free (f->link);
  f->session_id = g_strdup (relay_response_string (created, "_id"));
  f->link = g_strdup (relay_response_string (created, "accessLink"));

  if (start)
    {
      g_autofree char *path = g_strdup_printf ("/api/sessions/%s/start", f->session_id);
      g_autoptr(RelayResponse) started = relay_fixture_json (&f->relay, "POST", path, f->relay.token, NULL);
      g_assert_cmpuint (started->status, ==, 200);
    }
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const SessionSpec *spec = data;

  memset (f, 0, sizeof *f);
  relay_fixture_start (&f->relay, NULL, NULL);
  create_session (f, spec ? spec->extra : NULL, spec == NULL || !spec->scheduled);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  relay_fixture_stop (&f->relay);
  g_free (f->session_id);
  g_free (f->link);
}

/* POST /api/join; returns the guest token, the participant id in out_id. */
static char *
join_rest (Fixture     *f,
           const char  *name,
           const char  *email,
           const char  *expect_state,
           char       **out_id)
{
  g_autofree char *path = g_strdup_printf ("/api/join/%s", f->link);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *body = NULL;
  g_autoptr(RelayResponse) response = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, email);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);

  response = relay_fixture_json (&f->relay, "POST", path, NULL, body);
  g_assert_cmpuint (response->status, ==, 200);
  if (expect_state != NULL)
    g_assert_cmpstr (relay_response_string (response, "state"), ==, expect_state);
  if (out_id != NULL)
    *out_id = g_strdup (relay_response_string (response, "participantId"));
  return g_strdup (relay_response_string (response, "guestToken"));
}

static WsClient *
connect_host (Fixture *f)
{
  WsClient *c = ws_open (&f->relay);
  JsonObject *welcome;

  ws_send_take (c, omni_signal_build_hello_host (f->relay.token, f->session_id));
  welcome = ws_wait (c, "welcome");
  g_assert_cmpstr (json_object_get_string_member (welcome, "role"), ==, "host");
  ws_wait (c, "roster");
  ws_wait (c, "waiting-list");
  return c;
}

/* Connects a guest and waits for its welcome; expect_state NULL: any. */
static WsClient *
connect_guest (Fixture    *f,
               const char *token,
               const char *expect_state)
{
  WsClient *c = ws_open (&f->relay);
  JsonObject *welcome;

  ws_send_take (c, omni_signal_build_hello_guest (token));
  welcome = ws_wait (c, "welcome");
  g_assert_cmpstr (json_object_get_string_member (welcome, "role"), ==, "guest");
  if (expect_state != NULL)
    g_assert_cmpstr (json_object_get_string_member (welcome, "state"), ==, expect_state);
  if (g_strcmp0 (json_object_get_string_member (welcome, "state"), "admitted") == 0)
    ws_wait (c, "roster");
  return c;
}

/* A guest whose hello is refused: the error, then the close. */
static JsonObject *
connect_refused (Fixture    *f,
                 const char *token,
                 WsClient  **out_client)
{
  WsClient *c = ws_open (&f->relay);
  JsonObject *error;

  ws_send_take (c, omni_signal_build_hello_guest (token));
  error = ws_wait (c, "error");
  ws_wait_closed (c);
  g_assert_cmpuint (ws_count (c, "welcome"), ==, 0);
  *out_client = c;
  return error;
}

static guint
array_len (JsonObject *object,
           const char *member)
{
  return json_array_get_length (json_object_get_array_member (object, member));
}

static JsonObject *
get_session (Fixture *f)
{
  g_autofree char *path = g_strdup_printf ("/api/sessions/%s", f->session_id);
  g_autoptr(RelayResponse) response = relay_fixture_json (&f->relay, "GET", path, f->relay.token, NULL);

  g_assert_cmpuint (response->status, ==, 200);
  return json_object_ref (relay_response_object (response));
}

static JsonObject *
find_participant (JsonObject *session,
                  const char *id)
{
  JsonArray *list = json_object_get_array_member (session, "participants");

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *p = json_array_get_object_element (list, i);
      if (g_strcmp0 (json_object_get_string_member (p, "_id"), id) == 0)
        return p;
    }
  g_error ("participant %s not in the session", id);
}

/* ---- tests ---- */

static const SessionSpec waiting_room = { "\"waitingRoomEnabled\":true,\"enableChat\":true", FALSE };

static void
test_waiting_room (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(WsClient) host = connect_host (f);
  g_autofree char *a_id = NULL;
  g_autofree char *a_token = join_rest (f, "Ann", "ann@example.com", "waiting", &a_id);
  g_autoptr(WsClient) ann = connect_guest (f, a_token, "waiting");
  JsonObject *list, *msg, *history;
  JsonArray *roster;

  list = ws_wait (host, "waiting-list");
  g_assert_cmpuint (array_len (list, "guests"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (list, "guests"), 0), "id"),
                   ==, a_id);

  /* Things happen in the call; the waiting guest hears none of them. */
  ws_send_take (host, omni_signal_build_chat_send ("secret before admission"));
  ws_send_take (host, omni_signal_build_media (TRUE, TRUE, FALSE));
  ws_wait (host, "chat");
  /* A waiting guest cannot act in the call. */
  ws_send_take (ann, omni_signal_build_chat_send ("let me in"));
  msg = ws_wait (ann, "error");
  g_assert_cmpstr (error_code (msg), ==, "invalid_state");
  ws_sync (ann);
  for (guint i = 0; i < ann->log->len; i++)
    {
      const char *type = type_of (g_ptr_array_index (ann->log, i));
      g_assert_true (g_strcmp0 (type, "welcome") == 0 || g_strcmp0 (type, "pong") == 0 ||
                     g_strcmp0 (type, "error") == 0);
    }
  g_assert_cmpuint (ws_count (host, "chat"), ==, 1);

  /* Admission: state, roster with both, the chat said before. */
  ws_send_take (host, omni_signal_build_target (OMNI_SIGNAL_ADMIT, a_id));
  ws_wait (ann, "admitted");
  roster = json_object_get_array_member (ws_wait (ann, "roster"), "participants");
  g_assert_cmpuint (json_array_get_length (roster), ==, 2);
  history = ws_wait (ann, "chat-history");
  g_assert_cmpuint (array_len (history, "messages"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (history, "messages"), 0), "text"),
                   ==, "secret before admission");
  msg = ws_wait (host, "participant-joined");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (msg, "participant"), "id"), ==, a_id);
  list = ws_wait (host, "waiting-list");
  g_assert_cmpuint (array_len (list, "guests"), ==, 0);
}

static void
test_deny (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(WsClient) host = connect_host (f);
  g_autofree char *b_id = NULL;
  g_autofree char *b_token = join_rest (f, "Bob", "bob@example.com", "waiting", &b_id);
  g_autoptr(WsClient) bob = connect_guest (f, b_token, "waiting");
  g_autoptr(WsClient) again = NULL;
  g_autoptr(JsonObject) session = NULL;
  JsonObject *error;

  ws_wait (host, "waiting-list");
  ws_send_take (host, omni_signal_build_target (OMNI_SIGNAL_DENY, b_id));
  ws_wait (bob, "denied");
  ws_wait_closed (bob);
  g_assert_cmpuint (array_len (ws_wait (host, "waiting-list"), "guests"), ==, 0);
  g_assert_cmpuint (ws_count (bob, "roster"), ==, 0);

  error = connect_refused (f, b_token, &again);
  g_assert_cmpstr (error_code (error), ==, "unauthorized");
  g_assert_cmpstr (json_object_get_string_member (error, "reason"), ==, "denied");

  session = get_session (f);
  g_assert_cmpstr (json_object_get_string_member (find_participant (session, b_id), "status"), ==, "denied");
}

static const SessionSpec open_chat = { "\"enableChat\":true,\"enableRecording\":true", FALSE };

static void
test_remove (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(WsClient) host = connect_host (f);
  g_autofree char *a_id = NULL;
  g_autofree char *a_token = join_rest (f, "Ann", "ann@example.com", "admitted", &a_id);
  g_autofree char *c_token = join_rest (f, "Cid", "cid@example.com", "admitted", NULL);
  g_autoptr(WsClient) ann = connect_guest (f, a_token, "admitted");
  g_autoptr(WsClient) cid = connect_guest (f, c_token, "admitted");
  g_autoptr(WsClient) again = NULL;
  JsonObject *left, *error;

  ws_send_take (host, omni_signal_build_target (OMNI_SIGNAL_REMOVE, a_id));
  ws_wait (ann, "removed");
  ws_wait_closed (ann);
  left = ws_wait (cid, "participant-left");
  g_assert_cmpstr (json_object_get_string_member (left, "id"), ==, a_id);
  g_assert_cmpstr (json_object_get_string_member (left, "reason"), ==, "removed");
  ws_wait (host, "participant-left");

  /* The token is dead for this session. */
  error = connect_refused (f, a_token, &again);
  g_assert_cmpstr (error_code (error), ==, "unauthorized");
  g_assert_cmpstr (json_object_get_string_member (error, "reason"), ==, "removed");

  /* Nor does joining again with the same e-mail hand out a new one. */
  {
    g_autofree char *path = g_strdup_printf ("/api/join/%s", f->link);
    g_autoptr(RelayResponse) rejoin = relay_fixture_json (&f->relay, "POST", path, NULL,
                                                          "{\"name\":\"Ann\",\"email\":\"ANN@example.com\"}");
    g_assert_cmpuint (rejoin->status, ==, 403);
    g_assert_cmpstr (relay_response_error_code (rejoin), ==, "forbidden");
  }

  /* The call goes on. */
  ws_send_take (host, omni_signal_build_chat_send ("still here"));
  ws_wait (cid, "chat");
}

static const SessionSpec two_seats = { "\"maxParticipants\":3", FALSE };

static void
test_capacity (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *a_id = NULL;
  g_autofree char *a_token = join_rest (f, "Ann", "ann@example.com", "admitted", &a_id);
  g_autofree char *leave_path = g_strdup_printf ("/api/join/%s/leave", f->link);
  g_autofree char *leave_body = g_strdup_printf ("{\"guestToken\":\"%s\"}", a_token);
  g_autoptr(RelayResponse) left = NULL;
  g_autofree char *b_token = NULL;
  g_autofree char *c_token = NULL;
  g_autoptr(WsClient) bob = NULL;
  g_autoptr(WsClient) cid = NULL;
  g_autoptr(WsClient) ann = NULL;
  JsonObject *error;

  /* Ann leaves over REST, which frees her seat; two others take both. */
  left = relay_fixture_json (&f->relay, "POST", leave_path, NULL, leave_body);
  g_assert_cmpuint (left->status, ==, 200);
  b_token = join_rest (f, "Bob", "bob@example.com", "admitted", NULL);
  c_token = join_rest (f, "Cid", "cid@example.com", "admitted", NULL);
  bob = connect_guest (f, b_token, "admitted");
  cid = connect_guest (f, c_token, "admitted");

  /* Ann's token still names her, but the room is full at connect time. */
  error = connect_refused (f, a_token, &ann);
  g_assert_cmpstr (error_code (error), ==, "session_full");
}

static void
test_host_only (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(WsClient) host = connect_host (f);
  g_autofree char *a_id = NULL;
  g_autofree char *a_token = join_rest (f, "Ann", "ann@example.com", "admitted", &a_id);
  g_autofree char *c_token = join_rest (f, "Cid", "cid@example.com", "admitted", NULL);
  g_autoptr(WsClient) ann = connect_guest (f, a_token, "admitted");
  g_autoptr(WsClient) cid = connect_guest (f, c_token, "admitted");
  g_autofree char *remove = omni_signal_build_target (OMNI_SIGNAL_REMOVE, a_id);
  const char *commands[] = {
    remove,
    "{\"type\":\"mute-all\"}",
    "{\"type\":\"recording-set\",\"on\":true}",
    "{\"type\":\"offer\",\"to\":\"x\",\"sdp\":\"v=0\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      JsonObject *error;

      ws_send (cid, commands[i]);
      error = ws_wait (cid, "error");
      g_assert_cmpstr (error_code (error), ==, "forbidden");
    }
  ws_sync (ann);
  g_assert_cmpuint (ws_count (ann, "removed"), ==, 0);
  g_assert_cmpuint (ws_count (ann, "muted"), ==, 0);
  g_assert_cmpuint (ws_count (ann, "recording"), ==, 1);   /* the initial state only */
  g_assert_false (ann->closed);

  /* A fifth one is the last strike for Cid; nobody else is affected. */
  ws_send (cid, "{\"type\":\"mute\",\"id\":\"x\"}");
  ws_wait (cid, "error");
  ws_wait_closed (cid);
  g_assert_cmpuint (cid->close_code, ==, 1008);
  ws_send_take (host, omni_signal_build_chat_send ("carry on"));
  ws_wait (ann, "chat");
}

static void
test_malformed (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(WsClient) host = connect_host (f);
  g_autofree char *a_token = join_rest (f, "Ann", "ann@example.com", "admitted", NULL);
  g_autofree char *c_token = join_rest (f, "Cid", "cid@example.com", "admitted", NULL);
  g_autoptr(WsClient) ann = connect_guest (f, a_token, "admitted");
  g_autoptr(WsClient) cid = connect_guest (f, c_token, "admitted");
  g_autoptr(WsClient) anon = NULL;
  g_autofree char *big = NULL;
  g_autoptr(GString) deep = g_string_new ("{\"type\":\"chat-send\",\"text\":");
  static const guint8 binary[] = { 0x00, 0xff, 0x10 };
  struct {
    const char *frame;
    const char *code;
  } cases[] = {
    { "{{{ not json",                                  "invalid_json" },
    { "{\"type\":\"teleport\"}",                       "invalid_field" },
    { "{\"type\":\"chat-send\"}",                      "missing_field" },
    { "{\"type\":\"chat-send\",\"text\":42}",          "invalid_field" },
    { "[1,2,3]",                                       "invalid_json" },
    { "{\"type\":\"hand\",\"raised\":true,\"x\":1}",   "unknown_field" },
  };
  JsonObject *error;

  /* Each gets its own error; Ann gets five of them without being closed,
   * counting one strike each... */
  for (guint i = 0; i < 4; i++)
    {
      ws_send (ann, cases[i].frame);
      error = ws_wait (ann, "error");
      g_assert_cmpstr (error_code (error), ==, cases[i].code);
    }
  g_assert_false (ann->closed);
  /* ...and the fifth closes her socket. */
  big = g_strnfill (70 * 1024, 'a');
  ws_send (ann, big);
  error = ws_wait (ann, "error");
  g_assert_cmpstr (error_code (error), ==, "payload_too_large");
  ws_wait_closed (ann);
  g_assert_cmpuint (ann->close_code, ==, 1008);

  /* Cid: the other shapes, binary frames and very deep nesting. */
  for (guint i = 4; i < G_N_ELEMENTS (cases); i++)
    {
      ws_send (cid, cases[i].frame);
      error = ws_wait (cid, "error");
      g_assert_cmpstr (error_code (error), ==, cases[i].code);
    }
  soup_websocket_connection_send_binary (cid->ws, binary, sizeof binary);
  g_assert_cmpstr (error_code (ws_wait (cid, "error")), ==, "invalid_json");
  for (guint i = 0; i < 5000; i++)
    g_string_append_c (deep, '[');
  ws_send (cid, deep->str);
  g_assert_cmpstr (error_code (ws_wait (cid, "error")), ==, "invalid_json");
  ws_send (cid, "null");
  g_assert_cmpstr (error_code (ws_wait (cid, "error")), ==, "invalid_json");
  ws_wait_closed (cid);

  /* The session goes on for the host. */
  ws_send_take (host, omni_signal_build_chat_send ("hello?"));
  ws_wait (host, "chat");

  /* Garbage before hello is not a second-chance mistake. */
  anon = ws_open (&f->relay);
  ws_send (anon, "GET / HTTP/1.1");
  g_assert_cmpstr (error_code (ws_wait (anon, "error")), ==, "invalid_json");
  ws_wait_closed (anon);
}

static void
test_chat (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(WsClient) host = connect_host (f);
  g_autofree char *a_token = join_rest (f, "Ann", "ann@example.com", "admitted", NULL);
  g_autoptr(WsClient) ann = connect_guest (f, a_token, "admitted");
  g_autofree char *b_token = NULL;
  g_autoptr(WsClient) bob = NULL;
  g_autofree char *too_long = g_strnfill (OMNI_SIGNAL_MAX_CHAT_CHARS + 1, 'x');
  JsonArray *messages;
  JsonObject *chat, *error;
  guint delivered = 0, limited = 0;

  ws_send_take (host, omni_signal_build_chat_send ("one"));
  ws_wait (ann, "chat");
  ws_wait (host, "chat");   /* the sender sees its own message, as sent */
  ws_send_take (ann, omni_signal_build_chat_send ("<b>two</b>"));
  chat = ws_wait (host, "chat");
  g_assert_cmpstr (json_object_get_string_member (chat, "text"), ==, "<b>two</b>");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (chat, "from"), "name"), ==, "Ann");

  ws_send_take (ann, omni_signal_build_chat_send (too_long));
  error = ws_wait (ann, "error");
  g_assert_cmpstr (error_code (error), ==, "invalid_field");
  g_assert_cmpstr (json_object_get_string_member (error, "field"), ==, "text");

  /* A late joiner gets the history, in order. */
  b_token = join_rest (f, "Bob", "bob@example.com", "admitted", NULL);
  bob = connect_guest (f, b_token, "admitted");
  messages = json_object_get_array_member (ws_wait (bob, "chat-history"), "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "text"), ==, "one");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "text"), ==, "<b>two</b>");

  /* Rate limit: a burst of 12 gets through only partly. */
  for (guint i = 0; i < 12; i++)
    ws_send_take (bob, omni_signal_build_chat_send ("flood"));
  ws_sync (bob);
  for (guint i = 0; i < bob->log->len; i++)
    {
      JsonObject *m = g_ptr_array_index (bob->log, i);
      if (g_strcmp0 (type_of (m), "chat") == 0)
        delivered++;
      else if (g_strcmp0 (type_of (m), "error") == 0 && g_strcmp0 (error_code (m), "rate_limited") == 0)
        limited++;
    }
  g_assert_cmpuint (delivered, >=, 5);
  g_assert_cmpuint (delivered, <=, 7);
  g_assert_cmpuint (delivered + limited, ==, 12);
}

static const SessionSpec no_chat = { "\"enableChat\":false", FALSE };

static void
test_chat_disabled (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(WsClient) host = connect_host (f);
  g_autofree char *a_token = join_rest (f, "Ann", "ann@example.com", "admitted", NULL);
  g_autoptr(WsClient) ann = connect_guest (f, a_token, "admitted");

  ws_send_take (ann, omni_signal_build_chat_send ("hi"));
  g_assert_cmpstr (error_code (ws_wait (ann, "error")), ==, "forbidden");
  ws_sync (host);
  g_assert_cmpuint (ws_count (host, "chat"), ==, 0);
  g_assert_cmpuint (ws_count (ann, "chat-history"), ==, 0);
}

static void
test_resume (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(WsClient) host = connect_host (f);
  g_autofree char *a_id = NULL;
  g_autofree char *a_token = join_rest (f, "Ann", "ann@example.com", "waiting", &a_id);
  g_autoptr(WsClient) ann = connect_guest (f, a_token, "waiting");
  g_autoptr(WsClient) back = NULL;
  g_autoptr(WsClient) late = NULL;
  JsonObject *welcome, *update;

  ws_send_take (host, omni_signal_build_target (OMNI_SIGNAL_ADMIT, a_id));
  ws_wait (ann, "admitted");
  ws_wait (host, "participant-joined");

  /* The socket drops (no leave message): Ann shows as disconnected. */
  soup_websocket_connection_close (ann->ws, 4000, NULL);
  update = ws_wait (host, "participant-updated");
  g_assert_false (json_object_get_boolean_member (json_object_get_object_member (update, "participant"), "connected"));

  /* Within the window she is back in the call, not in the waiting room. */
  back = ws_open (&f->relay);
  ws_send_take (back, omni_signal_build_hello_guest (a_token));
  welcome = ws_wait (back, "welcome");
  g_assert_cmpstr (json_object_get_string_member (welcome, "state"), ==, "admitted");
  g_assert_true (json_object_get_boolean_member (welcome, "resumed"));
  ws_wait (back, "roster");
  update = ws_wait (host, "participant-updated");
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (update, "participant"), "connected"));
  ws_sync (host);
  g_assert_cmpuint (ws_count (host, "participant-left"), ==, 0);

  /* After the window (1.5 s in this test) she has left; a new connection
   * waits again. */
  soup_websocket_connection_close (back->ws, 4000, NULL);
  ws_wait (host, "participant-updated");
  g_assert_cmpstr (json_object_get_string_member (ws_wait (host, "participant-left"), "id"), ==, a_id);
  late = connect_guest (f, a_token, "waiting");
}

static void
test_sdp (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(WsClient) host = connect_host (f);
  g_autofree char *a_id = NULL;
  g_autofree char *a_token = join_rest (f, "Ann", "ann@example.com", "admitted", &a_id);
  g_autoptr(WsClient) ann = connect_guest (f, a_token, "admitted");
  JsonObject *offer, *answer, *ice;
  const char *host_id = json_object_get_string_member (g_ptr_array_index (host->log, 0), "participantId");

  ws_send_take (host, omni_signal_build_sdp (OMNI_SIGNAL_OFFER, a_id, "v=0 offer"));
  offer = ws_wait (ann, "offer");
  g_assert_cmpstr (json_object_get_string_member (offer, "sdp"), ==, "v=0 offer");
  g_assert_cmpstr (json_object_get_string_member (offer, "from"), ==, host_id);

  /* A guest cannot forge "from" or talk to anyone but the host. */
  ws_send (ann, "{\"type\":\"answer\",\"from\":\"someone\",\"sdp\":\"v=0 answer\"}");
  answer = ws_wait (host, "answer");
  g_assert_cmpstr (json_object_get_string_member (answer, "from"), ==, a_id);
  g_assert_cmpstr (json_object_get_string_member (answer, "sdp"), ==, "v=0 answer");

  ws_send_take (ann, omni_signal_build_ice (NULL, "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "0", 0));
  ice = ws_wait (host, "ice");
  g_assert_cmpint (json_object_get_int_member (ice, "sdpMLineIndex"), ==, 0);
  ws_send_take (host, omni_signal_build_ice (a_id, "", NULL, 1));
  ice = ws_wait (ann, "ice");
  g_assert_cmpstr (json_object_get_string_member (ice, "candidate"), ==, "");

  /* A guest whose connection failed asks the host for a new one. */
  ws_send (ann, "{\"type\":\"media-restart\",\"from\":\"someone\"}");
  g_assert_cmpstr (json_object_get_string_member (ws_wait (host, "media-restart"), "from"), ==, a_id);

  ws_send_take (host, omni_signal_build_sdp (OMNI_SIGNAL_OFFER, "nobody", "v=0"));
  g_assert_cmpstr (error_code (ws_wait (host, "error")), ==, "not_found");
}

static void
test_moderation (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(WsClient) host = connect_host (f);
  g_autofree char *a_id = NULL;
  g_autofree char *a_token = join_rest (f, "Ann", "ann@example.com", "admitted", &a_id);
  g_autofree char *b_token = join_rest (f, "Bob", "bob@example.com", "admitted", NULL);
  g_autoptr(WsClient) ann = connect_guest (f, a_token, "admitted");
  g_autoptr(WsClient) bob = connect_guest (f, b_token, "admitted");
  JsonObject *p;

  ws_send_take (ann, omni_signal_build_media (TRUE, TRUE, FALSE));
  p = json_object_get_object_member (ws_wait (host, "participant-updated"), "participant");
  g_assert_true (json_object_get_boolean_member (p, "mic"));
  ws_send_take (ann, omni_signal_build_hand (TRUE));
  p = json_object_get_object_member (ws_wait (bob, "participant-updated"), "participant");
  p = json_object_get_object_member (ws_wait (bob, "participant-updated"), "participant");
  g_assert_true (json_object_get_boolean_member (p, "hand"));
  ws_wait (host, "participant-updated");   /* the hand, seen by the host too */

  ws_send_take (host, omni_signal_build_target (OMNI_SIGNAL_MUTE, a_id));
  ws_wait (ann, "muted");
  p = json_object_get_object_member (ws_wait (host, "participant-updated"), "participant");
  g_assert_false (json_object_get_boolean_member (p, "mic"));
  ws_send (host, "{\"type\":\"mute-all\"}");
  ws_wait (bob, "muted");

  /* Everyone got the initial state on arrival, then the change. */
  g_assert_false (json_object_get_boolean_member (ws_wait (bob, "recording"), "on"));
  g_assert_false (json_object_get_boolean_member (ws_wait (ann, "recording"), "on"));
  ws_send_take (host, omni_signal_build_recording_set (TRUE));
  g_assert_true (json_object_get_boolean_member (ws_wait (bob, "recording"), "on"));
  g_assert_true (json_object_get_boolean_member (ws_wait (ann, "recording"), "on"));
}

static const SessionSpec scheduled = { "\"waitingRoomEnabled\":true", TRUE };

static void
test_start_and_end (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(WsClient) watch = ws_open (&f->relay);
  g_autofree char *start = g_strdup_printf ("/api/sessions/%s/start", f->session_id);
  g_autofree char *end = g_strdup_printf ("/api/sessions/%s/end", f->session_id);
  g_autoptr(RelayResponse) started = NULL;
  g_autoptr(RelayResponse) ended = NULL;
  g_autoptr(WsClient) host = NULL;
  g_autoptr(WsClient) ann = NULL;
  g_autofree char *a_token = NULL;
  JsonObject *status;

  ws_send_take (watch, omni_signal_build_hello_watch (f->link));
  status = ws_wait (watch, "session-status");
  g_assert_cmpstr (json_object_get_string_member (status, "status"), ==, "scheduled");
  g_assert_nonnull (json_object_get_string_member (status, "scheduledStartTime"));

  started = relay_fixture_json (&f->relay, "POST", start, f->relay.token, NULL);
  g_assert_cmpuint (started->status, ==, 200);
  status = ws_wait (watch, "session-status");
  g_assert_cmpstr (json_object_get_string_member (status, "status"), ==, "live");
  ws_wait_closed (watch);

  host = connect_host (f);
  a_token = join_rest (f, "Ann", "ann@example.com", "waiting", NULL);
  ann = connect_guest (f, a_token, "waiting");
  ended = relay_fixture_json (&f->relay, "POST", end, f->relay.token, NULL);
  g_assert_cmpuint (ended->status, ==, 200);
  ws_wait (ann, "session-ended");
  ws_wait (host, "session-ended");
  ws_wait_closed (ann);
  ws_wait_closed (host);
}

static void
test_analytics (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(WsClient) host = connect_host (f);
  g_autofree char *a_id = NULL;
  g_autofree char *b_id = NULL;
  g_autofree char *a_token = join_rest (f, "Ann", "ann@example.com", "waiting", &a_id);
  g_autofree char *b_token = join_rest (f, "Bob", "bob@example.com", "waiting", &b_id);
  g_autoptr(WsClient) ann = connect_guest (f, a_token, "waiting");
  g_autoptr(WsClient) bob = connect_guest (f, b_token, "waiting");
  g_autoptr(JsonObject) session = NULL;
  JsonObject *p;

  /* Waiting is not being in the call. */
  session = get_session (f);
  g_assert_true (json_object_get_null_member (find_participant (session, a_id), "joinedAt"));
  g_clear_pointer (&session, json_object_unref);

  ws_send_take (host, omni_signal_build_target (OMNI_SIGNAL_ADMIT, a_id));
  ws_send_take (host, omni_signal_build_target (OMNI_SIGNAL_ADMIT, b_id));
  ws_wait (ann, "admitted");
  ws_wait (bob, "admitted");
  ws_send_take (ann, omni_signal_build_simple (OMNI_SIGNAL_LEAVE));
  ws_wait_closed (ann);
  ws_wait (host, "participant-left");

  session = get_session (f);
  g_assert_cmpint (json_object_get_int_member (session, "peakParticipants"), ==, 2);
  p = find_participant (session, a_id);
  g_assert_cmpstr (json_object_get_string_member (p, "status"), ==, "left");
  g_assert_nonnull (json_object_get_string_member (p, "joinedAt"));
  g_assert_nonnull (json_object_get_string_member (p, "leftAt"));
  g_assert_cmpint (json_object_get_int_member (p, "duration"), >=, 0);
  p = find_participant (session, b_id);
  g_assert_cmpstr (json_object_get_string_member (p, "status"), ==, "admitted");
  g_assert_nonnull (json_object_get_string_member (p, "joinedAt"));
  g_assert_true (json_object_get_null_member (p, "leftAt"));
}

static void
test_host_auth (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(WsClient) wrong = ws_open (&f->relay);
  g_autoptr(WsClient) silent = NULL;
  g_autofree char *other = relay_fixture_add_host (&f->relay, "other@example.com", "Other", FALSE);
  g_autoptr(WsClient) stranger = ws_open (&f->relay);
  g_autoptr(WsClient) guest = ws_open (&f->relay);

  ws_send_take (wrong, omni_signal_build_hello_host ("not-a-token", f->session_id));
  g_assert_cmpstr (error_code (ws_wait (wrong, "error")), ==, "unauthorized");
  ws_wait_closed (wrong);

  /* Another host's token does not open this session. */
  ws_send_take (stranger, omni_signal_build_hello_host (other, f->session_id));
  g_assert_cmpstr (error_code (ws_wait (stranger, "error")), ==, "not_found");
  ws_wait_closed (stranger);

  /* A guest may not claim the host role with a guest token, nor any other. */
  ws_send_take (guest, omni_signal_build_hello_guest ("made-up"));
  g_assert_cmpstr (error_code (ws_wait (guest, "error")), ==, "unauthorized");
  ws_wait_closed (guest);

  /* A chat before hello is refused. */
  silent = ws_open (&f->relay);
  ws_send_take (silent, omni_signal_build_chat_send ("hi"));
  g_assert_cmpstr (error_code (ws_wait (silent, "error")), ==, "forbidden");
  ws_wait_closed (silent);
}

int
main (int    argc,
      char **argv)
{
  /* The resume test waits for the end of the window: keep it short. */
  g_setenv ("OMNILIVE_SIGNAL_RESUME_MS", "1500", TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, spec, func) \
  g_test_add ("/signal/" path, Fixture, spec, fixture_setup, func, fixture_teardown)

  ADD ("waiting-room/isolation-and-admit", &waiting_room, test_waiting_room);
  ADD ("waiting-room/deny",                &waiting_room, test_deny);
  ADD ("moderation/remove-kills-token",    &open_chat,    test_remove);
  ADD ("moderation/mute-hand-recording",   &open_chat,    test_moderation);
  ADD ("capacity/at-connect",              &two_seats,    test_capacity);
  ADD ("auth/host-only-commands",          &open_chat,    test_host_only);
  ADD ("auth/hello",                       &open_chat,    test_host_auth);
  ADD ("input/malformed-oversized-garbage", &open_chat,   test_malformed);
  ADD ("chat/history-and-rate-limit",      &open_chat,    test_chat);
  ADD ("chat/disabled",                    &no_chat,      test_chat_disabled);
  ADD ("resume/within-window",             &waiting_room, test_resume);
  ADD ("sdp/forwarding",                   &open_chat,    test_sdp);
  ADD ("lifecycle/start-and-end",          &scheduled,    test_start_and_end);
  ADD ("analytics/joins-and-leaves",       &waiting_room, test_analytics);

  return g_test_run ();
}
