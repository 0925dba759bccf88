/* ui-application.c: command line, engine wiring and app-wide actions. The
 * ticket database opens on a worker thread; the window draws meanwhile.
 * Signing in (libsecret, then the relay) waits for the first frame: nothing
 * it changes is on screen at start-up. */
#define G_LOG_DOMAIN "ui-application"

#include "desktop-config.h"

#include <glib/gi18n.h>

#include "omnilive-resources.h"
#include "engine-secrets.h"
#include "ui-application.h"
#include "ui-bench.h"
#include "ui-renderer.h"
#include "ui-window.h"

struct _UiApplication
{
  AdwApplication parent_instance;

  GSettings *settings;
  EngineTicketStore *store;
  EngineTicketList *tickets;
  EngineRelayClient *client;
  EngineAccount *account;
  EngineSessionList *upcoming;
  EngineSessionList *past;
  EngineReminders *reminders;
  GError *store_error;
  gboolean store_ready;
  guint deferred_id;
  gboolean deferred_done;
  gboolean first_frame_drawn;
  gboolean tickets_updated;

  char *opt_relay_url;
  char *opt_token;
};

enum {
  STORE_STATE_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (UiApplication, ui_application, ADW_TYPE_APPLICATION)

static char *
past_sessions_path (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) from = g_date_time_add_days (now, -90);
  g_autofree char *from_text = g_date_time_format_iso8601 (from);
  g_autofree char *escaped = g_uri_escape_string (from_text, NULL, FALSE);

  return g_strdup_printf ("/api/sessions?status=ended&from=%s", escaped);
}

void
ui_application_refresh_sessions (UiApplication *self)
{
  g_autofree char *past = NULL;

  g_return_if_fail (UI_IS_APPLICATION (self));

  if (engine_account_get_state (self->account) != ENGINE_ACCOUNT_SIGNED_IN)
    return;
  past = past_sessions_path ();
  engine_session_list_set_path (self->past, past);
  engine_session_list_refresh (self->upcoming);
  engine_session_list_refresh (self->past);
}

static void
on_account_state (UiApplication *self)
{
  if (engine_account_get_state (self->account) == ENGINE_ACCOUNT_SIGNED_IN)
    ui_application_refresh_sessions (self);
}

static void
on_store_opened (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(UiApplication) self = user_data;

  g_clear_error (&self->store_error);
  self->store_ready = engine_ticket_store_open_finish (self->store, result, &self->store_error);
  ui_bench_mark ("store-opened");
  if (self->store_error != NULL)
    g_message ("Ticket database: %s", self->store_error->message);
  else if (self->deferred_done)
    engine_ticket_list_refresh (self->tickets);
  g_signal_emit (self, signals[STORE_STATE_CHANGED], 0);
}

/* Work the first frame does not need: the ticket list's first query (if the
 * database is open by then; else on_store_opened runs it), the account (a
 * keyring lookup over D-Bus, then GET /api/me) and with it the session
 * lists. */
static void
run_deferred_startup (UiApplication *self)
{
  g_clear_handle_id (&self->deferred_id, g_source_remove);
  if (self->account == NULL || self->deferred_done)
    return;
  self->deferred_done = TRUE;
  if (self->store_ready)
    engine_ticket_list_refresh (self->tickets);

  if (self->opt_relay_url != NULL && self->opt_token != NULL)
    engine_account_sign_in (self->account, self->opt_relay_url, self->opt_token, TRUE);
  else
    engine_account_restore (self->account);
  g_clear_pointer (&self->opt_token, g_free);
}

/* Without a window (started as a D-Bus service, a remote action) the
 * deferred work still runs, a moment later. */
static gboolean
on_deferred_timeout (gpointer user_data)
{
  UiApplication *self = user_data;

  self->deferred_id = 0;
  run_deferred_startup (self);
  return G_SOURCE_REMOVE;
}

