/* engine-media-session.c: the host's media pipeline and the guests hung off
 * it. Sources are encoded once (Opus; VP8 or H.264) and payloaded once; each
 * track ends in a tee that every guest's bin links to, so adding a guest adds
 * a webrtcbin and never an encoder. Keyframe requests from every guest come
 * back up through the tees and are merged at each encoder. */
#define G_LOG_DOMAIN "engine-media-session"

#include "engine-media-session.h"
#include "engine-media-forward.h"
#include "engine-media-tee.h"
#include "engine-media-screen.h"
#include "engine-media-signal.h"
#include "omni-signal.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <gst/video/video.h>

#include <libsoup/soup.h>
#include <stdlib.h>
#include <string.h>

/* At most one keyframe per encoder in this window: PLIs from several
 * guests (and repeats from one) become one keyframe, the last one deferred
 * to the end of the window so nobody is left waiting. */
#define KEYFRAME_MIN_INTERVAL_US  (300 * G_TIME_SPAN_MILLISECOND)

/* A guest asking for a new connection gets one only for a connection at
 * least this old. */
#define MEDIA_RESTART_MIN_AGE_US  (5 * G_TIME_SPAN_SECOND)

/* Payload types: one per track, so BUNDLE demuxing needs no MID extension
 * and every guest's answer reuses them (the host offers). */
#define PT_OPUS          111
#define PT_VIDEO_CAMERA  96
#define PT_VIDEO_SCREEN  98

typedef struct {
  EngineMediaSession *self;    /* unowned: the gate lives in the session */
  GstPad             *pad;     /* the encoder's src pad */
  GMutex              lock;
  gint64              last_us;
  gboolean            pending;
  guint               passed;
  guint               merged;
  GSource            *deferred;   /* the pending deferred keyframe, owned */
} KeyframeGate;

/* A camera or microphone of this machine feeding a track. Its element
 * starts on a worker (start_device); `lock` guards what the worker and the
 * main thread share. */
typedef struct {
  GstElement *element;     /* owned; kept after a swap to know its late errors */
  char       *name;        /* what the user knows it by */
  GMutex      lock;
  gboolean    starting;    /* a worker is starting it */
  gboolean    started;
  gboolean    abandoned;   /* the engine stopped while it was starting */
  gboolean    reported;    /* main thread: its failure was told */
  gboolean    replaced;    /* main thread: the stand-in took its place */
} DeviceSource;

struct _EngineMediaSession
{
  GObject             parent_instance;

  EngineMediaConfig   config;
  char               *camera_path;
  GMainContext       *context;
  gint64              start_us;
  GThread            *dtls_prewarm;

  GstElement         *pipeline;
  GstElement         *tees[ENGINE_MEDIA_N_TRACKS];
  GstCaps            *track_caps[ENGINE_MEDIA_N_TRACKS];
  KeyframeGate        gates[ENGINE_MEDIA_N_TRACKS];
  GstElement         *mic_volume;
  GstElement         *camera_valve;
  GstElement         *screen_valve;
  DeviceSource       *devices[ENGINE_MEDIA_N_TRACKS];   /* camera and microphone, when real */
  EngineMediaScreen  *screen;           /* where the shared screen comes from */
  GCancellable       *screen_request;   /* the user is picking a screen */
  guint               bus_watch;
  gboolean            mic_on;
  gboolean            camera_on;
  gboolean            screen_on;

  GHashTable         *guests;           /* id → EngineMediaGuest */
  EngineMediaForward *forward;          /* guests' media to the other guests */
  GHashTable         *admit_sent;       /* ids we asked the relay to admit */
  GHashTable         *offline;          /* guests whose socket dropped (resume window) */
  EngineMediaSignal  *signal;
  GCancellable       *cancellable;
  char               *host_id;
  char               *relay_url;
  char               *token;
  char               *session_id;
  gint64              reconnect_deadline_us;   /* 0: connected (or never dropped) */
  gint64              resume_window_us;
  guint               reconnect_source;
  char               *stun_server;
  GPtrArray          *turn_servers;     /* NULL-terminated */
  guint               stats_source;
  gboolean            ended;
};

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void on_screen_lost (EngineMediaScreen *screen, const GError *error, gpointer user_data);

G_DEFINE_FINAL_TYPE (EngineMediaSession, engine_media_session, G_TYPE_OBJECT)

static const char *const track_names[ENGINE_MEDIA_N_TRACKS] = { "audio", "camera", "screen" };

/* ---- events ---- */

/* Starts an event object; the caller adds members and hands it to emit. */
static JsonObject *
event_new (EngineMediaSession *self,
           const char         *name,
           const char         *guest_id)
{
  JsonObject *event = json_object_new ();

  json_object_set_string_member (event, "event", name);
  json_object_set_int_member (event, "t", (g_get_monotonic_time () - self->start_us) / 1000);
  if (guest_id != NULL)
    json_object_set_string_member (event, "guest", guest_id);
  return event;
}

static void
event_emit (EngineMediaSession *self,
            JsonObject         *event)
{
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, event);
  json_object_unref (event);
}

static void
emit_error (EngineMediaSession *self,
            const char         *message)
{
  JsonObject *event = event_new (self, "error", NULL);

  json_object_set_string_member (event, "message", message);
  event_emit (self, event);
}

static void
emit_ended (EngineMediaSession *self,
            const char         *reason)
{
  JsonObject *event;

  if (self->ended)
    return;
  self->ended = TRUE;
  event = event_new (self, "ended", NULL);
  json_object_set_string_member (event, "reason", reason);
  event_emit (self, event);
}

/* ---- keyframes ---- */

