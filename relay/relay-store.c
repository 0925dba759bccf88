/* relay-store.c: connection, migrations and statement cache. */
#define G_LOG_DOMAIN "relay-store"

#include "relay-store.h"
#include "omni-error.h"
#include "omni-sqlite.h"
#include "omni-token.h"

#include <string.h>

typedef struct {
  RelayStoreWritten written;
  gpointer          user_data;
  GDestroyNotify    notify;
  GError           *error;     /* the batch's COMMIT failed */
} BatchedWrite;

struct _RelayStore {
  sqlite3    *db;
  GHashTable *statements;   /* static SQL text (by address) → sqlite3_stmt */
  /* Group commit (relay_store_write_batched): writes of one main loop turn
   * share a transaction, committed before anything else reads or writes. */
  gboolean    batch_open;
  gboolean    in_batched_write;
  GArray     *batch_pending;   /* BatchedWrite, in the open transaction */
  GArray     *batch_settled;   /* BatchedWrite, committed (or failed) */
  guint       batch_source;
  /* Hosts by token hash (relay-store-hosts.c), valid while no other
   * connection (another process's `host revoke`, the mail worker) has
   * committed: PRAGMA data_version tells. */
  GHashTable *host_cache;
  gint64      host_cache_version;
};

static gboolean exec_sql (sqlite3 *db, const char *sql, GError **error);
static void     batched_write_clear (BatchedWrite *write);
static void     batch_settle (RelayStore *store);
static void     batch_dispatch (RelayStore *store);

/* Forward-only migrations: step i brings user_version from i to i + 1.
 * Never edit a step that has shipped; append a new one. */
