/* engine-ticket.h: one support ticket as the list and the ticket view show it,
 * plus the ticket enums (status, priority, message kind) and their labels. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  ENGINE_TICKET_STATUS_OPEN,
  ENGINE_TICKET_STATUS_PENDING,
  ENGINE_TICKET_STATUS_RESOLVED,
  ENGINE_TICKET_STATUS_CLOSED,
  ENGINE_TICKET_N_STATUSES,
} EngineTicketStatus;

typedef enum {
  ENGINE_TICKET_PRIORITY_LOW,
  ENGINE_TICKET_PRIORITY_NORMAL,
  ENGINE_TICKET_PRIORITY_HIGH,
  ENGINE_TICKET_PRIORITY_URGENT,
  ENGINE_TICKET_N_PRIORITIES,
} EngineTicketPriority;

const char *engine_ticket_status_to_string   (EngineTicketStatus   status);
const char *engine_ticket_status_get_label   (EngineTicketStatus   status);
const char *engine_ticket_priority_to_string (EngineTicketPriority priority);
const char *engine_ticket_priority_get_label (EngineTicketPriority priority);

#define ENGINE_TYPE_TICKET (engine_ticket_get_type ())
G_DECLARE_FINAL_TYPE (EngineTicket, engine_ticket, ENGINE, TICKET, GObject)

EngineTicket        *engine_ticket_new                (gint64                id,
                                                       const char           *subject,
                                                       const char           *customer_name,
                                                       const char           *customer_email,
                                                       EngineTicketStatus    status,
                                                       EngineTicketPriority  priority,
                                                       gint64                created_at,
                                                       gint64                updated_at);
gint64               engine_ticket_get_id             (EngineTicket *self);
const char          *engine_ticket_get_subject        (EngineTicket *self);
const char          *engine_ticket_get_customer_name  (EngineTicket *self);
const char          *engine_ticket_get_customer_email (EngineTicket *self);
EngineTicketStatus   engine_ticket_get_status         (EngineTicket *self);
EngineTicketPriority engine_ticket_get_priority       (EngineTicket *self);
gint64               engine_ticket_get_created_at     (EngineTicket *self);
gint64               engine_ticket_get_updated_at     (EngineTicket *self);

G_END_DECLS