static gboolean
on_deferred_keyframe (gpointer user_data)
{
  KeyframeGate *gate = user_data;

  g_mutex_lock (&gate->lock);
  g_clear_pointer (&gate->deferred, g_source_unref);
  gate->pending = FALSE;
  g_mutex_unlock (&gate->lock);
  if (gate->pad != NULL)
    gst_pad_send_event (gate->pad, gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
  return G_SOURCE_REMOVE;
}

static GstPadProbeReturn
on_encoder_upstream_event (GstPad          *pad,
                           GstPadProbeInfo *info,
                           gpointer         user_data)
{
  KeyframeGate *gate = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  gint64 now = g_get_monotonic_time ();
  GstPadProbeReturn ret = GST_PAD_PROBE_OK;

  if (!gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&gate->lock);
  if (now - gate->last_us >= KEYFRAME_MIN_INTERVAL_US)
    {
      gate->last_us = now;
      gate->passed++;
    }
  else
    {
      gate->merged++;
      ret = GST_PAD_PROBE_DROP;
      if (!gate->pending)
        {
          GSource *source = g_timeout_source_new ((KEYFRAME_MIN_INTERVAL_US - (now - gate->last_us)) / 1000 + 1);

          gate->pending = TRUE;
          g_source_set_callback (source, on_deferred_keyframe, gate, NULL);
          g_source_attach (source, gate->self->context);
          gate->deferred = source;
        }
    }
  g_mutex_unlock (&gate->lock);
  return ret;
}

static void
request_keyframes (EngineMediaSession *self)
{
  for (guint i = 0; i < ENGINE_MEDIA_N_TRACKS; i++)
    if (i != ENGINE_MEDIA_TRACK_AUDIO && self->gates[i].pad != NULL)
      gst_pad_send_event (self->gates[i].pad,
                          gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
}

/* ---- the pipeline ---- */

/* dtlsdec makes the process's DTLS certificate when the first one is
 * created (~0.5 s of RSA key generation) and every later webrtcbin reuses
 * it: pay that at start-up, on a worker, not in the first guest's join.
 * The worker is joined at stop: a process that stops and exits at once
 * would otherwise exit in the middle of the key generation, and OpenSSL's
 * exit handlers free the locks it holds (a crash). */
static gpointer
prewarm_dtls_thread (gpointer data)
{
  GstElement *dtls = gst_element_factory_make ("dtlsdec", NULL);

  if (dtls != NULL)
    gst_object_unref (gst_object_ref_sink (dtls));
  return NULL;
}

static gboolean
fake_media_forced (void)
{
  const char *value = g_getenv ("OMNILIVE_FAKE_MEDIA");

  return value != NULL && value[0] != '\0' && strcmp (value, "0") != 0;
}

/* ---- cameras and microphones ---- */

static const char *const source_names[ENGINE_MEDIA_N_TRACKS] = { "mic-source", "camera-source", "screen-source" };
static const char *const convert_names[ENGINE_MEDIA_N_TRACKS] = { "mic-convert", "camera-convert", "screen-convert" };
static const char *const device_labels[ENGINE_MEDIA_N_TRACKS] = { "The microphone", "The camera", "The screen" };

static DeviceSource *
device_source_new (GstElement *element,
                   const char *name)
{
  DeviceSource *source = g_atomic_rc_box_new0 (DeviceSource);

  source->element = gst_object_ref_sink (element);
  source->name = g_strdup (name);
  g_mutex_init (&source->lock);
  return source;
}

static void
device_source_clear (gpointer data)
{
  DeviceSource *source = data;

  gst_clear_object (&source->element);
  g_free (source->name);
  g_mutex_clear (&source->lock);
}

static void
device_source_unref (DeviceSource *source)
{
  g_atomic_rc_box_release_full (source, device_source_clear);
}

/* The test source that stands in for a missing camera or microphone. */
static char *
stand_in_description (EngineMediaSession *self,
                      EngineMediaTrack    track)
{
  g_assert (track == ENGINE_MEDIA_TRACK_AUDIO || track == ENGINE_MEDIA_TRACK_CAMERA);

  if (track == ENGINE_MEDIA_TRACK_AUDIO)
    return g_strdup ("audiotestsrc name=mic-source is-live=true wave=sine freq=440 volume=0.3");
  /* The ball is cheap to encode; a moving picture costs what a camera
   * costs, which is what the benchmark needs. */
  if (self->config.busy_pattern)
    return g_strdup ("videotestsrc name=camera-source is-live=true pattern=smpte horizontal-speed=4");
  return g_strdup ("videotestsrc name=camera-source is-live=true pattern=ball");
}

static gboolean
device_is_pipewire (GstDevice *device)
{
  /* A GstDevice does not say which provider listed it; its type does. */
  return g_str_equal (G_OBJECT_TYPE_NAME (device), "GstPipeWireDevice");
}

static gboolean
device_is_monitor (GstDevice *device)
{
  g_autoptr(GstStructure) props = gst_device_get_properties (device);

  return props != NULL && g_strcmp0 (gst_structure_get_string (props, "device.class"), "monitor") == 0;
}

/* The first device of @klass, PipeWire's before any other: on a PipeWire
 * desktop the V4L2 and PulseAudio providers list the same hardware again,
 * and only through PipeWire is a camera shared with other applications.
 * A sink's monitor hears what the machine plays, not the user. */
static GstDevice *
pick_device (GList      *devices,
             const char *klass)
{
  GstDevice *other = NULL;

  for (GList *l = devices; l != NULL; l = l->next)
    {
      GstDevice *device = l->data;

      if (!gst_device_has_classes (device, klass) || device_is_monitor (device))
        continue;
      if (device_is_pipewire (device))
        return device;
      if (other == NULL)
        other = device;
    }
  return other;
}

static DeviceSource *
device_source_from_device (GstDevice        *device,
                           EngineMediaTrack  track)
{
  GstElement *element = gst_device_create_element (device, source_names[track]);
  GstElementFactory *factory;
  g_autofree char *name = NULL;

  if (element == NULL)
    return NULL;
  factory = gst_element_get_factory (element);
  /* do-timestamp: PipeWire's timestamps are not the pipeline clock's, and
   * its audio buffers come with none. always-copy: videorate keeps the last
   * frame, and a frame held is one the camera cannot fill again.
   * client-name: what PipeWire's graph tools show for the stream. */
  if (factory != NULL && g_str_equal (GST_OBJECT_NAME (factory), "pipewiresrc"))
    g_object_set (element, "do-timestamp", TRUE, "always-copy", TRUE,
                  "client-name", track == ENGINE_MEDIA_TRACK_AUDIO ? "omnilive-microphone" : "omnilive-camera",
                  NULL);
  name = gst_device_get_display_name (device);
  return device_source_new (element, name);
}

/* The camera when one is asked for and there is one; NULL: the test
 * pattern. An explicit path is a V4L2 device, whatever PipeWire has. */
static DeviceSource *
find_camera (EngineMediaSession *self,
             GList              *devices)
{
  GstDevice *device;

  if (!self->config.camera_device || fake_media_forced ())
    return NULL;
  if (self->camera_path != NULL)
    {
      g_autoptr(GstElementFactory) v4l2src = gst_element_factory_find ("v4l2src");

      if (v4l2src != NULL && g_file_test (self->camera_path, G_FILE_TEST_EXISTS))
        {
          GstElement *element = gst_element_factory_create (v4l2src, source_names[ENGINE_MEDIA_TRACK_CAMERA]);

          g_object_set (element, "device", self->camera_path, NULL);
          return device_source_new (element, self->camera_path);
        }
    }
  else if ((device = pick_device (devices, "Video/Source")) != NULL)
    {
      DeviceSource *source = device_source_from_device (device, ENGINE_MEDIA_TRACK_CAMERA);

      if (source != NULL)
        return source;
    }
  g_message ("No camera found: a test pattern stands in");
  return NULL;
}

static DeviceSource *
find_microphone (EngineMediaSession *self,
                 GList              *devices)
{
  GstDevice *device;

  if (!self->config.mic_device || fake_media_forced ())
    return NULL;
  if ((device = pick_device (devices, "Audio/Source")) != NULL)
    {
      DeviceSource *source = device_source_from_device (device, ENGINE_MEDIA_TRACK_AUDIO);

      if (source != NULL)
        return source;
    }
  g_message ("No microphone source: a test tone stands in");
  return NULL;
}

/* Every camera and microphone PipeWire, V4L2 and PulseAudio know of,
 * probed once. Probed, not started and stopped: stopping PipeWire's
 * provider frees a proxy twice (0.3.65, under ASan); probing costs a
 * PulseAudio connection the provider never frees (GStreamer 1.22). */
static GList *
probe_devices (EngineMediaSession *self)
{
  g_autoptr(GstDeviceMonitor) monitor = NULL;

  if (fake_media_forced () ||
      !((self->config.camera_device && self->camera_path == NULL) || self->config.mic_device))
    return NULL;
  monitor = gst_device_monitor_new ();
  gst_device_monitor_add_filter (monitor, "Video/Source", NULL);
  gst_device_monitor_add_filter (monitor, "Audio/Source", NULL);
  return gst_device_monitor_get_devices (monitor);
}

/* The description the track's branch starts with: its test source, or
 * nothing when a device's element is linked in after parsing. */
static char *
source_head (EngineMediaSession *self,
             EngineMediaTrack    track)
{
  g_autofree char *stand_in = NULL;

  if (self->devices[track] != NULL)
    return g_strdup ("");
  stand_in = stand_in_description (self, track);
  return g_strconcat (stand_in, " ! ", NULL);
}

/* Puts the test source where the device's element was. Only for a device
 * that never started: nothing flows from it, so nothing needs blocking. */
static void
use_stand_in (EngineMediaSession *self,
              EngineMediaTrack    track)
{
  DeviceSource *source = self->devices[track];
  g_autofree char *description = stand_in_description (self, track);
  g_autoptr(GstElement) convert = gst_bin_get_by_name (GST_BIN (self->pipeline), convert_names[track]);
  g_autoptr(GstPad) device_src = gst_element_get_static_pad (source->element, "src");
  g_autoptr(GstElement) stand_in = NULL;
  g_autoptr(GError) error = NULL;

  source->replaced = TRUE;
  if (device_src != NULL && gst_pad_is_linked (device_src))
    {
      g_autoptr(GstPad) peer = gst_pad_get_peer (device_src);

      gst_pad_unlink (device_src, peer);
    }
  if (GST_OBJECT_PARENT (source->element) == GST_OBJECT (self->pipeline))
    gst_bin_remove (GST_BIN (self->pipeline), source->element);

  stand_in = gst_parse_launch_full (description, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &error);
  if (stand_in == NULL)
    {
      g_warning ("%s has no stand-in: %s", device_labels[track], error->message);
      return;
    }
  gst_object_ref_sink (stand_in);
  gst_bin_add (GST_BIN (self->pipeline), stand_in);
  if (!gst_element_link (stand_in, convert) || !gst_element_sync_state_with_parent (stand_in))
    g_warning ("%s's stand-in does not start", device_labels[track]);
}

/* Which source feeds the microphone and the camera tracks, and the device
 * behind it when there is one. */
static void
emit_sources (EngineMediaSession *self)
{
  JsonObject *event = event_new (self, "sources", NULL);
  static const char *const keys[ENGINE_MEDIA_N_TRACKS] = { "mic", "camera", "screen" };

  for (guint i = ENGINE_MEDIA_TRACK_AUDIO; i <= ENGINE_MEDIA_TRACK_CAMERA; i++)
    {
      g_autoptr(GstElement) element = gst_bin_get_by_name (GST_BIN (self->pipeline), source_names[i]);
      GstElementFactory *factory = element != NULL ? gst_element_get_factory (element) : NULL;

      json_object_set_string_member (event, keys[i], factory != NULL ? GST_OBJECT_NAME (factory) : "none");
      if (self->devices[i] != NULL && !self->devices[i]->replaced)
        {
          g_autofree char *key = g_strconcat (keys[i], "-device", NULL);

          json_object_set_string_member (event, key, self->devices[i]->name);
        }
    }
  event_emit (self, event);
}

/* Tells the host once why a device did not start: the first reason
 * known (its own error, else the worker's). */
static void
report_device_failure (EngineMediaSession *self,
                       EngineMediaTrack    track,
                       const char         *reason)
{
  DeviceSource *source = self->devices[track];
  g_autofree char *text = NULL;

  if (source->reported)
    {
      g_debug ("%s “%s”: %s", device_labels[track], source->name, reason);
      return;
    }
  source->reported = TRUE;
  text = g_strdup_printf ("%s “%s” did not start: %s", device_labels[track], source->name, reason);
  g_message ("%s", text);
  emit_error (self, text);
}

/* A device whose start failed: told, and the test source takes its place. */
static void
device_source_failed (EngineMediaSession *self,
                      EngineMediaTrack    track,
                      const char         *reason)
{
  report_device_failure (self, track, reason);
  if (self->devices[track]->replaced)
    return;
  use_stand_in (self, track);
  emit_sources (self);
}

/* An error from a device that has not started is its failure to start,
 * told once; a running device's errors are the pipeline's. */
static gboolean
device_source_handle_error (EngineMediaSession *self,
                            GstMessage         *message)
{
  for (guint i = ENGINE_MEDIA_TRACK_AUDIO; i <= ENGINE_MEDIA_TRACK_CAMERA; i++)
    {
      DeviceSource *source = self->devices[i];
      g_autoptr(GError) error = NULL;
      gboolean started;

      if (source == NULL ||
          (GST_MESSAGE_SRC (message) != GST_OBJECT (source->element) &&
           !gst_object_has_as_ancestor (GST_MESSAGE_SRC (message), GST_OBJECT (source->element))))
        continue;
      g_mutex_lock (&source->lock);
      started = source->started;
      g_mutex_unlock (&source->lock);
      if (started)
        return FALSE;
      /* The worker's result swaps in the stand-in, if it has not yet. */
      gst_message_parse_error (message, &error, NULL);
      report_device_failure (self, i, error->message);
      return TRUE;
    }
  return FALSE;
}

/* pipewiresrc changes state only once PipeWire linked its stream (a
 * session manager's job), up to 30 s: off the main thread, with the
 * element's state locked so the pipeline neither waits for it at start
 * nor at stop. */
static void
start_device_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  DeviceSource *source = task_data;
  gboolean started = gst_element_sync_state_with_parent (source->element);
  gboolean abandoned;

  g_mutex_lock (&source->lock);
  source->starting = FALSE;
  source->started = started;
  abandoned = source->abandoned;
  g_mutex_unlock (&source->lock);
  /* The pipeline never stops a locked element: whoever is last does. */
  if (!started || abandoned)
    gst_element_set_state (source->element, GST_STATE_NULL);
  if (started)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "it did not open");
}

