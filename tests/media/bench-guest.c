/* bench-guest.c: a receive-only load guest for `./omni bench media` — joins
 * a session through the REST join call and the signaling socket like the
 * join page, answers the host's offer with a webrtcbin and counts the RTP it
 * receives without decoding it. Chromium guests decode 720p video and would
 * starve a 2-core machine long before the host does; these do not, so the
 * host's own cost per guest can be measured. Prints JSON lines:
 * {"event":"connected"} and {"event":"receiving","packets":N}. */
#define G_LOG_DOMAIN "bench-guest"

#include "engine-media-guest.h"
#include "engine-media-signal.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <gst/sdp/sdp.h>
#include <libsoup/soup.h>

#include <stdio.h>
#include <string.h>

typedef struct {
  GMainLoop         *loop;
  EngineMediaSignal *signal;
  GstElement        *pipeline;
  GstElement        *webrtc;
  gboolean           loopback;
  gint               packets;       /* atomic */
  gboolean           reported;
} BenchGuest;

static void
say (const char *json)
{
  fputs (json, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

/* Runs on webrtcbin's thread; signaling sends are thread-safe enough for
 * libsoup only from the main context, so hop there. */
typedef struct { BenchGuest *guest; char *text; } Outgoing;

static gboolean
send_outgoing (gpointer data)
{
  Outgoing *out = data;

  /* NULL text: the connection is up. */
  if (out->text == NULL)
    say ("{\"event\":\"connected\"}");
  else
    engine_media_signal_send (out->guest->signal, out->text);
  g_free (out->text);
  g_free (out);
  return G_SOURCE_REMOVE;
}

static void
send_later (BenchGuest *guest,
            char       *text)
{
  Outgoing *out = g_new0 (Outgoing, 1);

  out->guest = guest;
  out->text = text;
  g_idle_add (send_outgoing, out);
}

static void
on_answer_created (GstPromise *promise,
                   gpointer    user_data)
{
  BenchGuest *guest = user_data;
  GstWebRTCSessionDescription *answer = NULL;
  const GstStructure *reply = gst_promise_get_reply (promise);
  GstPromise *local;
  g_autofree char *sdp = NULL;

  if (reply == NULL || !gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL))
    g_error ("webrtcbin made no answer");
  gst_promise_unref (promise);
  local = gst_promise_new ();
  g_signal_emit_by_name (guest->webrtc, "set-local-description", answer, local);
  gst_promise_unref (local);
  sdp = gst_sdp_message_as_text (answer->sdp);
  gst_webrtc_session_description_free (answer);
  send_later (guest, omni_signal_build_sdp (OMNI_SIGNAL_ANSWER, NULL, sdp));
}

static void
on_offer_set (GstPromise *promise,
              gpointer    user_data)
{
  BenchGuest *guest = user_data;

  gst_promise_unref (promise);
  g_signal_emit_by_name (guest->webrtc, "create-answer", NULL,
                         gst_promise_new_with_change_func (on_answer_created, guest, NULL));
}

static void
on_ice_candidate (GstElement *webrtc,
                  guint       mline,
                  const char *candidate,
                  gpointer    user_data)
{
  send_later (user_data, omni_signal_build_ice (NULL, candidate, NULL, (int) mline));
}

static GstPadProbeReturn
on_rtp (GstPad          *pad,
        GstPadProbeInfo *info,
        gpointer         user_data)
{
  BenchGuest *guest = user_data;

  g_atomic_int_inc (&guest->packets);
  return GST_PAD_PROBE_OK;
}

static void
on_pad_added (GstElement *webrtc,
              GstPad     *pad,
              gpointer    user_data)
{
  BenchGuest *guest = user_data;
  GstElement *sink;
  g_autoptr(GstPad) sink_pad = NULL;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (guest->pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  sink_pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_BUFFER, on_rtp, guest, NULL);
  gst_pad_link (pad, sink_pad);
}

static void
on_connection_state (GObject    *webrtc,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    send_later (user_data, NULL);
}

static void
ensure_webrtc (BenchGuest *guest)
{
  if (guest->webrtc != NULL)
    return;
  guest->pipeline = gst_pipeline_new ("bench-guest");
  guest->webrtc = gst_element_factory_make ("webrtcbin", NULL);
  g_object_set (guest->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  gst_bin_add (GST_BIN (guest->pipeline), guest->webrtc);
  engine_media_setup_ice_agent (guest->webrtc, guest->loopback);
  g_signal_connect (guest->webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate), guest);
  g_signal_connect (guest->webrtc, "pad-added", G_CALLBACK (on_pad_added), guest);
  g_signal_connect (guest->webrtc, "notify::connection-state", G_CALLBACK (on_connection_state), guest);
  gst_element_set_state (guest->pipeline, GST_STATE_PLAYING);
}

static void
on_message (EngineMediaSignal *signal,
            int                kind,
            JsonObject        *message,
            gpointer           user_data)
{
  BenchGuest *guest = user_data;

  switch (kind)
    {
    case OMNI_SIGNAL_OFFER:
      {
        GstSDPMessage *sdp = NULL;
        GstWebRTCSessionDescription *offer;

        ensure_webrtc (guest);
        gst_sdp_message_new_from_text (json_object_get_string_member (message, "sdp"), &sdp);
        offer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, sdp);
        g_signal_emit_by_name (guest->webrtc, "set-remote-description", offer,
                               gst_promise_new_with_change_func (on_offer_set, guest, NULL));
        gst_webrtc_session_description_free (offer);
        break;
      }
    case OMNI_SIGNAL_ICE:
      {
        const char *candidate = json_object_get_string_member (message, "candidate");

        if (guest->webrtc != NULL && candidate[0] != '\0')
          g_signal_emit_by_name (guest->webrtc, "add-ice-candidate",
                                 (guint) json_object_get_int_member_with_default (message, "sdpMLineIndex", 0),
                                 candidate);
        break;
      }
    case OMNI_SIGNAL_SESSION_ENDED:
    case OMNI_SIGNAL_REMOVED:
      g_main_loop_quit (guest->loop);
      break;
    default:
      break;
    }
}

