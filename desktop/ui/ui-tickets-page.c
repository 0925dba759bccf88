/* ui-tickets-page.c: maps filter widgets onto the EngineTicketList and the
 * list selection onto the ticket view, which is built when a ticket is
 * first opened (start-up draws only the list and the "No Ticket Selected"
 * status page). */
#define G_LOG_DOMAIN "ui-tickets-page"

#include "desktop-config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "ui-application.h"
#include "ui-ticket-row.h"
#include "ui-tickets-page.h"
#include "ui-util.h"

struct _UiTicketsPage
{
  GtkWidget parent_instance;

  AdwLeaflet *leaflet;
  GtkSearchBar *search_bar;
  GtkSearchEntry *search_entry;
  GtkDropDown *status_filter;
  GtkDropDown *priority_filter;
  GtkDropDown *sort_dropdown;
  GtkStack *list_stack;
  GtkListView *list_view;
  AdwStatusPage *empty_page;
  AdwStatusPage *error_page;
  AdwBin *view_bin;
  UiTicketView *ticket_view;

  GtkSingleSelection *selection;
};

enum {
  TOAST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (UiTicketsPage, ui_tickets_page, GTK_TYPE_WIDGET)

static void
on_view_back (UiTicketsPage *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
on_view_toast (UiTicketsPage *self,
               const char    *message)
{
  g_signal_emit (self, signals[TOAST], 0, message);
}

static UiTicketView *
ensure_ticket_view (UiTicketsPage *self)
{
  if (self->ticket_view == NULL)
    {
      self->ticket_view = g_object_new (UI_TYPE_TICKET_VIEW, "hexpand", TRUE, NULL);
      ui_ticket_view_set_show_back (self->ticket_view, adw_leaflet_get_folded (self->leaflet));
      g_signal_connect_object (self->ticket_view, "back", G_CALLBACK (on_view_back), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->ticket_view, "toast", G_CALLBACK (on_view_toast), self, G_CONNECT_SWAPPED);
      adw_bin_set_child (self->view_bin, GTK_WIDGET (self->ticket_view));
    }
  return self->ticket_view;
}

/* A refresh replaces the model's items; keep the shown ticket selected. */
static void
reselect_current (UiTicketsPage *self)
{
  GListModel *model = G_LIST_MODEL (self->selection);
  gint64 current = self->ticket_view ? ui_ticket_view_get_ticket_id (self->ticket_view) : 0;
  guint n = g_list_model_get_n_items (model);

  if (current == 0)
    return;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EngineTicket) ticket = g_list_model_get_item (model, i);
      if (engine_ticket_get_id (ticket) == current)
        {
          if (gtk_single_selection_get_selected (self->selection) != i)
            gtk_single_selection_set_selected (self->selection, i);
          return;
        }
    }
}

/* The status pages get their icon when first shown: GTK loads an image's
 * icon even on a hidden stack page, and start-up usually needs neither. */
static void
show_status_page (UiTicketsPage *self,
                  AdwStatusPage *page,
                  const char    *icon_name)
{
  if (adw_status_page_get_icon_name (page) == NULL)
    adw_status_page_set_icon_name (page, icon_name);
  gtk_stack_set_visible_child (self->list_stack, GTK_WIDGET (page));
}

