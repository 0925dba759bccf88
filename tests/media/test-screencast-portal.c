/* test-screencast-portal.c: EngineScreencastPortal against mock-portal.py, a
 * fake xdg-desktop-portal on the session bus of `dbus-run-session`: the
 * real D-Bus flow, real Response signals, a real fd across the bus. Each
 * test starts its own mock (or none, for "no portal") and waits on events
 * with a deadline, never on sleeps. */
#include "engine-screencast-portal.h"

#include <gio/gio.h>
#include <gst/gst.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PORTAL_BUS_NAME  "org.freedesktop.portal.Desktop"
#define MOCK_PATH        "/org/omnilive/MockPortal"
#define MOCK_IFACE       "org.omnilive.MockPortal"
#define WAIT_MS          10000

typedef struct {
  GDBusConnection        *bus;
  GSubprocess            *mock;
  guint                   called_id;
  GPtrArray              *called;        /* "Method" or "Request.Close:Method", as the mock saw them */
  EngineScreencastPortal *portal;
  GAsyncResult           *result;
  const char             *wanted;        /* for wait_for_call */
  gboolean                name_seen;
  gboolean                mock_exited;
  guint                   n_closed;
  guint                   n_token_notify;
} Fixture;

/* Per test: the mock's command line arguments, or NULL for no portal. */
typedef struct {
  const char *const *mock_args;
} TestData;

typedef gboolean (*Condition) (Fixture *f);

