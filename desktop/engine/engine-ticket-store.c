/* engine-ticket-store.c: SQLite behind a mutex; async calls run the same
 * synchronous code on a GTask worker so the main loop never waits on disk.
 * Calls made while an open_async is under way wait for it on the worker, so
 * the first query can be queued at start-up, before the open has finished. */
#define G_LOG_DOMAIN "engine-ticket-store"

#include "desktop-config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "omni-error.h"
#include "omni-time.h"

#include "engine-ticket-store.h"
#include "omni-sqlite.h"

struct _EngineTicketStore
{
  GObject parent_instance;

  char *path;
  char *backup_path;
  GMutex lock;
  GCond opened;
  gboolean opening;
  sqlite3 *db;
  GMainContext *context;
};

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EngineTicketStore, engine_ticket_store, G_TYPE_OBJECT)

/* Each entry brings the schema from version i to i + 1, in one transaction. */
static const char * const migrations[ENGINE_TICKET_STORE_SCHEMA_VERSION] = {
  /* 1: tickets and their threads */
  "CREATE TABLE tickets ("
  "  id INTEGER PRIMARY KEY,"
  "  subject TEXT NOT NULL,"
  "  customer_name TEXT NOT NULL,"
  "  customer_email TEXT NOT NULL,"
  "  status INTEGER NOT NULL DEFAULT 0,"
  "  priority INTEGER NOT NULL DEFAULT 1,"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL);"
  "CREATE INDEX tickets_by_updated ON tickets (updated_at);"
  "CREATE TABLE messages ("
  "  id INTEGER PRIMARY KEY,"
  "  ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,"
  "  kind INTEGER NOT NULL,"
  "  author TEXT,"
  "  body TEXT NOT NULL DEFAULT '',"
  "  field TEXT,"
  "  old_value TEXT,"
  "  new_value TEXT,"
  "  created_at INTEGER NOT NULL);"
  "CREATE INDEX messages_by_ticket ON messages (ticket_id, id);",

  /* 2: full-text search over subjects and messages, kept by triggers */
  "CREATE VIRTUAL TABLE ticket_fts USING fts5 (subject, messages, tokenize = 'unicode61 remove_diacritics 2');"
  "INSERT INTO ticket_fts (rowid, subject, messages)"
  "  SELECT t.id, t.subject, coalesce ((SELECT group_concat (m.body, char (10)) FROM messages m"
  "                                      WHERE m.ticket_id = t.id AND m.kind < 3), '')"
  "  FROM tickets t;"
  "CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN"
  "  INSERT INTO ticket_fts (rowid, subject, messages) VALUES (new.id, new.subject, '');"
  "END;"
  "CREATE TRIGGER tickets_fts_subject AFTER UPDATE OF subject ON tickets BEGIN"
  "  UPDATE ticket_fts SET subject = new.subject WHERE rowid = new.id;"
  "END;"
  "CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN"
  "  DELETE FROM ticket_fts WHERE rowid = old.id;"
  "END;"
  "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.kind < 3 BEGIN"
  "  UPDATE ticket_fts SET messages = messages || char (10) || new.body WHERE rowid = new.ticket_id;"
  "END;",

  /* 3: the relay sessions a ticket was escalated to */
  "CREATE TABLE ticket_sessions ("
  "  ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,"
  "  session_id TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  PRIMARY KEY (ticket_id, session_id));"
  "CREATE INDEX tickets_by_priority ON tickets (priority, updated_at);",
};

