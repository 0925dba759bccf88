/* engine-ticket-list.c: one query in flight at a time; a newer filter cancels
 * the older query so results never arrive out of order. */
#define G_LOG_DOMAIN "engine-ticket-list"

#include "engine-ticket-list.h"

struct _EngineTicketList
{
  GObject parent_instance;

  EngineTicketStore *store;
  GListStore *model;
  GCancellable *cancellable;
  int status;
  int priority;
  char *search;
  EngineTicketSort sort;
  gboolean loading;
  char *error;
};

enum {
  PROP_0,
  PROP_LOADING,
  PROP_ERROR,
  N_PROPS
};

enum {
  UPDATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EngineTicketList, engine_ticket_list, G_TYPE_OBJECT)

static void
set_loading (EngineTicketList *self,
             gboolean          loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
set_error (EngineTicketList *self,
           const char       *message)
{
  if (g_strcmp0 (self->error, message) == 0)
    return;
  g_free (self->error);
  self->error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void
on_query_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(EngineTicketList) self = user_data;
  g_autoptr(GPtrArray) tickets = NULL;
  g_autoptr(GError) error = NULL;

  tickets = engine_ticket_store_query_finish (ENGINE_TICKET_STORE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->cancellable);
  set_loading (self, FALSE);
  if (tickets == NULL)
    {
      set_error (self, error->message);
      g_list_store_remove_all (self->model);
    }
  else
    {
      set_error (self, NULL);
      g_list_store_splice (self->model, 0, g_list_model_get_n_items (G_LIST_MODEL (self->model)),
                           tickets->pdata, tickets->len);
    }
  g_signal_emit (self, signals[UPDATED], 0);
}

static void
on_store_changed (EngineTicketList *self,
                  gint64            ticket_id)
{
  engine_ticket_list_refresh (self);
}

static void
engine_ticket_list_dispose (GObject *object)
{
  EngineTicketList *self = (EngineTicketList *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (engine_ticket_list_parent_class)->dispose (object);
}

static void
engine_ticket_list_finalize (GObject *object)
{
  EngineTicketList *self = (EngineTicketList *) object;

  g_free (self->search);
  g_free (self->error);

  G_OBJECT_CLASS (engine_ticket_list_parent_class)->finalize (object);
}

static void
engine_ticket_list_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  EngineTicketList *self = ENGINE_TICKET_LIST (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
engine_ticket_list_class_init (EngineTicketListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = engine_ticket_list_dispose;
  object_class->finalize = engine_ticket_list_finalize;
  object_class->get_property = engine_ticket_list_get_property;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A query finished and the model holds its result. */
  signals[UPDATED] =
    g_signal_new ("updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
engine_ticket_list_init (EngineTicketList *self)
{
  self->model = g_list_store_new (ENGINE_TYPE_TICKET);
  self->status = -1;
  self->priority = -1;
}

EngineTicketList *
engine_ticket_list_new (EngineTicketStore *store)
{
  EngineTicketList *self;

  g_return_val_if_fail (ENGINE_IS_TICKET_STORE (store), NULL);

  self = g_object_new (ENGINE_TYPE_TICKET_LIST, NULL);
  self->store = g_object_ref (store);
  g_signal_connect_object (store, "changed", G_CALLBACK (on_store_changed), self, G_CONNECT_SWAPPED);
  return self;
}

GListModel *
engine_ticket_list_get_model (EngineTicketList *self)
{
  g_return_val_if_fail (ENGINE_IS_TICKET_LIST (self), NULL);
  return G_LIST_MODEL (self->model);
}

void
engine_ticket_list_set_status (EngineTicketList *self,
                               int               status)
{
  g_return_if_fail (ENGINE_IS_TICKET_LIST (self));
  if (self->status == status)
    return;
  self->status = status;
  engine_ticket_list_refresh (self);
}

void
engine_ticket_list_set_priority (EngineTicketList *self,
                                 int               priority)
{
  g_return_if_fail (ENGINE_IS_TICKET_LIST (self));
  if (self->priority == priority)
    return;
  self->priority = priority;
  engine_ticket_list_refresh (self);
}

void
engine_ticket_list_set_search (EngineTicketList *self,
                               const char       *search)
{
  g_return_if_fail (ENGINE_IS_TICKET_LIST (self));
  if (g_strcmp0 (self->search, search) == 0)
    return;
  g_free (self->search);
  self->search = g_strdup (search);
  engine_ticket_list_refresh (self);
}

void
engine_ticket_list_set_sort (EngineTicketList *self,
                             EngineTicketSort  sort)
{
  g_return_if_fail (ENGINE_IS_TICKET_LIST (self));
  if (self->sort == sort)
    return;
  self->sort = sort;
  engine_ticket_list_refresh (self);
}

void
engine_ticket_list_refresh (EngineTicketList *self)
{
  EngineTicketQuery query = ENGINE_TICKET_QUERY_INIT;

  g_return_if_fail (ENGINE_IS_TICKET_LIST (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  query.status = self->status;
  query.priority = self->priority;
  query.search = self->search;
  query.sort = self->sort;
  set_loading (self, TRUE);
  engine_ticket_store_query_async (self->store, &query, self->cancellable, on_query_done, g_object_ref (self));
}

gboolean
engine_ticket_list_get_loading (EngineTicketList *self)
{
  g_return_val_if_fail (ENGINE_IS_TICKET_LIST (self), FALSE);
  return self->loading;
}

const char *
engine_ticket_list_get_error (EngineTicketList *self)
{
  g_return_val_if_fail (ENGINE_IS_TICKET_LIST (self), NULL);
  return self->error;
}
