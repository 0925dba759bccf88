/* relay-ratelimit.c: a ring of the last max_failures failure times per key. */
#define G_LOG_DOMAIN "relay-ratelimit"

#include "relay-ratelimit.h"

struct _RelayRateLimit {
  guint       max_failures;
  gint64      window_ms;
  GHashTable *keys;   /* key → GArray of gint64, oldest first, at most max_failures */
};

RelayRateLimit *
relay_rate_limit_new (guint  max_failures,
                      gint64 window_ms)
{
  RelayRateLimit *limit = g_new0 (RelayRateLimit, 1);

  g_return_val_if_fail (max_failures > 0, NULL);
  limit->max_failures = max_failures;
  limit->window_ms = window_ms;
  limit->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
  return limit;
}

void
relay_rate_limit_free (RelayRateLimit *limit)
{
  if (limit == NULL)
    return;
  g_hash_table_unref (limit->keys);
  g_free (limit);
}

static void
drop_expired (RelayRateLimit *limit,
              GArray         *times,
              gint64          now_ms)
{
  guint expired = 0;

  while (expired < times->len && g_array_index (times, gint64, expired) + limit->window_ms <= now_ms)
    expired++;
  if (expired > 0)
    g_array_remove_range (times, 0, expired);
}

guint
relay_rate_limit_check (RelayRateLimit *limit,
                        const char     *key,
                        gint64          now_ms)
{
  GArray *times = g_hash_table_lookup (limit->keys, key);
  gint64 wait_ms;

  if (times == NULL)
    return 0;
  drop_expired (limit, times, now_ms);
  if (times->len < limit->max_failures)
    return 0;
  wait_ms = g_array_index (times, gint64, 0) + limit->window_ms - now_ms;
  return (guint) MAX (1, (wait_ms + 999) / 1000);
}

void
relay_rate_limit_fail (RelayRateLimit *limit,
                       const char     *key,
                       gint64          now_ms)
{
  GArray *times = g_hash_table_lookup (limit->keys, key);

  if (times == NULL)
    {
      times = g_array_sized_new (FALSE, FALSE, sizeof (gint64), limit->max_failures);
      g_hash_table_insert (limit->keys, g_strdup (key), times);
    }
  drop_expired (limit, times, now_ms);
  if (times->len >= limit->max_failures)
    g_array_remove_index (times, 0);
  g_array_append_val (times, now_ms);
}

void
relay_rate_limit_prune (RelayRateLimit *limit,
                        gint64          now_ms)
{
  GHashTableIter iter;
  GArray *times;

  g_hash_table_iter_init (&iter, limit->keys);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &times))
    {
      drop_expired (limit, times, now_ms);
      if (times->len == 0)
        g_hash_table_iter_remove (&iter);
    }
}
