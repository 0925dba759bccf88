/* engine-screencast-portal.c: the org.freedesktop.portal.ScreenCast flow over
 * GDBus — CreateSession, SelectSources, Start, OpenPipeWireRemote — each
 * portal request answered by a Request::Response signal that is subscribed
 * to before the call, so an answer that comes right after the reply is
 * never lost. Everything runs on the main context the start was called on. */
#define G_LOG_DOMAIN "engine-screencast-portal"

#include "engine-screencast-portal.h"

#include <gio/gunixfdlist.h>
#include <string.h>
#include <unistd.h>

#define PORTAL_BUS_NAME     "org.freedesktop.portal.Desktop"
#define PORTAL_OBJECT_PATH  "/org/freedesktop/portal/desktop"
#define SCREENCAST_IFACE    "org.freedesktop.portal.ScreenCast"
#define REQUEST_IFACE       "org.freedesktop.portal.Request"
#define SESSION_IFACE       "org.freedesktop.portal.Session"

/* Long enough for a person to pick a window in the dialog, short enough that
 * a portal that never answers does not leave "Share screen" spinning. */
#define DEFAULT_TIMEOUT_MS  (3 * 60 * 1000)
/* The portal answers its method calls at once (the dialog comes later, in
 * the Response), so the calls themselves get D-Bus's usual bound. */
#define CALL_TIMEOUT_MS     25000
/* Bounds on what the portal may send back (tokens are UUIDs in practice). */
#define MAX_STREAMS         16
#define MAX_TOKEN_LEN       512

/* The portal's AvailableCursorModes bit for a cursor drawn into the frames:
 * guests see where the host points. */
#define CURSOR_MODE_EMBEDDED 2u

typedef enum {
  STEP_PROPERTIES,
  STEP_CREATE_SESSION,
  STEP_SELECT_SOURCES,
  STEP_START,
  STEP_OPEN_REMOTE,
} Step;

static const char *const step_names[] = {
  "reading its properties", "CreateSession", "SelectSources", "Start", "OpenPipeWireRemote",
};

struct _EngineScreencastPortal
{
  GObject                      parent_instance;

  GDBusConnection             *connection;
  EngineScreencastSourceType   source_types;
  EngineScreencastPersistMode  persist_mode;
  char                        *restore_token;
  char                        *parent_window;
  guint                        timeout_ms;

  /* The portal's properties, read again at each start. */
  guint                        version;
  guint                        available_source_types;
  guint                        available_cursor_modes;

  /* The start in progress (NULL when none). The task holds a reference on
   * the object, so it stays alive until the start ends. */
  GTask                       *task;
  GCancellable                *op_cancellable;   /* our D-Bus calls of this start */
  GSource                     *cancel_source;    /* the caller's cancellable */
  GSource                     *timeout_source;
  Step                         step;
  char                        *request_path;     /* the Request we wait for */
  guint                        response_id;
  gboolean                     sent_persist;     /* the portal is told persist_mode */

  /* The session, once CreateSession answered. */
  char                        *session_path;
  guint                        closed_id;
  int                          fd;
  GArray                      *streams;          /* EngineScreencastStream */
  gboolean                     active;
};

G_DEFINE_FINAL_TYPE (EngineScreencastPortal, engine_screencast_portal, G_TYPE_OBJECT)

G_DEFINE_QUARK (engine-screencast-error-quark, engine_screencast_error)

G_DEFINE_FLAGS_TYPE (EngineScreencastSourceType, engine_screencast_source_type,
  G_DEFINE_ENUM_VALUE (ENGINE_SCREENCAST_SOURCE_MONITOR, "monitor"),
  G_DEFINE_ENUM_VALUE (ENGINE_SCREENCAST_SOURCE_WINDOW, "window"))

G_DEFINE_ENUM_TYPE (EngineScreencastPersistMode, engine_screencast_persist_mode,
  G_DEFINE_ENUM_VALUE (ENGINE_SCREENCAST_PERSIST_NONE, "none"),
  G_DEFINE_ENUM_VALUE (ENGINE_SCREENCAST_PERSIST_TRANSIENT, "transient"),
  G_DEFINE_ENUM_VALUE (ENGINE_SCREENCAST_PERSIST_PERSISTENT, "persistent"))

