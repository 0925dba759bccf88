/* ui-ticket-row.h: one row of the ticket list (subject, customer, status,
 * priority, last activity). */
#pragma once

#include <gtk/gtk.h>

#include "engine-ticket.h"

G_BEGIN_DECLS

#define UI_TYPE_TICKET_ROW (ui_ticket_row_get_type ())
G_DECLARE_FINAL_TYPE (UiTicketRow, ui_ticket_row, UI, TICKET_ROW, GtkWidget)

GtkWidget *ui_ticket_row_new        (void);
void       ui_ticket_row_set_ticket (UiTicketRow  *self,
                                     EngineTicket *ticket);

G_END_DECLS