static void
on_device_started (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  EngineMediaSession *self = ENGINE_MEDIA_SESSION (object);
  EngineMediaTrack track = GPOINTER_TO_UINT (user_data);
  DeviceSource *source = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_debug ("%s “%s” started", device_labels[track], source->name);
      return;
    }
  /* The engine stopped meanwhile: the worker stopped the element. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->devices[track] != source)
    return;
  device_source_failed (self, track, error->message);
}

static void
start_device (EngineMediaSession *self,
              EngineMediaTrack    track)
{
  DeviceSource *source = self->devices[track];
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, on_device_started, GUINT_TO_POINTER (track));

  g_mutex_lock (&source->lock);
  source->starting = TRUE;
  g_mutex_unlock (&source->lock);
  g_task_set_task_data (task, g_atomic_rc_box_acquire (source), (GDestroyNotify) device_source_unref);
  /* The result after the device's own errors (on the bus, default
   * priority): they say better why it did not start. */
  g_task_set_priority (task, G_PRIORITY_LOW);
  g_task_run_in_thread (task, start_device_thread);
}

/* Links a device's element into its branch, started later by start_device. */
static gboolean
install_device (EngineMediaSession *self,
                EngineMediaTrack    track)
{
  DeviceSource *source = self->devices[track];
  g_autoptr(GstElement) convert = gst_bin_get_by_name (GST_BIN (self->pipeline), convert_names[track]);

  g_assert (convert != NULL);
  gst_element_set_locked_state (source->element, TRUE);
  gst_bin_add (GST_BIN (self->pipeline), source->element);
  return gst_element_link (source->element, convert);
}

/* The engine stops: a device still starting is its worker's to stop. */
static void
stop_devices (EngineMediaSession *self)
{
  for (guint i = ENGINE_MEDIA_TRACK_AUDIO; i <= ENGINE_MEDIA_TRACK_CAMERA; i++)
    {
      DeviceSource *source = g_steal_pointer (&self->devices[i]);
      gboolean starting;

      if (source == NULL)
        continue;
      g_mutex_lock (&source->lock);
      starting = source->starting;
      source->abandoned = starting;
      g_mutex_unlock (&source->lock);
      if (!starting)
        gst_element_set_state (source->element, GST_STATE_NULL);
      device_source_unref (source);
    }
}

/* @head: the source's description and its " ! ", or "" for a device's
 * element linked to "<name>-convert" after parsing. */
static char *
video_branch (EngineMediaSession *self,
              const char         *name,
              const char         *head,
              int                 fps,
              int                 pt,
              guint32             ssrc)
{
  g_autofree char *encoder = NULL;

  /* Realtime encoding: no lookahead, fastest preset, CBR; the leaky queue
   * gives the encoder its own thread and drops frames rather than build
   * latency when the CPU is short. */
  if (self->config.codec == ENGINE_MEDIA_CODEC_H264)
    encoder = g_strdup_printf (
      "x264enc name=%s-encoder tune=zerolatency speed-preset=ultrafast bitrate=%d key-int-max=150 "
      "threads=2 ! video/x-h264,profile=constrained-baseline ! "
      "rtph264pay pt=%d ssrc=%u config-interval=-1 aggregate-mode=zero-latency mtu=1200",
      name, self->config.video_kbps, pt, ssrc);
  else
    encoder = g_strdup_printf (
      "vp8enc name=%s-encoder deadline=1 cpu-used=12 threads=2 end-usage=cbr target-bitrate=%d "
      "lag-in-frames=0 keyframe-max-dist=150 error-resilient=default undershoot=95 "
      "buffer-size=1000 buffer-initial-size=500 buffer-optimal-size=600 max-quantizer=63 ! "
      "rtpvp8pay pt=%d ssrc=%u picture-id-mode=15-bit mtu=1200",
      name, self->config.video_kbps * 1000, pt, ssrc);
  return g_strdup_printf (
    "%svideoconvert name=%s-convert ! videoscale ! videorate ! "
    "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! "
    "valve name=%s-valve ! queue leaky=downstream max-size-buffers=2 max-size-bytes=0 max-size-time=0 ! "
    "%s ! application/x-rtp,payload=%d ! tee name=%s-tee allow-not-linked=true",
    head, name, self->config.width, self->config.height, fps, name, encoder, pt, name);
}