static gboolean
on_deadline (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context until @cond holds or @timeout_ms passed. */
static gboolean
wait_until (Fixture   *f,
            Condition  cond,
            guint      timeout_ms)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (timeout_ms, on_deadline, &expired);

  while (!cond (f) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  return cond (f);
}

static gboolean has_result (Fixture *f) { return f->result != NULL; }
static gboolean name_seen (Fixture *f) { return f->name_seen; }
static gboolean name_gone (Fixture *f) { return !f->name_seen; }
static gboolean mock_exited (Fixture *f) { return f->mock_exited; }
static gboolean closed_once (Fixture *f) { return f->n_closed > 0; }

static gboolean
call_seen (Fixture *f)
{
  for (guint i = 0; i < f->called->len; i++)
    if (g_strcmp0 (g_ptr_array_index (f->called, i), f->wanted) == 0)
      return TRUE;
  return FALSE;
}

static void
wait_for_call (Fixture    *f,
               const char *name)
{
  f->wanted = name;
  if (!wait_until (f, call_seen, WAIT_MS))
    g_error ("The mock portal never saw %s", name);
}

static void
on_mock_called (GDBusConnection *connection,
                const char      *sender_name,
                const char      *object_path,
                const char      *interface_name,
                const char      *signal_name,
                GVariant        *parameters,
                gpointer         user_data)
{
  Fixture *f = user_data;
  g_autoptr(GVariant) details = NULL;
  const char *name, *method = NULL;

  g_variant_get (parameters, "(&s@a{sv})", &name, &details);
  if (g_variant_lookup (details, "method", "&s", &method))
    g_ptr_array_add (f->called, g_strdup_printf ("%s:%s", name, method));
  else
    g_ptr_array_add (f->called, g_strdup (name));
}

static void
on_name_appeared (GDBusConnection *connection,
                  const char      *name,
                  const char      *owner,
                  gpointer         user_data)
{
  ((Fixture *) user_data)->name_seen = TRUE;
}

static void
on_name_vanished (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  ((Fixture *) user_data)->name_seen = FALSE;
}

static void
on_mock_waited (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Fixture *f = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  f->mock_exited = TRUE;
}

static void
on_closed (EngineScreencastPortal *portal,
           Fixture                *f)
{
  f->n_closed++;
}

static void
on_token_notify (EngineScreencastPortal *portal,
                 GParamSpec             *pspec,
                 Fixture                *f)
{
  f->n_token_notify++;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  const TestData *data = user_data;
  g_autoptr(GError) error = NULL;
  guint watch_id;

  f->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  f->called = g_ptr_array_new_with_free_func (g_free);
  f->called_id = g_dbus_connection_signal_subscribe (f->bus, NULL, MOCK_IFACE, "Called", MOCK_PATH,
                                                     NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                     on_mock_called, f, NULL);
  watch_id = g_bus_watch_name_on_connection (f->bus, PORTAL_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                             on_name_appeared, on_name_vanished, f, NULL);
  if (data != NULL && data->mock_args != NULL)
    {
      /* meson sets OMNI_SOURCE_DIR; a build by hand sets G_TEST_SRCDIR. */
      g_autofree char *script = g_getenv ("OMNI_SOURCE_DIR") != NULL
        ? g_build_filename (g_getenv ("OMNI_SOURCE_DIR"), "tests", "media", "mock-portal.py", NULL)
        : g_test_build_filename (G_TEST_DIST, "mock-portal.py", NULL);
      const char *python = g_getenv ("OMNI_PYTHON3") ? g_getenv ("OMNI_PYTHON3") : "/usr/bin/python3";
      g_autoptr(GPtrArray) argv = g_ptr_array_new ();

      g_ptr_array_add (argv, (char *) python);
      g_ptr_array_add (argv, script);
      for (guint i = 0; data->mock_args[i] != NULL; i++)
        g_ptr_array_add (argv, (char *) data->mock_args[i]);
      g_ptr_array_add (argv, NULL);
      f->mock = g_subprocess_newv ((const char *const *) argv->pdata, G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
      g_assert_no_error (error);
      g_subprocess_wait_async (f->mock, NULL, on_mock_waited, f);
      if (!wait_until (f, name_seen, WAIT_MS))
        g_error ("mock-portal.py did not take %s", PORTAL_BUS_NAME);
    }
  g_bus_unwatch_name (watch_id);
  f->portal = engine_screencast_portal_new (f->bus);
  engine_screencast_portal_set_timeout (f->portal, WAIT_MS);
  g_signal_connect (f->portal, "closed", G_CALLBACK (on_closed), f);
  g_signal_connect (f->portal, "notify::restore-token", G_CALLBACK (on_token_notify), f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  g_clear_object (&f->portal);
  g_clear_object (&f->result);
  if (f->mock != NULL)
    {
      g_autoptr(GBytes) stderr_bytes = NULL;
      g_autoptr(GError) error = NULL;
      guint watch_id;

      /* The mock must be gone from the bus before the next test's takes
       * the name (it asks with DO_NOT_QUEUE). */
      watch_id = g_bus_watch_name_on_connection (f->bus, PORTAL_BUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                 on_name_appeared, on_name_vanished, f, NULL);
      g_subprocess_send_signal (f->mock, SIGTERM);
      g_assert_true (wait_until (f, mock_exited, WAIT_MS));
      g_assert_true (wait_until (f, name_gone, WAIT_MS));
      g_bus_unwatch_name (watch_id);
      g_assert_true (g_subprocess_get_if_exited (f->mock));
      g_assert_cmpint (g_subprocess_get_exit_status (f->mock), ==, 0);
      /* An exception in a mock handler leaves its call unanswered and
       * prints a traceback: make it a failure with the reason. */
      stderr_bytes = g_input_stream_read_bytes (g_subprocess_get_stderr_pipe (f->mock), 65536, NULL, &error);
      g_assert_no_error (error);
      if (g_bytes_get_size (stderr_bytes) > 0)
        g_error ("mock-portal.py wrote to stderr:\n%.*s", (int) g_bytes_get_size (stderr_bytes),
                 (const char *) g_bytes_get_data (stderr_bytes, NULL));
      g_clear_object (&f->mock);
    }
  g_dbus_connection_signal_unsubscribe (f->bus, f->called_id);
  g_ptr_array_unref (f->called);
  g_clear_object (&f->bus);
}

static void
on_ready (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Fixture *f = user_data;

  g_assert_null (f->result);
  f->result = g_object_ref (result);
}

static void
begin_start (Fixture      *f,
             GCancellable *cancellable)
{
  g_clear_object (&f->result);
  engine_screencast_portal_start_async (f->portal, cancellable, on_ready, f);
}

static gboolean
end_start (Fixture  *f,
           GError  **error)
{
  if (!wait_until (f, has_result, 3 * WAIT_MS))
    g_error ("The start never finished");
  return engine_screencast_portal_start_finish (f->portal, f->result, error);
}

/* The mock's log: a(sa{sv}), in call order. */
static GVariant *
mock_calls (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (f->bus, PORTAL_BUS_NAME, MOCK_PATH, MOCK_IFACE, "Calls", NULL,
                                       G_VARIANT_TYPE ("(a(sa{sv}))"), G_DBUS_CALL_FLAGS_NONE, WAIT_MS,
                                       NULL, &error);
  g_assert_no_error (error);
  return g_variant_get_child_value (reply, 0);
}

/* The details of the @nth (0-based) call named @name, or NULL. */
static GVariant *
find_call (GVariant   *calls,
           const char *name,
           guint       nth)
{
  for (gsize i = 0; i < g_variant_n_children (calls); i++)
    {
      g_autoptr(GVariant) details = NULL;
      const char *call_name;

      g_variant_get_child (calls, i, "(&s@a{sv})", &call_name, &details);
      if (strcmp (call_name, name) == 0 && nth-- == 0)
        return g_steal_pointer (&details);
    }
  return NULL;
}

static guint
count_calls (GVariant   *calls,
             const char *name)
{
  guint n = 0;

  for (gsize i = 0; i < g_variant_n_children (calls); i++)
    {
      const char *call_name;

      g_variant_get_child (calls, i, "(&sa{sv})", &call_name, NULL);
      n += strcmp (call_name, name) == 0;
    }
  return n;
}

static char *
call_names (GVariant *calls)
{
  GString *names = g_string_new (NULL);

  for (gsize i = 0; i < g_variant_n_children (calls); i++)
    {
      const char *call_name;

      g_variant_get_child (calls, i, "(&sa{sv})", &call_name, NULL);
      g_string_append_printf (names, "%s%s", i > 0 ? " " : "", call_name);
    }
  return g_string_free (names, FALSE);
}

/* A line from @fd within the deadline (the mock's greeting). */
static char *
read_line (int fd)
{
  char buffer[256];
  gsize used = 0;

  while (used < sizeof buffer - 1)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      ssize_t n;

      g_assert_cmpint (poll (&pfd, 1, WAIT_MS), ==, 1);
      n = read (fd, buffer + used, 1);
      g_assert_cmpint (n, ==, 1);
      if (buffer[used] == '\n')
        return g_strndup (buffer, used);
      used++;
    }
  g_error ("No line from the PipeWire fd");
}

/* Backend choice */

static void
test_backend_choice (void)
{
  static const struct {
    const char *env[4];
    EngineScreencastBackend expected;
  } cases[] = {
    { { NULL }, ENGINE_SCREENCAST_BACKEND_TEST },
    { { "DISPLAY=:0", NULL }, ENGINE_SCREENCAST_BACKEND_XIMAGESRC },
    { { "WAYLAND_DISPLAY=wayland-0", NULL }, ENGINE_SCREENCAST_BACKEND_PORTAL },
    { { "DISPLAY=:0", "WAYLAND_DISPLAY=wayland-0", NULL }, ENGINE_SCREENCAST_BACKEND_PORTAL },
    { { "DISPLAY=:0", "OMNILIVE_SCREENCAST=portal", NULL }, ENGINE_SCREENCAST_BACKEND_PORTAL },
    { { "OMNILIVE_SCREENCAST=portal", NULL }, ENGINE_SCREENCAST_BACKEND_PORTAL },
    { { "WAYLAND_DISPLAY=w", "OMNILIVE_SCREENCAST=ximagesrc", NULL }, ENGINE_SCREENCAST_BACKEND_XIMAGESRC },
    { { "DISPLAY=:0", "OMNILIVE_SCREENCAST=test", NULL }, ENGINE_SCREENCAST_BACKEND_TEST },
    { { "WAYLAND_DISPLAY=w", "OMNILIVE_FAKE_MEDIA=1", NULL }, ENGINE_SCREENCAST_BACKEND_TEST },
    { { "OMNILIVE_SCREENCAST=portal", "OMNILIVE_FAKE_MEDIA=1", NULL }, ENGINE_SCREENCAST_BACKEND_TEST },
    { { "WAYLAND_DISPLAY=w", "OMNILIVE_FAKE_MEDIA=0", NULL }, ENGINE_SCREENCAST_BACKEND_PORTAL },
    { { "DISPLAY=", "WAYLAND_DISPLAY=", NULL }, ENGINE_SCREENCAST_BACKEND_TEST },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      EngineScreencastBackend got = engine_screencast_choose_backend (cases[i].env);

      if (got != cases[i].expected)
        g_error ("Case %u: %s instead of %s", i, engine_screencast_backend_to_string (got),
                 engine_screencast_backend_to_string (cases[i].expected));
    }

  /* A typo is reported, then the environment decides. */
  {
    const char *env[] = { "DISPLAY=:0", "OMNILIVE_SCREENCAST=vnc", NULL };

    g_test_expect_message ("engine-screencast-portal", G_LOG_LEVEL_WARNING, "*OMNILIVE_SCREENCAST=vnc*");
    g_assert_cmpint (engine_screencast_choose_backend (env), ==, ENGINE_SCREENCAST_BACKEND_XIMAGESRC);
    g_test_assert_expected_messages ();
  }
}

/* The source description parses into a real pipewiresrc with our fd and
 * node (no PipeWire daemon needed until it goes to PAUSED). */
static void
check_source_bin (GstElement *bin,
                  int         fd,
                  const char *node)
{
  g_autoptr(GstIterator) it = gst_bin_iterate_elements (GST_BIN (bin));
  g_auto(GValue) item = G_VALUE_INIT;
  g_autoptr(GstPad) src = gst_element_get_static_pad (bin, "src");
  gboolean found_src = FALSE, found_convert = FALSE;

  g_assert_nonnull (src);
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK)
    {
      GstElement *element = g_value_get_object (&item);
      g_autofree char *factory = g_strdup (GST_OBJECT_NAME (gst_element_get_factory (element)));

      if (strcmp (factory, "pipewiresrc") == 0)
        {
          g_autofree char *path = NULL;
          int element_fd, keepalive;
          gboolean do_timestamp;

          g_object_get (element, "fd", &element_fd, "path", &path, "keepalive-time", &keepalive,
                        "do-timestamp", &do_timestamp, NULL);
          g_assert_cmpint (element_fd, ==, fd);
          g_assert_cmpstr (path, ==, node);
          g_assert_cmpint (keepalive, ==, 1000);
          g_assert_true (do_timestamp);
          found_src = TRUE;
        }
      found_convert |= strcmp (factory, "videoconvert") == 0;
      g_value_reset (&item);
    }
  g_assert_true (found_src);
  g_assert_true (found_convert);
}

static void
test_source_description (void)
{
  int fds[2];
  g_autofree char *description = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) bin = NULL;

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  description = engine_screencast_source_description (fds[0], 57);
  expected = g_strdup_printf ("pipewiresrc fd=%d path=57 client-name=omnilive-screen-share always-copy=true "
                              "do-timestamp=true keepalive-time=1000 ! videoconvert",
                              fds[0]);
  g_assert_cmpstr (description, ==, expected);
  bin = gst_parse_bin_from_description_full (description, TRUE, NULL, GST_PARSE_FLAG_FATAL_ERRORS, &error);
  g_assert_no_error (error);
  gst_object_ref_sink (bin);
  check_source_bin (bin, fds[0], "57");
  close (fds[0]);
  close (fds[1]);
}

