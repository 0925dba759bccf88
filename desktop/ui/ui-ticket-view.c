/* ui-ticket-view.c: loads the ticket's details from the store (async) and
 * reloads them when the store reports a write to this ticket. */
#define G_LOG_DOMAIN "ui-ticket-view"

#include "desktop-config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "engine-escalation.h"
#include "engine-format.h"
#include "ui-application.h"
#include "ui-message-row.h"
#include "ui-ticket-view.h"
#include "ui-util.h"

struct _UiTicketView
{
  GtkWidget parent_instance;

  GtkStack *stack;
  GtkButton *back_button;
  GtkLabel *subject_label;
  GtkLabel *customer_label;
  GtkLabel *email_label;
  GtkDropDown *status_dropdown;
  GtkDropDown *priority_dropdown;
  GtkListBox *sessions_box;
  GtkScrolledWindow *thread_scroller;
  GtkListView *thread_view;
  GtkTextView *composer_view;
  GtkDropDown *kind_dropdown;

  GListStore *thread;
  EngineSessionList *sessions;
  EngineTicket *ticket;
  GCancellable *cancellable;
  gint64 ticket_id;
  gboolean filling;
  gboolean escalating;
};

enum {
  BACK,
  TOAST,
  LOADED,
  ESCALATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (UiTicketView, ui_ticket_view, GTK_TYPE_WIDGET)

static void load (UiTicketView *self);

static void
toast (UiTicketView *self,
       const char   *message)
{
  g_signal_emit (self, signals[TOAST], 0, message);
}

static void
update_actions (UiTicketView *self)
{
  EngineAccount *account = ui_application_get_account (ui_application_get_default ());

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ticket.escalate",
                                 self->ticket != NULL && !self->escalating &&
                                 engine_account_get_state (account) == ENGINE_ACCOUNT_SIGNED_IN);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "ticket.send", self->ticket != NULL);
}

static GtkWidget *
create_session_row (gpointer item,
                    gpointer user_data)
{
  EngineSession *session = item;
  const OmniSession *s = engine_session_get_session (session);
  g_autofree char *when = engine_format_time_range (s->scheduled_start, s->scheduled_end);
  g_autofree char *subtitle = NULL;
  g_autofree char *link = engine_escalation_dup_join_link (session, engine_relay_client_get_base_url (
    ui_application_get_client (ui_application_get_default ())));
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");

  if (s->status == OMNI_SESSION_STATUS_ENDED)
    {
      g_autofree char *analytics = engine_format_analytics (s);
      subtitle = g_strdup_printf ("%s · %s", engine_format_session_status (s->status), analytics);
    }
  else
    subtitle = g_strdup_printf ("%s · %s", engine_format_session_status (s->status), when);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), s->title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("omnilive-video-call-symbolic"));

  gtk_widget_set_valign (copy, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (copy, "flat");
  gtk_widget_set_tooltip_text (copy, _("Copy Join Link"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (copy), "ticket.copy-link");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (copy), "s", link);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), copy);
  return row;
}

static void
on_sessions_updated (UiTicketView *self)
{
  GListModel *model = engine_session_list_get_model (self->sessions);

  gtk_widget_set_visible (GTK_WIDGET (self->sessions_box), g_list_model_get_n_items (model) > 0);
}

static gboolean
scroll_to_end (gpointer user_data)
{
  UiTicketView *self = user_data;
  GtkAdjustment *adj;

  if (self->thread_scroller == NULL)
    return G_SOURCE_REMOVE;
  adj = gtk_scrolled_window_get_vadjustment (self->thread_scroller);
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
  return G_SOURCE_REMOVE;
}

