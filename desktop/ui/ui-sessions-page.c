/* ui-sessions-page.c: shows the account state and the two session lists of
 * the application; session actions go to the relay and refresh the lists. */
#define G_LOG_DOMAIN "ui-sessions-page"

#include "desktop-config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "omni-error.h"
#include "omni-time.h"

#include "engine-escalation.h"
#include "ui-application.h"
#include "ui-schedule-dialog.h"
#include "ui-session-row.h"
#include "ui-sessions-page.h"
#include "ui-util.h"

#define REFRESH_INTERVAL_S 60
#define REBIND_INTERVAL_S  30

struct _UiSessionsPage
{
  GtkWidget parent_instance;

  GtkStack *state_stack;
  AdwStatusPage *unreachable_page;
  AdwStatusPage *refused_page;
  GtkStack *list_stack;
  GtkStack *upcoming_stack;
  GtkStack *past_stack;
  GtkListView *upcoming_view;
  GtkListView *past_view;

  guint refresh_id;
  guint rebind_id;
};

enum {
  TOAST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (UiSessionsPage, ui_sessions_page, GTK_TYPE_WIDGET)

static void
toast (UiSessionsPage *self,
       const char     *message)
{
  g_signal_emit (self, signals[TOAST], 0, message);
}

static void
update_state (UiSessionsPage *self)
{
  EngineAccount *account = ui_application_get_account (ui_application_get_default ());
  static const char * const pages[] = {
    [ENGINE_ACCOUNT_SIGNED_OUT] = "signed-out",
    [ENGINE_ACCOUNT_CONNECTING] = "connecting",
    [ENGINE_ACCOUNT_SIGNED_IN] = "sessions",
    [ENGINE_ACCOUNT_UNREACHABLE] = "unreachable",
    [ENGINE_ACCOUNT_REFUSED] = "refused",
  };
  EngineAccountState state = engine_account_get_state (account);
  const char *error = engine_account_get_error (account);

  if (state == ENGINE_ACCOUNT_UNREACHABLE)
    {
      g_autofree char *text = g_strdup_printf (_("%s could not be reached: %s. Tickets keep working offline."),
                                               engine_relay_client_get_base_url (engine_account_get_client (account)),
                                               error ? error : "");
      adw_status_page_set_description (self->unreachable_page, text);
    }
  else if (state == ENGINE_ACCOUNT_REFUSED)
    {
      g_autofree char *text = g_strdup_printf (_("The relay did not accept the host token: %s. Enter a valid token in Preferences."),
                                               error ? error : "");
      adw_status_page_set_description (self->refused_page, text);
    }
  gtk_stack_set_visible_child_name (self->state_stack, pages[state]);
}

static void
show_list_or_empty (UiSessionsPage    *self,
                    EngineSessionList *list)
{
  UiApplication *app = ui_application_get_default ();
  GtkStack *stack = list == ui_application_get_upcoming (app) ? self->upcoming_stack : self->past_stack;
  guint n = g_list_model_get_n_items (engine_session_list_get_model (list));

  gtk_stack_set_visible_child_name (stack, n > 0 ? "list" : "empty");
}

static void
on_list_updated (UiSessionsPage    *self,
                 EngineSessionList *list)
{
  UiApplication *app = ui_application_get_default ();
  const GError *error = engine_session_list_get_error (list);

  show_list_or_empty (self, list);
  if (error != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Sessions could not be loaded: %s"), error->message);
      toast (self, message);
      if (error->domain == OMNI_ERROR && error->code == OMNI_ERROR_UNAUTHORIZED)
        engine_account_retry (ui_application_get_account (app));
    }
}

static gboolean
on_refresh_tick (gpointer user_data)
{
  ui_application_refresh_sessions (ui_application_get_default ());
  return G_SOURCE_CONTINUE;
}

/* Start becomes available 15 minutes before the start: rebind the rows. */
static gboolean
on_rebind_tick (gpointer user_data)
{
  GListModel *model = engine_session_list_get_model (ui_application_get_upcoming (ui_application_get_default ()));
  guint n = g_list_model_get_n_items (model);

  if (n > 0)
    g_list_model_items_changed (model, 0, n, n);
  return G_SOURCE_CONTINUE;
}

static EngineSession *
find_session (const char *id)
{
  UiApplication *app = ui_application_get_default ();
  EngineSession *session = engine_session_list_find (ui_application_get_upcoming (app), id);

  return session ? session : engine_session_list_find (ui_application_get_past (app), id);
}

typedef struct {
  UiSessionsPage *self;
  char *done_message;
} ActionData;

static void
on_action_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ActionData *data = user_data;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  node = engine_relay_client_request_finish (ENGINE_RELAY_CLIENT (source), result, &error);
  if (error != NULL)
    {
      g_autofree char *message = NULL;

      if (error->domain == OMNI_ERROR && error->code == OMNI_ERROR_NOT_FOUND)
        message = g_strdup_printf (_("The relay does not know this action or session: %s"), error->message);
      else
        message = g_strdup (error->message);
      toast (data->self, message);
    }
  else
    toast (data->self, data->done_message);
  ui_application_refresh_sessions (ui_application_get_default ());

