/* desktop-test-util.c: deadlines instead of sleeps. */
#include <glib/gstdio.h>

#include "desktop-test-util.h"

static gboolean
on_deadline (gpointer user_data)
{
  g_error ("Timed out waiting for %s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

void
desktop_test_wait_flag (gboolean   *flag,
                        guint       timeout_s,
                        const char *what)
{
  guint id = g_timeout_add_seconds_full (G_PRIORITY_HIGH, timeout_s, on_deadline, (gpointer) what, NULL);

  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
}

void
desktop_test_store_result (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

GAsyncResult *
desktop_test_wait_result (GAsyncResult **slot,
                          guint          timeout_s,
                          const char    *what)
{
  guint id = g_timeout_add_seconds_full (G_PRIORITY_HIGH, timeout_s, on_deadline, (gpointer) what, NULL);

  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
  return *slot;
}

char *
desktop_test_make_dir (const char *name)
{
  g_autofree char *template = g_strdup_printf ("omnilive-%s-XXXXXX", name);
  char *dir = g_dir_make_tmp (template, NULL);

  g_assert_nonnull (dir);
  return dir;
}

void
desktop_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      desktop_test_rm_rf (child);
    }
  g_rmdir (path);
}
