/* pipewire-fixture.c: a private PipeWire daemon for the media tests, driven
 * through PipeWire's own tools (pw-cli, pw-dump, pw-link) so the tests need
 * no libpipewire of their own. */
#define G_LOG_DOMAIN "pipewire-fixture"

#include "pipewire-fixture.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define WAIT_MS           20000
#define MANAGE_PERIOD_MS  100

struct _PipewireFixture
{
  char        *runtime_dir;
  char        *socket;
  char        *pulse_server;
  GSubprocess *daemon;
  GSubprocess *pulse;
  guint        manager;
  GHashTable  *configured;   /* stream node ids given DSP ports */
  guint        n_linked;
};

static gboolean
on_deadline (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
pipewire_fixture_wait_until (PipewireFixtureCondition cond,
                             gpointer                 data,
                             guint                    timeout_ms)
{
  GMainContext *context = g_main_context_ref_thread_default ();
  gboolean expired = FALSE;
  GSource *deadline = g_timeout_source_new (timeout_ms);

  g_source_set_callback (deadline, on_deadline, &expired, NULL);
  g_source_attach (deadline, context);
  while (!cond (data) && !expired)
    {
      gboolean tick = FALSE;
      GSource *poll = g_timeout_source_new (20);

      g_source_set_callback (poll, on_deadline, &tick, NULL);
      g_source_attach (poll, context);
      g_main_context_iteration (context, TRUE);
      g_source_destroy (poll);
      g_source_unref (poll);
    }
  g_source_destroy (deadline);
  g_source_unref (deadline);
  g_main_context_unref (context);
  return cond (data);
}

/* ---- processes ---- */

/* A test that aborts takes its daemons with it. */
static void
die_with_parent (gpointer data)
{
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGTERM);
#endif
}

/* The daemons and tools talk to this fixture's daemon only, whatever the
 * test process's environment points at. */
static GSubprocessLauncher *
launcher_new (PipewireFixture *pw,
              GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);

  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", pw->runtime_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "PIPEWIRE_RUNTIME_DIR", pw->runtime_dir, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "PIPEWIRE_REMOTE");
  g_subprocess_launcher_unsetenv (launcher, "PULSE_SERVER");
  return launcher;
}