static const char * const migrations[] = {
  /* 1: hosts, sessions, participants */
  "CREATE TABLE hosts ("
  "  id TEXT PRIMARY KEY,"
  "  email TEXT NOT NULL,"
  "  name TEXT NOT NULL,"
  "  is_admin INTEGER NOT NULL DEFAULT 0,"
  "  token_hash TEXT NOT NULL UNIQUE,"
  "  created_at INTEGER NOT NULL,"
  "  revoked_at INTEGER);"
  "CREATE UNIQUE INDEX hosts_active_email ON hosts (lower(email)) WHERE revoked_at IS NULL;"
  "CREATE TABLE sessions ("
  "  id TEXT PRIMARY KEY,"
  "  host_id TEXT NOT NULL REFERENCES hosts (id),"
  "  title TEXT NOT NULL,"
  "  description TEXT,"
  "  agenda TEXT,"
  "  session_type TEXT NOT NULL,"
  "  status TEXT NOT NULL,"
  "  scheduled_start INTEGER NOT NULL,"
  "  scheduled_end INTEGER NOT NULL,"
  "  actual_start INTEGER,"
  "  actual_end INTEGER,"
  "  max_participants INTEGER NOT NULL,"
  "  peak_participants INTEGER NOT NULL DEFAULT 0,"
  "  enable_recording INTEGER NOT NULL,"
  "  enable_screen_share INTEGER NOT NULL,"
  "  enable_chat INTEGER NOT NULL,"
  "  waiting_room_enabled INTEGER NOT NULL,"
  "  requires_approval INTEGER NOT NULL,"
  "  password_hash TEXT,"
  "  allowed_domains TEXT NOT NULL DEFAULT '',"
  "  access_link TEXT NOT NULL UNIQUE,"
  "  related_ticket TEXT,"
  "  series_id TEXT,"
  "  series_index INTEGER NOT NULL DEFAULT 0,"
  "  series_count INTEGER NOT NULL DEFAULT 1,"
  "  sequence INTEGER NOT NULL DEFAULT 0,"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL);"
  "CREATE INDEX sessions_host_start ON sessions (host_id, scheduled_start);"
  "CREATE INDEX sessions_start ON sessions (scheduled_start);"
  "CREATE TABLE participants ("
  "  id TEXT PRIMARY KEY,"
  "  session_id TEXT NOT NULL REFERENCES sessions (id),"
  "  position INTEGER NOT NULL,"
  "  email TEXT NOT NULL,"
  "  email_key TEXT NOT NULL,"
  "  name TEXT NOT NULL,"
  "  invited INTEGER NOT NULL DEFAULT 0,"
  "  state TEXT NOT NULL,"
  "  guest_token_hash TEXT UNIQUE,"
  "  joined_at INTEGER,"
  "  left_at INTEGER,"
  "  duration_ms INTEGER NOT NULL DEFAULT 0,"
  "  in_call_since INTEGER,"
  "  UNIQUE (session_id, email_key));",

  /* 2: the mail outbox, written in the same transaction as the change that
   * causes a message; payload is the JSON snapshot the message renders from. */
  "CREATE TABLE outbox ("
  "  id INTEGER PRIMARY KEY,"
  "  session_id TEXT REFERENCES sessions (id),"
  "  kind TEXT NOT NULL,"
  "  recipient_email TEXT NOT NULL,"
  "  recipient_name TEXT,"
  "  payload TEXT NOT NULL,"
  "  dedupe_key TEXT UNIQUE,"
  "  state TEXT NOT NULL DEFAULT 'queued',"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  next_attempt_at INTEGER NOT NULL,"
  "  last_error TEXT,"
  "  message_id TEXT,"
  "  created_at INTEGER NOT NULL,"
  "  sent_at INTEGER);"
  "CREATE INDEX outbox_due ON outbox (state, next_attempt_at);"
  "CREATE INDEX outbox_session ON outbox (session_id, recipient_email);",

  /* 3: each session's calendar identity, fixed by its first calendar mail:
   * the UID (shared by a weekly series) and the original start that names
   * an occurrence (RECURRENCE-ID), so updates and cancellations find it. */
  "CREATE TABLE mail_calendar ("
  "  session_id TEXT PRIMARY KEY REFERENCES sessions (id),"
  "  uid TEXT NOT NULL,"
  "  recurrence_id INTEGER);",

  /* 4: a host's upcoming sessions are counted from the index alone. */
  "CREATE INDEX sessions_host_status_end ON sessions (host_id, status, scheduled_end);",

  /* 5: each participant row carries the state of the newest message to that
   * person, kept by triggers, so reading a session never joins the outbox. */
  "ALTER TABLE participants ADD COLUMN mail_id INTEGER;"
  "ALTER TABLE participants ADD COLUMN mail_state TEXT;"
  "ALTER TABLE participants ADD COLUMN mail_error TEXT;"
  "ALTER TABLE participants ADD COLUMN mail_attempts INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE participants ADD COLUMN mail_kind TEXT;"
  "CREATE INDEX participants_session_position ON participants (session_id, position);"
  "CREATE INDEX outbox_recipient ON outbox (session_id, lower(recipient_email), id);"
  /* Prepared list filters may test scheduled_start: with it in the index the
   * count of a host's upcoming sessions still never reads a table row. */
  "DROP INDEX sessions_host_status_end;"
  "CREATE INDEX sessions_host_upcoming ON sessions (host_id, status, scheduled_end, scheduled_start);"
  "UPDATE participants SET (mail_id, mail_state, mail_error, mail_attempts, mail_kind) ="
  "  (SELECT o.id, o.state, o.last_error, o.attempts, o.kind FROM outbox o"
  "   WHERE o.session_id = participants.session_id AND lower(o.recipient_email) = participants.email_key"
  "   ORDER BY o.id DESC LIMIT 1)"
  " WHERE EXISTS (SELECT 1 FROM outbox o WHERE o.session_id = participants.session_id"
  "   AND lower(o.recipient_email) = participants.email_key);"
  "CREATE TRIGGER outbox_mail_state_insert AFTER INSERT ON outbox BEGIN"
  "  UPDATE participants SET mail_id = NEW.id, mail_state = NEW.state, mail_error = NEW.last_error,"
  "    mail_attempts = NEW.attempts, mail_kind = NEW.kind"
  "  WHERE session_id = NEW.session_id AND email_key = lower(NEW.recipient_email)"
  "    AND (mail_id IS NULL OR mail_id <= NEW.id);"
  "END;"
  /* A series has one invitation, queued on its first session: every
   * occurrence the person is invited to shows it until it has its own mail. */
  "CREATE INDEX sessions_series ON sessions (series_id);"
  "CREATE TRIGGER outbox_series_invitation AFTER INSERT ON outbox WHEN NEW.kind = 'invitation'"
  "  AND (SELECT series_id FROM sessions WHERE id = NEW.session_id) IS NOT NULL BEGIN"
  "  UPDATE participants SET mail_id = NEW.id, mail_state = NEW.state, mail_error = NEW.last_error,"
  "    mail_attempts = NEW.attempts, mail_kind = NEW.kind"
  "  WHERE email_key = lower(NEW.recipient_email) AND (mail_id IS NULL OR mail_id <= NEW.id)"
  "    AND session_id IN (SELECT id FROM sessions WHERE id != NEW.session_id AND series_id ="
  "                       (SELECT series_id FROM sessions WHERE id = NEW.session_id));"
  "END;"
  "CREATE INDEX participants_mail ON participants (mail_id) WHERE mail_id IS NOT NULL;"
  "CREATE TRIGGER outbox_mail_state_update AFTER UPDATE OF state, last_error, attempts ON outbox BEGIN"
  "  UPDATE participants SET mail_state = NEW.state, mail_error = NEW.last_error,"
  "    mail_attempts = NEW.attempts, mail_kind = NEW.kind"
  "  WHERE mail_id = NEW.id;"
  "END;"
  /* A person added after a message to them (re-invited after removal) sees it too. */
  "CREATE TRIGGER participant_mail_state AFTER INSERT ON participants BEGIN"
  "  UPDATE participants SET (mail_id, mail_state, mail_error, mail_attempts, mail_kind) ="
  "    (SELECT o.id, o.state, o.last_error, o.attempts, o.kind FROM outbox o"
  "     WHERE o.session_id = NEW.session_id AND lower(o.recipient_email) = NEW.email_key"
  "     ORDER BY o.id DESC LIMIT 1)"
  "  WHERE id = NEW.id AND EXISTS (SELECT 1 FROM outbox o WHERE o.session_id = NEW.session_id"
  "    AND lower(o.recipient_email) = NEW.email_key);"
  "END;",

  /* 6: outbox_recipient (session_id, lower(recipient_email), id) serves
   * every lookup outbox_session did (by session, by session and person):
   * one index less to write per queued message. */
  "DROP INDEX outbox_session;",
};