enum {
  PROP_0,
  PROP_CONNECTION,
  PROP_SOURCE_TYPES,
  PROP_PERSIST_MODE,
  PROP_RESTORE_TOKEN,
  PROP_PARENT_WINDOW,
  PROP_TIMEOUT,
  PROP_ACTIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* A reply we wait for belongs to one step of one start: a reply that comes
 * after the start ended or moved on is dropped. */
typedef struct {
  GTask *task;
  Step   step;
  char  *expected_path;
  char  *session_path;    /* CreateSession: the session it makes */
} CallData;

static void
call_data_free (CallData *data)
{
  g_clear_object (&data->task);
  g_free (data->expected_path);
  g_free (data->session_path);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CallData, call_data_free)

static CallData *
call_data_new (EngineScreencastPortal *self,
               const char             *expected_path)
{
  CallData *data = g_new0 (CallData, 1);

  data->task = g_object_ref (self->task);
  data->step = self->step;
  data->expected_path = g_strdup (expected_path);
  return data;
}

static EngineScreencastPortal *
call_data_portal (CallData *data)
{
  EngineScreencastPortal *self = g_task_get_source_object (data->task);

  if (self->task != data->task || self->step != data->step)
    return NULL;
  return self;
}

static void start_step (EngineScreencastPortal *self, Step step);

static void
on_request_response (GDBusConnection *connection,
                     const char      *sender_name,
                     const char      *object_path,
                     const char      *interface_name,
                     const char      *signal_name,
                     GVariant        *parameters,
                     gpointer         user_data);

static void
on_session_closed (GDBusConnection *connection,
                   const char      *sender_name,
                   const char      *object_path,
                   const char      *interface_name,
                   const char      *signal_name,
                   GVariant        *parameters,
                   gpointer         user_data);

/* Handle tokens must be valid object path elements and unique per call;
 * the counter makes them unique, the random part keeps two processes of
 * the same connection name apart in logs. */
static char *
new_handle_token (void)
{
  static guint counter;

  return g_strdup_printf ("omnilive_%u_%08x", ++counter, g_random_int ());
}

/* The portal puts a request at /org/freedesktop/portal/desktop/request/
 * SENDER/TOKEN, SENDER being our unique name without ':' and with '.' as
 * '_' — knowing it in advance is what lets us subscribe before calling. */
static char *
object_path_for_token (EngineScreencastPortal *self,
                       const char             *kind,
                       const char             *token)
{
  g_autofree char *sender = g_strdup (g_dbus_connection_get_unique_name (self->connection) + 1);

  g_strdelimit (sender, ".", '_');
  return g_strdup_printf (PORTAL_OBJECT_PATH "/%s/%s/%s", kind, sender, token);
}

static int
call_timeout (EngineScreencastPortal *self)
{
  return (int) MIN (self->timeout_ms, CALL_TIMEOUT_MS);
}

static void
unsubscribe_response (EngineScreencastPortal *self)
{
  if (self->response_id != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->response_id);
  self->response_id = 0;
  g_clear_pointer (&self->request_path, g_free);
}

static void
subscribe_response (EngineScreencastPortal *self,
                    const char             *request_path)
{
  unsubscribe_response (self);
  self->request_path = g_strdup (request_path);
  self->response_id = g_dbus_connection_signal_subscribe (self->connection, PORTAL_BUS_NAME,
    REQUEST_IFACE, "Response", request_path, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
    on_request_response, self, NULL);
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
set_active (EngineScreencastPortal *self,
            gboolean                active)
{
  if (self->active == active)
    return;
  self->active = active;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE]);
}

static void
set_restore_token (EngineScreencastPortal *self,
                   const char             *token)
{
  if (g_strcmp0 (self->restore_token, token) == 0)
    return;
  g_free (self->restore_token);
  self->restore_token = g_strdup (token);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESTORE_TOKEN]);
}

/* Fire and forget: Close has no answer worth waiting for, and _stop must
 * not block. NO_AUTO_START so closing never launches a portal. */
static void
close_object (EngineScreencastPortal *self,
              const char             *path,
              const char             *interface)
{
  g_dbus_connection_call (self->connection, PORTAL_BUS_NAME, path, interface, "Close",
                          NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, NULL, NULL);
}

/* Forgets the session; tells the portal when it is still open on its side. */
static void
drop_session (EngineScreencastPortal *self,
              gboolean                tell_portal)
{
  if (self->closed_id != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->closed_id);
  self->closed_id = 0;
  if (self->session_path != NULL && tell_portal)
    close_object (self, self->session_path, SESSION_IFACE);
  g_clear_pointer (&self->session_path, g_free);
  if (self->fd >= 0)
    close (self->fd);
  self->fd = -1;
  g_array_set_size (self->streams, 0);
  set_active (self, FALSE);
}

/* Ends the start in progress with @error (owned), or successfully when
 * NULL. Everything is torn down before the task returns, because the
 * caller's callback may start again from inside it. */
static void
finish_start (EngineScreencastPortal *self,
              GError                 *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  g_assert (task != NULL);
  /* A dialog may still be up: dismiss it. */
  if (error != NULL && self->request_path != NULL)
    close_object (self, self->request_path, REQUEST_IFACE);
  unsubscribe_response (self);
  clear_source (&self->timeout_source);
  clear_source (&self->cancel_source);
  g_cancellable_cancel (self->op_cancellable);
  g_clear_object (&self->op_cancellable);

  if (error != NULL)
    {
      drop_session (self, TRUE);
      g_debug ("Screen cast start failed: %s", error->message);
      g_task_return_error (task, error);
      return;
    }
  set_active (self, TRUE);
  g_task_return_boolean (task, TRUE);
}

/* finish_start with a new ENGINE_SCREENCAST_ERROR. */
static void G_GNUC_PRINTF (3, 4)
fail_start (EngineScreencastPortal *self,
            EngineScreencastError   code,
            const char             *format,
            ...)
{
  va_list args;
  GError *error;

  va_start (args, format);
  error = g_error_new_valist (ENGINE_SCREENCAST_ERROR, code, format, args);
  va_end (args);
  finish_start (self, error);
}