static gboolean
on_bus_message (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  EngineMediaSession *self = user_data;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      {
        g_autoptr(GError) error = NULL;
        g_autofree char *debug = NULL;
        g_autofree char *text = NULL;

        /* The shared screen failing ends the share, not the call. */
        if (self->screen != NULL && engine_media_screen_handle_error (self->screen, message))
          break;
        if (device_source_handle_error (self, message))
          break;
        gst_message_parse_error (message, &error, &debug);
        g_warning ("%s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message,
                   debug ? debug : "");
        text = g_strdup_printf ("%s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message);
        emit_error (self, text);
        break;
      }
    case GST_MESSAGE_WARNING:
      {
        g_autoptr(GError) error = NULL;

        gst_message_parse_warning (message, &error, NULL);
        g_debug ("%s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message);
        break;
      }
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

/* ---- guests ---- */

static const char *
state_name (int state)
{
  switch (state)
    {
    case GST_WEBRTC_PEER_CONNECTION_STATE_NEW: return "new";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTING: return "connecting";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED: return "connected";
    case GST_WEBRTC_PEER_CONNECTION_STATE_DISCONNECTED: return "disconnected";
    case GST_WEBRTC_PEER_CONNECTION_STATE_FAILED: return "failed";
    case GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED: return "closed";
    default: return "unknown";
    }
}

static const char *
ice_state_name (GstWebRTCICEConnectionState state)
{
  switch (state)
    {
    case GST_WEBRTC_ICE_CONNECTION_STATE_NEW: return "new";
    case GST_WEBRTC_ICE_CONNECTION_STATE_CHECKING: return "checking";
    case GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED: return "connected";
    case GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED: return "completed";
    case GST_WEBRTC_ICE_CONNECTION_STATE_FAILED: return "failed";
    case GST_WEBRTC_ICE_CONNECTION_STATE_DISCONNECTED: return "disconnected";
    case GST_WEBRTC_ICE_CONNECTION_STATE_CLOSED: return "closed";
    default: return "unknown";
    }
}

/* A guest event carrying the ms since its webrtcbin was made. */
static void
emit_guest_timing (EngineMediaSession *self,
                   EngineMediaGuest   *guest,
                   const char         *name)
{
  JsonObject *event = event_new (self, name, engine_media_guest_get_id (guest));

  json_object_set_int_member (event, "ms", (g_get_monotonic_time () - engine_media_guest_get_created_us (guest)) / 1000);
  event_emit (self, event);
}

static void
on_guest_offer (EngineMediaGuest *guest,
                const char       *sdp,
                gpointer          user_data)
{
  EngineMediaSession *self = user_data;
  g_autofree char *text = NULL;

  if (self->signal == NULL)
    return;
  text = omni_signal_build_sdp (OMNI_SIGNAL_OFFER, engine_media_guest_get_id (guest), sdp);
  engine_media_signal_send (self->signal, text);
  emit_guest_timing (self, guest, "offer-sent");
}

static void
on_guest_ice_candidate (EngineMediaGuest *guest,
                        guint             mline,
                        const char       *candidate,
                        gpointer          user_data)
{
  EngineMediaSession *self = user_data;
  g_autofree char *text = NULL;

  if (self->signal == NULL)
    return;
  text = omni_signal_build_ice (engine_media_guest_get_id (guest), candidate, NULL, (int) mline);
  engine_media_signal_send (self->signal, text);
}

static gboolean restart_guest (gpointer user_data);

/* A guest's audio or video reached us: every other guest gets it too. */
static void
on_guest_remote_stream (EngineMediaGuest *guest,
                        const char       *kind,
                        GstPad           *pad,
                        GstCaps          *caps,
                        gpointer          user_data)
{
  EngineMediaSession *self = user_data;
  const char *id = engine_media_guest_get_id (guest);
  g_autoptr(GError) error = NULL;
  JsonObject *event;

  if (self->forward == NULL || !self->config.forward_guests)
    return;
  if (!engine_media_forward_add_source (self->forward, id, pad, caps, &error))
    {
      emit_error (self, error->message);
      return;
    }
  event = event_new (self, "forwarding", id);
  json_object_set_string_member (event, "kind", kind);
  json_object_set_int_member (event, "sources", engine_media_forward_get_n_sources (self->forward));
  event_emit (self, event);
}

/* An answer is in: the guest's new forwarded tracks flow now, and their
 * senders' next keyframe lets it decode them. */
static void
on_guest_negotiated (EngineMediaGuest *guest,
                     gpointer          user_data)
{
  EngineMediaSession *self = user_data;

  if (self->forward != NULL)
    engine_media_forward_request_keyframes (self->forward, engine_media_guest_get_id (guest));
}

/* Another guest's stream came or went: a new offer on this guest's
 * connection (the host always offers). */
static void
on_forward_renegotiate (EngineMediaForward *forward,
                        const char         *id,
                        gpointer            user_data)
{
  EngineMediaSession *self = user_data;
  EngineMediaGuest *guest = g_hash_table_lookup (self->guests, id);

  if (guest != NULL)
    {
      event_emit (self, event_new (self, "renegotiate", id));
      engine_media_guest_negotiate (guest);
    }
}

typedef struct {
  EngineMediaSession *self;
  char               *id;
} RestartData;

static void
restart_data_free (gpointer data)
{
  RestartData *restart = data;

  g_object_unref (restart->self);
  g_free (restart->id);
  g_free (restart);
}

static void
on_guest_state_changed (EngineMediaGuest *guest,
                        int               state,
                        gpointer          user_data)
{
  EngineMediaSession *self = user_data;
  const char *id = engine_media_guest_get_id (guest);
  JsonObject *event = event_new (self, "guest-state", id);

  json_object_set_string_member (event, "state", state_name (state));
  event_emit (self, event);

  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    {
      event = event_new (self, "guest-connected", id);
      json_object_set_int_member (event, "ms", (g_get_monotonic_time () - engine_media_guest_get_created_us (guest)) / 1000);
      event_emit (self, event);
      /* The guest's decoder needs a keyframe; asking now saves it the
       * round trip of a PLI. */
      request_keyframes (self);
    }
  else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
    {
      /* webrtcbin 1.22 cannot restart ICE on a live connection: a fresh
       * webrtcbin and offer is the restart (the join page takes a new
       * offer with new ICE and DTLS parameters as a new connection). */
      RestartData *restart = g_new0 (RestartData, 1);

      restart->self = g_object_ref (self);
      restart->id = g_strdup (id);
      g_idle_add_full (G_PRIORITY_DEFAULT, restart_guest, restart, restart_data_free);
    }
}

static void
on_guest_first_frame (EngineMediaGuest *guest,
                      const char       *kind,
                      gpointer          user_data)
{
  EngineMediaSession *self = user_data;
  JsonObject *event = event_new (self, "first-frame", engine_media_guest_get_id (guest));

  json_object_set_string_member (event, "kind", kind);
  json_object_set_int_member (event, "ms", (g_get_monotonic_time () - engine_media_guest_get_created_us (guest)) / 1000);
  event_emit (self, event);
}

static void
on_guest_stats (EngineMediaGuest *guest,
                JsonObject       *stats,
                gpointer          user_data)
{
  EngineMediaSession *self = user_data;
  JsonObject *event = event_new (self, "stats", engine_media_guest_get_id (guest));
  GstWebRTCICEConnectionState ice_state;
  GList *members = json_object_get_members (stats);

  for (GList *l = members; l != NULL; l = l->next)
    json_object_set_member (event, l->data, json_node_copy (json_object_get_member (stats, l->data)));
  g_list_free (members);
  json_object_set_string_member (event, "state", state_name (engine_media_guest_get_state (guest)));
  /* ICE apart from the peer connection: tells a dead path from a failed DTLS. */
  g_object_get (engine_media_guest_get_webrtcbin (guest), "ice-connection-state", &ice_state, NULL);
  json_object_set_string_member (event, "ice", ice_state_name (ice_state));
  event_emit (self, event);
}

static gboolean
on_stats_timeout (gpointer user_data)
{
  EngineMediaSession *self = user_data;
  GHashTableIter iter;
  gpointer value;

  JsonObject *event = event_new (self, "host-stats", NULL);
  guint passed = 0, merged = 0;

  g_hash_table_iter_init (&iter, self->guests);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    engine_media_guest_request_stats (value);
  /* The encode-once proof: the encoder count does not follow the guests. */
  engine_media_session_get_keyframe_counts (self, &passed, &merged);
  json_object_set_int_member (event, "guests", g_hash_table_size (self->guests));
  json_object_set_int_member (event, "encoders", engine_media_session_count_encoders (self));
  json_object_set_int_member (event, "forwarded",
                              self->forward ? engine_media_forward_get_n_sources (self->forward) : 0);
  if (self->forward != NULL)
    {
      guint forward_passed = 0, forward_merged = 0;

      engine_media_forward_get_keyframe_counts (self->forward, &forward_passed, &forward_merged);
      json_object_set_int_member (event, "forwardedKeyframeRequests", forward_passed);
      json_object_set_int_member (event, "forwardedKeyframeRequestsMerged", forward_merged);
    }
  json_object_set_int_member (event, "keyframes", passed);
  json_object_set_int_member (event, "keyframeRequestsMerged", merged);
  event_emit (self, event);
  return G_SOURCE_CONTINUE;
}

/* Unlinks a guest's bin from the tees and stops it. The branch queues are
 * leaky, so releasing a tee pad never waits on a blocked guest. */
static void
detach_guest (EngineMediaSession *self,
              EngineMediaGuest   *guest)
{
  GstElement *bin = engine_media_guest_get_bin (guest);
  const char *id = engine_media_guest_get_id (guest);

  g_signal_handlers_disconnect_by_data (guest, self);
  /* Others stop receiving this guest (their transceivers go inactive, to
   * be reused) and this guest stops receiving the others. */
  if (self->forward != NULL)
    {
      engine_media_forward_remove_receiver (self->forward, id);
      engine_media_forward_remove_sources (self->forward, id);
    }
  for (guint i = 0; i < ENGINE_MEDIA_N_TRACKS; i++)
    {
      GstPad *sink = engine_media_guest_get_sink_pad (guest, i);
      g_autoptr(GstPad) tee_pad = gst_pad_get_peer (sink);

      if (tee_pad == NULL)
        continue;
      gst_pad_unlink (tee_pad, sink);
      gst_element_release_request_pad (self->tees[i], tee_pad);
    }
  engine_media_guest_shutdown (guest);
  if (GST_OBJECT_PARENT (bin) == GST_OBJECT (self->pipeline))
    gst_bin_remove (GST_BIN (self->pipeline), bin);
}

static gboolean
restart_guest (gpointer user_data)
{
  RestartData *restart = user_data;
  EngineMediaSession *self = restart->self;
  EngineMediaGuest *guest = g_hash_table_lookup (self->guests, restart->id);

  if (guest != NULL && engine_media_guest_get_state (guest) == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
    engine_media_session_restart_guest (self, restart->id);
  return G_SOURCE_REMOVE;
}

/* ---- signaling ---- */

static void
send_media_state (EngineMediaSession *self)
{
  g_autofree char *text = NULL;

  if (self->signal == NULL)
    return;
  text = omni_signal_build_media (self->mic_on, self->camera_on, self->screen_on);
  engine_media_signal_send (self->signal, text);
}

/* "stun:host:port" / "turn:host:port?transport=udp" plus credentials →
 * webrtcbin's stun:// and turn://user:pass@host:port URIs. */
static void
add_ice_url (EngineMediaSession *self,
             const char         *url,
             const char         *username,
             const char         *credential)
{
  const char *colon = strchr (url, ':');
  g_autofree char *scheme = NULL;
  const char *rest;

  if (colon == NULL)
    return;
  scheme = g_strndup (url, colon - url);
  rest = colon + 1;
  while (*rest == '/')
    rest++;
  if (g_str_equal (scheme, "stun") || g_str_equal (scheme, "stuns"))
    {
      if (self->stun_server == NULL)
        self->stun_server = g_strdup_printf ("stun://%s", rest);
    }
  else if ((g_str_equal (scheme, "turn") || g_str_equal (scheme, "turns")) &&
           username != NULL && credential != NULL)
    {
      g_autofree char *user = g_uri_escape_string (username, NULL, FALSE);
      g_autofree char *pass = g_uri_escape_string (credential, NULL, FALSE);

      g_ptr_array_insert (self->turn_servers, self->turn_servers->len - 1,
                          g_strdup_printf ("%s://%s:%s@%s", scheme, user, pass, rest));
    }
}

static void
take_ice_servers (EngineMediaSession *self,
                  JsonObject         *welcome)
{
  JsonArray *servers;

  if (!json_object_has_member (welcome, "iceServers"))
    return;
  servers = json_object_get_array_member (welcome, "iceServers");
  g_clear_pointer (&self->stun_server, g_free);
  g_ptr_array_set_size (self->turn_servers, 0);
  g_ptr_array_add (self->turn_servers, NULL);
  for (guint i = 0; i < json_array_get_length (servers); i++)
    {
      JsonNode *node = json_array_get_element (servers, i);
      JsonObject *server;
      JsonNode *urls;
      const char *username, *credential;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      server = json_node_get_object (node);
      urls = json_object_get_member (server, "urls");
      username = json_object_get_string_member_with_default (server, "username", NULL);
      credential = json_object_get_string_member_with_default (server, "credential", NULL);
      if (urls == NULL)
        continue;
      if (JSON_NODE_HOLDS_VALUE (urls) && json_node_get_value_type (urls) == G_TYPE_STRING)
        add_ice_url (self, json_node_get_string (urls), username, credential);
      else if (JSON_NODE_HOLDS_ARRAY (urls))
        {
          JsonArray *list = json_node_get_array (urls);

          for (guint j = 0; j < json_array_get_length (list); j++)
            {
              JsonNode *url = json_array_get_element (list, j);

              if (JSON_NODE_HOLDS_VALUE (url) && json_node_get_value_type (url) == G_TYPE_STRING)
                add_ice_url (self, json_node_get_string (url), username, credential);
            }
        }
    }
}

/* A participant object from roster / participant-joined / -updated. */
static void
participant_seen (EngineMediaSession *self,
                  JsonObject         *participant,
                  gboolean            announce)
{
  const char *id = json_object_get_string_member_with_default (participant, "id", NULL);
  const char *role = json_object_get_string_member_with_default (participant, "role", "");
  const char *name = json_object_get_string_member_with_default (participant, "name", "");
  gboolean connected = json_object_get_boolean_member_with_default (participant, "connected", TRUE);
  EngineMediaGuest *guest;

  if (id == NULL || !g_str_equal (role, "guest"))
    return;
  guest = g_hash_table_lookup (self->guests, id);
  if (guest == NULL)
    {
      JsonObject *event = event_new (self, "guest-joined", id);

      json_object_set_string_member (event, "name", name);
      event_emit (self, event);
      engine_media_session_add_guest (self, id, name);
      /* Its offer may not reach it now: it gets a new one when it is back. */
      if (!connected)
        g_hash_table_add (self->offline, g_strdup (id));
      return;
    }
  if (!announce)
    return;
  if (!connected)
    {
      g_hash_table_add (self->offline, g_strdup (id));
      return;
    }
  /* Back after a dropped socket: a peer connection that did not survive
   * (or an offer sent while the guest was away) gets a fresh one without
   * the host doing anything. */
  if (g_hash_table_remove (self->offline, id) &&
      engine_media_guest_get_state (guest) != GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    engine_media_session_restart_guest (self, id);
}

static void
on_signal_message (EngineMediaSignal *signal,
                   int                kind,
                   JsonObject        *message,
                   gpointer           user_data)
{
  EngineMediaSession *self = user_data;

  switch (kind)
    {
    case OMNI_SIGNAL_WELCOME:
      {
        JsonObject *event;

        g_free (self->host_id);
        self->host_id = g_strdup (json_object_get_string_member (message, "participantId"));
        self->reconnect_deadline_us = 0;
        self->resume_window_us = json_object_get_int_member (message, "resumeWindowMs") * G_TIME_SPAN_MILLISECOND;
        take_ice_servers (self, message);
        event = event_new (self, "live", NULL);
        json_object_set_string_member (event, "hostId", self->host_id);
        json_object_set_boolean_member (event, "resumed", json_object_get_boolean_member (message, "resumed"));
        json_object_set_boolean_member (event, "stun", self->stun_server != NULL);
        json_object_set_int_member (event, "turnServers", self->turn_servers->len - 1);
        event_emit (self, event);
        send_media_state (self);
        break;
      }
    case OMNI_SIGNAL_ROSTER:
      {
        JsonArray *participants = json_object_get_array_member (message, "participants");
        g_autoptr(GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
        g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
        GHashTableIter iter;
        gpointer key;

        for (guint i = 0; i < json_array_get_length (participants); i++)
          {
            JsonNode *node = json_array_get_element (participants, i);

            if (!JSON_NODE_HOLDS_OBJECT (node))
              continue;
            participant_seen (self, json_node_get_object (node), FALSE);
            g_hash_table_add (present, (gpointer) json_object_get_string_member_with_default (json_node_get_object (node), "id", ""));
          }
        /* After a reconnect: whoever left while we were away is gone. */
        g_hash_table_iter_init (&iter, self->guests);
        while (g_hash_table_iter_next (&iter, &key, NULL))
          if (!g_hash_table_contains (present, key))
            g_ptr_array_add (gone, g_strdup (key));
        for (guint i = 0; i < gone->len; i++)
          {
            event_emit (self, event_new (self, "guest-left", g_ptr_array_index (gone, i)));
            engine_media_session_remove_guest (self, g_ptr_array_index (gone, i));
          }
        break;
      }
    case OMNI_SIGNAL_PARTICIPANT_JOINED:
    case OMNI_SIGNAL_PARTICIPANT_UPDATED:
      participant_seen (self, json_object_get_object_member (message, "participant"),
                        kind == OMNI_SIGNAL_PARTICIPANT_UPDATED);
      break;
    case OMNI_SIGNAL_PARTICIPANT_LEFT:
      {
        const char *id = json_object_get_string_member (message, "id");

        if (g_hash_table_contains (self->guests, id))
          {
            JsonObject *event = event_new (self, "guest-left", id);

            json_object_set_string_member (event, "reason",
                                           json_object_get_string_member_with_default (message, "reason", "left"));
            event_emit (self, event);
            engine_media_session_remove_guest (self, id);
          }
        g_hash_table_remove (self->admit_sent, id);
        g_hash_table_remove (self->offline, id);
        break;
      }
    case OMNI_SIGNAL_WAITING_LIST:
      {
        JsonArray *guests = json_object_get_array_member (message, "guests");

        for (guint i = 0; i < json_array_get_length (guests); i++)
          {
            JsonObject *waiting = json_array_get_object_element (guests, i);
            const char *id = waiting ? json_object_get_string_member_with_default (waiting, "id", NULL) : NULL;

            if (id == NULL || g_hash_table_contains (self->admit_sent, id))
              continue;
            {
              JsonObject *event = event_new (self, "guest-waiting", id);

              json_object_set_string_member (event, "name",
                                             json_object_get_string_member_with_default (waiting, "name", ""));
              event_emit (self, event);
            }
            if (self->config.admit_all)
              engine_media_session_admit (self, id);
          }
        break;
      }
    case OMNI_SIGNAL_ANSWER:
      {
        const char *from = json_object_get_string_member_with_default (message, "from", NULL);
        EngineMediaGuest *guest = from ? g_hash_table_lookup (self->guests, from) : NULL;
        g_autoptr(GError) error = NULL;

        if (guest == NULL)
          break;
        emit_guest_timing (self, guest, "answer-received");
        if (!engine_media_guest_set_answer (guest, json_object_get_string_member (message, "sdp"), &error))
          emit_error (self, error->message);
        break;
      }
    case OMNI_SIGNAL_MEDIA_RESTART:
      {
        const char *from = json_object_get_string_member_with_default (message, "from", NULL);
        EngineMediaGuest *guest = from ? g_hash_table_lookup (self->guests, from) : NULL;
        g_autofree char *id = g_strdup (from);

        /* The guest's side of the connection failed (a network change the
         * host may never notice). A young connection is still setting up:
         * restarting it again would only loop. */
        if (guest == NULL ||
            g_get_monotonic_time () - engine_media_guest_get_created_us (guest) < MEDIA_RESTART_MIN_AGE_US)
          break;
        event_emit (self, event_new (self, "guest-restart-requested", id));
        engine_media_session_restart_guest (self, id);
        break;
      }
    case OMNI_SIGNAL_ICE:
      {
        const char *from = json_object_get_string_member_with_default (message, "from", NULL);
        EngineMediaGuest *guest = from ? g_hash_table_lookup (self->guests, from) : NULL;

        if (guest != NULL)
          engine_media_guest_add_ice (guest,
                                      (guint) json_object_get_int_member_with_default (message, "sdpMLineIndex", 0),
                                      json_object_get_string_member (message, "candidate"));
        break;
      }
    case OMNI_SIGNAL_SESSION_ENDED:
      emit_ended (self, json_object_get_string_member_with_default (message, "reason", "ended"));
      break;
    case OMNI_SIGNAL_ERROR:
      {
        g_autofree char *text = g_strdup_printf ("%s: %s",
                                                 json_object_get_string_member (message, "code"),
                                                 json_object_get_string_member (message, "message"));
        emit_error (self, text);
        break;
      }
    default:
      break;
    }
}

static void open_signal (EngineMediaSession *self);

static gboolean
on_reconnect_timeout (gpointer user_data)
{
  EngineMediaSession *self = user_data;

  self->reconnect_source = 0;
  open_signal (self);
  return G_SOURCE_REMOVE;
}

/* The host's socket dropped (network, relay restart): the guests' peer
 * connections do not need it, so keep them and reconnect within the
 * relay's resume window; the relay gives the host its place back. */
static gboolean
schedule_reconnect (EngineMediaSession *self)
{
  gint64 now = g_get_monotonic_time ();
  JsonObject *event;

  if (self->reconnect_deadline_us == 0)
    self->reconnect_deadline_us = now + self->resume_window_us;
  if (now >= self->reconnect_deadline_us || self->ended)
    return FALSE;
  event = event_new (self, "reconnecting", NULL);
  event_emit (self, event);
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  self->reconnect_source = g_timeout_add (1000, on_reconnect_timeout, self);
  return TRUE;
}

static void
on_signal_closed (EngineMediaSignal *signal,
                  int                code,
                  const char        *reason,
                  gpointer           user_data)
{
  EngineMediaSession *self = user_data;
  g_autofree char *text = g_strdup_printf ("socket closed (%d%s%s)", code, reason[0] ? ": " : "", reason);

  /* Closed on purpose (ended, replaced by another host socket, refused,
   * policy): final. Anything else is worth another try. */
  if (code == SOUP_WEBSOCKET_CLOSE_NORMAL || code == SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION ||
      code == 4001 || code == 4003 || !schedule_reconnect (self))
    emit_ended (self, text);
}

static void
on_signal_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(EngineMediaSession) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!engine_media_signal_connect_finish (ENGINE_MEDIA_SIGNAL (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      emit_error (self, error->message);
      if (self->reconnect_deadline_us == 0 || !schedule_reconnect (self))
        emit_ended (self, "cannot reach the relay");
    }
}

static void
open_signal (EngineMediaSession *self)
{
  if (self->signal != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->signal, self);
      g_clear_object (&self->signal);
    }
  self->signal = engine_media_signal_new (self->relay_url, self->token, self->session_id);
  g_signal_connect_object (self->signal, "message", G_CALLBACK (on_signal_message), self, 0);
  g_signal_connect_object (self->signal, "closed", G_CALLBACK (on_signal_closed), self, 0);
  engine_media_signal_connect_async (self->signal, self->cancellable, on_signal_connected,
                                     g_object_ref (self));
}

/* ---- GObject ---- */

static void
engine_media_session_dispose (GObject *object)
{
  EngineMediaSession *self = ENGINE_MEDIA_SESSION (object);

  engine_media_session_stop (self);
  for (guint i = 0; i < ENGINE_MEDIA_N_TRACKS; i++)
    g_clear_pointer (&self->track_caps[i], gst_caps_unref);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (engine_media_session_parent_class)->dispose (object);
}

static void
engine_media_session_finalize (GObject *object)
{
  EngineMediaSession *self = ENGINE_MEDIA_SESSION (object);

  for (guint i = 0; i < ENGINE_MEDIA_N_TRACKS; i++)
    g_mutex_clear (&self->gates[i].lock);
  g_hash_table_unref (self->guests);
  g_hash_table_unref (self->admit_sent);
  g_hash_table_unref (self->offline);
  g_ptr_array_unref (self->turn_servers);
  g_free (self->camera_path);
  g_free (self->host_id);
  g_free (self->relay_url);
  g_free (self->token);
  g_free (self->session_id);
  g_free (self->stun_server);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (engine_media_session_parent_class)->finalize (object);
}

static void
engine_media_session_class_init (EngineMediaSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = engine_media_session_dispose;
  object_class->finalize = engine_media_session_finalize;

  /* Every event as one JSON object with "event" (its name), "t" (ms since
   * the engine started) and, for guest events, "guest". */
  signals[SIGNAL_EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
}

static void
engine_media_session_init (EngineMediaSession *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->start_us = g_get_monotonic_time ();
  self->guests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->admit_sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->offline = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->turn_servers = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->turn_servers, NULL);
  self->cancellable = g_cancellable_new ();
  self->resume_window_us = 30 * G_USEC_PER_SEC;
  self->mic_on = TRUE;
  self->camera_on = TRUE;
  self->screen_on = FALSE;
  for (guint i = 0; i < ENGINE_MEDIA_N_TRACKS; i++)
    {
      g_mutex_init (&self->gates[i].lock);
      self->gates[i].self = self;
    }
}

/* ---- public API ---- */

void
engine_media_config_init (EngineMediaConfig *config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof *config);
  config->width = 1280;
  config->height = 720;
  config->fps = 30;
  config->video_kbps = 1500;
  config->stats_interval_ms = 1000;
  config->forward_guests = TRUE;
}

EngineMediaSession *
engine_media_session_new (const EngineMediaConfig *config)
{
  EngineMediaSession *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->width > 0 && config->height > 0 && config->fps > 0, NULL);

  self = g_object_new (ENGINE_TYPE_MEDIA_SESSION, NULL);
  self->config = *config;
  self->camera_path = g_strdup (config->camera_path);
  self->config.camera_path = self->camera_path;
  return self;
}

gboolean
engine_media_session_start_pipeline (EngineMediaSession  *self,
                                     GError             **error)
{
  g_autofree char *camera = NULL, *mic = NULL, *screen = NULL, *screen_head = NULL;
  g_autofree char *camera_branch = NULL, *screen_branch = NULL, *description = NULL;
  g_autolist(GstDevice) devices = NULL;
  g_autoptr(GstBus) bus = NULL;
  guint32 ssrcs[ENGINE_MEDIA_N_TRACKS];
  static const char *const encoder_names[ENGINE_MEDIA_N_TRACKS] = {
    "audio-encoder", "camera-encoder", "screen-encoder"
  };

  g_return_val_if_fail (ENGINE_IS_MEDIA_SESSION (self), FALSE);
  g_return_val_if_fail (self->pipeline == NULL, FALSE);

  self->dtls_prewarm = g_thread_new ("dtls-prewarm", prewarm_dtls_thread, NULL);
  devices = probe_devices (self);
  self->devices[ENGINE_MEDIA_TRACK_CAMERA] = find_camera (self, devices);
  self->devices[ENGINE_MEDIA_TRACK_AUDIO] = find_microphone (self, devices);
  camera = source_head (self, ENGINE_MEDIA_TRACK_CAMERA);
  mic = source_head (self, ENGINE_MEDIA_TRACK_AUDIO);
  /* Wayland needs the user's pick in the ScreenCast portal: until then
   * (and without a display) a test pattern stands in, behind the valve. */
  self->screen = engine_media_screen_new (self->config.screen_device
                                          ? engine_screencast_choose_backend (NULL)
                                          : ENGINE_SCREENCAST_BACKEND_TEST);
  g_signal_connect (self->screen, "lost", G_CALLBACK (on_screen_lost), self);
  screen = engine_media_screen_source_description (self->screen);
  screen_head = g_strconcat (screen, " ! ", NULL);
  /* Fixed SSRCs, known before any packet flows: the offer's a=ssrc/msid
   * lines come from the transceiver's caps, and a track offered without
   * them lands in an unlabelled MediaStream on the guest. */
  for (guint i = 0; i < ENGINE_MEDIA_N_TRACKS; i++)
    ssrcs[i] = g_random_int ();
  camera_branch = video_branch (self, "camera", camera, self->config.fps, PT_VIDEO_CAMERA,
                                ssrcs[ENGINE_MEDIA_TRACK_CAMERA]);
  /* A shared screen changes little: half the frame rate is plenty. */
  screen_branch = video_branch (self, "screen", screen_head, MAX (self->config.fps / 2, 1), PT_VIDEO_SCREEN,
                                ssrcs[ENGINE_MEDIA_TRACK_SCREEN]);
  description = g_strdup_printf (
    "%saudioconvert name=mic-convert ! audioresample ! audio/x-raw,rate=48000,channels=2 ! "
    "volume name=mic-volume ! queue leaky=downstream max-size-time=200000000 ! "
    "opusenc name=audio-encoder bitrate=48000 frame-size=20 ! rtpopuspay pt=%d ssrc=%u ! "
    "application/x-rtp,payload=%d ! tee name=audio-tee allow-not-linked=true  "
    "%s  %s",
    mic, PT_OPUS, ssrcs[ENGINE_MEDIA_TRACK_AUDIO], PT_OPUS, camera_branch, screen_branch);

  self->pipeline = gst_parse_launch_full (description, NULL, GST_PARSE_FLAG_FATAL_ERRORS, error);
  if (self->pipeline == NULL)
    return FALSE;
  gst_object_ref_sink (self->pipeline);
  gst_element_set_name (self->pipeline, "omnilive-host");
  for (guint i = ENGINE_MEDIA_TRACK_AUDIO; i <= ENGINE_MEDIA_TRACK_CAMERA; i++)
    if (self->devices[i] != NULL && !install_device (self, i))
      device_source_failed (self, i, "its output does not fit the pipeline");

  self->track_caps[ENGINE_MEDIA_TRACK_AUDIO] = gst_caps_new_simple ("application/x-rtp",
    "media", G_TYPE_STRING, "audio", "encoding-name", G_TYPE_STRING, "OPUS",
    "clock-rate", G_TYPE_INT, 48000, "payload", G_TYPE_INT, PT_OPUS,
    "encoding-params", G_TYPE_STRING, "2", "ssrc", G_TYPE_UINT, ssrcs[ENGINE_MEDIA_TRACK_AUDIO], NULL);
  for (guint i = ENGINE_MEDIA_TRACK_CAMERA; i <= ENGINE_MEDIA_TRACK_SCREEN; i++)
    {
      self->track_caps[i] = gst_caps_new_simple ("application/x-rtp",
        "media", G_TYPE_STRING, "video",
        "encoding-name", G_TYPE_STRING, self->config.codec == ENGINE_MEDIA_CODEC_H264 ? "H264" : "VP8",
        "clock-rate", G_TYPE_INT, 90000,
        "payload", G_TYPE_INT, i == ENGINE_MEDIA_TRACK_CAMERA ? PT_VIDEO_CAMERA : PT_VIDEO_SCREEN,
        "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE, "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE,
        "ssrc", G_TYPE_UINT, ssrcs[i], NULL);
      /* Constrained baseline (the encoder's caps), FU-A packets. No
       * profile-level-id here: the payloader's caps carry the one of the
       * actual stream (its level follows the picture size), and a
       * different one in the preferences would fail negotiation. */
      if (self->config.codec == ENGINE_MEDIA_CODEC_H264)
        gst_caps_set_simple (self->track_caps[i],
                             "packetization-mode", G_TYPE_STRING, "1",
                             "level-asymmetry-allowed", G_TYPE_STRING, "1", NULL);
    }

  for (guint i = 0; i < ENGINE_MEDIA_N_TRACKS; i++)
    {
      g_autofree char *tee_name = g_strdup_printf ("%s-tee", track_names[i]);
      g_autoptr(GstElement) encoder = gst_bin_get_by_name (GST_BIN (self->pipeline), encoder_names[i]);

      self->tees[i] = gst_bin_get_by_name (GST_BIN (self->pipeline), tee_name);
      g_assert (self->tees[i] != NULL && encoder != NULL);
      self->gates[i].pad = gst_element_get_static_pad (encoder, "src");
      gst_pad_add_probe (self->gates[i].pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                         on_encoder_upstream_event, &self->gates[i], NULL);
    }
  self->mic_volume = gst_bin_get_by_name (GST_BIN (self->pipeline), "mic-volume");
  self->camera_valve = gst_bin_get_by_name (GST_BIN (self->pipeline), "camera-valve");
  self->screen_valve = gst_bin_get_by_name (GST_BIN (self->pipeline), "screen-valve");
  engine_media_screen_set_pipeline (self->screen, GST_BIN (self->pipeline));
  g_object_set (self->mic_volume, "mute", !self->mic_on, NULL);
  g_object_set (self->camera_valve, "drop", !self->camera_on, NULL);
  g_object_set (self->screen_valve, "drop", !self->screen_on, NULL);

  self->forward = engine_media_forward_new (GST_BIN (self->pipeline));
  g_signal_connect (self->forward, "renegotiate", G_CALLBACK (on_forward_renegotiate), self);

  bus = gst_element_get_bus (self->pipeline);
  self->bus_watch = gst_bus_add_watch (bus, on_bus_message, self);

  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The media pipeline does not start");
      return FALSE;
    }
  for (guint i = ENGINE_MEDIA_TRACK_AUDIO; i <= ENGINE_MEDIA_TRACK_CAMERA; i++)
    if (self->devices[i] != NULL && !self->devices[i]->replaced)
      start_device (self, i);
  emit_sources (self);
  if (self->config.stats_interval_ms > 0)
    self->stats_source = g_timeout_add (self->config.stats_interval_ms, on_stats_timeout, self);
  return TRUE;
}

void
engine_media_session_connect (EngineMediaSession *self,
                              const char         *relay_url,
                              const char         *token,
                              const char         *session_id)
{
  g_return_if_fail (ENGINE_IS_MEDIA_SESSION (self));
  g_return_if_fail (relay_url != NULL && token != NULL && session_id != NULL);
  g_return_if_fail (self->signal == NULL);

  self->relay_url = g_strdup (relay_url);
  self->token = g_strdup (token);
  self->session_id = g_strdup (session_id);
  open_signal (self);
}

void
engine_media_session_stop (EngineMediaSession *self)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (ENGINE_IS_MEDIA_SESSION (self));

  g_cancellable_cancel (self->cancellable);
  if (self->screen_request != NULL)
    g_cancellable_cancel (self->screen_request);
  g_clear_object (&self->screen_request);
  g_clear_handle_id (&self->stats_source, g_source_remove);
  g_clear_handle_id (&self->reconnect_source, g_source_remove);
  if (self->signal != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->signal, self);
      engine_media_signal_close (self->signal);
      g_clear_object (&self->signal);
    }
  /* Forwarding first: guests leaving one by one would otherwise make
   * every remaining guest's transceivers inactive and ask for offers. */
  if (self->forward != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->forward, self);
      engine_media_forward_clear (self->forward);
      g_clear_object (&self->forward);
    }
  g_hash_table_iter_init (&iter, self->guests);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    detach_guest (self, value);
  g_hash_table_remove_all (self->guests);

  stop_devices (self);
  if (self->pipeline != NULL)
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
  if (self->dtls_prewarm != NULL)
    g_thread_join (g_steal_pointer (&self->dtls_prewarm));
  /* After the pipeline stopped: pipewiresrc reads the portal's fd until then. */
  if (self->screen != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->screen, self);
      engine_media_screen_set_pipeline (self->screen, NULL);
      g_clear_object (&self->screen);
    }
  /* No streaming thread is left to schedule another deferred keyframe. */
  for (guint i = 0; i < ENGINE_MEDIA_N_TRACKS; i++)
    {
      KeyframeGate *gate = &self->gates[i];

      g_mutex_lock (&gate->lock);
      if (gate->deferred != NULL)
        g_source_destroy (gate->deferred);
      g_clear_pointer (&gate->deferred, g_source_unref);
      gate->pending = FALSE;
      g_mutex_unlock (&gate->lock);
    }
  for (guint i = 0; i < ENGINE_MEDIA_N_TRACKS; i++)
    {
      g_clear_object (&self->gates[i].pad);
      g_clear_object (&self->tees[i]);
    }
  g_clear_object (&self->mic_volume);
  g_clear_object (&self->camera_valve);
  g_clear_object (&self->screen_valve);
  g_clear_handle_id (&self->bus_watch, g_source_remove);
  g_clear_object (&self->pipeline);
}

