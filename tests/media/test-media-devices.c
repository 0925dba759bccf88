/* test-media-devices.c: the host engine's camera and microphone. The engine
 * finds them with GStreamer's device monitor, opens them from the device
 * and encodes what they deliver; here they are nodes of the test's own
 * PipeWire daemon (and a PulseAudio server, pipewire-pulse on a daemon the
 * engine cannot see), the test playing the session manager. Without a
 * device, or when one does not start, the test sources stand in. */
#define G_LOG_DOMAIN "test-media-devices"

#include "engine-media-session.h"
#include "engine-test-events.h"
#include "pipewire-fixture.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <string.h>

#define CAMERA_NODE  "omni-test-camera"
#define CAMERA_NAME  "OmniLive test camera"
#define MIC_NODE     "omni-test-mic"
#define MIC_NAME     "OmniLive test microphone"
#define SINK_NODE    "omni-test-speakers"
#define WAIT_MS      20000

/* Where buffers are counted: into each branch (from whichever source
 * feeds it) and out of each encoder. */
typedef enum {
  COUNT_CAMERA_IN,
  COUNT_CAMERA_ENCODED,
  COUNT_MIC_IN,
  COUNT_MIC_ENCODED,
  N_COUNTS
} Count;

typedef enum {
  DAEMONS_NONE,        /* no PipeWire, no PulseAudio */
  DAEMONS_PIPEWIRE,    /* PipeWire with pipewire-pulse, both reachable */
  DAEMONS_PULSE_ONLY,  /* a PulseAudio server; no PipeWire the engine can reach */
} Daemons;

typedef struct {
  gboolean            have_pulse; /* pipewire-pulse is installed */
  PipewireFixture    *pipewire;   /* the daemons, or NULL */
  char               *empty_dir;  /* the engine's runtime dir when it must find no daemon */
  EngineMediaSession *session;
  GPtrArray          *events;     /* JsonObject, as the engine emitted them */
  gint                counts[N_COUNTS];   /* atomic */
} Fixture;

typedef struct {
  gboolean    camera;
  gboolean    mic;
  const char *camera_path;
} EngineOptions;

/* ---- the engine ---- */

static void
probe_pad (Fixture    *f,
           const char *element_name,
           const char *pad_name,
           Count       count)
{
  g_autoptr(GstElement) element = gst_bin_get_by_name (GST_BIN (engine_media_session_get_pipeline (f->session)),
                                                       element_name);
  g_autoptr(GstPad) pad = NULL;

  g_assert_nonnull (element);
  pad = gst_element_get_static_pad (element, pad_name);
  engine_test_count_buffers (pad, &f->counts[count]);
}

static void
start_engine (Fixture             *f,
              const EngineOptions *options)
{
  EngineMediaConfig config;
  g_autoptr(GError) error = NULL;

  g_assert_null (f->session);
  memset (f->counts, 0, sizeof f->counts);
  engine_media_config_init (&config);
  config.width = 320;
  config.height = 180;
  config.fps = 15;
  config.video_kbps = 200;
  config.camera_device = options->camera;
  config.camera_path = options->camera_path;
  config.mic_device = options->mic;
  config.stats_interval_ms = 0;
  f->session = engine_media_session_new (&config);
  engine_test_record_events (f->session, f->events);
  g_assert_true (engine_media_session_start_pipeline (f->session, &error));
  g_assert_no_error (error);
  probe_pad (f, "camera-convert", "sink", COUNT_CAMERA_IN);
  probe_pad (f, "camera-encoder", "src", COUNT_CAMERA_ENCODED);
  probe_pad (f, "mic-convert", "sink", COUNT_MIC_IN);
  probe_pad (f, "audio-encoder", "src", COUNT_MIC_ENCODED);
}

static void
stop_engine (Fixture *f)
{
  if (f->session == NULL)
    return;
  engine_media_session_stop (f->session);
  g_clear_object (&f->session);
  g_ptr_array_set_size (f->events, 0);
}

/* The factory of the element the engine put in the pipeline as @name. */
static const char *
source_factory (Fixture    *f,
                const char *name)
{
  g_autoptr(GstElement) source = gst_bin_get_by_name (GST_BIN (engine_media_session_get_pipeline (f->session)), name);

  g_assert_nonnull (source);
  return GST_OBJECT_NAME (gst_element_get_factory (source));
}

static char *
source_string_property (Fixture    *f,
                        const char *name,
                        const char *property)
{
  g_autoptr(GstElement) source = gst_bin_get_by_name (GST_BIN (engine_media_session_get_pipeline (f->session)), name);
  char *value = NULL;

  g_object_get (source, property, &value, NULL);
  return value;
}

/* ---- events ---- */

