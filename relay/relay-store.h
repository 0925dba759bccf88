/* relay-store.h: the relay's SQLite database — one writer connection in WAL
 * mode, schema migrations by PRAGMA user_version, cached prepared statements.
 * Every query of the relay lives in a relay-store-*.c file. */
#pragma once

#include <glib.h>
#include <sqlite3.h>

#include "omni-sqlite.h"

#include "omni-session.h"

G_BEGIN_DECLS

typedef struct _RelayStore RelayStore;

RelayStore   *relay_store_open        (const char  *path,
                                       GError     **error);
/* Migrates no further than schema_version: the upgrade tests start from an
 * older relay's database. */
RelayStore   *relay_store_open_at_version (const char  *path,
                                           int          schema_version,
                                           GError     **error);
void          relay_store_close       (RelayStore  *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayStore, relay_store_close)

sqlite3      *relay_store_get_db      (RelayStore  *store);
int           relay_store_get_schema_version (RelayStore *store);

/* A cached statement for a static SQL string, reset and unbound. */
sqlite3_stmt *relay_store_prepare     (RelayStore  *store,
                                       const char  *sql,
                                       GError     **error);
/* Steps a statement that returns no rows; resets it. */
gboolean      relay_store_exec_stmt   (RelayStore   *store,
                                       sqlite3_stmt *stmt,
                                       GError      **error);
gboolean      relay_store_begin       (RelayStore  *store,
                                       GError     **error);
gboolean      relay_store_commit      (RelayStore  *store,
                                       GError     **error);
void          relay_store_rollback    (RelayStore  *store);
/* Group commit. write runs on the store's writer thread, with that
 * thread's own connection (the store it is given), in one transaction with
 * the other writes queued meanwhile; a failed write undoes only itself.
 * written runs once that transaction is committed, from the main context
 * that was the caller's thread default, with NULL or the error that undid
 * the write; then notify. Until then write owns user_data, and it must not
 * touch anything the main thread does. Other writes of the main connection
 * wait for the lock between batches; the writer stands aside for them. */
typedef gboolean (*RelayStoreWrite)   (RelayStore   *store,
                                       gpointer      user_data,
                                       GError      **error);
typedef void     (*RelayStoreWritten) (gpointer      user_data,
                                       const GError *error);
void          relay_store_write_batched (RelayStore        *store,
                                         RelayStoreWrite    write,
                                         RelayStoreWritten  written,
                                         gpointer           user_data,
                                         GDestroyNotify     notify);
/* Turns the connection's last error into a GError. */
void          relay_store_set_error   (RelayStore  *store,
                                       GError     **error,
                                       const char  *what);

/* Text binding and reading: omni_sqlite_bind_text, omni_sqlite_column_dup. */
/* Binds an integer, or NULL when value is 0 (times not yet known). */
void          relay_store_bind_time   (sqlite3_stmt *stmt,
                                       int           index,
                                       gint64        value);
/* A new id: 24 hex digits like the seed's Mongo ids, ordered by creation
 * time (milliseconds) and then random. */
char         *relay_store_new_id      (void);

/* ---- hosts (relay-store-hosts.c) ---- */

typedef struct {
  char     *id;
  char     *email;
  char     *name;
  gboolean  admin;
  gint64    created_at;
  gint64    revoked_at;
} RelayHost;

void          relay_host_free          (RelayHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayHost, relay_host_free)

RelayHost    *relay_store_host_add     (RelayStore  *store,
                                        const char  *email,
                                        const char  *name,
                                        gboolean     admin,
                                        const char  *token_hash,
                                        GError     **error);
/* For relay-store-hosts.c: token hash → RelayHost, emptied first when
 * another connection has committed since the last call (PRAGMA
 * data_version), so a host revoked by another process is never found.
 * The store's own host writes clear it. */
GHashTable   *relay_store_get_host_cache   (RelayStore *store);
/* The same table, as it is (no check). */
GHashTable   *relay_store_peek_host_cache  (RelayStore *store);
void          relay_store_clear_host_cache (RelayStore *store);
/* NULL without error when no active host has that token. Answered from
 * the host cache while the database is unchanged by others. */
RelayHost    *relay_store_host_find_by_token (RelayStore  *store,
                                              const char  *token_hash,
                                              GError     **error);