GstElement *
engine_media_session_get_pipeline (EngineMediaSession *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_SESSION (self), NULL);
  return self->pipeline;
}

EngineMediaGuest *
engine_media_session_add_guest (EngineMediaSession *self,
                                const char         *id,
                                const char         *name)
{
  EngineMediaIceConfig ice = { 0 };
  g_autoptr(EngineMediaGuest) guest = NULL;
  GstElement *bin;

  g_return_val_if_fail (ENGINE_IS_MEDIA_SESSION (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (self->pipeline != NULL, NULL);

  if (g_hash_table_contains (self->guests, id))
    return g_hash_table_lookup (self->guests, id);

  ice.stun_server = self->stun_server;
  ice.turn_servers = (const char *const *) self->turn_servers->pdata;
  ice.relay_only = self->config.relay_only;
  ice.loopback = self->config.loopback;
  guest = engine_media_guest_new (id, name, self->track_caps,
                                  self->host_id ? self->host_id : "host", &ice);
  if (guest == NULL)
    return NULL;
  g_signal_connect (guest, "offer", G_CALLBACK (on_guest_offer), self);
  g_signal_connect (guest, "ice-candidate", G_CALLBACK (on_guest_ice_candidate), self);
  g_signal_connect (guest, "state-changed", G_CALLBACK (on_guest_state_changed), self);
  g_signal_connect (guest, "first-frame", G_CALLBACK (on_guest_first_frame), self);
  g_signal_connect (guest, "stats", G_CALLBACK (on_guest_stats), self);
  g_signal_connect (guest, "remote-stream", G_CALLBACK (on_guest_remote_stream), self);
  g_signal_connect (guest, "negotiated", G_CALLBACK (on_guest_negotiated), self);

  /* Bring the branch to PLAYING first, then link the tees: linking a
   * running tee to a branch that is still changing state froze the whole
   * pipeline now and then (ARCHITECTURE.md). */
  bin = engine_media_guest_get_bin (guest);
  gst_bin_add (GST_BIN (self->pipeline), bin);
  gst_element_sync_state_with_parent (bin);
  for (guint i = 0; i < ENGINE_MEDIA_N_TRACKS; i++)
    {
      g_autoptr(GstPad) tee_pad = engine_media_tee_request_pad (self->tees[i]);

      if (gst_pad_link (tee_pad, engine_media_guest_get_sink_pad (guest, i)) != GST_PAD_LINK_OK)
        g_warning ("Guest %s: cannot link the %s track", id, track_names[i]);
    }
  g_hash_table_insert (self->guests, g_strdup (id), g_object_ref (guest));
  /* The guests already here: their streams are in the first offer. */
  engine_media_guest_set_forward (guest, self->forward);
  engine_media_forward_add_receiver (self->forward, id, engine_media_guest_get_webrtcbin (guest));
  engine_media_guest_negotiate (guest);
  return guest;
}

void
engine_media_session_remove_guest (EngineMediaSession *self,
                                   const char         *id)
{
  EngineMediaGuest *guest;

  g_return_if_fail (ENGINE_IS_MEDIA_SESSION (self));
  g_return_if_fail (id != NULL);

  guest = g_hash_table_lookup (self->guests, id);
  if (guest == NULL)
    return;
  detach_guest (self, guest);
  g_hash_table_remove (self->guests, id);
}

void
engine_media_session_restart_guest (EngineMediaSession *self,
                                    const char         *id)
{
  EngineMediaGuest *guest;
  g_autofree char *guest_id = NULL;
  g_autofree char *name = NULL;

  g_return_if_fail (ENGINE_IS_MEDIA_SESSION (self));
  g_return_if_fail (id != NULL);

  guest = g_hash_table_lookup (self->guests, id);
  if (guest == NULL)
    return;
  guest_id = g_strdup (id);
  name = g_strdup (engine_media_guest_get_name (guest));
  event_emit (self, event_new (self, "guest-restart", guest_id));
  engine_media_session_remove_guest (self, guest_id);
  engine_media_session_add_guest (self, guest_id, name);
}

EngineMediaGuest *
engine_media_session_lookup_guest (EngineMediaSession *self,
                                   const char         *id)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_SESSION (self), NULL);
  return g_hash_table_lookup (self->guests, id);
}

