/* test-relay-api.c: the relay's REST API over real HTTP, against the real
 * binary: the seed's flows, join rules, analytics and a table of bad requests. */
#include <string.h>

#include "relay-fixture.h"

typedef struct {
  RelayFixture relay;
  GSocket     *smtp_hold;   /* listens, never accepts: mail stays queued */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  relay_fixture_start (&f->relay, NULL, NULL);
}

/* The relay's SMTP server is a socket that never answers: the mail worker
 * waits for its greeting, so every message stays queued while a test looks. */
static void
fixture_setup_mail_held (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *config = NULL;

  f->smtp_hold = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (f->smtp_hold, address, TRUE, &error));
  g_assert_true (g_socket_listen (f->smtp_hold, &error));
  bound = g_socket_get_local_address (f->smtp_hold, &error);
  g_assert_no_error (error);
  config = g_strdup_printf ("[smtp]\nurl = smtp://127.0.0.1:%u\nfrom = OmniLive <relay@example.com>\n"
                            "starttls = optional\n",
                            g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  relay_fixture_start (&f->relay, config, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  relay_fixture_stop (&f->relay);
  g_clear_object (&f->smtp_hold);
}

/* Creates a session starting start_offset seconds from now; extra is more
 * JSON members ("" for none). Returns the created session's response. */
static RelayResponse *
create_session (Fixture    *f,
                const char *token,
                gint64      start_offset,
                const char *extra)
{
  g_autofree char *start = relay_fixture_time_from_now (start_offset);
  g_autofree char *end = relay_fixture_time_from_now (start_offset + 3600);
  g_autofree char *body = g_strdup_printf ("{\"title\":\"Customer Support Call\",\"scheduledStartTime\":\"%s\","
                                           "\"scheduledEndTime\":\"%s\"%s%s}", start, end,
                                           extra[0] ? "," : "", extra);
  RelayResponse *r = relay_fixture_json (&f->relay, "POST", "/api/sessions", token, body);

  if (r->status != 201)
    g_error ("create failed (%u): %.*s", r->status, (int) g_bytes_get_size (r->body),
             (const char *) g_bytes_get_data (r->body, NULL));
  return r;
}

/* POST /api/sessions/:id/ACTION */
static RelayResponse *
post_action (Fixture    *f,
             const char *token,
             const char *action,
             const char *id,
             const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/sessions/%s/%s", id, action);
  return relay_fixture_json (&f->relay, "POST", path, token, body);
}

static JsonObject *
find_participant (JsonObject *session,
                  const char *email)
{
  JsonArray *participants = json_object_get_array_member (session, "participants");

  for (guint i = 0; i < json_array_get_length (participants); i++)
    {
      JsonObject *p = json_array_get_object_element (participants, i);
      if (g_strcmp0 (json_object_get_string_member (p, "email"), email) == 0)
        return p;
    }
  g_error ("no participant %s", email);
}

/* The seed's "Test 1: Create and Join", step by step. */
/* The join answer carries coturn-style TURN REST credentials: the username is
 * "<expiry>:<participant or host id>" and the credential base64(HMAC-SHA1(secret, username)). */
static void
assert_turn_credentials (Fixture    *f,
                         JsonObject *answer,
                         const char *user_id)
{
  JsonArray *servers = json_object_get_array_member (answer, "iceServers");
  JsonObject *turn;
  JsonArray *urls;
  const char *username;
  g_autofree char *secret_path = g_build_filename (f->relay.dir, "turn-secret", NULL);
  g_autofree char *secret = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GHmac) hmac = NULL;
  guint8 digest[20];
  gsize digest_len = sizeof digest;
  g_auto(GStrv) parts = NULL;
  gint64 expiry;

  g_assert_nonnull (servers);
  g_assert_cmpuint (json_array_get_length (servers), ==, 2);
  urls = json_object_get_array_member (json_array_get_object_element (servers, 0), "urls");
  g_assert_true (g_str_has_prefix (json_array_get_string_element (urls, 0), "stun:127.0.0.1:"));

  turn = json_array_get_object_element (servers, 1);
  urls = json_object_get_array_member (turn, "urls");
  g_assert_true (g_str_has_suffix (json_array_get_string_element (urls, 0), "?transport=udp"));
  g_assert_true (g_str_has_suffix (json_array_get_string_element (urls, 1), "?transport=tcp"));

  username = json_object_get_string_member (turn, "username");
  parts = g_strsplit (username, ":", 2);
  g_assert_cmpstr (parts[1], ==, user_id);
  expiry = g_ascii_strtoll (parts[0], NULL, 10);
  g_assert_cmpint (expiry, >, g_get_real_time () / G_USEC_PER_SEC + 11 * 3600);

  g_assert_true (g_file_get_contents (secret_path, &secret, NULL, NULL));
  g_strstrip (secret);
  hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret, strlen (secret));
  g_hmac_update (hmac, (const guchar *) username, -1);
  g_hmac_get_digest (hmac, digest, &digest_len);
  expected = g_base64_encode (digest, digest_len);
  g_assert_cmpstr (json_object_get_string_member (turn, "credential"), ==, expected);
}

