/* engine-media-forward.c: guests' media to other guests without decoding.
 * Per incoming stream (a "source"): queue ! rtpXdepay ! rtpXpay ! tee, so
 * the stream is depayloaded once however many receive it, and the new
 * payloader gives it our own SSRC, sequence numbers and no header
 * extensions (linking webrtcbin src to sink directly carries the sender's
 * rtcp-fb/extmap into the next negotiation and breaks it). Per receiver and
 * stream a "slot": a sendonly transceiver on the receiver's webrtcbin, fed
 * by tee ! queue. A slot whose source left goes inactive and is reused by
 * the next source of its kind: webrtcbin 1.22 cannot free a transceiver.
 * Everything but the pad probes runs on the thread that made the object. */
#define G_LOG_DOMAIN "engine-media-forward"

#include "engine-media-forward.h"
#include "engine-media-tee.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <gst/video/video.h>

#include <gio/gio.h>
#include <string.h>

/* What a slot's queue holds while webrtcbin blocks its new pad until the
 * renegotiation is done: older frames would only arrive stale. */
#define SLOT_QUEUE_MAX_TIME   (500 * GST_MSECOND)
/* Receivers' PLIs for one sender become at most one request per window,
 * the last deferred to its end so a late joiner is never left waiting. */
#define KEYFRAME_MIN_INTERVAL_US  (300 * G_TIME_SPAN_MILLISECOND)

typedef struct {
  char        *participant;
  char        *kind;         /* "audio" or "video" */
  char        *slot_kind;    /* media and codec, e.g. "video/VP8": which slots fit */
  GstPad      *input;        /* what add_source was given */
  GstPad      *input_peer;   /* input or the ghost pad linking it out of its bin */
  GstElement  *queue;
  GstElement  *depay;
  GstElement  *pay;
  GstElement  *tee;
  GstCaps     *caps;         /* what receivers are offered: codec, PT, our SSRC */
  GstPad      *gate_pad;     /* the payloader's src pad: keyframe requests pass here */
  GMainContext *context;
  GMutex       lock;
  gint64       last_us;
  guint        passed;
  guint        merged;
  GSource     *deferred;
} Source;

typedef struct {
  char       *kind;          /* the source's slot_kind */
  GstWebRTCRTPTransceiver *transceiver;
  /* What the offer says (under the forwarder's lock): the stream's SSRC
   * and msid while active. */
  guint32     ssrc;
  char       *msid;
  GstPad     *webrtc_pad;    /* the webrtcbin's request pad */
  GstPad     *link_pad;      /* what the queue links to (a ghost pad when the webrtcbin is in a bin) */
  Source     *source;        /* NULL: idle, the transceiver is inactive */
  gboolean    flushing;      /* slot_detach flushed its webrtcbin pad */
  GstElement *queue;
  GstPad     *tee_pad;
} Slot;

typedef struct {
  char       *id;
  GstElement *webrtc;
  GPtrArray  *slots;         /* Slot*, in transceiver order */
} Receiver;

struct _EngineMediaForward
{
  GObject       parent_instance;

  GMutex        lock;          /* receivers and slots, against fix_offer */
  GstBin       *bin;
  GMainContext *context;
  GPtrArray    *sources;       /* Source* */
  GHashTable   *receivers;     /* id → Receiver* */
  GHashTable   *renegotiate;   /* receiver ids with changed transceivers */
  guint         renegotiate_idle;
  guint         passed_gone;   /* keyframe counts of sources already removed */
  guint         merged_gone;
};

enum {
  SIGNAL_RENEGOTIATE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EngineMediaForward, engine_media_forward, G_TYPE_OBJECT)

/* ---- keyframe requests ---- */

static GstEvent *
new_keyframe_request (void)
{
  return gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, FALSE, 0);
}

static gboolean
on_deferred_keyframe (gpointer user_data)
{
  Source *source = user_data;

  g_mutex_lock (&source->lock);
  g_clear_pointer (&source->deferred, g_source_unref);
  g_mutex_unlock (&source->lock);
  /* The window has passed: the probe lets this one through. */
  gst_pad_send_event (source->gate_pad, new_keyframe_request ());
  return G_SOURCE_REMOVE;
}

