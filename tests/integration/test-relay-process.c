/* test-relay-process.c: the relay as a process — health, shutdown, config,
 * TLS and the host account commands. */
#include <signal.h>
#include <string.h>

#include "relay-fixture.h"

static void
test_healthz_and_sigterm (void)
{
  RelayFixture relay = { 0 };
  g_autoptr(RelayResponse) health = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  relay_fixture_start (&relay, NULL, NULL);
  health = relay_fixture_request (&relay, "GET", "/healthz", NULL, NULL, NULL, 0);
  g_assert_cmpuint (health->status, ==, 200);
  g_assert_cmpstr (relay_response_string (health, "status"), ==, "ok");

  process = relay.process;
  g_subprocess_send_signal (process, SIGTERM);
  g_assert_true (g_subprocess_wait (process, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  relay_fixture_stop (&relay);
}

static void
test_config_file (void)
{
  RelayFixture relay = { 0 };
  g_autoptr(RelayResponse) created = NULL;
  g_autofree char *start = relay_fixture_time_from_now (3600);
  g_autofree char *body = NULL;

  relay_fixture_start (&relay,
                       "[http]\n"
                       "public_url = https://live.example.com/\n"
                       "colour = blue\n"
                       "[relay]\n"
                       "[weather]\n"
                       "sunny = true\n", NULL);

  body = g_strdup_printf ("{\"title\":\"T\",\"scheduledStartTime\":\"%s\"}", start);
  created = relay_fixture_json (&relay, "POST", "/api/sessions", relay.token, body);
  g_assert_cmpuint (created->status, ==, 201);
  g_assert_true (g_str_has_prefix (relay_response_string (created, "joinUrl"), "https://live.example.com/session/join/"));

  /* Unknown keys and groups are reported, not silently ignored. */
  for (int i = 0; i < 100 && strstr (relay.stderr_text->str, "[weather]") == NULL; i++)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (strstr (relay.stderr_text->str, "unknown key 'colour' in [http]"));
  g_assert_nonnull (strstr (relay.stderr_text->str, "unknown group [weather]"));
  relay_fixture_stop (&relay);
}

static void
test_plain_http_warning (void)
{
  RelayFixture relay = { 0 };
  const char *args[] = { "--listen", "0.0.0.0:0", NULL };
  g_autoptr(RelayResponse) health = NULL;

  relay_fixture_start (&relay, NULL, args);
  health = relay_fixture_request (&relay, "GET", "/healthz", NULL, NULL, NULL, 0);
  g_assert_cmpuint (health->status, ==, 200);
  for (int i = 0; i < 100 && strstr (relay.stderr_text->str, "plain HTTP") == NULL; i++)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (strstr (relay.stderr_text->str, "Serving plain HTTP on a non-loopback address"));
  relay_fixture_stop (&relay);
}

static void
test_bad_config (void)
{
  RelayFixture relay = { 0 };
  static const char * const configs[] = {
    "[http]\nlisten = nowhere\n",
    "[http]\nlisten = 127.0.0.1\n",
    "[http]\npublic_url = ftp://example.com\n",
    "[http]\ntls_cert = /nonexistent.pem\n",
    "this is not a key file",
  };

  relay.dir = g_dir_make_tmp ("omni-relay-XXXXXX", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (configs); i++)
    {
      g_autofree char *path = g_build_filename (relay.dir, "bad.ini", NULL);
      const char *args[] = { "--config", path, "--listen", "127.0.0.1:0", NULL };
      g_autofree char *err = NULL;

      g_assert_true (g_file_set_contents (path, configs[i], -1, NULL));
      g_assert_cmpint (relay_fixture_run_cli (&relay, args, NULL, &err), !=, 0);
      g_assert_true (g_str_has_prefix (err, "omnilive-relay: "));
    }
  relay_fixture_stop (&relay);
}

static gboolean
accept_any_certificate (SoupMessage          *msg,
                        GTlsCertificate      *certificate,
                        GTlsCertificateFlags  errors,
                        gpointer              user_data)
{
  return TRUE;
}

static void
test_tls (void)
{
  RelayFixture relay = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *command = NULL;
  g_autofree char *config = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  int status = 0;

  relay.dir = g_dir_make_tmp ("omni-relay-XXXXXX", NULL);
  cert = g_build_filename (relay.dir, "cert.pem", NULL);
  key = g_build_filename (relay.dir, "key.pem", NULL);
  command = g_strdup_printf ("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
                             "-keyout %s -out %s", key, cert);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);

  config = g_strdup_printf ("[http]\ntls_cert = %s\ntls_key = %s\n", cert, key);
  relay_fixture_start (&relay, config, NULL);
  g_assert_true (g_str_has_prefix (relay.url, "https://"));

  uri = g_strconcat (relay.url, "/healthz", NULL);
  msg = soup_message_new ("GET", uri);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);
  body = soup_session_send_and_read (relay.http, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_nonnull (soup_message_get_tls_peer_certificate (msg));
  relay_fixture_stop (&relay);
}

static void
test_host_commands (void)
{
  RelayFixture relay = { 0 };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(RelayResponse) before = NULL;
  g_autoptr(RelayResponse) after = NULL;
  const char *list[] = { "host", "list", NULL };
  const char *revoke[] = { "host", "revoke", "agent@example.com", NULL };
  const char *duplicate[] = { "host", "add", "--email", "AGENT@example.com", "--name", "Dup", NULL };
  const char *invalid[] = { "host", "add", "--email", "not-an-email", "--name", "X", NULL };
  const char *missing[] = { "host", "add", "--email", "x@example.com", NULL };
  g_autofree char *db = NULL;
  g_autofree char *db_text = NULL;

  relay_fixture_start (&relay, NULL, NULL);
  g_assert_cmpuint (strlen (relay.token), >=, 40);

  g_assert_cmpint (relay_fixture_run_cli (&relay, list, &out, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "agent@example.com"));
  g_assert_nonnull (strstr (out, "Agent Smith"));

  /* Only a hash of the token is stored. */
  db = g_build_filename (relay.dir, "relay.db", NULL);
  g_assert_true (g_file_get_contents (db, &db_text, NULL, NULL));
  g_assert_null (g_strstr_len (db_text, -1, relay.token));

  g_assert_cmpint (relay_fixture_run_cli (&relay, duplicate, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "already exists"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (relay_fixture_run_cli (&relay, invalid, NULL, &err), ==, 2);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (relay_fixture_run_cli (&relay, missing, NULL, &err), ==, 2);

  before = relay_fixture_request (&relay, "GET", "/api/me", relay.token, NULL, NULL, 0);
  g_assert_cmpuint (before->status, ==, 200);
  g_assert_cmpint (relay_fixture_run_cli (&relay, revoke, NULL, NULL), ==, 0);
  after = relay_fixture_request (&relay, "GET", "/api/me", relay.token, NULL, NULL, 0);
  g_assert_cmpuint (after->status, ==, 401);
  relay_fixture_stop (&relay);
}

/* POST /api/sessions trusts the host cache and lets its write confirm the
 * host (RELAY_ROUTE_HOST_CONFIRMED_BY_WRITE). A token revoked by another
 * process is still refused on the very next create, with 401 and nothing
 * stored, whether the body is good or bad. */
static void
test_revoked_token_cannot_create (void)
{
  RelayFixture relay = { 0 };
  g_autofree char *start = relay_fixture_time_from_now (3600);
  g_autofree char *good = g_strdup_printf ("{\"title\":\"After revoke\",\"scheduledStartTime\":\"%s\"}", start);
  g_autofree char *admin = NULL;
  const char *bad = "{\"title\":\"After revoke\",\"scheduledStartTime\":\"not a time\"}";
  const char *emails[] = { "agent@example.com", "second@example.com" };
  g_autofree char *second = NULL;
  g_autoptr(RelayResponse) list = NULL;
  JsonArray *sessions;

  relay_fixture_start (&relay, NULL, NULL);
  admin = relay_fixture_add_host (&relay, "admin@example.com", "Admin", TRUE);
  second = relay_fixture_add_host (&relay, "second@example.com", "Second", FALSE);

  for (guint round = 0; round < 2; round++)
    {
      const char *token = round == 0 ? relay.token : second;
      const char *revoke[] = { "host", "revoke", emails[round], NULL };
      g_autoptr(RelayResponse) me = relay_fixture_request (&relay, "GET", "/api/me", token, NULL, NULL, 0);
      g_autoptr(RelayResponse) before = relay_fixture_json (&relay, "POST", "/api/sessions", token, good);
      g_autoptr(RelayResponse) after = NULL;

      /* The token is in the host cache now. */
      g_assert_cmpuint (me->status, ==, 200);
      g_assert_cmpuint (before->status, ==, 201);
      g_assert_cmpint (relay_fixture_run_cli (&relay, revoke, NULL, NULL), ==, 0);

      /* Round 0: a good body, refused by the create's write. Round 1: a bad
       * body, whose 400 would tell a revoked token more than 401 does. */
      after = relay_fixture_json (&relay, "POST", "/api/sessions", token, round == 0 ? good : bad);
      g_assert_cmpuint (after->status, ==, 401);
      g_assert_cmpstr (relay_response_error_code (after), ==, "unauthorized");
    }

  /* Only the two creates made before the revokes are stored. */
  list = relay_fixture_request (&relay, "GET", "/api/sessions?all=true&limit=500", admin, NULL, NULL, 0);
  g_assert_cmpuint (list->status, ==, 200);
  sessions = json_node_get_array (list->json);
  g_assert_cmpuint (json_array_get_length (sessions), ==, 2);
  relay_fixture_stop (&relay);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/relay/process/healthz-and-sigterm", test_healthz_and_sigterm);
  g_test_add_func ("/relay/process/config-file", test_config_file);
  g_test_add_func ("/relay/process/bad-config", test_bad_config);
  g_test_add_func ("/relay/process/plain-http-warning", test_plain_http_warning);
  g_test_add_func ("/relay/process/tls", test_tls);
  g_test_add_func ("/relay/process/revoked-token-cannot-create", test_revoked_token_cannot_create);
  g_test_add_func ("/relay/process/host-commands", test_host_commands);

  return g_test_run ();
}