/* The whole flow */

static void
test_success (Fixture       *f,
              gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) calls = NULL;
  g_autoptr(GVariant) select = NULL;
  g_autoptr(GVariant) create = NULL;
  g_autoptr(GVariant) start = NULL;
  g_autoptr(GVariant) closed = NULL;
  g_autoptr(GstElement) source = NULL;
  g_autofree char *names = NULL;
  g_autofree char *greeting = NULL;
  g_autofree char *expected_greeting = NULL;
  g_autofree char *description = NULL;
  g_autofree char *expected_description = NULL;
  const char *session_path, *token1, *token2, *parent;
  const EngineScreencastStream *stream;
  guint32 types, cursor_mode, persist_mode;
  gboolean multiple;
  struct stat st;
  char byte;
  int fd, watch_fd;

  g_assert_false (engine_screencast_portal_get_active (f->portal));
  begin_start (f, NULL);
  g_assert_true (end_start (f, &error));
  g_assert_no_error (error);
  g_assert_true (engine_screencast_portal_get_active (f->portal));

  calls = mock_calls (f);
  names = call_names (calls);
  g_assert_cmpstr (names, ==, "CreateSession SelectSources Start OpenPipeWireRemote");

  /* What we asked the portal for. */
  create = find_call (calls, "CreateSession", 0);
  select = find_call (calls, "SelectSources", 0);
  start = find_call (calls, "Start", 0);
  g_assert_true (g_variant_lookup (create, "handle_token", "&s", &token1));
  g_assert_true (g_variant_lookup (select, "handle_token", "&s", &token2));
  g_assert_cmpstr (token1, !=, token2);
  g_assert_true (g_variant_lookup (select, "session_handle", "&s", &session_path));
  g_assert_true (g_str_has_prefix (session_path, "/org/freedesktop/portal/desktop/session/"));
  g_assert_true (g_variant_lookup (select, "types", "u", &types));
  g_assert_cmpuint (types, ==, ENGINE_SCREENCAST_SOURCE_MONITOR | ENGINE_SCREENCAST_SOURCE_WINDOW);
  g_assert_true (g_variant_lookup (select, "multiple", "b", &multiple));
  g_assert_false (multiple);
  g_assert_true (g_variant_lookup (select, "cursor_mode", "u", &cursor_mode));
  g_assert_cmpuint (cursor_mode, ==, 2);
  g_assert_true (g_variant_lookup (select, "persist_mode", "u", &persist_mode));
  g_assert_cmpuint (persist_mode, ==, ENGINE_SCREENCAST_PERSIST_PERSISTENT);
  g_assert_false (g_variant_lookup (select, "restore_token", "&s", NULL));
  g_assert_true (g_variant_lookup (start, "parent_window", "&s", &parent));
  g_assert_cmpstr (parent, ==, "");

  /* What it gave back. */
  g_assert_cmpuint (engine_screencast_portal_get_n_streams (f->portal), ==, 1);
  stream = engine_screencast_portal_get_stream (f->portal, 0);
  g_assert_cmpuint (stream->node_id, ==, 42);
  g_assert_cmpuint (stream->source_type, ==, ENGINE_SCREENCAST_SOURCE_MONITOR);
  g_assert_cmpint (stream->width, ==, 1920);
  g_assert_cmpint (stream->height, ==, 1080);
  g_assert_cmpint (stream->x, ==, 0);
  g_assert_null (engine_screencast_portal_get_stream (f->portal, 1));

  /* The fd is the mock's socket: it reads the mock's line for this session. */
  fd = engine_screencast_portal_get_fd (f->portal);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (fstat (fd, &st), ==, 0);
  g_assert_true (S_ISSOCK (st.st_mode));
  greeting = read_line (fd);
  expected_greeting = g_strdup_printf ("mock-pipewire %s", session_path);
  g_assert_cmpstr (greeting, ==, expected_greeting);

  description = engine_screencast_portal_build_source_description (f->portal, 0, &error);
  g_assert_no_error (error);
  expected_description = engine_screencast_source_description (fd, 42);
  g_assert_cmpstr (description, ==, expected_description);
  source = engine_screencast_portal_create_source (f->portal, 0, &error);
  g_assert_no_error (error);
  gst_object_ref_sink (source);
  g_assert_cmpstr (GST_OBJECT_NAME (source), ==, "screen-source");
  check_source_bin (source, fd, "42");

  /* One start at a time. */
  begin_start (f, NULL);
  g_assert_false (end_start (f, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
  g_clear_error (&error);

  /* Stop closes the portal session (the mock then closes its end). */
  watch_fd = dup (fd);
  engine_screencast_portal_stop (f->portal);
  g_assert_false (engine_screencast_portal_get_active (f->portal));
  g_assert_cmpint (engine_screencast_portal_get_fd (f->portal), ==, -1);
  g_assert_cmpuint (engine_screencast_portal_get_n_streams (f->portal), ==, 0);
  g_assert_null (engine_screencast_portal_build_source_description (f->portal, 0, &error));
  g_assert_error (error, ENGINE_SCREENCAST_ERROR, ENGINE_SCREENCAST_ERROR_CLOSED);
  g_clear_error (&error);

  g_clear_pointer (&calls, g_variant_unref);
  calls = mock_calls (f);
  closed = find_call (calls, "Session.Close", 0);
  g_assert_nonnull (closed);
  g_assert_true (g_variant_lookup (closed, "path", "&s", &parent));
  g_assert_cmpstr (parent, ==, session_path);
  {
    struct pollfd pfd = { .fd = watch_fd, .events = POLLIN };

    g_assert_cmpint (poll (&pfd, 1, WAIT_MS), ==, 1);
    g_assert_cmpint (read (watch_fd, &byte, 1), ==, 0);
  }
  close (watch_fd);

  /* Stopping twice sends nothing more. */
  engine_screencast_portal_stop (f->portal);
  g_clear_pointer (&calls, g_variant_unref);
  calls = mock_calls (f);
  g_assert_cmpuint (count_calls (calls, "Session.Close"), ==, 1);
  g_assert_cmpuint (f->n_closed, ==, 0);
}

/* Start, stop, start again on the same object: a new session each time. */
static void
test_restart (Fixture       *f,
              gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) calls = NULL;
  g_autoptr(GVariant) first = NULL;
  g_autoptr(GVariant) second = NULL;
  const char *path1, *path2;

  begin_start (f, NULL);
  g_assert_true (end_start (f, &error));
  engine_screencast_portal_stop (f->portal);
  begin_start (f, NULL);
  g_assert_true (end_start (f, &error));
  g_assert_no_error (error);
  g_assert_cmpint (engine_screencast_portal_get_fd (f->portal), >=, 0);

  calls = mock_calls (f);
  first = find_call (calls, "SelectSources", 0);
  second = find_call (calls, "SelectSources", 1);
  g_assert_true (g_variant_lookup (first, "session_handle", "&s", &path1));
  g_assert_true (g_variant_lookup (second, "session_handle", "&s", &path2));
  g_assert_cmpstr (path1, !=, path2);
}

