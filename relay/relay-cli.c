/* relay-cli.c: host account commands, run against the relay's data dir
 * (SQLite WAL lets them run while the relay serves). */
#define G_LOG_DOMAIN "relay-cli"

#include "relay-cli.h"
#include "relay-config.h"
#include "relay-store.h"
#include "omni-email.h"
#include "omni-time.h"
#include "omni-token.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
  "Usage:\n"
  "  omnilive-relay host add --email EMAIL --name NAME [--admin] [--data-dir DIR] [--config FILE]\n"
  "  omnilive-relay host list [--data-dir DIR] [--config FILE]\n"
  "  omnilive-relay host revoke EMAIL|ID [--data-dir DIR] [--config FILE]\n";

static RelayStore *
open_store (const char  *config_path,
            const char  *data_dir,
            GError     **error)
{
  g_autoptr(RelayConfig) config = relay_config_load (config_path, error);
  g_autofree char *path = NULL;
  const char *dir;

  if (config == NULL)
    return NULL;
  dir = data_dir != NULL ? data_dir : config->data_dir;
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "Cannot create data directory %s: %s", dir, g_strerror (errno));
      return NULL;
    }
  path = g_build_filename (dir, "relay.db", NULL);
  return relay_store_open (path, error);
}

int
relay_cli_host_main (int    argc,
                     char **argv)
{
  g_autofree char *email = NULL;
  g_autofree char *name = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *config_path = NULL;
  gboolean admin = FALSE;
  GOptionEntry entries[] = {
    { "email", 0, 0, G_OPTION_ARG_STRING, &email, "Host e-mail address", "EMAIL" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Host display name", "NAME" },
    { "admin", 0, 0, G_OPTION_ARG_NONE, &admin, "The host sees every host's sessions", NULL },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Relay data directory", "DIR" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, "Relay config file", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("add|list|revoke");
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayStore) store = NULL;
  const char *command;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, usage);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("omnilive-relay host: %s\n%s", error->message, usage);
      return 2;
    }
  if (argc < 2)
    {
      g_printerr ("%s", usage);
      return 2;
    }
  command = argv[1];

  if (strcmp (command, "add") == 0)
    {
      g_autofree char *token = NULL;
      g_autofree char *hash = NULL;
      g_autofree char *normalized = NULL;
      g_autoptr(RelayHost) host = NULL;

      if (email == NULL || name == NULL || *g_strstrip (name) == '\0')
        {
          g_printerr ("omnilive-relay host add: --email and --name are required\n%s", usage);
          return 2;
        }
      normalized = omni_email_normalize (email);
      if (normalized == NULL)
        {
          g_printerr ("omnilive-relay host add: '%s' is not a valid e-mail address\n", email);
          return 2;
        }
      store = open_store (config_path, data_dir, &error);
      if (store == NULL)
        goto failed;
      token = omni_token_new (32);
      hash = omni_token_hash (token);
      host = relay_store_host_add (store, normalized, name, admin, hash, &error);
      if (host == NULL)
        goto failed;
      g_print ("Host %s <%s>%s added (id %s). Its API token, shown only now:\n%s\n",
               host->name, host->email, admin ? " (admin)" : "", host->id, token);
      return 0;
    }

  if (strcmp (command, "list") == 0)
    {
      g_autoptr(GPtrArray) hosts = NULL;

      store = open_store (config_path, data_dir, &error);
      if (store == NULL)
        goto failed;
      hosts = relay_store_host_list (store, &error);
      if (hosts == NULL)
        goto failed;
      for (guint i = 0; i < hosts->len; i++)
        {
          RelayHost *host = g_ptr_array_index (hosts, i);
          g_autofree char *created = omni_time_format_iso8601 (host->created_at);
          g_print ("%s\t%s\t%s\t%s\t%s\n", host->id, host->email, host->name,
                   host->admin ? "admin" : "host", host->revoked_at ? "revoked" : created);
        }
      return 0;
    }

  if (strcmp (command, "revoke") == 0)
    {
      const char *who = argc > 2 ? argv[2] : email;

      if (who == NULL)
        {
          g_printerr ("omnilive-relay host revoke: name the host's e-mail or id\n%s", usage);
          return 2;
        }
      store = open_store (config_path, data_dir, &error);
      if (store == NULL || !relay_store_host_revoke (store, who, &error))
        goto failed;
      g_print ("Host %s revoked; its token no longer works.\n", who);
      return 0;
    }

  g_printerr ("omnilive-relay host: unknown command '%s'\n%s", command, usage);
  return 2;

failed:
  g_printerr ("omnilive-relay host %s: %s\n", command, error->message);
  return 1;
}
