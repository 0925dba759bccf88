/* engine-media-guest.c: one guest's webrtcbin inside its own bin. The bin is
 * fed by the session's tees (the encoded tracks, shared by every guest), so
 * a guest costs a webrtcbin, three queues and the decoders of what the guest
 * sends — never an encoder. webrtcbin calls back on its own threads; every
 * signal of this object is emitted on the main context it was created in. */
#define G_LOG_DOMAIN "engine-media-guest"

#include "engine-media-guest.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <gst/sdp/sdp.h>
#include <nice/agent.h>

#include <gio/gio.h>
#include <string.h>

/* A freshly linked branch waits for negotiation behind a leaky queue; more
 * than this would only deliver stale frames once it opens. */
#define QUEUE_MAX_TIME   (500 * GST_MSECOND)
/* Receive jitterbuffer: loopback and LAN calls do not need the default 200. */
#define RECEIVE_LATENCY_MS 100

static const char *const track_names[ENGINE_MEDIA_N_TRACKS] = { "audio", "camera", "screen" };

struct _EngineMediaGuest
{
  GObject       parent_instance;

  char         *id;
  char         *name;
  GMainContext *context;
  GstElement   *bin;
  GstElement   *webrtc;
  GstPad       *sink_pads[ENGINE_MEDIA_N_TRACKS];   /* the bin's ghost pads */
  EngineMediaForward *forward;      /* set before the first offer; read on webrtcbin's thread */
  gint64        created_us;

  /* Written from streaming threads. */
  GMutex        lock;
  GstElement   *video_sink;
  GstElement   *audio_volume;
  gboolean      muted;
  gboolean      shut_down;
  GstPromise   *local_description;    /* the last set-local-description's, until shutdown */
  GPtrArray    *pending;              /* our reference to each unanswered promise with a callback */
  gint          frames_decoded;       /* atomic */
  gint          audio_decoded;        /* atomic */
  int           state;                /* GstWebRTCPeerConnectionState */

  /* Negotiation (main thread): one offer in flight at a time; a change
   * meanwhile makes another offer once the answer is in. */
  gboolean      offer_in_flight;
  gboolean      renegotiate_pending;

  /* Stats deltas (main thread). */
  guint64       last_bytes_in;
  guint64       last_bytes_out;
  gint64        last_stats_us;
};

enum {
  SIGNAL_OFFER,
  SIGNAL_ICE_CANDIDATE,
  SIGNAL_STATE_CHANGED,
  SIGNAL_FIRST_FRAME,
  SIGNAL_STATS,
  SIGNAL_REMOTE_STREAM,
  SIGNAL_NEGOTIATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EngineMediaGuest, engine_media_guest, G_TYPE_OBJECT)

/* ---- marshalling from GStreamer threads to the main context ---- */

typedef struct {
  EngineMediaGuest *self;
  guint             signal_id;
  char             *text;
  guint             number;
  JsonObject       *object;
  GstPad           *pad;
  GstCaps          *caps;
} Post;

static void
post_free (gpointer data)
{
  Post *post = data;

  g_object_unref (post->self);
  g_free (post->text);
  g_clear_pointer (&post->object, json_object_unref);
  g_clear_object (&post->pad);
  g_clear_pointer (&post->caps, gst_caps_unref);
  g_free (post);
}

/* Bitrates from the byte counters of the previous report (main thread). */
static void
add_rates (EngineMediaGuest *self,
           JsonObject       *object)
{
  gint64 now = g_get_monotonic_time ();
  guint64 bytes_in = (guint64) json_object_get_int_member (object, "bytesIn");
  guint64 bytes_out = (guint64) json_object_get_int_member (object, "bytesOut");
  double seconds = self->last_stats_us ? (now - self->last_stats_us) / (double) G_USEC_PER_SEC : 0;

  json_object_set_int_member (object, "kbpsIn",
                              seconds > 0 && bytes_in >= self->last_bytes_in
                                ? (gint64) ((bytes_in - self->last_bytes_in) * 8 / seconds / 1000) : 0);
  json_object_set_int_member (object, "kbpsOut",
                              seconds > 0 && bytes_out >= self->last_bytes_out
                                ? (gint64) ((bytes_out - self->last_bytes_out) * 8 / seconds / 1000) : 0);
  json_object_set_int_member (object, "framesDecoded", g_atomic_int_get (&self->frames_decoded));
  json_object_set_int_member (object, "audioBuffersDecoded", g_atomic_int_get (&self->audio_decoded));
  self->last_bytes_in = bytes_in;
  self->last_bytes_out = bytes_out;
  self->last_stats_us = now;
}

