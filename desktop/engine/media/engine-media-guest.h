/* engine-media-guest.h: one admitted guest's side of the host engine — a bin
 * holding the guest's webrtcbin (the host offers), the queues that feed it
 * the shared encoded tracks, and the decoders of what the guest sends. */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "engine-media-forward.h"

G_BEGIN_DECLS

/* The host's outgoing tracks, in m-line order. */
typedef enum {
  ENGINE_MEDIA_TRACK_AUDIO,
  ENGINE_MEDIA_TRACK_CAMERA,
  ENGINE_MEDIA_TRACK_SCREEN,
  ENGINE_MEDIA_N_TRACKS,
} EngineMediaTrack;

/* How a guest's ICE agent is set up; owned by the session, copied by none. */
typedef struct {
  const char        *stun_server;    /* stun://host:port or NULL */
  const char *const *turn_servers;   /* turn(s)://user:pass@host:port, NULL-terminated, or NULL */
  gboolean           relay_only;     /* ice-transport-policy=relay */
  gboolean           loopback;       /* add 127.0.0.1 as a host candidate (tests) */
} EngineMediaIceConfig;

/* On a webrtcbin before its first offer or answer: no UPnP, and with
 * loopback 127.0.0.1 as a host candidate (libnice skips loopback). */
void engine_media_setup_ice_agent (GstElement *webrtc,
                                   gboolean    loopback);

#define ENGINE_TYPE_MEDIA_GUEST (engine_media_guest_get_type ())
G_DECLARE_FINAL_TYPE (EngineMediaGuest, engine_media_guest, ENGINE, MEDIA_GUEST, GObject)

/* track_caps: the RTP caps of each shared track (what its tee carries);
 * msid: the MediaStream id the host's tracks carry (the host's id). */
EngineMediaGuest *engine_media_guest_new             (const char                 *id,
                                                      const char                 *name,
                                                      GstCaps * const            *track_caps,
                                                      const char                 *msid,
                                                      const EngineMediaIceConfig *ice);
const char       *engine_media_guest_get_id          (EngineMediaGuest *self);
const char       *engine_media_guest_get_name        (EngineMediaGuest *self);
/* The bin to add to the pipeline; its sink pads are named after the tracks
 * ("audio", "camera", "screen"). */
GstElement       *engine_media_guest_get_bin         (EngineMediaGuest *self);
GstPad           *engine_media_guest_get_sink_pad    (EngineMediaGuest *self,
                                                      EngineMediaTrack  track);
GstElement       *engine_media_guest_get_webrtcbin   (EngineMediaGuest *self);
/* The guest's decoded video for display (NULL until its video arrives). */
GstElement       *engine_media_guest_dup_video_sink  (EngineMediaGuest *self);
/* The forwarder whose streams this guest receives: it fixes each offer
 * before it becomes the local description. */
void              engine_media_guest_set_forward     (EngineMediaGuest   *self,
                                                      EngineMediaForward *forward);
/* Creates the offer; "offer" is emitted with its text. While an offer
 * waits for its answer, another call makes a new offer after it
 * ("negotiated" is emitted when an answer is applied). */
void              engine_media_guest_negotiate       (EngineMediaGuest *self);
gboolean          engine_media_guest_set_answer      (EngineMediaGuest *self,
                                                      const char       *sdp,
                                                      GError          **error);
void              engine_media_guest_add_ice         (EngineMediaGuest *self,
                                                      guint             mline,
                                                      const char       *candidate);
/* Asks webrtcbin for statistics; "stats" is emitted with them. */
void              engine_media_guest_request_stats   (EngineMediaGuest *self);
void              engine_media_guest_set_muted       (EngineMediaGuest *self,
                                                      gboolean          muted);
gboolean          engine_media_guest_get_muted       (EngineMediaGuest *self);
guint64           engine_media_guest_get_frames_decoded (EngineMediaGuest *self);
guint64           engine_media_guest_get_audio_decoded  (EngineMediaGuest *self);
int               engine_media_guest_get_state       (EngineMediaGuest *self);
gint64            engine_media_guest_get_created_us  (EngineMediaGuest *self);
/* Stops the bin (main thread; the session has unlinked it first). */
void              engine_media_guest_shutdown        (EngineMediaGuest *self);

G_END_DECLS