/* Turns a D-Bus failure into what the UI can act on: "no portal" is not
 * the same as "the portal broke". */
static GError *
error_from_dbus (EngineScreencastPortal *self,
                 const GError           *error)
{
  const char *what = step_names[self->step];

  if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
    return g_error_new (ENGINE_SCREENCAST_ERROR, ENGINE_SCREENCAST_ERROR_UNAVAILABLE,
                        "No screen sharing portal: xdg-desktop-portal is not running on the "
                        "session bus (%s)", error->message);
  if (self->step == STEP_PROPERTIES &&
      (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE) ||
       g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
       g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD) ||
       g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS)))
    return g_error_new (ENGINE_SCREENCAST_ERROR, ENGINE_SCREENCAST_ERROR_UNAVAILABLE,
                        "The desktop portal has no ScreenCast interface (%s)", error->message);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
      g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT))
    return g_error_new (ENGINE_SCREENCAST_ERROR, ENGINE_SCREENCAST_ERROR_TIMED_OUT,
                        "The screen sharing portal did not answer %s", what);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  return g_error_new (ENGINE_SCREENCAST_ERROR, ENGINE_SCREENCAST_ERROR_FAILED,
                      "The screen sharing portal failed %s: %s", what, error->message);
}

static gboolean
on_timeout (gpointer user_data)
{
  EngineScreencastPortal *self = user_data;

  fail_start (self, ENGINE_SCREENCAST_ERROR_TIMED_OUT,
              "The screen sharing portal did not answer %s within %u ms",
              step_names[self->step], self->timeout_ms);
  return G_SOURCE_REMOVE;
}

static gboolean
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  EngineScreencastPortal *self = user_data;

  finish_start (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                           "Screen sharing was cancelled"));
  return G_SOURCE_REMOVE;
}

/* One timer per step, on the task's context: it bounds the wait for the
 * Response (the user's choice included), not only the method call. */
static void
arm_timeout (EngineScreencastPortal *self)
{
  clear_source (&self->timeout_source);
  self->timeout_source = g_timeout_source_new (self->timeout_ms);
  g_source_set_callback (self->timeout_source, on_timeout, self, NULL);
  g_source_attach (self->timeout_source, g_task_get_context (self->task));
}

static void
on_request_call_done (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(CallData) data = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  EngineScreencastPortal *self;
  const char *handle;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  self = g_task_get_source_object (data->task);
  /* The start ended while the call was on its way: the portal may still
   * put its dialog up for it, so close the request it names. (The Close
   * sent when the start ended can arrive before the portal made the
   * request object.) */
  if (self->task != data->task)
    {
      if (reply != NULL)
        {
          g_variant_get (reply, "(&o)", &handle);
          close_object (self, handle, REQUEST_IFACE);
          /* Likewise the session: it exists once CreateSession replied. */
          if (data->session_path != NULL && g_strcmp0 (data->session_path, self->session_path) != 0)
            close_object (self, data->session_path, SESSION_IFACE);
        }
      return;
    }
  if (self->step != data->step)
    return;
  if (reply == NULL)
    {
      finish_start (self, error_from_dbus (self, error));
      return;
    }
  /* The Response already came (it may overtake the reply in our queue). */
  if (self->request_path == NULL || g_strcmp0 (self->request_path, data->expected_path) != 0)
    return;
  g_variant_get (reply, "(&o)", &handle);
  /* Portals older than 0.9 ignore handle_token; follow the path they chose
   * (with the small race the documentation warns about). */
  if (strcmp (handle, data->expected_path) != 0)
    {
      g_debug ("Portal request at %s instead of %s", handle, data->expected_path);
      subscribe_response (self, handle);
    }
}

/* Subscribes to the Response of the request @token names, then calls
 * @method, whose options must carry the same handle_token. */
static void
call_request (EngineScreencastPortal *self,
              const char             *method,
              const char             *token,
              GVariant               *parameters)
{
  g_autofree char *path = object_path_for_token (self, "request", token);
  CallData *data;

  subscribe_response (self, path);
  arm_timeout (self);
  data = call_data_new (self, path);
  if (self->step == STEP_CREATE_SESSION)
    data->session_path = g_strdup (self->session_path);
  g_dbus_connection_call (self->connection, PORTAL_BUS_NAME, PORTAL_OBJECT_PATH, SCREENCAST_IFACE,
                          method, parameters, G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE,
                          call_timeout (self), NULL, on_request_call_done, data);
}

/* The portal (or the user, from the shell's "stop sharing") may close the
 * session at any time. */
static void
watch_session (EngineScreencastPortal *self,
               const char             *session_path)
{
  if (self->closed_id != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->closed_id);
  g_free (self->session_path);
  self->session_path = g_strdup (session_path);
  self->closed_id = g_dbus_connection_signal_subscribe (self->connection, PORTAL_BUS_NAME,
    SESSION_IFACE, "Closed", self->session_path, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
    on_session_closed, self, NULL);
}