static void
test_create_and_join (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(RelayResponse) created = create_session (f, f->relay.token, 300,
    "\"participants\":[{\"email\":\"test@example.com\",\"name\":\"Test\"}]");
  g_autoptr(RelayResponse) info = NULL;
  g_autoptr(RelayResponse) started = NULL;
  g_autoptr(RelayResponse) joined = NULL;
  g_autoptr(RelayResponse) session = NULL;
  g_autofree char *join_path = NULL;
  g_autofree char *expected_url = NULL;
  g_autofree char *get_path = NULL;
  JsonObject *object = relay_response_object (created);
  const char *id = relay_response_string (created, "_id");
  const char *link = relay_response_string (created, "accessLink");
  JsonObject *guest;

  g_assert_cmpstr (relay_response_string (created, "status"), ==, "scheduled");
  g_assert_cmpstr (relay_response_string (created, "sessionType"), ==, "meeting");
  g_assert_cmpint (json_object_get_int_member (object, "maxParticipants"), ==, 10);
  g_assert_cmpuint (strlen (link), >=, 22);
  expected_url = g_strdup_printf ("%s/session/join/%s", f->relay.url, link);
  g_assert_cmpstr (relay_response_string (created, "joinUrl"), ==, expected_url);
  g_assert_true (find_participant (object, "test@example.com") != NULL);

  join_path = g_strdup_printf ("/api/join/%s", link);
  info = relay_fixture_request (&f->relay, "GET", join_path, NULL, NULL, NULL, 0);
  g_assert_cmpuint (info->status, ==, 200);
  g_assert_cmpstr (relay_response_string (info, "title"), ==, "Customer Support Call");
  g_assert_cmpstr (relay_response_string (info, "hostName"), ==, "Agent Smith");
  g_assert_cmpstr (relay_response_string (info, "status"), ==, "scheduled");
  g_assert_false (json_object_get_boolean_member (relay_response_object (info), "needsPassword"));
  g_assert_false (json_object_has_member (relay_response_object (info), "accessLink") &&
                  json_object_has_member (relay_response_object (info), "participants"));

  started = post_action (f, f->relay.token, "start", id, "{}");
  g_assert_cmpuint (started->status, ==, 200);
  g_assert_cmpstr (relay_response_string (started, "status"), ==, "live");
  assert_turn_credentials (f, relay_response_object (started),
                           json_object_get_string_member (json_object_get_object_member (relay_response_object (started), "host"), "_id"));

  joined = relay_fixture_json (&f->relay, "POST", join_path, NULL,
                               "{\"name\":\"Test\",\"email\":\"test@example.com\"}");
  g_assert_cmpuint (joined->status, ==, 200);
  g_assert_cmpstr (relay_response_string (joined, "state"), ==, "admitted");
  g_assert_cmpuint (strlen (relay_response_string (joined, "guestToken")), >=, 40);
  assert_turn_credentials (f, relay_response_object (joined), relay_response_string (joined, "participantId"));

  get_path = g_strdup_printf ("/api/sessions/%s", id);
  session = relay_fixture_request (&f->relay, "GET", get_path, f->relay.token, NULL, NULL, 0);
  guest = find_participant (relay_response_object (session), "test@example.com");
  g_assert_true (json_object_get_boolean_member (guest, "invited"));
  g_assert_cmpstr (json_object_get_string_member (guest, "status"), ==, "admitted");
  g_assert_nonnull (json_object_get_string_member (guest, "joinedAt"));
  g_assert_cmpint (json_object_get_int_member (relay_response_object (session), "peakParticipants"), ==, 1);
}

typedef struct {
  const char *method;
  const char *path;         /* {id} and {link} are replaced */
  const char *auth;         /* "host", "other", "bad", NULL */
  const char *content_type; /* NULL: application/json when there is a body */
  const char *body;
  guint       status;
  const char *code;
  const char *field;
} BadRequest;

#define FUTURE "\"scheduledStartTime\":\"2035-01-25T14:00:00Z\""

