/* engine-reminders.c: checks the upcoming list every 20 seconds; each
 * session is announced once (its id is remembered). */
#define G_LOG_DOMAIN "engine-reminders"

#include "desktop-config.h"

#include <glib/gi18n.h>

#include "omni-time.h"

#include "engine-format.h"
#include "engine-reminders.h"

#define CHECK_INTERVAL_S 20

struct _EngineReminders
{
  GObject parent_instance;

  GApplication *application;   /* weak: the application owns us */
  EngineAccount *account;
  EngineSessionList *upcoming;
  GHashTable *sent;
  guint timeout_id;
  gboolean enabled;
};

G_DEFINE_FINAL_TYPE (EngineReminders, engine_reminders, G_TYPE_OBJECT)

static gboolean
on_tick (gpointer user_data)
{
  engine_reminders_check (user_data, omni_time_now_ms ());
  return G_SOURCE_CONTINUE;
}

static void
engine_reminders_dispose (GObject *object)
{
  EngineReminders *self = (EngineReminders *) object;

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_object (&self->account);
  g_clear_object (&self->upcoming);
  g_clear_pointer (&self->sent, g_hash_table_unref);

  G_OBJECT_CLASS (engine_reminders_parent_class)->dispose (object);
}

static void
engine_reminders_class_init (EngineRemindersClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = engine_reminders_dispose;
}

static void
engine_reminders_init (EngineReminders *self)
{
  self->sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->enabled = TRUE;
}

EngineReminders *
engine_reminders_new (GApplication      *application,
                      EngineAccount     *account,
                      EngineSessionList *upcoming)
{
  EngineReminders *self;

  g_return_val_if_fail (G_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (ENGINE_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (ENGINE_IS_SESSION_LIST (upcoming), NULL);

  self = g_object_new (ENGINE_TYPE_REMINDERS, NULL);
  self->application = application;
  self->account = g_object_ref (account);
  self->upcoming = g_object_ref (upcoming);
  self->timeout_id = g_timeout_add_seconds (CHECK_INTERVAL_S, on_tick, self);
  return self;
}

void
engine_reminders_set_enabled (EngineReminders *self,
                              gboolean         enabled)
{
  g_return_if_fail (ENGINE_IS_REMINDERS (self));
  self->enabled = enabled;
}

guint
engine_reminders_check (EngineReminders *self,
                        gint64           now_ms)
{
  GListModel *model;
  const char *me;
  guint sent = 0;

  g_return_val_if_fail (ENGINE_IS_REMINDERS (self), 0);

  me = engine_account_get_host_id (self->account);
  if (!self->enabled || me == NULL || engine_account_get_state (self->account) != ENGINE_ACCOUNT_SIGNED_IN)
    return 0;

  model = engine_session_list_get_model (self->upcoming);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(EngineSession) item = g_list_model_get_item (model, i);
      const OmniSession *session = engine_session_get_session (item);
      g_autoptr(GNotification) notification = NULL;
      g_autofree char *id = NULL;
      g_autofree char *when = NULL;
      g_autofree char *body = NULL;

      if (session->status != OMNI_SESSION_STATUS_SCHEDULED ||
          g_strcmp0 (session->host_id, me) != 0 ||
          session->scheduled_start - now_ms > ENGINE_REMINDER_LEAD_MS ||
          session->scheduled_start < now_ms - ENGINE_REMINDER_LEAD_MS ||
          g_hash_table_contains (self->sent, session->id))
        continue;

      g_hash_table_add (self->sent, g_strdup (session->id));
      when = engine_format_time (session->scheduled_start);
      notification = g_notification_new (session->title);
      body = g_strdup_printf (_("Your session starts at %s"), when);
      g_notification_set_body (notification, body);
      g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
      g_notification_set_default_action_and_target (notification, "app.show-sessions", NULL);
      id = g_strconcat ("session-", session->id, NULL);
      g_application_send_notification (self->application, id, notification);
      sent++;
    }
  return sent;
}