guint
engine_media_session_get_n_guests (EngineMediaSession *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_SESSION (self), 0);
  return g_hash_table_size (self->guests);
}

guint
engine_media_session_count_encoders (EngineMediaSession *self)
{
  g_autoptr(GstIterator) iter = NULL;
  GValue item = G_VALUE_INIT;
  guint count = 0;

  g_return_val_if_fail (ENGINE_IS_MEDIA_SESSION (self), 0);
  if (self->pipeline == NULL)
    return 0;
  iter = gst_bin_iterate_recurse (GST_BIN (self->pipeline));
  while (gst_iterator_next (iter, &item) == GST_ITERATOR_OK)
    {
      GstElement *element = g_value_get_object (&item);
      GstElementFactory *factory = gst_element_get_factory (element);
      const char *klass = factory ? gst_element_factory_get_metadata (factory, GST_ELEMENT_METADATA_KLASS) : NULL;

      /* "Codec/Encoder/…": DTLS elements call themselves encoders too. */
      if (klass != NULL && strstr (klass, "Codec/Encoder") != NULL)
        count++;
      g_value_reset (&item);
    }
  g_value_unset (&item);
  return count;
}

void
engine_media_session_get_keyframe_counts (EngineMediaSession *self,
                                          guint              *passed,
                                          guint              *merged)
{
  guint p = 0, m = 0;

  g_return_if_fail (ENGINE_IS_MEDIA_SESSION (self));
  for (guint i = 0; i < ENGINE_MEDIA_N_TRACKS; i++)
    {
      g_mutex_lock (&self->gates[i].lock);
      p += self->gates[i].passed;
      m += self->gates[i].merged;
      g_mutex_unlock (&self->gates[i].lock);
    }
  if (passed)
    *passed = p;
  if (merged)
    *merged = m;
}