static gboolean
on_tick (gpointer user_data)
{
  BenchGuest *guest = user_data;
  int packets = g_atomic_int_get (&guest->packets);

  if (packets > 100 && !guest->reported)
    {
      g_autofree char *line = g_strdup_printf ("{\"event\":\"receiving\",\"packets\":%d}", packets);

      guest->reported = TRUE;
      say (line);
    }
  return G_SOURCE_CONTINUE;
}

static char *
join (const char  *relay,
      const char  *link,
      const char  *name,
      GError     **error)
{
  g_autoptr(SoupSession) soup = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("%s/api/join/%s", relay, link);
  g_autofree char *body = g_strdup_printf ("{\"name\":\"%s\",\"email\":\"%s@example.com\"}", name, name);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;

  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  reply = soup_session_send_and_read (soup, msg, NULL, error);
  if (reply == NULL)
    return NULL;
  if (!json_parser_load_from_data (parser, g_bytes_get_data (reply, NULL), g_bytes_get_size (reply), error))
    return NULL;
  object = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (object, "guestToken"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "join refused (HTTP %u)", soup_message_get_status (msg));
      return NULL;
    }
  return g_strdup (json_object_get_string_member (object, "guestToken"));
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!engine_media_signal_connect_finish (ENGINE_MEDIA_SIGNAL (source), result, &error))
    g_error ("bench-guest: %s", error->message);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *token = NULL;
  g_autoptr(GError) error = NULL;
  BenchGuest guest = { 0 };

  gst_init (&argc, &argv);
  if (argc != 4)
    {
      g_printerr ("usage: bench-guest RELAY_URL ACCESS_LINK NAME\n");
      return 2;
    }
  guest.loopback = TRUE;
  token = join (argv[1], argv[2], argv[3], &error);
  if (token == NULL)
    {
      g_printerr ("bench-guest: %s\n", error->message);
      return 1;
    }
  guest.loop = g_main_loop_new (NULL, FALSE);
  guest.signal = engine_media_signal_new_guest (argv[1], token);
  g_signal_connect (guest.signal, "message", G_CALLBACK (on_message), &guest);
  g_signal_connect_swapped (guest.signal, "closed", G_CALLBACK (g_main_loop_quit), guest.loop);
  engine_media_signal_connect_async (guest.signal, NULL, on_connected, &guest);
  g_timeout_add (100, on_tick, &guest);
  g_main_loop_run (guest.loop);
  if (guest.pipeline != NULL)
    {
      gst_element_set_state (guest.pipeline, GST_STATE_NULL);
      gst_object_unref (guest.pipeline);
    }
  g_object_unref (guest.signal);
  g_main_loop_unref (guest.loop);
  return 0;
}