static gboolean
post_dispatch (gpointer data)
{
  Post *post = data;
  EngineMediaGuest *self = post->self;

  if (self->shut_down)
    return G_SOURCE_REMOVE;
  switch (post->signal_id)
    {
    case SIGNAL_OFFER:
    case SIGNAL_FIRST_FRAME:
      g_signal_emit (self, signals[post->signal_id], 0, post->text);
      break;
    case SIGNAL_ICE_CANDIDATE:
      g_signal_emit (self, signals[post->signal_id], 0, post->number, post->text);
      break;
    case SIGNAL_STATE_CHANGED:
      g_signal_emit (self, signals[post->signal_id], 0, (int) post->number);
      break;
    case SIGNAL_STATS:
      add_rates (self, post->object);
      g_signal_emit (self, signals[post->signal_id], 0, post->object);
      break;
    case SIGNAL_REMOTE_STREAM:
      g_signal_emit (self, signals[post->signal_id], 0, post->text, post->pad, post->caps);
      break;
    case SIGNAL_NEGOTIATED:
      self->offer_in_flight = FALSE;
      g_signal_emit (self, signals[post->signal_id], 0);
      if (self->renegotiate_pending)
        {
          self->renegotiate_pending = FALSE;
          engine_media_guest_negotiate (self);
        }
      break;
    default:
      g_assert_not_reached ();
    }
  return G_SOURCE_REMOVE;
}

static void
post_full (EngineMediaGuest *self,
           guint             signal_id,
           const char       *text,
           guint             number,
           JsonObject       *object,
           GstPad           *pad,
           GstCaps          *caps)
{
  Post *p = g_new0 (Post, 1);
  GSource *source;

  p->pad = pad ? gst_object_ref (pad) : NULL;
  p->caps = caps ? gst_caps_ref (caps) : NULL;
  p->self = g_object_ref (self);
  p->signal_id = signal_id;
  p->text = g_strdup (text);
  p->number = number;
  p->object = object;
  /* Always a source, never g_main_context_invoke: that calls straight away,
   * on this (webrtcbin's) thread, whenever it can acquire a context nobody
   * is iterating, and a signal would then reach nobody yet, or the wrong
   * thread. A guest's first offer was lost that way about one test run in
   * ten: emitted before the caller of add_guest had connected to it. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, post_dispatch, p, post_free);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

static void
post (EngineMediaGuest *self,
      guint             signal_id,
      const char       *text,
      guint             number,
      JsonObject       *object)
{
  post_full (self, signal_id, text, number, object, NULL, NULL);
}

/* ---- offer ---- */

/* webrtcbin 1.22 can drop a queued operation without freeing its promise
 * (a guest torn down right after asking for an offer): a promise holding
 * the guest itself would keep the guest, its webrtcbin and, through the
 * forwarder, the whole pipeline alive. Promises hold a weak reference. */
static GWeakRef *
weak_guest_new (EngineMediaGuest *self)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, self);
  return ref;
}

static void
weak_guest_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* The guest keeps our reference to a promise until its callback runs, and
 * drops it at shutdown otherwise: an operation webrtcbin drops unanswered
 * never calls back. */
static GstPromise *
pending_promise_new (EngineMediaGuest     *self,
                     GstPromiseChangeFunc  callback)
{
  GstPromise *promise = gst_promise_new_with_change_func (callback, weak_guest_new (self), weak_guest_free);

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->pending, gst_promise_ref (promise));
  g_mutex_unlock (&self->lock);
  return promise;   /* the caller's, for the emission */
}

/* In a promise's callback, once done with its reply. */
static void
pending_promise_done (EngineMediaGuest *self,
                      GstPromise       *promise)
{
  gboolean ours;

  if (self == NULL)
    return;   /* gone: it let go of the promise at shutdown */
  g_mutex_lock (&self->lock);
  ours = g_ptr_array_remove_fast (self->pending, promise);
  g_mutex_unlock (&self->lock);
  if (ours)
    gst_promise_unref (promise);
}

static void
drop_pending_promises (EngineMediaGuest *self)
{
  g_autoptr(GPtrArray) pending = NULL;

  g_mutex_lock (&self->lock);
  pending = g_steal_pointer (&self->pending);
  self->pending = g_ptr_array_new ();
  g_mutex_unlock (&self->lock);
  /* Unlocked: interrupting calls the callback, which takes the lock. */
  for (guint i = 0; i < pending->len; i++)
    {
      gst_promise_interrupt (g_ptr_array_index (pending, i));
      gst_promise_unref (g_ptr_array_index (pending, i));
    }
}

