/* ui-window.c: page switching, window actions and toasts. */
#define G_LOG_DOMAIN "ui-window"

#include "desktop-config.h"

#include <glib/gi18n.h>

#include "ui-new-ticket-dialog.h"
#include "ui-preferences-page.h"
#include "ui-schedule-dialog.h"
#include "ui-sessions-page.h"
#include "ui-tickets-page.h"
#include "ui-welcome-page.h"
#include "ui-window.h"

struct _UiWindow
{
  AdwApplicationWindow parent_instance;

  AdwToastOverlay *toast_overlay;
  GtkStack *main_stack;
  AdwViewStack *view_stack;
  UiTicketsPage *tickets_page;
  AdwBin *sessions_bin;
  AdwBin *preferences_bin;
  AdwBin *welcome_bin;

  /* Built the first time they are shown: start-up only builds Tickets. */
  UiSessionsPage *sessions_page;
  UiPreferencesPage *preferences_page;
  UiWelcomePage *welcome_page;
};

G_DEFINE_FINAL_TYPE (UiWindow, ui_window, ADW_TYPE_APPLICATION_WINDOW)

static void
on_token_not_saved (UiWindow   *self,
                    const char *reason)
{
  ui_window_add_toast (self, _("The token could not be saved in the keyring; it is kept for this run only"));
}

static void
on_account_state (UiWindow *self)
{
  EngineAccount *account = ui_application_get_account (ui_application_get_default ());

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "welcome") == 0 &&
      engine_account_get_state (account) == ENGINE_ACCOUNT_SIGNED_IN)
    {
      g_settings_set_boolean (ui_application_get_settings (ui_application_get_default ()),
                              "first-run-done", TRUE);
      gtk_stack_set_visible_child_name (self->main_stack, "main");
    }
}

static void
on_welcome_done (UiWindow *self)
{
  g_settings_set_boolean (ui_application_get_settings (ui_application_get_default ()),
                          "first-run-done", TRUE);
  gtk_stack_set_visible_child_name (self->main_stack, "main");
}

static void
on_schedule_created (UiWindow   *self,
                     const char *message)
{
  ui_window_add_toast (self, message);
  ui_window_show_page (self, "sessions");
}

static UiSessionsPage *
ensure_sessions_page (UiWindow *self)
{
  if (self->sessions_page == NULL)
    {
      self->sessions_page = g_object_new (UI_TYPE_SESSIONS_PAGE, NULL);
      g_signal_connect_object (self->sessions_page, "toast",
                               G_CALLBACK (ui_window_add_toast), self, G_CONNECT_SWAPPED);
      adw_bin_set_child (self->sessions_bin, GTK_WIDGET (self->sessions_page));
    }
  return self->sessions_page;
}

static UiPreferencesPage *
ensure_preferences_page (UiWindow *self)
{
  if (self->preferences_page == NULL)
    {
      self->preferences_page = g_object_new (UI_TYPE_PREFERENCES_PAGE, NULL);
      g_signal_connect_object (self->preferences_page, "toast",
                               G_CALLBACK (ui_window_add_toast), self, G_CONNECT_SWAPPED);
      adw_bin_set_child (self->preferences_bin, GTK_WIDGET (self->preferences_page));
    }
  return self->preferences_page;
}

static UiWelcomePage *
ensure_welcome_page (UiWindow *self)
{
  if (self->welcome_page == NULL)
    {
      self->welcome_page = g_object_new (UI_TYPE_WELCOME_PAGE, NULL);
      g_signal_connect_object (self->welcome_page, "done",
                               G_CALLBACK (on_welcome_done), self, G_CONNECT_SWAPPED);
      adw_bin_set_child (self->welcome_bin, GTK_WIDGET (self->welcome_page));
    }
  return self->welcome_page;
}

static void
on_page_changed (UiWindow *self)
{
  const char *name = adw_view_stack_get_visible_child_name (self->view_stack);

  if (g_strcmp0 (name, "sessions") == 0)
    ensure_sessions_page (self);
  else if (g_strcmp0 (name, "preferences") == 0)
    ensure_preferences_page (self);
}