static int
find_event (Fixture    *f,
            guint       since,
            const char *name)
{
  return engine_test_find_event (f->events, since, name, NULL, FALSE);
}

static JsonObject *
wait_event (Fixture    *f,
            guint       since,
            const char *name)
{
  return engine_test_wait_event (f->events, since, name, NULL, FALSE, WAIT_MS);
}

static void
assert_no_error_event (Fixture *f)
{
  if (find_event (f, 0, "error") >= 0)
    {
      engine_test_log_events (f->events);
      g_error ("The engine reported an error");
    }
}

/* ---- buffers ---- */

static void
wait_buffers (Fixture    *f,
              Count       count,
              gint        more,
              const char *what)
{
  gint target = g_atomic_int_get (&f->counts[count]) + more;

  if (!engine_test_wait_count (&f->counts[count], target, WAIT_MS))
    {
      g_autofree char *ports = f->pipewire != NULL ? pipewire_fixture_describe (f->pipewire) : NULL;

      engine_test_log_events (f->events);
      g_error ("%s: %d buffers, wanted %d; PipeWire:\n%s", what, g_atomic_int_get (&f->counts[count]),
               target, ports ? ports : "(no daemon)");
    }
}

/* Encoded video and audio flow: the call would carry both. */
static void
wait_media_flows (Fixture *f)
{
  wait_buffers (f, COUNT_CAMERA_IN, 10, "frames into the camera branch");
  wait_buffers (f, COUNT_CAMERA_ENCODED, 5, "encoded camera frames");
  wait_buffers (f, COUNT_MIC_IN, 20, "audio into the microphone branch");
  wait_buffers (f, COUNT_MIC_ENCODED, 10, "encoded audio");
}

/* ---- what the device monitor lists (the scenario, not the engine) ---- */

static guint
count_devices (const char *type_name,
               const char *display_name)
{
  g_autoptr(GstDeviceMonitor) monitor = gst_device_monitor_new ();
  g_autolist(GstDevice) devices = NULL;
  guint n = 0;

  gst_device_monitor_add_filter (monitor, "Audio/Source", NULL);
  gst_device_monitor_add_filter (monitor, "Video/Source", NULL);
  devices = gst_device_monitor_get_devices (monitor);
  for (GList *l = devices; l != NULL; l = l->next)
    {
      g_autofree char *name = gst_device_get_display_name (l->data);

      if (g_str_equal (G_OBJECT_TYPE_NAME (l->data), type_name) && g_strcmp0 (name, display_name) == 0)
        n++;
    }
  return n;
}

/* ---- fixture ---- */

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  Daemons daemons = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  g_autofree char *no_pulse = NULL;

  f->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  f->empty_dir = g_dir_make_tmp ("omni-no-daemon-XXXXXX", &error);
  g_assert_no_error (error);
  {
    g_autofree char *pulse = g_find_program_in_path ("pipewire-pulse");

    f->have_pulse = pulse != NULL;
  }
  if (daemons == DAEMONS_PIPEWIRE || (daemons == DAEMONS_PULSE_ONLY && f->have_pulse))
    f->pipewire = pipewire_fixture_start (f->have_pulse);

  /* The engine (this process) finds daemons through these only. */
  g_unsetenv ("PIPEWIRE_REMOTE");
  g_unsetenv ("PIPEWIRE_RUNTIME_DIR");
  g_unsetenv ("OMNILIVE_FAKE_MEDIA");
  g_setenv ("XDG_RUNTIME_DIR", daemons == DAEMONS_PIPEWIRE ? pipewire_fixture_get_runtime_dir (f->pipewire)
                                                           : f->empty_dir, TRUE);
  /* Set even without a server: libpulse then never autospawns one. */
  no_pulse = g_strconcat ("unix:", f->empty_dir, "/pulse/native", NULL);
  g_setenv ("PULSE_SERVER", f->pipewire != NULL && f->have_pulse ? pipewire_fixture_get_pulse_server (f->pipewire)
                                                                 : no_pulse, TRUE);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  stop_engine (f);
  g_ptr_array_unref (f->events);
  if (f->pipewire != NULL)
    pipewire_fixture_stop (f->pipewire);
  g_rmdir (f->empty_dir);
  g_free (f->empty_dir);
}

/* ---- tests ---- */

/* PipeWire has a camera and a microphone (pipewire-pulse lists the same
 * microphone again): the engine opens both through PipeWire, and once the
 * "session manager" links them, their media reaches the encoders. */
