/* relay-password.c: PBKDF2-HMAC-SHA256 (RFC 8018) on GLib's GHmac. */
#define G_LOG_DOMAIN "relay-password"

#include "relay-password.h"
#include "omni-token.h"

#include <stdlib.h>
#include <string.h>

#define SALT_LEN 16
#define HASH_LEN 32

static void
pbkdf2_sha256 (const char *password,
               const guint8 *salt,
               gsize       salt_len,
               guint       iterations,
               guint8      out[HASH_LEN])
{
  g_autoptr(GHmac) base = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) password, strlen (password));
  g_autoptr(GHmac) first = g_hmac_copy (base);
  static const guint8 block_index[4] = { 0, 0, 0, 1 };
  guint8 u[HASH_LEN];
  gsize len = HASH_LEN;

  /* One block is enough: the derived key is exactly one SHA-256 output. */
  g_hmac_update (first, salt, salt_len);
  g_hmac_update (first, block_index, sizeof block_index);
  g_hmac_get_digest (first, u, &len);
  memcpy (out, u, HASH_LEN);

  for (guint i = 1; i < iterations; i++)
    {
      g_autoptr(GHmac) h = g_hmac_copy (base);
      len = HASH_LEN;
      g_hmac_update (h, u, HASH_LEN);
      g_hmac_get_digest (h, u, &len);
      for (guint j = 0; j < HASH_LEN; j++)
        out[j] ^= u[j];
    }
}

char *
relay_password_hash (const char *password,
                     guint       iterations)
{
  guint8 salt[SALT_LEN];
  guint8 hash[HASH_LEN];
  g_autofree char *salt64 = NULL;
  g_autofree char *hash64 = NULL;

  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (iterations > 0, NULL);

  omni_random_bytes (salt, sizeof salt);
  pbkdf2_sha256 (password, salt, sizeof salt, iterations, hash);
  salt64 = g_base64_encode (salt, sizeof salt);
  hash64 = g_base64_encode (hash, sizeof hash);
  return g_strdup_printf ("pbkdf2-sha256$%u$%s$%s", iterations, salt64, hash64);
}

gboolean
relay_password_verify (const char *password,
                       const char *stored)
{
  g_auto(GStrv) parts = NULL;
  g_autofree guchar *salt = NULL;
  g_autofree guchar *expected = NULL;
  guint8 hash[HASH_LEN];
  gsize salt_len = 0, expected_len = 0;
  guint64 iterations;

  g_return_val_if_fail (password != NULL, FALSE);

  if (stored == NULL)
    return FALSE;
  parts = g_strsplit (stored, "$", 5);
  if (g_strv_length (parts) != 4 || strcmp (parts[0], "pbkdf2-sha256") != 0)
    return FALSE;
  if (!g_ascii_string_to_unsigned (parts[1], 10, 1, 10000000, &iterations, NULL))
    return FALSE;
  salt = g_base64_decode (parts[2], &salt_len);
  expected = g_base64_decode (parts[3], &expected_len);
  if (salt_len == 0 || expected_len != HASH_LEN)
    return FALSE;

  pbkdf2_sha256 (password, salt, salt_len, (guint) iterations, hash);
  return omni_constant_time_equal (hash, expected, HASH_LEN);
}

typedef struct {
  char *password;
  char *stored;
} PasswordJob;

static void
password_job_free (PasswordJob *job)
{
  if (job->password != NULL)
    {
      memset (job->password, 0, strlen (job->password));
      g_free (job->password);
    }
  g_free (job->stored);
  g_free (job);
}

static void
hash_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  PasswordJob *job = task_data;
  g_task_return_pointer (task, relay_password_hash (job->password, RELAY_PASSWORD_ITERATIONS), g_free);
}

static void
verify_in_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  PasswordJob *job = task_data;
  g_task_return_boolean (task, relay_password_verify (job->password, job->stored));
}

static void
run_job (const char          *password,
         const char          *stored,
         GTaskThreadFunc      func,
         gpointer             tag,
         GCancellable        *cancellable,
         GAsyncReadyCallback  callback,
         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  PasswordJob *job = g_new0 (PasswordJob, 1);

  job->password = g_strdup (password);
  job->stored = g_strdup (stored);
  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, job, (GDestroyNotify) password_job_free);
  g_task_run_in_thread (task, func);
}

void
relay_password_hash_async (const char          *password,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  run_job (password, NULL, hash_in_thread, relay_password_hash_async, cancellable, callback, user_data);
}

char *
relay_password_hash_finish (GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
relay_password_verify_async (const char          *password,
                             const char          *stored,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  run_job (password, stored, verify_in_thread, relay_password_verify_async, cancellable, callback, user_data);
}

gboolean
relay_password_verify_finish (GAsyncResult  *result,
                              GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
