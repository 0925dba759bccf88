/* engine-media-signal.h: the host's signaling socket to the relay (/ws,
 * shared/PROTOCOL.md) — hello as the host of one session (or, for load
 * tests, as a guest), validated inbound messages as a signal, keep-alive
 * pings. No media knowledge here. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "omni-signal.h"

G_BEGIN_DECLS

#define ENGINE_TYPE_MEDIA_SIGNAL (engine_media_signal_get_type ())
G_DECLARE_FINAL_TYPE (EngineMediaSignal, engine_media_signal, ENGINE, MEDIA_SIGNAL, GObject)

EngineMediaSignal *engine_media_signal_new            (const char          *relay_url,
                                                       const char          *token,
                                                       const char          *session_id);
/* A guest's socket (tests and benchmarks load the host with these). */
EngineMediaSignal *engine_media_signal_new_guest      (const char          *relay_url,
                                                       const char          *guest_token);
/* Host: starts the session over REST (a live session stays live), then opens the
 * socket and sends hello. Completes when the socket is open. */
void               engine_media_signal_connect_async  (EngineMediaSignal   *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean           engine_media_signal_connect_finish (EngineMediaSignal   *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
/* Sends one frame; dropped when the socket is not open. */
void               engine_media_signal_send           (EngineMediaSignal   *self,
                                                       const char          *text);
void               engine_media_signal_close          (EngineMediaSignal   *self);
gboolean           engine_media_signal_is_open        (EngineMediaSignal   *self);

G_END_DECLS
