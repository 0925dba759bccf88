/* engine-message.c: an immutable thread entry read from the ticket store. */
#define G_LOG_DOMAIN "engine-message"

#include "desktop-config.h"

#include <glib/gi18n.h>

#include "engine-message.h"
#include "engine-ticket.h"

struct _EngineMessage
{
  GObject parent_instance;

  gint64 id;
  gint64 ticket_id;
  EngineMessageKind kind;
  char *author;
  char *body;
  char *field;
  char *old_value;
  char *new_value;
  gint64 created_at;
};

G_DEFINE_FINAL_TYPE (EngineMessage, engine_message, G_TYPE_OBJECT)

/* Event values are stored as wire names so the thread reads in whatever
 * language the agent uses today, not the one of the day of the change. */
static const char *
value_label (const char *field,
             const char *value)
{
  if (g_strcmp0 (field, "status") == 0)
    {
      for (guint i = 0; i < ENGINE_TICKET_N_STATUSES; i++)
        if (g_strcmp0 (value, engine_ticket_status_to_string (i)) == 0)
          return engine_ticket_status_get_label (i);
    }
  else if (g_strcmp0 (field, "priority") == 0)
    {
      for (guint i = 0; i < ENGINE_TICKET_N_PRIORITIES; i++)
        if (g_strcmp0 (value, engine_ticket_priority_to_string (i)) == 0)
          return engine_ticket_priority_get_label (i);
    }
  return value;
}

static void
engine_message_finalize (GObject *object)
{
  EngineMessage *self = (EngineMessage *) object;

  g_free (self->author);
  g_free (self->body);
  g_free (self->field);
  g_free (self->old_value);
  g_free (self->new_value);

  G_OBJECT_CLASS (engine_message_parent_class)->finalize (object);
}

static void
engine_message_class_init (EngineMessageClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = engine_message_finalize;
}

static void
engine_message_init (EngineMessage *self)
{
}

EngineMessage *
engine_message_new (gint64             id,
                    gint64             ticket_id,
                    EngineMessageKind  kind,
                    const char        *author,
                    const char        *body,
                    const char        *field,
                    const char        *old_value,
                    const char        *new_value,
                    gint64             created_at)
{
  EngineMessage *self = g_object_new (ENGINE_TYPE_MESSAGE, NULL);

  self->id = id;
  self->ticket_id = ticket_id;
  self->kind = kind;
  self->author = g_strdup (author);
  self->body = g_strdup (body);
  self->field = g_strdup (field);
  self->old_value = g_strdup (old_value);
  self->new_value = g_strdup (new_value);
  self->created_at = created_at;
  return self;
}

gint64
engine_message_get_id (EngineMessage *self)
{
  g_return_val_if_fail (ENGINE_IS_MESSAGE (self), 0);
  return self->id;
}

gint64
engine_message_get_ticket_id (EngineMessage *self)
{
  g_return_val_if_fail (ENGINE_IS_MESSAGE (self), 0);
  return self->ticket_id;
}

EngineMessageKind
engine_message_get_kind (EngineMessage *self)
{
  g_return_val_if_fail (ENGINE_IS_MESSAGE (self), 0);
  return self->kind;
}

const char *
engine_message_get_author (EngineMessage *self)
{
  g_return_val_if_fail (ENGINE_IS_MESSAGE (self), NULL);
  return self->author;
}

const char *
engine_message_get_body (EngineMessage *self)
{
  g_return_val_if_fail (ENGINE_IS_MESSAGE (self), NULL);
  return self->body;
}

const char *
engine_message_get_field (EngineMessage *self)
{
  g_return_val_if_fail (ENGINE_IS_MESSAGE (self), NULL);
  return self->field;
}

const char *
engine_message_get_old_value (EngineMessage *self)
{
  g_return_val_if_fail (ENGINE_IS_MESSAGE (self), NULL);
  return self->old_value;
}

const char *
engine_message_get_new_value (EngineMessage *self)
{
  g_return_val_if_fail (ENGINE_IS_MESSAGE (self), NULL);
  return self->new_value;
}

gint64
engine_message_get_created_at (EngineMessage *self)
{
  g_return_val_if_fail (ENGINE_IS_MESSAGE (self), 0);
  return self->created_at;
}

char *
engine_message_dup_display_text (EngineMessage *self)
{
  g_return_val_if_fail (ENGINE_IS_MESSAGE (self), NULL);

  if (self->kind != ENGINE_MESSAGE_EVENT)
    return g_strdup (self->body);

  if (g_strcmp0 (self->field, "status") == 0)
    /* Translators: a ticket's status changed, e.g. "from Open to Pending" */
    return g_strdup_printf (_("Status changed from %s to %s"),
                            value_label (self->field, self->old_value),
                            value_label (self->field, self->new_value));
  if (g_strcmp0 (self->field, "priority") == 0)
    return g_strdup_printf (_("Priority changed from %s to %s"),
                            value_label (self->field, self->old_value),
                            value_label (self->field, self->new_value));
  if (g_strcmp0 (self->field, "session") == 0)
    return g_strdup_printf (_("Video call scheduled (session %s)"), self->new_value);
  return g_strdup (self->body);
}
