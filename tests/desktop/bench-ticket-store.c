/* bench-ticket-store.c: filter and search times over 10,000 tickets (target
 * under 30 ms), through the store and through the list model the window
 * uses. `--create PATH` only writes the fixture database (for cold start). */
#include <glib/gstdio.h>

#include "engine-ticket-list.h"
#include "engine-ticket-store.h"

#include "desktop-test-util.h"

#define N_TICKETS 10000
#define RUNS 15
#define TARGET_MS 30.0

static const char *words[] = {
  "printer", "invoice", "refund", "login", "password", "webinar", "recording", "screen",
  "share", "camera", "microphone", "billing", "upgrade", "export", "calendar", "invite",
  "timeout", "browser", "firefox", "chrome", "mobile", "android", "iphone", "network",
};

/* Support vocabulary (the words searched for) mixed with 3,000 made-up
 * words, so a search matches a realistic share of the tickets. */
static const char *syllables[] = { "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "pe", "dor", "lin", "tes", "mar" };

static void
filler_word (GRand   *rand,
             GString *text)
{
  guint n = g_rand_int_range (rand, 0, 3000);

  for (guint k = 0; k < 3; k++, n /= G_N_ELEMENTS (syllables))
    g_string_append (text, syllables[n % G_N_ELEMENTS (syllables)]);
}

static char *
sentence (GRand *rand,
          guint  n)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (text, ' ');
      if (g_rand_int_range (rand, 0, 12) == 0)
        g_string_append (text, words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
      else
        filler_word (rand, text);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Written in batches of 500 tickets, one transaction each. */
static void
fill (EngineTicketStore *store)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) engine_ticket_change_free);

  for (guint i = 0; i < N_TICKETS; i++)
    {
      EngineTicketChange *create = engine_ticket_change_new (ENGINE_TICKET_CHANGE_CREATE);

      create->subject = sentence (rand, 4);
      create->customer_name = g_strdup_printf ("Customer %u", i);
      create->customer_email = g_strdup_printf ("customer%u@example.com", i);
      create->priority = g_rand_int_range (rand, 0, ENGINE_TICKET_N_PRIORITIES);
      create->body = sentence (rand, 30);
      g_ptr_array_add (batch, create);

      for (guint m = 0; m < 2; m++)
        {
          EngineTicketChange *reply = engine_ticket_change_new (ENGINE_TICKET_CHANGE_ADD_MESSAGE);
          reply->message_kind = m == 0 ? ENGINE_MESSAGE_AGENT : ENGINE_MESSAGE_CUSTOMER;
          reply->body = sentence (rand, 25);
          g_ptr_array_add (batch, reply);
        }
      if (i % 3 == 0)
        {
          EngineTicketChange *status = engine_ticket_change_new (ENGINE_TICKET_CHANGE_SET_STATUS);
          status->status = g_rand_int_range (rand, 1, ENGINE_TICKET_N_STATUSES);
          g_ptr_array_add (batch, status);
        }
      if (batch->len >= 1500 || i == N_TICKETS - 1)
        {
          g_assert_cmpint (engine_ticket_store_apply_many (store, batch, &error), >, 0);
          g_assert_no_error (error);
          g_ptr_array_set_size (batch, 0);
        }
    }
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void
report (const char *name,
        double     *ms,
        guint       results)
{
  qsort (ms, RUNS, sizeof (double), compare_double);
  g_print ("  %-44s median %6.2f ms   max %6.2f ms   (%5u tickets)   target < %.0f ms: %s\n", name,
           ms[RUNS / 2], ms[RUNS - 1], results, TARGET_MS, ms[RUNS / 2] < TARGET_MS ? "met" : "NOT met");
}

static void
bench_query (EngineTicketStore *store,
             const char        *name,
             int                status,
             int                priority,
             const char        *search,
             EngineTicketSort   sort)
{
  EngineTicketQuery query = { status, priority, search, sort };
  double ms[RUNS];
  guint results = 0;

  for (guint r = 0; r < RUNS; r++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr(GPtrArray) tickets = engine_ticket_store_query (store, &query, NULL);
      ms[r] = (g_get_monotonic_time () - start) / 1000.0;
      results = tickets->len;
    }
  report (name, ms, results);
}

