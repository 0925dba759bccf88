/* relay-fixture.c: see relay-fixture.h. */
#include "relay-fixture.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

const char *
relay_fixture_binary (void)
{
  const char *path = g_getenv ("OMNI_RELAY");
  g_assert_nonnull (path);
  return path;
}

static void
on_stderr_read (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  RelayFixture *fixture = user_data;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0 || fixture->stderr_text == NULL)
    return;
  g_string_append_len (fixture->stderr_text, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes));
  g_input_stream_read_bytes_async (G_INPUT_STREAM (source), 4096, G_PRIORITY_DEFAULT, NULL, on_stderr_read, fixture);
}

void
relay_fixture_start (RelayFixture       *fixture,
                     const char         *config,
                     const char * const *extra_args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *config_path = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;

  if (fixture->dir == NULL)
    {
      fixture->dir = g_dir_make_tmp ("omni-relay-XXXXXX", &error);
      g_assert_no_error (error);
    }
  if (fixture->token == NULL)
    fixture->token = relay_fixture_add_host (fixture, "agent@example.com", "Agent Smith", FALSE);

  g_ptr_array_add (argv, (gpointer) relay_fixture_binary ());
  g_ptr_array_add (argv, "--listen");
  g_ptr_array_add (argv, "127.0.0.1:0");
  g_ptr_array_add (argv, "--data-dir");
  g_ptr_array_add (argv, fixture->dir);
  {
    /* Every relay of a test binds its TURN port anew, so tests run side by side. */
    g_autofree char *text = g_strconcat ("[turn]\nlisten = 127.0.0.1:0\n", config ? config : "", NULL);

    config_path = g_build_filename (fixture->dir, "relay.ini", NULL);
    g_assert_true (g_file_set_contents (config_path, text, -1, NULL));
    g_ptr_array_add (argv, "--config");
    g_ptr_array_add (argv, config_path);
  }
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) extra_args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", fixture->dir, TRUE);
  fixture->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  fixture->stderr_text = g_string_new (NULL);
  g_input_stream_read_bytes_async (g_subprocess_get_stderr_pipe (fixture->process), 4096,
                                   G_PRIORITY_DEFAULT, NULL, on_stderr_read, fixture);

  /* The relay prints this line once it accepts connections; EOF means it died. */
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (fixture->process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (line == NULL || !g_str_has_prefix (line, "omnilive-relay: listening on "))
    {
      g_main_context_iteration (NULL, FALSE);
      g_error ("the relay did not start: %s", fixture->stderr_text->str);
    }
  fixture->url = g_strdup (line + strlen ("omnilive-relay: listening on "));

  fixture->http = soup_session_new_with_options ("timeout", 30, NULL);
}

