/* test-turn-interop.c: coturn's turnutils_uclient allocates, binds channels (or uses Send
 * indications, or TCP) and relays through our server to turnutils_peer; every packet must
 * come back.  The server runs in process on a kernel-chosen port. */
#define G_LOG_DOMAIN "test-turn-interop"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <gio/gio.h>

#include "turn-test-client.h"

#define SECRET "interop-secret-42"
#define RUN_TIMEOUT_S 25

typedef struct {
  TurnTestServer  *turn;
  GSubprocess     *peer;
  guint16          peer_port;
} Fixture;

/* Children die with the test, even when an assertion aborts it before teardown. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocess *
spawn (GSubprocessFlags flags, const char * const *argv, GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  return g_subprocess_launcher_spawnv (launcher, argv, error);
}

/* A port that was free a moment ago: turnutils_peer takes only a fixed port. */
static guint16
pick_udp_port (void)
{
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sin;
  int fd = socket (AF_INET, SOCK_DGRAM, 0);

  g_assert_cmpint (bind (fd, (struct sockaddr *) &sin, sizeof sin), ==, 0);
  getsockname (fd, (struct sockaddr *) &sin, &len);
  close (fd);
  return ntohs (sin.sin_port);
}

static gboolean
udp_port_in_use (guint16 port)
{
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons (port),
                             .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  gboolean in_use = bind (fd, (struct sockaddr *) &sin, sizeof sin) != 0 && errno == EADDRINUSE;

  close (fd);
  return in_use;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *port = NULL;
  gint64 deadline;

  f->turn = turn_test_server_start (SECRET, NULL);

  /* the peer may lose the race for its port; try a few */
  for (guint attempt = 0; attempt < 5 && f->peer == NULL; attempt++)
    {
      f->peer_port = pick_udp_port ();
      g_free (port);
      port = g_strdup_printf ("%u", f->peer_port);
      {
        const char * const argv[] = { "turnutils_peer", "-L", "127.0.0.1", "-p", port, NULL };

        f->peer = spawn (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                         argv, &error);
      }
      g_assert_no_error (error);
      deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
      while (!udp_port_in_use (f->peer_port) && g_get_monotonic_time () < deadline)
        g_usleep (5000);
      if (!udp_port_in_use (f->peer_port))
        {
          g_subprocess_force_exit (f->peer);
          g_subprocess_wait (f->peer, NULL, NULL);
          g_clear_object (&f->peer);
        }
    }
  g_assert_nonnull (f->peer);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->peer != NULL)
    {
      g_subprocess_force_exit (f->peer);
      g_subprocess_wait (f->peer, NULL, NULL);
      g_clear_object (&f->peer);
    }
  turn_test_server_free (f->turn);
}

typedef struct {
  GMainLoop *loop;
  char      *out;
  gboolean   timed_out;
} Run;

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Run *run = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &run->out, NULL, NULL);
  g_main_loop_quit (run->loop);
}

