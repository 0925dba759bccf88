/* test-turn-libnice.c: libnice — the ICE agent inside webrtcbin — connects two agents
 * through our TURN server with force-relay, over UDP and TCP to the server, and passes
 * data both ways over the relayed pair. */
#define G_LOG_DOMAIN "test-turn-libnice"

#include <string.h>
#include <nice/agent.h>

#include "turn-test-client.h"
#include "relay-turn-auth.h"
#include "relay-turn-private.h"

#define SECRET "libnice-secret"

typedef struct {
  NiceAgent *agent;
  guint      stream;
  gboolean   gathered;
  gboolean   ready;
  GString   *received;
} Side;

static void
on_gathering_done (NiceAgent *agent, guint stream, gpointer user_data)
{
  ((Side *) user_data)->gathered = TRUE;
}

static void
on_state_changed (NiceAgent *agent, guint stream, guint component, guint state, gpointer user_data)
{
  if (state == NICE_COMPONENT_STATE_READY)
    ((Side *) user_data)->ready = TRUE;
}

static void
on_receive (NiceAgent *agent, guint stream, guint component, guint len, gchar *buf, gpointer user_data)
{
  g_string_append_len (((Side *) user_data)->received, buf, len);
}

static void
on_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

static gboolean
on_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the context until *flag_a && *flag_b, or 15 s. */
static gboolean
wait_both (GMainContext *context, const gboolean *flag_a, const gboolean *flag_b)
{
  gboolean timed_out = FALSE;
  GSource *timeout = g_timeout_source_new_seconds (15);

  g_source_set_callback (timeout, on_timeout, &timed_out, NULL);
  g_source_attach (timeout, context);
  while (!(*flag_a && *flag_b) && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);
  return !timed_out;
}

static void
side_init (Side *side, GMainContext *context, gboolean controlling, guint16 port,
           const char *username, const char *password, NiceRelayType type)
{
  NiceAddress local;

  side->agent = nice_agent_new_full (context, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_NONE);
  g_object_set (side->agent, "force-relay", TRUE, "upnp", FALSE, "controlling-mode", controlling, NULL);
  /* libnice skips loopback when it gathers; the test network is loopback only */
  nice_address_init (&local);
  g_assert_true (nice_address_set_from_string (&local, "127.0.0.1"));
  g_assert_true (nice_agent_add_local_address (side->agent, &local));
  side->stream = nice_agent_add_stream (side->agent, 1);
  g_assert_true (nice_agent_set_relay_info (side->agent, side->stream, 1, "127.0.0.1", port,
                                            username, password, type));
  side->received = g_string_new (NULL);
  g_signal_connect (side->agent, "candidate-gathering-done", G_CALLBACK (on_gathering_done), side);
  g_signal_connect (side->agent, "component-state-changed", G_CALLBACK (on_state_changed), side);
  g_assert_true (nice_agent_attach_recv (side->agent, side->stream, 1, context, on_receive, side));
  g_assert_true (nice_agent_gather_candidates (side->agent, side->stream));
}

static void
side_tell (Side *from, Side *to)
{
  g_autofree char *ufrag = NULL;
  g_autofree char *pwd = NULL;
  GSList *candidates;

  g_assert_true (nice_agent_get_local_credentials (from->agent, from->stream, &ufrag, &pwd));
  g_assert_true (nice_agent_set_remote_credentials (to->agent, to->stream, ufrag, pwd));
  candidates = nice_agent_get_local_candidates (from->agent, from->stream, 1);
  g_assert_nonnull (candidates);
  for (GSList *l = candidates; l != NULL; l = l->next)
    g_assert_cmpint (((NiceCandidate *) l->data)->type, ==, NICE_CANDIDATE_TYPE_RELAYED);
  g_assert_cmpint (nice_agent_set_remote_candidates (to->agent, to->stream, 1, candidates), >, 0);
  g_slist_free_full (candidates, (GDestroyNotify) nice_candidate_free);
}

static void
test_relay (gconstpointer data)
{
  NiceRelayType type = GPOINTER_TO_INT (data);
  TurnTestServer *turn = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autofree char *username = g_strdup_printf ("%" G_GINT64_FORMAT ":nice",
                                               g_get_real_time () / G_USEC_PER_SEC + 600);
  g_autofree char *password = relay_turn_auth_password (SECRET, username);
  Side a = { 0 }, b = { 0 };
  NiceCandidate *local = NULL, *remote = NULL;

  /* GTask callbacks (nice_agent_close_async) go to the thread-default context */
  g_main_context_push_thread_default (context);
  turn = turn_test_server_start (SECRET, NULL);

  side_init (&a, context, TRUE, turn->port, username, password, type);
  side_init (&b, context, FALSE, turn->port, username, password, type);
  g_assert_true (wait_both (context, &a.gathered, &b.gathered));
  side_tell (&a, &b);
  side_tell (&b, &a);
  g_assert_true (wait_both (context, &a.ready, &b.ready));

  g_assert_true (nice_agent_get_selected_pair (a.agent, a.stream, 1, &local, &remote));
  g_assert_cmpint (local->type, ==, NICE_CANDIDATE_TYPE_RELAYED);
  g_assert_cmpint (remote->type, ==, NICE_CANDIDATE_TYPE_RELAYED);

  g_assert_cmpint (nice_agent_send (a.agent, a.stream, 1, 5, "ping!"), ==, 5);
  g_assert_cmpint (nice_agent_send (b.agent, b.stream, 1, 5, "pong!"), ==, 5);
  {
    gboolean got_a = FALSE, got_b = FALSE;
    gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

    while (!(got_a && got_b) && g_get_monotonic_time () < deadline)
      {
        g_main_context_iteration (context, FALSE);
        got_a = a.received->len >= 5;
        got_b = b.received->len >= 5;
        if (!(got_a && got_b))
          g_usleep (1000);
      }
  }
  g_assert_cmpstr (b.received->str, ==, "ping!");
  g_assert_cmpstr (a.received->str, ==, "pong!");
  g_assert_cmpuint (relay_turn_server_get_allocation_count (turn->server), ==, 2);

  /* closing lets each agent release its allocation (Refresh with lifetime 0) */
  {
    gboolean closed_a = FALSE, closed_b = FALSE;

    nice_agent_close_async (a.agent, on_closed, &closed_a);
    nice_agent_close_async (b.agent, on_closed, &closed_b);
    g_assert_true (wait_both (context, &closed_a, &closed_b));
  }
  {
    gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

    while (relay_turn_server_get_allocation_count (turn->server) > 0 && g_get_monotonic_time () < deadline)
      g_usleep (2000);
    g_assert_cmpuint (relay_turn_server_get_allocation_count (turn->server), ==, 0);
  }
  g_object_unref (a.agent);
  g_object_unref (b.agent);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_string_free (a.received, TRUE);
  g_string_free (b.received, TRUE);
  g_main_context_pop_thread_default (context);
  turn_test_server_free (turn);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/relay/turn/libnice/relay-udp", GINT_TO_POINTER (NICE_RELAY_TYPE_TURN_UDP), test_relay);
  g_test_add_data_func ("/relay/turn/libnice/relay-tcp", GINT_TO_POINTER (NICE_RELAY_TYPE_TURN_TCP), test_relay);

  return g_test_run ();
}