/* Runs a pw-* tool to its end; its stdout, or NULL when it failed. */
static char *
run_tool (PipewireFixture    *pw,
          const char *const  *argv,
          GError            **error)
{
  g_autoptr(GSubprocessLauncher) launcher = launcher_new (pw, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                              G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) tool = g_subprocess_launcher_spawnv (launcher, argv, error);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  if (tool == NULL || !g_subprocess_communicate_utf8 (tool, NULL, NULL, &out, &err, error))
    return NULL;
  if (!g_subprocess_get_successful (tool))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed: %s", argv[0], err ? err : "");
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* The daemon's log: <runtime dir>/<program>.log, in failure messages. */
static char *
log_path (PipewireFixture *pw,
          const char      *program)
{
  g_autofree char *name = g_strconcat (program, ".log", NULL);

  return g_build_filename (pw->runtime_dir, name, NULL);
}

static GSubprocess *
start_daemon (PipewireFixture *pw,
              const char      *program)
{
  g_autoptr(GSubprocessLauncher) launcher = launcher_new (pw, G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autofree char *log = log_path (pw, program);
  g_autoptr(GError) error = NULL;
  GSubprocess *daemon;

  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  daemon = g_subprocess_launcher_spawn (launcher, &error, program, NULL);
  g_assert_no_error (error);
  return daemon;
}

static void
stop_daemon (GSubprocess **daemon)
{
  if (*daemon == NULL)
    return;
  g_subprocess_send_signal (*daemon, SIGTERM);
  g_subprocess_wait (*daemon, NULL, NULL);
  g_clear_object (daemon);
}

/* ---- PipeWire's objects, as pw-dump lists them ---- */

static JsonParser *
dump (PipewireFixture *pw)
{
  const char *const argv[] = { "pw-dump", NULL };
  g_autofree char *out = run_tool (pw, argv, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (out == NULL || !json_parser_load_from_data (parser, out, -1, NULL) ||
      !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return NULL;
  return g_steal_pointer (&parser);
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonObject *
props_of (JsonObject *object)
{
  return member_object (member_object (object, "info"), "props");
}

static gboolean
is_type (JsonObject *object,
         const char *type)
{
  return g_str_has_suffix (json_object_get_string_member_with_default (object, "type", ""), type);
}

/* A property as text, whether pw-dump wrote it as a string or a number. */
static char *
prop_text (JsonObject *props,
           const char *key)
{
  JsonNode *node = props != NULL ? json_object_get_member (props, key) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  return NULL;
}

static JsonObject *
find_node (JsonArray  *objects,
           const char *name)
{
  for (guint i = 0; i < json_array_get_length (objects); i++)
    {
      JsonObject *object = json_array_get_object_element (objects, i);

      if (is_type (object, "Node") &&
          g_strcmp0 (json_object_get_string_member_with_default (props_of (object), "node.name", NULL), name) == 0)
        return object;
    }
  return NULL;
}

/* The node a stream asks for: by serial or name (target.object), or by id
 * (node.target, the older key). */
static JsonObject *
find_target (JsonArray  *objects,
             JsonObject *stream_props)
{
  g_autofree char *target = prop_text (stream_props, "target.object");
  g_autofree char *target_id = prop_text (stream_props, "node.target");

  for (guint i = 0; i < json_array_get_length (objects); i++)
    {
      JsonObject *object = json_array_get_object_element (objects, i);
      JsonObject *props = props_of (object);
      g_autofree char *serial = prop_text (props, "object.serial");
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (object, "id"));

      if (!is_type (object, "Node") || g_str_has_prefix (json_object_get_string_member_with_default (props, "media.class", ""), "Stream/"))
        continue;
      if (target != NULL &&
          (g_strcmp0 (target, serial) == 0 ||
           g_strcmp0 (target, json_object_get_string_member_with_default (props, "node.name", NULL)) == 0))
        return object;
      if (target == NULL && target_id != NULL && g_strcmp0 (target_id, id) == 0)
        return object;
    }
  return NULL;
}

/* The ports of node @node_id in @direction ("in", "out"), in id order. */
static GPtrArray *
ports_of (JsonArray  *objects,
          gint64      node_id,
          const char *direction)
{
  GPtrArray *ports = g_ptr_array_new ();

  for (guint i = 0; i < json_array_get_length (objects); i++)
    {
      JsonObject *object = json_array_get_object_element (objects, i);
      JsonObject *props = props_of (object);

      if (is_type (object, "Port") && props != NULL &&
          json_object_get_int_member_with_default (props, "node.id", -1) == node_id &&
          g_strcmp0 (json_object_get_string_member_with_default (props, "port.direction", NULL), direction) == 0)
        g_ptr_array_add (ports, object);
    }
  return ports;
}

static gboolean
ports_linked (JsonArray *objects,
              gint64     output,
              gint64     input)
{
  for (guint i = 0; i < json_array_get_length (objects); i++)
    {
      JsonObject *object = json_array_get_object_element (objects, i);
      JsonObject *info = member_object (object, "info");

      if (is_type (object, "Link") && info != NULL &&
          json_object_get_int_member_with_default (info, "output-port-id", -1) == output &&
          json_object_get_int_member_with_default (info, "input-port-id", -1) == input)
        return TRUE;
    }
  return FALSE;
}

typedef struct {
  PipewireFixture *pw;
  const char      *name;
  guint            min_outputs;
  gint64           id;
} NodeWait;

static gboolean
node_listed (gpointer data)
{
  NodeWait *wait = data;
  g_autoptr(JsonParser) parser = dump (wait->pw);
  JsonArray *objects = parser != NULL ? json_node_get_array (json_parser_get_root (parser)) : NULL;
  JsonObject *node = objects != NULL ? find_node (objects, wait->name) : NULL;
  g_autoptr(GPtrArray) outputs = NULL;

  if (node == NULL)
    return FALSE;
  outputs = ports_of (objects, json_object_get_int_member (node, "id"), "out");
  if (outputs->len < wait->min_outputs)
    return FALSE;
  wait->id = json_object_get_int_member (node, "id");
  return TRUE;
}

static gint64
wait_node (PipewireFixture *pw,
           const char      *name,
           guint            min_outputs)
{
  NodeWait wait = { pw, name, min_outputs, -1 };

  if (!pipewire_fixture_wait_until (node_listed, &wait, WAIT_MS))
    g_error ("PipeWire never listed node %s with %u output ports", name, min_outputs);
  return wait.id;
}

static void
create_node (PipewireFixture *pw,
             const char      *factory,
             const char      *props)
{
  const char *const argv[] = { "pw-cli", "create-node", factory, props, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *out = run_tool (pw, argv, &error);

  g_assert_no_error (error);
}

/* Ports a session manager gives an audio node: one per channel, F32 planar,
 * which the node's adapter converts from and to what its client wants. */
static gboolean
set_dsp_ports (PipewireFixture *pw,
               gint64           node_id,
               const char      *direction)
{
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, node_id);
  g_autofree char *config = g_strdup_printf ("{ \"direction\": \"%s\", \"mode\": \"dsp\", \"format\": "
                                             "{ \"mediaType\": \"audio\", \"mediaSubtype\": \"raw\", "
                                             "\"format\": \"F32P\", \"rate\": 48000, \"channels\": 2, "
                                             "\"position\": [ \"FL\", \"FR\" ] } }", direction);
  const char *const argv[] = { "pw-cli", "set-param", id, "PortConfig", config, NULL };
  g_autofree char *out = run_tool (pw, argv, NULL);

  return out != NULL;
}

/* ---- the session manager's part ---- */

/* Input port for @output: the one of the same channel, else the same rank. */
static JsonObject *
matching_port (GPtrArray *inputs,
               GPtrArray *outputs,
               guint      rank)
{
  const char *channel = json_object_get_string_member_with_default (props_of (g_ptr_array_index (outputs, rank)),
                                                                    "audio.channel", NULL);

  for (guint i = 0; channel != NULL && i < inputs->len; i++)
    if (g_strcmp0 (json_object_get_string_member_with_default (props_of (g_ptr_array_index (inputs, i)),
                                                               "audio.channel", NULL), channel) == 0)
      return g_ptr_array_index (inputs, i);
  return rank < inputs->len ? g_ptr_array_index (inputs, rank) : NULL;
}

static void
manage_stream (PipewireFixture *pw,
               JsonArray       *objects,
               JsonObject      *stream)
{
  JsonObject *props = props_of (stream);
  JsonObject *target = find_target (objects, props);
  gint64 stream_id = json_object_get_int_member (stream, "id");
  g_autoptr(GPtrArray) inputs = ports_of (objects, stream_id, "in");
  g_autoptr(GPtrArray) outputs = NULL;
  gboolean linked_any = FALSE;

  if (target == NULL)
    return;
  if (inputs->len == 0)
    {
      /* An audio stream's adapter has no ports until it is told which. */
      if (g_strcmp0 (json_object_get_string_member_with_default (props, "media.class", NULL),
                     "Stream/Input/Audio") == 0 &&
          !g_hash_table_contains (pw->configured, GINT_TO_POINTER (stream_id)) &&
          set_dsp_ports (pw, stream_id, "Input"))
        g_hash_table_add (pw->configured, GINT_TO_POINTER (stream_id));
      return;
    }
  outputs = ports_of (objects, json_object_get_int_member (target, "id"), "out");
  for (guint i = 0; i < outputs->len; i++)
    {
      JsonObject *input = matching_port (inputs, outputs, i);
      gint64 output_id = json_object_get_int_member (g_ptr_array_index (outputs, i), "id");
      g_autofree char *out = NULL, *in = NULL;

      if (input == NULL || ports_linked (objects, output_id, json_object_get_int_member (input, "id")))
        continue;
      out = g_strdup_printf ("%" G_GINT64_FORMAT, output_id);
      in = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (input, "id"));
      linked_any |= pipewire_fixture_link (pw, out, in);
    }
  if (linked_any)
    pw->n_linked++;
}

static gboolean
on_manage (gpointer user_data)
{
  PipewireFixture *pw = user_data;
  g_autoptr(JsonParser) parser = dump (pw);
  JsonArray *objects;

  if (parser == NULL)
    return G_SOURCE_CONTINUE;
  objects = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (objects); i++)
    {
      JsonObject *object = json_array_get_object_element (objects, i);

      if (is_type (object, "Node") &&
          g_str_has_prefix (json_object_get_string_member_with_default (props_of (object), "media.class", ""),
                            "Stream/Input/"))
        manage_stream (pw, objects, object);
    }
  return G_SOURCE_CONTINUE;
}

/* ---- public API ---- */

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

PipewireFixture *
pipewire_fixture_start (gboolean with_pulse)
{
  PipewireFixture *pw = g_new0 (PipewireFixture, 1);
  g_autoptr(GError) error = NULL;

  pw->runtime_dir = g_dir_make_tmp ("omni-pipewire-XXXXXX", &error);
  g_assert_no_error (error);
  pw->socket = g_build_filename (pw->runtime_dir, "pipewire-0", NULL);
  pw->configured = g_hash_table_new (NULL, NULL);
  pw->daemon = start_daemon (pw, "pipewire");
  if (!pipewire_fixture_wait_until (file_exists, pw->socket, WAIT_MS))
    g_error ("PipeWire did not open %s", pw->socket);
  if (with_pulse)
    {
      g_autofree char *native = g_build_filename (pw->runtime_dir, "pulse", "native", NULL);

      pw->pulse = start_daemon (pw, "pipewire-pulse");
      if (!pipewire_fixture_wait_until (file_exists, native, WAIT_MS))
        g_error ("pipewire-pulse did not open %s", native);
      pw->pulse_server = g_strconcat ("unix:", native, NULL);
    }
  return pw;
}

/* Removes @dir and what the daemons left in it (sockets, locks, pid). */
static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        remove_tree (path);
      else
        g_remove (path);
    }
  g_rmdir (dir);
}

