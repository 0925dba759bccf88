/* test-ui-smoke.c: the whole app in-process under xvfb with a real relay and
 * a fixture database: it starts signed in (--relay-url/--token-file), lists
 * the tickets, escalates one (the relay has the session, the ticket the link),
 * schedules a session through the dialog's actions, and saves a screenshot
 * of each page into the build directory. GTK warnings are fatal. */
#include <adwaita.h>

#include "omni-json.h"

#include "engine-ticket-store.h"
#include "ui-application.h"
#include "ui-new-ticket-dialog.h"
#include "ui-schedule-dialog.h"
#include "ui-sessions-page.h"
#include "ui-ticket-view.h"
#include "ui-tickets-page.h"
#include "ui-window.h"

#include "desktop-test-util.h"
#include "relay-fixture.h"

static RelayFixture relay;
static char *escalated_id;
static gint64 escalated_ticket;
static char *scratch;
static char *shots_dir;
static UiApplication *app;

typedef gboolean (*Predicate) (gpointer data);

static gboolean
on_wake (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates until pred holds; a 50 ms tick re-checks state that changes
 * without a main-loop event of its own. */
static void
wait_until (Predicate   pred,
            gpointer    data,
            guint       timeout_s,
            const char *what)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  guint tick = g_timeout_add (50, on_wake, NULL);

  while (!pred (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s", what);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
}

static void
on_after_paint (GdkFrameClock *clock,
                guint         *count)
{
  (*count)++;
}

static gboolean
painted_enough (gpointer data)
{
  return *(guint *) data >= 3;
}

static gboolean
is_phone_width (gpointer widget)
{
  /* 360 px of default size, less the client-side decoration's margins. */
  return gtk_widget_get_width (widget) <= 360;
}

/* Lets layout and a few frames happen so the screenshot shows the state. */
static void
wait_frames (GtkWidget *widget)
{
  GdkFrameClock *clock;
  guint count = 0;
  gulong id;

  wait_until ((Predicate) gtk_widget_get_mapped, widget, 20, "the window to map");
  clock = gtk_widget_get_frame_clock (widget);
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &count);
  for (guint i = 0; i < 3; i++)
    {
      gtk_widget_queue_draw (widget);
      gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
      wait_until (painted_enough, &count, 20, "frames to be drawn");
      count = i < 2 ? 0 : count;
    }
  g_signal_handler_disconnect (clock, id);
}

static void
screenshot (GtkWidget  *window,
            const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (window);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = g_build_filename (shots_dir, name, NULL);
  int width, height;

  wait_frames (window);
  width = gtk_widget_get_width (window);
  height = gtk_widget_get_height (window);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot %s (%dx%d)", path, width, height);
}

static gboolean
store_ready (gpointer data)
{
  return ui_application_get_store_ready (app) &&
         g_list_model_get_n_items (engine_ticket_list_get_model (ui_application_get_tickets (app))) == 5;
}

static gboolean
signed_in (gpointer data)
{
  return engine_account_get_state (ui_application_get_account (app)) == ENGINE_ACCOUNT_SIGNED_IN;
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static void
on_flag (gpointer  instance,
         gboolean *flag)
{
  *flag = TRUE;
}

static void
on_escalated (UiTicketView  *view,
              GObject       *session,
              EngineSession **out)
{
  *out = ENGINE_SESSION (g_object_ref (session));
}

static gboolean
nonnull (gpointer data)
{
  return *(gpointer *) data != NULL;
}

static gboolean
model_has_items (gpointer data)
{
  return g_list_model_get_n_items (data) > 0;
}

typedef struct {
  GListModel *thread;
  const char *text;
} ThreadEnd;

/* The escalation links the session and then adds the message: the view
 * reloads after each, so the session can show before the message does. */
static gboolean
thread_ends_with (gpointer data)
{
  ThreadEnd *end = data;
  guint n = g_list_model_get_n_items (end->thread);
  g_autoptr(EngineMessage) last = n > 0 ? g_list_model_get_item (end->thread, n - 1) : NULL;

  return last != NULL && strstr (engine_message_get_body (last), end->text) != NULL;
}

static void
write_fixture_database (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "omnilive", "tickets.db", NULL);
  g_autoptr(EngineTicketStore) store = engine_ticket_store_new (path);
  g_autoptr(GError) error = NULL;
  static const struct {
    const char *subject, *name, *email, *body, *reply;
    EngineTicketPriority priority;
    EngineTicketStatus status;
  } tickets[] = {
    { "Cannot share my screen in the browser", "John Doe", "john@example.com",
      "When I click share screen nothing happens in Firefox.", "Which Firefox version do you use?",
      ENGINE_TICKET_PRIORITY_HIGH, ENGINE_TICKET_STATUS_OPEN },
    { "Invoice shows the wrong VAT number", "Maria García", "maria@example.es",
      "Our VAT number changed in January.", NULL, ENGINE_TICKET_PRIORITY_NORMAL, ENGINE_TICKET_STATUS_PENDING },
    { "Webinar recording missing", "Lukas Müller", "lukas@example.de",
      "The recording of yesterday's webinar is not in the list.", "We are looking into it.",
      ENGINE_TICKET_PRIORITY_URGENT, ENGINE_TICKET_STATUS_OPEN },
    { "How do I add a co-host?", "Aiko Tanaka", "aiko@example.jp",
      "Is it possible to have two hosts?", "Yes, from the session settings.",
      ENGINE_TICKET_PRIORITY_LOW, ENGINE_TICKET_STATUS_RESOLVED },
    { "Password reset link expired", "Sam Taylor", "sam@example.com",
      "The link says it expired.", NULL, ENGINE_TICKET_PRIORITY_NORMAL, ENGINE_TICKET_STATUS_CLOSED },
  };

  g_assert_true (engine_ticket_store_open (store, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (tickets); i++)
    {
      g_autoptr(EngineTicketChange) create = engine_ticket_change_new (ENGINE_TICKET_CHANGE_CREATE);
      gint64 id;

      create->subject = g_strdup (tickets[i].subject);
      create->customer_name = g_strdup (tickets[i].name);
      create->customer_email = g_strdup (tickets[i].email);
      create->priority = tickets[i].priority;
      create->body = g_strdup (tickets[i].body);
      id = engine_ticket_store_apply (store, create, &error);
      g_assert_no_error (error);
      if (tickets[i].reply != NULL)
        {
          g_autoptr(EngineTicketChange) reply = engine_ticket_change_new (ENGINE_TICKET_CHANGE_ADD_MESSAGE);
          reply->ticket_id = id;
          reply->message_kind = ENGINE_MESSAGE_AGENT;
          reply->author = g_strdup ("Ann Agent");
          reply->body = g_strdup (tickets[i].reply);
          engine_ticket_store_apply (store, reply, &error);
          g_assert_no_error (error);
        }
      if (tickets[i].status != ENGINE_TICKET_STATUS_OPEN)
        {
          g_autoptr(EngineTicketChange) status = engine_ticket_change_new (ENGINE_TICKET_CHANGE_SET_STATUS);
          status->ticket_id = id;
          status->status = tickets[i].status;
          status->author = g_strdup ("Ann Agent");
          engine_ticket_store_apply (store, status, &error);
          g_assert_no_error (error);
        }
    }
}

static UiScheduleDialog *
find_schedule_dialog (void)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (app));

  for (GList *l = windows; l != NULL; l = l->next)
    if (UI_IS_SCHEDULE_DIALOG (l->data))
      return l->data;
  return NULL;
}