/* Streaming threads of the receivers: their PLIs arrive as upstream
 * force-key-unit events through the tee. */
static GstPadProbeReturn
on_keyframe_request (GstPad          *pad,
                     GstPadProbeInfo *info,
                     gpointer         user_data)
{
  Source *source = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  gint64 now = g_get_monotonic_time ();
  GstPadProbeReturn ret = GST_PAD_PROBE_OK;

  if (!gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&source->lock);
  if (now - source->last_us >= KEYFRAME_MIN_INTERVAL_US)
    {
      source->last_us = now;
      source->passed++;
      /* Ask the sender for a PLI, not a FIR: webrtcbin numbers FIRs by the
       * event's count, and a browser ignores a FIR whose number it has
       * seen — every request after the first would be lost. */
      GST_PAD_PROBE_INFO_DATA (info) = new_keyframe_request ();
      gst_event_unref (event);
    }
  else
    {
      source->merged++;
      ret = GST_PAD_PROBE_DROP;
      if (source->deferred == NULL)
        {
          source->deferred = g_timeout_source_new ((KEYFRAME_MIN_INTERVAL_US - (now - source->last_us)) / 1000 + 1);
          g_source_set_callback (source->deferred, on_deferred_keyframe, source, NULL);
          g_source_attach (source->deferred, source->context);
        }
    }
  g_mutex_unlock (&source->lock);
  return ret;
}

/* ---- sources ---- */

static void
source_free (Source *source)
{

  g_free (source->participant);
  g_free (source->kind);
  g_free (source->slot_kind);
  g_clear_object (&source->input);
  g_clear_object (&source->input_peer);
  g_clear_object (&source->queue);
  g_clear_object (&source->depay);
  g_clear_object (&source->pay);
  g_clear_object (&source->tee);
  g_clear_object (&source->gate_pad);
  g_clear_pointer (&source->caps, gst_caps_unref);
  g_main_context_unref (source->context);
  g_mutex_clear (&source->lock);
  g_free (source);
}

/* The elements of one codec; FALSE for a codec we do not forward. */
static gboolean
codec_elements (const char  *encoding,
                const char **name,
                const char **depay,
                const char **pay,
                const char **media,
                int         *clock_rate)
{
  if (g_ascii_strcasecmp (encoding, "VP8") == 0)
    {
      *name = "VP8";
      *depay = "rtpvp8depay";
      *pay = "rtpvp8pay";
      *media = "video";
      *clock_rate = 90000;
    }
  else if (g_ascii_strcasecmp (encoding, "H264") == 0)
    {
      *name = "H264";
      *depay = "rtph264depay";
      *pay = "rtph264pay";
      *media = "video";
      *clock_rate = 90000;
    }
  else if (g_ascii_strcasecmp (encoding, "OPUS") == 0)
    {
      *name = "OPUS";
      *depay = "rtpopusdepay";
      *pay = "rtpopuspay";
      *media = "audio";
      *clock_rate = 48000;
    }
  else
    return FALSE;
  return TRUE;
}

/* The caps a receiving transceiver is offered: codec, payload type (the one
 * the sender uses, which the hub offered to everyone) and our SSRC, which
 * makes webrtcbin write the a=ssrc/msid lines the browser labels the
 * stream by. */