static const BadRequest bad_requests[] = {
  /* authentication */
  { "GET",  "/api/sessions", NULL, NULL, NULL, 401, "unauthorized", NULL },
  { "GET",  "/api/sessions", "bad", NULL, NULL, 401, "unauthorized", NULL },
  { "POST", "/api/sessions", NULL, NULL, "{}", 401, "unauthorized", NULL },
  { "GET",  "/api/me", "bad", NULL, NULL, 401, "unauthorized", NULL },
  /* routing */
  { "GET",    "/api/nothing", "host", NULL, NULL, 404, "not_found", NULL },
  { "DELETE", "/api/sessions", "host", NULL, NULL, 405, "method_not_allowed", NULL },
  { "PUT",    "/api/sessions/{id}", "host", NULL, "{}", 405, "method_not_allowed", NULL },
  { "GET",    "/api/sessions/{id}/start", "host", NULL, NULL, 405, "method_not_allowed", NULL },
  { "GET",    "/api/sessions/ffffffffffffffffffffffff", "host", NULL, NULL, 404, "not_found", NULL },
  { "GET",    "/api/sessions/{id}", "other", NULL, NULL, 404, "not_found", NULL },
  { "PATCH",  "/api/sessions/{id}", "other", NULL, "{\"title\":\"x\"}", 404, "not_found", NULL },
  { "POST",   "/api/sessions/{id}/start", "other", NULL, NULL, 404, "not_found", NULL },
  { "POST",   "/api/sessions/{id}/cancel", "other", NULL, NULL, 404, "not_found", NULL },
  /* bodies */
  { "POST", "/api/sessions", "host", NULL, "", 400, "invalid_json", NULL },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":", 400, "invalid_json", NULL },
  { "POST", "/api/sessions", "host", NULL, "[1,2,3]", 400, "invalid_json", NULL },
  { "POST", "/api/sessions", "host", NULL, "\"title\"", 400, "invalid_json", NULL },
  { "POST", "/api/sessions", "host", "text/plain", "{\"title\":\"x\"}", 415, "unsupported_media_type", NULL },
  { "POST", "/api/sessions", "host", "application/x-www-form-urlencoded", "title=x", 415, "unsupported_media_type", NULL },
  /* fields */
  { "POST", "/api/sessions", "host", NULL, "{}", 400, "missing_field", "title" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"}", 400, "missing_field", "scheduledStartTime" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":42," FUTURE "}", 400, "invalid_field", "title" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"\"," FUTURE "}", 400, "invalid_field", "title" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\",\"scheduledStartTime\":\"next week\"}", 400, "invalid_field", "scheduledStartTime" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\",\"scheduledStartTime\":1737813600}", 400, "invalid_field", "scheduledStartTime" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"scheduledEndTime\":\"2035-01-25T13:00:00Z\"}", 400, "invalid_field", "scheduledEndTime" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"scheduledEndTime\":\"2035-01-25T14:00:00Z\"}", 400, "invalid_field", "scheduledEndTime" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\",\"scheduledStartTime\":\"2020-01-25T14:00:00Z\",\"scheduledEndTime\":\"2020-01-25T15:00:00Z\"}", 400, "invalid_field", "scheduledEndTime" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"sessionType\":\"party\"}", 400, "invalid_field", "sessionType" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"sessionType\":7}", 400, "invalid_field", "sessionType" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"maxParticipants\":101}", 400, "invalid_field", "maxParticipants" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"maxParticipants\":\"10\"}", 400, "invalid_field", "maxParticipants" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"maxParticipants\":2.5}", 400, "invalid_field", "maxParticipants" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"participants\":{}}", 400, "invalid_field", "participants" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"participants\":[{\"email\":\"not-an-email\"}]}", 400, "invalid_field", "participants[0].email" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"participants\":[{\"email\":\"a@b.co\"},{\"email\":\"x@\"}]}", 400, "invalid_field", "participants[1].email" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"participants\":[{\"name\":\"No Mail\"}]}", 400, "missing_field", "participants[0].email" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"participants\":[{\"email\":\"a@b.co\"},{\"email\":\"A@B.CO\"}]}", 400, "invalid_field", "participants[1].email" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"enableRecording\":\"yes\"}", 400, "invalid_field", "enableRecording" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"password\":\"123\"}", 400, "invalid_field", "password" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"allowedDomains\":\"example.com\"}", 400, "invalid_field", "allowedDomains" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"allowedDomains\":[\"not a domain\"]}", 400, "invalid_field", "allowedDomains[0]" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"recurrence\":{\"frequency\":\"daily\",\"count\":2}}", 400, "invalid_field", "recurrence.frequency" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"recurrence\":{\"frequency\":\"weekly\"}}", 400, "missing_field", "recurrence.count" },
  { "POST", "/api/sessions", "host", NULL, "{\"title\":\"T\"," FUTURE ",\"hacker\":true}", 400, "unknown_field", "hacker" },
  /* queries */
  { "GET", "/api/sessions?upcoming=yes", "host", NULL, NULL, 400, "invalid_field", "upcoming" },
  { "GET", "/api/sessions?status=done", "host", NULL, NULL, 400, "invalid_field", "status" },
  { "GET", "/api/sessions?from=yesterday", "host", NULL, NULL, 400, "invalid_field", "from" },
  { "GET", "/api/sessions?limit=0", "host", NULL, NULL, 400, "invalid_field", "limit" },
  { "GET", "/api/sessions?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z", "host", NULL, NULL, 400, "invalid_field", "to" },
  /* updates and transitions */
  { "PATCH", "/api/sessions/{id}", "host", NULL, "{}", 400, "invalid_json", NULL },
  { "PATCH", "/api/sessions/{id}", "host", NULL, "{\"title\":null,\"recurrence\":{}}", 400, "unknown_field", "recurrence" },
  { "PATCH", "/api/sessions/{id}", "host", NULL, "{\"scheduledEndTime\":\"2000-01-01T00:00:00Z\"}", 400, "invalid_field", "scheduledEndTime" },
  { "PATCH", "/api/sessions/{id}", "host", NULL, "{\"password\":\"ab\"}", 400, "invalid_field", "password" },
  { "POST", "/api/sessions/{id}/participants", "host", NULL, "{}", 400, "missing_field", "participants" },
  { "POST", "/api/sessions/{id}/participants", "host", NULL, "{\"participants\":[]}", 400, "invalid_field", "participants" },
  { "POST", "/api/sessions/{id}/participants", "host", NULL, "{\"participants\":[{\"email\":\"bad\"}]}", 400, "invalid_field", "participants[0].email" },
  { "POST", "/api/sessions/{id}/start", "host", NULL, NULL, 409, "too_early", NULL },
  { "POST", "/api/sessions/{id}/end", "host", NULL, NULL, 409, "invalid_state", NULL },
  { "POST", "/api/sessions/{id}/start", "host", NULL, "not json", 400, "invalid_json", NULL },
  /* public join */
  { "GET",  "/api/join/no-such-link", NULL, NULL, NULL, 404, "not_found", NULL },
  { "POST", "/api/join/no-such-link", NULL, NULL, "{\"name\":\"A\",\"email\":\"a@b.co\"}", 404, "not_found", NULL },
  { "POST", "/api/join/{link}", NULL, NULL, "{\"email\":\"a@b.co\"}", 400, "missing_field", "name" },
  { "POST", "/api/join/{link}", NULL, NULL, "{\"name\":\"A\"}", 400, "missing_field", "email" },
  { "POST", "/api/join/{link}", NULL, NULL, "{\"name\":\"A\",\"email\":\"nope\"}", 400, "invalid_field", "email" },
  { "POST", "/api/join/{link}", NULL, NULL, "{\"name\":\"A\",\"email\":\"a@b.co\",\"admin\":true}", 400, "unknown_field", "admin" },
  { "POST", "/api/join/{link}", NULL, NULL, "{\"name\":\"A\",\"email\":\"a@b.co\"}", 409, "not_started", NULL },
  { "POST", "/api/join/{link}/leave", NULL, NULL, "{}", 400, "missing_field", "guestToken" },
  { "POST", "/api/join/{link}/leave", NULL, NULL, "{\"guestToken\":\"forged\"}", 404, "not_found", "guestToken" },
};

