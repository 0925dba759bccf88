/* engine-media-screen.h: where the host's shared screen comes from. On X11
 * the pipeline captures with ximagesrc from the start; on Wayland a stand-in
 * pattern runs until the user picks a screen in the ScreenCast portal's
 * dialog, then the PipeWire source takes its place in the running pipeline
 * (and gives it back when sharing stops). No GTK. */
#pragma once

#include <gst/gst.h>

#include "engine-screencast-portal.h"

G_BEGIN_DECLS

#define ENGINE_TYPE_MEDIA_SCREEN (engine_media_screen_get_type ())
G_DECLARE_FINAL_TYPE (EngineMediaScreen, engine_media_screen, ENGINE, MEDIA_SCREEN, GObject)

EngineMediaScreen      *engine_media_screen_new                (EngineScreencastBackend backend);
EngineScreencastBackend engine_media_screen_get_backend        (EngineMediaScreen *self);

/* The first element(s) of the screen branch, named "screen-source", for
 * the pipeline's description. */
char                   *engine_media_screen_source_description (EngineMediaScreen *self);
/* The pipeline built from that description (unowned; set it before any
 * request, clear it with NULL before the pipeline goes away). */
void                    engine_media_screen_set_pipeline       (EngineMediaScreen *self,
                                                                GstBin            *pipeline);

/* Makes the real screen the source: asks the portal (the user chooses),
 * then swaps the PipeWire source in. Completes at once for X11 and test
 * sources. Fails with ENGINE_SCREENCAST_ERROR_USER_CANCELLED when the user
 * dismissed the dialog. One request at a time. */
void                    engine_media_screen_request_async      (EngineMediaScreen   *self,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
gboolean                engine_media_screen_request_finish     (EngineMediaScreen   *self,
                                                                GAsyncResult        *result,
                                                                GError             **error);
/* Sharing stopped: the stand-in goes back and the portal session closes.
 * Idempotent. */
void                    engine_media_screen_release            (EngineMediaScreen *self);
/* TRUE while the user's chosen screen feeds the pipeline. */
gboolean                engine_media_screen_get_capturing      (EngineMediaScreen *self);

/* An error message from the pipeline's bus: TRUE (and the screen is
 * released, "lost" emitted) when it came from the screen source. */
gboolean                engine_media_screen_handle_error       (EngineMediaScreen *self,
                                                                GstMessage        *message);

G_END_DECLS
