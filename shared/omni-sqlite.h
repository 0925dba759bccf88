/* omni-sqlite.h: how every OmniLive SQLite connection waits for a lock. */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* Retries a locked database for up to timeout_ms, polling every 50 µs at
 * first. sqlite3_busy_timeout sleeps a whole millisecond and more between
 * tries, which stalls the relay's main loop each time its mail worker holds
 * the write lock for a few microseconds. */
void  omni_sqlite_set_busy_wait (sqlite3 *db,
                                 guint    timeout_ms);
/* One try of that wait, for a busy handler that does more: sleeps and
 * returns 1 (try again), or returns 0 once timeout_ms have passed. */
int   omni_sqlite_busy_wait_step (guint timeout_ms,
                                  int   tries);

/* NULL binds SQL NULL; the text is copied. */
void  omni_sqlite_bind_text     (sqlite3_stmt *stmt,
                                 int           index,
                                 const char   *text);
/* A copy of a text column; NULL for SQL NULL. */
char *omni_sqlite_column_dup    (sqlite3_stmt *stmt,
                                 int           column);

G_END_DECLS