static void
test_bad_requests (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *other = relay_fixture_add_host (&f->relay, "other@example.com", "Other", FALSE);
  g_autoptr(RelayResponse) created = create_session (f, f->relay.token, 7200,
    "\"participants\":[{\"email\":\"keep@example.com\",\"name\":\"Keep\"}]");
  g_autofree char *before = g_strndup (g_bytes_get_data (created->body, NULL), g_bytes_get_size (created->body));
  const char *id = relay_response_string (created, "_id");
  const char *link = relay_response_string (created, "accessLink");
  g_autoptr(RelayResponse) after = NULL;
  g_autoptr(RelayResponse) list = NULL;
  g_autofree char *get_path = g_strdup_printf ("/api/sessions/%s", id);

  g_assert_cmpuint (G_N_ELEMENTS (bad_requests), >=, 40);

  for (guint i = 0; i < G_N_ELEMENTS (bad_requests); i++)
    {
      const BadRequest *c = &bad_requests[i];
      g_autofree char *path = NULL;
      const char *token = NULL;
      g_autoptr(RelayResponse) r = NULL;
      GString *s = g_string_new (c->path);

      g_string_replace (s, "{id}", id, 0);
      g_string_replace (s, "{link}", link, 0);
      path = g_string_free (s, FALSE);
      if (g_strcmp0 (c->auth, "host") == 0)
        token = f->relay.token;
      else if (g_strcmp0 (c->auth, "other") == 0)
        token = other;
      else if (g_strcmp0 (c->auth, "bad") == 0)
        token = "not-a-real-token";

      r = relay_fixture_request (&f->relay, c->method, path, token,
                                 c->content_type ? c->content_type : "application/json", c->body, -1);
      if (r->status != c->status || r->json == NULL ||
          g_strcmp0 (relay_response_error_code (r), c->code) != 0 ||
          g_strcmp0 (relay_response_error_field (r), c->field) != 0)
        g_error ("bad request %u (%s %s %s): expected %u %s field %s, got %u %.*s", i, c->method, path,
                 c->body ? c->body : "", c->status, c->code, c->field, r->status,
                 (int) g_bytes_get_size (r->body), (const char *) g_bytes_get_data (r->body, NULL));
      if (c->status == 401)
        g_assert_nonnull (soup_message_headers_get_one (r->headers, "WWW-Authenticate"));
      if (c->status == 405)
        g_assert_nonnull (soup_message_headers_get_one (r->headers, "Allow"));
    }

  /* Nothing was half-written: the one session is as it was, and alone. */
  after = relay_fixture_request (&f->relay, "GET", get_path, f->relay.token, NULL, NULL, 0);
  g_assert_cmpstr (relay_response_string (after, "title"), ==, "Customer Support Call");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (relay_response_object (after), "participants")), ==, 1);
  g_assert_cmpstr (relay_response_string (after, "updatedAt"), ==, relay_response_string (created, "updatedAt"));
  list = relay_fixture_request (&f->relay, "GET", "/api/sessions", f->relay.token, NULL, NULL, 0);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (list->json)), ==, 1);
  g_assert_cmpstr (soup_message_headers_get_one (list->headers, "X-Total-Count"), ==, "1");
  (void) before;
}

static void
test_body_limit (Fixture       *f,
                 gconstpointer  data)
{
  gsize size = 1024 * 1024 + 10;
  g_autofree char *big = g_malloc (size);
  g_autoptr(RelayResponse) r = NULL;

  memset (big, ' ', size);
  big[0] = '{';
  big[size - 1] = '}';
  r = relay_fixture_request (&f->relay, "POST", "/api/sessions", f->relay.token, "application/json", big, (gssize) size);
  g_assert_cmpuint (r->status, ==, 413);
  g_assert_cmpstr (relay_response_error_code (r), ==, "payload_too_large");
}

static void
test_ownership_and_admin (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *other = relay_fixture_add_host (&f->relay, "other@example.com", "Other", FALSE);
  g_autofree char *admin = relay_fixture_add_host (&f->relay, "admin@example.com", "Admin", TRUE);
  g_autoptr(RelayResponse) mine = create_session (f, f->relay.token, 3600, "");
  g_autoptr(RelayResponse) theirs = create_session (f, other, 3600, "");
  g_autofree char *mine_path = g_strdup_printf ("/api/sessions/%s", relay_response_string (mine, "_id"));
  g_autoptr(RelayResponse) as_other = relay_fixture_request (&f->relay, "GET", mine_path, other, NULL, NULL, 0);
  g_autoptr(RelayResponse) as_admin = relay_fixture_request (&f->relay, "GET", mine_path, admin, NULL, NULL, 0);
  g_autoptr(RelayResponse) list_mine = relay_fixture_request (&f->relay, "GET", "/api/sessions?upcoming=true", f->relay.token, NULL, NULL, 0);
  g_autoptr(RelayResponse) list_all = relay_fixture_request (&f->relay, "GET", "/api/sessions?all=true", admin, NULL, NULL, 0);
  g_autoptr(RelayResponse) me = relay_fixture_request (&f->relay, "GET", "/api/me", admin, NULL, NULL, 0);

  g_assert_cmpuint (theirs->status, ==, 201);
  g_assert_cmpuint (as_other->status, ==, 404);
  g_assert_cmpuint (as_admin->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (list_mine->json)), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (list_all->json)), ==, 2);
  g_assert_true (json_object_get_boolean_member (relay_response_object (me), "admin"));
  g_assert_cmpstr (relay_response_string (me, "email"), ==, "admin@example.com");
}