static gboolean
on_timeout (gpointer user_data)
{
  Run *run = user_data;

  run->timed_out = TRUE;
  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

/* Runs uclient with the given extra flags and checks that it relayed everything. */
static void
run_uclient (Fixture *f, const char * const *flags)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocess) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) timeout = g_timeout_source_new_seconds (RUN_TIMEOUT_S);
  Run run = { NULL, NULL, FALSE };
  const char *total;
  guint64 sent, received;

  g_main_context_push_thread_default (context);
  run.loop = g_main_loop_new (context, FALSE);
  g_ptr_array_add (argv, g_strdup ("turnutils_uclient"));
  for (guint i = 0; flags[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (flags[i]));
  g_ptr_array_add (argv, g_strdup ("-W"));
  g_ptr_array_add (argv, g_strdup (SECRET));
  g_ptr_array_add (argv, g_strdup ("-u"));
  g_ptr_array_add (argv, g_strdup ("interop"));
  g_ptr_array_add (argv, g_strdup ("-e"));
  g_ptr_array_add (argv, g_strdup ("127.0.0.1"));
  g_ptr_array_add (argv, g_strdup ("-r"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", f->peer_port));
  g_ptr_array_add (argv, g_strdup ("-p"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", f->turn->port));
  g_ptr_array_add (argv, g_strdup ("127.0.0.1"));
  g_ptr_array_add (argv, NULL);

  client = spawn (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                  (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (client, NULL, NULL, on_communicated, &run);
  g_source_set_callback (timeout, on_timeout, &run, NULL);
  g_source_attach (timeout, context);
  g_main_loop_run (run.loop);
  if (run.timed_out)
    {
      g_subprocess_force_exit (client);
      g_main_loop_run (run.loop);  /* collect what it printed */
    }
  g_source_destroy (timeout);
  g_main_loop_unref (run.loop);
  g_main_context_pop_thread_default (context);

  g_test_message ("uclient output:\n%s", run.out != NULL ? run.out : "(none)");
  g_assert_false (run.timed_out);
  g_assert_nonnull (run.out);
  /* uclient exits 0 even with 100% loss: the totals are what count */
  g_assert_nonnull (strstr (run.out, "Total lost packets 0 ("));
  total = g_strrstr (run.out, "tot_send_msgs=");
  g_assert_nonnull (total);
  sent = g_ascii_strtoull (total + strlen ("tot_send_msgs="), NULL, 10);
  total = g_strrstr (run.out, "tot_recv_msgs=");
  g_assert_nonnull (total);
  received = g_ascii_strtoull (total + strlen ("tot_recv_msgs="), NULL, 10);
  g_assert_cmpuint (sent, >, 0);
  g_assert_cmpuint (received, ==, sent);
  g_free (run.out);
}

static void
test_udp_channels (Fixture *f, gconstpointer data)
{
  const char * const flags[] = { "-n", "60", "-m", "4", "-l", "170", "-z", "5", "-X", "-c", NULL };

  run_uclient (f, flags);
}

static void
test_udp_send_indications (Fixture *f, gconstpointer data)
{
  const char * const flags[] = { "-s", "-n", "60", "-m", "4", "-l", "170", "-z", "5", "-X", "-c", NULL };

  run_uclient (f, flags);
}

static void
test_tcp_channels (Fixture *f, gconstpointer data)
{
  const char * const flags[] = { "-t", "-n", "60", "-m", "4", "-l", "170", "-z", "5", "-X", "-c", NULL };

  run_uclient (f, flags);
}

static void
test_tcp_send_indications (Fixture *f, gconstpointer data)
{
  const char * const flags[] = { "-t", "-s", "-n", "60", "-m", "2", "-l", "120", "-z", "5", "-X", "-c", NULL };

  run_uclient (f, flags);
}

int
main (int argc, char **argv)
{
  g_autofree char *uclient = g_find_program_in_path ("turnutils_uclient");
  g_autofree char *peer = g_find_program_in_path ("turnutils_peer");

  g_test_init (&argc, &argv, NULL);
  if (uclient == NULL || peer == NULL)
    {
      g_printerr ("SKIP: coturn's turnutils_uclient/turnutils_peer are not installed\n");
      return 77;  /* meson's "skipped" */
    }

  g_test_add ("/relay/turn/interop/uclient-udp-channels", Fixture, NULL, fixture_setup, test_udp_channels, fixture_teardown);
  g_test_add ("/relay/turn/interop/uclient-udp-send", Fixture, NULL, fixture_setup, test_udp_send_indications, fixture_teardown);
  g_test_add ("/relay/turn/interop/uclient-tcp-channels", Fixture, NULL, fixture_setup, test_tcp_channels, fixture_teardown);
  g_test_add ("/relay/turn/interop/uclient-tcp-send", Fixture, NULL, fixture_setup, test_tcp_send_indications, fixture_teardown);

  return g_test_run ();
}