/* Portal answers other than success */

typedef struct {
  TestData           base;            /* first: the fixture reads it */
  GQuark             domain;
  int                code;
  gboolean           session_closed;   /* a session existed, so we closed it */
  const char        *message_part;
} ResponseCase;

static void
test_response (Fixture       *f,
               gconstpointer  user_data)
{
  const ResponseCase *c = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) calls = NULL;

  begin_start (f, NULL);
  g_assert_false (end_start (f, &error));
  g_assert_error (error, c->domain, c->code);
  g_assert_nonnull (strstr (error->message, c->message_part));
  g_assert_false (engine_screencast_portal_get_active (f->portal));
  g_assert_cmpint (engine_screencast_portal_get_fd (f->portal), ==, -1);
  calls = mock_calls (f);
  g_assert_cmpuint (count_calls (calls, "Session.Close"), ==, c->session_closed ? 1 : 0);
  g_assert_cmpuint (count_calls (calls, "OpenPipeWireRemote"), ==, 0);
  /* Answered requests are gone: nothing to dismiss. */
  g_assert_cmpuint (count_calls (calls, "Request.Close"), ==, 0);
}

/* No portal at all, and a portal without ScreenCast. */
static void
test_portal_missing (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) names = NULL;
  g_autoptr(EngineScreencastPortal) portal = NULL;
  g_autofree const char **activatable = NULL;

  names = g_dbus_connection_call_sync (f->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "ListActivatableNames", NULL,
                                       G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE, WAIT_MS, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (names, "(^a&s)", &activatable);
  if (g_strv_contains (activatable, PORTAL_BUS_NAME))
    {
      g_test_skip ("A real xdg-desktop-portal is activatable on this bus");
      return;
    }

  /* The object gets the session bus itself when given none. */
  portal = engine_screencast_portal_new (NULL);
  g_clear_object (&f->portal);
  f->portal = g_object_ref (portal);
  begin_start (f, NULL);
  g_assert_false (end_start (f, &error));
  g_assert_error (error, ENGINE_SCREENCAST_ERROR, ENGINE_SCREENCAST_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "xdg-desktop-portal"));
}

