/* ui-util.c: helpers shared by the widgets. */
#define G_LOG_DOMAIN "ui-util"

#include "ui-util.h"

void
ui_widget_dispose_template (GtkWidget *widget,
                            GType      widget_type)
{
  GtkWidget *child;

  /* GTK 4.8 only unparents children that have an id in the template. */
  gtk_widget_dispose_template (widget, widget_type);
  while ((child = gtk_widget_get_first_child (widget)) != NULL)
    gtk_widget_unparent (child);
}
