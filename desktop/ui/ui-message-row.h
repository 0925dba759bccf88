/* ui-message-row.h: one entry of a ticket's thread. */
#pragma once

#include <gtk/gtk.h>

#include "engine-message.h"

G_BEGIN_DECLS

#define UI_TYPE_MESSAGE_ROW (ui_message_row_get_type ())
G_DECLARE_FINAL_TYPE (UiMessageRow, ui_message_row, UI, MESSAGE_ROW, GtkWidget)

GtkWidget *ui_message_row_new         (void);
void       ui_message_row_set_message (UiMessageRow  *self,
                                       EngineMessage *message);

G_END_DECLS