  g_object_unref (data->self);
  g_free (data->done_message);
  g_free (data);
}

static void
post_action (UiSessionsPage *self,
             const char     *id,
             const char     *verb,
             const char     *done_message)
{
  EngineRelayClient *client = ui_application_get_client (ui_application_get_default ());
  g_autofree char *escaped = g_uri_escape_string (id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/sessions/%s/%s", escaped, verb);
  ActionData *data = g_new0 (ActionData, 1);

  data->self = g_object_ref (self);
  data->done_message = g_strdup (done_message);
  engine_relay_client_request_async (client, "POST", path, NULL, NULL, on_action_done, data);
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  post_action (UI_SESSIONS_PAGE (widget), g_variant_get_string (parameter, NULL), "start",
               _("The session is live; invitees were told it started"));
}

static void
copy_link_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  UiSessionsPage *self = UI_SESSIONS_PAGE (widget);
  EngineSession *session = find_session (g_variant_get_string (parameter, NULL));
  EngineRelayClient *client = ui_application_get_client (ui_application_get_default ());
  g_autofree char *link = NULL;

  if (session == NULL)
    return;
  link = engine_escalation_dup_join_link (session, engine_relay_client_get_base_url (client));
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), link);
  toast (self, _("Join link copied"));
}

static void
on_dialog_done (UiSessionsPage *self,
                const char     *message)
{
  toast (self, message);
}

static void
edit_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  UiSessionsPage *self = UI_SESSIONS_PAGE (widget);
  EngineSession *session = find_session (g_variant_get_string (parameter, NULL));
  UiScheduleDialog *dialog;

  if (session == NULL)
    return;
  dialog = ui_schedule_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), session);
  g_signal_connect_object (dialog, "done", G_CALLBACK (on_dialog_done), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
resend_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  post_action (UI_SESSIONS_PAGE (widget), g_variant_get_string (parameter, NULL), "resend",
               _("Invitations are being sent again"));
}

