/* engine-media-headless.c: the headless host for tests, demos and
 * benchmarks. Runs the same EngineMediaSession as the desktop app, prints
 * every event as one JSON line on stdout and takes host controls as lines on
 * stdin ("mic|cam|screen on|off", "mute|unmute|admit|restart GUEST_ID",
 * "quit"). */
#define G_LOG_DOMAIN "engine-media-headless"

#include "engine-media-headless.h"
#include "engine-media-session.h"

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A token file holds one line; anything bigger is not a token file. */
#define MAX_TOKEN_FILE 4096

typedef struct {
  GMainLoop          *loop;
  EngineMediaSession *session;
  GDataInputStream   *input;
  GCancellable       *cancellable;
  int                 status;
} Headless;

static void
print_event (JsonObject *event)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;

  json_node_set_object (node, event);
  text = json_to_string (node, FALSE);
  fputs (text, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

static void
on_event (EngineMediaSession *session,
          JsonObject         *event,
          gpointer            user_data)
{
  Headless *headless = user_data;
  const char *name = json_object_get_string_member (event, "event");

  print_event (event);
  if (g_str_equal (name, "ended"))
    {
      const char *reason = json_object_get_string_member_with_default (event, "reason", "");

      if (g_str_has_prefix (reason, "cannot reach"))
        headless->status = 1;
      g_main_loop_quit (headless->loop);
    }
}

static gboolean
parse_on_off (const char *word,
              gboolean   *on)
{
  if (g_strcmp0 (word, "on") == 0)
    *on = TRUE;
  else if (g_strcmp0 (word, "off") == 0)
    *on = FALSE;
  else
    return FALSE;
  return TRUE;
}

static void
run_command (Headless   *headless,
             const char *line)
{
  g_auto(GStrv) words = g_strsplit_set (line, " \t", 3);
  const char *verb = words[0];
  const char *arg = verb ? words[1] : NULL;
  gboolean on = FALSE;

  if (verb == NULL || verb[0] == '\0')
    return;
  if (g_str_equal (verb, "mic") && parse_on_off (arg, &on))
    engine_media_session_set_mic (headless->session, on);
  else if (g_str_equal (verb, "cam") && parse_on_off (arg, &on))
    engine_media_session_set_camera (headless->session, on);
  else if (g_str_equal (verb, "screen") && parse_on_off (arg, &on))
    engine_media_session_set_screen (headless->session, on);
  else if (g_str_equal (verb, "mute") && arg != NULL)
    engine_media_session_mute_guest (headless->session, arg, TRUE);
  else if (g_str_equal (verb, "unmute") && arg != NULL)
    engine_media_session_mute_guest (headless->session, arg, FALSE);
  else if (g_str_equal (verb, "restart") && arg != NULL)
    engine_media_session_restart_guest (headless->session, arg);
  else if (g_str_equal (verb, "admit") && arg != NULL)
    engine_media_session_admit (headless->session, arg);
  else if (g_str_equal (verb, "quit"))
    g_main_loop_quit (headless->loop);
  else
    g_printerr ("omnilive: unknown command: %s\n", line);
}

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Headless *headless = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  if (line == NULL)
    {
      /* End of input (or cancelled): the host keeps running on its own. */
      return;
    }
  run_command (headless, g_strstrip (line));
  g_data_input_stream_read_line_async (headless->input, G_PRIORITY_DEFAULT, headless->cancellable,
                                       on_line, headless);
}

static gboolean
on_quit (gpointer user_data)
{
  Headless *headless = user_data;

  g_main_loop_quit (headless->loop);
  return G_SOURCE_CONTINUE;
}

static char *
read_token (const char  *path,
            GError     **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;
  if (length > MAX_TOKEN_FILE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not a token file", path);
      return NULL;
    }
  g_strstrip (contents);
  if (contents[0] == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is empty", path);
      return NULL;
    }
  return g_steal_pointer (&contents);
}

