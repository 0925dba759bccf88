/* engine-session.c: keeps the session's JSON next to the parsed model for
 * what only the wire carries (joinUrl). */
#define G_LOG_DOMAIN "engine-session"

#include "engine-session.h"

struct _EngineSession
{
  GObject parent_instance;

  OmniSession *session;
  JsonObject *json;
};

G_DEFINE_FINAL_TYPE (EngineSession, engine_session, G_TYPE_OBJECT)

static OmniParticipant *
participant_at (EngineSession *self,
                guint          index)
{
  GPtrArray *participants = self->session->participants;

  return participants != NULL && index < participants->len ? g_ptr_array_index (participants, index) : NULL;
}

static void
engine_session_finalize (GObject *object)
{
  EngineSession *self = (EngineSession *) object;

  g_clear_pointer (&self->session, omni_session_free);
  g_clear_pointer (&self->json, json_object_unref);

  G_OBJECT_CLASS (engine_session_parent_class)->finalize (object);
}

static void
engine_session_class_init (EngineSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = engine_session_finalize;
}

static void
engine_session_init (EngineSession *self)
{
}

EngineSession *
engine_session_new_from_json (JsonObject  *object,
                              GError     **error)
{
  g_autoptr(OmniSession) session = NULL;
  EngineSession *self;

  g_return_val_if_fail (object != NULL, NULL);

  session = omni_session_new_from_json (object, error);
  if (session == NULL)
    return NULL;

  self = g_object_new (ENGINE_TYPE_SESSION, NULL);
  self->session = g_steal_pointer (&session);
  self->json = json_object_ref (object);
  return self;
}

const OmniSession *
engine_session_get_session (EngineSession *self)
{
  g_return_val_if_fail (ENGINE_IS_SESSION (self), NULL);
  return self->session;
}

const char *
engine_session_get_id (EngineSession *self)
{
  g_return_val_if_fail (ENGINE_IS_SESSION (self), NULL);
  return self->session->id;
}

const char *
engine_session_get_title (EngineSession *self)
{
  g_return_val_if_fail (ENGINE_IS_SESSION (self), NULL);
  return self->session->title;
}

OmniSessionStatus
engine_session_get_status (EngineSession *self)
{
  g_return_val_if_fail (ENGINE_IS_SESSION (self), 0);
  return self->session->status;
}

const char *
engine_session_get_join_url (EngineSession *self)
{
  JsonNode *node;

  g_return_val_if_fail (ENGINE_IS_SESSION (self), NULL);

  node = json_object_get_member (self->json, "joinUrl");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

const char *
engine_session_get_mail_state (EngineSession *self,
                               guint          participant)
{
  OmniParticipant *p;

  g_return_val_if_fail (ENGINE_IS_SESSION (self), NULL);
  p = participant_at (self, participant);
  return p ? p->mail_state : NULL;
}

const char *
engine_session_get_mail_error (EngineSession *self,
                               guint          participant)
{
  OmniParticipant *p;

  g_return_val_if_fail (ENGINE_IS_SESSION (self), NULL);
  p = participant_at (self, participant);
  return p ? p->mail_error : NULL;
}

gboolean
engine_session_can_start (EngineSession *self,
                          gint64         now_ms)
{
  g_return_val_if_fail (ENGINE_IS_SESSION (self), FALSE);
  return self->session->status == OMNI_SESSION_STATUS_SCHEDULED &&
         now_ms >= self->session->scheduled_start - OMNI_SESSION_EARLY_START_MS;
}