static void
on_cancel_response (AdwMessageDialog *dialog,
                    const char       *response,
                    UiSessionsPage   *self)
{
  const char *id = g_object_get_data (G_OBJECT (dialog), "session-id");

  if (g_strcmp0 (response, "cancel-session") == 0)
    post_action (self, id, "cancel", _("Session cancelled; invitees will be told"));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  UiSessionsPage *self = UI_SESSIONS_PAGE (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  EngineSession *session = find_session (id);
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                   _("Cancel This Session?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("“%s” will be cancelled and every invitee told so. This cannot be undone."),
                                  session ? engine_session_get_title (session) : id);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", _("_Keep Session"),
                                    "cancel-session", _("_Cancel Session"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "cancel-session",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_object_set_data_full (G_OBJECT (dialog), "session-id", g_strdup (id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_cancel_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ui_application_refresh_sessions (ui_application_get_default ());
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  engine_account_retry (ui_application_get_account (ui_application_get_default ()));
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  gtk_list_item_set_child (item, ui_session_row_new ());
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          gpointer                  user_data)
{
  ui_session_row_set_session (UI_SESSION_ROW (gtk_list_item_get_child (item)),
                              gtk_list_item_get_item (item), omni_time_now_ms ());
}

static void
attach_list (GtkListView       *view,
             EngineSessionList *list)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  g_autoptr(GtkNoSelection) selection = gtk_no_selection_new (g_object_ref (engine_session_list_get_model (list)));

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  gtk_list_view_set_factory (view, factory);
  gtk_list_view_set_model (view, GTK_SELECTION_MODEL (selection));
}

static void
ui_sessions_page_dispose (GObject *object)
{
  UiSessionsPage *self = (UiSessionsPage *) object;

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_handle_id (&self->rebind_id, g_source_remove);
  ui_widget_dispose_template (GTK_WIDGET (self), UI_TYPE_SESSIONS_PAGE);

  G_OBJECT_CLASS (ui_sessions_page_parent_class)->dispose (object);
}

static void
ui_sessions_page_class_init (UiSessionsPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ui_sessions_page_dispose;

  signals[TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/omnilive/OmniLive/ui/sessions-page.ui");
  gtk_widget_class_bind_template_child (widget_class, UiSessionsPage, state_stack);
  gtk_widget_class_bind_template_child (widget_class, UiSessionsPage, unreachable_page);
  gtk_widget_class_bind_template_child (widget_class, UiSessionsPage, refused_page);
  gtk_widget_class_bind_template_child (widget_class, UiSessionsPage, list_stack);
  gtk_widget_class_bind_template_child (widget_class, UiSessionsPage, upcoming_stack);
  gtk_widget_class_bind_template_child (widget_class, UiSessionsPage, past_stack);
  gtk_widget_class_bind_template_child (widget_class, UiSessionsPage, upcoming_view);
  gtk_widget_class_bind_template_child (widget_class, UiSessionsPage, past_view);

  gtk_widget_class_install_action (widget_class, "sessions.start", "s", start_action);
  gtk_widget_class_install_action (widget_class, "sessions.copy-link", "s", copy_link_action);
  gtk_widget_class_install_action (widget_class, "sessions.edit", "s", edit_action);
  gtk_widget_class_install_action (widget_class, "sessions.resend", "s", resend_action);
  gtk_widget_class_install_action (widget_class, "sessions.cancel", "s", cancel_action);
  gtk_widget_class_install_action (widget_class, "sessions.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "sessions.retry", NULL, retry_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "sessions.refresh", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "sessions.refresh", NULL);
}

static void
ui_sessions_page_init (UiSessionsPage *self)
{
  UiApplication *app = ui_application_get_default ();

  gtk_widget_init_template (GTK_WIDGET (self));

  attach_list (self->upcoming_view, ui_application_get_upcoming (app));
  attach_list (self->past_view, ui_application_get_past (app));
  g_signal_connect_object (ui_application_get_upcoming (app), "updated",
                           G_CALLBACK (on_list_updated), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (ui_application_get_past (app), "updated",
                           G_CALLBACK (on_list_updated), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (ui_application_get_account (app), "notify::state",
                           G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  /* The lists may have loaded before this page was first shown. */
  show_list_or_empty (self, ui_application_get_upcoming (app));
  show_list_or_empty (self, ui_application_get_past (app));
  self->refresh_id = g_timeout_add_seconds (REFRESH_INTERVAL_S, on_refresh_tick, self);
  self->rebind_id = g_timeout_add_seconds (REBIND_INTERVAL_S, on_rebind_tick, self);
  update_state (self);
}

const char *
ui_sessions_page_get_state (UiSessionsPage *self)
{
  g_return_val_if_fail (UI_IS_SESSIONS_PAGE (self), NULL);
  return gtk_stack_get_visible_child_name (self->state_stack);
}

void
ui_sessions_page_show_list (UiSessionsPage *self,
                            const char     *name)
{
  g_return_if_fail (UI_IS_SESSIONS_PAGE (self));
  gtk_stack_set_visible_child_name (self->list_stack, name);
}
