/* ui-new-ticket-dialog.h: asks for subject, customer and first message and
 * creates the ticket; emits "created" with its id. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define UI_TYPE_NEW_TICKET_DIALOG (ui_new_ticket_dialog_get_type ())
G_DECLARE_FINAL_TYPE (UiNewTicketDialog, ui_new_ticket_dialog, UI, NEW_TICKET_DIALOG, AdwMessageDialog)

UiNewTicketDialog *ui_new_ticket_dialog_new (GtkWindow *parent);

G_END_DECLS