static int
run_headless (int    argc,
              char **argv)
{
  gboolean no_forward = FALSE;
  gboolean headless_flag = FALSE, admit_all = FALSE, camera = FALSE, mic = FALSE, screen = FALSE;
  gboolean loopback = FALSE, relay_only = FALSE, screen_on = FALSE, busy = FALSE;
  g_autofree char *relay = NULL, *token_file = NULL, *session_id = NULL, *video_size = NULL;
  g_autofree char *camera_path = NULL, *codec = NULL;
  int duration = 0, fps = 30, kbps = 1500, stats_ms = 1000;
  const GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless_flag, "Run without a window", NULL },
    { "relay", 0, 0, G_OPTION_ARG_STRING, &relay, "The relay's URL", "URL" },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file, "File holding the host's API token", "FILE" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &session_id, "Start (or resume) this session as its host", "SESSION_ID" },
    { "admit-all", 0, 0, G_OPTION_ARG_NONE, &admit_all, "Admit every waiting guest", NULL },
    { "no-forward", 0, 0, G_OPTION_ARG_NONE, &no_forward, "Do not forward guests' media to other guests (benchmarks compare)", NULL },
    { "duration", 0, 0, G_OPTION_ARG_INT, &duration, "Stop after this many seconds", "SECONDS" },
    { "video-size", 0, 0, G_OPTION_ARG_STRING, &video_size, "Video size (default 1280x720)", "WxH" },
    { "fps", 0, 0, G_OPTION_ARG_INT, &fps, "Camera frame rate (default 30)", "N" },
    { "video-codec", 0, 0, G_OPTION_ARG_STRING, &codec, "vp8 (default) or h264, shared by every guest", "CODEC" },
    { "video-kbps", 0, 0, G_OPTION_ARG_INT, &kbps, "Bitrate of each video track (default 1500)", "N" },
    { "camera", 0, 0, G_OPTION_ARG_NONE, &camera, "Use a camera (the first PipeWire, else V4L2, one found) instead of a test pattern; the \"sources\" event names it", NULL },
    { "camera-device", 0, 0, G_OPTION_ARG_FILENAME, &camera_path, "V4L2 device of the camera (default: the first camera found)", "PATH" },
    { "mic", 0, 0, G_OPTION_ARG_NONE, &mic, "Use a microphone (the first PipeWire, else PulseAudio, one found) instead of a test tone", NULL },
    { "screen-capture", 0, 0, G_OPTION_ARG_NONE, &screen, "Share the real screen when sharing (X11 directly, Wayland through the ScreenCast portal)", NULL },
    { "busy-pattern", 0, 0, G_OPTION_ARG_NONE, &busy, "A test picture that moves everywhere, like a camera (benchmarks)", NULL },
    { "share-screen", 0, 0, G_OPTION_ARG_NONE, &screen_on, "Start with screen sharing on", NULL },
    { "ice-loopback", 0, 0, G_OPTION_ARG_NONE, &loopback, "Offer 127.0.0.1 as an ICE candidate (tests)", NULL },
    { "relay-only", 0, 0, G_OPTION_ARG_NONE, &relay_only, "Connect guests through TURN only", NULL },
    { "stats-interval", 0, 0, G_OPTION_ARG_INT, &stats_ms, "Milliseconds between stats events (0: none)", "MS" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- the OmniLive host without a window");
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autoptr(GInputStream) stdin_stream = NULL;
  EngineMediaConfig config;
  Headless headless = { 0 };
  guint sigint_source, sigterm_source, duration_source = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("omnilive: %s\n", error->message);
      return 2;
    }
  if (relay == NULL || token_file == NULL || session_id == NULL)
    {
      g_printerr ("omnilive: --relay, --token-file and --host are needed\n");
      return 2;
    }
  token = read_token (token_file, &error);
  if (token == NULL)
    {
      g_printerr ("omnilive: %s\n", error->message);
      return 2;
    }

  engine_media_config_init (&config);
  if (video_size != NULL && sscanf (video_size, "%dx%d", &config.width, &config.height) != 2)
    {
      g_printerr ("omnilive: --video-size wants WIDTHxHEIGHT\n");
      return 2;
    }
  if (config.width < 16 || config.height < 16 || config.width > 3840 || config.height > 2160 ||
      fps < 1 || fps > 60 || kbps < 50 || kbps > 20000 || stats_ms < 0 || duration < 0)
    {
      g_printerr ("omnilive: a size, rate or duration is out of range\n");
      return 2;
    }
  if (codec == NULL || g_ascii_strcasecmp (codec, "vp8") == 0)
    config.codec = ENGINE_MEDIA_CODEC_VP8;
  else if (g_ascii_strcasecmp (codec, "h264") == 0)
    config.codec = ENGINE_MEDIA_CODEC_H264;
  else
    {
      g_printerr ("omnilive: --video-codec is vp8 or h264\n");
      return 2;
    }
  config.fps = fps;
  config.video_kbps = kbps;
  config.camera_device = camera;
  config.camera_path = camera_path;
  config.mic_device = mic;
  config.screen_device = screen;
  config.busy_pattern = busy;
  config.admit_all = admit_all;
  config.forward_guests = !no_forward;
  config.relay_only = relay_only;
  config.loopback = loopback || g_strcmp0 (g_getenv ("OMNILIVE_ICE_LOOPBACK"), "1") == 0;
  config.stats_interval_ms = (guint) stats_ms;

  headless.loop = g_main_loop_new (NULL, FALSE);
  headless.session = engine_media_session_new (&config);
  headless.cancellable = g_cancellable_new ();
  g_signal_connect (headless.session, "event", G_CALLBACK (on_event), &headless);
  if (screen_on)
    engine_media_session_set_screen (headless.session, TRUE);
  if (!engine_media_session_start_pipeline (headless.session, &error))
    {
      g_printerr ("omnilive: %s\n", error->message);
      g_clear_object (&headless.session);
      g_main_loop_unref (headless.loop);
      g_object_unref (headless.cancellable);
      return 1;
    }
  engine_media_session_connect (headless.session, relay, token, session_id);

  stdin_stream = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  headless.input = g_data_input_stream_new (stdin_stream);
  g_data_input_stream_read_line_async (headless.input, G_PRIORITY_DEFAULT, headless.cancellable,
                                       on_line, &headless);

  sigint_source = g_unix_signal_add (SIGINT, on_quit, &headless);
  sigterm_source = g_unix_signal_add (SIGTERM, on_quit, &headless);
  if (duration > 0)
    duration_source = g_timeout_add_seconds ((guint) duration, on_quit, &headless);

  g_main_loop_run (headless.loop);

  g_cancellable_cancel (headless.cancellable);
  g_source_remove (sigint_source);
  g_source_remove (sigterm_source);
  g_clear_handle_id (&duration_source, g_source_remove);
  engine_media_session_stop (headless.session);
  /* Let cancelled reads and late webrtcbin posts finish before exit. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&headless.input);
  g_clear_object (&headless.session);
  g_clear_object (&headless.cancellable);
  g_main_loop_unref (headless.loop);
  return headless.status;
}

int
engine_headless_main (int    argc,
                      char **argv)
{
  int status = run_headless (argc, argv);

  /* Whatever way it ends, GStreamer's registry and caches go too: leak
   * checkers (the sanitized test run) then see only what is ours. */
  if (gst_is_initialized ())
    gst_deinit ();
  return status;
}
