/* test-turn-config.c: [turn] defaults and validation, the secret file, and the credentials
 * the relay hands out (checked against an independent HMAC computation). */
#define G_LOG_DOMAIN "test-turn-config"

#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <glib/gstdio.h>

#include "omni-error.h"
#include "relay-turn.h"
#include "relay-turn-auth.h"
#include "relay-turn-config.h"
#include "relay-turn-private.h"

typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("turn-config-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autofree char *secret = g_build_filename (f->dir, "turn-secret", NULL);

  g_remove (secret);
  g_rmdir (f->dir);
  g_free (f->dir);
}

static GKeyFile *
key_file (const char *text)
{
  GKeyFile *kf = g_key_file_new ();

  g_assert_true (g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, NULL));
  return kf;
}

static void
test_defaults (Fixture *f, gconstpointer data)
{
  g_autoptr(RelayTurnConfig) loopback = relay_turn_config_load (NULL, f->dir, TRUE, NULL);
  g_autoptr(RelayTurnConfig) public = NULL;
  g_autofree char *path = g_build_filename (f->dir, "turn-secret", NULL);
  g_autofree char *contents = NULL;
  GStatBuf st;

  g_assert_nonnull (loopback);
  g_assert_cmphex (ntohl (loopback->listen.sin_addr.s_addr), ==, INADDR_LOOPBACK);
  g_assert_cmpuint (ntohs (loopback->listen.sin_port), ==, 3478);
  g_assert_cmpstr (loopback->realm, ==, "omnilive");
  g_assert_cmpuint (loopback->relay_port_min, ==, 49152);

  /* the secret was created with mode 0600 and is read back unchanged */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (g_strstrip (contents), ==, loopback->secret);
  g_assert_cmpuint (strlen (loopback->secret), >=, 40);

  public = relay_turn_config_load (NULL, f->dir, FALSE, NULL);
  g_assert_nonnull (public);
  g_assert_cmphex (public->listen.sin_addr.s_addr, ==, 0);
  g_assert_cmpstr (public->secret, ==, loopback->secret);
}

static void
test_values (Fixture *f, gconstpointer data)
{
  g_autoptr(GKeyFile) kf = key_file ("[turn]\nlisten=127.0.0.1:0\nexternal_ip=203.0.113.5\n"
                                     "realm=example.org\nrelay_ports=50000-50010\n"
                                     "allowed_peers=127.0.0.1/32;10.0.0.0/8\nuser_quota=3\nmax_bps=64000\nthreads=3\n");
  g_autoptr(RelayTurnConfig) config = relay_turn_config_load (kf, f->dir, TRUE, NULL);
  char ip[INET_ADDRSTRLEN];

  g_assert_nonnull (config);
  inet_ntop (AF_INET, &config->external_ip, ip, sizeof ip);
  g_assert_cmpstr (ip, ==, "203.0.113.5");
  g_assert_cmpstr (config->realm, ==, "example.org");
  g_assert_cmpuint (config->relay_port_min, ==, 50000);
  g_assert_cmpuint (config->relay_port_max, ==, 50010);
  g_assert_cmpuint (config->user_quota, ==, 3);
  g_assert_cmpuint (config->max_bps, ==, 64000);
  g_assert_cmpuint (config->threads, ==, 3);
}

static void
test_invalid (Fixture *f, gconstpointer data)
{
  const char *bad[] = {
    "[turn]\nlisten=localhost:3478\n",
    "[turn]\nlisten=127.0.0.1\n",
    "[turn]\nlisten=127.0.0.1:70000\n",
    "[turn]\nexternal_ip=example.org\n",
    "[turn]\nrelay_ports=5000\n",
    "[turn]\nrelay_ports=60000-50000\n",
    "[turn]\nrelay_ports=80-90\n",
    "[turn]\nallowed_peers=everyone\n",
    "[turn]\nuser_quota=-1\n",
    "[turn]\nmax_bps=lots\n",
    "[turn]\nthreads=1000\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GKeyFile) kf = key_file (bad[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(RelayTurnConfig) config = relay_turn_config_load (kf, f->dir, TRUE, &error);

      g_assert_null (config);
      g_assert_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG);
    }
}

static void
test_keys (Fixture *f, gconstpointer data)
{
  const char * const *keys = relay_turn_config_keys ();
  const char *expected[] = { "listen", "external_ip", "realm", "secret_file", "relay_ports",
                             "allowed_peers", "user_quota", "max_bps", "threads" };

  g_assert_cmpuint (g_strv_length ((char **) keys), ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_true (g_strv_contains (keys, expected[i]));
}

/* The coturn use-auth-secret scheme: base64(HMAC-SHA1(secret, "expiry:id")). */
static void
test_credentials (Fixture *f, gconstpointer data)
{
  g_autofree char *password = relay_turn_auth_password ("S", "1700000000:alice");
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) "S", 1);
  guint8 digest[20];
  gsize len = sizeof digest;
  g_autofree char *expected = NULL;
  gint64 expiry;
  const char *user_id;

  g_hmac_update (hmac, (const guchar *) "1700000000:alice", -1);
  g_hmac_get_digest (hmac, digest, &len);
  expected = g_base64_encode (digest, len);
  g_assert_cmpstr (password, ==, expected);

  g_assert_true (relay_turn_auth_parse_username ("1700000000:alice", &expiry, &user_id));
  g_assert_cmpint (expiry, ==, 1700000000);
  g_assert_cmpstr (user_id, ==, "alice");
  g_assert_true (relay_turn_auth_parse_username ("1700000000", &expiry, &user_id));
  g_assert_false (relay_turn_auth_parse_username ("alice:1700000000", &expiry, &user_id));
  g_assert_false (relay_turn_auth_parse_username (":alice", &expiry, &user_id));
  g_assert_false (relay_turn_auth_parse_username ("17e9:alice", &expiry, &user_id));
}