static void
test_unavailable (Fixture       *f,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) calls = NULL;

  begin_start (f, NULL);
  g_assert_false (end_start (f, &error));
  g_assert_error (error, ENGINE_SCREENCAST_ERROR, ENGINE_SCREENCAST_ERROR_UNAVAILABLE);
  calls = mock_calls (f);
  g_assert_cmpuint (g_variant_n_children (calls), ==, 0);
}

/* Restore tokens: given when persisting, sent back, single use. */
static void
start_with_token (Fixture                     *f,
                  EngineScreencastPersistMode  mode,
                  const char                  *token)
{
  g_autoptr(GError) error = NULL;

  engine_screencast_portal_stop (f->portal);
  engine_screencast_portal_set_persist_mode (f->portal, mode);
  engine_screencast_portal_set_restore_token (f->portal, token);
  f->n_token_notify = 0;
  begin_start (f, NULL);
  g_assert_true (end_start (f, &error));
  g_assert_no_error (error);
}

static void
test_restore_token (Fixture       *f,
                    gconstpointer  user_data)
{
  g_autoptr(GVariant) calls = NULL;
  g_autoptr(EngineScreencastPortal) later = NULL;
  g_autofree char *token = NULL;
  struct {
    guint32     persist_mode;
    const char *restore_token;   /* sent, or NULL */
    gboolean    restored;        /* the mock skipped its "dialog" */
  } expected[] = {
    { 2, NULL, FALSE },
    { 2, "mock-restore-1", TRUE },
    { 0, "mock-restore-2", TRUE },
    { 2, "mock-restore-2", FALSE },   /* spent: the user is asked again */
  };

  /* First share: the user is asked, the portal gives a token. */
  start_with_token (f, ENGINE_SCREENCAST_PERSIST_PERSISTENT, NULL);
  g_assert_cmpstr (engine_screencast_portal_get_restore_token (f->portal), ==, "mock-restore-1");
  g_assert_cmpuint (f->n_token_notify, ==, 1);
  g_object_get (f->portal, "restore-token", &token, NULL);
  g_assert_cmpstr (token, ==, "mock-restore-1");

  /* Next share (as after a restart: the app stored the token): restored,
   * and a fresh token replaces the spent one. */
  start_with_token (f, ENGINE_SCREENCAST_PERSIST_PERSISTENT, token);
  g_assert_cmpstr (engine_screencast_portal_get_restore_token (f->portal), ==, "mock-restore-2");

  /* Restoring without persisting again: no new token. */
  start_with_token (f, ENGINE_SCREENCAST_PERSIST_NONE, "mock-restore-2");
  g_assert_null (engine_screencast_portal_get_restore_token (f->portal));
  g_assert_cmpuint (f->n_token_notify, ==, 1);

  /* A spent token does not restore. */
  start_with_token (f, ENGINE_SCREENCAST_PERSIST_PERSISTENT, "mock-restore-2");
  g_assert_cmpstr (engine_screencast_portal_get_restore_token (f->portal), ==, "mock-restore-3");

  calls = mock_calls (f);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(GVariant) select = find_call (calls, "SelectSources", i);
      g_autoptr(GVariant) start = find_call (calls, "Start", i);
      const char *sent = NULL;
      guint32 persist_mode;
      gboolean restored;

      g_assert_nonnull (select);
      g_assert_true (g_variant_lookup (select, "persist_mode", "u", &persist_mode));
      g_assert_cmpuint (persist_mode, ==, expected[i].persist_mode);
      g_variant_lookup (select, "restore_token", "&s", &sent);
      g_assert_cmpstr (sent, ==, expected[i].restore_token);
      g_assert_true (g_variant_lookup (start, "restored", "b", &restored));
      g_assert_cmpint (restored, ==, expected[i].restored);
    }
}