static void
new_ticket_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  UiWindow *self = UI_WINDOW (widget);
  UiNewTicketDialog *dialog = ui_new_ticket_dialog_new (GTK_WINDOW (self));

  g_signal_connect_object (dialog, "created", G_CALLBACK (ui_tickets_page_select_ticket),
                           self->tickets_page, G_CONNECT_SWAPPED);
  ui_window_show_page (self, "tickets");
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
schedule_session_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  UiWindow *self = UI_WINDOW (widget);
  EngineAccount *account = ui_application_get_account (ui_application_get_default ());
  UiScheduleDialog *dialog;

  if (engine_account_get_state (account) != ENGINE_ACCOUNT_SIGNED_IN)
    {
      ui_window_add_toast (self, _("Sign in to a relay to schedule sessions"));
      ui_window_show_page (self, "sessions");
      return;
    }
  dialog = ui_schedule_dialog_new (GTK_WINDOW (self), NULL);
  g_signal_connect_object (dialog, "done", G_CALLBACK (on_schedule_created), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  UiWindow *self = UI_WINDOW (widget);

  ui_window_show_page (self, "tickets");
  ui_tickets_page_start_search (self->tickets_page);
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ui_window_show_page (UI_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
ui_window_class_init (UiWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  g_type_ensure (UI_TYPE_TICKETS_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/omnilive/OmniLive/ui/window.ui");
  gtk_widget_class_bind_template_child (widget_class, UiWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, UiWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, UiWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, UiWindow, tickets_page);
  gtk_widget_class_bind_template_child (widget_class, UiWindow, sessions_bin);
  gtk_widget_class_bind_template_child (widget_class, UiWindow, preferences_bin);
  gtk_widget_class_bind_template_child (widget_class, UiWindow, welcome_bin);
  gtk_widget_class_bind_template_callback (widget_class, on_page_changed);

  gtk_widget_class_install_action (widget_class, "win.new-ticket", NULL, new_ticket_action);
  gtk_widget_class_install_action (widget_class, "win.schedule-session", NULL, schedule_session_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
}

static void
ui_window_init (UiWindow *self)
{
  UiApplication *app = ui_application_get_default ();
  GSettings *settings = ui_application_get_settings (app);

  gtk_widget_init_template (GTK_WIDGET (self));

  g_settings_bind (settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_object (ui_application_get_account (app), "token-not-saved",
                           G_CALLBACK (on_token_not_saved), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (ui_application_get_account (app), "notify::state",
                           G_CALLBACK (on_account_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->tickets_page, "toast",
                           G_CALLBACK (ui_window_add_toast), self, G_CONNECT_SWAPPED);

  if (ui_application_is_first_run (app))
    {
      ensure_welcome_page (self);
      gtk_stack_set_visible_child_name (self->main_stack, "welcome");
    }
  else
    gtk_stack_set_visible_child_name (self->main_stack, "main");
}

UiWindow *
ui_window_new (UiApplication *application)
{
  return g_object_new (UI_TYPE_WINDOW, "application", application, NULL);
}

void
ui_window_add_toast (UiWindow   *self,
                     const char *title)
{
  AdwToast *toast;

  g_return_if_fail (UI_IS_WINDOW (self));

  toast = adw_toast_new (title);
  adw_toast_set_timeout (toast, 4);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
ui_window_show_page (UiWindow   *self,
                     const char *name)
{
  g_return_if_fail (UI_IS_WINDOW (self));

  gtk_stack_set_visible_child_name (self->main_stack, "main");
  adw_view_stack_set_visible_child_name (self->view_stack, name);
}

const char *
ui_window_get_visible_page (UiWindow *self)
{
  g_return_val_if_fail (UI_IS_WINDOW (self), NULL);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "welcome") == 0)
    return "welcome";
  return adw_view_stack_get_visible_child_name (self->view_stack);
}

GtkWidget *
ui_window_get_page (UiWindow   *self,
                    const char *name)
{
  g_return_val_if_fail (UI_IS_WINDOW (self), NULL);

  if (g_strcmp0 (name, "tickets") == 0)
    return GTK_WIDGET (self->tickets_page);
  if (g_strcmp0 (name, "sessions") == 0)
    return GTK_WIDGET (ensure_sessions_page (self));
  if (g_strcmp0 (name, "preferences") == 0)
    return GTK_WIDGET (ensure_preferences_page (self));
  if (g_strcmp0 (name, "welcome") == 0)
    return GTK_WIDGET (ensure_welcome_page (self));
  return NULL;
}
