/* ui-renderer.h: picks cairo drawing over GL when GL would run on the CPU.
 *
 * GTK 4.14 and later decide this themselves (GSK skips its GPU renderers on
 * llvmpipe); GTK 4.8, Debian 12's, renders with GL whatever the driver. On a
 * machine with no GPU (a VM, a thin client, a remote desktop) Mesa's software
 * rasteriser compiles GTK's shaders with LLVM and draws on the CPU, which
 * costs the agent start-up time and memory that cairo does not. */
#pragma once

#include <gdk/gdk.h>

G_BEGIN_DECLS

/* TRUE for a GL_RENDERER string naming one of Mesa's CPU rasterisers
 * ("llvmpipe (LLVM 15.0.6, 256 bits)", "softpipe", "Software Rasterizer"). */
gboolean    ui_renderer_is_software_gl (const char *gl_renderer);

/* Unless the user chose a renderer (GSK_RENDERER), or GTK is new enough to
 * decide itself, asks GSK for the cairo renderer when the display's GL is a
 * software rasteriser. Must run before the first window is realized.
 * Returns the renderer name GSK will be asked for ("cairo"), or NULL when
 * GTK's own choice stands. */
const char *ui_renderer_choose (GdkDisplay *display);

G_END_DECLS
