/* ui-sessions-page.h: the Live Sessions section: sign-in states, upcoming
 * sessions with their actions, past sessions with their analytics. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define UI_TYPE_SESSIONS_PAGE (ui_sessions_page_get_type ())
G_DECLARE_FINAL_TYPE (UiSessionsPage, ui_sessions_page, UI, SESSIONS_PAGE, GtkWidget)

/* "signed-out", "connecting", "unreachable", "refused" or "sessions". */
const char *ui_sessions_page_get_state (UiSessionsPage *self);
/* "upcoming" or "past" */
void        ui_sessions_page_show_list (UiSessionsPage *self,
                                        const char     *name);

G_END_DECLS
