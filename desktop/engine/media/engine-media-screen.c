/* engine-media-screen.c: the screen branch's source, swapped in a running
 * pipeline. The stand-in pattern and the PipeWire source share one name,
 * "screen-source", and one downstream peer (the branch's videoconvert), so
 * the swap is: stop the old element, unlink, remove, add the new one, link,
 * let it follow the pipeline's state. The valve after the source keeps the
 * stand-in from ever reaching the guests. */
#define G_LOG_DOMAIN "engine-media-screen"

#include "engine-media-screen.h"

#define SOURCE_NAME "screen-source"
#define STAND_IN_PATTERN 2   /* videotestsrc "smpte" */

struct _EngineMediaScreen
{
  GObject                  parent_instance;

  EngineScreencastBackend  backend;
  GstBin                  *pipeline;     /* unowned */
  GstPad                  *branch_sink;  /* what every source links to */
  EngineScreencastPortal  *portal;       /* Wayland only */
  char                    *restore_token;
  GTask                   *request;      /* the request in progress */
  gboolean                 portal_source_installed;
  gboolean                 capturing;
};

enum {
  SIGNAL_LOST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EngineMediaScreen, engine_media_screen, G_TYPE_OBJECT)

/* Puts @replacement (floating or owned by the caller) where the current
 * "screen-source" is, or was if a failed swap left none, without starting
 * it. */
static gboolean
install_source (EngineMediaScreen  *self,
                GstElement         *replacement,
                GError            **error)
{
  g_autoptr(GstElement) current = NULL;
  g_autoptr(GstPad) replacement_src = NULL;

  gst_object_ref_sink (replacement);
  if (self->pipeline == NULL || self->branch_sink == NULL)
    {
      gst_object_unref (replacement);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "The media pipeline is not running");
      return FALSE;
    }
  current = gst_bin_get_by_name (self->pipeline, SOURCE_NAME);
  if (current != NULL)
    {
      g_autoptr(GstPad) current_src = gst_element_get_static_pad (current, "src");

      /* Stopped before unlinking: a live source pushing into an unlinked
       * pad would post a not-linked error for the whole pipeline. */
      gst_element_set_state (current, GST_STATE_NULL);
      if (current_src != NULL && gst_pad_is_linked (current_src))
        gst_pad_unlink (current_src, self->branch_sink);
      gst_bin_remove (self->pipeline, current);
    }
  self->portal_source_installed = FALSE;

  gst_bin_add (self->pipeline, replacement);
  replacement_src = gst_element_get_static_pad (replacement, "src");
  if (replacement_src == NULL || gst_pad_link (replacement_src, self->branch_sink) != GST_PAD_LINK_OK)
    {
      gst_bin_remove (self->pipeline, replacement);
      gst_object_unref (replacement);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The screen source does not fit the video branch");
      return FALSE;
    }
  gst_object_unref (replacement);
  return TRUE;
}

static void
restore_stand_in (EngineMediaScreen *self)
{
  GstElement *stand_in = gst_element_factory_make ("videotestsrc", SOURCE_NAME);
  g_autoptr(GError) error = NULL;

  g_object_set (stand_in, "is-live", TRUE, "pattern", STAND_IN_PATTERN, NULL);
  if (!install_source (self, stand_in, &error))
    g_warning ("Cannot restore the screen stand-in: %s", error->message);
  else if (!gst_element_sync_state_with_parent (stand_in))
    g_warning ("The screen stand-in does not start");
}

/* pipewiresrc negotiates with PipeWire while it changes state, which can
 * take as long as PipeWire takes to link the stream: off the main thread. */
static void
start_source_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  if (gst_element_sync_state_with_parent (task_data))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                             "PipeWire did not deliver the chosen screen");
}

static void on_source_started (GObject *source, GAsyncResult *result, gpointer user_data);

static void
on_portal_closed (EngineScreencastPortal *portal,
                  EngineMediaScreen      *self)
{
  g_autoptr(GError) error = NULL;

  if (!self->capturing)
    return;
  engine_media_screen_release (self);
  g_set_error (&error, ENGINE_SCREENCAST_ERROR, ENGINE_SCREENCAST_ERROR_CLOSED,
               "Screen sharing was stopped from the desktop");
  g_signal_emit (self, signals[SIGNAL_LOST], 0, error);
}

