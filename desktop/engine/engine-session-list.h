/* engine-session-list.h: a relay session listing (upcoming, past, a ticket's
 * sessions) as a GListModel of EngineSession, refreshed on demand. */
#pragma once

#include "engine-relay-client.h"

G_BEGIN_DECLS

#define ENGINE_TYPE_SESSION_LIST (engine_session_list_get_type ())
G_DECLARE_FINAL_TYPE (EngineSessionList, engine_session_list, ENGINE, SESSION_LIST, GObject)

EngineSessionList *engine_session_list_new         (EngineRelayClient *client,
                                                    const char        *path);
GListModel        *engine_session_list_get_model   (EngineSessionList *self);
void               engine_session_list_set_path    (EngineSessionList *self,
                                                    const char        *path);
/* Sets the sessions to fetch one by one by id (a ticket's sessions). */
void               engine_session_list_set_ids     (EngineSessionList *self,
                                                    const char * const *ids);
void               engine_session_list_refresh     (EngineSessionList *self);
gboolean           engine_session_list_get_loading (EngineSessionList *self);
/* The last refresh's error, or NULL. */
const GError      *engine_session_list_get_error   (EngineSessionList *self);
EngineSession     *engine_session_list_find        (EngineSessionList *self,
                                                    const char        *id);

G_END_DECLS