static void
on_offer_created (GstPromise *promise,
                  gpointer    user_data)
{
  g_autoptr(EngineMediaGuest) self = g_weak_ref_get (user_data);
  GstWebRTCSessionDescription *offer = NULL;
  const GstStructure *reply = gst_promise_get_reply (promise);
  g_autofree char *text = NULL;

  if (self == NULL)
    return;
  if (reply == NULL || !gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL))
    {
      /* A guest torn down while its offer was being made: nothing lost. */
      if (!g_atomic_int_get (&self->shut_down))
        g_warning ("Guest %s: webrtcbin could not create an offer", self->id);
      pending_promise_done (self, promise);
      return;
    }
  pending_promise_done (self, promise);
  if (g_atomic_int_get (&self->shut_down))
    {
      gst_webrtc_session_description_free (offer);
      return;
    }
  if (self->forward != NULL)
    engine_media_forward_fix_offer (self->forward, self->id, offer->sdp);
  /* A real promise, not NULL: webrtcbin 1.22 leaks its reply otherwise.
   * Kept: a guest torn down before webrtcbin got to it must interrupt it,
   * as webrtcbin 1.22 drops its queued operations without answering. */
  promise = gst_promise_new ();
  g_mutex_lock (&self->lock);
  if (self->local_description != NULL)
    gst_promise_unref (self->local_description);
  self->local_description = gst_promise_ref (promise);
  g_mutex_unlock (&self->lock);
  /* Queued in webrtcbin before the offer can reach the guest: an answer
   * quick enough to beat it was refused in state "stable". It runs after
   * this callback returns, so the offer below is still posted before ICE
   * gathering starts: a candidate overtaking the offer of a restarted
   * connection would land in the guest's old peer connection and be lost. */
  g_signal_emit_by_name (self->webrtc, "set-local-description", offer, promise);
  gst_promise_unref (promise);
  text = gst_sdp_message_as_text (offer->sdp);
  post (self, SIGNAL_OFFER, text, 0, NULL);
  gst_webrtc_session_description_free (offer);
}

static void
on_answer_set (GstPromise *promise,
               gpointer    user_data)
{
  g_autoptr(EngineMediaGuest) self = g_weak_ref_get (user_data);
  const GstStructure *reply = gst_promise_get_reply (promise);
  GError *error = NULL;

  if (self == NULL)
    return;
  if (reply != NULL && gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL))
    {
      g_warning ("Guest %s: webrtcbin rejected the answer: %s", self->id, error->message);
      g_error_free (error);
    }
  pending_promise_done (self, promise);
  if (!g_atomic_int_get (&self->shut_down))
    post (self, SIGNAL_NEGOTIATED, NULL, 0, NULL);
}

/* ---- webrtcbin callbacks (any thread) ---- */

static void
on_ice_candidate (GstElement *webrtc,
                  guint       mline,
                  const char *candidate,
                  gpointer    user_data)
{
  post (user_data, SIGNAL_ICE_CANDIDATE, candidate, mline, NULL);
}

static void
on_connection_state (GObject    *webrtc,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  EngineMediaGuest *self = user_data;
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  g_atomic_int_set (&self->state, state);
  post (self, SIGNAL_STATE_CHANGED, NULL, state, NULL);
}

static GstPadProbeReturn
on_video_decoded (GstPad          *pad,
                  GstPadProbeInfo *info,
                  gpointer         user_data)
{
  EngineMediaGuest *self = user_data;

  if (g_atomic_int_add (&self->frames_decoded, 1) == 0)
    post (self, SIGNAL_FIRST_FRAME, "video", 0, NULL);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_audio_decoded (GstPad          *pad,
                  GstPadProbeInfo *info,
                  gpointer         user_data)
{
  EngineMediaGuest *self = user_data;

  if (g_atomic_int_add (&self->audio_decoded, 1) == 0)
    post (self, SIGNAL_FIRST_FRAME, "audio", 0, NULL);
  return GST_PAD_PROBE_OK;
}

static GstElement *
make (const char *factory)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (element == NULL)
    g_warning ("GStreamer element %s is missing", factory);
  return element;
}

/* Builds depayloader → decoder → sink for one incoming stream, inside the
 * guest's bin. Returns the chain's first element, or NULL for a codec we did
 * not offer. */