static void
test_pipewire (Fixture       *f,
               gconstpointer  data)
{
  const EngineOptions options = { .camera = TRUE, .mic = TRUE };
  JsonObject *sources;
  g_autofree char *camera_target = NULL;
  g_autofree char *mic_target = NULL;

  pipewire_fixture_add_video_source (f->pipewire, CAMERA_NODE, CAMERA_NAME);
  pipewire_fixture_add_audio_source (f->pipewire, MIC_NODE, MIC_NAME);
  if (f->have_pulse)
    g_assert_cmpuint (count_devices ("GstPulseDevice", MIC_NAME), ==, 1);
  else
    g_test_message ("No pipewire-pulse: no PulseAudio duplicate of the microphone to pass over");
  pipewire_fixture_manage_streams (f->pipewire);

  start_engine (f, &options);
  sources = wait_event (f, 0, "sources");
  g_assert_cmpstr (json_object_get_string_member (sources, "camera"), ==, "pipewiresrc");
  g_assert_cmpstr (json_object_get_string_member (sources, "camera-device"), ==, CAMERA_NAME);
  g_assert_cmpstr (json_object_get_string_member (sources, "mic"), ==, "pipewiresrc");
  g_assert_cmpstr (json_object_get_string_member (sources, "mic-device"), ==, MIC_NAME);
  /* Made from the device: a stream that asks PipeWire for that node. */
  camera_target = source_string_property (f, "camera-source", "target-object");
  mic_target = source_string_property (f, "mic-source", "target-object");
  g_assert_nonnull (camera_target);
  g_assert_nonnull (mic_target);

  wait_media_flows (f);
  g_assert_cmpuint (pipewire_fixture_get_n_linked (f->pipewire), >=, 2);
  g_assert_cmpstr (source_factory (f, "camera-source"), ==, "pipewiresrc");
  g_assert_cmpstr (source_factory (f, "mic-source"), ==, "pipewiresrc");
  /* Still the devices: no stand-in took over. */
  g_assert_cmpint (find_event (f, find_event (f, 0, "sources") + 1, "sources"), ==, -1);
  assert_no_error_event (f);
}

/* The test sources feed both tracks, no device is named, media flows. */
static void
assert_stand_ins_flow (Fixture *f)
{
  JsonObject *sources = wait_event (f, 0, "sources");

  g_assert_cmpstr (json_object_get_string_member (sources, "camera"), ==, "videotestsrc");
  g_assert_cmpstr (json_object_get_string_member (sources, "mic"), ==, "audiotestsrc");
  g_assert_false (json_object_has_member (sources, "camera-device"));
  g_assert_false (json_object_has_member (sources, "mic-device"));
  wait_media_flows (f);
  assert_no_error_event (f);
}

/* OMNILIVE_FAKE_MEDIA=1 keeps the test sources whatever devices exist. */
static void
test_fake_media_forced (Fixture       *f,
                        gconstpointer  data)
{
  const EngineOptions options = { .camera = TRUE, .mic = TRUE };

  pipewire_fixture_add_video_source (f->pipewire, CAMERA_NODE, CAMERA_NAME);
  pipewire_fixture_add_audio_source (f->pipewire, MIC_NODE, MIC_NAME);
  g_setenv ("OMNILIVE_FAKE_MEDIA", "1", TRUE);
  start_engine (f, &options);
  assert_stand_ins_flow (f);
}

/* No PipeWire, no PulseAudio, no camera: the test sources stand in, the
 * host is told, and the pipeline runs. */
static void
test_no_device (Fixture       *f,
                gconstpointer  data)
{
  const EngineOptions options = { .camera = TRUE, .mic = TRUE };

  g_test_expect_message ("engine-media-session", G_LOG_LEVEL_MESSAGE, "No camera found: a test pattern stands in");
  g_test_expect_message ("engine-media-session", G_LOG_LEVEL_MESSAGE, "No microphone source: a test tone stands in");
  start_engine (f, &options);
  g_test_assert_expected_messages ();
  assert_stand_ins_flow (f);
}

/* A PulseAudio server and no PipeWire the engine can reach: a sink's
 * monitor is no microphone; a real source is opened with pulsesrc. */