static void
on_details_loaded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(UiTicketView) self = user_data;
  g_autoptr(EngineTicketDetails) details = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *customer = NULL;

  details = engine_ticket_store_load_finish (ENGINE_TICKET_STORE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (details == NULL)
    {
      toast (self, error->message);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  g_set_object (&self->ticket, details->ticket);
  self->filling = TRUE;
  gtk_label_set_text (self->subject_label, engine_ticket_get_subject (details->ticket));
  gtk_label_set_text (self->customer_label, engine_ticket_get_customer_name (details->ticket));
  gtk_label_set_text (self->email_label, engine_ticket_get_customer_email (details->ticket));
  gtk_drop_down_set_selected (self->status_dropdown, engine_ticket_get_status (details->ticket));
  gtk_drop_down_set_selected (self->priority_dropdown, engine_ticket_get_priority (details->ticket));
  self->filling = FALSE;

  g_list_store_splice (self->thread, 0, g_list_model_get_n_items (G_LIST_MODEL (self->thread)),
                       details->messages->pdata, details->messages->len);

  engine_session_list_set_ids (self->sessions, (const char * const *) details->session_ids);
  if (g_strv_length (details->session_ids) > 0 &&
      engine_account_get_state (ui_application_get_account (ui_application_get_default ())) == ENGINE_ACCOUNT_SIGNED_IN)
    engine_session_list_refresh (self->sessions);
  else
    {
      g_list_store_remove_all (G_LIST_STORE (engine_session_list_get_model (self->sessions)));
      on_sessions_updated (self);
    }

  gtk_stack_set_visible_child_name (self->stack, "ticket");
  update_actions (self);
  g_idle_add_full (G_PRIORITY_LOW, scroll_to_end, g_object_ref (self), g_object_unref);
  g_signal_emit (self, signals[LOADED], 0);
}

static void
load (UiTicketView *self)
{
  EngineTicketStore *store = ui_application_get_store (ui_application_get_default ());

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  if (self->ticket_id == 0)
    {
      g_clear_object (&self->ticket);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      update_actions (self);
      return;
    }
  self->cancellable = g_cancellable_new ();
  engine_ticket_store_load_async (store, self->ticket_id, self->cancellable, on_details_loaded, g_object_ref (self));
}

/* Session status and analytics change on the relay: follow the app's
 * periodic refresh. */
static void
on_app_sessions_updated (UiTicketView *self)
{
  GListModel *model = engine_session_list_get_model (self->sessions);

  if (self->ticket != NULL && g_list_model_get_n_items (model) > 0)
    engine_session_list_refresh (self->sessions);
}

static void
on_store_changed (UiTicketView *self,
                  gint64        ticket_id)
{
  if (ticket_id == self->ticket_id || ticket_id == 0)
    load (self);
}

static void
on_change_applied (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(UiTicketView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (engine_ticket_store_apply_finish (ENGINE_TICKET_STORE (source), result, &error) == 0)
    toast (self, error->message);
}

static void
apply_change (UiTicketView       *self,
              EngineTicketChange *change)
{
  EngineAccount *account = ui_application_get_account (ui_application_get_default ());

  change->ticket_id = self->ticket_id;
  if (change->author == NULL)
    change->author = g_strdup (engine_account_get_name (account) ? engine_account_get_name (account) : _("Agent"));
  engine_ticket_store_apply_async (ui_application_get_store (ui_application_get_default ()), change,
                                   NULL, on_change_applied, g_object_ref (self));
}

static void
on_status_selected (UiTicketView *self)
{
  EngineTicketChange *change;

  if (self->filling || self->ticket == NULL)
    return;
  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_SET_STATUS);
  change->status = gtk_drop_down_get_selected (self->status_dropdown);
  apply_change (self, change);
}

static void
on_priority_selected (UiTicketView *self)
{
  EngineTicketChange *change;

  if (self->filling || self->ticket == NULL)
    return;
  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_SET_PRIORITY);
  change->priority = gtk_drop_down_get_selected (self->priority_dropdown);
  apply_change (self, change);
}

static void
on_back_clicked (UiTicketView *self)
{
  g_signal_emit (self, signals[BACK], 0);
}

static void
on_escalated (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(UiTicketView) self = user_data;
  g_autoptr(EngineSession) session = NULL;
  g_autoptr(GError) error = NULL;

  self->escalating = FALSE;
  update_actions (self);

  session = engine_escalate_ticket_finish (result, &error);
  if (session == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Could not schedule the video call: %s"), error->message);
      toast (self, message);
      return;
    }
  else
    {
      g_autofree char *when = engine_format_time (engine_session_get_session (session)->scheduled_start);
      g_autofree char *message = g_strdup_printf (_("Video call scheduled for %s; the customer has the link"), when);
      toast (self, message);
    }
  ui_application_refresh_sessions (ui_application_get_default ());
  g_signal_emit (self, signals[ESCALATED], 0, session);
}

static void
escalate_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  UiTicketView *self = UI_TICKET_VIEW (widget);
  UiApplication *app = ui_application_get_default ();
  EngineAccount *account = ui_application_get_account (app);

  if (self->ticket == NULL || self->escalating)
    return;
  self->escalating = TRUE;
  update_actions (self);
  engine_escalate_ticket_async (ui_application_get_client (app), ui_application_get_store (app), self->ticket,
                                engine_account_get_name (account) ? engine_account_get_name (account) : _("Agent"),
                                NULL, on_escalated, g_object_ref (self));
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  static const EngineMessageKind kinds[] = {
    ENGINE_MESSAGE_AGENT, ENGINE_MESSAGE_NOTE, ENGINE_MESSAGE_CUSTOMER,
  };
  UiTicketView *self = UI_TICKET_VIEW (widget);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer_view);
  g_autofree char *text = NULL;
  GtkTextIter start, end;
  EngineTicketChange *change;
  guint kind;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = g_strstrip (gtk_text_buffer_get_text (buffer, &start, &end, FALSE));
  if (*text == '\0' || self->ticket == NULL)
    return;

  kind = MIN (gtk_drop_down_get_selected (self->kind_dropdown), G_N_ELEMENTS (kinds) - 1);
  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_ADD_MESSAGE);
  change->message_kind = kinds[kind];
  change->body = g_steal_pointer (&text);
  if (kinds[kind] == ENGINE_MESSAGE_CUSTOMER)
    change->author = g_strdup (engine_ticket_get_customer_name (self->ticket));
  apply_change (self, change);
  gtk_text_buffer_set_text (buffer, "", 0);
}