static void
on_updated (EngineTicketList *list,
            gboolean         *flag)
{
  *flag = TRUE;
}

/* What the agent feels: typing → the list model holds the result. */
static void
bench_list (EngineTicketStore *store)
{
  g_autoptr(EngineTicketList) list = engine_ticket_list_new (store);
  static const char *searches[] = { "printer", "inv", "refund login", "cam mic", "browser fire" };
  double ms[RUNS];
  gboolean updated = FALSE;

  g_signal_connect (list, "updated", G_CALLBACK (on_updated), &updated);
  engine_ticket_list_refresh (list);
  desktop_test_wait_flag (&updated, 60, "the first list");

  for (guint r = 0; r < RUNS; r++)
    {
      gint64 start = g_get_monotonic_time ();
      updated = FALSE;
      engine_ticket_list_set_search (list, searches[r % G_N_ELEMENTS (searches)]);
      desktop_test_wait_flag (&updated, 60, "a search");
      ms[r] = (g_get_monotonic_time () - start) / 1000.0;
    }
  report ("list model: type a search, model updated", ms,
          g_list_model_get_n_items (engine_ticket_list_get_model (list)));

  for (guint r = 0; r < RUNS; r++)
    {
      gint64 start = g_get_monotonic_time ();
      updated = FALSE;
      engine_ticket_list_set_search (list, NULL);
      engine_ticket_list_set_status (list, r % 2 ? ENGINE_TICKET_STATUS_OPEN : -1);
      desktop_test_wait_flag (&updated, 60, "a filter");
      ms[r] = (g_get_monotonic_time () - start) / 1000.0;
    }
  report ("list model: status filter, model updated", ms,
          g_list_model_get_n_items (engine_ticket_list_get_model (list)));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(EngineTicketStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  gint64 start;

  if (argc == 3 && g_str_equal (argv[1], "--create"))
    {
      store = engine_ticket_store_new (argv[2]);
      g_assert_true (engine_ticket_store_open (store, &error));
      fill (store);
      return 0;
    }

  dir = desktop_test_make_dir ("bench");
  path = g_build_filename (dir, "tickets.db", NULL);
  store = engine_ticket_store_new (path);
  g_assert_true (engine_ticket_store_open (store, &error));
  start = g_get_monotonic_time ();
  fill (store);
  g_print ("ticket store: %d tickets, 3 messages each, written in %.1f s\n", N_TICKETS,
           (g_get_monotonic_time () - start) / 1e6);

  bench_query (store, "all, recent first", -1, -1, NULL, ENGINE_TICKET_SORT_UPDATED);
  bench_query (store, "all, by priority", -1, -1, NULL, ENGINE_TICKET_SORT_PRIORITY);
  bench_query (store, "status = open", ENGINE_TICKET_STATUS_OPEN, -1, NULL, ENGINE_TICKET_SORT_UPDATED);
  bench_query (store, "priority = urgent", -1, ENGINE_TICKET_PRIORITY_URGENT, NULL, ENGINE_TICKET_SORT_UPDATED);
  bench_query (store, "open + urgent", ENGINE_TICKET_STATUS_OPEN, ENGINE_TICKET_PRIORITY_URGENT, NULL,
               ENGINE_TICKET_SORT_PRIORITY);
  bench_query (store, "search \"printer\"", -1, -1, "printer", ENGINE_TICKET_SORT_UPDATED);
  bench_query (store, "search prefix \"inv\"", -1, -1, "inv", ENGINE_TICKET_SORT_UPDATED);
  bench_query (store, "search \"refund login\"", -1, -1, "refund login", ENGINE_TICKET_SORT_UPDATED);
  bench_query (store, "search \"camera\" + status pending", ENGINE_TICKET_STATUS_PENDING, -1, "camera",
               ENGINE_TICKET_SORT_PRIORITY);
  bench_query (store, "search with no match", -1, -1, "zzzzzz", ENGINE_TICKET_SORT_UPDATED);
  bench_list (store);

  g_clear_object (&store);
  desktop_test_rm_rf (dir);
  return 0;
}