static GstElement *
build_receive_chain (EngineMediaGuest *self,
                     const char       *media,
                     const char       *encoding)
{
  GstElement *queue = make ("queue");
  GstElement *depay = NULL, *decoder = NULL, *sink = NULL, *volume = NULL, *convert = NULL;
  gboolean video = g_strcmp0 (media, "video") == 0;
  g_autoptr(GstPad) probe_pad = NULL;

  if (g_ascii_strcasecmp (encoding, "VP8") == 0)
    {
      depay = make ("rtpvp8depay");
      decoder = make ("vp8dec");
    }
  else if (g_ascii_strcasecmp (encoding, "H264") == 0)
    {
      depay = make ("rtph264depay");
      decoder = make ("avdec_h264");
    }
  else if (g_ascii_strcasecmp (encoding, "OPUS") == 0)
    {
      depay = make ("rtpopusdepay");
      decoder = make ("opusdec");
    }
  if (queue == NULL || depay == NULL || decoder == NULL)
    {
      g_clear_pointer (&queue, gst_object_unref);
      g_clear_pointer (&depay, gst_object_unref);
      g_clear_pointer (&decoder, gst_object_unref);
      return NULL;
    }

  /* The UI issue draws from this appsink; until someone pulls, it keeps only
   * the newest frame, so an undrawn guest costs a decode and nothing more. */
  sink = make ("appsink");
  g_object_set (sink, "sync", FALSE, "async", FALSE, "max-buffers", 1, "drop", TRUE,
                "emit-signals", FALSE, "enable-last-sample", FALSE, NULL);
  gst_bin_add_many (GST_BIN (self->bin), queue, depay, decoder, sink, NULL);
  if (video)
    {
      gst_element_link_many (queue, depay, decoder, sink, NULL);
      g_mutex_lock (&self->lock);
      g_set_object (&self->video_sink, sink);
      g_mutex_unlock (&self->lock);
    }
  else
    {
      convert = make ("audioconvert");
      volume = make ("volume");
      gst_bin_add_many (GST_BIN (self->bin), convert, volume, NULL);
      gst_element_link_many (queue, depay, decoder, convert, volume, sink, NULL);
      g_mutex_lock (&self->lock);
      g_set_object (&self->audio_volume, volume);
      g_object_set (volume, "mute", self->muted, NULL);
      g_mutex_unlock (&self->lock);
      gst_element_sync_state_with_parent (volume);
      gst_element_sync_state_with_parent (convert);
    }
  probe_pad = gst_element_get_static_pad (decoder, "src");
  gst_pad_add_probe (probe_pad, GST_PAD_PROBE_TYPE_BUFFER,
                     video ? on_video_decoded : on_audio_decoded, self, NULL);
  gst_element_sync_state_with_parent (sink);
  gst_element_sync_state_with_parent (decoder);
  gst_element_sync_state_with_parent (depay);
  gst_element_sync_state_with_parent (queue);
  return queue;
}

static void
on_pad_added (GstElement *webrtc,
              GstPad     *pad,
              gpointer    user_data)
{
  EngineMediaGuest *self = user_data;
  g_autoptr(GstCaps) caps = NULL;
  g_autoptr(GstPad) sink_pad = NULL;
  const GstStructure *s;
  const char *media, *encoding;
  GstElement *first;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  s = gst_caps_get_structure (caps, 0);
  media = gst_structure_get_string (s, "media");
  encoding = gst_structure_get_string (s, "encoding-name");
  first = (media && encoding) ? build_receive_chain (self, media, encoding) : NULL;
  if (first != NULL)
    {
      /* Decoded here for the host, and the same RTP handed on (main
       * thread) for forwarding to the other guests. Until that links, the
       * tee drops the branch's buffers. */
      GstElement *tee = make ("tee");
      g_autoptr(GstPad) tee_sink = NULL;
      g_autoptr(GstPad) decode_pad = NULL;
      g_autoptr(GstPad) forward_pad = NULL;
      g_autoptr(GstPad) first_sink = gst_element_get_static_pad (first, "sink");

      g_object_set (tee, "allow-not-linked", TRUE, NULL);
      gst_bin_add (GST_BIN (self->bin), tee);
      decode_pad = gst_element_request_pad_simple (tee, "src_%u");
      forward_pad = gst_element_request_pad_simple (tee, "src_%u");
      if (gst_pad_link (decode_pad, first_sink) != GST_PAD_LINK_OK)
        g_warning ("Guest %s: cannot link its %s decoder", self->id, media);
      gst_element_sync_state_with_parent (tee);
      tee_sink = gst_element_get_static_pad (tee, "sink");
      if (gst_pad_link (pad, tee_sink) != GST_PAD_LINK_OK)
        g_warning ("Guest %s: cannot link its %s stream", self->id, media);
      /* Handed out of the bin through our own ghost pad, active before
       * it is added (the tee pushes into it from now on, and an unlinked
       * ghost pad only answers "not linked", which the tee ignores). */
      {
        GstPad *ghost = gst_ghost_pad_new (NULL, forward_pad);

        gst_pad_set_active (ghost, TRUE);
        gst_element_add_pad (self->bin, ghost);
        post_full (self, SIGNAL_REMOTE_STREAM, media, 0, NULL, ghost, caps);
      }
      return;
    }
  if (first == NULL)
    {
      /* Not a stream we asked for: swallow it so webrtcbin never blocks. */
      GstElement *sink = make ("fakesink");

      g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
      gst_bin_add (GST_BIN (self->bin), sink);
      gst_element_sync_state_with_parent (sink);
      first = sink;
    }
  sink_pad = gst_element_get_static_pad (first, "sink");
  if (gst_pad_link (pad, sink_pad) != GST_PAD_LINK_OK)
    g_warning ("Guest %s: cannot link its %s stream", self->id, media ? media : "unknown");
}