static void
copy_link_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  UiTicketView *self = UI_TICKET_VIEW (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), g_variant_get_string (parameter, NULL));
  toast (self, _("Join link copied"));
}

static void
setup_message (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  gtk_list_item_set_child (item, ui_message_row_new ());
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
}

static void
bind_message (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  ui_message_row_set_message (UI_MESSAGE_ROW (gtk_list_item_get_child (item)),
                              gtk_list_item_get_item (item));
}

static void
ui_ticket_view_dispose (GObject *object)
{
  UiTicketView *self = (UiTicketView *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  ui_widget_dispose_template (GTK_WIDGET (self), UI_TYPE_TICKET_VIEW);
  g_clear_object (&self->thread);
  g_clear_object (&self->sessions);
  g_clear_object (&self->ticket);

  G_OBJECT_CLASS (ui_ticket_view_parent_class)->dispose (object);
}

static void
ui_ticket_view_class_init (UiTicketViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ui_ticket_view_dispose;

  signals[BACK] = g_signal_new ("back", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The ticket's details are shown. */
  signals[LOADED] = g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* Escalation finished: the session exists and the thread has the link. */
  signals[ESCALATED] = g_signal_new ("escalated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_OBJECT);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/omnilive/OmniLive/ui/ticket-view.ui");
  gtk_widget_class_bind_template_child (widget_class, UiTicketView, stack);
  gtk_widget_class_bind_template_child (widget_class, UiTicketView, back_button);
  gtk_widget_class_bind_template_child (widget_class, UiTicketView, subject_label);
  gtk_widget_class_bind_template_child (widget_class, UiTicketView, customer_label);
  gtk_widget_class_bind_template_child (widget_class, UiTicketView, email_label);
  gtk_widget_class_bind_template_child (widget_class, UiTicketView, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, UiTicketView, priority_dropdown);
  gtk_widget_class_bind_template_child (widget_class, UiTicketView, sessions_box);
  gtk_widget_class_bind_template_child (widget_class, UiTicketView, thread_scroller);
  gtk_widget_class_bind_template_child (widget_class, UiTicketView, thread_view);
  gtk_widget_class_bind_template_child (widget_class, UiTicketView, composer_view);
  gtk_widget_class_bind_template_child (widget_class, UiTicketView, kind_dropdown);
  gtk_widget_class_bind_template_callback (widget_class, on_status_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_priority_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);

  gtk_widget_class_install_action (widget_class, "ticket.escalate", NULL, escalate_action);
  gtk_widget_class_install_action (widget_class, "ticket.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "ticket.copy-link", "s", copy_link_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "ticket.send", NULL);
}

static void
ui_ticket_view_init (UiTicketView *self)
{
  UiApplication *app = ui_application_get_default ();
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkNoSelection *selection;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->thread = g_list_store_new (ENGINE_TYPE_MESSAGE);
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->thread)));
  g_signal_connect (factory, "setup", G_CALLBACK (setup_message), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_message), NULL);
  gtk_list_view_set_factory (self->thread_view, factory);
  gtk_list_view_set_model (self->thread_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);

  self->sessions = engine_session_list_new (ui_application_get_client (app), NULL);
  gtk_list_box_bind_model (self->sessions_box, engine_session_list_get_model (self->sessions),
                           create_session_row, NULL, NULL);
  g_signal_connect_object (self->sessions, "updated", G_CALLBACK (on_sessions_updated), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (ui_application_get_upcoming (app), "updated",
                           G_CALLBACK (on_app_sessions_updated), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (ui_application_get_store (app), "changed",
                           G_CALLBACK (on_store_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (ui_application_get_account (app), "notify::state",
                           G_CALLBACK (update_actions), self, G_CONNECT_SWAPPED);
  update_actions (self);
}

void
ui_ticket_view_set_ticket_id (UiTicketView *self,
                              gint64        ticket_id)
{
  g_return_if_fail (UI_IS_TICKET_VIEW (self));

  if (self->ticket_id == ticket_id)
    return;
  self->ticket_id = ticket_id;
  load (self);
}

gint64
ui_ticket_view_get_ticket_id (UiTicketView *self)
{
  g_return_val_if_fail (UI_IS_TICKET_VIEW (self), 0);
  return self->ticket_id;
}

void
ui_ticket_view_set_show_back (UiTicketView *self,
                              gboolean      show_back)
{
  g_return_if_fail (UI_IS_TICKET_VIEW (self));
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), show_back);
}

GListModel *
ui_ticket_view_get_thread (UiTicketView *self)
{
  g_return_val_if_fail (UI_IS_TICKET_VIEW (self), NULL);
  return G_LIST_MODEL (self->thread);
}

GListModel *
ui_ticket_view_get_sessions (UiTicketView *self)
{
  g_return_val_if_fail (UI_IS_TICKET_VIEW (self), NULL);
  return engine_session_list_get_model (self->sessions);
}