static gboolean
set_sqlite_error (sqlite3  *db,
                  int       rc,
                  GError  **error)
{
  g_set_error (error, OMNI_ERROR, OMNI_ERROR_STORAGE, "%s",
               db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
  return FALSE;
}

static gboolean
exec_sql (sqlite3     *db,
          const char  *sql,
          GError     **error)
{
  char *message = NULL;
  int rc = sqlite3_exec (db, sql, NULL, NULL, &message);

  if (rc != SQLITE_OK)
    {
      g_set_error (error, OMNI_ERROR, OMNI_ERROR_STORAGE, "%s", message ? message : sqlite3_errstr (rc));
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static void
set_not_found (GError **error,
               gint64   ticket_id)
{
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, ticket_id);

  g_set_error (error, OMNI_ERROR, OMNI_ERROR_NOT_FOUND, _("Ticket %s does not exist"), id);
}

static sqlite3_stmt *
prepare (sqlite3     *db,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (db, SQLITE_ERROR, error);
      return NULL;
    }
  return stmt;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

static gboolean
is_damage (int rc)
{
  rc &= 0xff;
  return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB || rc == SQLITE_CANTOPEN ||
         rc == SQLITE_IOERR || rc == SQLITE_PERM || rc == SQLITE_READONLY;
}

static gboolean
copy_to_backup (EngineTicketStore  *self,
                GError            **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autoptr(GFile) source = g_file_new_for_path (self->path);
  g_autoptr(GFile) target = NULL;

  g_free (self->backup_path);
  self->backup_path = g_strdup_printf ("%s.unreadable-%s", self->path, stamp);
  target = g_file_new_for_path (self->backup_path);
  return g_file_copy (source, target, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, error);
}

static gboolean
migrate (sqlite3  *db,
         GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (db, "PRAGMA user_version", error);
  int version;

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return set_sqlite_error (db, SQLITE_ERROR, error);
  version = sqlite3_column_int (stmt, 0);

  if (version > ENGINE_TICKET_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, OMNI_ERROR, OMNI_ERROR_STORAGE,
                   _("The ticket database was written by a newer version of OmniLive (schema %d)"),
                   version);
      return FALSE;
    }

  for (; version < ENGINE_TICKET_STORE_SCHEMA_VERSION; version++)
    {
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d;", version + 1);

      if (!exec_sql (db, "BEGIN IMMEDIATE", error))
        return FALSE;
      if (!exec_sql (db, migrations[version], error) || !exec_sql (db, bump, error))
        {
          exec_sql (db, "ROLLBACK", NULL);
          return FALSE;
        }
      if (!exec_sql (db, "COMMIT", error))
        return FALSE;
      g_debug ("Ticket database migrated to schema %d", version + 1);
    }
  return TRUE;
}

/* Opening reads the header, the schema and the version: a file that is not a
 * database or whose schema pages are damaged fails here. */
static gboolean
open_locked (EngineTicketStore  *self,
             GError            **error)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autoptr(GError) local_error = NULL;
  int rc;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create the folder %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }

  rc = sqlite3_open_v2 (self->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_extended_result_codes (self->db, 1);
      omni_sqlite_set_busy_wait (self->db, 5000);
      rc = sqlite3_exec (self->db,
                         "PRAGMA journal_mode = WAL;"
                         "PRAGMA synchronous = NORMAL;"
                         "PRAGMA foreign_keys = ON;"
                         "SELECT count(*) FROM sqlite_schema;",
                         NULL, NULL, NULL);
    }
  if (rc == SQLITE_OK && migrate (self->db, &local_error))
    return TRUE;

  if (rc == SQLITE_OK)
    rc = sqlite3_extended_errcode (self->db);
  if (local_error == NULL)
    g_set_error (&local_error, OMNI_ERROR, OMNI_ERROR_STORAGE, "%s",
                 self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
  g_clear_pointer (&self->db, sqlite3_close);

  if (is_damage (rc) && g_file_test (self->path, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GError) copy_error = NULL;

      if (!copy_to_backup (self, &copy_error))
        g_clear_pointer (&self->backup_path, g_free);
      g_set_error (error, OMNI_ERROR, OMNI_ERROR_STORAGE,
                   self->backup_path
                     ? _("The ticket database %s cannot be read (%s). A copy was saved as %s.")
                     : _("The ticket database %s cannot be read (%s)."),
                   self->path, local_error->message, self->backup_path);
      return FALSE;
    }

  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* Called with the lock held. */
static gboolean
check_open (EngineTicketStore  *self,
            GError            **error)
{
  while (self->db == NULL && self->opening)
    g_cond_wait (&self->opened, &self->lock);
  if (self->db == NULL)
    {
      g_set_error_literal (error, OMNI_ERROR, OMNI_ERROR_STORAGE, _("The ticket database is not open"));
      return FALSE;
    }
  return TRUE;
}

static EngineTicket *
ticket_from_row (sqlite3_stmt *stmt)
{
  return engine_ticket_new (sqlite3_column_int64 (stmt, 0),
                            (const char *) sqlite3_column_text (stmt, 1),
                            (const char *) sqlite3_column_text (stmt, 2),
                            (const char *) sqlite3_column_text (stmt, 3),
                            CLAMP (sqlite3_column_int (stmt, 4), 0, ENGINE_TICKET_N_STATUSES - 1),
                            CLAMP (sqlite3_column_int (stmt, 5), 0, ENGINE_TICKET_N_PRIORITIES - 1),
                            sqlite3_column_int64 (stmt, 6),
                            sqlite3_column_int64 (stmt, 7));
}

#define TICKET_COLUMNS "t.id, t.subject, t.customer_name, t.customer_email, t.status, t.priority, t.created_at, t.updated_at"

static gint64
insert_message (sqlite3            *db,
                gint64              ticket_id,
                EngineMessageKind   kind,
                const char         *author,
                const char         *body,
                const char         *field,
                const char         *old_value,
                const char         *new_value,
                gint64              now,
                GError            **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (db, "INSERT INTO messages (ticket_id, kind, author, body, field, old_value, new_value, created_at)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", error);
  g_autoptr(sqlite3_stmt) touch = NULL;

  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, ticket_id);
  sqlite3_bind_int (stmt, 2, kind);
  sqlite3_bind_text (stmt, 3, author, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, body ? body : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, field, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, old_value, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 7, new_value, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 8, now);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_sqlite_error (db, SQLITE_ERROR, error);

  touch = prepare (db, "UPDATE tickets SET updated_at = ? WHERE id = ?", error);
  if (touch == NULL)
    return 0;
  sqlite3_bind_int64 (touch, 1, now);
  sqlite3_bind_int64 (touch, 2, ticket_id);
  if (sqlite3_step (touch) != SQLITE_DONE)
    return set_sqlite_error (db, SQLITE_ERROR, error);
  return sqlite3_last_insert_rowid (db);
}

