/* ui-session-row.h: a session card: when, type, status, invitees with their
 * mail state, analytics once ended, and the session's actions. */
#pragma once

#include <gtk/gtk.h>

#include "engine-session.h"

G_BEGIN_DECLS

#define UI_TYPE_SESSION_ROW (ui_session_row_get_type ())
G_DECLARE_FINAL_TYPE (UiSessionRow, ui_session_row, UI, SESSION_ROW, GtkWidget)

GtkWidget *ui_session_row_new         (void);
/* now_ms decides whether Start is available yet. */
void       ui_session_row_set_session (UiSessionRow  *self,
                                       EngineSession *session,
                                       gint64         now_ms);

G_END_DECLS
