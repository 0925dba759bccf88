/* engine-ticket-list.h: the ticket list the window shows — a GListModel of
 * EngineTicket kept in step with the store and the current filters. */
#pragma once

#include "engine-ticket-store.h"

G_BEGIN_DECLS

#define ENGINE_TYPE_TICKET_LIST (engine_ticket_list_get_type ())
G_DECLARE_FINAL_TYPE (EngineTicketList, engine_ticket_list, ENGINE, TICKET_LIST, GObject)

EngineTicketList *engine_ticket_list_new          (EngineTicketStore *store);
GListModel       *engine_ticket_list_get_model    (EngineTicketList  *self);
void              engine_ticket_list_set_status   (EngineTicketList  *self,
                                                   int                status);
void              engine_ticket_list_set_priority (EngineTicketList  *self,
                                                   int                priority);
void              engine_ticket_list_set_search   (EngineTicketList  *self,
                                                   const char        *search);
void              engine_ticket_list_set_sort     (EngineTicketList  *self,
                                                   EngineTicketSort   sort);
/* Runs the query again (the store changed, or was reopened). */
void              engine_ticket_list_refresh      (EngineTicketList  *self);
gboolean          engine_ticket_list_get_loading  (EngineTicketList  *self);
/* The last query's error message, or NULL. */
const char       *engine_ticket_list_get_error    (EngineTicketList  *self);

G_END_DECLS
