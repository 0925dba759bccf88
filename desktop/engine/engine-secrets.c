/* engine-secrets.c: thin async wrappers over libsecret's password API with
 * the app's schema, so callers never see libsecret types. */
#define G_LOG_DOMAIN "engine-secrets"

#include "desktop-config.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "omni-error.h"

#include "engine-secrets.h"

#define MAX_TOKEN_FILE 4096

static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = {
    APP_ID ".HostToken", SECRET_SCHEMA_NONE,
    {
      { "relay-url", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };
  return &schema;
}

static void
on_stored (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (secret_password_store_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_looked_up (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *token = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&token), (GDestroyNotify) secret_password_free);
}

static void
on_cleared (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  secret_password_clear_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
engine_secrets_store_token_async (const char          *relay_url,
                                  const char          *token,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;
  g_autofree char *label = NULL;

  g_return_if_fail (relay_url != NULL && token != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, engine_secrets_store_token_async);
  label = g_strdup_printf (_("OmniLive host token for %s"), relay_url);
  secret_password_store (token_schema (), SECRET_COLLECTION_DEFAULT, label, token,
                         cancellable, on_stored, task,
                         "relay-url", relay_url, NULL);
}

gboolean
engine_secrets_store_token_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
engine_secrets_lookup_token_async (const char          *relay_url,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (relay_url != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, engine_secrets_lookup_token_async);
  secret_password_lookup (token_schema (), cancellable, on_looked_up, task,
                          "relay-url", relay_url, NULL);
}

char *
engine_secrets_lookup_token_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_autofree char *token = NULL;
  char *secure;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  /* Hand back ordinary memory: callers free with g_free. */
  secure = g_task_propagate_pointer (G_TASK (result), error);
  if (secure == NULL)
    return NULL;
  token = g_strdup (secure);
  secret_password_free (secure);
  return g_steal_pointer (&token);
}

void
engine_secrets_clear_token_async (const char          *relay_url,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (relay_url != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, engine_secrets_clear_token_async);
  secret_password_clear (token_schema (), cancellable, on_cleared, task,
                         "relay-url", relay_url, NULL);
}

gboolean
engine_secrets_clear_token_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

char *
engine_secrets_read_token_file (const char  *path,
                                GError     **error)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  gsize len;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  if (len > MAX_TOKEN_FILE)
    {
      g_set_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG, _("The token file %s is too large"), path);
      return NULL;
    }
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (*lines[i] != '\0')
        return g_strdup (lines[i]);
    }
  g_set_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG, _("The token file %s is empty"), path);
  return NULL;
}
