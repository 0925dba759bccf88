/* engine-reminders.h: a desktop notification (GNotification) 5 minutes
 * before each upcoming session the signed-in agent hosts. */
#pragma once

#include "engine-account.h"
#include "engine-session-list.h"

G_BEGIN_DECLS

#define ENGINE_REMINDER_LEAD_MS (5 * 60 * G_GINT64_CONSTANT (1000))

#define ENGINE_TYPE_REMINDERS (engine_reminders_get_type ())
G_DECLARE_FINAL_TYPE (EngineReminders, engine_reminders, ENGINE, REMINDERS, GObject)

EngineReminders *engine_reminders_new     (GApplication      *application,
                                           EngineAccount     *account,
                                           EngineSessionList *upcoming);
void             engine_reminders_set_enabled (EngineReminders *self,
                                               gboolean         enabled);
/* Sends what is due at now_ms; returns how many notifications went out. */
guint            engine_reminders_check   (EngineReminders   *self,
                                           gint64             now_ms);

G_END_DECLS