static void
on_portal_started (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EngineMediaScreen *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  GstElement *replacement;
  const char *token;

  if (self->request == task)
    g_clear_object (&self->request);
  if (!engine_screencast_portal_start_finish (self->portal, result, &error))
    {
      engine_screencast_portal_stop (self->portal);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Remembered for this process: sharing again in the same call does not
   * ask again (the portal still may, if the user revoked it). */
  token = engine_screencast_portal_get_restore_token (self->portal);
  if (token != NULL)
    {
      g_free (self->restore_token);
      self->restore_token = g_strdup (token);
    }
  if (g_task_return_error_if_cancelled (task))
    {
      engine_screencast_portal_stop (self->portal);
      return;
    }
  replacement = engine_screencast_portal_create_source (self->portal, 0, &error);
  if (replacement == NULL || !install_source (self, replacement, &error))
    {
      engine_screencast_portal_stop (self->portal);
      /* A failed swap may have left no source at all. */
      engine_media_screen_release (self);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  self->portal_source_installed = TRUE;
  {
    GTask *start = g_task_new (self, NULL, on_source_started, g_steal_pointer (&task));

    g_task_set_task_data (start, gst_object_ref (replacement), gst_object_unref);
    g_task_run_in_thread (start, start_source_thread);
    g_object_unref (start);
  }
}

static void
on_source_started (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  EngineMediaScreen *self = ENGINE_MEDIA_SCREEN (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      engine_media_screen_release (self);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Turned off (or the engine stopped) while PipeWire was connecting. */
  if (g_task_return_error_if_cancelled (task))
    {
      engine_media_screen_release (self);
      return;
    }
  self->capturing = TRUE;
  g_task_return_boolean (task, TRUE);
}

/* ---- public API ---- */

EngineMediaScreen *
engine_media_screen_new (EngineScreencastBackend backend)
{
  EngineMediaScreen *self = g_object_new (ENGINE_TYPE_MEDIA_SCREEN, NULL);

  self->backend = backend;
  return self;
}

EngineScreencastBackend
engine_media_screen_get_backend (EngineMediaScreen *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_SCREEN (self), ENGINE_SCREENCAST_BACKEND_TEST);
  return self->backend;
}

char *
engine_media_screen_source_description (EngineMediaScreen *self)
{
  g_autoptr(GstElementFactory) ximagesrc = NULL;

  g_return_val_if_fail (ENGINE_IS_MEDIA_SCREEN (self), NULL);

  if (self->backend == ENGINE_SCREENCAST_BACKEND_XIMAGESRC &&
      (ximagesrc = gst_element_factory_find ("ximagesrc")) != NULL)
    return g_strdup ("ximagesrc name=" SOURCE_NAME " use-damage=false");
  return g_strdup_printf ("videotestsrc name=" SOURCE_NAME " is-live=true pattern=%d", STAND_IN_PATTERN);
}

void
engine_media_screen_set_pipeline (EngineMediaScreen *self,
                                  GstBin            *pipeline)
{
  g_return_if_fail (ENGINE_IS_MEDIA_SCREEN (self));
  g_return_if_fail (pipeline == NULL || GST_IS_BIN (pipeline));

  g_clear_object (&self->branch_sink);
  if (pipeline == NULL)
    {
      /* The pipeline is going: only the portal session is left to close. */
      self->capturing = FALSE;
      if (self->portal != NULL)
        engine_screencast_portal_stop (self->portal);
    }
  else
    {
      g_autoptr(GstElement) source = gst_bin_get_by_name (pipeline, SOURCE_NAME);
      g_autoptr(GstPad) source_src = source ? gst_element_get_static_pad (source, "src") : NULL;

      g_return_if_fail (source_src != NULL);
      self->branch_sink = gst_pad_get_peer (source_src);
    }
  self->pipeline = pipeline;
}

void
engine_media_screen_request_async (EngineMediaScreen   *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ENGINE_IS_MEDIA_SCREEN (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, engine_media_screen_request_async);
  if (self->backend != ENGINE_SCREENCAST_BACKEND_PORTAL || self->capturing)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (self->request != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "The screen sharing dialog is already open");
      return;
    }
  if (self->portal == NULL)
    {
      self->portal = engine_screencast_portal_new (NULL);
      g_signal_connect (self->portal, "closed", G_CALLBACK (on_portal_closed), self);
    }
  engine_screencast_portal_set_restore_token (self->portal, self->restore_token);
  self->request = g_object_ref (task);
  engine_screencast_portal_start_async (self->portal, cancellable, on_portal_started, g_steal_pointer (&task));
}

gboolean
engine_media_screen_request_finish (EngineMediaScreen  *self,
                                    GAsyncResult       *result,
                                    GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
engine_media_screen_release (EngineMediaScreen *self)
{
  g_return_if_fail (ENGINE_IS_MEDIA_SCREEN (self));

  if (self->backend != ENGINE_SCREENCAST_BACKEND_PORTAL)
    return;
  if (self->pipeline != NULL)
    {
      g_autoptr(GstElement) current = gst_bin_get_by_name (self->pipeline, SOURCE_NAME);

      /* The stand-in goes back first: pipewiresrc must stop before its fd
       * is closed with the portal session. */
      if (self->portal_source_installed || current == NULL)
        restore_stand_in (self);
    }
  self->capturing = FALSE;
  if (self->portal != NULL)
    engine_screencast_portal_stop (self->portal);
}

gboolean
engine_media_screen_get_capturing (EngineMediaScreen *self)
{
  g_return_val_if_fail (ENGINE_IS_MEDIA_SCREEN (self), FALSE);
  return self->capturing;
}

gboolean
engine_media_screen_handle_error (EngineMediaScreen *self,
                                  GstMessage        *message)
{
  g_autoptr(GstElement) source = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *debug = NULL;
  g_autoptr(GError) lost = NULL;

  g_return_val_if_fail (ENGINE_IS_MEDIA_SCREEN (self), FALSE);
  g_return_val_if_fail (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR, FALSE);

  if (!self->capturing || self->pipeline == NULL ||
      (source = gst_bin_get_by_name (self->pipeline, SOURCE_NAME)) == NULL)
    return FALSE;
  if (GST_MESSAGE_SRC (message) != GST_OBJECT (source) &&
      !gst_object_has_as_ancestor (GST_MESSAGE_SRC (message), GST_OBJECT (source)))
    return FALSE;
  gst_message_parse_error (message, &error, &debug);
  g_message ("The screen capture failed: %s (%s)", error->message, debug ? debug : "");
  engine_media_screen_release (self);
  g_set_error (&lost, ENGINE_SCREENCAST_ERROR, ENGINE_SCREENCAST_ERROR_FAILED,
               "The screen capture stopped: %s", error->message);
  g_signal_emit (self, signals[SIGNAL_LOST], 0, lost);
  return TRUE;
}

/* ---- GObject ---- */

static void
engine_media_screen_dispose (GObject *object)
{
  EngineMediaScreen *self = ENGINE_MEDIA_SCREEN (object);

  if (self->portal != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->portal, self);
      engine_screencast_portal_stop (self->portal);
      g_clear_object (&self->portal);
    }
  g_clear_object (&self->request);
  g_clear_object (&self->branch_sink);
  self->pipeline = NULL;
  G_OBJECT_CLASS (engine_media_screen_parent_class)->dispose (object);
}

static void
engine_media_screen_finalize (GObject *object)
{
  EngineMediaScreen *self = ENGINE_MEDIA_SCREEN (object);

  g_free (self->restore_token);
  G_OBJECT_CLASS (engine_media_screen_parent_class)->finalize (object);
}

static void
engine_media_screen_class_init (EngineMediaScreenClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = engine_media_screen_dispose;
  object_class->finalize = engine_media_screen_finalize;

  /* The user's screen stopped feeding the pipeline (the desktop ended the
   * share, or the capture failed); the stand-in is back. */
  signals[SIGNAL_LOST] = g_signal_new ("lost", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
engine_media_screen_init (EngineMediaScreen *self)
{
  self->backend = ENGINE_SCREENCAST_BACKEND_TEST;
}
