/* engine-media-session.h: the host media engine — the host's sources, each
 * encoded once, fanned out to one webrtcbin per admitted guest, driven by
 * the relay's signaling. No GTK: the UI and the headless driver both use it.
 * Everything that happens is reported as an "event" (a JSON object). */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "engine-media-guest.h"

G_BEGIN_DECLS

typedef enum {
  ENGINE_MEDIA_CODEC_VP8,
  ENGINE_MEDIA_CODEC_H264,
} EngineMediaCodec;

typedef struct {
  EngineMediaCodec codec;     /* the video codec every guest shares (encode once) */
  int         width;          /* camera and screen video size */
  int         height;
  int         fps;
  int         video_kbps;     /* per encoded video track */
  gboolean    camera_device;  /* a real camera (PipeWire/V4L2) instead of a test pattern */
  const char *camera_path;    /* /dev/videoN (v4l2src), or NULL for the first camera the device monitor finds */
  gboolean    mic_device;     /* a real microphone (PipeWire/PulseAudio) */
  gboolean    screen_device;  /* capture the screen (X11) instead of a test pattern */
  gboolean    busy_pattern;   /* a test camera picture that moves everywhere (benchmarks) */
  gboolean    loopback;       /* offer 127.0.0.1 as an ICE candidate (tests) */
  gboolean    relay_only;     /* ICE through TURN only */
  gboolean    admit_all;      /* admit every waiting guest */
  gboolean    forward_guests; /* guests see and hear each other (host hub) */
  guint       stats_interval_ms;  /* 0: no periodic stats */
} EngineMediaConfig;

/* 1280x720@30, 1500 kb/s, test sources, stats every second, guests'
 * media forwarded to the other guests. */
void engine_media_config_init (EngineMediaConfig *config);

#define ENGINE_TYPE_MEDIA_SESSION (engine_media_session_get_type ())
G_DECLARE_FINAL_TYPE (EngineMediaSession, engine_media_session, ENGINE, MEDIA_SESSION, GObject)

EngineMediaSession *engine_media_session_new            (const EngineMediaConfig *config);
/* Builds the sources and encoders and sets them playing. */
gboolean            engine_media_session_start_pipeline (EngineMediaSession *self,
                                                         GError            **error);
/* Starts (or resumes) the session on the relay and serves its guests.
 * Failures and the end of the session are events ("error", "ended"). */
void                engine_media_session_connect        (EngineMediaSession *self,
                                                         const char         *relay_url,
                                                         const char         *token,
                                                         const char         *session_id);
/* Leaves the relay and tears every guest and the pipeline down. */
void                engine_media_session_stop           (EngineMediaSession *self);
GstElement         *engine_media_session_get_pipeline   (EngineMediaSession *self);

/* Guests. add_guest links a new webrtcbin to the shared tracks and makes an
 * offer (the signaling path calls it for admitted guests; tests directly). */
EngineMediaGuest   *engine_media_session_add_guest      (EngineMediaSession *self,
                                                         const char         *id,
                                                         const char         *name);
void                engine_media_session_remove_guest   (EngineMediaSession *self,
                                                         const char         *id);
/* A new webrtcbin and offer for a guest: the ICE restart of webrtcbin 1.22,
 * which cannot restart ICE on a live connection. */
void                engine_media_session_restart_guest  (EngineMediaSession *self,
                                                         const char         *id);
EngineMediaGuest   *engine_media_session_lookup_guest   (EngineMediaSession *self,
                                                         const char         *id);
guint               engine_media_session_get_n_guests   (EngineMediaSession *self);
/* Elements in the pipeline whose class is an encoder: stays at the number
 * of sources however many guests there are. */
guint               engine_media_session_count_encoders (EngineMediaSession *self);
/* Force-key-unit requests that reached an encoder / were merged away. */
void                engine_media_session_get_keyframe_counts (EngineMediaSession *self,
                                                              guint              *passed,
                                                              guint              *merged);

/* Host controls. */
void                engine_media_session_set_mic        (EngineMediaSession *self,
                                                         gboolean            on);
void                engine_media_session_set_camera     (EngineMediaSession *self,
                                                         gboolean            on);
void                engine_media_session_set_screen     (EngineMediaSession *self,
                                                         gboolean            on);
gboolean            engine_media_session_get_mic        (EngineMediaSession *self);
gboolean            engine_media_session_get_camera     (EngineMediaSession *self);
gboolean            engine_media_session_get_screen     (EngineMediaSession *self);
/* Stops playing the guest's audio and asks its client to mute. */
void                engine_media_session_mute_guest     (EngineMediaSession *self,
                                                         const char         *id,
                                                         gboolean            muted);
/* Lets a waiting guest in (what --admit-all does for everyone). */
void                engine_media_session_admit          (EngineMediaSession *self,
                                                         const char         *id);

G_END_DECLS
