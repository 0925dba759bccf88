/* engine-media-forward.h: the forwarding core of a media hub — every
 * participant's incoming RTP is depayloaded once, payloaded again (fresh
 * SSRC and sequence numbers, no foreign header extensions) into a tee, and
 * fanned out to every other participant's webrtcbin. Plain GLib and
 * GStreamer, nothing of the desktop, so the relay can host it later. */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

#define ENGINE_TYPE_MEDIA_FORWARD (engine_media_forward_get_type ())
G_DECLARE_FINAL_TYPE (EngineMediaForward, engine_media_forward, ENGINE, MEDIA_FORWARD, GObject)

/* bin: where the forwarding elements live (the pipeline); every source pad
 * and receiving webrtcbin must be inside it, at any depth. */
EngineMediaForward *engine_media_forward_new              (GstBin             *bin);
/* A receiving webrtcbin: it gets (sendonly transceivers for) the streams of
 * every participant but its own id. Adding it does not emit "renegotiate":
 * the caller makes its first offer after this. */
void                engine_media_forward_add_receiver     (EngineMediaForward *self,
                                                           const char         *id,
                                                           GstElement         *webrtc);
/* Unlinks everything forwarded to the receiver; its webrtcbin is the
 * caller's to stop. */
void                engine_media_forward_remove_receiver  (EngineMediaForward *self,
                                                           const char         *id);
/* An RTP pad carrying participant id's audio or video (VP8, H.264, Opus):
 * forwarded to every other receiver from now on. caps: the stream's RTP
 * caps (a tee's request pad has none before data flows), or NULL to take
 * the pad's. */
gboolean            engine_media_forward_add_source       (EngineMediaForward *self,
                                                           const char         *id,
                                                           GstPad             *src,
                                                           GstCaps            *caps,
                                                           GError            **error);
/* The participant left: its streams stop, and the transceivers that carried
 * them go inactive, to be reused by the next stream of the same kind. */
void                engine_media_forward_remove_sources   (EngineMediaForward *self,
                                                           const char         *id);
/* Asks the senders of everything receiver id gets for a keyframe (a new
 * receiver decodes sooner than after its own PLI round trip). */
void                engine_media_forward_request_keyframes (EngineMediaForward *self,
                                                            const char         *id);
/* Fixes an offer webrtcbin made for receiver id before it becomes the local
 * description (any thread). webrtcbin 1.22 copies an already negotiated
 * m-line from the previous offer and only swaps its direction — never from
 * or to "inactive" — so a reused transceiver would keep the old stream's
 * SSRC and msid and stay inactive: this writes each slot's current ones. */
void                engine_media_forward_fix_offer        (EngineMediaForward *self,
                                                           const char         *id,
                                                           GstSDPMessage      *sdp);
/* Drops every source and receiver link (the owner is stopping). */
void                engine_media_forward_clear            (EngineMediaForward *self);

guint               engine_media_forward_get_n_sources    (EngineMediaForward *self);
/* Transceivers the forwarder made on receiver id: active and inactive. */
guint               engine_media_forward_get_n_slots      (EngineMediaForward *self,
                                                           const char         *id);
/* Streams currently forwarded to receiver id. */
guint               engine_media_forward_get_n_active     (EngineMediaForward *self,
                                                           const char         *id);
/* Keyframe requests sent on to senders / merged away (every source). */
void                engine_media_forward_get_keyframe_counts (EngineMediaForward *self,
                                                              guint              *passed,
                                                              guint              *merged);

G_END_DECLS
