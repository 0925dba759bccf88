/* test-relay-engine.c: the engine against the real relay: signing in (and
 * the unreachable / refused states), escalating a ticket, session lists and
 * relay errors turned into GError. No display, no keyring. */
#include "omni-error.h"
#include "omni-json.h"
#include "omni-time.h"

#include "engine-account.h"
#include "engine-escalation.h"
#include "engine-session-list.h"
#include "engine-ticket-store.h"

#include "desktop-test-util.h"
#include "relay-fixture.h"

typedef struct {
  RelayFixture relay;
  char *dir;
  EngineRelayClient *client;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  relay_fixture_start (&f->relay, NULL, NULL);
  f->dir = desktop_test_make_dir ("relay-engine");
  f->client = engine_relay_client_new (f->relay.url, f->relay.token);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->client);
  relay_fixture_stop (&f->relay);
  desktop_test_rm_rf (f->dir);
  g_free (f->dir);
}

static void
on_state (EngineAccount *account,
          GParamSpec    *pspec,
          gboolean      *settled)
{
  EngineAccountState state = engine_account_get_state (account);

  if (state != ENGINE_ACCOUNT_CONNECTING)
    *settled = TRUE;
}

static EngineAccountState
sign_in (EngineAccount *account,
         const char    *url,
         const char    *token)
{
  gboolean settled = FALSE;
  gulong id = g_signal_connect (account, "notify::state", G_CALLBACK (on_state), &settled);

  engine_account_sign_in (account, url, token, FALSE);
  desktop_test_wait_flag (&settled, 20, "the account to settle");
  g_signal_handler_disconnect (account, id);
  return engine_account_get_state (account);
}

static void
test_account_states (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(EngineRelayClient) client = engine_relay_client_new (NULL, NULL);
  g_autoptr(EngineAccount) account = engine_account_new (client, NULL);

  g_assert_cmpint (sign_in (account, f->relay.url, f->relay.token), ==, ENGINE_ACCOUNT_SIGNED_IN);
  g_assert_nonnull (engine_account_get_name (account));
  g_assert_nonnull (engine_account_get_host_id (account));
  g_assert_true (engine_account_get_token_in_memory (account));

  g_assert_cmpint (sign_in (account, f->relay.url, "not-a-valid-token"), ==, ENGINE_ACCOUNT_REFUSED);
  g_assert_nonnull (engine_account_get_error (account));

  /* A port nobody listens on: a dead relay. */
  g_assert_cmpint (sign_in (account, "http://127.0.0.1:9", f->relay.token), ==, ENGINE_ACCOUNT_UNREACHABLE);
  g_assert_nonnull (engine_account_get_error (account));

  engine_account_sign_out (account);
  g_assert_cmpint (engine_account_get_state (account), ==, ENGINE_ACCOUNT_SIGNED_OUT);
}

