/* ui-preferences-page.c: shows the account state; Sign In hands URL and
 * token to the EngineAccount, which verifies and stores them. */
#define G_LOG_DOMAIN "ui-preferences-page"

#include "desktop-config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "omni-error.h"

#include "ui-application.h"
#include "ui-preferences-page.h"
#include "ui-util.h"

struct _UiPreferencesPage
{
  GtkWidget parent_instance;

  AdwActionRow *status_row;
  GtkImage *status_icon;
  GtkWidget *sign_out_button;
  AdwEntryRow *url_row;
  AdwPasswordEntryRow *token_row;
  GtkSwitch *notify_switch;
  AdwActionRow *database_row;
};

enum {
  TOAST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (UiPreferencesPage, ui_preferences_page, GTK_TYPE_WIDGET)

static void
update_status (UiPreferencesPage *self)
{
  EngineAccount *account = ui_application_get_account (ui_application_get_default ());
  EngineRelayClient *client = engine_account_get_client (account);
  const char *url = engine_relay_client_get_base_url (client);
  g_autofree char *title = NULL;
  const char *subtitle = NULL;
  const char *icon = "avatar-default-symbolic";

  switch (engine_account_get_state (account))
    {
    case ENGINE_ACCOUNT_SIGNED_IN:
      title = g_strdup_printf (_("Signed in as %s"), engine_account_get_name (account));
      subtitle = engine_account_get_email (account);
      icon = "emblem-ok-symbolic";
      break;
    case ENGINE_ACCOUNT_CONNECTING:
      title = g_strdup (_("Connecting…"));
      break;
    case ENGINE_ACCOUNT_UNREACHABLE:
      title = g_strdup (_("Relay unreachable"));
      subtitle = engine_account_get_error (account);
      icon = "network-offline-symbolic";
      break;
    case ENGINE_ACCOUNT_REFUSED:
      title = g_strdup (_("Host token refused"));
      subtitle = engine_account_get_error (account);
      icon = "dialog-warning-symbolic";
      break;
    case ENGINE_ACCOUNT_SIGNED_OUT:
    default:
      title = g_strdup (_("Not signed in"));
      break;
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->status_row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->status_row), subtitle ? subtitle : "");
  gtk_image_set_from_icon_name (self->status_icon, icon);
  gtk_widget_set_visible (self->sign_out_button,
                          engine_account_get_state (account) != ENGINE_ACCOUNT_SIGNED_OUT);
  if (url != NULL && *gtk_editable_get_text (GTK_EDITABLE (self->url_row)) == '\0')
    gtk_editable_set_text (GTK_EDITABLE (self->url_row), url);
}

static void
sign_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  UiPreferencesPage *self = UI_PREFERENCES_PAGE (widget);
  EngineAccount *account = ui_application_get_account (ui_application_get_default ());
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->url_row))));
  g_autofree char *token = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->token_row))));

  g_autoptr(GError) error = NULL;

  if (!engine_account_check_input (url, token, &error))
    {
      g_signal_emit (self, signals[TOAST], 0, error->message);
      gtk_widget_grab_focus (g_strcmp0 (omni_error_get_field (error), "url") == 0
                             ? GTK_WIDGET (self->url_row) : GTK_WIDGET (self->token_row));
      return;
    }
  engine_account_sign_in (account, url, token, TRUE);
  gtk_editable_set_text (GTK_EDITABLE (self->token_row), "");
}

static void
on_token_activated (UiPreferencesPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "prefs.sign-in", NULL);
}

static void
on_sign_out_response (AdwMessageDialog  *dialog,
                      const char        *response,
                      UiPreferencesPage *self)
{
  if (g_strcmp0 (response, "sign-out") == 0)
    engine_account_sign_out (ui_application_get_account (ui_application_get_default ()));
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                              _("Sign Out?"),
                                              _("The host token is removed from your keyring. Tickets stay on this computer."));

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "sign-out", _("_Sign Out"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "sign-out", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_sign_out_response), widget, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
ui_preferences_page_dispose (GObject *object)
{
  ui_widget_dispose_template (GTK_WIDGET (object), UI_TYPE_PREFERENCES_PAGE);
  G_OBJECT_CLASS (ui_preferences_page_parent_class)->dispose (object);
}

static void
ui_preferences_page_class_init (UiPreferencesPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ui_preferences_page_dispose;

  signals[TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/omnilive/OmniLive/ui/preferences-page.ui");
  gtk_widget_class_bind_template_child (widget_class, UiPreferencesPage, status_row);
  gtk_widget_class_bind_template_child (widget_class, UiPreferencesPage, status_icon);
  gtk_widget_class_bind_template_child (widget_class, UiPreferencesPage, sign_out_button);
  gtk_widget_class_bind_template_child (widget_class, UiPreferencesPage, url_row);
  gtk_widget_class_bind_template_child (widget_class, UiPreferencesPage, token_row);
  gtk_widget_class_bind_template_child (widget_class, UiPreferencesPage, notify_switch);
  gtk_widget_class_bind_template_child (widget_class, UiPreferencesPage, database_row);
  gtk_widget_class_bind_template_callback (widget_class, on_token_activated);

  gtk_widget_class_install_action (widget_class, "prefs.sign-in", NULL, sign_in_action);
  gtk_widget_class_install_action (widget_class, "prefs.sign-out", NULL, sign_out_action);
}

static void
ui_preferences_page_init (UiPreferencesPage *self)
{
  UiApplication *app = ui_application_get_default ();

  gtk_widget_init_template (GTK_WIDGET (self));

  g_settings_bind (ui_application_get_settings (app), "notify-sessions",
                   self->notify_switch, "active", G_SETTINGS_BIND_DEFAULT);
  adw_action_row_set_subtitle (self->database_row,
                               engine_ticket_store_get_path (ui_application_get_store (app)));
  g_signal_connect_object (ui_application_get_account (app), "notify::state",
                           G_CALLBACK (update_status), self, G_CONNECT_SWAPPED);
  update_status (self);
}