static void
test_lifecycle (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(RelayResponse) later = create_session (f, f->relay.token, 7200, "");
  g_autoptr(RelayResponse) soon = create_session (f, f->relay.token, 600, "");
  const char *later_id = relay_response_string (later, "_id");
  const char *soon_id = relay_response_string (soon, "_id");
  g_autoptr(RelayResponse) r1 = post_action (f, f->relay.token, "start", later_id, NULL);
  g_autoptr(RelayResponse) r2 = post_action (f, f->relay.token, "start", soon_id, NULL);
  g_autoptr(RelayResponse) r3 = post_action (f, f->relay.token, "start", soon_id, NULL);
  g_autoptr(RelayResponse) r4 = post_action (f, f->relay.token, "cancel", soon_id, NULL);
  g_autoptr(RelayResponse) r5 = post_action (f, f->relay.token, "end", soon_id, NULL);
  g_autoptr(RelayResponse) r6 = post_action (f, f->relay.token, "end", soon_id, NULL);
  g_autoptr(RelayResponse) r7 = post_action (f, f->relay.token, "cancel", later_id, NULL);
  g_autofree char *patch_path = g_strdup_printf ("/api/sessions/%s", later_id);
  g_autoptr(RelayResponse) r8 = relay_fixture_json (&f->relay, "PATCH", patch_path, f->relay.token, "{\"title\":\"x\"}");
  g_autofree char *join_path = g_strdup_printf ("/api/join/%s", relay_response_string (later, "accessLink"));
  g_autoptr(RelayResponse) r9 = relay_fixture_request (&f->relay, "GET", join_path, NULL, NULL, NULL, 0);
  g_autofree char *ended_join = g_strdup_printf ("/api/join/%s", relay_response_string (soon, "accessLink"));
  g_autoptr(RelayResponse) r10 = relay_fixture_json (&f->relay, "POST", ended_join, NULL, "{\"name\":\"Late\",\"email\":\"late@example.com\"}");

  /* Too early: 409 that says when it can start. */
  g_assert_cmpuint (r1->status, ==, 409);
  g_assert_cmpstr (relay_response_error_code (r1), ==, "too_early");
  g_assert_nonnull (json_object_get_string_member (json_object_get_object_member (relay_response_object (r1), "error"), "canStartAt"));
  g_assert_cmpuint (r2->status, ==, 200);
  g_assert_nonnull (relay_response_string (r2, "actualStartTime"));
  g_assert_cmpuint (r3->status, ==, 409);
  g_assert_cmpuint (r4->status, ==, 409);
  g_assert_cmpuint (r5->status, ==, 200);
  g_assert_cmpstr (relay_response_string (r5, "status"), ==, "ended");
  g_assert_cmpuint (r6->status, ==, 409);
  g_assert_cmpuint (r7->status, ==, 200);
  g_assert_cmpstr (relay_response_string (r7, "status"), ==, "cancelled");
  g_assert_cmpuint (r8->status, ==, 409);
  g_assert_cmpuint (r9->status, ==, 404);
  g_assert_cmpstr (relay_response_error_code (r9), ==, "not_found");
  g_assert_cmpuint (r10->status, ==, 409);
  g_assert_cmpstr (relay_response_error_code (r10), ==, "session_ended");
}

static void
test_join_rules (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(RelayResponse) call = create_session (f, f->relay.token, 60,
    "\"sessionType\":\"support_call\",\"allowedDomains\":[\"client.com\"],\"password\":\"SecurePass123\"");
  g_autoptr(RelayResponse) webinar = create_session (f, f->relay.token, 60, "\"sessionType\":\"webinar\"");
  g_autoptr(RelayResponse) started = post_action (f, f->relay.token, "start", relay_response_string (call, "_id"), NULL);
  g_autoptr(RelayResponse) started2 = post_action (f, f->relay.token, "start", relay_response_string (webinar, "_id"), NULL);
  g_autofree char *path = g_strdup_printf ("/api/join/%s", relay_response_string (call, "accessLink"));
  g_autofree char *webinar_path = g_strdup_printf ("/api/join/%s", relay_response_string (webinar, "accessLink"));
  g_autoptr(RelayResponse) info = relay_fixture_request (&f->relay, "GET", path, NULL, NULL, NULL, 0);
  g_autoptr(RelayResponse) r = NULL;

  g_assert_true (json_object_get_boolean_member (relay_response_object (info), "needsPassword"));
  g_assert_false (json_object_get_boolean_member (relay_response_object (info), "waitingRoom"));

  r = relay_fixture_json (&f->relay, "POST", path, NULL, "{\"name\":\"Eve\",\"email\":\"eve@elsewhere.org\",\"password\":\"SecurePass123\"}");
  g_assert_cmpuint (r->status, ==, 403);
  g_assert_cmpstr (relay_response_error_code (r), ==, "domain_not_allowed");
  g_clear_pointer (&r, relay_response_free);

  r = relay_fixture_json (&f->relay, "POST", path, NULL, "{\"name\":\"Ann\",\"email\":\"ann@client.com\"}");
  g_assert_cmpuint (r->status, ==, 403);
  g_assert_cmpstr (relay_response_error_code (r), ==, "wrong_password");
  g_clear_pointer (&r, relay_response_free);

  r = relay_fixture_json (&f->relay, "POST", path, NULL, "{\"name\":\"Ann\",\"email\":\"ann@client.com\",\"password\":\"SecurePass123\"}");
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (relay_response_string (r, "state"), ==, "admitted");
  g_clear_pointer (&r, relay_response_free);

  /* A support call holds the host and one guest. */
  r = relay_fixture_json (&f->relay, "POST", path, NULL, "{\"name\":\"Bo\",\"email\":\"bo@client.com\",\"password\":\"SecurePass123\"}");
  g_assert_cmpuint (r->status, ==, 409);
  g_assert_cmpstr (relay_response_error_code (r), ==, "session_full");
  g_clear_pointer (&r, relay_response_free);

  /* Ann again (a second tab) takes no new seat. */
  r = relay_fixture_json (&f->relay, "POST", path, NULL, "{\"name\":\"Ann\",\"email\":\"ANN@client.com\",\"password\":\"SecurePass123\"}");
  g_assert_cmpuint (r->status, ==, 200);
  g_clear_pointer (&r, relay_response_free);

  /* A webinar puts guests in the waiting room. */
  r = relay_fixture_json (&f->relay, "POST", webinar_path, NULL, "{\"name\":\"Wen\",\"email\":\"wen@example.com\"}");
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (relay_response_string (r, "state"), ==, "waiting");
  (void) started;
  (void) started2;
}