void
relay_fixture_stop (RelayFixture *fixture)
{
  if (fixture->process != NULL)
    {
      g_subprocess_send_signal (fixture->process, SIGTERM);
      g_subprocess_wait (fixture->process, NULL, NULL);
      /* A clean shutdown exits 0; under ASan a leak or error makes it fail. */
      if (!g_subprocess_get_if_exited (fixture->process) || g_subprocess_get_exit_status (fixture->process) != 0)
        {
          g_autoptr(GBytes) rest = NULL;
          while (g_main_context_iteration (NULL, FALSE))
            ;
          rest = g_input_stream_read_bytes (g_subprocess_get_stderr_pipe (fixture->process), 1 << 20, NULL, NULL);
          g_error ("the relay did not shut down cleanly (status %d): %s%.*s",
                   g_subprocess_get_status (fixture->process), fixture->stderr_text->str,
                   rest ? (int) g_bytes_get_size (rest) : 0, rest ? (const char *) g_bytes_get_data (rest, NULL) : "");
        }
      g_clear_object (&fixture->process);
    }
  g_clear_object (&fixture->http);
  g_clear_pointer (&fixture->url, g_free);
  if (fixture->stderr_text != NULL)
    {
      /* Let a pending read callback see NULL. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_string_free (g_steal_pointer (&fixture->stderr_text), TRUE);
    }
  if (fixture->dir != NULL)
    {
      g_autofree char *command = g_strdup_printf ("rm -rf '%s'", fixture->dir);
      g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
      g_clear_pointer (&fixture->dir, g_free);
    }
  g_clear_pointer (&fixture->token, g_free);
}

int
relay_fixture_run_cli (RelayFixture       *fixture,
                       const char * const *args,
                       char              **out_stdout,
                       char              **out_stderr)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  char *out = NULL, *err = NULL;

  g_ptr_array_add (argv, (gpointer) relay_fixture_binary ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, "--data-dir");
  g_ptr_array_add (argv, fixture->dir);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (out_stdout != NULL)
    *out_stdout = out;
  else
    g_free (out);
  if (out_stderr != NULL)
    *out_stderr = err;
  else
    g_free (err);
  return g_subprocess_get_exit_status (process);
}

char *
relay_fixture_add_host (RelayFixture *fixture,
                        const char   *email,
                        const char   *name,
                        gboolean      admin)
{
  const char *args[] = { "host", "add", "--email", email, "--name", name, admin ? "--admin" : NULL, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  guint n;

  if (relay_fixture_run_cli (fixture, args, &out, &err) != 0)
    g_error ("host add failed: %s", err);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  n = g_strv_length (lines);
  g_assert_cmpuint (n, >=, 1);
  return g_strdup (lines[n - 1]);
}

RelayResponse *
relay_fixture_request (RelayFixture *fixture,
                       const char   *method,
                       const char   *path,
                       const char   *token,
                       const char   *content_type,
                       const char   *body,
                       gssize        body_len)
{
  g_autofree char *uri = g_strconcat (fixture->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr(GError) error = NULL;
  RelayResponse *response = g_new0 (RelayResponse, 1);
  const char *type;

  g_assert_nonnull (msg);
  if (token != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, body_len < 0 ? strlen (body) : (gsize) body_len);
      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }

  response->body = soup_session_send_and_read (fixture->http, msg, NULL, &error);
  g_assert_no_error (error);
  response->status = soup_message_get_status (msg);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));

  type = soup_message_headers_get_content_type (response->headers, NULL);
  if (g_strcmp0 (type, "application/json") == 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      gsize len;
      const char *data = g_bytes_get_data (response->body, &len);

      g_assert_true (json_parser_load_from_data (parser, data, (gssize) len, NULL));
      response->json = json_node_ref (json_parser_get_root (parser));
    }
  return response;
}

RelayResponse *
relay_fixture_json (RelayFixture *fixture,
                    const char   *method,
                    const char   *path,
                    const char   *token,
                    const char   *body)
{
  return relay_fixture_request (fixture, method, path, token, "application/json", body, -1);
}

void
relay_response_free (RelayResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->json, json_node_unref);
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response);
}

JsonObject *
relay_response_object (RelayResponse *response)
{
  g_assert_nonnull (response->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (response->json));
  return json_node_get_object (response->json);
}

const char *
relay_response_string (RelayResponse *response,
                       const char    *member)
{
  JsonObject *object = relay_response_object (response);
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
error_object (RelayResponse *response)
{
  JsonObject *object = relay_response_object (response);
  g_assert_true (json_object_has_member (object, "error"));
  return json_object_get_object_member (object, "error");
}

const char *
relay_response_error_code (RelayResponse *response)
{
  JsonObject *error = error_object (response);

  g_assert_true (json_object_has_member (error, "message"));
  g_assert_true (json_object_has_member (error, "field"));
  return json_object_get_string_member (error, "code");
}

const char *
relay_response_error_field (RelayResponse *response)
{
  JsonObject *error = error_object (response);
  JsonNode *field = json_object_get_member (error, "field");

  return JSON_NODE_HOLDS_NULL (field) ? NULL : json_node_get_string (field);
}

char *
relay_fixture_time_from_now (gint64 offset_seconds)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) then = g_date_time_add_seconds (now, (gdouble) offset_seconds);

  return g_date_time_format (then, "%Y-%m-%dT%H:%M:%SZ");
}