static GstCaps *
make_receiver_caps (const char *media,
                    const char *encoding,
                    int         clock_rate,
                    int         pt,
                    guint32     ssrc)
{
  GstCaps *caps = gst_caps_new_simple ("application/x-rtp",
                                       "media", G_TYPE_STRING, media,
                                       "encoding-name", G_TYPE_STRING, encoding,
                                       "clock-rate", G_TYPE_INT, clock_rate,
                                       "payload", G_TYPE_INT, pt,
                                       "ssrc", G_TYPE_UINT, ssrc, NULL);

  if (g_str_equal (media, "audio"))
    gst_caps_set_simple (caps, "encoding-params", G_TYPE_STRING, "2", NULL);
  else
    gst_caps_set_simple (caps, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE,
                         "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, NULL);
  if (g_str_equal (encoding, "H264"))
    gst_caps_set_simple (caps, "packetization-mode", G_TYPE_STRING, "1",
                         "level-asymmetry-allowed", G_TYPE_STRING, "1", NULL);
  return caps;
}

/* ---- slots ---- */

static void
slot_free (Slot *slot)
{
  g_assert (slot->source == NULL && slot->queue == NULL && slot->tee_pad == NULL);
  g_free (slot->kind);
  g_free (slot->msid);
  g_clear_object (&slot->transceiver);
  g_clear_object (&slot->webrtc_pad);
  g_clear_object (&slot->link_pad);
  g_free (slot);
}

static void
set_transceiver (Slot             *slot,
                 GstCaps          *caps,
                 const char       *msid,
                 GstWebRTCRTPTransceiverDirection direction)
{
  if (msid != NULL)
    g_object_set (slot->webrtc_pad, "msid", msid, NULL);
  if (caps != NULL)
    g_object_set (slot->transceiver, "codec-preferences", caps, NULL);
  g_object_set (slot->transceiver, "direction", direction, NULL);
}

static void
schedule_renegotiate (EngineMediaForward *self,
                      Receiver           *receiver);

/* Stops feeding a slot; its transceiver goes inactive until reused. */
static void
slot_detach (EngineMediaForward *self,
             Receiver           *receiver,
             Slot               *slot,
             gboolean            keep_transceiver)
{
  Source *source;
  g_autoptr(GstPad) queue_sink = NULL;
  g_autoptr(GstPad) queue_src = NULL;

  if (slot->source == NULL)
    return;
  source = slot->source;
  /* The queue is leaky: releasing the tee pad never waits on a receiver
   * that webrtcbin is still blocking. */
  queue_sink = gst_element_get_static_pad (slot->queue, "sink");
  gst_pad_unlink (slot->tee_pad, queue_sink);
  gst_element_release_request_pad (source->tee, slot->tee_pad);
  g_clear_object (&slot->tee_pad);
  queue_src = gst_element_get_static_pad (slot->queue, "src");
  gst_pad_unlink (queue_src, slot->link_pad);
  /* webrtcbin blocks a new pad until the receiver answers: a queue thread
   * stuck there would never let the queue stop. Unlinked first, so nothing
   * blocks again, then woken by flushing that (still unnegotiated) pad.
   * The flush ends when the slot is reused: stopping it now would wait for
   * the stream lock the woken thread may still hold. */
  if (gst_pad_is_blocking (slot->webrtc_pad))
    {
      gst_pad_send_event (slot->webrtc_pad, gst_event_new_flush_start ());
      slot->flushing = TRUE;
    }
  gst_element_set_state (slot->queue, GST_STATE_NULL);
  gst_bin_remove (self->bin, slot->queue);
  g_clear_object (&slot->queue);
  g_mutex_lock (&self->lock);
  slot->source = NULL;
  g_mutex_unlock (&self->lock);
  if (keep_transceiver)
    {
      set_transceiver (slot, NULL, NULL, GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE);
      schedule_renegotiate (self, receiver);
    }
}

/* Forwards source to receiver: an idle slot of its kind, or a new one. */
static void
slot_attach (EngineMediaForward *self,
             Receiver           *receiver,
             Source             *source)
{
  Slot *slot = NULL;
  g_autoptr(GstPad) queue_sink = NULL;
  g_autoptr(GstPad) queue_src = NULL;
  GstPadLinkReturn linked;

  for (guint i = 0; i < receiver->slots->len && slot == NULL; i++)
    {
      Slot *candidate = g_ptr_array_index (receiver->slots, i);

      /* Same media and codec: a codec change in a renegotiation is not
       * something webrtcbin 1.22 does reliably. */
      if (candidate->source == NULL && g_str_equal (candidate->kind, source->slot_kind))
        slot = candidate;
    }
  if (slot == NULL)
    {
      slot = g_new0 (Slot, 1);
      slot->kind = g_strdup (source->slot_kind);
      slot->webrtc_pad = gst_element_request_pad_simple (receiver->webrtc, "sink_%u");
      if (slot->webrtc_pad == NULL)
        {
          g_warning ("Receiver %s: webrtcbin gives no more sink pads", receiver->id);
          g_free (slot->kind);
          g_free (slot);
          return;
        }
      g_object_get (slot->webrtc_pad, "transceiver", &slot->transceiver, NULL);
      g_mutex_lock (&self->lock);
      g_ptr_array_add (receiver->slots, slot);
      g_mutex_unlock (&self->lock);
    }
  /* A reused transceiver gets the new stream's msid and SSRC: the browser
   * sees the same m-line come back as another participant's track. Its
   * preferences lose the SSRC: webrtcbin checks them against the caps its
   * pad last received (the previous stream's), and fix_offer writes the
   * new SSRC into the m-line it copies from the previous offer. */
  if (slot->ssrc != 0)
    {
      g_autoptr(GstCaps) caps = gst_caps_copy (source->caps);

      gst_structure_remove_field (gst_caps_get_structure (caps, 0), "ssrc");
      set_transceiver (slot, caps, source->participant, GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY);
    }
  else
    set_transceiver (slot, source->caps, source->participant, GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY);
  g_mutex_lock (&self->lock);
  gst_structure_get_uint (gst_caps_get_structure (source->caps, 0), "ssrc", &slot->ssrc);
  g_free (slot->msid);
  slot->msid = g_strdup (source->participant);
  g_mutex_unlock (&self->lock);

  if (slot->flushing)
    {
      gst_pad_send_event (slot->webrtc_pad, gst_event_new_flush_stop (FALSE));
      slot->flushing = FALSE;
    }
  slot->queue = gst_element_factory_make ("queue", NULL);
  g_object_set (slot->queue, "leaky", 2, "max-size-buffers", 0, "max-size-bytes", 0,
                "max-size-time", (guint64) SLOT_QUEUE_MAX_TIME, NULL);
  gst_object_ref_sink (slot->queue);
  gst_bin_add (self->bin, slot->queue);
  queue_src = gst_element_get_static_pad (slot->queue, "src");
  if (slot->link_pad != NULL)
    linked = gst_pad_link (queue_src, slot->link_pad);
  else
    {
      /* The webrtcbin is usually inside its participant's bin: ghost pads
       * carry the link across, and stay for the slot's next stream. */
      linked = gst_pad_link_maybe_ghosting (queue_src, slot->webrtc_pad) ? GST_PAD_LINK_OK : GST_PAD_LINK_REFUSED;
      if (linked == GST_PAD_LINK_OK)
        slot->link_pad = gst_pad_get_peer (queue_src);
    }
  if (linked != GST_PAD_LINK_OK)
    g_warning ("Receiver %s: cannot link %s's %s", receiver->id, source->participant, source->kind);
  /* PLAYING first, then the tee: linking a running tee to a branch still
   * changing state froze pipelines (ARCHITECTURE.md). */
  gst_element_sync_state_with_parent (slot->queue);
  queue_sink = gst_element_get_static_pad (slot->queue, "sink");
  slot->tee_pad = engine_media_tee_request_pad (source->tee);
  if (gst_pad_link (slot->tee_pad, queue_sink) != GST_PAD_LINK_OK)
    g_warning ("Receiver %s: cannot link the tee of %s's %s", receiver->id, source->participant, source->kind);
  g_mutex_lock (&self->lock);
  slot->source = source;
  g_mutex_unlock (&self->lock);
}

static void
receiver_free (Receiver *receiver)
{
  g_free (receiver->id);
  g_clear_object (&receiver->webrtc);
  g_ptr_array_unref (receiver->slots);
  g_free (receiver);
}

/* ---- renegotiation ---- */

static gboolean
on_renegotiate_idle (gpointer user_data)
{
  EngineMediaForward *self = user_data;
  g_autoptr(GHashTable) ids = g_steal_pointer (&self->renegotiate);
  GHashTableIter iter;
  gpointer key;

  self->renegotiate_idle = 0;
  self->renegotiate = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_iter_init (&iter, ids);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (g_hash_table_contains (self->receivers, key))
      g_signal_emit (self, signals[SIGNAL_RENEGOTIATE], 0, (const char *) key);
  return G_SOURCE_REMOVE;
}

/* Coalesced: a guest joining with audio and video is one new offer per
 * receiver, not two. */
static void
schedule_renegotiate (EngineMediaForward *self,
                      Receiver           *receiver)
{
  g_hash_table_add (self->renegotiate, g_strdup (receiver->id));
  if (self->renegotiate_idle == 0)
    {
      GSource *idle = g_idle_source_new ();

      g_source_set_callback (idle, on_renegotiate_idle, self, NULL);
      self->renegotiate_idle = g_source_attach (idle, self->context);
      g_source_unref (idle);
    }
}

/* ---- removing a source ---- */

static void
source_remove (EngineMediaForward *self,
               Source             *s,
               gboolean            keep_transceivers)
{
  Source *source = s;
  GHashTableIter iter;
  gpointer value;
  g_autoptr(GstPad) queue_sink = NULL;

  g_hash_table_iter_init (&iter, self->receivers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Receiver *receiver = value;

      for (guint i = 0; i < receiver->slots->len; i++)
        {
          Slot *slot = g_ptr_array_index (receiver->slots, i);

          if (slot->source == s)
            slot_detach (self, receiver, slot, keep_transceivers);
        }
    }
  queue_sink = gst_element_get_static_pad (source->queue, "sink");
  gst_pad_unlink (source->input_peer, queue_sink);
  /* A ghost pad we made on the sender's bin goes with the link. */
  if (source->input_peer != source->input && GST_IS_GHOST_PAD (source->input_peer))
    {
      GstObject *parent = gst_object_get_parent (GST_OBJECT (source->input_peer));

      if (parent != NULL)
        {
          gst_element_remove_pad (GST_ELEMENT (parent), source->input_peer);
          gst_object_unref (parent);
        }
    }
  for (GstElement **e = (GstElement *[]) { source->tee, source->pay, source->depay, source->queue, NULL }; *e; e++)
    {
      gst_element_set_state (*e, GST_STATE_NULL);
      gst_bin_remove (self->bin, *e);
    }
  /* No streaming thread is left to schedule another deferred request. */
  g_mutex_lock (&source->lock);
  if (source->deferred != NULL)
    g_source_destroy (source->deferred);
  g_clear_pointer (&source->deferred, g_source_unref);
  self->passed_gone += source->passed;
  self->merged_gone += source->merged;
  g_mutex_unlock (&source->lock);
  g_ptr_array_remove (self->sources, s);
}

/* ---- GObject ---- */

static void
engine_media_forward_dispose (GObject *object)
{
  EngineMediaForward *self = ENGINE_MEDIA_FORWARD (object);

  if (self->bin != NULL)
    engine_media_forward_clear (self);
  g_clear_handle_id (&self->renegotiate_idle, g_source_remove);
  g_clear_object (&self->bin);
  G_OBJECT_CLASS (engine_media_forward_parent_class)->dispose (object);
}

static void
engine_media_forward_finalize (GObject *object)
{
  EngineMediaForward *self = ENGINE_MEDIA_FORWARD (object);

  g_ptr_array_unref (self->sources);
  g_hash_table_unref (self->receivers);
  g_hash_table_unref (self->renegotiate);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (engine_media_forward_parent_class)->finalize (object);
}

static void
engine_media_forward_class_init (EngineMediaForwardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = engine_media_forward_dispose;
  object_class->finalize = engine_media_forward_finalize;

  /* A receiver's transceivers changed: the owner makes it a new offer. */
  signals[SIGNAL_RENEGOTIATE] = g_signal_new ("renegotiate", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
engine_media_forward_init (EngineMediaForward *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
  self->sources = g_ptr_array_new_with_free_func ((GDestroyNotify) source_free);
  self->receivers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) receiver_free);
  self->renegotiate = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* ---- public API ---- */

EngineMediaForward *
engine_media_forward_new (GstBin *bin)
{
  EngineMediaForward *self;

  g_return_val_if_fail (GST_IS_BIN (bin), NULL);

  self = g_object_new (ENGINE_TYPE_MEDIA_FORWARD, NULL);
  self->bin = gst_object_ref (bin);
  return self;
}

void
engine_media_forward_add_receiver (EngineMediaForward *self,
                                   const char         *id,
                                   GstElement         *webrtc)
{
  Receiver *receiver;

  g_return_if_fail (ENGINE_IS_MEDIA_FORWARD (self));
  g_return_if_fail (id != NULL);
  g_return_if_fail (GST_IS_ELEMENT (webrtc));

  engine_media_forward_remove_receiver (self, id);
  receiver = g_new0 (Receiver, 1);
  receiver->id = g_strdup (id);
  receiver->webrtc = gst_object_ref (webrtc);
  receiver->slots = g_ptr_array_new_with_free_func ((GDestroyNotify) slot_free);
  g_mutex_lock (&self->lock);
  g_hash_table_insert (self->receivers, receiver->id, receiver);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < self->sources->len; i++)
    {
      Source *s = g_ptr_array_index (self->sources, i);

      if (!g_str_equal (s->participant, id))
        slot_attach (self, receiver, s);
    }
  /* The caller's first offer carries these; no second one. */
  g_hash_table_remove (self->renegotiate, id);
}

void
engine_media_forward_remove_receiver (EngineMediaForward *self,
                                      const char         *id)
{
  Receiver *receiver;

  g_return_if_fail (ENGINE_IS_MEDIA_FORWARD (self));
  g_return_if_fail (id != NULL);

  receiver = g_hash_table_lookup (self->receivers, id);
  if (receiver == NULL)
    return;
  for (guint i = 0; i < receiver->slots->len; i++)
    slot_detach (self, receiver, g_ptr_array_index (receiver->slots, i), FALSE);
  g_hash_table_remove (self->renegotiate, id);
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->receivers, id);
  g_mutex_unlock (&self->lock);
}