static void
on_tickets_updated (UiApplication *self)
{
  if (!self->tickets_updated)
    ui_bench_mark ("tickets-loaded");
  self->tickets_updated = TRUE;
}

static void
on_notify_setting (UiApplication *self,
                   const char    *key,
                   GSettings     *settings)
{
  engine_reminders_set_enabled (self->reminders, g_settings_get_boolean (settings, "notify-sessions"));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  UiApplication *self = user_data;
  static const char *developers[] = { "OmniLive contributors", NULL };

  adw_show_about_window (gtk_application_get_active_window (GTK_APPLICATION (self)),
                         "application-name", _("OmniLive"),
                         "application-icon", APP_ID,
                         "developer-name", _("OmniLive contributors"),
                         "version", PACKAGE_VERSION,
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "developers", developers,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
show_sessions_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  UiApplication *self = user_data;
  GtkWindow *window;

  g_application_activate (G_APPLICATION (self));
  window = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (UI_IS_WINDOW (window))
    ui_window_show_page (UI_WINDOW (window), "sessions");
}

static const GActionEntry app_actions[] = {
  { "about", about_action },
  { "quit", quit_action },
  { "show-sessions", show_sessions_action },
};

static int
ui_application_handle_local_options (GApplication *application,
                                     GVariantDict *options)
{
  UiApplication *self = UI_APPLICATION (application);
  const char *relay_url = NULL;
  const char *token_file = NULL;

  g_variant_dict_lookup (options, "relay-url", "&s", &relay_url);
  g_variant_dict_lookup (options, "token-file", "^&ay", &token_file);

  if (token_file != NULL && relay_url == NULL)
    {
      g_printerr ("%s\n", _("--token-file needs --relay-url"));
      return 2;
    }
  if (token_file != NULL)
    {
      g_autoptr(GError) error = NULL;

      self->opt_token = engine_secrets_read_token_file (token_file, &error);
      if (self->opt_token == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
    }
  self->opt_relay_url = g_strdup (relay_url);

  return G_APPLICATION_CLASS (ui_application_parent_class)->handle_local_options (application, options);
}

/* The installed schema, else the one compiled in the build tree (running
 * from a build directory); without either GLib would abort with a bare
 * "schema not installed". */
static GSettings *
open_settings (void)
{
  GSettingsSchemaSource *installed = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchemaSource) build = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;

  if (installed != NULL)
    schema = g_settings_schema_source_lookup (installed, APP_ID, TRUE);
  if (schema == NULL)
    {
      build = g_settings_schema_source_new_from_directory (BUILD_SCHEMA_DIR, installed, FALSE, NULL);
      if (build != NULL)
        schema = g_settings_schema_source_lookup (build, APP_ID, FALSE);
    }
  if (schema == NULL)
    g_error ("The GSettings schema %s is not installed", APP_ID);
  return g_settings_new_full (schema, NULL, NULL);
}

static void
ui_application_startup (GApplication *application)
{
  UiApplication *self = UI_APPLICATION (application);
  static const char *new_ticket[] = { "<Control>n", NULL };
  static const char *schedule[] = { "<Control><Shift>n", NULL };
  static const char *search[] = { "<Control>f", NULL };
  static const char *quit[] = { "<Control>q", NULL };
  static const char *page_tickets[] = { "<Alt>1", NULL };
  static const char *page_sessions[] = { "<Alt>2", NULL };
  static const char *page_prefs[] = { "<Alt>3", "<Control>comma", NULL };
  g_autofree char *db_path = NULL;

  g_resources_register (omnilive_get_resource ());

  G_APPLICATION_CLASS (ui_application_parent_class)->startup (application);
  ui_renderer_choose (gdk_display_get_default ());
  ui_bench_mark ("gtk-adw-init");

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.new-ticket", new_ticket);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.schedule-session", schedule);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.search", search);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-page::tickets", page_tickets);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-page::sessions", page_sessions);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-page::preferences", page_prefs);

  self->settings = open_settings ();

  /* The database opens on a worker while GTK starts; the first query (10,000
   * tickets become objects, then list rows) waits for the first frame. */
  db_path = g_build_filename (g_get_user_data_dir (), "omnilive", "tickets.db", NULL);
  self->store = engine_ticket_store_new (db_path);
  self->tickets = engine_ticket_list_new (self->store);
  engine_ticket_store_open_async (self->store, NULL, on_store_opened, g_object_ref (self));
  engine_ticket_list_set_sort (self->tickets,
                               g_settings_get_enum (self->settings, "ticket-sort"));

  self->client = engine_relay_client_new (NULL, NULL);
  self->account = engine_account_new (self->client, self->settings);
  self->upcoming = engine_session_list_new (self->client, "/api/sessions?upcoming=true");
  self->past = engine_session_list_new (self->client, "/api/sessions?status=ended");
  self->reminders = engine_reminders_new (application, self->account, self->upcoming);
  on_notify_setting (self, "notify-sessions", self->settings);
  g_signal_connect_object (self->settings, "changed::notify-sessions",
                           G_CALLBACK (on_notify_setting), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->account, "notify::state",
                           G_CALLBACK (on_account_state), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->tickets, "updated",
                           G_CALLBACK (on_tickets_updated), self, G_CONNECT_SWAPPED);

  /* The URL goes into the settings now: the window's first-run check reads it. */
  if (self->opt_relay_url != NULL && self->opt_token == NULL)
    g_settings_set_string (self->settings, "relay-url", self->opt_relay_url);
  self->deferred_id = g_timeout_add_seconds (2, on_deferred_timeout, self);
}

