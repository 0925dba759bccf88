/* main.c: omnilive-relay — parses options and wires the parts together. */
#define G_LOG_DOMAIN "omnilive-relay"

#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "relay-app.h"
#include "relay-cli.h"
#include "relay-mail.h"
#include "relay-turn.h"

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
  g_autoptr(RelayMail) mail = NULL;   /* after app: stopped before the store closes */
  g_autoptr(RelayTurnServer) turn = NULL;  /* its data threads stop first */
  g_autofree char *config_dir = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  const char *groups[] = { "http", "relay", "smtp", "mail", "turn", NULL };
  const char * const *group_keys[] = { http_keys, relay_keys, relay_mail_smtp_keys, relay_mail_mail_keys,
                                       relay_turn_config_keys (), NULL };

  /* With TZ unset, glibc stats /etc/localtime again for every log line's
   * timestamp; naming it reads it once. Before any thread: setenv is not
   * thread-safe. */
  if (g_getenv ("TZ") == NULL)
    g_setenv ("TZ", ":/etc/localtime", FALSE);
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

  /* Mail needs the public URL (join links), known once the server listens. */
  config_dir = g_path_get_dirname (config->path != NULL ? config->path : RELAY_SYSTEM_CONFIG_PATH);
  mail = relay_mail_new (&(RelayMailSetup) {
                           .keyfile = config->keyfile,
                           .config_dir = config_dir,
                           .data_dir = config->data_dir,
                           .db_path = sqlite3_db_filename (relay_store_get_db (app->store), "main"),
                           .public_url = app->public_url,
                         }, &error);
  if (mail == NULL || !relay_mail_start (mail, &error))
    goto failed;
  app->mail = mail;

  /* TURN/STUN on its own threads; the secret is created in the data dir on first start. */
  turn = relay_turn_server_new (config->keyfile, config->data_dir,
                                relay_config_listen_is_loopback (config), &error);
  if (turn == NULL)
    goto failed;
  if (!relay_turn_server_start (turn, &error))
    {
      /* With no [turn] listen configured, another relay on this machine may hold the
       * default port: run without TURN then rather than not at all.  An explicitly
       * configured listen address must work. */
      if (g_key_file_has_key (config->keyfile, "turn", "listen", NULL))
        goto failed;
      g_warning ("TURN disabled: %s", error->message);
      g_clear_error (&error);
      g_clear_object (&turn);
    }
  relay_app_set_turn (app, turn);

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