static gboolean
exec_sql (sqlite3     *db,
          const char  *sql,
          GError     **error)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      omni_error_set_field (error, OMNI_ERROR_STORAGE, NULL, "%s", message ? message : "SQLite error");
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static int
read_user_version (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;
  int version = -1;

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}

static gboolean
migrate (sqlite3     *db,
         int          target,
         GError     **error)
{
  int version = read_user_version (db);

  if (version < 0)
    {
      omni_error_set_field (error, OMNI_ERROR_STORAGE, NULL,
                            "Cannot read the schema version: %s", sqlite3_errmsg (db));
      return FALSE;
    }
  if (version > (int) G_N_ELEMENTS (migrations))
    {
      omni_error_set_field (error, OMNI_ERROR_STORAGE, NULL,
                            "The database has schema version %d, newer than this relay knows (%u); "
                            "upgrade the relay", version, (guint) G_N_ELEMENTS (migrations));
      return FALSE;
    }

  for (int step = version; step < target; step++)
    {
      g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %d", step + 1);

      /* Each step and its version bump commit together, so a crash never
       * leaves a half-migrated schema. */
      if (!exec_sql (db, "BEGIN IMMEDIATE", error))
        return FALSE;
      if (!exec_sql (db, migrations[step], error) || !exec_sql (db, set_version, error))
        {
          exec_sql (db, "ROLLBACK", NULL);
          g_prefix_error (error, "Migration to schema %d failed: ", step + 1);
          return FALSE;
        }
      if (!exec_sql (db, "COMMIT", error))
        return FALSE;
      g_debug ("Database migrated to schema %d", step + 1);
    }
  return TRUE;
}

RelayStore *
relay_store_open (const char  *path,
                  GError     **error)
{
  return relay_store_open_at_version (path, (int) G_N_ELEMENTS (migrations), error);
}

RelayStore *
relay_store_open_at_version (const char  *path,
                             int          schema_version,
                             GError     **error)
{
  g_autoptr(RelayStore) store = g_new0 (RelayStore, 1);
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  store->statements = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) sqlite3_finalize);
  store->batch_pending = g_array_new (FALSE, TRUE, sizeof (BatchedWrite));
  store->batch_settled = g_array_new (FALSE, TRUE, sizeof (BatchedWrite));
  g_array_set_clear_func (store->batch_settled, (GDestroyNotify) batched_write_clear);
  store->host_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) relay_host_free);
  store->host_cache_version = -1;

  rc = sqlite3_open_v2 (path, &store->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      omni_error_set_field (error, OMNI_ERROR_STORAGE, NULL, "Cannot open database %s: %s",
                            path, store->db ? sqlite3_errmsg (store->db) : sqlite3_errstr (rc));
      return NULL;
    }

  omni_sqlite_set_busy_wait (store->db, 5000);
  if (!exec_sql (store->db,
                 "PRAGMA journal_mode = WAL;"
                 "PRAGMA synchronous = NORMAL;"
                 "PRAGMA foreign_keys = ON;"
                 "PRAGMA temp_store = MEMORY;"
                 /* Pages read through a mapping, not a pread each, after the
                  * mail worker's writes invalidate this connection's cache. */
                 "PRAGMA mmap_size = 268435456;"
                 /* The mail worker's connection checkpoints the WAL (every
                  * 1000 pages, on its own thread); the API's main loop does
                  * only when the worker has fallen far behind. */
                 "PRAGMA wal_autocheckpoint = 10000;", error))
    {
      g_prefix_error (error, "Cannot use database %s: ", path);
      return NULL;
    }

  if (!migrate (store->db, MIN (schema_version, (int) G_N_ELEMENTS (migrations)), error))
    return NULL;

  return g_steal_pointer (&store);
}