static void
create_session (EngineScreencastPortal *self)
{
  g_autofree char *token = new_handle_token ();
  g_autofree char *session_token = new_handle_token ();
  GVariantBuilder options;

  /* The portal makes the session when it gets the call, before it
   * answers: a start that ends before the answer must close it too. */
  g_autofree char *session_path = object_path_for_token (self, "session", session_token);

  watch_session (self, session_path);
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (token));
  g_variant_builder_add (&options, "{sv}", "session_handle_token", g_variant_new_string (session_token));
  call_request (self, "CreateSession", token, g_variant_new ("(a{sv})", &options));
}

static void
select_sources (EngineScreencastPortal *self)
{
  g_autofree char *token = new_handle_token ();
  guint types = self->source_types & self->available_source_types;
  GVariantBuilder options;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (token));
  g_variant_builder_add (&options, "{sv}", "types", g_variant_new_uint32 (types));
  g_variant_builder_add (&options, "{sv}", "multiple", g_variant_new_boolean (FALSE));
  /* A cursor mode the portal did not advertise closes the session, and
   * version 1 knows no cursor modes at all. */
  if (self->version >= 2 && (self->available_cursor_modes & CURSOR_MODE_EMBEDDED) != 0)
    g_variant_builder_add (&options, "{sv}", "cursor_mode", g_variant_new_uint32 (CURSOR_MODE_EMBEDDED));
  self->sent_persist = self->version >= 4;
  if (self->sent_persist)
    {
      g_variant_builder_add (&options, "{sv}", "persist_mode", g_variant_new_uint32 (self->persist_mode));
      if (self->restore_token != NULL && self->restore_token[0] != '\0')
        g_variant_builder_add (&options, "{sv}", "restore_token", g_variant_new_string (self->restore_token));
    }
  call_request (self, "SelectSources", token,
                g_variant_new ("(oa{sv})", self->session_path, &options));
}

static void
start_session (EngineScreencastPortal *self)
{
  g_autofree char *token = new_handle_token ();
  GVariantBuilder options;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (token));
  call_request (self, "Start", token,
                g_variant_new ("(osa{sv})", self->session_path, self->parent_window, &options));
}

static void
on_remote_opened (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CallData) data = user_data;
  g_autoptr(GUnixFDList) fd_list = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  EngineScreencastPortal *self;
  gint32 index;

  reply = g_dbus_connection_call_with_unix_fd_list_finish (G_DBUS_CONNECTION (source), &fd_list,
                                                           result, &error);
  self = call_data_portal (data);
  if (self == NULL)
    return;
  if (reply == NULL)
    {
      finish_start (self, error_from_dbus (self, error));
      return;
    }
  g_variant_get (reply, "(h)", &index);
  if (fd_list == NULL || index < 0 || index >= g_unix_fd_list_get_length (fd_list))
    {
      fail_start (self, ENGINE_SCREENCAST_ERROR_INVALID_REPLY,
                  "The screen sharing portal sent no PipeWire fd");
      return;
    }
  /* A duplicate, close-on-exec: the list closes its own copies. */
  self->fd = g_unix_fd_list_get (fd_list, index, &error);
  if (self->fd < 0)
    {
      fail_start (self, ENGINE_SCREENCAST_ERROR_INVALID_REPLY,
                  "Unusable PipeWire fd from the portal: %s", error->message);
      return;
    }
  finish_start (self, NULL);
}

static void
open_remote (EngineScreencastPortal *self)
{
  arm_timeout (self);
  g_dbus_connection_call_with_unix_fd_list (self->connection, PORTAL_BUS_NAME, PORTAL_OBJECT_PATH,
                                            SCREENCAST_IFACE, "OpenPipeWireRemote",
                                            g_variant_new ("(oa{sv})", self->session_path, NULL),
                                            G_VARIANT_TYPE ("(h)"), G_DBUS_CALL_FLAGS_NONE,
                                            call_timeout (self), NULL, self->op_cancellable,
                                            on_remote_opened, call_data_new (self, NULL));
}

static void
on_properties (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(CallData) data = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GError) error = NULL;
  EngineScreencastPortal *self;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  self = call_data_portal (data);
  if (self == NULL)
    return;
  clear_source (&self->timeout_source);
  if (reply == NULL)
    {
      finish_start (self, error_from_dbus (self, error));
      return;
    }
  props = g_variant_get_child_value (reply, 0);
  self->version = 0;
  self->available_cursor_modes = 0;
  /* MONITOR is the portal's default when it does not say. */
  self->available_source_types = ENGINE_SCREENCAST_SOURCE_MONITOR;
  g_variant_lookup (props, "version", "u", &self->version);
  g_variant_lookup (props, "AvailableSourceTypes", "u", &self->available_source_types);
  g_variant_lookup (props, "AvailableCursorModes", "u", &self->available_cursor_modes);
  if (self->version == 0)
    {
      fail_start (self, ENGINE_SCREENCAST_ERROR_UNAVAILABLE,
                  "The desktop portal has no ScreenCast interface");
      return;
    }
  if ((self->source_types & self->available_source_types) == 0)
    {
      fail_start (self, ENGINE_SCREENCAST_ERROR_UNAVAILABLE,
                  "The screen sharing portal cannot share monitors or windows "
                  "(it offers source types 0x%x)", self->available_source_types);
      return;
    }
  start_step (self, STEP_CREATE_SESSION);
}