gboolean
engine_media_forward_add_source (EngineMediaForward  *self,
                                 const char          *id,
                                 GstPad              *src,
                                 GstCaps             *stream_caps,
                                 GError             **error)
{
  g_autoptr(GstCaps) caps = stream_caps ? gst_caps_ref (stream_caps) : NULL;
  const GstStructure *s;
  const char *encoding, *codec, *depay_name, *pay_name, *media;
  int clock_rate = 0, pt = -1;
  guint32 ssrc;
  Source *source;
  Source *d;
  GHashTableIter iter;
  gpointer value;
  g_autoptr(GstPad) queue_sink = NULL;

  g_return_val_if_fail (ENGINE_IS_MEDIA_FORWARD (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);
  g_return_val_if_fail (GST_IS_PAD (src) && GST_PAD_IS_SRC (src), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (caps == NULL)
    caps = gst_pad_get_current_caps (src);
  if (caps == NULL)
    caps = gst_pad_query_caps (src, NULL);
  s = (caps != NULL && !gst_caps_is_empty (caps)) ? gst_caps_get_structure (caps, 0) : NULL;
  encoding = s ? gst_structure_get_string (s, "encoding-name") : NULL;
  if (s == NULL || encoding == NULL || !gst_structure_get_int (s, "payload", &pt) ||
      !codec_elements (encoding, &codec, &depay_name, &pay_name, &media, &clock_rate))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "%s sends a stream we cannot forward (%s)", id, encoding ? encoding : "no RTP caps");
      return FALSE;
    }

  source = g_new0 (Source, 1);
  d = source;
  g_mutex_init (&d->lock);
  d->context = g_main_context_ref (self->context);
  d->participant = g_strdup (id);
  d->kind = g_strdup (media);
  d->slot_kind = g_strdup_printf ("%s/%s", media, codec);
  d->input = gst_object_ref (src);
  d->queue = gst_object_ref_sink (gst_element_factory_make ("queue", NULL));
  d->depay = gst_element_factory_make (depay_name, NULL);
  d->pay = gst_element_factory_make (pay_name, NULL);
  d->tee = gst_object_ref_sink (gst_element_factory_make ("tee", NULL));
  if (d->depay == NULL || d->pay == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "GStreamer element %s or %s is missing",
                   depay_name, pay_name);
      g_clear_object (&d->depay);
      g_clear_object (&d->pay);
      source_free (source);
      return FALSE;
    }
  gst_object_ref_sink (d->depay);
  gst_object_ref_sink (d->pay);
  ssrc = g_random_int ();
  /* Leaky: a stalled forward path must never hold up the sender's other
   * consumers (the host's own decoder). */
  g_object_set (d->queue, "leaky", 2, "max-size-buffers", 0, "max-size-bytes", 0,
                "max-size-time", (guint64) SLOT_QUEUE_MAX_TIME, NULL);
  g_object_set (d->pay, "pt", (guint) pt, "ssrc", ssrc, "mtu", 1200, NULL);
  if (g_str_equal (pay_name, "rtpvp8pay"))
    g_object_set (d->pay, "picture-id-mode", 2 /* 15-bit */, NULL);
  else if (g_str_equal (pay_name, "rtph264pay"))
    g_object_set (d->pay, "config-interval", -1, "aggregate-mode", 1 /* zero-latency */, NULL);
  g_object_set (d->tee, "allow-not-linked", TRUE, NULL);
  d->caps = make_receiver_caps (media, codec, clock_rate, pt, ssrc);

  gst_bin_add_many (self->bin, d->queue, d->depay, d->pay, d->tee, NULL);
  if (!gst_element_link_many (d->queue, d->depay, d->pay, d->tee, NULL))
    g_warning ("Cannot link the forwarding chain of %s's %s", id, media);
  d->gate_pad = gst_element_get_static_pad (d->pay, "src");
  gst_pad_add_probe (d->gate_pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_keyframe_request, d, NULL);
  gst_element_sync_state_with_parent (d->tee);
  gst_element_sync_state_with_parent (d->pay);
  gst_element_sync_state_with_parent (d->depay);
  gst_element_sync_state_with_parent (d->queue);
  queue_sink = gst_element_get_static_pad (d->queue, "sink");
  if (!gst_pad_link_maybe_ghosting (src, queue_sink))
    g_warning ("Cannot link %s's %s into the forwarder", id, media);
  d->input_peer = gst_pad_get_peer (queue_sink);
  if (d->input_peer == NULL)
    d->input_peer = gst_object_ref (src);
  g_ptr_array_add (self->sources, source);

  g_hash_table_iter_init (&iter, self->receivers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Receiver *receiver = value;

      if (g_str_equal (receiver->id, id))
        continue;
      slot_attach (self, receiver, source);
      schedule_renegotiate (self, receiver);
    }
  return TRUE;
}