static gboolean
dialog_open (gpointer data)
{
  return find_schedule_dialog () != NULL;
}

static gboolean
dialog_gone (gpointer data)
{
  return find_schedule_dialog () == NULL;
}

static gpointer
template_child (gpointer    widget,
                const char *name)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (widget), UI_TYPE_SCHEDULE_DIALOG, name);

  g_assert_nonnull (child);
  return child;
}

static void
check_escalation (UiWindow *window)
{
  UiTicketsPage *tickets_page = UI_TICKETS_PAGE (ui_window_get_page (window, "tickets"));
  UiTicketView *view = ui_tickets_page_get_view (tickets_page);
  GtkListView *list_view = ui_tickets_page_get_list_view (tickets_page);
  GtkSelectionModel *selection = gtk_list_view_get_model (list_view);
  g_autoptr(EngineTicket) ticket = NULL;
  g_autoptr(EngineSession) session = NULL;
  g_autoptr(RelayResponse) response = NULL;
  g_autofree char *path = NULL;
  g_autofree char *ticket_id = NULL;
  gboolean loaded = FALSE;
  gulong id;
  GListModel *thread;

  /* Select the first ticket (the list is sorted by recent activity). */
  id = g_signal_connect (view, "loaded", G_CALLBACK (on_flag), &loaded);
  gtk_selection_model_select_item (selection, 0, TRUE);
  wait_until (flag_set, &loaded, 20, "the ticket view");
  g_signal_handler_disconnect (view, id);
  ticket = g_list_model_get_item (G_LIST_MODEL (selection), 0);
  g_assert_cmpint (ui_ticket_view_get_ticket_id (view), ==, engine_ticket_get_id (ticket));
  screenshot (GTK_WIDGET (window), "tickets.png");

  g_signal_connect (view, "escalated", G_CALLBACK (on_escalated), &session);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "ticket.escalate", NULL));
  wait_until (nonnull, &session, 30, "the escalation");
  escalated_id = g_strdup (engine_session_get_id (session));
  escalated_ticket = engine_ticket_get_id (ticket);

  /* The relay has the session, tied to the ticket. */
  path = g_strdup_printf ("/api/sessions/%s", engine_session_get_id (session));
  response = relay_fixture_json (&relay, "GET", path, relay.token, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  ticket_id = g_strdup_printf ("%" G_GINT64_FORMAT, engine_ticket_get_id (ticket));
  g_assert_cmpstr (relay_response_string (response, "relatedTicket"), ==, ticket_id);
  g_assert_cmpstr (relay_response_string (response, "sessionType"), ==, "support_call");

  /* The thread ends with the link message and the view lists the session. */
  thread = ui_ticket_view_get_thread (view);
  wait_until (model_has_items, ui_ticket_view_get_sessions (view), 20, "the ticket's sessions");
  wait_until (thread_ends_with, &(ThreadEnd) { thread, engine_session_get_join_url (session) }, 20,
              "the link message at the end of the thread");
  screenshot (GTK_WIDGET (window), "ticket-escalated.png");
}

