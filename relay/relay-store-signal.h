/* relay-store-signal.h: the participant records signaling changes — guests
 * found by token, entering and leaving the call (analytics), admission,
 * denial and removal (which kills the guest's token for the session). */
#pragma once

#include "relay-store.h"

G_BEGIN_DECLS

/* The guest holding that token, in any state, and its session's id.
 * NULL without error when no participant has that token. */
OmniParticipant *relay_store_signal_find_guest (RelayStore  *store,
                                                const char  *token_hash,
                                                char       **out_session_id,
                                                GError     **error);

/* The guest is in the call from now: state admitted, joinedAt set on the
 * first entry, a call opened (in_call_since) if none is, peak updated. */
gboolean         relay_store_signal_enter_call (RelayStore  *store,
                                                const char  *session_id,
                                                const char  *participant_id,
                                                gint64       now_ms,
                                                GError     **error);

/* Back in the waiting room (a guest who left and comes back). */
gboolean         relay_store_signal_set_waiting (RelayStore  *store,
                                                 const char  *session_id,
                                                 const char  *participant_id,
                                                 GError     **error);

/* Ends the guest's call (if any) and gives it a final state, "denied" or
 * "removed": a token in either state is refused by signaling. */
gboolean         relay_store_signal_close      (RelayStore  *store,
                                                const char  *session_id,
                                                const char  *participant_id,
                                                const char  *final_state,
                                                gint64       now_ms,
                                                GError     **error);

G_END_DECLS