static gboolean
read_field (sqlite3     *db,
            gint64       ticket_id,
            const char  *column,
            int         *out_value,
            GError     **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT %s FROM tickets WHERE id = ?", column);
  g_autoptr(sqlite3_stmt) stmt = prepare (db, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, ticket_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_not_found (error, ticket_id);
      return FALSE;
    }
  *out_value = sqlite3_column_int (stmt, 0);
  return TRUE;
}

/* Status and priority changes go into the thread as events, in the same
 * transaction as the change itself. */
static gboolean
change_field (sqlite3                  *db,
              const EngineTicketChange *change,
              gint64                    ticket_id,
              const char               *column,
              int                       value,
              const char *            (*to_string) (int),
              gint64                    now,
              GError                  **error)
{
  g_autofree char *sql = g_strdup_printf ("UPDATE tickets SET %s = ? WHERE id = ?", column);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int old_value;

  if (!read_field (db, ticket_id, column, &old_value, error))
    return FALSE;
  if (old_value == value)
    return TRUE;

  stmt = prepare (db, sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, value);
  sqlite3_bind_int64 (stmt, 2, ticket_id);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_sqlite_error (db, SQLITE_ERROR, error);

  return insert_message (db, ticket_id, ENGINE_MESSAGE_EVENT, change->author, "",
                         column, to_string (old_value), to_string (value), now, error) != 0;
}

