/* engine-ticket.c: an immutable snapshot of one ticket row; the store hands
 * out fresh snapshots after every change, so rows never go stale silently. */
#define G_LOG_DOMAIN "engine-ticket"

#include "desktop-config.h"

#include <glib/gi18n.h>

#include "engine-ticket.h"

struct _EngineTicket
{
  GObject parent_instance;

  gint64 id;
  char *subject;
  char *customer_name;
  char *customer_email;
  EngineTicketStatus status;
  EngineTicketPriority priority;
  gint64 created_at;
  gint64 updated_at;
};

enum {
  PROP_0,
  PROP_ID,
  PROP_SUBJECT,
  PROP_CUSTOMER_NAME,
  PROP_CUSTOMER_EMAIL,
  PROP_STATUS,
  PROP_PRIORITY,
  PROP_UPDATED_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (EngineTicket, engine_ticket, G_TYPE_OBJECT)

static const char * const status_names[ENGINE_TICKET_N_STATUSES] = {
  "open", "pending", "resolved", "closed",
};
static const char * const priority_names[ENGINE_TICKET_N_PRIORITIES] = {
  "low", "normal", "high", "urgent",
};

const char *
engine_ticket_status_to_string (EngineTicketStatus status)
{
  g_return_val_if_fail (status < ENGINE_TICKET_N_STATUSES, NULL);
  return status_names[status];
}

const char *
engine_ticket_status_get_label (EngineTicketStatus status)
{
  static const char * const labels[ENGINE_TICKET_N_STATUSES] = {
    N_("Open"), N_("Pending"), N_("Resolved"), N_("Closed"),
  };
  g_return_val_if_fail (status < ENGINE_TICKET_N_STATUSES, NULL);
  return _(labels[status]);
}

const char *
engine_ticket_priority_to_string (EngineTicketPriority priority)
{
  g_return_val_if_fail (priority < ENGINE_TICKET_N_PRIORITIES, NULL);
  return priority_names[priority];
}

const char *
engine_ticket_priority_get_label (EngineTicketPriority priority)
{
  static const char * const labels[ENGINE_TICKET_N_PRIORITIES] = {
    N_("Low"), N_("Normal"), N_("High"), N_("Urgent"),
  };
  g_return_val_if_fail (priority < ENGINE_TICKET_N_PRIORITIES, NULL);
  return _(labels[priority]);
}

static void
engine_ticket_finalize (GObject *object)
{
  EngineTicket *self = (EngineTicket *) object;

  g_free (self->subject);
  g_free (self->customer_name);
  g_free (self->customer_email);

  G_OBJECT_CLASS (engine_ticket_parent_class)->finalize (object);
}

static void
engine_ticket_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  EngineTicket *self = ENGINE_TICKET (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case PROP_SUBJECT:
      g_value_set_string (value, self->subject);
      break;
    case PROP_CUSTOMER_NAME:
      g_value_set_string (value, self->customer_name);
      break;
    case PROP_CUSTOMER_EMAIL:
      g_value_set_string (value, self->customer_email);
      break;
    case PROP_STATUS:
      g_value_set_int (value, self->status);
      break;
    case PROP_PRIORITY:
      g_value_set_int (value, self->priority);
      break;
    case PROP_UPDATED_AT:
      g_value_set_int64 (value, self->updated_at);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
engine_ticket_class_init (EngineTicketClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = engine_ticket_finalize;
  object_class->get_property = engine_ticket_get_property;

  properties[PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SUBJECT] =
    g_param_spec_string ("subject", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_CUSTOMER_NAME] =
    g_param_spec_string ("customer-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_CUSTOMER_EMAIL] =
    g_param_spec_string ("customer-email", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_STATUS] =
    g_param_spec_int ("status", NULL, NULL, 0, ENGINE_TICKET_N_STATUSES - 1, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PRIORITY] =
    g_param_spec_int ("priority", NULL, NULL, 0, ENGINE_TICKET_N_PRIORITIES - 1, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_UPDATED_AT] =
    g_param_spec_int64 ("updated-at", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
engine_ticket_init (EngineTicket *self)
{
}

EngineTicket *
engine_ticket_new (gint64                id,
                   const char           *subject,
                   const char           *customer_name,
                   const char           *customer_email,
                   EngineTicketStatus    status,
                   EngineTicketPriority  priority,
                   gint64                created_at,
                   gint64                updated_at)
{
  EngineTicket *self = g_object_new (ENGINE_TYPE_TICKET, NULL);

  self->id = id;
  self->subject = g_strdup (subject);
  self->customer_name = g_strdup (customer_name);
  self->customer_email = g_strdup (customer_email);
  self->status = status;
  self->priority = priority;
  self->created_at = created_at;
  self->updated_at = updated_at;
  return self;
}

gint64
engine_ticket_get_id (EngineTicket *self)
{
  g_return_val_if_fail (ENGINE_IS_TICKET (self), 0);
  return self->id;
}

const char *
engine_ticket_get_subject (EngineTicket *self)
{
  g_return_val_if_fail (ENGINE_IS_TICKET (self), NULL);
  return self->subject;
}

const char *
engine_ticket_get_customer_name (EngineTicket *self)
{
  g_return_val_if_fail (ENGINE_IS_TICKET (self), NULL);
  return self->customer_name;
}

const char *
engine_ticket_get_customer_email (EngineTicket *self)
{
  g_return_val_if_fail (ENGINE_IS_TICKET (self), NULL);
  return self->customer_email;
}

EngineTicketStatus
engine_ticket_get_status (EngineTicket *self)
{
  g_return_val_if_fail (ENGINE_IS_TICKET (self), 0);
  return self->status;
}

EngineTicketPriority
engine_ticket_get_priority (EngineTicket *self)
{
  g_return_val_if_fail (ENGINE_IS_TICKET (self), 0);
  return self->priority;
}

gint64
engine_ticket_get_created_at (EngineTicket *self)
{
  g_return_val_if_fail (ENGINE_IS_TICKET (self), 0);
  return self->created_at;
}

gint64
engine_ticket_get_updated_at (EngineTicket *self)
{
  g_return_val_if_fail (ENGINE_IS_TICKET (self), 0);
  return self->updated_at;
}
