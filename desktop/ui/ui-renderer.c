/* ui-renderer.c: see ui-renderer.h for why. */
#define G_LOG_DOMAIN "omnilive-ui"

#include "ui-renderer.h"

#include <epoxy/gl.h>
#include <gtk/gtk.h>
#include <string.h>

gboolean
ui_renderer_is_software_gl (const char *gl_renderer)
{
  static const char *const software[] = { "llvmpipe", "softpipe", "software rasterizer", "swrast" };
  g_autofree char *lower = NULL;

  if (gl_renderer == NULL)
    return FALSE;
  lower = g_ascii_strdown (gl_renderer, -1);
  for (guint i = 0; i < G_N_ELEMENTS (software); i++)
    if (strstr (lower, software[i]) != NULL)
      return TRUE;
  return FALSE;
}

/* The GL_RENDERER string of a context of the display's own GL, or NULL
 * when the display has no usable GL (GSK then draws with cairo anyway). */
static char *
display_gl_renderer (GdkDisplay *display)
{
  g_autoptr(GdkGLContext) context = NULL;
  g_autoptr(GError) error = NULL;
  char *name;

  if (!gdk_display_prepare_gl (display, &error))
    {
      g_debug ("No GL on this display: %s", error->message);
      return NULL;
    }
  context = gdk_display_create_gl_context (display, &error);
  if (context == NULL || !gdk_gl_context_realize (context, &error))
    {
      g_debug ("Cannot create a GL context: %s", error->message);
      return NULL;
    }
  gdk_gl_context_make_current (context);
  name = g_strdup ((const char *) glGetString (GL_RENDERER));
  gdk_gl_context_clear_current ();
  return name;
}

const char *
ui_renderer_choose (GdkDisplay *display)
{
  const char *asked = g_getenv ("GSK_RENDERER");
  g_autofree char *gl_renderer = NULL;

  g_return_val_if_fail (GDK_IS_DISPLAY (display), NULL);

  if (asked != NULL && asked[0] != '\0')
    return NULL;
  if (gtk_get_major_version () > 4 || (gtk_get_major_version () == 4 && gtk_get_minor_version () >= 14))
    return NULL;

  gl_renderer = display_gl_renderer (display);
  if (!ui_renderer_is_software_gl (gl_renderer))
    return NULL;

  g_debug ("GL is %s, a software rasteriser: drawing with cairo", gl_renderer);
  /* GSK reads the variable when it creates each window's renderer. */
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  return "cairo";
}
