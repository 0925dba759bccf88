/* test-screen-share.c: screen sharing through the host engine. Wayland, end
 * to end minus the compositor. The test runs its own PipeWire daemon with a
 * producer node standing in for the compositor's screen stream, and
 * mock-portal.py (on dbus-run-session's bus) hands out real connections to
 * that daemon. The engine asks the portal, swaps the PipeWire source into
 * its running pipeline, encodes what PipeWire delivers, and gives the
 * stand-in back when the desktop ends the share or the host stops it. The
 * test plays the session manager's part: it links the two nodes. */
#define G_LOG_DOMAIN "test-screen-share"

#include "engine-media-session.h"
#include "engine-screencast-portal.h"
#include "engine-test-events.h"
#include "pipewire-fixture.h"

#include <gio/gio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#define PORTAL_BUS_NAME  "org.freedesktop.portal.Desktop"
#define MOCK_PATH        "/org/omnilive/MockPortal"
#define MOCK_IFACE       "org.omnilive.MockPortal"
#define PRODUCER_NODE    "omni-test-screen"
#define WAIT_MS          20000

static PipewireFixture *pipewire;
static gint64 producer_node = -1;

typedef struct {
  GDBusConnection    *bus;
  GSubprocess        *mock;
  gboolean            mock_exited;
  EngineMediaSession *session;
  GPtrArray          *events;          /* JsonObject, as the engine emitted them */
  gint                source_buffers;  /* atomic: out of the PipeWire source */
  gint                encoded_buffers; /* atomic: out of the screen encoder */
} Fixture;

/* ---- the PipeWire side ---- */

static void
start_pipewire (void)
{
  pipewire = pipewire_fixture_start (FALSE);
  g_setenv ("XDG_RUNTIME_DIR", pipewire_fixture_get_runtime_dir (pipewire), TRUE);
  g_unsetenv ("PIPEWIRE_REMOTE");
  /* The compositor's screen stream: PipeWire's own test pattern node. */
  producer_node = pipewire_fixture_add_video_source (pipewire, PRODUCER_NODE, "OmniLive test screen");
}

/* The session manager's job: connect the producer to the engine's stream. */
static gboolean
nodes_linked (gpointer data)
{
  return pipewire_fixture_link (pipewire, PRODUCER_NODE ":out_0", ENGINE_SCREENCAST_CLIENT_NAME ":in_0");
}

static gboolean
relink (gpointer data)
{
  nodes_linked (NULL);
  return G_SOURCE_CONTINUE;
}

/* ---- the mock portal ---- */