static void
read_properties (EngineScreencastPortal *self)
{
  arm_timeout (self);
  /* Allow auto-start: a desktop may activate the portal on first use. */
  g_dbus_connection_call (self->connection, PORTAL_BUS_NAME, PORTAL_OBJECT_PATH,
                          "org.freedesktop.DBus.Properties", "GetAll",
                          g_variant_new ("(s)", SCREENCAST_IFACE), G_VARIANT_TYPE ("(a{sv})"),
                          G_DBUS_CALL_FLAGS_NONE, call_timeout (self), self->op_cancellable,
                          on_properties, call_data_new (self, NULL));
}

static void
start_step (EngineScreencastPortal *self,
            Step                    step)
{
  self->step = step;
  switch (step)
    {
    case STEP_PROPERTIES:      read_properties (self); break;
    case STEP_CREATE_SESSION:  create_session (self); break;
    case STEP_SELECT_SOURCES:  select_sources (self); break;
    case STEP_START:           start_session (self); break;
    case STEP_OPEN_REMOTE:     open_remote (self); break;
    default:                   g_assert_not_reached ();
    }
}

/* The session handle was documented as "o" but portals send "s": take both. */
static GError *
take_session_handle (EngineScreencastPortal *self,
                     GVariant               *results)
{
  g_autoptr(GVariant) handle = g_variant_lookup_value (results, "session_handle", NULL);
  const char *path = NULL;

  if (handle != NULL && (g_variant_is_of_type (handle, G_VARIANT_TYPE_STRING) ||
                         g_variant_is_of_type (handle, G_VARIANT_TYPE_OBJECT_PATH)))
    path = g_variant_get_string (handle, NULL);
  if (path == NULL || !g_variant_is_object_path (path))
    return g_error_new (ENGINE_SCREENCAST_ERROR, ENGINE_SCREENCAST_ERROR_INVALID_REPLY,
                        "The screen sharing portal created no valid session");
  /* Old portals ignore session_handle_token and choose the path. */
  if (g_strcmp0 (path, self->session_path) != 0)
    watch_session (self, path);
  return NULL;
}

static GError *
take_streams (EngineScreencastPortal *self,
              GVariant               *results)
{
  g_autoptr(GVariant) streams = g_variant_lookup_value (results, "streams", G_VARIANT_TYPE ("a(ua{sv})"));
  gsize n;

  n = streams != NULL ? g_variant_n_children (streams) : 0;
  if (n == 0 || n > MAX_STREAMS)
    return g_error_new (ENGINE_SCREENCAST_ERROR, ENGINE_SCREENCAST_ERROR_INVALID_REPLY,
                        "The screen sharing portal returned %" G_GSIZE_FORMAT " streams", n);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) props = NULL;
      EngineScreencastStream stream = { 0, 0, -1, -1, -1, -1 };

      g_variant_get_child (streams, i, "(u@a{sv})", &stream.node_id, &props);
      g_variant_lookup (props, "source_type", "u", &stream.source_type);
      g_variant_lookup (props, "position", "(ii)", &stream.x, &stream.y);
      g_variant_lookup (props, "size", "(ii)", &stream.width, &stream.height);
      g_array_append_val (self->streams, stream);
    }

  /* Tokens are single use: the one sent is spent, only a new one (given
   * when the user allowed it to persist) can skip the dialog next time. */
  if (self->sent_persist)
    {
      const char *token = NULL;

      if (g_variant_lookup (results, "restore_token", "&s", &token) &&
          (token[0] == '\0' || strlen (token) > MAX_TOKEN_LEN))
        token = NULL;
      set_restore_token (self, token);
    }
  return NULL;
}

static void
on_request_response (GDBusConnection *connection,
                     const char      *sender_name,
                     const char      *object_path,
                     const char      *interface_name,
                     const char      *signal_name,
                     GVariant        *parameters,
                     gpointer         user_data)
{
  EngineScreencastPortal *self = user_data;
  g_autoptr(GVariant) results = NULL;
  GError *error = NULL;
  guint32 response;

  if (self->task == NULL || g_strcmp0 (object_path, self->request_path) != 0)
    return;
  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ua{sv})")))
    {
      fail_start (self, ENGINE_SCREENCAST_ERROR_INVALID_REPLY,
                  "Malformed answer from the screen sharing portal (%s)",
                  g_variant_get_type_string (parameters));
      return;
    }
  /* The request is over on the portal's side: nothing left to Close. */
  unsubscribe_response (self);
  clear_source (&self->timeout_source);
  g_variant_get (parameters, "(u@a{sv})", &response, &results);
  if (response == 1)
    {
      fail_start (self, ENGINE_SCREENCAST_ERROR_USER_CANCELLED,
                  "Screen sharing was cancelled");
      return;
    }
  if (response != 0)
    {
      fail_start (self, ENGINE_SCREENCAST_ERROR_FAILED,
                  "The screen sharing portal failed %s (response %u)",
                  step_names[self->step], response);
      return;
    }

  switch (self->step)
    {
    case STEP_CREATE_SESSION:
      error = take_session_handle (self, results);
      if (error == NULL)
        start_step (self, STEP_SELECT_SOURCES);
      break;
    case STEP_SELECT_SOURCES:
      start_step (self, STEP_START);
      break;
    case STEP_START:
      error = take_streams (self, results);
      if (error == NULL)
        start_step (self, STEP_OPEN_REMOTE);
      break;
    case STEP_PROPERTIES:
    case STEP_OPEN_REMOTE:
    default:
      g_assert_not_reached ();
    }
  if (error != NULL)
    finish_start (self, error);
}