static void
on_stats (GstPromise *promise,
          gpointer    user_data)
{
  g_autoptr(EngineMediaGuest) self = g_weak_ref_get (user_data);
  const GstStructure *reply = gst_promise_get_reply (promise);
  double rtt = -1, fraction_lost = -1;
  guint64 bytes_in = 0, bytes_out = 0, packets_in = 0;
  gint64 packets_lost = 0;
  g_autofree char *local_end = NULL;
  g_autofree char *remote_end = NULL;
  JsonObject *object;
  int n, i;

  if (self == NULL || reply == NULL)
    {
      pending_promise_done (self, promise);
      return;
    }
  n = gst_structure_n_fields (reply);
  for (i = 0; i < n; i++)
    {
      const GValue *value = gst_structure_get_value (reply, gst_structure_nth_field_name (reply, i));
      const GstStructure *stat;
      GstWebRTCStatsType type;

      if (!GST_VALUE_HOLDS_STRUCTURE (value))
        continue;
      stat = gst_value_get_structure (value);
      if (!gst_structure_get (stat, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, NULL))
        continue;
      switch (type)
        {
        case GST_WEBRTC_STATS_INBOUND_RTP:
          {
            guint64 bytes = 0, packets = 0;
            gint64 lost = 0;

            gst_structure_get_uint64 (stat, "bytes-received", &bytes);
            gst_structure_get_uint64 (stat, "packets-received", &packets);
            gst_structure_get_int64 (stat, "packets-lost", &lost);
            bytes_in += bytes;
            packets_in += packets;
            packets_lost += MAX (lost, 0);
            break;
          }
        case GST_WEBRTC_STATS_OUTBOUND_RTP:
          {
            guint64 bytes = 0;

            gst_structure_get_uint64 (stat, "bytes-sent", &bytes);
            bytes_out += bytes;
            break;
          }
        case GST_WEBRTC_STATS_REMOTE_INBOUND_RTP:
          {
            double r = -1, f = -1;

            /* What the guest reports about our streams: the RTT of the
             * connection and the loss on the way to it. */
            if (gst_structure_get_double (stat, "round-trip-time", &r) && r > rtt)
              rtt = r;
            if (gst_structure_get_double (stat, "fraction-lost", &f) && f > fraction_lost)
              fraction_lost = f;
            break;
          }
        case GST_WEBRTC_STATS_LOCAL_CANDIDATE:
        case GST_WEBRTC_STATS_REMOTE_CANDIDATE:
          {
            /* webrtcbin reports the selected pair's two ends: which path the media takes. */
            const char *candidate_type = gst_structure_get_string (stat, "candidate-type");
            const char *address = gst_structure_get_string (stat, "address");
            guint port = 0;

            gst_structure_get_uint (stat, "port", &port);
            g_free (type == GST_WEBRTC_STATS_LOCAL_CANDIDATE ? local_end : remote_end);
            *(type == GST_WEBRTC_STATS_LOCAL_CANDIDATE ? &local_end : &remote_end) =
              g_strdup_printf ("%s %s:%u", candidate_type ? candidate_type : "?", address ? address : "?", port);
            break;
          }
        default:
          break;
        }
    }
  pending_promise_done (self, promise);

  object = json_object_new ();
  if (local_end != NULL && remote_end != NULL)
    {
      g_autofree char *path = g_strdup_printf ("%s → %s", local_end, remote_end);
      json_object_set_string_member (object, "icePath", path);
    }
  json_object_set_double_member (object, "rttMs", rtt >= 0 ? rtt * 1000.0 : -1);
  json_object_set_double_member (object, "lossOutPct", fraction_lost >= 0 ? fraction_lost * 100.0 : 0);
  json_object_set_double_member (object, "lossInPct",
                                 packets_in + packets_lost > 0
                                   ? 100.0 * packets_lost / (double) (packets_in + packets_lost) : 0);
  json_object_set_int_member (object, "bytesIn", (gint64) bytes_in);
  json_object_set_int_member (object, "bytesOut", (gint64) bytes_out);
  post (self, SIGNAL_STATS, NULL, 0, object);
}

/* Adds 127.0.0.1 as a local address: libnice skips loopback when gathering,
 * and tests (and a relay on the same box) only have loopback. */