/* What the host cache holds for that token, without asking whether the
 * database has changed since (which costs a read transaction). Only for a
 * request whose write re-checks the host (relay_store_host_get_active) in
 * its own transaction. NULL when not cached. */
RelayHost    *relay_store_host_find_cached (RelayStore  *store,
                                            const char  *token_hash);
/* The host with that id if it is still active; NULL without error if not. */
RelayHost    *relay_store_host_get_active  (RelayStore  *store,
                                            const char  *host_id,
                                            GError     **error);
GPtrArray    *relay_store_host_list    (RelayStore  *store,
                                        GError     **error);
/* Revokes the active host with that e-mail or id. */
gboolean      relay_store_host_revoke  (RelayStore  *store,
                                        const char  *email_or_id,
                                        GError     **error);

/* ---- sessions (relay-store-sessions.c) ---- */

typedef struct {
  const char *host_id;      /* NULL: every host's (admins) */
  gboolean    upcoming;     /* scheduled (not yet over) and live, soonest first */
  int         status;       /* -1 for any, else OmniSessionStatus */
  gint64      from_ms;      /* 0: no bound; scheduled start >= from */
  gint64      to_ms;        /* 0: no bound; scheduled start < to */
  gint64      now_ms;
  int         limit;
  int         offset;
} RelaySessionFilter;

/* Fills in what the new rows hold beyond the session given: its created and
 * updated times, and each invitee as a participant (appended to
 * session->participants), so a create answers without reading them back. */
gboolean      relay_store_session_insert (RelayStore        *store,
                                          OmniSession       *session,
                                          const char        *password_hash,
                                          GPtrArray         *invitees,
                                          gint64             now_ms,
                                          GError           **error);
/* NULL without error when there is no such session (for that host). */
OmniSession  *relay_store_session_get    (RelayStore  *store,
                                          const char  *id,
                                          GError     **error);
OmniSession  *relay_store_session_get_by_link (RelayStore  *store,
                                               const char  *access_link,
                                               char       **out_password_hash,
                                               GError     **error);
GPtrArray    *relay_store_session_list   (RelayStore               *store,
                                          const RelaySessionFilter *filter,
                                          int                      *out_total,
                                          GError                  **error);
/* Writes the session's editable fields; password_hash: NULL keeps the
 * stored one, "" clears it. Bumps the calendar sequence when times change. */
gboolean      relay_store_session_update (RelayStore        *store,
                                          const OmniSession *session,
                                          const char        *password_hash,
                                          gboolean           times_changed,
                                          gint64             now_ms,
                                          GError           **error);
gboolean      relay_store_session_set_status (RelayStore        *store,
                                              const char        *id,
                                              OmniSessionStatus  status,
                                              gint64             now_ms,
                                              GError           **error);
/* Adds invitees not yet listed; returns those actually added. */
GPtrArray    *relay_store_session_add_invitees (RelayStore  *store,
                                                const char  *session_id,
                                                GPtrArray   *invitees,
                                                GError     **error);

/* ---- guests (relay-store-sessions.c) ---- */

/* Records a guest's arrival: an invitee with the same e-mail is the same
 * person (a rejoin adds to their duration). state is "waiting" or "admitted". */
OmniParticipant *relay_store_guest_join  (RelayStore  *store,
                                          const char  *session_id,
                                          const char  *email,
                                          const char  *name,
                                          const char  *token_hash,
                                          const char  *state,
                                          gint64       now_ms,
                                          GError     **error);
/* NULL without error when the token is unknown for that session. */
OmniParticipant *relay_store_guest_find  (RelayStore  *store,
                                          const char  *session_id,
                                          const char  *token_hash,
                                          GError     **error);
gboolean      relay_store_guest_leave   (RelayStore  *store,
                                          const char  *session_id,
                                          const char  *participant_id,
                                          gint64       now_ms,
                                          GError     **error);
/* Guests currently admitted and in the call, and those waiting. */
int           relay_store_session_count_guests (RelayStore  *store,
                                                const char  *session_id,
                                                gboolean     include_waiting,
                                                GError     **error);
/* Closes every open call of a session (when it ends). */
gboolean      relay_store_session_close_calls (RelayStore  *store,
                                               const char  *session_id,
                                               gint64       now_ms,
                                               GError     **error);

G_END_DECLS