void
relay_store_close (RelayStore *store)
{
  if (store == NULL)
    return;
  /* Writers already accepted are committed and told, even at shutdown. */
  if (store->batch_pending != NULL)
    {
      g_clear_handle_id (&store->batch_source, g_source_remove);
      batch_dispatch (store);
    }
  g_clear_pointer (&store->batch_pending, g_array_unref);
  g_clear_pointer (&store->batch_settled, g_array_unref);
  g_clear_pointer (&store->statements, g_hash_table_unref);
  g_clear_pointer (&store->host_cache, g_hash_table_unref);
  if (store->db != NULL)
    sqlite3_close (store->db);
  g_free (store);
}

GHashTable *
relay_store_get_host_cache (RelayStore *store)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = relay_store_prepare (store, "PRAGMA data_version", &error);
  gint64 version = -1;

  if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int64 (stmt, 0);
  if (stmt != NULL)
    sqlite3_reset (stmt);
  /* Unknown (an error): nothing cached is trusted. */
  if (version < 0 || version != store->host_cache_version)
    {
      g_hash_table_remove_all (store->host_cache);
      store->host_cache_version = version;
    }
  return store->host_cache;
}

void
relay_store_clear_host_cache (RelayStore *store)
{
  g_hash_table_remove_all (store->host_cache);
}

sqlite3 *
relay_store_get_db (RelayStore *store)
{
  return store->db;
}

int
relay_store_get_schema_version (RelayStore *store)
{
  return read_user_version (store->db);
}

void
relay_store_set_error (RelayStore  *store,
                       GError     **error,
                       const char  *what)
{
  omni_error_set_field (error, OMNI_ERROR_STORAGE, NULL, "%s: %s", what, sqlite3_errmsg (store->db));
}

sqlite3_stmt *
relay_store_prepare (RelayStore  *store,
                     const char  *sql,
                     GError     **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (store->statements, sql);

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
    }
  else if (sqlite3_prepare_v3 (store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) == SQLITE_OK)
    g_hash_table_insert (store->statements, (gpointer) sql, stmt);
  else
    {
      relay_store_set_error (store, error, "Cannot prepare a query");
      g_critical ("Cannot prepare %s: %s", sql, sqlite3_errmsg (store->db));
      return NULL;
    }
  /* A write outside the batch must not join it: it would be undone by a
   * batch it knows nothing of, after reporting success. Reads may run in
   * the batch's transaction (the next request's token lookup does). */
  if (!sqlite3_stmt_readonly (stmt))
    batch_settle (store);
  return stmt;
}

gboolean
relay_store_exec_stmt (RelayStore   *store,
                       sqlite3_stmt *stmt,
                       GError      **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      relay_store_set_error (store, error, "Cannot write to the database");
      return FALSE;
    }
  return TRUE;
}

gboolean
relay_store_begin (RelayStore  *store,
                   GError     **error)
{
  batch_settle (store);
  return exec_sql (store->db, "BEGIN IMMEDIATE", error);
}

gboolean
relay_store_commit (RelayStore  *store,
                    GError     **error)
{
  if (!exec_sql (store->db, "COMMIT", error))
    {
      relay_store_rollback (store);
      return FALSE;
    }
  return TRUE;
}

void
relay_store_rollback (RelayStore *store)
{
  if (!sqlite3_get_autocommit (store->db))
    exec_sql (store->db, "ROLLBACK", NULL);
}

/* ---- group commit ---- */

static void
batched_write_clear (BatchedWrite *write)
{
  if (write->notify != NULL)
    write->notify (write->user_data);
  g_clear_error (&write->error);
}

