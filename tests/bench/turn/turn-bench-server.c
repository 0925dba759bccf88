/* turn-bench-server.c: the relay's TURN server alone in a process, so the benchmark can
 * measure its CPU time from /proc/PID/stat exactly as it does coturn's.
 * Usage: turn-bench-server CONFIG.ini DATA_DIR — prints "port N" when ready, stops on
 * SIGTERM/SIGINT. */
#define G_LOG_DOMAIN "turn-bench-server"

#include <stdio.h>
#include <glib-unix.h>

#include "relay-turn.h"

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayTurnServer) server = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  if (argc != 3)
    {
      g_printerr ("usage: %s CONFIG.ini DATA_DIR\n", argv[0]);
      return 2;
    }
  if (!g_key_file_load_from_file (kf, argv[1], G_KEY_FILE_NONE, &error) ||
      (server = relay_turn_server_new (kf, argv[2], TRUE, &error)) == NULL ||
      !relay_turn_server_start (server, &error))
    {
      g_printerr ("%s: %s\n", argv[0], error->message);
      return 1;
    }
  printf ("port %u\n", relay_turn_server_get_port (server));
  fflush (stdout);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_main_loop_run (loop);
  relay_turn_server_stop (server);
  return 0;
}