static void
check_schedule (UiWindow *window)
{
  UiScheduleDialog *dialog;
  g_autoptr(RelayResponse) response = NULL;
  GtkTextBuffer *buffer;
  JsonArray *sessions;
  guint flagged = 0;
  gboolean found = FALSE;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.schedule-session", NULL));
  wait_until (dialog_open, NULL, 20, "the schedule dialog");
  dialog = find_schedule_dialog ();

  gtk_editable_set_text (GTK_EDITABLE (template_child (dialog, "title_row")), "Quarterly Product Demo");
  gtk_editable_set_text (GTK_EDITABLE (template_child (dialog, "description_row")), "What is new this quarter");
  adw_combo_row_set_selected (template_child (dialog, "type_row"), OMNI_SESSION_TYPE_DEMO);
  buffer = gtk_text_view_get_buffer (template_child (dialog, "agenda_view"));
  gtk_text_buffer_set_text (buffer, "1. Introduction\n2. Features\n3. Q&A", -1);
  buffer = gtk_text_view_get_buffer (template_child (dialog, "paste_view"));
  gtk_text_buffer_set_text (buffer,
                            "Jane Doe <jane@example.com>\n"
                            "bob@example.org\n"
                            "Somebody <not-an-address>\n"
                            "JANE <jane@example.com>\n", -1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "schedule.add-list", NULL));
  g_assert_cmpuint (ui_schedule_dialog_count_invitees (dialog, &flagged), ==, 4);
  g_assert_cmpuint (flagged, ==, 2);
  screenshot (GTK_WIDGET (dialog), "schedule-dialog-flagged.png");

  /* Flagged invitees block "Create & Send Invites" with an inline error. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "schedule.create", NULL));
  g_assert_nonnull (ui_schedule_dialog_get_error (dialog));
  g_assert_nonnull (find_schedule_dialog ());

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "schedule.remove-participant", "u", 3));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "schedule.remove-participant", "u", 2));
  g_assert_cmpuint (ui_schedule_dialog_count_invitees (dialog, &flagged), ==, 2);
  g_assert_cmpuint (flagged, ==, 0);
  g_assert_null (ui_schedule_dialog_get_error (dialog));
  screenshot (GTK_WIDGET (dialog), "schedule-dialog.png");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "schedule.create", NULL));
  wait_until (dialog_gone, NULL, 30, "the session to be created");

  response = relay_fixture_json (&relay, "GET", "/api/sessions?upcoming=true", relay.token, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  sessions = json_node_get_array (response->json);
  for (guint i = 0; i < json_array_get_length (sessions); i++)
    {
      JsonObject *s = json_array_get_object_element (sessions, i);
      if (g_strcmp0 (omni_json_get_string (s, "title"), "Quarterly Product Demo") == 0)
        {
          found = TRUE;
          g_assert_cmpstr (omni_json_get_string (s, "sessionType"), ==, "demo");
          g_assert_cmpuint (json_array_get_length (json_object_get_array_member (s, "participants")), ==, 2);
          g_assert_cmpstr (omni_json_get_string (s, "agenda"), ==, "1. Introduction\n2. Features\n3. Q&A");
        }
    }
  g_assert_true (found);
}

static GtkWindow *
find_window (GType type)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type))
      return l->data;
  return NULL;
}

static gboolean
new_ticket_dialog_open (gpointer data)
{
  return find_window (UI_TYPE_NEW_TICKET_DIALOG) != NULL;
}

static gboolean
six_tickets_shown (gpointer data)
{
  UiTicketView *view = data;

  return g_list_model_get_n_items (engine_ticket_list_get_model (ui_application_get_tickets (app))) == 6 &&
         ui_ticket_view_get_ticket_id (view) == 6;
}

/* Ctrl+N: the dialog creates the ticket and the window shows it. */
static void
check_new_ticket (UiWindow *window)
{
  UiTicketView *view = ui_tickets_page_get_view (UI_TICKETS_PAGE (ui_window_get_page (window, "tickets")));
  GtkWindow *dialog;
  GtkTextBuffer *buffer;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.new-ticket", NULL));
  wait_until (new_ticket_dialog_open, NULL, 20, "the new ticket dialog");
  dialog = find_window (UI_TYPE_NEW_TICKET_DIALOG);
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "create"));
  gtk_editable_set_text (GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (dialog), UI_TYPE_NEW_TICKET_DIALOG, "subject_row")),
                         "Camera not detected");
  gtk_editable_set_text (GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (dialog), UI_TYPE_NEW_TICKET_DIALOG, "name_row")),
                         "Priya Patel");
  gtk_editable_set_text (GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (dialog), UI_TYPE_NEW_TICKET_DIALOG, "email_row")),
                         "priya@example");
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "create"));
  gtk_editable_set_text (GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (dialog), UI_TYPE_NEW_TICKET_DIALOG, "email_row")),
                         "priya@example.in");
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "create"));
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (gtk_widget_get_template_child (GTK_WIDGET (dialog), UI_TYPE_NEW_TICKET_DIALOG, "message_view")));
  gtk_text_buffer_set_text (buffer, "The browser says no camera was found.", -1);
  screenshot (GTK_WIDGET (dialog), "new-ticket-dialog.png");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "create");
  wait_until (six_tickets_shown, view, 20, "the new ticket in the list and the view");
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (item) && !UI_IS_NEW_TICKET_DIALOG (item) && gtk_widget_get_visible (GTK_WIDGET (item)))
        return ADW_MESSAGE_DIALOG (item);
    }
  return NULL;
}