static const char *
status_name (int value)
{
  return engine_ticket_status_to_string (value);
}

static const char *
priority_name (int value)
{
  return engine_ticket_priority_to_string (value);
}

/* One change inside the caller's transaction; returns the ticket id or 0. */
static gint64
apply_one_locked (EngineTicketStore         *self,
                  const EngineTicketChange  *change,
                  gint64                     ticket_id,
                  gint64                     now,
                  GError                   **error)
{
  sqlite3 *db = self->db;
  gboolean ok = FALSE;

  switch (change->kind)
    {
    case ENGINE_TICKET_CHANGE_CREATE:
      {
        g_autoptr(sqlite3_stmt) stmt =
          prepare (db, "INSERT INTO tickets (subject, customer_name, customer_email, status, priority, created_at, updated_at)"
                       " VALUES (?, ?, ?, 0, ?, ?, ?)", error);
        if (stmt == NULL)
          break;
        sqlite3_bind_text (stmt, 1, change->subject, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text (stmt, 2, change->customer_name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text (stmt, 3, change->customer_email, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int (stmt, 4, change->priority);
        sqlite3_bind_int64 (stmt, 5, now);
        sqlite3_bind_int64 (stmt, 6, now);
        if (sqlite3_step (stmt) != SQLITE_DONE)
          {
            set_sqlite_error (db, SQLITE_ERROR, error);
            break;
          }
        ticket_id = sqlite3_last_insert_rowid (db);
        ok = change->body == NULL || *change->body == '\0' ||
             insert_message (db, ticket_id, ENGINE_MESSAGE_CUSTOMER, change->customer_name,
                             change->body, NULL, NULL, NULL, now, error) != 0;
      }
      break;

    case ENGINE_TICKET_CHANGE_ADD_MESSAGE:
      {
        int unused;
        ok = read_field (db, ticket_id, "status", &unused, error) &&
             insert_message (db, ticket_id, change->message_kind, change->author, change->body,
                             NULL, NULL, NULL, now, error) != 0;
      }
      break;

    case ENGINE_TICKET_CHANGE_SET_STATUS:
      ok = change_field (db, change, ticket_id, "status", change->status, status_name, now, error);
      break;

    case ENGINE_TICKET_CHANGE_SET_PRIORITY:
      ok = change_field (db, change, ticket_id, "priority", change->priority, priority_name, now, error);
      break;

    case ENGINE_TICKET_CHANGE_LINK_SESSION:
      {
        g_autoptr(sqlite3_stmt) stmt =
          prepare (db, "INSERT OR IGNORE INTO ticket_sessions (ticket_id, session_id, created_at) VALUES (?, ?, ?)", error);
        int unused;
        if (stmt == NULL || !read_field (db, ticket_id, "status", &unused, error))
          break;
        sqlite3_bind_int64 (stmt, 1, ticket_id);
        sqlite3_bind_text (stmt, 2, change->session_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64 (stmt, 3, now);
        if (sqlite3_step (stmt) != SQLITE_DONE)
          {
            set_sqlite_error (db, SQLITE_ERROR, error);
            break;
          }
        ok = insert_message (db, ticket_id, ENGINE_MESSAGE_EVENT, change->author, "",
                             "session", NULL, change->session_id, now, error) != 0;
      }
      break;

    default:
      g_assert_not_reached ();
    }

  return ok ? ticket_id : 0;
}

/* All changes in one transaction: all or nothing. A change with ticket_id 0
 * (other than CREATE) refers to the ticket created last in the batch. */
static gint64
apply_locked (EngineTicketStore         *self,
              EngineTicketChange *const *changes,
              guint                      n_changes,
              GError                   **error)
{
  gint64 now = omni_time_now_ms ();
  gint64 last_id = 0;

  if (!exec_sql (self->db, "BEGIN IMMEDIATE", error))
    return 0;
  for (guint i = 0; i < n_changes; i++)
    {
      const EngineTicketChange *change = changes[i];
      gint64 id = change->ticket_id != 0 ? change->ticket_id : last_id;

      last_id = apply_one_locked (self, change, id, now, error);
      if (last_id == 0)
        {
          exec_sql (self->db, "ROLLBACK", NULL);
          return 0;
        }
    }
  if (!exec_sql (self->db, "COMMIT", error))
    {
      exec_sql (self->db, "ROLLBACK", NULL);
      return 0;
    }
  return last_id;
}

static GPtrArray *
query_locked (EngineTicketStore        *self,
              const EngineTicketQuery  *query,
              GError                  **error)
{
  g_autoptr(GString) sql = g_string_new ("SELECT " TICKET_COLUMNS " FROM tickets t");
  g_autoptr(GPtrArray) result = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *match = engine_ticket_store_build_match (query->search);
  int rc, index = 1;

  if (match != NULL)
    g_string_append (sql, " JOIN ticket_fts f ON f.rowid = t.id WHERE ticket_fts MATCH ?");
  else
    g_string_append (sql, " WHERE 1");
  if (query->status >= 0)
    g_string_append (sql, " AND t.status = ?");
  if (query->priority >= 0)
    g_string_append (sql, " AND t.priority = ?");
  if (query->sort == ENGINE_TICKET_SORT_PRIORITY)
    g_string_append (sql, " ORDER BY t.priority DESC, t.updated_at DESC, t.id DESC");
  else
    g_string_append (sql, " ORDER BY t.updated_at DESC, t.id DESC");

  stmt = prepare (self->db, sql->str, error);
  if (stmt == NULL)
    return NULL;
  if (match != NULL)
    sqlite3_bind_text (stmt, index++, match, -1, SQLITE_TRANSIENT);
  if (query->status >= 0)
    sqlite3_bind_int (stmt, index++, query->status);
  if (query->priority >= 0)
    sqlite3_bind_int (stmt, index++, query->priority);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (result, ticket_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self->db, rc, error);
      return NULL;
    }
  return g_steal_pointer (&result);
}

static EngineTicketDetails *
load_locked (EngineTicketStore  *self,
             gint64              ticket_id,
             GError            **error)
{
  g_autoptr(EngineTicketDetails) details = g_new0 (EngineTicketDetails, 1);
  g_autoptr(sqlite3_stmt) ticket = NULL;
  g_autoptr(sqlite3_stmt) messages = NULL;
  g_autoptr(sqlite3_stmt) sessions = NULL;
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();
  gboolean ok = FALSE;

  if (!exec_sql (self->db, "BEGIN", error))
    return NULL;

  ticket = prepare (self->db, "SELECT " TICKET_COLUMNS " FROM tickets t WHERE t.id = ?", error);
  messages = ticket ? prepare (self->db, "SELECT id, ticket_id, kind, author, body, field, old_value, new_value, created_at"
                                         " FROM messages WHERE ticket_id = ? ORDER BY id", error) : NULL;
  sessions = messages ? prepare (self->db, "SELECT session_id FROM ticket_sessions WHERE ticket_id = ?"
                                           " ORDER BY created_at, rowid", error) : NULL;
  if (sessions == NULL)
    goto out;

  sqlite3_bind_int64 (ticket, 1, ticket_id);
  if (sqlite3_step (ticket) != SQLITE_ROW)
    {
      set_not_found (error, ticket_id);
      goto out;
    }
  details->ticket = ticket_from_row (ticket);

  details->messages = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_bind_int64 (messages, 1, ticket_id);
  while (sqlite3_step (messages) == SQLITE_ROW)
    g_ptr_array_add (details->messages,
                     engine_message_new (sqlite3_column_int64 (messages, 0),
                                         sqlite3_column_int64 (messages, 1),
                                         CLAMP (sqlite3_column_int (messages, 2), 0, ENGINE_MESSAGE_N_KINDS - 1),
                                         (const char *) sqlite3_column_text (messages, 3),
                                         (const char *) sqlite3_column_text (messages, 4),
                                         (const char *) sqlite3_column_text (messages, 5),
                                         (const char *) sqlite3_column_text (messages, 6),
                                         (const char *) sqlite3_column_text (messages, 7),
                                         sqlite3_column_int64 (messages, 8)));

  sqlite3_bind_int64 (sessions, 1, ticket_id);
  while (sqlite3_step (sessions) == SQLITE_ROW)
    g_strv_builder_add (ids, (const char *) sqlite3_column_text (sessions, 0));
  details->session_ids = g_strv_builder_end (ids);
  ok = TRUE;

out:
  exec_sql (self->db, "COMMIT", NULL);
  return ok ? g_steal_pointer (&details) : NULL;
}

typedef struct {
  EngineTicketStore *self;
  gint64 ticket_id;
} ChangedData;

static gboolean
emit_changed (gpointer user_data)
{
  ChangedData *data = user_data;

  g_signal_emit (data->self, signals[CHANGED], 0, data->ticket_id);
  return G_SOURCE_REMOVE;
}

static void
changed_data_free (gpointer user_data)
{
  ChangedData *data = user_data;

  g_object_unref (data->self);
  g_free (data);
}

/* "changed" is always emitted in the context the store was made in. */
static void
queue_changed (EngineTicketStore *self,
               gint64             ticket_id)
{
  ChangedData *data = g_new0 (ChangedData, 1);

  data->self = g_object_ref (self);
  data->ticket_id = ticket_id;
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, emit_changed, data, changed_data_free);
}

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;

  if (engine_ticket_store_open (source_object, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
apply_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GError *error = NULL;
  gint64 id = engine_ticket_store_apply (source_object, task_data, &error);

  if (id != 0)
    g_task_return_int (task, id);
  else
    g_task_return_error (task, error);
}

typedef struct {
  EngineTicketQuery query;
  char *search;
} QueryData;

static void
query_data_free (gpointer user_data)
{
  QueryData *data = user_data;

  g_free (data->search);
  g_free (data);
}

static void
query_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  QueryData *data = task_data;
  GError *error = NULL;
  GPtrArray *result;

  if (g_task_return_error_if_cancelled (task))
    return;
  result = engine_ticket_store_query (source_object, &data->query, &error);
  if (result != NULL)
    g_task_return_pointer (task, result, (GDestroyNotify) g_ptr_array_unref);
  else
    g_task_return_error (task, error);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  EngineTicketDetails *details;

  details = engine_ticket_store_load (source_object, *(gint64 *) task_data, &error);
  if (details != NULL)
    g_task_return_pointer (task, details, (GDestroyNotify) engine_ticket_details_free);
  else
    g_task_return_error (task, error);
}

static void
engine_ticket_store_finalize (GObject *object)
{
  EngineTicketStore *self = (EngineTicketStore *) object;

  g_clear_pointer (&self->db, sqlite3_close);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->opened);
  g_free (self->path);
  g_free (self->backup_path);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (engine_ticket_store_parent_class)->finalize (object);
}

static void
engine_ticket_store_class_init (EngineTicketStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = engine_ticket_store_finalize;

  /**
   * EngineTicketStore::changed:
   * @ticket_id: the ticket written
   *
   * A write went through; lists and open views reload what they show.
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
engine_ticket_store_init (EngineTicketStore *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->opened);
  self->context = g_main_context_ref_thread_default ();
}

EngineTicketChange *
engine_ticket_change_new (EngineTicketChangeKind kind)
{
  EngineTicketChange *change = g_new0 (EngineTicketChange, 1);

  change->kind = kind;
  change->priority = ENGINE_TICKET_PRIORITY_NORMAL;
  return change;
}

void
engine_ticket_change_free (EngineTicketChange *change)
{
  if (change == NULL)
    return;
  g_free (change->subject);
  g_free (change->customer_name);
  g_free (change->customer_email);
  g_free (change->author);
  g_free (change->body);
  g_free (change->session_id);
  g_free (change);
}

void
engine_ticket_details_free (EngineTicketDetails *details)
{
  if (details == NULL)
    return;
  g_clear_object (&details->ticket);
  g_clear_pointer (&details->messages, g_ptr_array_unref);
  g_strfreev (details->session_ids);
  g_free (details);
}

EngineTicketStore *
engine_ticket_store_new (const char *path)
{
  EngineTicketStore *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (ENGINE_TYPE_TICKET_STORE, NULL);
  self->path = g_strdup (path);
  return self;
}

const char *
engine_ticket_store_get_path (EngineTicketStore *self)
{
  g_return_val_if_fail (ENGINE_IS_TICKET_STORE (self), NULL);
  return self->path;
}

const char *
engine_ticket_store_get_backup_path (EngineTicketStore *self)
{
  g_return_val_if_fail (ENGINE_IS_TICKET_STORE (self), NULL);
  return self->backup_path;
}

gboolean
engine_ticket_store_is_open (EngineTicketStore *self)
{
  gboolean open;

  g_return_val_if_fail (ENGINE_IS_TICKET_STORE (self), FALSE);
  g_mutex_lock (&self->lock);
  open = self->db != NULL;
  g_mutex_unlock (&self->lock);
  return open;
}

gboolean
engine_ticket_store_open (EngineTicketStore  *self,
                          GError            **error)
{
  gboolean ok;

  g_return_val_if_fail (ENGINE_IS_TICKET_STORE (self), FALSE);

  g_mutex_lock (&self->lock);
  ok = self->db != NULL || open_locked (self, error);
  self->opening = FALSE;
  g_cond_broadcast (&self->opened);
  g_mutex_unlock (&self->lock);
  return ok;
}

void
engine_ticket_store_open_async (EngineTicketStore   *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ENGINE_IS_TICKET_STORE (self));

  g_mutex_lock (&self->lock);
  self->opening = TRUE;
  g_mutex_unlock (&self->lock);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, engine_ticket_store_open_async);
  g_task_run_in_thread (task, open_thread);
}

gboolean
engine_ticket_store_open_finish (EngineTicketStore  *self,
                                 GAsyncResult       *result,
                                 GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
engine_ticket_store_reset (EngineTicketStore  *self,
                           GError            **error)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (ENGINE_IS_TICKET_STORE (self), FALSE);

  g_mutex_lock (&self->lock);
  if (self->db == NULL)
    {
      g_autofree char *wal = g_strconcat (self->path, "-wal", NULL);
      g_autofree char *shm = g_strconcat (self->path, "-shm", NULL);

      /* The damaged file is already copied; keep it once more in case the
       * backup was not possible, then start fresh. */
      if (self->backup_path == NULL && g_file_test (self->path, G_FILE_TEST_EXISTS))
        ok = copy_to_backup (self, error);
      if (ok)
        {
          g_unlink (self->path);
          g_unlink (wal);
          g_unlink (shm);
          ok = open_locked (self, error);
        }
    }
  g_mutex_unlock (&self->lock);
  if (ok)
    queue_changed (self, 0);
  return ok;
}