void
engine_media_forward_remove_sources (EngineMediaForward *self,
                                     const char         *id)
{
  g_return_if_fail (ENGINE_IS_MEDIA_FORWARD (self));
  g_return_if_fail (id != NULL);

  for (guint i = self->sources->len; i > 0; i--)
    {
      Source *s = g_ptr_array_index (self->sources, i - 1);

      if (g_str_equal (s->participant, id))
        source_remove (self, s, TRUE);
    }
}

void
engine_media_forward_request_keyframes (EngineMediaForward *self,
                                        const char         *id)
{
  g_return_if_fail (ENGINE_IS_MEDIA_FORWARD (self));
  g_return_if_fail (id != NULL);

  for (guint i = 0; i < self->sources->len; i++)
    {
      Source *s = g_ptr_array_index (self->sources, i);

      if (g_str_equal (s->kind, "video") && !g_str_equal (s->participant, id))
        gst_pad_send_event (s->gate_pad, new_keyframe_request ());
    }
}

static gboolean
is_direction (const char *key)
{
  return g_strcmp0 (key, "sendonly") == 0 || g_strcmp0 (key, "recvonly") == 0 ||
         g_strcmp0 (key, "sendrecv") == 0 || g_strcmp0 (key, "inactive") == 0;
}

/* One m-line of a slot: its direction, and while active the SSRC and the
 * stream id (msid) of the stream it carries now. */
