/* relay-turn-private.h: hooks for tests and the benchmark server, not for the relay. */
#pragma once

#include "relay-turn.h"

G_BEGIN_DECLS

/* Moves the server's clocks (nonce, credential, allocation, permission and channel expiry)
 * forward by seconds, and makes the data thread sweep expired state right away. */
void   relay_turn_server_advance_clock      (RelayTurnServer *self,
                                             gint64           seconds);
/* Number of live allocations (read from any thread). */
guint  relay_turn_server_get_allocation_count (RelayTurnServer *self);
/* Datagrams dropped for want of a permission (either direction), so tests can wait for a
 * drop instead of sleeping. */
guint  relay_turn_server_get_drop_count     (RelayTurnServer *self);
/* The advertised host (external_ip, the listen address or the detected one). */
char  *relay_turn_server_dup_host           (RelayTurnServer *self);

G_END_DECLS
