/* ui-tickets-page.h: the Tickets section: filters, search, the list and the
 * ticket view side by side (stacked when narrow). */
#pragma once

#include <gtk/gtk.h>

#include "ui-ticket-view.h"

G_BEGIN_DECLS

#define UI_TYPE_TICKETS_PAGE (ui_tickets_page_get_type ())
G_DECLARE_FINAL_TYPE (UiTicketsPage, ui_tickets_page, UI, TICKETS_PAGE, GtkWidget)

void          ui_tickets_page_start_search   (UiTicketsPage *self);
/* Shows the ticket (e.g. just created) in the view. */
void          ui_tickets_page_select_ticket  (UiTicketsPage *self,
                                              gint64         ticket_id);
UiTicketView *ui_tickets_page_get_view       (UiTicketsPage *self);
GtkListView  *ui_tickets_page_get_list_view  (UiTicketsPage *self);

G_END_DECLS