static void
test_password_rate_limit (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(RelayResponse) locked = create_session (f, f->relay.token, 60, "\"password\":\"SecurePass123\"");
  g_autoptr(RelayResponse) started = post_action (f, f->relay.token, "start", relay_response_string (locked, "_id"), NULL);
  g_autofree char *locked_path = g_strdup_printf ("/api/join/%s", relay_response_string (locked, "accessLink"));
  g_autoptr(RelayResponse) r = NULL;

  g_assert_cmpuint (started->status, ==, 200);
  /* Five wrong passwords, then the sixth attempt is refused outright. */
  for (int i = 0; i < 5; i++)
    {
      r = relay_fixture_json (&f->relay, "POST", locked_path, NULL, "{\"name\":\"Mal\",\"email\":\"mal@client.com\",\"password\":\"guess\"}");
      g_assert_cmpuint (r->status, ==, 403);
      g_assert_cmpstr (relay_response_error_code (r), ==, "wrong_password");
      g_assert_cmpstr (relay_response_error_field (r), ==, "password");
      g_clear_pointer (&r, relay_response_free);
    }
  r = relay_fixture_json (&f->relay, "POST", locked_path, NULL, "{\"name\":\"Mal\",\"email\":\"mal@client.com\",\"password\":\"SecurePass123\"}");
  g_assert_cmpuint (r->status, ==, 429);
  g_assert_cmpstr (relay_response_error_code (r), ==, "rate_limited");
  g_assert_cmpint (atoi (soup_message_headers_get_one (r->headers, "Retry-After")), >, 500);
  g_clear_pointer (&r, relay_response_free);

}

static void
test_analytics (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(RelayResponse) created = create_session (f, f->relay.token, 60, "");
  const char *id = relay_response_string (created, "_id");
  g_autofree char *path = g_strdup_printf ("/api/join/%s", relay_response_string (created, "accessLink"));
  g_autofree char *leave = g_strdup_printf ("/api/join/%s/leave", relay_response_string (created, "accessLink"));
  g_autoptr(RelayResponse) started = post_action (f, f->relay.token, "start", id, NULL);
  g_autoptr(RelayResponse) a1 = relay_fixture_json (&f->relay, "POST", path, NULL, "{\"name\":\"Ann\",\"email\":\"ann@example.com\"}");
  g_autoptr(RelayResponse) b1 = relay_fixture_json (&f->relay, "POST", path, NULL, "{\"name\":\"Bob\",\"email\":\"bob@example.com\"}");
  g_autofree char *leave_body = g_strdup_printf ("{\"guestToken\":\"%s\"}", relay_response_string (a1, "guestToken"));
  g_autoptr(RelayResponse) left = relay_fixture_json (&f->relay, "POST", leave, NULL, leave_body);
  g_autoptr(RelayResponse) a2 = relay_fixture_json (&f->relay, "POST", path, NULL, "{\"name\":\"Ann\",\"email\":\"ann@example.com\"}");
  g_autoptr(RelayResponse) ended = post_action (f, f->relay.token, "end", id, NULL);
  JsonObject *session = relay_response_object (ended);
  JsonObject *ann = find_participant (session, "ann@example.com");
  JsonObject *bob = find_participant (session, "bob@example.com");
  JsonArray *participants = json_object_get_array_member (session, "participants");

  g_assert_cmpuint (left->status, ==, 200);
  g_assert_cmpstr (relay_response_string (left, "state"), ==, "left");
  /* A rejoin is the same person: one row, durations added. */
  g_assert_cmpuint (json_array_get_length (participants), ==, 2);
  g_assert_cmpint (json_object_get_int_member (session, "peakParticipants"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (session, "totalDuration"), >=, 0);
  g_assert_nonnull (json_object_get_string_member (ann, "joinedAt"));
  g_assert_nonnull (json_object_get_string_member (ann, "leftAt"));
  g_assert_cmpstr (json_object_get_string_member (bob, "status"), ==, "left");
  g_assert_cmpint (json_object_get_int_member (bob, "duration"), >=, 0);
  g_assert_cmpstr (json_object_get_string_member (ann, "name"), ==, "Ann");
  (void) started;
  (void) b1;
  (void) a2;
}

static void
test_recurrence_and_listing (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(RelayResponse) series = create_session (f, f->relay.token, 86400,
    "\"recurrence\":{\"frequency\":\"weekly\",\"count\":3},\"sessionType\":\"training\"");
  g_autoptr(RelayResponse) single = create_session (f, f->relay.token, 3600, "");
  JsonArray *sessions = json_object_get_array_member (relay_response_object (series), "sessions");
  g_autoptr(RelayResponse) upcoming = relay_fixture_request (&f->relay, "GET", "/api/sessions?upcoming=true", f->relay.token, NULL, NULL, 0);
  g_autoptr(RelayResponse) page = relay_fixture_request (&f->relay, "GET", "/api/sessions?upcoming=true&limit=2&offset=1", f->relay.token, NULL, NULL, 0);
  JsonArray *list = json_node_get_array (upcoming->json);
  const char *series_id = relay_response_string (series, "seriesId");
  gint64 previous = 0;

  g_assert_nonnull (series_id);
  g_assert_cmpuint (json_array_get_length (sessions), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *s = json_array_get_object_element (sessions, i);
      gint64 start = 0;
      g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (json_object_get_string_member (s, "scheduledStartTime"), NULL);

      start = g_date_time_to_unix (dt);
      g_assert_cmpstr (json_object_get_string_member (s, "seriesId"), ==, series_id);
      g_assert_cmpint (json_object_get_int_member (s, "seriesIndex"), ==, i);
      g_assert_cmpint (json_object_get_int_member (s, "maxParticipants"), ==, 20);
      if (i > 0)
        g_assert_cmpint (start - previous, ==, 7 * 24 * 3600);
      previous = start;
    }

  /* Soonest first: the single session (in 1 h) before the series (in 1 day). */
  g_assert_cmpuint (json_array_get_length (list), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "_id"), ==,
                   relay_response_string (single, "_id"));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (page->json)), ==, 2);
  g_assert_cmpstr (soup_message_headers_get_one (page->headers, "X-Total-Count"), ==, "4");
}