static void
fix_media (GstSDPMedia *media,
           Slot        *slot)
{
  for (guint i = gst_sdp_media_attributes_len (media); i > 0; i--)
    if (is_direction (gst_sdp_media_get_attribute (media, i - 1)->key))
      gst_sdp_media_remove_attribute (media, i - 1);
  gst_sdp_media_add_attribute (media, slot->source != NULL ? "sendonly" : "inactive", NULL);
  if (slot->source == NULL)
    return;
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++)
    {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, i);
      const char *rest;
      g_autofree char *value = NULL;
      GstSDPAttribute replacement;

      if (g_strcmp0 (attr->key, "ssrc") != 0 || attr->value == NULL ||
          (rest = strchr (attr->value, ' ')) == NULL)
        continue;
      rest++;
      if (g_str_has_prefix (rest, "msid:"))
        {
          const char *track = strchr (rest, ' ');

          value = g_strdup_printf ("%u msid:%s%s", slot->ssrc, slot->msid, track ? track : "");
        }
      else
        value = g_strdup_printf ("%u %s", slot->ssrc, rest);
      gst_sdp_attribute_set (&replacement, "ssrc", value);
      gst_sdp_media_replace_attribute (media, i, &replacement);
    }
}

void
engine_media_forward_fix_offer (EngineMediaForward *self,
                                const char         *id,
                                GstSDPMessage      *sdp)
{
  Receiver *receiver;

  g_return_if_fail (ENGINE_IS_MEDIA_FORWARD (self));
  g_return_if_fail (id != NULL && sdp != NULL);

  g_mutex_lock (&self->lock);
  receiver = g_hash_table_lookup (self->receivers, id);
  for (guint i = 0; receiver != NULL && i < receiver->slots->len; i++)
    {
      Slot *slot = g_ptr_array_index (receiver->slots, i);
      g_autofree char *mid = NULL;

      /* No mid yet: a new m-line, which webrtcbin wrote from the
       * transceiver's current caps and msid. */
      g_object_get (slot->transceiver, "mid", &mid, NULL);
      if (mid == NULL)
        continue;
      for (guint m = 0; m < gst_sdp_message_medias_len (sdp); m++)
        {
          GstSDPMedia *media = (GstSDPMedia *) gst_sdp_message_get_media (sdp, m);

          if (g_strcmp0 (gst_sdp_media_get_attribute_val (media, "mid"), mid) == 0)
            fix_media (media, slot);
        }
    }
  g_mutex_unlock (&self->lock);
}