static gboolean
message_dialog_open (gpointer data)
{
  return find_message_dialog () != NULL;
}

static gboolean
session_gone_from_upcoming (gpointer data)
{
  return engine_session_list_find (ui_application_get_upcoming (app), data) == NULL;
}

/* Edit: the dialog opens filled in; a new title and one more invitee reach
 * the relay (PATCH, then POST .../participants). */
static void
check_edit (UiWindow   *window,
            const char *session_id)
{
  GtkWidget *page = ui_window_get_page (window, "sessions");
  g_autoptr(RelayResponse) response = NULL;
  g_autofree char *path = g_strdup_printf ("/api/sessions/%s", session_id);
  g_autofree char *id = g_strdup (session_id);
  UiScheduleDialog *dialog;
  JsonObject *object;
  guint flagged;

  /* The relay reports each invitee's e-mail; the row shows it. */
  {
    EngineSession *session = engine_session_list_find (ui_application_get_upcoming (app), id);
    g_assert_nonnull (session);
    g_assert_nonnull (engine_session_get_mail_state (session, 0));
  }

  g_assert_true (gtk_widget_activate_action (page, "sessions.edit", "s", id));
  wait_until (dialog_open, NULL, 20, "the edit dialog");
  dialog = find_schedule_dialog ();
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (template_child (dialog, "title_row"))), ==,
                   "Quarterly Product Demo");
  g_assert_cmpuint (ui_schedule_dialog_count_invitees (dialog, &flagged), ==, 2);
  gtk_editable_set_text (GTK_EDITABLE (template_child (dialog, "title_row")), "Quarterly Product Demo (EMEA)");
  gtk_editable_set_text (GTK_EDITABLE (template_child (dialog, "invitee_email_row")), "Carol <carol@example.net>");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "schedule.add-participant", NULL));
  g_assert_cmpuint (ui_schedule_dialog_count_invitees (dialog, &flagged), ==, 3);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "schedule.create", NULL));
  wait_until (dialog_gone, NULL, 30, "the session to be updated");

  response = relay_fixture_json (&relay, "GET", path, relay.token, NULL);
  object = relay_response_object (response);
  g_assert_cmpstr (omni_json_get_string (object, "title"), ==, "Quarterly Product Demo (EMEA)");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "participants")), ==, 3);
}