/* Commits the open batch, if any. Its writers hear the outcome later, from
 * the batch's idle callback: this runs from whatever store call comes next,
 * which may be in the middle of its own statements. */
static void
batch_settle (RelayStore *store)
{
  g_autoptr(GError) error = NULL;

  if (!store->batch_open || store->in_batched_write)
    return;
  store->batch_open = FALSE;
  if (!exec_sql (store->db, "COMMIT", &error))
    {
      g_warning ("Cannot commit %u batched write(s): %s", store->batch_pending->len, error->message);
      relay_store_rollback (store);
      for (guint i = 0; i < store->batch_pending->len; i++)
        g_array_index (store->batch_pending, BatchedWrite, i).error = g_error_copy (error);
    }
  g_array_append_vals (store->batch_settled, store->batch_pending->data, store->batch_pending->len);
  g_array_set_size (store->batch_pending, 0);
}

static void
batch_dispatch (RelayStore *store)
{
  g_autoptr(GArray) settled = NULL;

  batch_settle (store);
  /* Writers may queue new writes from their callbacks: a fresh list. */
  settled = g_steal_pointer (&store->batch_settled);
  store->batch_settled = g_array_new (FALSE, TRUE, sizeof (BatchedWrite));
  g_array_set_clear_func (store->batch_settled, (GDestroyNotify) batched_write_clear);
  for (guint i = 0; i < settled->len; i++)
    {
      BatchedWrite *write = &g_array_index (settled, BatchedWrite, i);
      write->written (write->user_data, write->error);
    }
}

static gboolean
on_batch_idle (gpointer user_data)
{
  RelayStore *store = user_data;

  store->batch_source = 0;
  batch_dispatch (store);
  return G_SOURCE_REMOVE;
}

void
relay_store_write_batched (RelayStore        *store,
                           RelayStoreWrite    write,
                           RelayStoreWritten  written,
                           gpointer           user_data,
                           GDestroyNotify     notify)
{
  g_autoptr(GError) error = NULL;
  BatchedWrite queued = { written, user_data, notify, NULL };   /* moves to batch_settled, whose clear func frees it */
  gboolean ok;

  g_return_if_fail (store != NULL && write != NULL && written != NULL);
  g_return_if_fail (!store->in_batched_write);

  if (!store->batch_open)
    {
      if (!relay_store_begin (store, &error))
        goto failed;
      store->batch_open = TRUE;
    }
  /* Default priority, not idle: under steady load an idle source would
   * wait for a quiet moment while every writer waits for it. */
  if (store->batch_source == 0)
    store->batch_source = g_idle_add_full (G_PRIORITY_DEFAULT, on_batch_idle, store, NULL);

  /* A failed write undoes only itself, not the batch it joined. */
  if (!exec_sql (store->db, "SAVEPOINT batched_write", &error))
    goto failed;
  store->in_batched_write = TRUE;
  ok = write (store, user_data, &error);
  store->in_batched_write = FALSE;
  if (!ok)
    {
      exec_sql (store->db, "ROLLBACK TO batched_write; RELEASE batched_write", NULL);
      goto failed;
    }
  if (!exec_sql (store->db, "RELEASE batched_write", &error))
    goto failed;
  g_array_append_val (store->batch_pending, queued);
  return;

failed:
  written (user_data, error);
  if (notify != NULL)
    notify (user_data);
}

void
relay_store_bind_time (sqlite3_stmt *stmt,
                       int           index,
                       gint64        value)
{
  if (value == 0)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_int64 (stmt, index, value);
}

char *
relay_store_new_id (void)
{
  guint8 bytes[12];
  char *id = g_malloc (sizeof bytes * 2 + 1);
  guint64 now = (guint64) g_get_real_time () / 1000;

  /* Time first, like a Mongo ObjectId: a new row's key lands at the end of
   * every index keyed by an id (sessions, participants, outbox, calendar),
   * so the creates of one commit share a page or two there instead of each
   * dirtying a random page of each index (WAL frames, checkpoint writes and
   * cache misses). The 6 random bytes keep ids of one millisecond apart. */
  for (int i = 0; i < 6; i++)
    bytes[i] = (guint8) (now >> (8 * (5 - i)));
  omni_random_bytes (bytes + 6, sizeof bytes - 6);
  for (gsize i = 0; i < sizeof bytes; i++)
    g_snprintf (id + 2 * i, 3, "%02x", bytes[i]);
  return id;
}