void
engine_media_setup_ice_agent (GstElement *webrtc,
                              gboolean    loopback)
{
  g_autoptr(GObject) webrtc_ice = NULL;
  g_autoptr(GObject) agent = NULL;

  g_return_if_fail (GST_IS_ELEMENT (webrtc));

  g_object_get (webrtc, "ice-agent", &webrtc_ice, NULL);
  if (webrtc_ice == NULL || g_object_class_find_property (G_OBJECT_GET_CLASS (webrtc_ice), "agent") == NULL)
    return;
  g_object_get (webrtc_ice, "agent", &agent, NULL);
  if (agent == NULL)
    return;
  /* No UPnP: it costs a thread and a multicast search per guest for
   * nothing a support call needs. */
  g_object_set (agent, "upnp", FALSE, NULL);
  if (loopback)
    {
      NiceAddress address;

      nice_address_init (&address);
      if (nice_address_set_from_string (&address, "127.0.0.1"))
        nice_agent_add_local_address (NICE_AGENT (agent), &address);
    }
}

/* ---- GObject ---- */

static void
engine_media_guest_dispose (GObject *object)
{
  EngineMediaGuest *self = ENGINE_MEDIA_GUEST (object);

  engine_media_guest_shutdown (self);
  drop_pending_promises (self);
  /* An offer made while shutting down may have set one more. */
  if (self->local_description != NULL)
    {
      gst_promise_interrupt (self->local_description);
      g_clear_pointer (&self->local_description, gst_promise_unref);
    }
  for (guint i = 0; i < ENGINE_MEDIA_N_TRACKS; i++)
    g_clear_object (&self->sink_pads[i]);
  g_clear_object (&self->video_sink);
  g_clear_object (&self->audio_volume);
  g_clear_object (&self->webrtc);
  g_clear_object (&self->bin);
  g_clear_object (&self->forward);
  G_OBJECT_CLASS (engine_media_guest_parent_class)->dispose (object);
}

static void
engine_media_guest_finalize (GObject *object)
{
  EngineMediaGuest *self = ENGINE_MEDIA_GUEST (object);

  g_free (self->id);
  g_free (self->name);
  g_main_context_unref (self->context);
  g_ptr_array_unref (self->pending);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (engine_media_guest_parent_class)->finalize (object);
}

