/* engine-session-list.c: a refresh replaces the whole model once every
 * request of it has answered; a newer refresh cancels the older one. */
#define G_LOG_DOMAIN "engine-session-list"

#include "engine-session-list.h"

struct _EngineSessionList
{
  GObject parent_instance;

  EngineRelayClient *client;
  GListStore *model;
  GCancellable *cancellable;
  char *path;
  GStrv ids;
  gboolean loading;
  GError *error;
};

enum {
  PROP_0,
  PROP_LOADING,
  N_PROPS
};

enum {
  UPDATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EngineSessionList, engine_session_list, G_TYPE_OBJECT)

/* One refresh: the answers of each per-id request, in order. */
typedef struct {
  EngineSessionList *self;
  GCancellable *cancellable;
  GPtrArray *sessions;
  guint pending;
  GError *error;
} Refresh;

static void
finish_refresh (Refresh *refresh)
{
  EngineSessionList *self = refresh->self;

  if (!g_cancellable_is_cancelled (refresh->cancellable))
    {
      g_clear_object (&self->cancellable);
      g_clear_error (&self->error);
      self->error = g_steal_pointer (&refresh->error);
      if (self->error == NULL || refresh->sessions->len > 0)
        g_list_store_splice (self->model, 0, g_list_model_get_n_items (G_LIST_MODEL (self->model)),
                             refresh->sessions->pdata, refresh->sessions->len);
      self->loading = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
      g_signal_emit (self, signals[UPDATED], 0);
    }

  g_clear_error (&refresh->error);
  g_ptr_array_unref (refresh->sessions);
  g_object_unref (refresh->cancellable);
  g_object_unref (refresh->self);
  g_free (refresh);
}

static void
on_list_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Refresh *refresh = user_data;
  g_autoptr(GPtrArray) sessions = NULL;

  sessions = engine_relay_client_list_sessions_finish (ENGINE_RELAY_CLIENT (source), result, &refresh->error);
  if (sessions != NULL)
    g_ptr_array_extend_and_steal (refresh->sessions, g_steal_pointer (&sessions));
  finish_refresh (refresh);
}

/* Per-id answers keep their slot so the order matches the ids. */
typedef struct {
  Refresh *refresh;
  guint index;
} Slot;

static void
on_one_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Slot *slot = user_data;
  Refresh *refresh = slot->refresh;
  g_autoptr(GPtrArray) sessions = NULL;
  g_autoptr(GError) error = NULL;

  sessions = engine_relay_client_list_sessions_finish (ENGINE_RELAY_CLIENT (source), result, &error);
  if (sessions != NULL && sessions->len > 0)
    g_ptr_array_index (refresh->sessions, slot->index) = g_object_ref (g_ptr_array_index (sessions, 0));
  else if (refresh->error == NULL && error != NULL)
    refresh->error = g_steal_pointer (&error);
  g_free (slot);

  if (--refresh->pending == 0)
    {
      /* Drop the slots of sessions that could not be read. */
      for (guint i = refresh->sessions->len; i > 0; i--)
        if (g_ptr_array_index (refresh->sessions, i - 1) == NULL)
          g_ptr_array_steal_index (refresh->sessions, i - 1);
      finish_refresh (refresh);
    }
}

static void
engine_session_list_dispose (GObject *object)
{
  EngineSessionList *self = (EngineSessionList *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (engine_session_list_parent_class)->dispose (object);
}

static void
engine_session_list_finalize (GObject *object)
{
  EngineSessionList *self = (EngineSessionList *) object;

  g_free (self->path);
  g_strfreev (self->ids);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (engine_session_list_parent_class)->finalize (object);
}

static void
engine_session_list_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  EngineSessionList *self = ENGINE_SESSION_LIST (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
engine_session_list_class_init (EngineSessionListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = engine_session_list_dispose;
  object_class->finalize = engine_session_list_finalize;
  object_class->get_property = engine_session_list_get_property;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A refresh finished: the model, loading and error are current. */
  signals[UPDATED] =
    g_signal_new ("updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
engine_session_list_init (EngineSessionList *self)
{
  self->model = g_list_store_new (ENGINE_TYPE_SESSION);
}

EngineSessionList *
engine_session_list_new (EngineRelayClient *client,
                         const char        *path)
{
  EngineSessionList *self;

  g_return_val_if_fail (ENGINE_IS_RELAY_CLIENT (client), NULL);

  self = g_object_new (ENGINE_TYPE_SESSION_LIST, NULL);
  self->client = g_object_ref (client);
  self->path = g_strdup (path);
  return self;
}

GListModel *
engine_session_list_get_model (EngineSessionList *self)
{
  g_return_val_if_fail (ENGINE_IS_SESSION_LIST (self), NULL);
  return G_LIST_MODEL (self->model);
}

void
engine_session_list_set_path (EngineSessionList *self,
                              const char        *path)
{
  g_return_if_fail (ENGINE_IS_SESSION_LIST (self));

  g_free (self->path);
  self->path = g_strdup (path);
  g_clear_pointer (&self->ids, g_strfreev);
}

void
engine_session_list_set_ids (EngineSessionList  *self,
                             const char * const *ids)
{
  g_return_if_fail (ENGINE_IS_SESSION_LIST (self));

  g_strfreev (self->ids);
  self->ids = g_strdupv ((char **) ids);
  g_clear_pointer (&self->path, g_free);
}

void
engine_session_list_refresh (EngineSessionList *self)
{
  Refresh *refresh;

  g_return_if_fail (ENGINE_IS_SESSION_LIST (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  refresh = g_new0 (Refresh, 1);
  refresh->self = g_object_ref (self);
  refresh->cancellable = g_object_ref (self->cancellable);
  refresh->sessions = g_ptr_array_new_with_free_func (g_object_unref);

  if (!self->loading)
    {
      self->loading = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
    }

  if (self->ids != NULL)
    {
      guint n = g_strv_length (self->ids);

      if (n == 0)
        {
          finish_refresh (refresh);
          return;
        }
      g_ptr_array_set_size (refresh->sessions, n);
      refresh->pending = n;
      for (guint i = 0; i < n; i++)
        {
          g_autofree char *escaped = g_uri_escape_string (self->ids[i], NULL, FALSE);
          g_autofree char *path = g_strconcat ("/api/sessions/", escaped, NULL);
          Slot *slot = g_new0 (Slot, 1);

          slot->refresh = refresh;
          slot->index = i;
          engine_relay_client_list_sessions_async (self->client, path, self->cancellable, on_one_done, slot);
        }
      return;
    }

  engine_relay_client_list_sessions_async (self->client, self->path ? self->path : "/api/sessions",
                                           self->cancellable, on_list_done, refresh);
}

gboolean
engine_session_list_get_loading (EngineSessionList *self)
{
  g_return_val_if_fail (ENGINE_IS_SESSION_LIST (self), FALSE);
  return self->loading;
}

const GError *
engine_session_list_get_error (EngineSessionList *self)
{
  g_return_val_if_fail (ENGINE_IS_SESSION_LIST (self), NULL);
  return self->error;
}

EngineSession *
engine_session_list_find (EngineSessionList *self,
                          const char        *id)
{
  guint n;

  g_return_val_if_fail (ENGINE_IS_SESSION_LIST (self), NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EngineSession) session = g_list_model_get_item (G_LIST_MODEL (self->model), i);
      if (g_strcmp0 (engine_session_get_id (session), id) == 0)
        return session;
    }
  return NULL;
}