/* Called after every frame until the ticket list has been drawn: the first
 * one starts the deferred work. For ./omni bench desktop
 * (OMNILIVE_BENCH_FIRST_FRAME) it reports the first frame, then the first
 * frame that shows the loaded tickets; "quit" quits after that one. */
static void
on_after_paint (GdkFrameClock *clock,
                UiApplication *self)
{
  if (!self->first_frame_drawn)
    {
      self->first_frame_drawn = TRUE;
      if (ui_bench_enabled ())
        ui_bench_report_first_frame ();
      run_deferred_startup (self);
    }
  if (!self->tickets_updated && self->store_error == NULL)
    return;

  g_signal_handlers_disconnect_by_func (clock, on_after_paint, self);
  ui_bench_mark ("tickets-shown");
  if (g_strcmp0 (g_getenv ("OMNILIVE_BENCH_FIRST_FRAME"), "quit") == 0)
    g_application_quit (G_APPLICATION (self));
}

static void
on_window_map (GtkWidget     *window,
               UiApplication *self)
{
  g_signal_handlers_disconnect_by_func (window, on_window_map, self);
  ui_bench_mark ("window-mapped");
  g_signal_connect_object (gtk_widget_get_frame_clock (window), "after-paint",
                           G_CALLBACK (on_after_paint), self, 0);
}

static void
ui_application_activate (GApplication *application)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  if (window == NULL)
    {
      window = GTK_WINDOW (ui_window_new (UI_APPLICATION (application)));
      ui_bench_mark ("window-built");
      /* Its first frame starts the deferred work, however long it takes. */
      g_clear_handle_id (&UI_APPLICATION (application)->deferred_id, g_source_remove);
      g_signal_connect (window, "map", G_CALLBACK (on_window_map), application);
    }
  gtk_window_present (window);
}

static void
ui_application_shutdown (GApplication *application)
{
  UiApplication *self = UI_APPLICATION (application);

  G_APPLICATION_CLASS (ui_application_parent_class)->shutdown (application);

  g_clear_handle_id (&self->deferred_id, g_source_remove);
  g_clear_object (&self->reminders);
  g_clear_object (&self->upcoming);
  g_clear_object (&self->past);
  g_clear_object (&self->account);
  g_clear_object (&self->client);
  g_clear_object (&self->tickets);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);
}