static void
engine_media_guest_class_init (EngineMediaGuestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = engine_media_guest_dispose;
  object_class->finalize = engine_media_guest_finalize;

  signals[SIGNAL_OFFER] = g_signal_new ("offer", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_ICE_CANDIDATE] = g_signal_new ("ice-candidate", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  /* The argument is a GstWebRTCPeerConnectionState. */
  signals[SIGNAL_STATE_CHANGED] = g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 1, G_TYPE_INT);
  /* "video" or "audio": the first decoded frame of that kind. */
  signals[SIGNAL_FIRST_FRAME] = g_signal_new ("first-frame", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_STATS] = g_signal_new ("stats", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
  /* "audio" or "video", an RTP src pad on the guest's bin carrying what
   * the guest sends (for forwarding to other guests) and its caps. */
  signals[SIGNAL_REMOTE_STREAM] = g_signal_new ("remote-stream", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 3, G_TYPE_STRING, GST_TYPE_PAD, GST_TYPE_CAPS);
  /* The guest's answer to our latest offer is applied. */
  signals[SIGNAL_NEGOTIATED] = g_signal_new ("negotiated", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 0);
}

static void
engine_media_guest_init (EngineMediaGuest *self)
{
  g_mutex_init (&self->lock);
  self->pending = g_ptr_array_new ();
  self->context = g_main_context_ref_thread_default ();
  self->created_us = g_get_monotonic_time ();
}

/* ---- public API ---- */

EngineMediaGuest *
engine_media_guest_new (const char                 *id,
                        const char                 *name,
                        GstCaps * const            *track_caps,
                        const char                 *msid,
                        const EngineMediaIceConfig *ice)
{
  g_autoptr(EngineMediaGuest) self = NULL;
  g_autofree char *bin_name = NULL;

  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (track_caps != NULL, NULL);
  g_return_val_if_fail (ice != NULL, NULL);

  self = g_object_new (ENGINE_TYPE_MEDIA_GUEST, NULL);
  self->id = g_strdup (id);
  self->name = g_strdup (name ? name : "");
  bin_name = g_strdup_printf ("guest-%s", id);
  self->bin = g_object_ref_sink (gst_bin_new (bin_name));
  self->webrtc = gst_element_factory_make ("webrtcbin", NULL);
  if (self->webrtc == NULL)
    {
      g_warning ("webrtcbin is missing (gstreamer1.0-plugins-bad, gstreamer1.0-nice)");
      return NULL;
    }
  g_object_ref_sink (self->webrtc);
  gst_bin_add (GST_BIN (self->bin), self->webrtc);
  /* max-bundle: without a BUNDLE group Chromium rejects the offer. */
  g_object_set (self->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                "latency", RECEIVE_LATENCY_MS, NULL);
  if (ice->relay_only)
    g_object_set (self->webrtc, "ice-transport-policy", GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY, NULL);
  /* ICE servers must be in place before the first offer. */
  if (ice->stun_server != NULL)
    g_object_set (self->webrtc, "stun-server", ice->stun_server, NULL);
  for (guint i = 0; ice->turn_servers != NULL && ice->turn_servers[i] != NULL; i++)
    {
      gboolean added = FALSE;

      g_signal_emit_by_name (self->webrtc, "add-turn-server", ice->turn_servers[i], &added);
      if (!added)
        g_warning ("webrtcbin refused a TURN server URI");
    }
  engine_media_setup_ice_agent (self->webrtc, ice->loopback);

  for (guint i = 0; i < ENGINE_MEDIA_N_TRACKS; i++)
    {
      GstElement *queue = gst_element_factory_make ("queue", NULL);
      g_autoptr(GstPad) webrtc_pad = gst_element_request_pad_simple (self->webrtc, "sink_%u");
      g_autoptr(GstPad) queue_sink = NULL;
      g_autoptr(GstPad) queue_src = NULL;
      g_autoptr(GstWebRTCRTPTransceiver) transceiver = NULL;

      /* leaky: webrtcbin holds its sink pads until negotiation completes,
       * and a blocked branch must never hold up the tee (or other guests). */
      g_object_set (queue, "leaky", 2, "max-size-buffers", 0, "max-size-bytes", 0,
                    "max-size-time", (guint64) QUEUE_MAX_TIME, NULL);
      gst_bin_add (GST_BIN (self->bin), queue);
      if (msid != NULL)
        g_object_set (webrtc_pad, "msid", msid, NULL);
      /* Codec preferences make the offer independent of whether caps have
       * reached the pad yet; the payload type is the shared stream's. */
      g_object_get (webrtc_pad, "transceiver", &transceiver, NULL);
      g_object_set (transceiver, "codec-preferences", track_caps[i],
                    "direction", i == ENGINE_MEDIA_TRACK_SCREEN
                                   ? GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY
                                   : GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV,
                    NULL);
      queue_src = gst_element_get_static_pad (queue, "src");
      if (gst_pad_link (queue_src, webrtc_pad) != GST_PAD_LINK_OK)
        g_warning ("Guest %s: cannot link the %s queue", id, track_names[i]);
      queue_sink = gst_element_get_static_pad (queue, "sink");
      self->sink_pads[i] = gst_ghost_pad_new (track_names[i], queue_sink);
      gst_object_ref (self->sink_pads[i]);
      gst_element_add_pad (self->bin, self->sink_pads[i]);
    }

  g_signal_connect (self->webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate), self);
  g_signal_connect (self->webrtc, "pad-added", G_CALLBACK (on_pad_added), self);
  g_signal_connect (self->webrtc, "notify::connection-state", G_CALLBACK (on_connection_state), self);
  return g_steal_pointer (&self);
}

const char *
engine_media_guest_get_id (EngineMediaGuest *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_GUEST (self), NULL);
  return self->id;
}

const char *
engine_media_guest_get_name (EngineMediaGuest *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_GUEST (self), NULL);
  return self->name;
}

GstElement *
engine_media_guest_get_bin (EngineMediaGuest *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_GUEST (self), NULL);
  return self->bin;
}

GstPad *
engine_media_guest_get_sink_pad (EngineMediaGuest *self,
                                 EngineMediaTrack  track)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_GUEST (self), NULL);
  g_return_val_if_fail (track < ENGINE_MEDIA_N_TRACKS, NULL);
  return self->sink_pads[track];
}

GstElement *
engine_media_guest_get_webrtcbin (EngineMediaGuest *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_GUEST (self), NULL);
  return self->webrtc;
}

GstElement *
engine_media_guest_dup_video_sink (EngineMediaGuest *self)
{
  GstElement *sink;

  g_return_val_if_fail (ENGINE_IS_MEDIA_GUEST (self), NULL);
  g_mutex_lock (&self->lock);
  sink = self->video_sink ? g_object_ref (self->video_sink) : NULL;
  g_mutex_unlock (&self->lock);
  return sink;
}

