/* ui-ticket-view.h: one ticket: customer, status, priority, its sessions,
 * its thread and a composer; "Escalate to Video Call". */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define UI_TYPE_TICKET_VIEW (ui_ticket_view_get_type ())
G_DECLARE_FINAL_TYPE (UiTicketView, ui_ticket_view, UI, TICKET_VIEW, GtkWidget)

/* 0 shows the "no ticket selected" page. */
void        ui_ticket_view_set_ticket_id (UiTicketView *self,
                                          gint64        ticket_id);
gint64      ui_ticket_view_get_ticket_id (UiTicketView *self);
void        ui_ticket_view_set_show_back (UiTicketView *self,
                                          gboolean      show_back);
/* The thread and the ticket's sessions, for tests. */
GListModel *ui_ticket_view_get_thread    (UiTicketView *self);
GListModel *ui_ticket_view_get_sessions  (UiTicketView *self);

G_END_DECLS
