/* test-ui-renderer.c: the renderer the app draws with. Under xvfb-run, GL is
 * Mesa's llvmpipe, so the app must pick cairo on GTK before 4.14, and must
 * leave the user's GSK_RENDERER alone. Each case runs in a subprocess: GSK
 * reads GSK_RENDERER once per process, at its first window. */
#include <gtk/gtk.h>

#include "ui-renderer.h"

static void
test_software_names (void)
{
  g_assert_true (ui_renderer_is_software_gl ("llvmpipe (LLVM 15.0.6, 256 bits)"));
  g_assert_true (ui_renderer_is_software_gl ("softpipe"));
  g_assert_true (ui_renderer_is_software_gl ("Software Rasterizer"));
  g_assert_true (ui_renderer_is_software_gl ("Mesa X11 swrast"));
  g_assert_false (ui_renderer_is_software_gl ("Mesa Intel(R) UHD Graphics 620 (KBL GT2)"));
  g_assert_false (ui_renderer_is_software_gl ("AMD Radeon RX 6600 (navi23, LLVM 15.0.6, DRM 3.49, 6.1.0-13-amd64)"));
  g_assert_false (ui_renderer_is_software_gl ("NVIDIA GeForce GTX 1660/PCIe/SSE2"));
  g_assert_false (ui_renderer_is_software_gl (NULL));
}

/* The name of the GSK renderer of a window realized after the choice. */
static const char *
window_renderer_type (void)
{
  GtkWidget *window;
  GskRenderer *renderer;
  const char *name;

  gtk_init ();
  ui_renderer_choose (gdk_display_get_default ());
  window = gtk_window_new ();
  gtk_widget_realize (window);
  renderer = gtk_native_get_renderer (GTK_NATIVE (window));
  g_assert_nonnull (renderer);
  name = G_OBJECT_TYPE_NAME (renderer);
  gtk_window_destroy (GTK_WINDOW (window));
  return name;
}

static void
test_software_gl_draws_with_cairo (void)
{
  if (g_test_subprocess ())
    {
      g_unsetenv ("GSK_RENDERER");
      g_print ("renderer=%s\n", window_renderer_type ());
      return;
    }
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  if (gtk_get_minor_version () >= 14)
    g_test_trap_assert_stdout_unmatched ("*renderer=GskCairoRenderer*");
  else
    g_test_trap_assert_stdout ("*renderer=GskCairoRenderer*");
}

static void
test_user_choice_stands (void)
{
  if (g_test_subprocess ())
    {
      g_setenv ("GSK_RENDERER", "gl", TRUE);
      g_print ("renderer=%s\n", window_renderer_type ());
      return;
    }
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*renderer=GskGLRenderer*");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ui/renderer/software-names", test_software_names);
  g_test_add_func ("/ui/renderer/software-gl-draws-with-cairo", test_software_gl_draws_with_cairo);
  g_test_add_func ("/ui/renderer/user-choice-stands", test_user_choice_stands);
  return g_test_run ();
}