/* Older portals: options they do not know are not sent (the mock rejects
 * them, as a strict portal would), and the kept token is left alone. */
typedef struct {
  TestData           base;            /* first: the fixture reads it */
  gboolean           cursor_mode;
  gboolean           persist;
} VersionCase;

static void
test_portal_version (Fixture       *f,
                     gconstpointer  user_data)
{
  const VersionCase *c = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) calls = NULL;
  g_autoptr(GVariant) select = NULL;

  engine_screencast_portal_set_restore_token (f->portal, "kept-token");
  begin_start (f, NULL);
  g_assert_true (end_start (f, &error));
  g_assert_no_error (error);
  calls = mock_calls (f);
  select = find_call (calls, "SelectSources", 0);
  g_assert_cmpint (g_variant_lookup (select, "cursor_mode", "u", NULL), ==, c->cursor_mode);
  g_assert_cmpint (g_variant_lookup (select, "persist_mode", "u", NULL), ==, c->persist);
  g_assert_cmpint (g_variant_lookup (select, "restore_token", "&s", NULL), ==, c->persist);
  if (c->persist)
    g_assert_cmpstr (engine_screencast_portal_get_restore_token (f->portal), ==, "mock-restore-1");
  else
    g_assert_cmpstr (engine_screencast_portal_get_restore_token (f->portal), ==, "kept-token");
}

