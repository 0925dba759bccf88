/* engine-session.h: a relay session as the desktop lists it: the shared
 * OmniSession model plus what only the wire carries (join URL, mail state). */
#pragma once

#include <json-glib/json-glib.h>

#include "omni-session.h"

G_BEGIN_DECLS

#define ENGINE_TYPE_SESSION (engine_session_get_type ())
G_DECLARE_FINAL_TYPE (EngineSession, engine_session, ENGINE, SESSION, GObject)

EngineSession     *engine_session_new_from_json        (JsonObject    *object,
                                                        GError       **error);
const OmniSession *engine_session_get_session          (EngineSession *self);
const char        *engine_session_get_id               (EngineSession *self);
const char        *engine_session_get_title            (EngineSession *self);
OmniSessionStatus  engine_session_get_status           (EngineSession *self);
/* joinUrl as the relay gives it, or NULL. */
const char        *engine_session_get_join_url         (EngineSession *self);
/* The state of the newest e-mail to the invitee (queued, sending, sent,
 * failed) and its last error, when the relay reports them; else NULL. */
const char        *engine_session_get_mail_state       (EngineSession *self,
                                                        guint          participant);
const char        *engine_session_get_mail_error       (EngineSession *self,
                                                        guint          participant);
/* A session can be started from 15 minutes before its start time. */
gboolean           engine_session_can_start            (EngineSession *self,
                                                        gint64         now_ms);

G_END_DECLS