/* Cancel asks first (AdwMessageDialog), then the relay cancels it. */
static void
check_cancel (UiWindow   *window,
              const char *session_id)
{
  GtkWidget *page = ui_window_get_page (window, "sessions");
  g_autoptr(RelayResponse) response = NULL;
  g_autofree char *path = g_strdup_printf ("/api/sessions/%s", session_id);
  g_autofree char *id = g_strdup (session_id);

  g_assert_true (gtk_widget_activate_action (page, "sessions.cancel", "s", id));
  wait_until (message_dialog_open, NULL, 20, "the cancel confirmation");
  adw_message_dialog_response (find_message_dialog (), "cancel-session");
  wait_until (session_gone_from_upcoming, id, 20, "the cancelled session to leave the list");

  response = relay_fixture_json (&relay, "GET", path, relay.token, NULL);
  g_assert_cmpstr (relay_response_string (response, "status"), ==, "cancelled");
}

typedef struct {
  EngineSessionList *list;
  const char *id;
  OmniSessionStatus status;
} SessionWait;

static gboolean
session_has_status (gpointer data)
{
  SessionWait *wait = data;
  EngineSession *session = engine_session_list_find (wait->list, wait->id);

  return session != NULL && engine_session_get_status (session) == wait->status;
}

static gboolean
ticket_shows_ended (gpointer data)
{
  GListModel *model = data;
  g_autoptr(EngineSession) session = g_list_model_get_n_items (model) ? g_list_model_get_item (model, 0) : NULL;

  return session != NULL && engine_session_get_status (session) == OMNI_SESSION_STATUS_ENDED;
}

/* Start (allowed: the escalated call is 15 minutes away), end it on the
 * relay, and find it with its analytics in Past and on its ticket. */
