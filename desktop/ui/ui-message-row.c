/* ui-message-row.c: styles the entry by kind (customer, agent, note, event). */
#define G_LOG_DOMAIN "ui-message-row"

#include "desktop-config.h"

#include <glib/gi18n.h>

#include "omni-time.h"

#include "engine-format.h"
#include "ui-message-row.h"
#include "ui-util.h"

struct _UiMessageRow
{
  GtkWidget parent_instance;

  GtkBox *bubble;
  GtkLabel *header_label;
  GtkLabel *body_label;
  const char *kind_class;
};

G_DEFINE_FINAL_TYPE (UiMessageRow, ui_message_row, GTK_TYPE_WIDGET)

static const char *
kind_label (EngineMessageKind kind)
{
  switch (kind)
    {
    case ENGINE_MESSAGE_CUSTOMER: return _("Customer");
    case ENGINE_MESSAGE_AGENT:    return _("Agent");
    case ENGINE_MESSAGE_NOTE:     return _("Internal note");
    case ENGINE_MESSAGE_EVENT:    return _("Change");
    case ENGINE_MESSAGE_N_KINDS:
    default:                      return "";
    }
}

static void
ui_message_row_dispose (GObject *object)
{
  ui_widget_dispose_template (GTK_WIDGET (object), UI_TYPE_MESSAGE_ROW);
  G_OBJECT_CLASS (ui_message_row_parent_class)->dispose (object);
}

static void
ui_message_row_class_init (UiMessageRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ui_message_row_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/omnilive/OmniLive/ui/message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, UiMessageRow, bubble);
  gtk_widget_class_bind_template_child (widget_class, UiMessageRow, header_label);
  gtk_widget_class_bind_template_child (widget_class, UiMessageRow, body_label);
}

static void
ui_message_row_init (UiMessageRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
ui_message_row_new (void)
{
  return g_object_new (UI_TYPE_MESSAGE_ROW, NULL);
}

void
ui_message_row_set_message (UiMessageRow  *self,
                            EngineMessage *message)
{
  static const char * const classes[ENGINE_MESSAGE_N_KINDS] = {
    "message-customer", "message-agent", "message-note", "message-event",
  };
  g_autofree char *when = NULL;
  g_autofree char *header = NULL;
  g_autofree char *text = NULL;
  EngineMessageKind kind;
  const char *author;

  g_return_if_fail (UI_IS_MESSAGE_ROW (self));
  g_return_if_fail (ENGINE_IS_MESSAGE (message));

  kind = engine_message_get_kind (message);
  author = engine_message_get_author (message);
  when = engine_format_relative (engine_message_get_created_at (message), omni_time_now_ms ());
  if (author != NULL && *author != '\0')
    /* Translators: thread entry header: author · kind · time */
    header = g_strdup_printf (_("%s · %s · %s"), author, kind_label (kind), when);
  else
    header = g_strdup_printf ("%s · %s", kind_label (kind), when);
  text = engine_message_dup_display_text (message);

  gtk_label_set_text (self->header_label, header);
  gtk_label_set_text (self->body_label, text);

  if (self->kind_class != NULL)
    gtk_widget_remove_css_class (GTK_WIDGET (self->bubble), self->kind_class);
  self->kind_class = classes[kind];
  gtk_widget_add_css_class (GTK_WIDGET (self->bubble), self->kind_class);
}