static void
emit_media_event (EngineMediaSession *self)
{
  JsonObject *event = event_new (self, "media", NULL);

  json_object_set_boolean_member (event, "mic", self->mic_on);
  json_object_set_boolean_member (event, "cam", self->camera_on);
  json_object_set_boolean_member (event, "screen", self->screen_on);
  event_emit (self, event);
  send_media_state (self);
}

void
engine_media_session_set_mic (EngineMediaSession *self,
                              gboolean            on)
{
  g_return_if_fail (ENGINE_IS_MEDIA_SESSION (self));
  self->mic_on = !!on;
  /* Muting keeps the Opus stream (and its timing) going with silence. */
  if (self->mic_volume != NULL)
    g_object_set (self->mic_volume, "mute", !self->mic_on, NULL);
  emit_media_event (self);
}

void
engine_media_session_set_camera (EngineMediaSession *self,
                                 gboolean            on)
{
  g_return_if_fail (ENGINE_IS_MEDIA_SESSION (self));
  self->camera_on = !!on;
  /* The valve sits before the encoder: a camera that is off costs nothing
   * and sends nothing; the transceiver stays, so no renegotiation. */
  if (self->camera_valve != NULL)
    g_object_set (self->camera_valve, "drop", !self->camera_on, NULL);
  if (self->camera_on)
    request_keyframes (self);
  emit_media_event (self);
}