static void
test_check_input (void)
{
  static const struct { const char *url; const char *token; const char *field; } cases[] = {
    { "https://relay.example.com", "t0k", NULL },
    { "http://127.0.0.1:8080/", "t0k", NULL },
    { "relay.example.com", "t0k", "url" },
    { "ftp://relay.example.com", "t0k", "url" },
    { "https://", "t0k", "url" },
    { "https://relay.example.com", "", "token" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean ok = engine_account_check_input (cases[i].url, cases[i].token, &error);

      g_assert_cmpint (ok, ==, cases[i].field == NULL);
      g_assert_cmpstr (error ? omni_error_get_field (error) : NULL, ==, cases[i].field);
    }
}

static void
test_escalate (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *db = g_build_filename (f->dir, "tickets.db", NULL);
  g_autoptr(EngineTicketStore) store = engine_ticket_store_new (db);
  g_autoptr(EngineTicketChange) change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_CREATE);
  g_autoptr(EngineTicketDetails) before = NULL;
  g_autoptr(EngineTicketDetails) details = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(EngineSession) session = NULL;
  g_autoptr(RelayResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *ticket_id = NULL;
  const OmniSession *s;
  OmniParticipant *p;
  EngineMessage *last;
  gint64 id, before_ms;
  JsonObject *object;

  g_assert_true (engine_ticket_store_open (store, &error));
  change->subject = g_strdup ("Cannot log in");
  change->customer_name = g_strdup ("John Doe");
  change->customer_email = g_strdup ("john@example.com");
  change->body = g_strdup ("The login page loops");
  id = engine_ticket_store_apply (store, change, &error);
  g_assert_no_error (error);
  before = engine_ticket_store_load (store, id, &error);

  before_ms = omni_time_now_ms ();
  engine_escalate_ticket_async (f->client, store, before->ticket, "Ann Agent", NULL,
                                desktop_test_store_result, &result);
  desktop_test_wait_result (&result, 20, "the escalation");
  session = engine_escalate_ticket_finish (result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (session);

  /* The relay has it: a support call for the customer, in 15 min, 30 min long. */
  path = g_strdup_printf ("/api/sessions/%s", engine_session_get_id (session));
  response = relay_fixture_json (&f->relay, "GET", path, f->relay.token, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  object = relay_response_object (response);
  ticket_id = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  g_assert_cmpstr (omni_json_get_string (object, "relatedTicket"), ==, ticket_id);
  g_assert_cmpstr (omni_json_get_string (object, "sessionType"), ==, "support_call");
  g_assert_cmpstr (omni_json_get_string (object, "title"), ==, "Support Call - Cannot log in");

  s = engine_session_get_session (session);
  g_assert_cmpint (s->scheduled_start, >=, before_ms - 1000 + ENGINE_ESCALATION_LEAD_MS);
  g_assert_cmpint (s->scheduled_start, <=, omni_time_now_ms () + ENGINE_ESCALATION_LEAD_MS);
  g_assert_cmpint (s->scheduled_end - s->scheduled_start, ==, ENGINE_ESCALATION_DURATION_MS);
  g_assert_cmpuint (s->participants->len, ==, 1);
  p = g_ptr_array_index (s->participants, 0);
  g_assert_cmpstr (p->email, ==, "john@example.com");
  g_assert_cmpstr (p->name, ==, "John Doe");
  g_assert_true (p->invited);

  /* The ticket has the session and the link message. */
  details = engine_ticket_store_load (store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (details->session_ids), ==, 1);
  g_assert_cmpstr (details->session_ids[0], ==, engine_session_get_id (session));
  last = g_ptr_array_index (details->messages, details->messages->len - 1);
  g_assert_cmpint (engine_message_get_kind (last), ==, ENGINE_MESSAGE_AGENT);
  g_assert_cmpstr (engine_message_get_author (last), ==, "Ann Agent");
  g_assert_nonnull (strstr (engine_message_get_body (last), engine_session_get_join_url (session)));
  g_assert_nonnull (strstr (engine_message_get_body (last), s->access_link));
}

static void
on_list_updated (EngineSessionList *list,
                 gboolean          *updated)
{
  *updated = TRUE;
}

static void
test_session_lists (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(EngineSessionList) upcoming = engine_session_list_new (f->client, "/api/sessions?upcoming=true");
  g_autoptr(EngineSessionList) by_id = engine_session_list_new (f->client, NULL);
  g_autoptr(RelayResponse) soon = NULL;
  g_autoptr(RelayResponse) later = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *start1 = relay_fixture_time_from_now (3600);
  g_autofree char *end1 = relay_fixture_time_from_now (7200);
  g_autofree char *start2 = relay_fixture_time_from_now (2 * 86400);
  g_autofree char *end2 = relay_fixture_time_from_now (2 * 86400 + 1800);
  g_autofree char *body1 = NULL;
  g_autofree char *body2 = NULL;
  g_autofree char *start_path = NULL;
  const char *ids[3] = { NULL, NULL, NULL };
  gboolean updated = FALSE;
  GListModel *model;

  body1 = g_strdup_printf ("{\"title\":\"Soon\",\"scheduledStartTime\":\"%s\",\"scheduledEndTime\":\"%s\","
                           "\"participants\":[{\"email\":\"a@example.com\",\"name\":\"A\"}]}", start1, end1);
  body2 = g_strdup_printf ("{\"title\":\"Later\",\"scheduledStartTime\":\"%s\",\"scheduledEndTime\":\"%s\"}",
                           start2, end2);
  later = relay_fixture_json (&f->relay, "POST", "/api/sessions", f->relay.token, body2);
  soon = relay_fixture_json (&f->relay, "POST", "/api/sessions", f->relay.token, body1);
  g_assert_cmpuint (later->status, ==, 201);
  g_assert_cmpuint (soon->status, ==, 201);

  g_signal_connect (upcoming, "updated", G_CALLBACK (on_list_updated), &updated);
  engine_session_list_refresh (upcoming);
  desktop_test_wait_flag (&updated, 20, "the upcoming list");
  g_assert_null (engine_session_list_get_error (upcoming));
  model = engine_session_list_get_model (upcoming);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  {
    g_autoptr(EngineSession) first = g_list_model_get_item (model, 0);
    g_assert_cmpstr (engine_session_get_title (first), ==, "Soon");
    g_assert_false (engine_session_can_start (first, omni_time_now_ms ()));
    g_assert_true (engine_session_can_start (first, engine_session_get_session (first)->scheduled_start - 60000));
    g_assert_nonnull (engine_session_list_find (upcoming, engine_session_get_id (first)));
  }

  /* A ticket's sessions, fetched one by one in the order given. */
  ids[0] = relay_response_string (later, "_id");
  ids[1] = relay_response_string (soon, "_id");
  updated = FALSE;
  g_signal_connect (by_id, "updated", G_CALLBACK (on_list_updated), &updated);
  engine_session_list_set_ids (by_id, ids);
  engine_session_list_refresh (by_id);
  desktop_test_wait_flag (&updated, 20, "the sessions by id");
  model = engine_session_list_get_model (by_id);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  {
    g_autoptr(EngineSession) first = g_list_model_get_item (model, 0);
    g_assert_cmpstr (engine_session_get_title (first), ==, "Later");
  }

  /* Starting an hour early: the relay's too_early becomes OMNI_ERROR_TOO_EARLY. */
  start_path = g_strdup_printf ("/api/sessions/%s/start", ids[1]);
  engine_relay_client_request_async (f->client, "POST", start_path, NULL, NULL,
                                     desktop_test_store_result, &result);
  desktop_test_wait_result (&result, 20, "the start request");
  node = engine_relay_client_request_finish (f->client, result, &error);
  g_assert_null (node);
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_TOO_EARLY);
  g_assert_false (engine_relay_error_is_network (error));
}

static void
test_validation_error (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *start = relay_fixture_time_from_now (3600);
  g_autofree char *body = g_strdup_printf ("{\"title\":\"Bad\",\"scheduledStartTime\":\"%s\","
                                           "\"participants\":[{\"email\":\"nope\"}]}", start);

  g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
  engine_relay_client_request_async (f->client, "POST", "/api/sessions", json_parser_get_root (parser), NULL,
                                     desktop_test_store_result, &result);
  desktop_test_wait_result (&result, 20, "the create request");
  node = engine_relay_client_request_finish (f->client, result, &error);
  g_assert_null (node);
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_INVALID_FIELD);
  g_assert_cmpstr (omni_error_get_field (error), ==, "participants[0].email");
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LANGUAGE", "C", TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/desktop/relay-engine/account-states", test_account_states);
  g_test_add_func ("/desktop/relay-engine/check-input", test_check_input);
  ADD ("/desktop/relay-engine/escalate", test_escalate);
  ADD ("/desktop/relay-engine/session-lists", test_session_lists);
  ADD ("/desktop/relay-engine/validation-error", test_validation_error);
#undef ADD

  return g_test_run ();
}