gint64
engine_ticket_store_apply (EngineTicketStore         *self,
                           const EngineTicketChange  *change,
                           GError                   **error)
{
  gint64 id = 0;

  g_return_val_if_fail (ENGINE_IS_TICKET_STORE (self), 0);
  g_return_val_if_fail (change != NULL, 0);

  g_mutex_lock (&self->lock);
  if (check_open (self, error))
    id = apply_locked (self, (EngineTicketChange *const *) &change, 1, error);
  g_mutex_unlock (&self->lock);
  if (id != 0)
    queue_changed (self, id);
  return id;
}

gint64
engine_ticket_store_apply_many (EngineTicketStore  *self,
                                GPtrArray          *changes,
                                GError            **error)
{
  gint64 id = 0;

  g_return_val_if_fail (ENGINE_IS_TICKET_STORE (self), 0);
  g_return_val_if_fail (changes != NULL && changes->len > 0, 0);

  g_mutex_lock (&self->lock);
  if (check_open (self, error))
    id = apply_locked (self, (EngineTicketChange *const *) changes->pdata, changes->len, error);
  g_mutex_unlock (&self->lock);
  if (id != 0)
    queue_changed (self, 0);
  return id;
}

void
engine_ticket_store_apply_async (EngineTicketStore   *self,
                                 EngineTicketChange  *change,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ENGINE_IS_TICKET_STORE (self));
  g_return_if_fail (change != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, engine_ticket_store_apply_async);
  g_task_set_task_data (task, change, (GDestroyNotify) engine_ticket_change_free);
  g_task_run_in_thread (task, apply_thread);
}