static void
test_nonces (Fixture *f, gconstpointer data)
{
  RelayHmacKey key, other;
  char nonce[RELAY_TURN_NONCE_LEN + 1];

  relay_hmac_key_init (&key, (const guint8 *) "k1", 2);
  relay_hmac_key_init (&other, (const guint8 *) "k2", 2);
  relay_turn_nonce_make (&key, 1000, nonce);
  g_assert_cmpuint (strlen (nonce), ==, RELAY_TURN_NONCE_LEN);
  g_assert_true (relay_turn_nonce_valid (&key, (guint8 *) nonce, strlen (nonce), 999));
  g_assert_false (relay_turn_nonce_valid (&key, (guint8 *) nonce, strlen (nonce), 1000));
  g_assert_false (relay_turn_nonce_valid (&other, (guint8 *) nonce, strlen (nonce), 999));
  /* extending the expiry breaks the MAC */
  nonce[1] = nonce[1] == 'f' ? 'e' : 'f';
  g_assert_false (relay_turn_nonce_valid (&key, (guint8 *) nonce, strlen (nonce), 999));
}

static void
test_ice_servers (Fixture *f, gconstpointer data)
{
  g_autoptr(GKeyFile) kf = key_file ("[turn]\nlisten=127.0.0.1:0\nexternal_ip=203.0.113.5\n");
  g_autoptr(RelayTurnServer) server = relay_turn_server_new (kf, f->dir, TRUE, NULL);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(RelayTurnConfig) config = relay_turn_config_load (NULL, f->dir, TRUE, NULL);
  JsonArray *servers, *urls;
  JsonObject *turn;
  const char *username;
  g_autofree char *password = NULL;
  gint64 expiry, now = g_get_real_time () / G_USEC_PER_SEC;
  const char *user_id;

  g_assert_nonnull (server);
  g_assert_true (relay_turn_server_start (server, NULL));
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "iceServers");
  relay_turn_server_build_ice_servers (server, builder, "guest-42", 3600);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  servers = json_object_get_array_member (json_node_get_object (root), "iceServers");
  g_assert_cmpuint (json_array_get_length (servers), ==, 2);

  urls = json_object_get_array_member (json_array_get_object_element (servers, 0), "urls");
  {
    g_autofree char *stun = g_strdup_printf ("stun:203.0.113.5:%u", relay_turn_server_get_port (server));

    g_assert_cmpstr (json_array_get_string_element (urls, 0), ==, stun);
  }
  turn = json_array_get_object_element (servers, 1);
  urls = json_object_get_array_member (turn, "urls");
  g_assert_cmpuint (json_array_get_length (urls), ==, 2);
  g_assert_true (g_str_has_suffix (json_array_get_string_element (urls, 0), "?transport=udp"));
  g_assert_true (g_str_has_suffix (json_array_get_string_element (urls, 1), "?transport=tcp"));
  username = json_object_get_string_member (turn, "username");
  g_assert_true (relay_turn_auth_parse_username (username, &expiry, &user_id));
  g_assert_cmpstr (user_id, ==, "guest-42");
  g_assert_cmpint (expiry, >=, now + 3599);
  g_assert_cmpint (expiry, <=, now + 3601);
  /* the credential is derived from the same secret file, which never appears in the JSON */
  password = relay_turn_auth_password (config->secret, username);
  g_assert_cmpstr (json_object_get_string_member (turn, "credential"), ==, password);
  relay_turn_server_stop (server);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/relay/turn/config/defaults", Fixture, NULL, fixture_setup, test_defaults, fixture_teardown);
  g_test_add ("/relay/turn/config/values", Fixture, NULL, fixture_setup, test_values, fixture_teardown);
  g_test_add ("/relay/turn/config/invalid", Fixture, NULL, fixture_setup, test_invalid, fixture_teardown);
  g_test_add ("/relay/turn/config/keys", Fixture, NULL, fixture_setup, test_keys, fixture_teardown);
  g_test_add ("/relay/turn/config/credentials", Fixture, NULL, fixture_setup, test_credentials, fixture_teardown);
  g_test_add ("/relay/turn/config/nonces", Fixture, NULL, fixture_setup, test_nonces, fixture_teardown);
  g_test_add ("/relay/turn/config/ice-servers", Fixture, NULL, fixture_setup, test_ice_servers, fixture_teardown);

  return g_test_run ();
}
