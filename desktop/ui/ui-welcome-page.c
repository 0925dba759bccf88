/* ui-welcome-page.c: hands URL and token to the EngineAccount; the window
 * leaves this page once the account is signed in. */
#define G_LOG_DOMAIN "ui-welcome-page"

#include "desktop-config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "ui-application.h"
#include "ui-welcome-page.h"
#include "ui-util.h"

struct _UiWelcomePage
{
  GtkWidget parent_instance;

  AdwEntryRow *url_row;
  AdwPasswordEntryRow *token_row;
  GtkLabel *error_label;
};

enum {
  DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (UiWelcomePage, ui_welcome_page, GTK_TYPE_WIDGET)

static void
on_account_state (UiWelcomePage *self)
{
  EngineAccount *account = ui_application_get_account (ui_application_get_default ());
  EngineAccountState state = engine_account_get_state (account);
  const char *error = engine_account_get_error (account);

  if (state == ENGINE_ACCOUNT_UNREACHABLE || state == ENGINE_ACCOUNT_REFUSED)
    {
      g_autofree char *text = g_strdup_printf (state == ENGINE_ACCOUNT_REFUSED
                                                 ? _("The relay refused the token: %s")
                                                 : _("The relay could not be reached: %s"),
                                               error ? error : "");
      gtk_label_set_text (self->error_label, text);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
}

static void
sign_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  UiWelcomePage *self = UI_WELCOME_PAGE (widget);
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->url_row))));
  g_autofree char *token = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->token_row))));

  g_autoptr(GError) error = NULL;

  if (!engine_account_check_input (url, token, &error))
    {
      gtk_label_set_text (self->error_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
      return;
    }
  engine_account_sign_in (ui_application_get_account (ui_application_get_default ()), url, token, TRUE);
}

static void
skip_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  g_signal_emit (widget, signals[DONE], 0);
}

static void
on_token_activated (UiWelcomePage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "welcome.sign-in", NULL);
}

static void
ui_welcome_page_dispose (GObject *object)
{
  ui_widget_dispose_template (GTK_WIDGET (object), UI_TYPE_WELCOME_PAGE);
  G_OBJECT_CLASS (ui_welcome_page_parent_class)->dispose (object);
}

static void
ui_welcome_page_class_init (UiWelcomePageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ui_welcome_page_dispose;

  /* The user chose to continue without a relay. */
  signals[DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/omnilive/OmniLive/ui/welcome-page.ui");
  gtk_widget_class_bind_template_child (widget_class, UiWelcomePage, url_row);
  gtk_widget_class_bind_template_child (widget_class, UiWelcomePage, token_row);
  gtk_widget_class_bind_template_child (widget_class, UiWelcomePage, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_token_activated);

  gtk_widget_class_install_action (widget_class, "welcome.sign-in", NULL, sign_in_action);
  gtk_widget_class_install_action (widget_class, "welcome.skip", NULL, skip_action);
}

static void
ui_welcome_page_init (UiWelcomePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_object (ui_application_get_account (ui_application_get_default ()), "notify::state",
                           G_CALLBACK (on_account_state), self, G_CONNECT_SWAPPED);
}