static void
check_start_and_past (UiWindow *window)
{
  GtkWidget *page = ui_window_get_page (window, "sessions");
  UiTicketView *view = ui_tickets_page_get_view (UI_TICKETS_PAGE (ui_window_get_page (window, "tickets")));
  SessionWait live = { ui_application_get_upcoming (app), escalated_id, OMNI_SESSION_STATUS_LIVE };
  SessionWait ended = { ui_application_get_past (app), escalated_id, OMNI_SESSION_STATUS_ENDED };
  g_autoptr(RelayResponse) response = NULL;
  g_autofree char *path = g_strdup_printf ("/api/sessions/%s/end", escalated_id);
  g_autofree char *id = g_strdup (escalated_id);

  g_assert_true (gtk_widget_activate_action (page, "sessions.start", "s", id));
  wait_until (session_has_status, &live, 20, "the session to be live");

  response = relay_fixture_json (&relay, "POST", path, relay.token, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  ui_application_refresh_sessions (app);
  wait_until (session_has_status, &ended, 20, "the session among the past ones");
  ui_sessions_page_show_list (UI_SESSIONS_PAGE (page), "past");
  screenshot (GTK_WIDGET (window), "sessions-past.png");

  ui_window_show_page (window, "tickets");
  ui_tickets_page_select_ticket (UI_TICKETS_PAGE (ui_window_get_page (window, "tickets")), escalated_ticket);
  wait_until (ticket_shows_ended, ui_ticket_view_get_sessions (view), 20, "the ticket's ended session");
  screenshot (GTK_WIDGET (window), "ticket-session-ended.png");
}

static gboolean
upcoming_has_two (gpointer data)
{
  return g_list_model_get_n_items (engine_session_list_get_model (ui_application_get_upcoming (app))) >= 2;
}

static gboolean
run_script (gpointer user_data)
{
  UiWindow *window;

  wait_until (store_ready, NULL, 30, "the fixture tickets");
  wait_until (signed_in, NULL, 30, "signing in");
  window = UI_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_cmpstr (ui_window_get_visible_page (window), ==, "tickets");

  /* The shortcuts the issue asks for. */
  {
    static const struct { const char *accel; const char *action; } accels[] = {
      { "<Control>n", "win.new-ticket" },
      { "<Control><Shift>n", "win.schedule-session" },
      { "<Control>f", "win.search" },
      { "<Control>question", "win.show-help-overlay" },
    };
    for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
      {
        g_auto(GStrv) actions = gtk_application_get_actions_for_accel (GTK_APPLICATION (app), accels[i].accel);
        g_assert_true (g_strv_contains ((const char * const *) actions, accels[i].action));
      }
    g_assert_true (g_action_group_has_action (G_ACTION_GROUP (window), "show-help-overlay"));
  }

  check_escalation (window);
  check_schedule (window);
  check_new_ticket (window);

  ui_window_show_page (window, "sessions");
  ui_application_refresh_sessions (app);
  wait_until (upcoming_has_two, NULL, 20, "the upcoming sessions");
  g_assert_cmpstr (ui_sessions_page_get_state (UI_SESSIONS_PAGE (ui_window_get_page (window, "sessions"))), ==,
                   "sessions");
  screenshot (GTK_WIDGET (window), "sessions.png");
  /* Cancel the scheduled demo (whichever place it has in the list). */
  {
    GListModel *model = engine_session_list_get_model (ui_application_get_upcoming (app));
    g_autofree char *demo_id = NULL;

    for (guint i = 0; i < g_list_model_get_n_items (model) && demo_id == NULL; i++)
      {
        g_autoptr(EngineSession) session = g_list_model_get_item (model, i);
        if (g_strcmp0 (engine_session_get_title (session), "Quarterly Product Demo") == 0)
          demo_id = g_strdup (engine_session_get_id (session));
      }
    g_assert_nonnull (demo_id);
    check_edit (window, demo_id);
    check_cancel (window, demo_id);
  }
  check_start_and_past (window);

  ui_window_show_page (window, "preferences");
  screenshot (GTK_WIDGET (window), "preferences.png");

  /* Phone width: the ticket list and the view stack up. */
  ui_window_show_page (window, "tickets");
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  /* The X server's configure comes later: drawing before it lands would
   * snapshot widgets whose new allocation is still pending. */
  wait_until ((Predicate) is_phone_width, window, 20, "the window to become phone-sized");
  screenshot (GTK_WIDGET (window), "tickets-narrow.png");

  g_application_quit (G_APPLICATION (app));
  return G_SOURCE_REMOVE;
}

static void
on_activate (GApplication *application)
{
  g_idle_add (run_script, NULL);
}

static void
test_smoke (void)
{
  g_autofree char *token_file = g_build_filename (scratch, "token", NULL);
  const char *argv[] = { "omnilive", "--relay-url", NULL, "--token-file", NULL, NULL };

  relay_fixture_start (&relay, NULL, NULL);
  g_assert_true (g_file_set_contents (token_file, relay.token, -1, NULL));
  write_fixture_database ();

  argv[2] = relay.url;
  argv[4] = token_file;
  app = ui_application_new ();
  g_signal_connect_after (app, "activate", G_CALLBACK (on_activate), NULL);
  g_assert_cmpint (g_application_run (G_APPLICATION (app), 5, (char **) argv), ==, 0);
  g_clear_object (&app);
  relay_fixture_stop (&relay);
  g_clear_pointer (&escalated_id, g_free);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data = NULL;
  g_autofree char *config = NULL;
  int status;

  scratch = desktop_test_make_dir ("ui-smoke");
  data = g_build_filename (scratch, "data", NULL);
  config = g_build_filename (scratch, "config", NULL);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("LANGUAGE", "C", TRUE);
  shots_dir = g_build_filename (g_getenv ("OMNI_BUILD_DIR") ? g_getenv ("OMNI_BUILD_DIR") : ".",
                                "tests", "desktop", "screenshots", NULL);
  g_mkdir_with_parents (shots_dir, 0755);

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/desktop/ui/smoke", test_smoke);
  status = g_test_run ();

  desktop_test_rm_rf (scratch);
  g_free (scratch);
  g_free (shots_dir);
  return status;
}