static void
update_list_page (UiTicketsPage *self)
{
  UiApplication *app = ui_application_get_default ();
  EngineTicketList *tickets = ui_application_get_tickets (app);
  const GError *store_error = ui_application_get_store_error (app);
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "tickets.reset-database", store_error != NULL);

  if (store_error != NULL)
    {
      adw_status_page_set_description (self->error_page, store_error->message);
      show_status_page (self, self->error_page, "dialog-warning-symbolic");
    }
  else if (!ui_application_get_store_ready (app))
    gtk_stack_set_visible_child_name (self->list_stack, "loading");
  else if (engine_ticket_list_get_error (tickets) != NULL)
    {
      adw_status_page_set_title (self->empty_page, _("Tickets Could Not Be Read"));
      adw_status_page_set_description (self->empty_page, engine_ticket_list_get_error (tickets));
      show_status_page (self, self->empty_page, "omnilive-ticket-symbolic");
    }
  else if (g_list_model_get_n_items (engine_ticket_list_get_model (tickets)) == 0)
    {
      gboolean filtered = *search != '\0' || gtk_drop_down_get_selected (self->status_filter) != 0 ||
                          gtk_drop_down_get_selected (self->priority_filter) != 0;

      adw_status_page_set_title (self->empty_page, filtered ? _("No Matching Tickets") : _("No Tickets"));
      adw_status_page_set_description (self->empty_page,
                                       filtered ? _("Try other words or filters")
                                                : _("Create a ticket with Ctrl+N"));
      show_status_page (self, self->empty_page, "omnilive-ticket-symbolic");
    }
  else
    gtk_stack_set_visible_child_name (self->list_stack, "list");
}

static void
on_tickets_updated (UiTicketsPage *self)
{
  update_list_page (self);
  reselect_current (self);
}

static void
on_search_changed (UiTicketsPage *self)
{
  engine_ticket_list_set_search (ui_application_get_tickets (ui_application_get_default ()),
                                 gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
}

static void
on_search_activate (UiTicketsPage *self)
{
  if (g_list_model_get_n_items (G_LIST_MODEL (self->selection)) > 0)
    {
      gtk_single_selection_set_selected (self->selection, 0);
      gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
    }
}

static void
on_filter_changed (UiTicketsPage *self)
{
  UiApplication *app = ui_application_get_default ();
  EngineTicketList *tickets = ui_application_get_tickets (app);
  guint sort = gtk_drop_down_get_selected (self->sort_dropdown);

  engine_ticket_list_set_status (tickets, (int) gtk_drop_down_get_selected (self->status_filter) - 1);
  engine_ticket_list_set_priority (tickets, (int) gtk_drop_down_get_selected (self->priority_filter) - 1);
  engine_ticket_list_set_sort (tickets, sort);
  if ((guint) g_settings_get_enum (ui_application_get_settings (app), "ticket-sort") != sort)
    g_settings_set_enum (ui_application_get_settings (app), "ticket-sort", sort);
}

static void
show_selected (UiTicketsPage *self,
               gboolean       navigate)
{
  EngineTicket *ticket = gtk_single_selection_get_selected_item (self->selection);

  if (ticket == NULL)
    return;
  ui_ticket_view_set_ticket_id (ensure_ticket_view (self), engine_ticket_get_id (ticket));
  if (navigate)
    adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
}

static void
on_selection_changed (UiTicketsPage *self)
{
  show_selected (self, FALSE);
}

static void
on_list_activate (UiTicketsPage *self,
                  guint          position)
{
  gtk_single_selection_set_selected (self->selection, position);
  show_selected (self, TRUE);
}

static void
on_folded (UiTicketsPage *self)
{
  if (self->ticket_view != NULL)
    ui_ticket_view_set_show_back (self->ticket_view, adw_leaflet_get_folded (self->leaflet));
}

static void
on_reset_response (UiTicketsPage *self,
                   const char    *response)
{
  if (g_strcmp0 (response, "reset") == 0)
    ui_application_reset_store (ui_application_get_default ());
}

static void
reset_database_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  UiTicketsPage *self = UI_TICKETS_PAGE (widget);
  EngineTicketStore *store = ui_application_get_store (ui_application_get_default ());
  const char *backup = engine_ticket_store_get_backup_path (store);
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                   _("Start a New Ticket Database?"), NULL);
  if (backup != NULL)
    adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                    _("The unreadable database stays saved as %s. The ticket list starts empty."),
                                    backup);
  else
    adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
                                 _("The unreadable database will be kept as a backup copy. The ticket list starts empty."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "reset", _("_Start New Database"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "reset", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_reset_response), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  gtk_list_item_set_child (item, ui_ticket_row_new ());
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          gpointer                  user_data)
{
  ui_ticket_row_set_ticket (UI_TICKET_ROW (gtk_list_item_get_child (item)), gtk_list_item_get_item (item));
}