/* Ending a start that waits for the user */

static void
check_dismissed (Fixture    *f,
                 const char *method)
{
  g_autofree char *request_close = g_strdup_printf ("Request.Close:%s", method);

  /* The pending request (a dialog, for Start) is closed, and the session. */
  wait_for_call (f, request_close);
  wait_for_call (f, "Session.Close");
  g_assert_false (engine_screencast_portal_get_active (f->portal));
  g_assert_cmpint (engine_screencast_portal_get_fd (f->portal), ==, -1);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  user_data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  begin_start (f, cancellable);
  wait_for_call (f, "Start");
  g_assert_null (f->result);
  g_cancellable_cancel (cancellable);
  g_assert_false (end_start (f, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  check_dismissed (f, "Start");
}

static void
test_cancel_before (Fixture       *f,
                    gconstpointer  user_data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) calls = NULL;

  g_cancellable_cancel (cancellable);
  begin_start (f, cancellable);
  g_assert_false (end_start (f, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  calls = mock_calls (f);
  g_assert_cmpuint (g_variant_n_children (calls), ==, 0);
}

/* Stopped once the mock saw @method: the start is cancelled and what the
 * portal made for it is closed. */
static void
stop_during (Fixture    *f,
             const char *method)
{
  g_autoptr(GError) error = NULL;

  begin_start (f, NULL);
  wait_for_call (f, method);
  engine_screencast_portal_stop (f->portal);
  g_assert_false (end_start (f, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  check_dismissed (f, method);
}

static void
test_stop_while_starting (Fixture       *f,
                          gconstpointer  user_data)
{
  stop_during (f, "Start");
}

/* Stopped before the portal answered CreateSession: the session it made
 * at the call is closed by the path we predicted. */
static void
test_stop_while_creating (Fixture       *f,
                          gconstpointer  user_data)
{
  stop_during (f, "CreateSession");
}

static void
test_timeout (Fixture       *f,
              gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  gint64 began = g_get_monotonic_time ();

  engine_screencast_portal_set_timeout (f->portal, 300);
  begin_start (f, NULL);
  g_assert_false (end_start (f, &error));
  g_assert_error (error, ENGINE_SCREENCAST_ERROR, ENGINE_SCREENCAST_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, "Start"));
  g_assert_cmpint (g_get_monotonic_time () - began, >=, 300 * G_TIME_SPAN_MILLISECOND);
  check_dismissed (f, "Start");
}

/* The user stops sharing from the shell: the portal closes the session. */
static void
test_closed_by_portal (Fixture       *f,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) calls = NULL;

  begin_start (f, NULL);
  g_assert_true (end_start (f, &error));
  reply = g_dbus_connection_call_sync (f->bus, PORTAL_BUS_NAME, MOCK_PATH, MOCK_IFACE, "CloseSessions",
                                       NULL, NULL, G_DBUS_CALL_FLAGS_NONE, WAIT_MS, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (wait_until (f, closed_once, WAIT_MS));
  g_assert_cmpuint (f->n_closed, ==, 1);
  g_assert_false (engine_screencast_portal_get_active (f->portal));
  g_assert_cmpint (engine_screencast_portal_get_fd (f->portal), ==, -1);

  /* Already closed by the portal: stop has nothing to close. */
  engine_screencast_portal_stop (f->portal);
  calls = mock_calls (f);
  g_assert_cmpuint (count_calls (calls, "Session.Close"), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  static const char *const default_args[] = { NULL };
  static const char *const start_never[] = { "--response", "Start=never", NULL };
  static const char *const create_never[] = { "--response", "CreateSession=never", NULL };
  static const char *const start_1[] = { "--response", "Start=1", NULL };
  static const char *const start_2[] = { "--response", "Start=2", NULL };
  static const char *const start_7[] = { "--response", "Start=7", NULL };
  static const char *const create_1[] = { "--response", "CreateSession=1", NULL };
  static const char *const select_2[] = { "--response", "SelectSources=2", NULL };
  static const char *const no_screencast[] = { "--no-screencast", NULL };
  static const char *const virtual_only[] = { "--source-types", "4", NULL };
  static const char *const version_1[] = { "--version", "1", NULL };
  static const char *const version_3[] = { "--version", "3", NULL };
  static const char *const hidden_cursor_only[] = { "--cursor-modes", "1", NULL };
  static const TestData with_mock = { default_args };
  static const TestData with_start_never = { start_never };
  static const TestData with_create_never = { create_never };
  static const TestData with_no_screencast = { no_screencast };
  static const TestData with_virtual_only = { virtual_only };
  static const TestData without_mock = { NULL };
  static const ResponseCase responses[] = {
    { { start_1 }, 0, ENGINE_SCREENCAST_ERROR_USER_CANCELLED, TRUE, "cancelled" },
    { { start_2 }, 0, ENGINE_SCREENCAST_ERROR_FAILED, TRUE, "Start (response 2)" },
    { { start_7 }, 0, ENGINE_SCREENCAST_ERROR_FAILED, TRUE, "Start (response 7)" },
    { { create_1 }, 0, ENGINE_SCREENCAST_ERROR_USER_CANCELLED, FALSE, "cancelled" },
    { { select_2 }, 0, ENGINE_SCREENCAST_ERROR_FAILED, TRUE, "SelectSources (response 2)" },
  };
  static const char *const response_names[] = {
    "start-cancelled", "start-failed", "start-unknown-code", "create-cancelled", "select-failed",
  };
  static ResponseCase response_cases[G_N_ELEMENTS (responses)];
  static const VersionCase versions[] = {
    { { version_1 }, FALSE, FALSE },
    { { version_3 }, TRUE, FALSE },
    { { hidden_cursor_only }, FALSE, TRUE },
  };
  static const char *const version_names[] = { "v1", "v3", "hidden-cursor-only" };

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  g_test_add_func ("/media/screencast-portal/backend-choice", test_backend_choice);
  g_test_add_func ("/media/screencast-portal/source-description", test_source_description);
#define ADD(name, data, func) \
  g_test_add ("/media/screencast-portal/" name, Fixture, data, fixture_setup, func, fixture_teardown)
  ADD ("success", &with_mock, test_success);
  ADD ("restart", &with_mock, test_restart);
  for (guint i = 0; i < G_N_ELEMENTS (responses); i++)
    {
      g_autofree char *path = g_strdup_printf ("/media/screencast-portal/response/%s", response_names[i]);

      response_cases[i] = responses[i];
      response_cases[i].domain = ENGINE_SCREENCAST_ERROR;
      g_test_add (path, Fixture, &response_cases[i], fixture_setup, test_response, fixture_teardown);
    }
  ADD ("portal-missing", &without_mock, test_portal_missing);
  ADD ("no-screencast-interface", &with_no_screencast, test_unavailable);
  ADD ("no-usable-source-types", &with_virtual_only, test_unavailable);
  ADD ("restore-token", &with_mock, test_restore_token);
  for (guint i = 0; i < G_N_ELEMENTS (versions); i++)
    {
      g_autofree char *path = g_strdup_printf ("/media/screencast-portal/portal-version/%s", version_names[i]);

      g_test_add (path, Fixture, &versions[i], fixture_setup, test_portal_version, fixture_teardown);
    }
  ADD ("cancel", &with_start_never, test_cancel);
  ADD ("cancel-before-start", &with_mock, test_cancel_before);
  ADD ("stop-while-starting", &with_start_never, test_stop_while_starting);
  ADD ("stop-while-creating", &with_create_never, test_stop_while_creating);
  ADD ("timeout", &with_start_never, test_timeout);
  ADD ("closed-by-portal", &with_mock, test_closed_by_portal);
#undef ADD

  return g_test_run ();
}
