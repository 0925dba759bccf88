/* relay-ratelimit.h: counts failures per key in a sliding window (wrong
 * passwords per link and client address). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RelayRateLimit RelayRateLimit;

RelayRateLimit *relay_rate_limit_new     (guint           max_failures,
                                          gint64          window_ms);
void            relay_rate_limit_free    (RelayRateLimit *limit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayRateLimit, relay_rate_limit_free)

/* 0 when the key may try now, else the seconds until it may. */
guint           relay_rate_limit_check   (RelayRateLimit *limit,
                                          const char     *key,
                                          gint64          now_ms);
void            relay_rate_limit_fail    (RelayRateLimit *limit,
                                          const char     *key,
                                          gint64          now_ms);
/* Drops keys whose failures have all left the window. */
void            relay_rate_limit_prune   (RelayRateLimit *limit,
                                          gint64          now_ms);

G_END_DECLS