static void
test_update_and_invite (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(RelayResponse) created = create_session (f, f->relay.token, 7200, "\"password\":\"first-pass\"");
  const char *id = relay_response_string (created, "_id");
  g_autofree char *path = g_strdup_printf ("/api/sessions/%s", id);
  g_autofree char *invite_path = g_strdup_printf ("/api/sessions/%s/participants", id);
  g_autofree char *start = relay_fixture_time_from_now (3600);
  g_autofree char *body = g_strdup_printf ("{\"title\":\"Renamed\",\"scheduledStartTime\":\"%s\",\"password\":\"\",\"maxParticipants\":4}", start);
  g_autoptr(RelayResponse) patched = relay_fixture_json (&f->relay, "PATCH", path, f->relay.token, body);
  g_autoptr(RelayResponse) invited = relay_fixture_json (&f->relay, "POST", invite_path, f->relay.token,
    "{\"participants\":[{\"email\":\"new@example.com\",\"name\":\"New Person\"}]}");
  g_autoptr(RelayResponse) again = relay_fixture_json (&f->relay, "POST", invite_path, f->relay.token,
    "{\"participants\":[{\"email\":\"NEW@example.com\"}]}");

  g_assert_cmpuint (patched->status, ==, 200);
  g_assert_cmpstr (relay_response_string (patched, "title"), ==, "Renamed");
  g_assert_false (json_object_get_boolean_member (relay_response_object (patched), "hasPassword"));
  g_assert_cmpint (json_object_get_int_member (relay_response_object (patched), "maxParticipants"), ==, 4);
  g_assert_cmpuint (invited->status, ==, 201);
  g_assert_cmpstr (json_object_get_string_member (find_participant (relay_response_object (invited), "new@example.com"), "name"), ==, "New Person");
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (relay_response_object (again), "participants")), ==, 1);
}

/* GET /api/sessions/ID, re-encoded the way json-glib writes a node. */
static char *
stored_session_text (Fixture    *f,
                     const char *id)
{
  g_autofree char *path = g_strconcat ("/api/sessions/", id, NULL);
  g_autoptr(RelayResponse) stored = relay_fixture_request (&f->relay, "GET", path, f->relay.token, NULL, NULL, 0);

  g_assert_cmpuint (stored->status, ==, 200);
  return json_to_string (stored->json, FALSE);
}

/* A create answers from what it wrote, not by reading it back: the answer
 * must be exactly what GET /api/sessions/:id then gives, invitees, their
 * queued invitations and all, for a single session and for each of a
 * series. */
static void
test_create_reply_is_stored (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(RelayResponse) single = create_session (f, f->relay.token, 7200,
    "\"description\":\"Line one\\nline \\\"two\\\" \\u00e9\",\"agenda\":\"1. hello\","
    "\"relatedTicket\":\"T-42\",\"password\":\"open sesame\",\"sessionType\":\"webinar\","
    "\"allowedDomains\":[\"example.com\",\"example.org\"],\"enableChat\":false,\"maxParticipants\":7,"
    "\"participants\":[{\"email\":\"Ann.Lee@Example.COM\",\"name\":\"Ann \\u00c5s\"},"
    "{\"email\":\"bob@example.org\"}]");
  g_autoptr(RelayResponse) bare = create_session (f, f->relay.token, 3600, "");
  g_autoptr(RelayResponse) series = create_session (f, f->relay.token, 86400,
    "\"recurrence\":{\"frequency\":\"weekly\",\"count\":3},"
    "\"participants\":[{\"email\":\"carol@example.com\",\"name\":\"Carol\"}]");
  JsonObject *first = relay_response_object (series);
  g_autoptr(JsonArray) occurrences = json_array_ref (json_object_get_array_member (first, "sessions"));
  JsonObject *ann = find_participant (relay_response_object (single), "Ann.Lee@example.com");

  /* The invitations are queued (the SMTP server never answers). */
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (ann, "mail"), "state"), ==, "queued");

  /* Byte for byte: the same writer makes both answers. */
  {
    const char *id = relay_response_string (single, "_id");
    g_autofree char *path = g_strconcat ("/api/sessions/", id, NULL);
    g_autoptr(RelayResponse) stored = relay_fixture_request (&f->relay, "GET", path, f->relay.token, NULL, NULL, 0);
    g_autoptr(RelayResponse) stored_bare = NULL;

    g_assert_cmpuint (stored->status, ==, 200);
    g_assert_cmpmem (g_bytes_get_data (single->body, NULL), g_bytes_get_size (single->body),
                     g_bytes_get_data (stored->body, NULL), g_bytes_get_size (stored->body));

    g_free (path);
    path = g_strconcat ("/api/sessions/", relay_response_string (bare, "_id"), NULL);
    stored_bare = relay_fixture_request (&f->relay, "GET", path, f->relay.token, NULL, NULL, 0);
    g_assert_cmpmem (g_bytes_get_data (bare->body, NULL), g_bytes_get_size (bare->body),
                     g_bytes_get_data (stored_bare->body, NULL), g_bytes_get_size (stored_bare->body));
  }

  /* A series: each occurrence as its own GET gives it, and the first again
   * at the top level. */
  g_assert_cmpuint (json_array_get_length (occurrences), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonNode *node = json_array_get_element (occurrences, i);
      g_autofree char *answered = json_to_string (node, FALSE);
      g_autofree char *stored = stored_session_text (f, json_object_get_string_member (json_node_get_object (node), "_id"));

      g_assert_cmpstr (answered, ==, stored);
      if (i == 0)
        {
          g_autofree char *top = NULL;

          json_object_remove_member (first, "sessions");
          top = json_to_string (series->json, FALSE);
          g_assert_cmpstr (top, ==, stored);
        }
    }
}


