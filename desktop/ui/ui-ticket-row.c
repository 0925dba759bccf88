/* ui-ticket-row.c: shows an EngineTicket; recycled by the list view. */
#define G_LOG_DOMAIN "ui-ticket-row"

#include "desktop-config.h"

#include <glib/gi18n.h>

#include "omni-time.h"

#include "engine-format.h"
#include "ui-ticket-row.h"
#include "ui-util.h"

struct _UiTicketRow
{
  GtkWidget parent_instance;

  GtkImage *priority_icon;
  GtkLabel *subject_label;
  GtkLabel *customer_label;
  GtkLabel *updated_label;
  GtkLabel *status_label;
  char *status_class;
  char *priority_class;
};

G_DEFINE_FINAL_TYPE (UiTicketRow, ui_ticket_row, GTK_TYPE_WIDGET)

static void
swap_class (GtkWidget  *widget,
            char      **current,
            const char *next)
{
  if (*current != NULL)
    gtk_widget_remove_css_class (widget, *current);
  g_free (*current);
  *current = g_strdup (next);
  if (next != NULL)
    gtk_widget_add_css_class (widget, next);
}

static void
ui_ticket_row_dispose (GObject *object)
{
  ui_widget_dispose_template (GTK_WIDGET (object), UI_TYPE_TICKET_ROW);
  G_OBJECT_CLASS (ui_ticket_row_parent_class)->dispose (object);
}

static void
ui_ticket_row_finalize (GObject *object)
{
  UiTicketRow *self = (UiTicketRow *) object;

  g_free (self->status_class);
  g_free (self->priority_class);
  G_OBJECT_CLASS (ui_ticket_row_parent_class)->finalize (object);
}

static void
ui_ticket_row_class_init (UiTicketRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ui_ticket_row_dispose;
  object_class->finalize = ui_ticket_row_finalize;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/omnilive/OmniLive/ui/ticket-row.ui");
  gtk_widget_class_bind_template_child (widget_class, UiTicketRow, priority_icon);
  gtk_widget_class_bind_template_child (widget_class, UiTicketRow, subject_label);
  gtk_widget_class_bind_template_child (widget_class, UiTicketRow, customer_label);
  gtk_widget_class_bind_template_child (widget_class, UiTicketRow, updated_label);
  gtk_widget_class_bind_template_child (widget_class, UiTicketRow, status_label);
}

static void
ui_ticket_row_init (UiTicketRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
ui_ticket_row_new (void)
{
  return g_object_new (UI_TYPE_TICKET_ROW, NULL);
}

void
ui_ticket_row_set_ticket (UiTicketRow  *self,
                          EngineTicket *ticket)
{
  g_autofree char *updated = NULL;
  g_autofree char *status_class = NULL;
  g_autofree char *priority_class = NULL;
  g_autofree char *priority_tip = NULL;
  EngineTicketStatus status;
  EngineTicketPriority priority;

  g_return_if_fail (UI_IS_TICKET_ROW (self));
  g_return_if_fail (ENGINE_IS_TICKET (ticket));

  status = engine_ticket_get_status (ticket);
  priority = engine_ticket_get_priority (ticket);
  updated = engine_format_relative (engine_ticket_get_updated_at (ticket), omni_time_now_ms ());

  gtk_label_set_text (self->subject_label, engine_ticket_get_subject (ticket));
  gtk_label_set_text (self->customer_label, engine_ticket_get_customer_name (ticket));
  gtk_label_set_text (self->updated_label, updated);
  gtk_label_set_text (self->status_label, engine_ticket_status_get_label (status));

  status_class = g_strconcat ("status-", engine_ticket_status_to_string (status), NULL);
  swap_class (GTK_WIDGET (self->status_label), &self->status_class, status_class);
  priority_class = g_strconcat ("priority-", engine_ticket_priority_to_string (priority), NULL);
  swap_class (GTK_WIDGET (self->priority_icon), &self->priority_class, priority_class);
  /* Translators: tooltip of a ticket's priority marker, e.g. "Priority: High" */
  priority_tip = g_strdup_printf (_("Priority: %s"), engine_ticket_priority_get_label (priority));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->priority_icon), priority_tip);
}