static void
test_pulseaudio (Fixture       *f,
                 gconstpointer  data)
{
  const EngineOptions options = { .mic = TRUE };
  JsonObject *sources;
  g_autofree char *device = NULL;

  if (!f->have_pulse)
    {
      g_test_skip ("pipewire-pulse is not installed (Debian package pipewire-pulse)");
      return;
    }
  pipewire_fixture_add_null_sink (f->pipewire, SINK_NODE);
  g_assert_cmpuint (count_devices ("GstPulseDevice", "Monitor of " SINK_NODE), ==, 1);
  g_test_expect_message ("engine-media-session", G_LOG_LEVEL_MESSAGE, "No microphone source: a test tone stands in");
  start_engine (f, &options);
  g_test_assert_expected_messages ();
  sources = wait_event (f, 0, "sources");
  g_assert_cmpstr (json_object_get_string_member (sources, "mic"), ==, "audiotestsrc");
  stop_engine (f);

  pipewire_fixture_add_audio_source (f->pipewire, MIC_NODE, MIC_NAME);
  g_assert_cmpuint (count_devices ("GstPipeWireDevice", MIC_NAME), ==, 0);
  pipewire_fixture_manage_streams (f->pipewire);
  start_engine (f, &options);
  sources = wait_event (f, 0, "sources");
  g_assert_cmpstr (json_object_get_string_member (sources, "mic"), ==, "pulsesrc");
  g_assert_cmpstr (json_object_get_string_member (sources, "mic-device"), ==, MIC_NAME);
  device = source_string_property (f, "mic-source", "device");
  g_assert_cmpstr (device, ==, MIC_NODE);
  wait_buffers (f, COUNT_MIC_IN, 20, "audio from PulseAudio");
  wait_buffers (f, COUNT_MIC_ENCODED, 10, "encoded audio");
  g_assert_cmpstr (source_factory (f, "mic-source"), ==, "pulsesrc");
  assert_no_error_event (f);
}

/* An explicit camera path is a V4L2 device. A path that is not there: the
 * test pattern at once. One that does not open as a camera: v4l2src is
 * tried, fails on its worker, and the test pattern takes its place. */
static void
test_camera_path (Fixture       *f,
                  gconstpointer  data)
{
  const EngineOptions missing = { .camera = TRUE, .camera_path = "/nonexistent/video9" };
  const EngineOptions not_a_camera = { .camera = TRUE, .camera_path = "/dev/null" };
  JsonObject *sources;
  JsonObject *error_event;
  int first;

  g_test_expect_message ("engine-media-session", G_LOG_LEVEL_MESSAGE, "No camera found: a test pattern stands in");
  start_engine (f, &missing);
  g_test_assert_expected_messages ();
  sources = wait_event (f, 0, "sources");
  g_assert_cmpstr (json_object_get_string_member (sources, "camera"), ==, "videotestsrc");
  stop_engine (f);

  start_engine (f, &not_a_camera);
  first = find_event (f, 0, "sources");
  g_assert_cmpint (first, >=, 0);
  sources = g_ptr_array_index (f->events, first);
  g_assert_cmpstr (json_object_get_string_member (sources, "camera"), ==, "v4l2src");
  g_assert_cmpstr (json_object_get_string_member (sources, "camera-device"), ==, "/dev/null");
  error_event = wait_event (f, 0, "error");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (error_event, "message"),
                                   "The camera “/dev/null” did not start"));
  sources = wait_event (f, first + 1, "sources");
  g_assert_cmpstr (json_object_get_string_member (sources, "camera"), ==, "videotestsrc");
  g_assert_false (json_object_has_member (sources, "camera-device"));
  wait_buffers (f, COUNT_CAMERA_IN, 10, "frames of the stand-in");
  wait_buffers (f, COUNT_CAMERA_ENCODED, 5, "encoded frames of the stand-in");
  /* Told once, however many errors v4l2src posted. */
  g_assert_cmpint (find_event (f, find_event (f, 0, "error") + 1, "error"), ==, -1);
}

/* LeakSanitizer, in the sanitized run: GStreamer 1.22's PulseAudio device
 * provider never frees the connection its probe makes (the engine probes
 * at every start). Only what libpulse itself allocated is let go. */
const char *__lsan_default_suppressions (void);

const char *
__lsan_default_suppressions (void)
{
  return "leak:libpulse.so.0\n";
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* This machine's own cameras are not the test's: V4L2's device provider
   * is left out (an explicit camera path still opens v4l2src). */
  g_setenv ("GST_PLUGIN_FEATURE_RANK", "v4l2deviceprovider:NONE", TRUE);
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/media-devices/pipewire", Fixture, GINT_TO_POINTER (DAEMONS_PIPEWIRE),
              fixture_setup, test_pipewire, fixture_teardown);
  g_test_add ("/media-devices/fake-media-forced", Fixture, GINT_TO_POINTER (DAEMONS_PIPEWIRE),
              fixture_setup, test_fake_media_forced, fixture_teardown);
  g_test_add ("/media-devices/no-device", Fixture, GINT_TO_POINTER (DAEMONS_NONE),
              fixture_setup, test_no_device, fixture_teardown);
  g_test_add ("/media-devices/pulseaudio", Fixture, GINT_TO_POINTER (DAEMONS_PULSE_ONLY),
              fixture_setup, test_pulseaudio, fixture_teardown);
  g_test_add ("/media-devices/camera-path", Fixture, GINT_TO_POINTER (DAEMONS_NONE),
              fixture_setup, test_camera_path, fixture_teardown);
  status = g_test_run ();
  /* GStreamer's registry and caches go too: the sanitized run's leak
   * checker then sees only what is ours. */
  gst_deinit ();
  return status;
}
