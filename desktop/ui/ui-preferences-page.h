/* ui-preferences-page.h: Preferences: relay account (URL, token, sign in and
 * out), reminders, where the ticket database lives. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define UI_TYPE_PREFERENCES_PAGE (ui_preferences_page_get_type ())
G_DECLARE_FINAL_TYPE (UiPreferencesPage, ui_preferences_page, UI, PREFERENCES_PAGE, GtkWidget)

G_END_DECLS
