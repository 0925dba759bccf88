/* ui-new-ticket-dialog.c: "Create" is enabled once the subject, name and a
 * valid address are there; the write runs on the store's worker. */
#define G_LOG_DOMAIN "ui-new-ticket-dialog"

#include "desktop-config.h"

#include <glib/gi18n.h>

#include "omni-email.h"

#include "ui-application.h"
#include "ui-new-ticket-dialog.h"

struct _UiNewTicketDialog
{
  AdwMessageDialog parent_instance;

  AdwEntryRow *subject_row;
  AdwEntryRow *name_row;
  AdwEntryRow *email_row;
  AdwComboRow *priority_row;
  GtkTextView *message_view;
};

enum {
  CREATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (UiNewTicketDialog, ui_new_ticket_dialog, ADW_TYPE_MESSAGE_DIALOG)

static const char *
row_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
on_changed (UiNewTicketDialog *self)
{
  g_autofree char *email = g_strstrip (g_strdup (row_text (self->email_row)));
  gboolean email_ok = omni_email_is_valid (email);

  if (*email != '\0' && !email_ok)
    gtk_widget_add_css_class (GTK_WIDGET (self->email_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->email_row), "error");

  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "create",
                                           email_ok && *row_text (self->subject_row) != '\0' &&
                                           *row_text (self->name_row) != '\0');
}

static void
on_created (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(UiNewTicketDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  gint64 id;

  id = engine_ticket_store_apply_finish (ENGINE_TICKET_STORE (source), result, &error);
  if (id == 0)
    g_warning ("Ticket not created: %s", error->message);
  else
    g_signal_emit (self, signals[CREATED], 0, id);
}

static void
ui_new_ticket_dialog_response (AdwMessageDialog *dialog,
                               const char       *response)
{
  UiNewTicketDialog *self = UI_NEW_TICKET_DIALOG (dialog);
  EngineTicketChange *change;
  GtkTextBuffer *buffer;
  GtkTextIter start, end;

  if (g_strcmp0 (response, "create") == 0)
    {
      buffer = gtk_text_view_get_buffer (self->message_view);
      gtk_text_buffer_get_bounds (buffer, &start, &end);

      change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_CREATE);
      change->subject = g_strstrip (g_strdup (row_text (self->subject_row)));
      change->customer_name = g_strstrip (g_strdup (row_text (self->name_row)));
      change->customer_email = g_strstrip (g_strdup (row_text (self->email_row)));
      change->priority = MIN (adw_combo_row_get_selected (self->priority_row), ENGINE_TICKET_N_PRIORITIES - 1);
      change->body = g_strstrip (gtk_text_buffer_get_text (buffer, &start, &end, FALSE));
      engine_ticket_store_apply_async (ui_application_get_store (ui_application_get_default ()), change,
                                       NULL, on_created, g_object_ref (self));
    }

  /* libadwaita 1.2 has no default handler (it closes the dialog itself). */
  if (ADW_MESSAGE_DIALOG_CLASS (ui_new_ticket_dialog_parent_class)->response != NULL)
    ADW_MESSAGE_DIALOG_CLASS (ui_new_ticket_dialog_parent_class)->response (dialog, response);
}

static void
ui_new_ticket_dialog_class_init (UiNewTicketDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  ADW_MESSAGE_DIALOG_CLASS (klass)->response = ui_new_ticket_dialog_response;

  /* The ticket exists in the store; the argument is its id. */
  signals[CREATED] = g_signal_new ("created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/omnilive/OmniLive/ui/new-ticket-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, UiNewTicketDialog, subject_row);
  gtk_widget_class_bind_template_child (widget_class, UiNewTicketDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, UiNewTicketDialog, email_row);
  gtk_widget_class_bind_template_child (widget_class, UiNewTicketDialog, priority_row);
  gtk_widget_class_bind_template_child (widget_class, UiNewTicketDialog, message_view);
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
}

static void
ui_new_ticket_dialog_init (UiNewTicketDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

UiNewTicketDialog *
ui_new_ticket_dialog_new (GtkWindow *parent)
{
  return g_object_new (UI_TYPE_NEW_TICKET_DIALOG,
                       "transient-for", parent,
                       "application", gtk_window_get_application (parent),
                       "modal", TRUE,
                       NULL);
}