static gboolean
name_owned (gpointer data)
{
  Fixture *f = data;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (f->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                           "org.freedesktop.DBus", "NameHasOwner",
                                                           g_variant_new ("(s)", PORTAL_BUS_NAME),
                                                           G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE,
                                                           -1, NULL, NULL);
  gboolean owned = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static gboolean
name_released (gpointer data)
{
  return !name_owned (data);
}

static gboolean
mock_exited (gpointer data)
{
  return ((Fixture *) data)->mock_exited;
}

static void
on_mock_waited (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  ((Fixture *) user_data)->mock_exited = TRUE;
}

static void
start_mock (Fixture    *f,
            const char *response)
{
  g_autofree char *script = g_build_filename (g_getenv ("OMNI_SOURCE_DIR"), "tests", "media", "mock-portal.py", NULL);
  g_autofree char *node = g_strdup_printf ("%" G_GINT64_FORMAT, producer_node);
  g_autoptr(GError) error = NULL;

  f->mock = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, "/usr/bin/python3", script,
                              "--pipewire-socket", pipewire_fixture_get_socket (pipewire), "--node-id", node,
                              response ? "--response" : NULL, response, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (f->mock, NULL, on_mock_waited, f);
  if (!pipewire_fixture_wait_until (name_owned, f, WAIT_MS))
    g_error ("mock-portal.py did not take %s", PORTAL_BUS_NAME);
}

static void
stop_mock (Fixture *f)
{
  g_autoptr(GBytes) stderr_bytes = NULL;

  g_subprocess_send_signal (f->mock, SIGTERM);
  g_assert_true (pipewire_fixture_wait_until (mock_exited, f, WAIT_MS));
  /* The next test's mock asks for the name with DO_NOT_QUEUE. */
  g_assert_true (pipewire_fixture_wait_until (name_released, f, WAIT_MS));
  stderr_bytes = g_input_stream_read_bytes (g_subprocess_get_stderr_pipe (f->mock), 65536, NULL, NULL);
  if (stderr_bytes != NULL && g_bytes_get_size (stderr_bytes) > 0)
    g_error ("mock-portal.py wrote to stderr:\n%.*s", (int) g_bytes_get_size (stderr_bytes),
             (const char *) g_bytes_get_data (stderr_bytes, NULL));
  g_clear_object (&f->mock);
}

/* The options of the last call of @method the mock logged, or NULL. */
static GVariant *
mock_last_call (Fixture    *f,
                const char *method)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) calls = NULL;
  GVariant *found = NULL;

  reply = g_dbus_connection_call_sync (f->bus, PORTAL_BUS_NAME, MOCK_PATH, MOCK_IFACE, "Calls", NULL,
                                       G_VARIANT_TYPE ("(a(sa{sv}))"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  g_assert_nonnull (reply);
  calls = g_variant_get_child_value (reply, 0);
  for (gsize i = 0; i < g_variant_n_children (calls); i++)
    {
      const char *name;
      g_autoptr(GVariant) options = NULL;

      g_variant_get_child (calls, i, "(&s@a{sv})", &name, &options);
      if (g_strcmp0 (name, method) == 0)
        {
          g_clear_pointer (&found, g_variant_unref);
          found = g_variant_ref (options);
        }
    }
  return found;
}

/* ---- the engine ---- */

/* A small engine that shares the real screen, its events in f->events and
 * its encoded screen frames counted. */
static void
start_engine (Fixture *f)
{
  EngineMediaConfig config;
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) encoder = NULL;
  g_autoptr(GstPad) encoder_src = NULL;

  engine_media_config_init (&config);
  config.width = 320;
  config.height = 180;
  config.fps = 10;
  config.video_kbps = 200;
  config.screen_device = TRUE;
  config.stats_interval_ms = 0;
  f->session = engine_media_session_new (&config);
  engine_test_record_events (f->session, f->events);
  g_assert_true (engine_media_session_start_pipeline (f->session, &error));
  g_assert_no_error (error);
  encoder = gst_bin_get_by_name (GST_BIN (engine_media_session_get_pipeline (f->session)), "screen-encoder");
  encoder_src = gst_element_get_static_pad (encoder, "src");
  engine_test_count_buffers (encoder_src, &f->encoded_buffers);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  response)
{
  g_autoptr(GError) error = NULL;

  f->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  f->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  start_mock (f, response);
  start_engine (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  response)
{
  engine_media_session_stop (f->session);
  g_clear_object (&f->session);
  stop_mock (f);
  g_ptr_array_unref (f->events);
  g_clear_object (&f->bus);
}

/* The factory of the pipeline's screen source, or of the first element
 * inside it when it is a bin. */
static const char *
screen_source_factory (Fixture *f)
{
  g_autoptr(GstElement) source = gst_bin_get_by_name (GST_BIN (engine_media_session_get_pipeline (f->session)),
                                                      "screen-source");
  GstElementFactory *factory;

  g_assert_nonnull (source);
  if (GST_IS_BIN (source))
    {
      g_autoptr(GstIterator) it = gst_bin_iterate_sources (GST_BIN (source));
      g_auto(GValue) item = G_VALUE_INIT;

      if (gst_iterator_next (it, &item) != GST_ITERATOR_OK)
        return "empty bin";
      factory = gst_element_get_factory (g_value_get_object (&item));
    }
  else
    factory = gst_element_get_factory (source);
  return GST_OBJECT_NAME (factory);
}

/* Index of the first event named @name at or after @since with screen state
 * @screen (for "media"; -1: any), or -1. */
static int
find_event (Fixture    *f,
            guint       since,
            const char *name,
            int         screen)
{
  return engine_test_find_event (f->events, since, name, screen >= 0 ? "screen" : NULL, screen > 0);
}

static JsonObject *
wait_event (Fixture    *f,
            guint       since,
            const char *name,
            int         screen)
{
  return engine_test_wait_event (f->events, since, name, screen >= 0 ? "screen" : NULL, screen > 0, WAIT_MS);
}

static void
wait_buffers (gint       *counter,
              gint        more,
              const char *what)
{
  gint target = g_atomic_int_get (counter) + more;

  if (!engine_test_wait_count (counter, target, WAIT_MS))
    g_error ("%s: %d buffers, wanted %d", what, g_atomic_int_get (counter), target);
}

/* ---- tests ---- */

typedef struct {
  Fixture  *f;
  guint     since;
  gboolean  linked;
} ShareWait;

/* Links the nodes as soon as the engine's stream exists (a session manager
 * would), and holds once the engine says the screen is shared. */
static gboolean
linked_and_on (gpointer data)
{
  ShareWait *wait = data;

  if (!wait->linked)
    wait->linked = nodes_linked (NULL);
  return wait->linked && find_event (wait->f, wait->since, "media", TRUE) >= 0;
}

static void
share (Fixture *f)
{
  guint mark = f->events->len;
  g_autoptr(GstElement) source = NULL;
  g_autoptr(GstPad) source_src = NULL;
  ShareWait wait = { f, mark, FALSE };
  guint relinker;

  engine_media_session_set_screen (f->session, TRUE);
  g_assert_cmpint (find_event (f, mark, "screen-choosing", -1), >=, 0);
  /* Not on before the user picked a screen and PipeWire delivers it. */
  g_assert_false (engine_media_session_get_screen (f->session));
  if (!pipewire_fixture_wait_until (linked_and_on, &wait, WAIT_MS))
    {
      g_autofree char *listing = pipewire_fixture_describe (pipewire);

      g_error ("Sharing did not start (nodes linked: %d); PipeWire:\n%s", wait.linked, listing);
    }
  g_assert_true (engine_media_session_get_screen (f->session));
  g_assert_cmpstr (screen_source_factory (f), ==, "pipewiresrc");
  /* pipewiresrc reconnects its stream when it renegotiates, which drops
   * the link: keep linking, as a session manager would. */
  relinker = g_timeout_add (100, relink, NULL);

  source = gst_bin_get_by_name (GST_BIN (engine_media_session_get_pipeline (f->session)), "screen-source");
  source_src = gst_element_get_static_pad (source, "src");
  engine_test_count_buffers (source_src, &f->source_buffers);
  wait_buffers (&f->source_buffers, 10, "frames from PipeWire");
  wait_buffers (&f->encoded_buffers, 5, "encoded screen frames");
  g_source_remove (relinker);
}

/* The desktop ends the share (the shell's "stop sharing"), then the host
 * shares again without being asked (restore token) and stops it itself. */
static void
test_share_and_stop (Fixture       *f,
                     gconstpointer  data)
{
  guint mark;
  JsonObject *error_event;
  g_autoptr(GVariant) select = NULL;
  const char *token = NULL;

  share (f);

  mark = f->events->len;
  g_dbus_connection_call_sync (f->bus, PORTAL_BUS_NAME, MOCK_PATH, MOCK_IFACE, "CloseSessions", NULL,
                               NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  wait_event (f, mark, "media", FALSE);
  error_event = wait_event (f, mark, "error", -1);
  g_assert_nonnull (strstr (json_object_get_string_member (error_event, "message"), "stopped from the desktop"));
  g_assert_cmpstr (screen_source_factory (f), ==, "videotestsrc");
  g_assert_false (engine_media_session_get_screen (f->session));

  share (f);
  select = mock_last_call (f, "SelectSources");
  g_assert_nonnull (select);
  g_assert_true (g_variant_lookup (select, "restore_token", "&s", &token));
  g_assert_true (g_str_has_prefix (token, "mock-restore-"));

  mark = f->events->len;
  engine_media_session_set_screen (f->session, FALSE);
  g_assert_cmpint (find_event (f, mark, "media", FALSE), >=, 0);
  g_assert_cmpstr (screen_source_factory (f), ==, "videotestsrc");
  g_assert_cmpint (find_event (f, mark, "error", -1), ==, -1);
}

/* The user dismisses the portal's dialog: sharing stays off, quietly. */
static void
test_dismissed (Fixture       *f,
                gconstpointer  data)
{
  engine_media_session_set_screen (f->session, TRUE);
  wait_event (f, 0, "media", FALSE);
  g_assert_false (engine_media_session_get_screen (f->session));
  g_assert_cmpint (find_event (f, 0, "error", -1), ==, -1);
  g_assert_cmpstr (screen_source_factory (f), ==, "videotestsrc");
}

/* The portal fails: the host is told why, sharing stays off. */
static void
test_portal_failed (Fixture       *f,
                    gconstpointer  data)
{
  JsonObject *error_event;

  engine_media_session_set_screen (f->session, TRUE);
  error_event = wait_event (f, 0, "error", -1);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (error_event, "message"),
                                   "Screen sharing did not start"));
  wait_event (f, 0, "media", FALSE);
  g_assert_false (engine_media_session_get_screen (f->session));
  g_assert_cmpstr (screen_source_factory (f), ==, "videotestsrc");
}

