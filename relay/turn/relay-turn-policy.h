/* relay-turn-policy.h: which peer addresses the relay may send to (CreatePermission,
 * ChannelBind, Send).  Denied by default: every address that reaches the relay host itself
 * or its private networks, in every IPv6 spelling that embeds such an IPv4 address. */
#pragma once

#include <glib.h>
#include <sys/socket.h>

G_BEGIN_DECLS

typedef struct _RelayTurnPolicy RelayTurnPolicy;

/* allowed: CIDR strings ("127.0.0.1/32", "10.0.0.0/8", "fd00::/8", a bare address) that are
 * opened despite the default deny list; may be NULL. */
RelayTurnPolicy *relay_turn_policy_new     (const char * const *allowed,
                                            GError            **error);
void             relay_turn_policy_free    (RelayTurnPolicy    *policy);
gboolean         relay_turn_policy_allows  (const RelayTurnPolicy  *policy,
                                            const struct sockaddr  *peer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayTurnPolicy, relay_turn_policy_free)

G_END_DECLS
