/* omni-sqlite.c: see omni-sqlite.h. */
#include "omni-sqlite.h"

#define FAST_POLL_US     50
#define FAST_POLL_TRIES  200    /* 10 ms of short polls, then 1 ms sleeps */

int
omni_sqlite_busy_wait_step (guint timeout_ms,
                            int   tries)
{
  guint64 waited_us;

  if (tries < FAST_POLL_TRIES)
    waited_us = (guint64) tries * FAST_POLL_US;
  else
    waited_us = (guint64) FAST_POLL_TRIES * FAST_POLL_US + (guint64) (tries - FAST_POLL_TRIES) * 1000;
  if (waited_us >= (guint64) timeout_ms * 1000)
    return 0;
  g_usleep (tries < FAST_POLL_TRIES ? FAST_POLL_US : 1000);
  return 1;
}

static int
busy_wait (void *data,
           int   tries)
{
  return omni_sqlite_busy_wait_step (GPOINTER_TO_UINT (data), tries);
}

void
omni_sqlite_set_busy_wait (sqlite3 *db,
                           guint    timeout_ms)
{
  sqlite3_busy_handler (db, busy_wait, GUINT_TO_POINTER (timeout_ms));
}

void
omni_sqlite_bind_text (sqlite3_stmt *stmt,
                       int           index,
                       const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

char *
omni_sqlite_column_dup (sqlite3_stmt *stmt,
                        int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}