void
pipewire_fixture_stop (PipewireFixture *pw)
{
  g_clear_handle_id (&pw->manager, g_source_remove);
  stop_daemon (&pw->pulse);
  stop_daemon (&pw->daemon);
  remove_tree (pw->runtime_dir);
  g_hash_table_unref (pw->configured);
  g_free (pw->runtime_dir);
  g_free (pw->socket);
  g_free (pw->pulse_server);
  g_free (pw);
}

const char *
pipewire_fixture_get_runtime_dir (PipewireFixture *pw)
{
  return pw->runtime_dir;
}

const char *
pipewire_fixture_get_socket (PipewireFixture *pw)
{
  return pw->socket;
}

const char *
pipewire_fixture_get_pulse_server (PipewireFixture *pw)
{
  return pw->pulse_server;
}

gint64
pipewire_fixture_add_video_source (PipewireFixture *pw,
                                   const char      *name,
                                   const char      *description)
{
  g_autofree char *props = g_strdup_printf ("{ factory.name=videotestsrc library.name=videotestsrc/libspa-videotestsrc "
                                            "node.name=\"%s\" node.description=\"%s\" media.class=Video/Source "
                                            "object.linger=true }", name, description);

  create_node (pw, "spa-node-factory", props);
  return wait_node (pw, name, 1);
}