gint64
engine_ticket_store_apply_finish (EngineTicketStore  *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  return g_task_propagate_int (G_TASK (result), error);
}

GPtrArray *
engine_ticket_store_query (EngineTicketStore        *self,
                           const EngineTicketQuery  *query,
                           GError                  **error)
{
  GPtrArray *result = NULL;

  g_return_val_if_fail (ENGINE_IS_TICKET_STORE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  g_mutex_lock (&self->lock);
  if (check_open (self, error))
    result = query_locked (self, query, error);
  g_mutex_unlock (&self->lock);
  return result;
}

void
engine_ticket_store_query_async (EngineTicketStore        *self,
                                 const EngineTicketQuery  *query,
                                 GCancellable             *cancellable,
                                 GAsyncReadyCallback       callback,
                                 gpointer                  user_data)
{
  g_autoptr(GTask) task = NULL;
  QueryData *data;

  g_return_if_fail (ENGINE_IS_TICKET_STORE (self));
  g_return_if_fail (query != NULL);

  data = g_new0 (QueryData, 1);
  data->query = *query;
  data->search = g_strdup (query->search);
  data->query.search = data->search;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, engine_ticket_store_query_async);
  g_task_set_task_data (task, data, query_data_free);
  g_task_run_in_thread (task, query_thread);
}

