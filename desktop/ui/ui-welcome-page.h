/* ui-welcome-page.h: the first-run page: relay URL and host token, or carry
 * on offline with tickets only. Emits "done" when skipped. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define UI_TYPE_WELCOME_PAGE (ui_welcome_page_get_type ())
G_DECLARE_FINAL_TYPE (UiWelcomePage, ui_welcome_page, UI, WELCOME_PAGE, GtkWidget)

G_END_DECLS