gint64
pipewire_fixture_add_audio_source (PipewireFixture *pw,
                                   const char      *name,
                                   const char      *description)
{
  /* node.latency: the longest cycle PipeWire allows. audiotestsrc drives
   * its own graph, and once a client is late for a cycle it runs out of
   * buffers and stops for good ("out of buffers" in pipewire.log), which a
   * microphone does not; long cycles make a loaded machine late less often. */
  g_autofree char *props = g_strdup_printf ("{ factory.name=audiotestsrc library.name=audiotestsrc/libspa-audiotestsrc "
                                            "node.name=\"%s\" node.description=\"%s\" media.class=Audio/Source "
                                            "node.latency=2048/48000 object.linger=true }", name, description);
  gint64 id;

  create_node (pw, "adapter", props);
  id = wait_node (pw, name, 0);
  g_assert_true (set_dsp_ports (pw, id, "Output"));
  return wait_node (pw, name, 2);
}

gint64
pipewire_fixture_add_null_sink (PipewireFixture *pw,
                                const char      *name)
{
  g_autofree char *props = g_strdup_printf ("{ factory.name=support.null-audio-sink node.name=\"%s\" "
                                            "media.class=Audio/Sink audio.position=[ FL FR ] "
                                            "object.linger=true }", name);

  create_node (pw, "adapter", props);
  return wait_node (pw, name, 0);
}

gboolean
pipewire_fixture_link (PipewireFixture *pw,
                       const char      *output,
                       const char      *input)
{
  const char *const argv[] = { "pw-link", output, input, NULL };
  g_autofree char *out = run_tool (pw, argv, NULL);

  return out != NULL;
}

char *
pipewire_fixture_describe (PipewireFixture *pw)
{
  const char *const argv[] = { "pw-link", "-o", "-i", "-l", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *ports = run_tool (pw, argv, &error);
  g_autoptr(JsonParser) parser = dump (pw);
  GString *text = g_string_new (NULL);

  if (parser != NULL)
    {
      JsonArray *objects = json_node_get_array (json_parser_get_root (parser));

      for (guint i = 0; i < json_array_get_length (objects); i++)
        {
          JsonObject *object = json_array_get_object_element (objects, i);
          JsonObject *info = member_object (object, "info");

          if (is_type (object, "Node"))
            g_string_append_printf (text, "node %s (%s): %s %s\n",
                                    json_object_get_string_member_with_default (props_of (object), "node.name", "?"),
                                    json_object_get_string_member_with_default (props_of (object), "media.class", "?"),
                                    json_object_get_string_member_with_default (info, "state", "?"),
                                    json_object_get_string_member_with_default (info, "error", ""));
        }
    }
  g_string_append (text, ports != NULL ? ports : error->message);
  for (guint i = 0; i < 2; i++)
    {
      const char *program = i == 0 ? "pipewire" : "pipewire-pulse";
      g_autofree char *path = log_path (pw, program);
      g_autofree char *log = NULL;

      if (g_file_get_contents (path, &log, NULL, NULL))
        g_string_append_printf (text, "%s's log:\n%s", program, log);
    }
  return g_string_free (text, FALSE);
}

void
pipewire_fixture_manage_streams (PipewireFixture *pw)
{
  if (pw->manager == 0)
    pw->manager = g_timeout_add (MANAGE_PERIOD_MS, on_manage, pw);
}

guint
pipewire_fixture_get_n_linked (PipewireFixture *pw)
{
  return pw->n_linked;
}