GPtrArray *
engine_ticket_store_query_finish (EngineTicketStore  *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

EngineTicketDetails *
engine_ticket_store_load (EngineTicketStore  *self,
                          gint64              ticket_id,
                          GError            **error)
{
  EngineTicketDetails *details = NULL;

  g_return_val_if_fail (ENGINE_IS_TICKET_STORE (self), NULL);

  g_mutex_lock (&self->lock);
  if (check_open (self, error))
    details = load_locked (self, ticket_id, error);
  g_mutex_unlock (&self->lock);
  return details;
}

void
engine_ticket_store_load_async (EngineTicketStore   *self,
                                gint64               ticket_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ENGINE_IS_TICKET_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, engine_ticket_store_load_async);
  g_task_set_task_data (task, g_memdup2 (&ticket_id, sizeof ticket_id), g_free);
  g_task_run_in_thread (task, load_thread);
}

EngineTicketDetails *
engine_ticket_store_load_finish (EngineTicketStore  *self,
                                 GAsyncResult       *result,
                                 GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
engine_ticket_store_build_match (const char *text)
{
  g_autoptr(GString) match = NULL;
  g_auto(GStrv) words = NULL;

  if (text == NULL)
    return NULL;

  words = g_strsplit_set (text, " \t\n\r", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autoptr(GString) word = NULL;

      if (*words[i] == '\0')
        continue;
      word = g_string_new (words[i]);
      g_string_replace (word, "\"", "\"\"", 0);
      if (match == NULL)
        match = g_string_new (NULL);
      else
        g_string_append_c (match, ' ');
      g_string_append_printf (match, "\"%s\"*", word->str);
    }
  return match ? g_string_free (g_steal_pointer (&match), FALSE) : NULL;
}