static void
apply_screen (EngineMediaSession *self,
              gboolean            on)
{
  self->screen_on = on;
  if (self->screen_valve != NULL)
    g_object_set (self->screen_valve, "drop", !self->screen_on, NULL);
  if (self->screen_on)
    request_keyframes (self);
  emit_media_event (self);
}

static void
on_screen_lost (EngineMediaScreen *screen,
                const GError      *error,
                gpointer           user_data)
{
  EngineMediaSession *self = user_data;

  emit_error (self, error->message);
  apply_screen (self, FALSE);
}

static void
on_screen_ready (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(EngineMediaSession) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ready = engine_media_screen_request_finish (ENGINE_MEDIA_SCREEN (source), result, &error);

  /* Cancelled: the engine stopped, or sharing was turned off while the
   * user was still choosing. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->screen_request);
  if (!ready && !g_error_matches (error, ENGINE_SCREENCAST_ERROR, ENGINE_SCREENCAST_ERROR_USER_CANCELLED))
    {
      g_autofree char *text = g_strdup_printf ("Screen sharing did not start: %s", error->message);

      emit_error (self, text);
    }
  /* Dismissing the dialog is an answer, not an error: sharing stays off. */
  apply_screen (self, ready);
}

void
engine_media_session_set_screen (EngineMediaSession *self,
                                 gboolean            on)
{
  g_return_if_fail (ENGINE_IS_MEDIA_SESSION (self));

  if (on && self->screen != NULL && !self->screen_on &&
      engine_media_screen_get_backend (self->screen) == ENGINE_SCREENCAST_BACKEND_PORTAL)
    {
      /* The user picks what to share first; the answer turns it on. */
      if (self->screen_request == NULL)
        {
          self->screen_request = g_cancellable_new ();
          event_emit (self, event_new (self, "screen-choosing", NULL));
          engine_media_screen_request_async (self->screen, self->screen_request, on_screen_ready,
                                             g_object_ref (self));
        }
      return;
    }
  if (self->screen_request != NULL)
    {
      g_cancellable_cancel (self->screen_request);
      g_clear_object (&self->screen_request);
    }
  apply_screen (self, !!on);
  if (!on && self->screen != NULL)
    engine_media_screen_release (self->screen);
}

gboolean
engine_media_session_get_mic (EngineMediaSession *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_SESSION (self), FALSE);
  return self->mic_on;
}

gboolean
engine_media_session_get_camera (EngineMediaSession *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_SESSION (self), FALSE);
  return self->camera_on;
}

gboolean
engine_media_session_get_screen (EngineMediaSession *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_SESSION (self), FALSE);
  return self->screen_on;
}

void
engine_media_session_mute_guest (EngineMediaSession *self,
                                 const char         *id,
                                 gboolean            muted)
{
  EngineMediaGuest *guest;
  JsonObject *event;

  g_return_if_fail (ENGINE_IS_MEDIA_SESSION (self));
  g_return_if_fail (id != NULL);

  guest = g_hash_table_lookup (self->guests, id);
  if (guest != NULL)
    engine_media_guest_set_muted (guest, muted);
  /* The relay has no "unmute": a guest turns its own microphone back on. */
  if (muted && self->signal != NULL)
    {
      g_autofree char *text = omni_signal_build_target (OMNI_SIGNAL_MUTE, id);

      engine_media_signal_send (self->signal, text);
    }
  event = event_new (self, "guest-muted", id);
  json_object_set_boolean_member (event, "muted", muted);
  event_emit (self, event);
}

void
engine_media_session_admit (EngineMediaSession *self,
                            const char         *id)
{
  g_autofree char *text = NULL;

  g_return_if_fail (ENGINE_IS_MEDIA_SESSION (self));
  g_return_if_fail (id != NULL);

  g_hash_table_add (self->admit_sent, g_strdup (id));
  if (self->signal == NULL)
    return;
  text = omni_signal_build_target (OMNI_SIGNAL_ADMIT, id);
  engine_media_signal_send (self->signal, text);
}
