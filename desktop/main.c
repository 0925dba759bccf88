/* main.c: sets up gettext and runs the application; everything else lives
 * in the engine and ui libraries. */
#define G_LOG_DOMAIN "omnilive"

#include "desktop-config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <unistd.h>

#include "ui-application.h"
#include "ui-bench.h"

/* `omnilive --headless …` is the omnilive-headless program (GStreamer,
 * libnice, no GTK): exec'ing it keeps those libraries out of the desktop
 * app, which would otherwise load and relocate them at every start. It is
 * looked up next to this binary (a build tree), then in LIBEXECDIR. */
static int
run_headless (char *argv[])
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *self_dir = self ? g_path_get_dirname (self) : NULL;
  g_autofree char *in_build = self_dir ? g_build_filename (self_dir, "engine", "media", HEADLESS_NAME, NULL) : NULL;
  g_autofree char *installed = g_build_filename (LIBEXECDIR, HEADLESS_NAME, NULL);
  const char *candidates[] = { g_getenv ("OMNILIVE_HEADLESS"), in_build, installed };
  int saved = ENOENT;

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      if (candidates[i] == NULL || !g_file_test (candidates[i], G_FILE_TEST_IS_EXECUTABLE))
        continue;
      execv (candidates[i], argv);
      saved = errno;
    }
  g_printerr ("omnilive: cannot run %s: %s\n", installed, g_strerror (saved));
  return 127;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(UiApplication) app = NULL;

  /* The headless host never touches GTK, so it runs with no display. */
  for (int i = 1; i < argc; i++)
    if (g_strcmp0 (argv[i], "--headless") == 0)
      return run_headless (argv);

  ui_bench_mark ("main");
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_("OmniLive"));
  app = ui_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
