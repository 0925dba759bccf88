/* ui-util.h: small helpers shared by the widgets. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* For dispose() of a GtkWidget subclass built from a template: clears the
 * bound children and unparents every child, named or not. */
void ui_widget_dispose_template (GtkWidget *widget,
                                 GType      widget_type);

G_END_DECLS
