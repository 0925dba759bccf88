/* relay-store.c: connection, migrations and statement cache. */
#define G_LOG_DOMAIN "relay-store"

#include "relay-store.h"
#include "omni-error.h"
#include "omni-sqlite.h"
#include "omni-token.h"

#include <string.h>

typedef struct {
  RelayStoreWrite   write;
  RelayStoreWritten written;
  gpointer          user_data;
  GDestroyNotify    notify;
  GError           *error;     /* the write, or its batch's COMMIT, failed */
} BatchedWrite;

/* How long the writer thread stands aside after a batch when the main
 * connection is waiting for the write lock: the main connection's busy
 * handler retries at least every millisecond. */
#define WRITER_YIELD_US 2000
/* Bounds a transaction's length, and so the wait of the main connection's
 * writes and of the next batch's replies. */
#define WRITER_BATCH_MAX 64

struct _RelayStore {
  sqlite3    *db;
  GHashTable *statements;   /* static SQL text (by address) → sqlite3_stmt */
  /* Group commit (relay_store_write_batched): a thread with its own
   * connection runs the queued writes, as many as have arrived, in one
   * transaction, while the main loop goes on parsing and answering. */
  RelayStore   *writer;             /* that thread's connection */
  GThread      *writer_thread;
  GSource      *writer_done_source; /* on the writers' main context: tells them */
  GMutex        writer_lock;
  GCond         writer_wake;
  GArray       *writer_queue;       /* BatchedWrite, not run yet (writer_lock) */
  GArray       *writer_done;        /* BatchedWrite, committed or failed (writer_lock) */
  gboolean      writer_stopping;    /* (writer_lock) */
  gint          main_waits_for_lock;   /* atomic: the main connection is busy-waiting */
  /* Hosts by token hash (relay-store-hosts.c), valid while no other
   * connection (another process's `host revoke`, the mail worker) has
   * committed: PRAGMA data_version tells. */
  GHashTable *host_cache;
  gint64      host_cache_version;
};

static gboolean exec_sql (sqlite3 *db, const char *sql, GError **error);
static void     writer_stop (RelayStore *store);

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

/* The writer thread yields to a main connection that waits for the lock:
 * a request's own write (a join, a PATCH) never starves behind a flood of
 * batched creates. */