void
engine_media_guest_set_forward (EngineMediaGuest   *self,
                                EngineMediaForward *forward)
{
  g_return_if_fail (ENGINE_IS_MEDIA_GUEST (self));
  g_return_if_fail (forward == NULL || ENGINE_IS_MEDIA_FORWARD (forward));
  g_set_object (&self->forward, forward);
}

void
engine_media_guest_negotiate (EngineMediaGuest *self)
{
  GstPromise *promise;

  g_return_if_fail (ENGINE_IS_MEDIA_GUEST (self));
  if (self->shut_down)
    return;
  /* webrtcbin cannot make an offer while one is outstanding (signaling
   * state have-local-offer): the change goes into the next one. */
  if (self->offer_in_flight)
    {
      self->renegotiate_pending = TRUE;
      return;
    }
  self->offer_in_flight = TRUE;
  promise = pending_promise_new (self, on_offer_created);
  g_signal_emit_by_name (self->webrtc, "create-offer", NULL, promise);
  gst_promise_unref (promise);
}

gboolean
engine_media_guest_set_answer (EngineMediaGuest  *self,
                               const char        *sdp,
                               GError           **error)
{
  GstSDPMessage *message = NULL;
  GstWebRTCSessionDescription *answer;
  GstPromise *promise;

  g_return_val_if_fail (ENGINE_IS_MEDIA_GUEST (self), FALSE);
  g_return_val_if_fail (sdp != NULL, FALSE);

  if (gst_sdp_message_new_from_text (sdp, &message) != GST_SDP_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The guest's answer is not SDP");
      return FALSE;
    }
  answer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, message);
  promise = pending_promise_new (self, on_answer_set);
  g_signal_emit_by_name (self->webrtc, "set-remote-description", answer, promise);
  gst_promise_unref (promise);
  gst_webrtc_session_description_free (answer);
  return TRUE;
}

void
engine_media_guest_add_ice (EngineMediaGuest *self,
                            guint             mline,
                            const char       *candidate)
{
  g_return_if_fail (ENGINE_IS_MEDIA_GUEST (self));

  /* webrtcbin 1.22 has no end-of-candidates call; "" just ends trickling. */
  if (candidate == NULL || candidate[0] == '\0')
    return;
  g_signal_emit_by_name (self->webrtc, "add-ice-candidate", mline, candidate);
}

void
engine_media_guest_request_stats (EngineMediaGuest *self)
{
  GstPromise *promise;

  g_return_if_fail (ENGINE_IS_MEDIA_GUEST (self));
  if (self->shut_down)
    return;
  promise = pending_promise_new (self, on_stats);
  g_signal_emit_by_name (self->webrtc, "get-stats", NULL, promise);
  gst_promise_unref (promise);
}

void
engine_media_guest_set_muted (EngineMediaGuest *self,
                              gboolean          muted)
{
  g_return_if_fail (ENGINE_IS_MEDIA_GUEST (self));
  g_mutex_lock (&self->lock);
  self->muted = muted;
  if (self->audio_volume != NULL)
    g_object_set (self->audio_volume, "mute", muted, NULL);
  g_mutex_unlock (&self->lock);
}

gboolean
engine_media_guest_get_muted (EngineMediaGuest *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_GUEST (self), FALSE);
  return self->muted;
}

guint64
engine_media_guest_get_frames_decoded (EngineMediaGuest *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_GUEST (self), 0);
  return (guint64) g_atomic_int_get (&self->frames_decoded);
}

guint64
engine_media_guest_get_audio_decoded (EngineMediaGuest *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_GUEST (self), 0);
  return (guint64) g_atomic_int_get (&self->audio_decoded);
}

int
engine_media_guest_get_state (EngineMediaGuest *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_GUEST (self), 0);
  return g_atomic_int_get (&self->state);
}

gint64
engine_media_guest_get_created_us (EngineMediaGuest *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_GUEST (self), 0);
  return self->created_us;
}

void
engine_media_guest_shutdown (EngineMediaGuest *self)
{
  GstPromise *promise;

  g_return_if_fail (ENGINE_IS_MEDIA_GUEST (self));

  if (self->shut_down)
    return;
  g_atomic_int_set (&self->shut_down, TRUE);
  if (self->webrtc != NULL)
    g_signal_handlers_disconnect_by_data (self->webrtc, self);
  if (self->bin != NULL)
    gst_element_set_state (self->bin, GST_STATE_NULL);
  /* After the state change, no offer is made any more: interrupting an
   * answered promise does nothing, a pending one is marked as not wanted. */
  g_mutex_lock (&self->lock);
  promise = g_steal_pointer (&self->local_description);
  g_mutex_unlock (&self->lock);
  if (promise != NULL)
    {
      gst_promise_interrupt (promise);
      gst_promise_unref (promise);
    }
  drop_pending_promises (self);
}
