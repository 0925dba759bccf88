/* ui-window.h: the main window: Tickets, Live Sessions and Preferences in an
 * adaptive view switcher, a first-run sign-in page, and the toast overlay. */
#pragma once

#include <adwaita.h>

#include "ui-application.h"

G_BEGIN_DECLS

#define UI_TYPE_WINDOW (ui_window_get_type ())
G_DECLARE_FINAL_TYPE (UiWindow, ui_window, UI, WINDOW, AdwApplicationWindow)

UiWindow   *ui_window_new             (UiApplication *application);
void        ui_window_add_toast       (UiWindow      *self,
                                       const char    *title);
/* "tickets", "sessions" or "preferences" (also leaves the first-run page). */
void        ui_window_show_page       (UiWindow      *self,
                                       const char    *name);
const char *ui_window_get_visible_page (UiWindow     *self);
/* The widget of a page, for tests: "tickets", "sessions", "preferences", "welcome". */
GtkWidget  *ui_window_get_page        (UiWindow      *self,
                                       const char    *name);

G_END_DECLS
