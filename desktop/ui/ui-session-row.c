/* ui-session-row.c: the buttons activate the page's sessions.* actions with
 * the session id, so the row holds no logic of its own. */
#define G_LOG_DOMAIN "ui-session-row"

#include "desktop-config.h"

#include <glib/gi18n.h>

#include "engine-format.h"
#include "ui-session-row.h"
#include "ui-util.h"

struct _UiSessionRow
{
  GtkWidget parent_instance;

  GtkLabel *title_label;
  GtkLabel *when_label;
  GtkLabel *meta_label;
  GtkLabel *invitees_label;
  GtkLabel *analytics_label;
  GtkWidget *actions_box;
  GtkWidget *start_button;
  GtkWidget *copy_button;
  GtkWidget *edit_button;
  GtkWidget *resend_button;
  GtkWidget *cancel_button;

  char *session_id;
};

G_DEFINE_FINAL_TYPE (UiSessionRow, ui_session_row, GTK_TYPE_WIDGET)

static const char *
mail_state_label (const char *state)
{
  if (g_strcmp0 (state, "queued") == 0)
    return _("e-mail queued");
  if (g_strcmp0 (state, "sending") == 0)
    return _("e-mail being sent");
  if (g_strcmp0 (state, "sent") == 0)
    return _("e-mail sent");
  if (g_strcmp0 (state, "failed") == 0)
    return _("e-mail failed");
  return state;
}

/* The flow box wraps each button in a GtkFlowBoxChild: hide that, or the
 * empty slot keeps its place. */
static void
set_action_visible (GtkWidget *button,
                    gboolean   visible)
{
  gtk_widget_set_visible (gtk_widget_get_parent (button), visible);
}

static void
activate (UiSessionRow *self,
          const char   *action)
{
  if (self->session_id != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), action, "s", self->session_id);
}

static void
on_start_clicked (UiSessionRow *self)
{
  activate (self, "sessions.start");
}

static void
on_copy_clicked (UiSessionRow *self)
{
  activate (self, "sessions.copy-link");
}

static void
on_edit_clicked (UiSessionRow *self)
{
  activate (self, "sessions.edit");
}

static void
on_resend_clicked (UiSessionRow *self)
{
  activate (self, "sessions.resend");
}

static void
on_cancel_clicked (UiSessionRow *self)
{
  activate (self, "sessions.cancel");
}

static void
ui_session_row_dispose (GObject *object)
{
  ui_widget_dispose_template (GTK_WIDGET (object), UI_TYPE_SESSION_ROW);
  G_OBJECT_CLASS (ui_session_row_parent_class)->dispose (object);
}

static void
ui_session_row_finalize (GObject *object)
{
  g_free (UI_SESSION_ROW (object)->session_id);
  G_OBJECT_CLASS (ui_session_row_parent_class)->finalize (object);
}

static void
ui_session_row_class_init (UiSessionRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ui_session_row_dispose;
  object_class->finalize = ui_session_row_finalize;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/omnilive/OmniLive/ui/session-row.ui");
  gtk_widget_class_bind_template_child (widget_class, UiSessionRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, UiSessionRow, when_label);
  gtk_widget_class_bind_template_child (widget_class, UiSessionRow, meta_label);
  gtk_widget_class_bind_template_child (widget_class, UiSessionRow, invitees_label);
  gtk_widget_class_bind_template_child (widget_class, UiSessionRow, analytics_label);
  gtk_widget_class_bind_template_child (widget_class, UiSessionRow, actions_box);
  gtk_widget_class_bind_template_child (widget_class, UiSessionRow, start_button);
  gtk_widget_class_bind_template_child (widget_class, UiSessionRow, copy_button);
  gtk_widget_class_bind_template_child (widget_class, UiSessionRow, edit_button);
  gtk_widget_class_bind_template_child (widget_class, UiSessionRow, resend_button);
  gtk_widget_class_bind_template_child (widget_class, UiSessionRow, cancel_button);
  gtk_widget_class_bind_template_callback (widget_class, on_start_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_edit_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_resend_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
}

static void
ui_session_row_init (UiSessionRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
ui_session_row_new (void)
{
  return g_object_new (UI_TYPE_SESSION_ROW, NULL);
}

void
ui_session_row_set_session (UiSessionRow  *self,
                            EngineSession *session,
                            gint64         now_ms)
{
  const OmniSession *s;
  g_autofree char *when = NULL;
  g_autofree char *meta = NULL;
  g_autoptr(GString) invitees = g_string_new (NULL);
  gboolean scheduled, can_start;

  g_return_if_fail (UI_IS_SESSION_ROW (self));
  g_return_if_fail (ENGINE_IS_SESSION (session));

  s = engine_session_get_session (session);
  g_free (self->session_id);
  self->session_id = g_strdup (s->id);

  /* Ended sessions show when they really ran. */
  if (s->actual_start != 0 && s->actual_end != 0)
    when = engine_format_time_range (s->actual_start, s->actual_end);
  else
    when = engine_format_time_range (s->scheduled_start, s->scheduled_end);
  meta = g_strdup_printf ("%s · %s%s%s",
                          engine_format_session_type (s->type),
                          engine_format_session_status (s->status),
                          s->series_count > 1 ? " · " : "",
                          s->series_count > 1 ? _("weekly series") : "");
  gtk_label_set_text (self->title_label, s->title);
  gtk_label_set_text (self->when_label, when);
  gtk_label_set_text (self->meta_label, meta);

  for (guint i = 0; s->participants != NULL && i < s->participants->len; i++)
    {
      OmniParticipant *p = g_ptr_array_index (s->participants, i);
      const char *mail = engine_session_get_mail_state (session, i);
      const char *mail_error = engine_session_get_mail_error (session, i);

      if (!p->invited)
        continue;
      if (invitees->len > 0)
        g_string_append_c (invitees, '\n');
      g_string_append_printf (invitees, "%s <%s>", p->name ? p->name : "", p->email ? p->email : "");
      if (mail != NULL)
        g_string_append_printf (invitees, " — %s", mail_state_label (mail));
      if (mail_error != NULL && *mail_error != '\0')
        g_string_append_printf (invitees, " (%s)", mail_error);
    }
  gtk_label_set_text (self->invitees_label, invitees->len > 0 ? invitees->str : _("No invitees"));

  gtk_widget_set_visible (GTK_WIDGET (self->analytics_label), s->status == OMNI_SESSION_STATUS_ENDED);
  if (s->status == OMNI_SESSION_STATUS_ENDED)
    {
      g_autofree char *analytics = engine_format_analytics (s);
      gtk_label_set_text (self->analytics_label, analytics);
    }

  scheduled = s->status == OMNI_SESSION_STATUS_SCHEDULED;
  can_start = engine_session_can_start (session, now_ms);
  set_action_visible (self->start_button, scheduled);
  set_action_visible (self->edit_button, scheduled);
  set_action_visible (self->resend_button, scheduled || s->status == OMNI_SESSION_STATUS_LIVE);
  set_action_visible (self->cancel_button, scheduled);
  set_action_visible (self->copy_button, s->status != OMNI_SESSION_STATUS_CANCELLED);
  gtk_widget_set_sensitive (self->start_button, can_start);
  if (can_start)
    gtk_widget_set_tooltip_text (self->start_button, _("Start the session now"));
  else if (scheduled)
    {
      g_autofree char *from = engine_format_date_time (s->scheduled_start - OMNI_SESSION_EARLY_START_MS);
      g_autofree char *tip = g_strdup_printf (_("Can be started from %s (15 minutes before)"), from);
      gtk_widget_set_tooltip_text (self->start_button, tip);
    }
}