static void
on_session_closed (GDBusConnection *connection,
                   const char      *sender_name,
                   const char      *object_path,
                   const char      *interface_name,
                   const char      *signal_name,
                   GVariant        *parameters,
                   gpointer         user_data)
{
  EngineScreencastPortal *self = user_data;

  if (g_strcmp0 (object_path, self->session_path) != 0)
    return;
  /* Closed by the portal: calling Close on it again would only fail. */
  g_clear_pointer (&self->session_path, g_free);
  if (self->task != NULL)
    {
      fail_start (self, ENGINE_SCREENCAST_ERROR_CLOSED,
                  "The screen sharing portal closed the session");
      return;
    }
  drop_session (self, FALSE);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

static void
on_bus_got (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(CallData) data = user_data;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  EngineScreencastPortal *self;

  connection = g_bus_get_finish (result, &error);
  self = call_data_portal (data);
  if (self == NULL)
    return;
  if (connection == NULL)
    {
      fail_start (self, ENGINE_SCREENCAST_ERROR_UNAVAILABLE,
                  "No session bus for the screen sharing portal: %s",
                  error->message);
      return;
    }
  self->connection = g_steal_pointer (&connection);
  start_step (self, STEP_PROPERTIES);
}

static void
engine_screencast_portal_dispose (GObject *object)
{
  EngineScreencastPortal *self = ENGINE_SCREENCAST_PORTAL (object);

  /* A start in progress holds a reference, so none is left here. */
  g_assert (self->task == NULL);
  if (self->connection != NULL)
    drop_session (self, TRUE);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (engine_screencast_portal_parent_class)->dispose (object);
}

static void
engine_screencast_portal_finalize (GObject *object)
{
  EngineScreencastPortal *self = ENGINE_SCREENCAST_PORTAL (object);

  g_free (self->restore_token);
  g_free (self->parent_window);
  g_free (self->session_path);
  g_array_unref (self->streams);

  G_OBJECT_CLASS (engine_screencast_portal_parent_class)->finalize (object);
}

static void
engine_screencast_portal_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  EngineScreencastPortal *self = ENGINE_SCREENCAST_PORTAL (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:    g_value_set_object (value, self->connection); break;
    case PROP_SOURCE_TYPES:  g_value_set_flags (value, self->source_types); break;
    case PROP_PERSIST_MODE:  g_value_set_enum (value, self->persist_mode); break;
    case PROP_RESTORE_TOKEN: g_value_set_string (value, self->restore_token); break;
    case PROP_PARENT_WINDOW: g_value_set_string (value, self->parent_window); break;
    case PROP_TIMEOUT:       g_value_set_uint (value, self->timeout_ms); break;
    case PROP_ACTIVE:        g_value_set_boolean (value, self->active); break;
    default:                 G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
engine_screencast_portal_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  EngineScreencastPortal *self = ENGINE_SCREENCAST_PORTAL (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      self->connection = g_value_dup_object (value);
      break;
    case PROP_SOURCE_TYPES:
      engine_screencast_portal_set_source_types (self, g_value_get_flags (value));
      break;
    case PROP_PERSIST_MODE:
      engine_screencast_portal_set_persist_mode (self, g_value_get_enum (value));
      break;
    case PROP_RESTORE_TOKEN:
      engine_screencast_portal_set_restore_token (self, g_value_get_string (value));
      break;
    case PROP_PARENT_WINDOW:
      engine_screencast_portal_set_parent_window (self, g_value_get_string (value));
      break;
    case PROP_TIMEOUT:
      engine_screencast_portal_set_timeout (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
engine_screencast_portal_class_init (EngineScreencastPortalClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = engine_screencast_portal_dispose;
  object_class->finalize = engine_screencast_portal_finalize;
  object_class->get_property = engine_screencast_portal_get_property;
  object_class->set_property = engine_screencast_portal_set_property;

  properties[PROP_CONNECTION] =
    g_param_spec_object ("connection", NULL, NULL, G_TYPE_DBUS_CONNECTION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SOURCE_TYPES] =
    g_param_spec_flags ("source-types", NULL, NULL, ENGINE_TYPE_SCREENCAST_SOURCE_TYPE,
                        ENGINE_SCREENCAST_SOURCE_MONITOR | ENGINE_SCREENCAST_SOURCE_WINDOW,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PERSIST_MODE] =
    g_param_spec_enum ("persist-mode", NULL, NULL, ENGINE_TYPE_SCREENCAST_PERSIST_MODE,
                       ENGINE_SCREENCAST_PERSIST_PERSISTENT,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_RESTORE_TOKEN] =
    g_param_spec_string ("restore-token", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PARENT_WINDOW] =
    g_param_spec_string ("parent-window", NULL, NULL, "",
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 1, G_MAXINT, DEFAULT_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ACTIVE] =
    g_param_spec_boolean ("active", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The portal ended a started session (the user pressed "stop sharing" in
   * the shell, or the shared window went away): the fd is closed. */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
engine_screencast_portal_init (EngineScreencastPortal *self)
{
  self->source_types = ENGINE_SCREENCAST_SOURCE_MONITOR | ENGINE_SCREENCAST_SOURCE_WINDOW;
  self->persist_mode = ENGINE_SCREENCAST_PERSIST_PERSISTENT;
  self->parent_window = g_strdup ("");
  self->timeout_ms = DEFAULT_TIMEOUT_MS;
  self->fd = -1;
  self->streams = g_array_new (FALSE, TRUE, sizeof (EngineScreencastStream));
}

/* Public API */

EngineScreencastPortal *
engine_screencast_portal_new (GDBusConnection *connection)
{
  g_return_val_if_fail (connection == NULL || G_IS_DBUS_CONNECTION (connection), NULL);

  return g_object_new (ENGINE_TYPE_SCREENCAST_PORTAL, "connection", connection, NULL);
}

void
engine_screencast_portal_start_async (EngineScreencastPortal *self,
                                      GCancellable           *cancellable,
                                      GAsyncReadyCallback     callback,
                                      gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ENGINE_IS_SCREENCAST_PORTAL (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, engine_screencast_portal_start_async);
  if (self->task != NULL || self->active)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "Screen sharing is already started");
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  self->task = g_object_ref (task);
  self->op_cancellable = g_cancellable_new ();
  /* A source rather than g_cancellable_connect: the teardown then runs on
   * our context even when another thread cancels. */
  if (cancellable != NULL)
    {
      self->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->cancel_source, G_SOURCE_FUNC (on_cancelled), self, NULL);
      g_source_attach (self->cancel_source, g_task_get_context (task));
    }
  self->step = STEP_PROPERTIES;
  if (self->connection == NULL)
    g_bus_get (G_BUS_TYPE_SESSION, self->op_cancellable, on_bus_got, call_data_new (self, NULL));
  else
    start_step (self, STEP_PROPERTIES);
}

gboolean
engine_screencast_portal_start_finish (EngineScreencastPortal  *self,
                                       GAsyncResult            *result,
                                       GError                 **error)
{
  g_return_val_if_fail (ENGINE_IS_SCREENCAST_PORTAL (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == engine_screencast_portal_start_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
engine_screencast_portal_stop (EngineScreencastPortal *self)
{
  g_return_if_fail (ENGINE_IS_SCREENCAST_PORTAL (self));

  if (self->task != NULL)
    finish_start (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                             "Screen sharing was stopped"));
  else if (self->connection != NULL)
    drop_session (self, TRUE);
}

gboolean
engine_screencast_portal_get_active (EngineScreencastPortal *self)
{
  g_return_val_if_fail (ENGINE_IS_SCREENCAST_PORTAL (self), FALSE);

  return self->active;
}

int
engine_screencast_portal_get_fd (EngineScreencastPortal *self)
{
  g_return_val_if_fail (ENGINE_IS_SCREENCAST_PORTAL (self), -1);

  return self->fd;
}

guint
engine_screencast_portal_get_n_streams (EngineScreencastPortal *self)
{
  g_return_val_if_fail (ENGINE_IS_SCREENCAST_PORTAL (self), 0);

  return self->streams->len;
}

const EngineScreencastStream *
engine_screencast_portal_get_stream (EngineScreencastPortal *self,
                                     guint                   index)
{
  g_return_val_if_fail (ENGINE_IS_SCREENCAST_PORTAL (self), NULL);

  if (index >= self->streams->len)
    return NULL;
  return &g_array_index (self->streams, EngineScreencastStream, index);
}

char *
engine_screencast_source_description (int     fd,
                                      guint32 node_id)
{
  g_return_val_if_fail (fd >= 0, NULL);

  /* do-timestamp: PipeWire's timestamps are not the pipeline clock's.
   * keepalive-time: the compositor sends frames only on damage, and a
   * still screen would otherwise starve the encoder and the guests.
   * videoconvert: PipeWire may hand BGRx/RGBx; downstream wants I420.
   * client-name: what PipeWire's graph tools show for the stream.
   * always-copy: videorate keeps the last frame to repeat it, and a frame
   * still held is a buffer the compositor cannot fill again; with few in
   * its pool the stream stalls after the first frame. */
  return g_strdup_printf ("pipewiresrc fd=%d path=%u client-name=" ENGINE_SCREENCAST_CLIENT_NAME
                          " always-copy=true do-timestamp=true keepalive-time=1000 ! "
                          "videoconvert", fd, node_id);
}

char *
engine_screencast_portal_build_source_description (EngineScreencastPortal  *self,
                                                   guint                    index,
                                                   GError                 **error)
{
  const EngineScreencastStream *stream;

  g_return_val_if_fail (ENGINE_IS_SCREENCAST_PORTAL (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  stream = engine_screencast_portal_get_stream (self, index);
  if (!self->active || self->fd < 0 || stream == NULL)
    {
      g_set_error (error, ENGINE_SCREENCAST_ERROR, ENGINE_SCREENCAST_ERROR_CLOSED,
                   "No started screen cast stream %u", index);
      return NULL;
    }
  return engine_screencast_source_description (self->fd, stream->node_id);
}

GstElement *
engine_screencast_portal_create_source (EngineScreencastPortal  *self,
                                        guint                    index,
                                        GError                 **error)
{
  g_autofree char *description = NULL;
  GstElement *bin;

  g_return_val_if_fail (ENGINE_IS_SCREENCAST_PORTAL (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  description = engine_screencast_portal_build_source_description (self, index, error);
  if (description == NULL)
    return NULL;
  bin = gst_parse_bin_from_description_full (description, TRUE, NULL,
                                             GST_PARSE_FLAG_FATAL_ERRORS, error);
  if (bin == NULL)
    return NULL;
  gst_element_set_name (bin, "screen-source");
  return bin;
}

void
engine_screencast_portal_set_source_types (EngineScreencastPortal     *self,
                                           EngineScreencastSourceType  types)
{
  g_return_if_fail (ENGINE_IS_SCREENCAST_PORTAL (self));
  g_return_if_fail (types != 0);

  if (self->source_types == types)
    return;
  self->source_types = types;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOURCE_TYPES]);
}

void
engine_screencast_portal_set_persist_mode (EngineScreencastPortal      *self,
                                           EngineScreencastPersistMode  mode)
{
  g_return_if_fail (ENGINE_IS_SCREENCAST_PORTAL (self));
  g_return_if_fail (mode <= ENGINE_SCREENCAST_PERSIST_PERSISTENT);

  if (self->persist_mode == mode)
    return;
  self->persist_mode = mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PERSIST_MODE]);
}

const char *
engine_screencast_portal_get_restore_token (EngineScreencastPortal *self)
{
  g_return_val_if_fail (ENGINE_IS_SCREENCAST_PORTAL (self), NULL);

  return self->restore_token;
}

void
engine_screencast_portal_set_restore_token (EngineScreencastPortal *self,
                                            const char             *token)
{
  g_return_if_fail (ENGINE_IS_SCREENCAST_PORTAL (self));
  g_return_if_fail (token == NULL || strlen (token) <= MAX_TOKEN_LEN);

  set_restore_token (self, token != NULL && token[0] != '\0' ? token : NULL);
}

void
engine_screencast_portal_set_parent_window (EngineScreencastPortal *self,
                                            const char             *parent_window)
{
  g_return_if_fail (ENGINE_IS_SCREENCAST_PORTAL (self));

  if (parent_window == NULL)
    parent_window = "";
  if (g_strcmp0 (self->parent_window, parent_window) == 0)
    return;
  g_free (self->parent_window);
  self->parent_window = g_strdup (parent_window);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARENT_WINDOW]);
}

void
engine_screencast_portal_set_timeout (EngineScreencastPortal *self,
                                      guint                   timeout_ms)
{
  g_return_if_fail (ENGINE_IS_SCREENCAST_PORTAL (self));
  g_return_if_fail (timeout_ms > 0 && timeout_ms <= G_MAXINT);

  if (self->timeout_ms == timeout_ms)
    return;
  self->timeout_ms = timeout_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

/* Backend choice */

static const struct {
  const char              *name;
  EngineScreencastBackend  backend;
} backend_names[] = {
  { "test",      ENGINE_SCREENCAST_BACKEND_TEST },
  { "ximagesrc", ENGINE_SCREENCAST_BACKEND_XIMAGESRC },
  { "portal",    ENGINE_SCREENCAST_BACKEND_PORTAL },
};

static const char *
lookup_env (const char *const *envp,
            const char        *name)
{
  const char *value = envp != NULL ? g_environ_getenv ((char **) envp, name) : g_getenv (name);

  return value != NULL && value[0] != '\0' ? value : NULL;
}

const char *
engine_screencast_backend_to_string (EngineScreencastBackend backend)
{
  for (guint i = 0; i < G_N_ELEMENTS (backend_names); i++)
    if (backend_names[i].backend == backend)
      return backend_names[i].name;
  g_return_val_if_reached (NULL);
}

EngineScreencastBackend
engine_screencast_choose_backend (const char *const *envp)
{
  const char *fake = lookup_env (envp, "OMNILIVE_FAKE_MEDIA");
  const char *forced = lookup_env (envp, "OMNILIVE_SCREENCAST");

  /* Fake media wins over everything: a test run must never pop up a
   * portal dialog or grab a real screen. */
  if (fake != NULL && strcmp (fake, "0") != 0)
    return ENGINE_SCREENCAST_BACKEND_TEST;
  if (forced != NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (backend_names); i++)
        if (g_ascii_strcasecmp (forced, backend_names[i].name) == 0)
          return backend_names[i].backend;
      g_warning ("OMNILIVE_SCREENCAST=%s is not one of portal, ximagesrc, test: ignored", forced);
    }
  /* Under Wayland, ximagesrc would only see XWayland's windows (or black):
   * WAYLAND_DISPLAY wins even when DISPLAY is set too. */
  if (lookup_env (envp, "WAYLAND_DISPLAY") != NULL)
    return ENGINE_SCREENCAST_BACKEND_PORTAL;
  if (lookup_env (envp, "DISPLAY") != NULL)
    return ENGINE_SCREENCAST_BACKEND_XIMAGESRC;
  return ENGINE_SCREENCAST_BACKEND_TEST;
}