static void
ui_application_finalize (GObject *object)
{
  UiApplication *self = (UiApplication *) object;

  g_clear_error (&self->store_error);
  g_free (self->opt_relay_url);
  g_free (self->opt_token);

  G_OBJECT_CLASS (ui_application_parent_class)->finalize (object);
}

static void
ui_application_class_init (UiApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = ui_application_finalize;
  app_class->handle_local_options = ui_application_handle_local_options;
  app_class->startup = ui_application_startup;
  app_class->activate = ui_application_activate;
  app_class->shutdown = ui_application_shutdown;

  /* The ticket database finished opening (or failed to). */
  signals[STORE_STATE_CHANGED] =
    g_signal_new ("store-state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ui_application_init (UiApplication *self)
{
  static const GOptionEntry options[] = {
    { "relay-url", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("The relay to sign in to, e.g. https://relay.example.com"), N_("URL") },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      N_("Sign in with the host token in FILE"), N_("FILE") },
    { NULL },
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Support tickets and live sessions for support agents"));
}

UiApplication *
ui_application_new (void)
{
  return g_object_new (UI_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/org/omnilive/OmniLive",
                       NULL);
}

UiApplication *
ui_application_get_default (void)
{
  return UI_APPLICATION (g_application_get_default ());
}

GSettings *
ui_application_get_settings (UiApplication *self)
{
  g_return_val_if_fail (UI_IS_APPLICATION (self), NULL);
  return self->settings;
}

EngineTicketStore *
ui_application_get_store (UiApplication *self)
{
  g_return_val_if_fail (UI_IS_APPLICATION (self), NULL);
  return self->store;
}

EngineTicketList *
ui_application_get_tickets (UiApplication *self)
{
  g_return_val_if_fail (UI_IS_APPLICATION (self), NULL);
  return self->tickets;
}

EngineAccount *
ui_application_get_account (UiApplication *self)
{
  g_return_val_if_fail (UI_IS_APPLICATION (self), NULL);
  return self->account;
}

EngineRelayClient *
ui_application_get_client (UiApplication *self)
{
  g_return_val_if_fail (UI_IS_APPLICATION (self), NULL);
  return self->client;
}

EngineSessionList *
ui_application_get_upcoming (UiApplication *self)
{
  g_return_val_if_fail (UI_IS_APPLICATION (self), NULL);
  return self->upcoming;
}

EngineSessionList *
ui_application_get_past (UiApplication *self)
{
  g_return_val_if_fail (UI_IS_APPLICATION (self), NULL);
  return self->past;
}

const GError *
ui_application_get_store_error (UiApplication *self)
{
  g_return_val_if_fail (UI_IS_APPLICATION (self), NULL);
  return self->store_error;
}

gboolean
ui_application_get_store_ready (UiApplication *self)
{
  g_return_val_if_fail (UI_IS_APPLICATION (self), FALSE);
  return self->store_ready;
}

void
ui_application_reset_store (UiApplication *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (UI_IS_APPLICATION (self));

  /* Removing a few files and creating an empty schema is quick; the user
   * asked for it and waits for the answer. */
  g_clear_error (&self->store_error);
  self->store_ready = engine_ticket_store_reset (self->store, &self->store_error);
  if (self->store_ready)
    engine_ticket_list_refresh (self->tickets);
  g_signal_emit (self, signals[STORE_STATE_CHANGED], 0);
}

gboolean
ui_application_is_first_run (UiApplication *self)
{
  g_autofree char *url = NULL;

  g_return_val_if_fail (UI_IS_APPLICATION (self), FALSE);

  /* A sign-in given on the command line starts after the first frame. */
  if (self->opt_relay_url != NULL)
    return FALSE;
  url = g_settings_get_string (self->settings, "relay-url");
  return *url == '\0' && !g_settings_get_boolean (self->settings, "first-run-done") &&
         engine_account_get_state (self->account) == ENGINE_ACCOUNT_SIGNED_OUT;
}
