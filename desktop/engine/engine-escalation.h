/* engine-escalation.h: "Escalate to video call" — a support_call session on
 * the relay for a ticket's customer, linked to the ticket, with the join link
 * posted into the ticket's thread (the seed's "Create Session from Ticket"). */
#pragma once

#include "engine-relay-client.h"
#include "engine-ticket-store.h"

G_BEGIN_DECLS

#define ENGINE_ESCALATION_LEAD_MS      (15 * 60 * G_GINT64_CONSTANT (1000))
#define ENGINE_ESCALATION_DURATION_MS  (30 * 60 * G_GINT64_CONSTANT (1000))

/* The POST /api/sessions body for the ticket. */
JsonObject    *engine_escalation_build_request (EngineTicket      *ticket,
                                                gint64             now_ms);
/* The join link of a session: its joinUrl, else base_url/session/join/link. */
char          *engine_escalation_dup_join_link (EngineSession     *session,
                                                const char        *base_url);

void           engine_escalate_ticket_async    (EngineRelayClient  *client,
                                                EngineTicketStore  *store,
                                                EngineTicket       *ticket,
                                                const char         *agent_name,
                                                GCancellable       *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer            user_data);
EngineSession *engine_escalate_ticket_finish   (GAsyncResult       *result,
                                                GError            **error);

G_END_DECLS