void
engine_media_forward_clear (EngineMediaForward *self)
{
  g_autoptr(GPtrArray) ids = NULL;
  GHashTableIter iter;
  gpointer key;

  g_return_if_fail (ENGINE_IS_MEDIA_FORWARD (self));

  ids = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_iter_init (&iter, self->receivers);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (ids, g_strdup (key));
  for (guint i = 0; i < ids->len; i++)
    engine_media_forward_remove_receiver (self, g_ptr_array_index (ids, i));
  while (self->sources->len > 0)
    source_remove (self, g_ptr_array_index (self->sources, self->sources->len - 1), FALSE);
  g_hash_table_remove_all (self->renegotiate);
}

guint
engine_media_forward_get_n_sources (EngineMediaForward *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_FORWARD (self), 0);
  return self->sources->len;
}

guint
engine_media_forward_get_n_slots (EngineMediaForward *self,
                                  const char         *id)
{
  Receiver *receiver;

  g_return_val_if_fail (ENGINE_IS_MEDIA_FORWARD (self), 0);
  receiver = g_hash_table_lookup (self->receivers, id);
  return receiver ? receiver->slots->len : 0;
}

guint
engine_media_forward_get_n_active (EngineMediaForward *self,
                                   const char         *id)
{
  Receiver *receiver;
  guint count = 0;

  g_return_val_if_fail (ENGINE_IS_MEDIA_FORWARD (self), 0);
  receiver = g_hash_table_lookup (self->receivers, id);
  for (guint i = 0; receiver != NULL && i < receiver->slots->len; i++)
    if (((Slot *) g_ptr_array_index (receiver->slots, i))->source != NULL)
      count++;
  return count;
}

void
engine_media_forward_get_keyframe_counts (EngineMediaForward *self,
                                          guint              *passed,
                                          guint              *merged)
{
  guint p, m;

  g_return_if_fail (ENGINE_IS_MEDIA_FORWARD (self));
  p = self->passed_gone;
  m = self->merged_gone;
  for (guint i = 0; i < self->sources->len; i++)
    {
      Source *d = g_ptr_array_index (self->sources, i);

      g_mutex_lock (&d->lock);
      p += d->passed;
      m += d->merged;
      g_mutex_unlock (&d->lock);
    }
  if (passed)
    *passed = p;
  if (merged)
    *merged = m;
}