/* X11: the screen is captured from the start (ximagesrc, no dialog), and
 * turning sharing on only opens the valve. Runs where there is a display
 * (meson runs this test under xvfb-run). */
static void
test_x11 (void)
{
  Fixture f = { 0 };

  if (g_getenv ("DISPLAY") == NULL)
    {
      g_test_skip ("No X display");
      return;
    }
  g_setenv ("OMNILIVE_SCREENCAST", "ximagesrc", TRUE);
  f.events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  start_engine (&f);
  g_assert_cmpstr (screen_source_factory (&f), ==, "ximagesrc");

  engine_media_session_set_screen (f.session, TRUE);
  g_assert_true (engine_media_session_get_screen (f.session));
  g_assert_cmpint (find_event (&f, 0, "screen-choosing", -1), ==, -1);
  wait_buffers (&f.encoded_buffers, 5, "encoded frames of the X11 screen");
  engine_media_session_set_screen (f.session, FALSE);
  g_assert_cmpstr (screen_source_factory (&f), ==, "ximagesrc");
  g_assert_cmpint (find_event (&f, 0, "error", -1), ==, -1);

  engine_media_session_stop (f.session);
  g_clear_object (&f.session);
  g_ptr_array_unref (f.events);
  g_setenv ("OMNILIVE_SCREENCAST", "portal", TRUE);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  /* The portal backend, whatever this machine's display is. */
  g_setenv ("OMNILIVE_SCREENCAST", "portal", TRUE);
  g_unsetenv ("OMNILIVE_FAKE_MEDIA");
  start_pipewire ();

  g_test_add ("/screen-share/share-stop-and-share-again", Fixture, NULL,
              fixture_setup, test_share_and_stop, fixture_teardown);
  g_test_add ("/screen-share/dismissed", Fixture, "Start=1",
              fixture_setup, test_dismissed, fixture_teardown);
  g_test_add ("/screen-share/portal-failed", Fixture, "Start=2",
              fixture_setup, test_portal_failed, fixture_teardown);
  g_test_add_func ("/screen-share/x11", test_x11);
  status = g_test_run ();
  pipewire_fixture_stop (pipewire);
  return status;
}
