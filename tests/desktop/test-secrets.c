/* test-secrets.c: the host token in the Secret Service. Run twice by meson:
 * with an unlocked gnome-keyring (OMNI_EXPECT_KEYRING=1) the token is stored,
 * found by relay URL and cleared; with no Secret Service on the bus the
 * account keeps it in memory and says so ("token-not-saved"). */
#include "engine-account.h"
#include "engine-secrets.h"

#include "desktop-test-util.h"

static gboolean
expect_keyring (void)
{
  return g_strcmp0 (g_getenv ("OMNI_EXPECT_KEYRING"), "1") == 0;
}

static gboolean
store_token (const char  *url,
             const char  *token,
             GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  engine_secrets_store_token_async (url, token, NULL, desktop_test_store_result, &result);
  desktop_test_wait_result (&result, 20, "storing the token");
  return engine_secrets_store_token_finish (result, error);
}

static char *
lookup_token (const char  *url,
              GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  engine_secrets_lookup_token_async (url, NULL, desktop_test_store_result, &result);
  desktop_test_wait_result (&result, 20, "looking the token up");
  return engine_secrets_lookup_token_finish (result, error);
}

static void
test_store_lookup_clear (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *found = NULL;
  g_autofree char *other = NULL;
  g_autofree char *after = NULL;

  if (!expect_keyring ())
    {
      g_assert_false (store_token ("https://relay.example.com", "secret-token-1", &error));
      g_assert_nonnull (error);
      g_test_message ("no Secret Service, as expected: %s", error->message);
      return;
    }

  g_assert_true (store_token ("https://relay.example.com", "secret-token-1", &error));
  g_assert_no_error (error);
  g_assert_true (store_token ("https://other.example.com", "secret-token-2", &error));
  g_assert_no_error (error);

  found = lookup_token ("https://relay.example.com", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, "secret-token-1");
  other = lookup_token ("https://other.example.com", &error);
  g_assert_cmpstr (other, ==, "secret-token-2");

  /* Replacing keeps one item per relay. */
  g_assert_true (store_token ("https://relay.example.com", "secret-token-3", &error));
  g_clear_pointer (&found, g_free);
  found = lookup_token ("https://relay.example.com", &error);
  g_assert_cmpstr (found, ==, "secret-token-3");

  engine_secrets_clear_token_async ("https://relay.example.com", NULL, desktop_test_store_result, &result);
  desktop_test_wait_result (&result, 20, "clearing the token");
  g_assert_true (engine_secrets_clear_token_finish (result, &error));
  g_assert_no_error (error);
  after = lookup_token ("https://relay.example.com", &error);
  g_assert_no_error (error);
  g_assert_null (after);
}

static void
on_not_saved (EngineAccount *account,
              const char    *reason,
              gboolean      *flag)
{
  *flag = TRUE;
}

static void
on_state (EngineAccount *account,
          GParamSpec    *pspec,
          gboolean      *flag)
{
  if (engine_account_get_state (account) != ENGINE_ACCOUNT_CONNECTING)
    *flag = TRUE;
}

/* The relay is down (nothing on port 9): the token the user gave is kept
 * anyway — in the keyring when there is one, else in memory with a notice. */
static void
test_account_persists (void)
{
  g_autoptr(EngineRelayClient) client = engine_relay_client_new (NULL, NULL);
  g_autoptr(EngineAccount) account = engine_account_new (client, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = NULL;
  gboolean not_saved = FALSE, settled = FALSE;

  g_signal_connect (account, "token-not-saved", G_CALLBACK (on_not_saved), &not_saved);
  g_signal_connect (account, "notify::state", G_CALLBACK (on_state), &settled);
  engine_account_sign_in (account, "http://127.0.0.1:9", "token-from-file", TRUE);
  desktop_test_wait_flag (&settled, 20, "the account to settle");
  g_assert_cmpint (engine_account_get_state (account), ==, ENGINE_ACCOUNT_UNREACHABLE);
  g_assert_cmpstr (engine_relay_client_get_token (client), ==, "token-from-file");

  if (expect_keyring ())
    {
      /* The store runs after the state change; poll the keyring until it has it. */
      gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
      while (stored == NULL && g_get_monotonic_time () < deadline)
        {
          g_clear_error (&error);
          stored = lookup_token ("http://127.0.0.1:9", &error);
        }
      g_assert_cmpstr (stored, ==, "token-from-file");
      g_assert_false (not_saved);
      g_assert_false (engine_account_get_token_in_memory (account));
    }
  else
    {
      desktop_test_wait_flag (&not_saved, 20, "token-not-saved");
      g_assert_true (engine_account_get_token_in_memory (account));
    }
}

static void
test_token_file (void)
{
  g_autofree char *dir = desktop_test_make_dir ("token-file");
  g_autofree char *path = g_build_filename (dir, "token", NULL);
  g_autofree char *token = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, "\n  abc-DEF_123  \nsecond line\n", -1, NULL));
  token = engine_secrets_read_token_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "abc-DEF_123");
  g_clear_pointer (&token, g_free);

  g_assert_true (g_file_set_contents (path, " \n\n", -1, NULL));
  token = engine_secrets_read_token_file (path, &error);
  g_assert_null (token);
  g_assert_nonnull (error);
  desktop_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/desktop/secrets/store-lookup-clear", test_store_lookup_clear);
  g_test_add_func ("/desktop/secrets/account-persists", test_account_persists);
  g_test_add_func ("/desktop/secrets/token-file", test_token_file);

  return g_test_run ();
}