static int
main_busy_wait (void *data,
                int   tries)
{
  RelayStore *store = data;

  g_atomic_int_set (&store->main_waits_for_lock, 1);
  return omni_sqlite_busy_wait_step (5000, tries);
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
  g_mutex_init (&store->writer_lock);
  g_cond_init (&store->writer_wake);
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

  sqlite3_busy_handler (store->db, main_busy_wait, store);
  if (!exec_sql (store->db,
                 "PRAGMA journal_mode = WAL;"
                 "PRAGMA synchronous = NORMAL;"
                 "PRAGMA foreign_keys = ON;"
                 "PRAGMA temp_store = MEMORY;"
                 /* No memory mapping: three connections write (the API's
                  * writer thread, the mail worker, the CLI), and SQLite
                  * unmaps the whole mapping whenever another connection has
                  * committed, so every read transaction paid a munmap, its
                  * TLB shootdown and the page faults after it. Pages come
                  * from this connection's own cache, or a pread each. */
                 "PRAGMA mmap_size = 0;"
                 "PRAGMA cache_size = -8192;"
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
  writer_stop (store);
  g_mutex_clear (&store->writer_lock);
  g_cond_clear (&store->writer_wake);
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

GHashTable *
relay_store_peek_host_cache (RelayStore *store)
{
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

static GArray *
batched_write_array_new (void)
{
  GArray *writes = g_array_new (FALSE, TRUE, sizeof (BatchedWrite));

  g_array_set_clear_func (writes, (GDestroyNotify) batched_write_clear);
  return writes;
}

/* A statement without results, prepared once. */
static gboolean
exec_cached (RelayStore  *store,
             const char  *sql,
             GError     **error)
{
  sqlite3_stmt *stmt = relay_store_prepare (store, sql, error);

  return stmt != NULL && relay_store_exec_stmt (store, stmt, error);
}

/* One transaction for the whole batch; a failed write is rolled back to its
 * savepoint and undoes only itself. Runs on the writer thread. */
static void
writer_commit_batch (RelayStore *writer,
                     GArray     *batch)
{
  g_autoptr(GError) error = NULL;

  if (!relay_store_begin (writer, &error))
    goto failed;
  for (guint i = 0; i < batch->len; i++)
    {
      BatchedWrite *write = &g_array_index (batch, BatchedWrite, i);

      if (!exec_cached (writer, "SAVEPOINT batched_write", &error))
        goto rollback;
      if (!write->write (writer, write->user_data, &write->error))
        {
          if (write->error == NULL)
            g_set_error_literal (&write->error, OMNI_ERROR, OMNI_ERROR_STORAGE, "The write failed");
          if (!exec_cached (writer, "ROLLBACK TO batched_write", &error))
            goto rollback;
        }
      if (!exec_cached (writer, "RELEASE batched_write", &error))
        goto rollback;
    }
  if (relay_store_commit (writer, &error))
    return;
  goto failed;

rollback:
  relay_store_rollback (writer);

failed:
  g_warning ("Cannot commit %u batched write(s): %s", batch->len, error->message);
  for (guint i = 0; i < batch->len; i++)
    {
      BatchedWrite *write = &g_array_index (batch, BatchedWrite, i);

      g_clear_error (&write->error);
      write->error = g_error_copy (error);
    }
}

static gpointer
writer_thread_main (gpointer user_data)
{
  RelayStore *store = user_data;
  g_autoptr(GArray) batch = g_array_new (FALSE, TRUE, sizeof (BatchedWrite));

  g_mutex_lock (&store->writer_lock);
  for (;;)
    {
      GArray *swap;

      while (store->writer_queue->len == 0 && !store->writer_stopping)
        g_cond_wait (&store->writer_wake, &store->writer_lock);
      if (store->writer_queue->len == 0)
        break;
      /* What is queued so far (up to WRITER_BATCH_MAX) is this batch;
       * what arrives while it commits is the next. */
      if (store->writer_queue->len <= WRITER_BATCH_MAX)
        {
          swap = store->writer_queue;
          store->writer_queue = batch;
          batch = swap;
        }
      else
        {
          g_array_append_vals (batch, store->writer_queue->data, WRITER_BATCH_MAX);
          g_array_remove_range (store->writer_queue, 0, WRITER_BATCH_MAX);
        }
      g_mutex_unlock (&store->writer_lock);

      if (g_atomic_int_compare_and_exchange (&store->main_waits_for_lock, 1, 0))
        g_usleep (WRITER_YIELD_US);
      writer_commit_batch (store->writer, batch);

      g_mutex_lock (&store->writer_lock);
      g_array_append_vals (store->writer_done, batch->data, batch->len);
      g_array_set_size (batch, 0);
      g_source_set_ready_time (store->writer_done_source, 0);
    }
  g_mutex_unlock (&store->writer_lock);
  return NULL;
}

/* Tells the writers of committed batches, on their main context. */
static void
writer_tell_done (RelayStore *store)
{
  g_autoptr(GArray) done = batched_write_array_new ();
  GArray *swap;

  g_mutex_lock (&store->writer_lock);
  swap = store->writer_done;
  store->writer_done = done;
  done = swap;
  g_mutex_unlock (&store->writer_lock);

  for (guint i = 0; i < done->len; i++)
    {
      BatchedWrite *write = &g_array_index (done, BatchedWrite, i);
      write->written (write->user_data, write->error);
    }
}

static gboolean
writer_done_dispatch (GSource     *source,
                      GSourceFunc  callback,
                      gpointer     user_data)
{
  /* Re-armed by the writer thread after each batch: one set before the
   * swap in writer_tell_done is never lost. */
  g_source_set_ready_time (source, -1);
  writer_tell_done (user_data);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs writer_done_funcs = { NULL, NULL, writer_done_dispatch, NULL, NULL, NULL };

static gboolean
writer_start (RelayStore  *store,
              GError     **error)
{
  const char *path = sqlite3_db_filename (store->db, "main");

  store->writer = relay_store_open (path, error);
  if (store->writer == NULL)
    return FALSE;
  /* The writer waits for the lock like any connection; only the main
   * connection's wait makes the writer stand aside. */
  omni_sqlite_set_busy_wait (store->writer->db, 5000);
  store->writer_queue = g_array_new (FALSE, TRUE, sizeof (BatchedWrite));
  store->writer_done = batched_write_array_new ();
  store->writer_done_source = g_source_new (&writer_done_funcs, sizeof (GSource));
  g_source_set_callback (store->writer_done_source, NULL, store, NULL);
  g_source_set_name (store->writer_done_source, "relay-store batched writes");
  g_source_attach (store->writer_done_source, g_main_context_get_thread_default ());
  store->writer_thread = g_thread_new ("relay-store-writer", writer_thread_main, store);
  return TRUE;
}

/* Writes already accepted are committed and told, even at shutdown. */
static void
writer_stop (RelayStore *store)
{
  if (store->writer_thread == NULL)
    return;
  g_mutex_lock (&store->writer_lock);
  store->writer_stopping = TRUE;
  g_cond_signal (&store->writer_wake);
  g_mutex_unlock (&store->writer_lock);
  g_thread_join (g_steal_pointer (&store->writer_thread));

  g_source_destroy (store->writer_done_source);
  g_clear_pointer (&store->writer_done_source, g_source_unref);
  writer_tell_done (store);
  g_clear_pointer (&store->writer_queue, g_array_unref);
  g_clear_pointer (&store->writer_done, g_array_unref);
  g_clear_pointer (&store->writer, relay_store_close);
}

void
relay_store_write_batched (RelayStore        *store,
                           RelayStoreWrite    write,
                           RelayStoreWritten  written,
                           gpointer           user_data,
                           GDestroyNotify     notify)
{
  g_autoptr(GError) error = NULL;
  BatchedWrite queued = { write, written, user_data, notify, NULL };

  g_return_if_fail (store != NULL && write != NULL && written != NULL);

  if (store->writer_thread == NULL && !writer_start (store, &error))
    {
      written (user_data, error);
      if (notify != NULL)
        notify (user_data);
      return;
    }
  g_mutex_lock (&store->writer_lock);
  g_array_append_val (store->writer_queue, queued);
  g_cond_signal (&store->writer_wake);
  g_mutex_unlock (&store->writer_lock);
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
    {
      id[2 * i] = "0123456789abcdef"[bytes[i] >> 4];
      id[2 * i + 1] = "0123456789abcdef"[bytes[i] & 0xf];
    }
  id[sizeof bytes * 2] = '\0';
  return id;
}