/* Creates sent at once share the relay's group commit: each is answered
 * 201 only once stored, every one is stored once, and a password (hashed
 * on a worker, so it joins a later batch) changes nothing. */
typedef struct {
  guint      pending;
  GPtrArray *bodies;   /* GBytes, or NULL for a failed send */
  GArray    *statuses;
} Burst;

typedef struct {
  Burst       *burst;
  guint        index;
  SoupMessage *msg;
} BurstSend;

static void
on_burst_sent (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  BurstSend *send = user_data;
  g_autoptr(GError) error = NULL;
  GBytes *body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);

  g_assert_no_error (error);
  g_ptr_array_index (send->burst->bodies, send->index) = body;
  g_array_index (send->burst->statuses, guint, send->index) = soup_message_get_status (send->msg);
  send->burst->pending--;
  g_object_unref (send->msg);
  g_free (send);
}

static void
test_concurrent_creates (Fixture       *f,
                         gconstpointer  data)
{
#define N 40
  g_autoptr(SoupSession) http = soup_session_new_with_options ("max-conns", N, "max-conns-per-host", N, NULL);
  g_autofree char *start = relay_fixture_time_from_now (7200);
  g_autofree char *end = relay_fixture_time_from_now (9000);
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(RelayResponse) upcoming = NULL;
  Burst burst = { N, g_ptr_array_new_full (N, (GDestroyNotify) g_bytes_unref), g_array_new (FALSE, TRUE, sizeof (guint)), };
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_ptr_array_set_size (burst.bodies, N);
  g_array_set_size (burst.statuses, N);
  for (guint i = 0; i < N; i++)
    {
      g_autofree char *url = g_strconcat (f->relay.url, "/api/sessions", NULL);
      g_autofree char *auth = g_strconcat ("Bearer ", f->relay.token, NULL);
      g_autofree char *body = g_strdup_printf (
        "{\"title\":\"Burst %u\",\"sessionType\":\"support_call\",\"scheduledStartTime\":\"%s\","
        "\"scheduledEndTime\":\"%s\",\"participants\":[{\"email\":\"c%u@example.com\",\"name\":\"C %u\"}]%s}",
        i, start, end, i, i, i % 8 == 0 ? ",\"password\":\"open sesame\"" : "");
      g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&body), strlen (body));
      BurstSend *send = g_new0 (BurstSend, 1);

      send->burst = &burst;
      send->index = i;
      send->msg = soup_message_new ("POST", url);
      soup_message_headers_replace (soup_message_get_request_headers (send->msg), "Authorization", auth);
      soup_message_set_request_body_from_bytes (send->msg, "application/json", bytes);
      soup_session_send_and_read_async (http, send->msg, G_PRIORITY_DEFAULT, NULL, on_burst_sent, send);
    }
  while (burst.pending > 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (burst.pending, ==, 0);

  for (guint i = 0; i < N; i++)
    {
      GBytes *body = g_ptr_array_index (burst.bodies, i);
      g_autoptr(JsonNode) node = json_from_string (g_bytes_get_data (body, NULL), NULL);
      JsonObject *session = json_node_get_object (node);
      g_autofree char *title = g_strdup_printf ("Burst %u", i);
      g_autofree char *path = NULL;
      g_autoptr(RelayResponse) stored = NULL;

      g_assert_cmpuint (g_array_index (burst.statuses, guint, i), ==, 201);
      g_assert_cmpstr (json_object_get_string_member (session, "title"), ==, title);
      g_assert_cmpint (json_object_get_boolean_member (session, "hasPassword"), ==, i % 8 == 0);
      g_assert_true (g_hash_table_add (ids, g_strdup (json_object_get_string_member (session, "_id"))));
      path = g_strconcat ("/api/sessions/", json_object_get_string_member (session, "_id"), NULL);
      stored = relay_fixture_request (&f->relay, "GET", path, f->relay.token, NULL, NULL, 0);
      g_assert_cmpuint (stored->status, ==, 200);
      g_assert_cmpstr (relay_response_string (stored, "title"), ==, title);
    }
  upcoming = relay_fixture_request (&f->relay, "GET", "/api/sessions?upcoming=true&limit=100", f->relay.token, NULL, NULL, 0);
  g_assert_cmpstr (soup_message_headers_get_one (upcoming->headers, "X-Total-Count"), ==, G_STRINGIFY (N));
  g_ptr_array_unref (burst.bodies);
  g_array_unref (burst.statuses);
}
#undef N

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/relay/api/create-and-join", test_create_and_join);
  ADD ("/relay/api/bad-requests", test_bad_requests);
  ADD ("/relay/api/body-limit", test_body_limit);
  ADD ("/relay/api/ownership-and-admin", test_ownership_and_admin);
  ADD ("/relay/api/lifecycle", test_lifecycle);
  ADD ("/relay/api/join-rules", test_join_rules);
  ADD ("/relay/api/password-rate-limit", test_password_rate_limit);
  ADD ("/relay/api/analytics", test_analytics);
  ADD ("/relay/api/recurrence-and-listing", test_recurrence_and_listing);
  ADD ("/relay/api/update-and-invite", test_update_and_invite);
  ADD ("/relay/api/concurrent-creates", test_concurrent_creates);
#undef ADD
  g_test_add ("/relay/api/create-reply-is-stored", Fixture, NULL, fixture_setup_mail_held,
              test_create_reply_is_stored, fixture_teardown);

  return g_test_run ();
}