static void
ui_tickets_page_dispose (GObject *object)
{
  UiTicketsPage *self = (UiTicketsPage *) object;

  ui_widget_dispose_template (GTK_WIDGET (self), UI_TYPE_TICKETS_PAGE);
  self->ticket_view = NULL;
  g_clear_object (&self->selection);

  G_OBJECT_CLASS (ui_tickets_page_parent_class)->dispose (object);
}

static void
ui_tickets_page_class_init (UiTicketsPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ui_tickets_page_dispose;

  signals[TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/omnilive/OmniLive/ui/tickets-page.ui");
  gtk_widget_class_bind_template_child (widget_class, UiTicketsPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, UiTicketsPage, search_bar);
  gtk_widget_class_bind_template_child (widget_class, UiTicketsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, UiTicketsPage, status_filter);
  gtk_widget_class_bind_template_child (widget_class, UiTicketsPage, priority_filter);
  gtk_widget_class_bind_template_child (widget_class, UiTicketsPage, sort_dropdown);
  gtk_widget_class_bind_template_child (widget_class, UiTicketsPage, list_stack);
  gtk_widget_class_bind_template_child (widget_class, UiTicketsPage, list_view);
  gtk_widget_class_bind_template_child (widget_class, UiTicketsPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, UiTicketsPage, error_page);
  gtk_widget_class_bind_template_child (widget_class, UiTicketsPage, view_bin);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_list_activate);

  gtk_widget_class_install_action (widget_class, "tickets.reset-database", NULL, reset_database_action);
}

static void
ui_tickets_page_init (UiTicketsPage *self)
{
  UiApplication *app = ui_application_get_default ();
  EngineTicketList *tickets = ui_application_get_tickets (app);
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_drop_down_set_selected (self->sort_dropdown,
                              g_settings_get_enum (ui_application_get_settings (app), "ticket-sort"));

  self->selection = gtk_single_selection_new (g_object_ref (engine_ticket_list_get_model (tickets)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect_object (self->selection, "notify::selected", G_CALLBACK (on_selection_changed),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_object (tickets, "updated", G_CALLBACK (on_tickets_updated), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (app, "store-state-changed", G_CALLBACK (update_list_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->leaflet, "notify::folded", G_CALLBACK (on_folded), self, G_CONNECT_SWAPPED);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  on_folded (self);
  update_list_page (self);
}

void
ui_tickets_page_start_search (UiTicketsPage *self)
{
  g_return_if_fail (UI_IS_TICKETS_PAGE (self));

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

void
ui_tickets_page_select_ticket (UiTicketsPage *self,
                               gint64         ticket_id)
{
  GListModel *model;

  g_return_if_fail (UI_IS_TICKETS_PAGE (self));

  ui_ticket_view_set_ticket_id (ensure_ticket_view (self), ticket_id);
  model = G_LIST_MODEL (self->selection);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(EngineTicket) ticket = g_list_model_get_item (model, i);
      if (engine_ticket_get_id (ticket) == ticket_id)
        {
          gtk_single_selection_set_selected (self->selection, i);
          break;
        }
    }
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
}

UiTicketView *
ui_tickets_page_get_view (UiTicketsPage *self)
{
  g_return_val_if_fail (UI_IS_TICKETS_PAGE (self), NULL);
  return ensure_ticket_view (self);
}

GtkListView *
ui_tickets_page_get_list_view (UiTicketsPage *self)
{
  g_return_val_if_fail (UI_IS_TICKETS_PAGE (self), NULL);
  return self->list_view;
}
