/* main.c: sets up gettext and runs the application; everything else lives
 * in the engine and ui libraries. */
#define G_LOG_DOMAIN "omnilive"

#include "desktop-config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "engine-media-headless.h"
#include "ui-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(UiApplication) app = NULL;

  /* `omnilive --headless …` hosts a session without a window (tests, demos,
   * servers): it never touches GTK, so it runs with no display. */
  for (int i = 1; i < argc; i++)
    if (g_strcmp0 (argv[i], "--headless") == 0)
      return engine_headless_main (argc, argv);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_("OmniLive"));
  app = ui_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
