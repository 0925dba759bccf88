/* main.c: omnilive-relay — parses options and wires the parts together. */
#define G_LOG_DOMAIN "omnilive-relay"

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "relay-app.h"
#include "relay-cli.h"

static const char * const http_keys[] = { "listen", "public_url", "tls_cert", "tls_key", NULL };
static const char * const relay_keys[] = { "data_dir", NULL };

static gboolean
on_quit_signal (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_message ("Shutting down");
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *config_path = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *data_dir = NULL;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Config file (default " RELAY_SYSTEM_CONFIG_PATH ")", "FILE" },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "HTTP listen address (default " RELAY_DEFAULT_LISTEN ")", "ADDR:PORT" },
    { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, "Data directory (default $XDG_DATA_HOME/omnilive-relay)", "DIR" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayConfig) config = NULL;
  g_autoptr(RelayApp) app = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  const char *groups[] = { "http", "relay", NULL };
  const char * const *group_keys[] = { http_keys, relay_keys, NULL };

  setlocale (LC_ALL, "");
  signal (SIGPIPE, SIG_IGN);

  if (argc > 1 && strcmp (argv[1], "host") == 0)
    return relay_cli_host_main (argc - 1, argv + 1);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                "OmniLive relay: sessions API, join links, signaling, TURN and mail.\n"
                                "Host accounts: omnilive-relay host add|list|revoke (see 'host --help').");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("omnilive-relay: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("omnilive-relay %s\n", PACKAGE_VERSION);
      return 0;
    }

  config = relay_config_load (config_path, &error);
  if (config == NULL)
    goto failed;
  if (listen != NULL && !relay_config_set_listen (config, listen, &error))
    goto failed;
  if (data_dir != NULL)
    {
      g_free (config->data_dir);
      config->data_dir = g_steal_pointer (&data_dir);
    }
  if (config->path != NULL)
    relay_config_report_unknown_keys (config, groups, (const char * const * const *) group_keys);

  app = relay_app_new (config, &error);
  if (app == NULL || !relay_app_listen (app, &error))
    goto failed;

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_quit_signal, loop);
  g_unix_signal_add (SIGINT, on_quit_signal, loop);

  g_message ("Data in %s, join links under %s", config->data_dir, app->public_url);
  /* Scripts and tests wait for this line; the port is real even with :0. */
  g_print ("omnilive-relay: listening on %s\n", app->listen_url);
  fflush (stdout);

  g_main_loop_run (loop);
  return 0;

failed:
  g_printerr ("omnilive-relay: %s\n", error->message);
  return 1;
}
