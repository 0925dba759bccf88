/* relay-mail-outbox.c: every query on the outbox. Queuing runs on the API's
 * connection inside its transaction; sending runs on the worker's own
 * connection. Each row carries a JSON payload, a snapshot of what the message
 * says, so a retry after a restart renders the same message:
 *   kind, sessionId, uid, recurrenceId, sequence, title, sessionType,
 *   description, agenda, start, end, joinUrl, hostName, hostEmail, hasPassword,
 *   password (only when the host asked), recipientEmail, recipientName and,
 *   for a series invitation, occurrences [{start, end, joinUrl, recurrenceId,
 *   sequence}]. */
#define G_LOG_DOMAIN "relay-mail"

#include "omni-sqlite.h"
#include "relay-mail-private.h"
#include "omni-error.h"
#include "omni-json-writer.h"
#include "omni-time.h"
#include "omni-token.h"

#include <string.h>

static const char * const kind_names[RELAY_MAIL_N_KINDS] = {
  "invitation", "started", "reminder", "updated", "cancelled", "follow_up",
};

const char *
relay_mail_kind_to_string (RelayMailKind kind)
{
  g_return_val_if_fail (kind < RELAY_MAIL_N_KINDS, NULL);
  return kind_names[kind];
}

gboolean
relay_mail_kind_from_string (const char    *text,
                             RelayMailKind *out_kind)
{
  for (guint i = 0; i < RELAY_MAIL_N_KINDS; i++)
    if (g_strcmp0 (text, kind_names[i]) == 0)
      {
        *out_kind = (RelayMailKind) i;
        return TRUE;
      }
  return FALSE;
}

void
relay_mail_row_free (RelayMailRow *row)
{
  if (row == NULL)
    return;
  g_free (row->kind);
  g_free (row->recipient_email);
  g_free (row->recipient_name);
  g_free (row->payload);
  g_free (row->message_id);
  g_free (row);
}

/* ---- small SQLite helpers ---- */

static gboolean
set_db_error (sqlite3     *db,
              GError     **error,
              const char  *what)
{
  omni_error_set_field (error, OMNI_ERROR_STORAGE, NULL, "%s: %s", what, sqlite3_errmsg (db));
  return FALSE;
}

/* Ends a transaction begun with BEGIN IMMEDIATE: commits when its work went
 * well (ok), and rolls back when it did not (error already set) or when the
 * commit fails. */
static gboolean
end_transaction (sqlite3     *db,
                 gboolean     ok,
                 const char  *what,
                 GError     **error)
{
  if (ok && sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
    return TRUE;
  if (ok)
    set_db_error (db, error, what);
  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

/* Statements are prepared once per connection and reused: preparing them on
 * every call was a third of the CPU a POST /api/sessions costs. A
 * connection's statements are finalized when it closes: SQLite reports
 * SQLITE_TRACE_CLOSE before it checks for statements still open. */
static GMutex statement_lock;
static GHashTable *statements_by_db;   /* sqlite3 * → (SQL text address → sqlite3_stmt *) */

static int
forget_statements (unsigned  type,
                   void     *context,
                   void     *db,
                   void     *unused)
{
  g_mutex_lock (&statement_lock);
  if (statements_by_db != NULL)
    g_hash_table_remove (statements_by_db, db);
  g_mutex_unlock (&statement_lock);
  return 0;
}

/* The cleanup of a cached statement: ready for its next use, never finalized. */
typedef sqlite3_stmt MailStmt;

static void
mail_stmt_release (MailStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MailStmt, mail_stmt_release)

/* sql must be a string literal: statements are cached by its address. */
static MailStmt *
prepare (sqlite3     *db,
         const char  *sql,
         GError     **error)
{
  GHashTable *statements;
  sqlite3_stmt *stmt;

  g_mutex_lock (&statement_lock);
  if (statements_by_db == NULL)
    statements_by_db = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_hash_table_unref);
  statements = g_hash_table_lookup (statements_by_db, db);
  if (statements == NULL)
    {
      statements = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) sqlite3_finalize);
      g_hash_table_insert (statements_by_db, db, statements);
      sqlite3_trace_v2 (db, SQLITE_TRACE_CLOSE, forget_statements, NULL);
    }
  stmt = g_hash_table_lookup (statements, sql);
  g_mutex_unlock (&statement_lock);
  if (stmt != NULL)
    return stmt;

  if (sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      g_critical ("Cannot prepare %s: %s", sql, sqlite3_errmsg (db));
      set_db_error (db, error, "Cannot prepare a mail query");
      return NULL;
    }
  g_mutex_lock (&statement_lock);
  g_hash_table_insert (statements, (gpointer) sql, stmt);
  g_mutex_unlock (&statement_lock);
  return stmt;
}

static gboolean
step_done (sqlite3       *db,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return set_db_error (db, error, "Cannot write the mail outbox");
  return TRUE;
}

sqlite3 *
relay_mail_db_open (const char  *path,
                    GError     **error)
{
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      omni_error_set_field (error, OMNI_ERROR_STORAGE, NULL, "Cannot open %s for mail: %s",
                            path, db != NULL ? sqlite3_errmsg (db) : "out of memory");
      sqlite3_close (db);
      return NULL;
    }
  /* The API's connection writes too: wait for it instead of failing. */
  omni_sqlite_set_busy_wait (db, 10000);
  /* No memory mapping, like the store's connections (relay-store.c says why). */
  if (sqlite3_exec (db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA mmap_size = 0;", NULL, NULL, NULL) != SQLITE_OK)
    {
      set_db_error (db, error, "Cannot configure the mail connection");
      sqlite3_close (db);
      return NULL;
    }
  return db;
}

/* ---- queuing ---- */

typedef struct {
  char *email;
  char *name;
} Recipient;

static void
recipient_clear (Recipient *recipient)
{
  g_free (recipient->email);
  g_free (recipient->name);
}

/* Who hears about what, when the caller does not name them: invitees, except
 * that "started" skips those already there and the follow-up goes to those
 * who came (invited or not). */
static GArray *
load_recipients (sqlite3        *db,
                 const char     *session_id,
                 RelayMailKind   kind,
                 GPtrArray      *invitees,
                 GError        **error)
{
  g_autoptr(GArray) recipients = g_array_new (FALSE, TRUE, sizeof (Recipient));
  g_autoptr(MailStmt) stmt = NULL;
  int rc;

  g_array_set_clear_func (recipients, (GDestroyNotify) recipient_clear);
  if (invitees != NULL)
    {
      for (guint i = 0; i < invitees->len; i++)
        {
          OmniInvitee *invitee = g_ptr_array_index (invitees, i);
          Recipient r = { g_strdup (invitee->email), g_strdup (invitee->name) };
          g_array_append_val (recipients, r);
        }
      return g_steal_pointer (&recipients);
    }

  stmt = prepare (db, "SELECT email, name FROM participants WHERE session_id = ?1 AND"
                      " CASE ?2 WHEN 'follow_up' THEN joined_at IS NOT NULL"
                      "  WHEN 'started' THEN invited = 1 AND state NOT IN ('waiting', 'admitted')"
                      "  ELSE invited = 1 END"
                      " ORDER BY position", error);
  if (stmt == NULL)
    return NULL;
  omni_sqlite_bind_text (stmt, 1, session_id);
  omni_sqlite_bind_text (stmt, 2, relay_mail_kind_to_string (kind));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Recipient r = { omni_sqlite_column_dup (stmt, 0), omni_sqlite_column_dup (stmt, 1) };
      g_array_append_val (recipients, r);
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (db, error, "Cannot read the recipients");
      return NULL;
    }
  return g_steal_pointer (&recipients);
}

/* The calendar identity of a session, fixed at its first calendar mail: a
 * series shares one UID and each occurrence is known by its original start,
 * so later updates and cancellations find the right event. */
static gboolean
load_calendar_identity (RelayMail          *mail,
                        sqlite3            *db,
                        const OmniSession  *session,
                        char              **out_uid,
                        gint64             *out_recurrence_id,
                        int                *out_sequence,
                        GError            **error)
{
  g_autoptr(MailStmt) insert = NULL;
  g_autoptr(MailStmt) select = NULL;

  if (session->series_id != NULL)
    insert = prepare (db, "INSERT OR IGNORE INTO mail_calendar (session_id, uid, recurrence_id)"
                          " SELECT id, ?2 || '@' || ?3, scheduled_start FROM sessions WHERE series_id = ?1", error);
  else
    insert = prepare (db, "INSERT OR IGNORE INTO mail_calendar (session_id, uid, recurrence_id)"
                          " VALUES (?1, ?2 || '@' || ?3, NULL)", error);
  if (insert == NULL)
    return FALSE;
  omni_sqlite_bind_text (insert, 1, session->series_id != NULL ? session->series_id : session->id);
  omni_sqlite_bind_text (insert, 2, session->series_id != NULL ? session->series_id : session->id);
  omni_sqlite_bind_text (insert, 3, mail->domain);
  if (!step_done (db, insert, error))
    return FALSE;

  select = prepare (db, "SELECT c.uid, c.recurrence_id, s.sequence FROM mail_calendar c"
                        " JOIN sessions s ON s.id = c.session_id WHERE c.session_id = ?", error);
  if (select == NULL)
    return FALSE;
  omni_sqlite_bind_text (select, 1, session->id);
  if (sqlite3_step (select) != SQLITE_ROW)
    return set_db_error (db, error, "Cannot read the session's calendar identity");
  *out_uid = omni_sqlite_column_dup (select, 0);
  *out_recurrence_id = sqlite3_column_int64 (select, 1);
  *out_sequence = sqlite3_column_int (select, 2);
  return TRUE;
}

static char *
join_url (RelayMail  *mail,
          const char *access_link)
{
  return g_strdup_printf ("%s/session/join/%s", mail->public_url, access_link);
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

/* Times on the wire are ISO-8601 like the rest of the API; null when unset. */
static void
add_time (JsonBuilder *builder,
          const char  *name,
          gint64       ms)
{
  g_autofree char *text = ms != 0 ? omni_time_format_iso8601 (ms) : NULL;
  add_string (builder, name, text);
}

/* The occurrences of a series this person is invited to, for one invitation
 * that covers them all. */
static gboolean
write_occurrences (RelayMail          *mail,
                   sqlite3            *db,
                   OmniJsonWriter     *w,
                   const OmniSession  *session,
                   const char         *email,
                   GError            **error)
{
  g_autoptr(MailStmt) stmt = NULL;
  g_autofree char *email_key = g_utf8_strdown (email, -1);
  int rc;

  stmt = prepare (db, "SELECT s.scheduled_start, s.scheduled_end, s.access_link, s.sequence, c.recurrence_id"
                      " FROM sessions s JOIN participants p ON p.session_id = s.id"
                      " LEFT JOIN mail_calendar c ON c.session_id = s.id"
                      " WHERE s.series_id = ?1 AND s.status = 'scheduled' AND p.email_key = ?2 AND p.invited = 1"
                      " ORDER BY s.series_index", error);
  if (stmt == NULL)
    return FALSE;
  omni_sqlite_bind_text (stmt, 1, session->series_id);
  omni_sqlite_bind_text (stmt, 2, email_key);

  omni_json_writer_member (w, "occurrences");
  omni_json_writer_begin_array (w);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autofree char *url = join_url (mail, (const char *) sqlite3_column_text (stmt, 2));

      omni_json_writer_begin_object (w);
      omni_json_writer_member_int (w, "start", sqlite3_column_int64 (stmt, 0));
      omni_json_writer_member_int (w, "end", sqlite3_column_int64 (stmt, 1));
      omni_json_writer_member_string (w, "joinUrl", url);
      omni_json_writer_member_int (w, "sequence", sqlite3_column_int (stmt, 3));
      omni_json_writer_member_int (w, "recurrenceId", sqlite3_column_int64 (stmt, 4));
      omni_json_writer_end_object (w);
    }
  omni_json_writer_end_array (w);
  if (rc != SQLITE_DONE)
    return set_db_error (db, error, "Cannot read the series");
  return TRUE;
}

static char *
dedupe_key (RelayMailKind       kind,
            const OmniSession  *session,
            const char         *email,
            int                 sequence)
{
  g_autofree char *email_key = g_utf8_strdown (email, -1);

  switch (kind)
    {
    case RELAY_MAIL_REMINDER:
      /* Once per start time: a session moved later gets its own reminder. */
      return g_strdup_printf ("reminder:%s:%s:%" G_GINT64_FORMAT, session->id, email_key, session->scheduled_start);
    case RELAY_MAIL_UPDATED:
      return g_strdup_printf ("updated:%s:%s:%d", session->id, email_key, sequence);
    case RELAY_MAIL_INVITATION:
    case RELAY_MAIL_STARTED:
    case RELAY_MAIL_CANCELLED:
    case RELAY_MAIL_FOLLOW_UP:
      return g_strdup_printf ("%s:%s:%s", relay_mail_kind_to_string (kind), session->id, email_key);
    case RELAY_MAIL_N_KINDS:
    default:
      g_assert_not_reached ();
    }
}

static char *
new_message_id (RelayMail *mail)
{
  g_autofree char *token = omni_token_new (18);
  return g_strdup_printf ("%s@%s", token, mail->domain);
}

/* Once a session is cancelled, its invitations, reminders and updates still
 * waiting for a retry would only confuse: they stop, visibly. */
static gboolean
supersede_queued (sqlite3     *db,
                  const char  *session_id,
                  GError     **error)
{
  g_autoptr(MailStmt) stmt = NULL;

  stmt = prepare (db, "UPDATE outbox SET state = 'failed', last_error = 'Not sent: the session was cancelled',"
                      " payload = json_remove(payload, '$.password')"
                      " WHERE session_id = ? AND state = 'queued'", error);
  if (stmt == NULL)
    return FALSE;
  omni_sqlite_bind_text (stmt, 1, session_id);
  return step_done (db, stmt, error);
}

gboolean
relay_mail_enqueue (RelayMail          *mail,
                    sqlite3            *db,
                    RelayMailKind       kind,
                    const OmniSession  *session,
                    GPtrArray          *invitees,
                    const char         *password,
                    GError            **error)
{
  g_autoptr(GArray) recipients = NULL;
  g_autoptr(MailStmt) insert = NULL;
  g_autofree char *uid = NULL;
  g_autofree char *url = NULL;
  gint64 recurrence_id = 0;
  gint64 now = omni_time_now_ms ();
  int sequence = 0;

  g_return_val_if_fail (db != NULL && session != NULL, FALSE);
  g_return_val_if_fail (kind < RELAY_MAIL_N_KINDS, FALSE);

  if (mail == NULL || (kind == RELAY_MAIL_FOLLOW_UP && !mail->follow_up))
    return TRUE;
  if (kind == RELAY_MAIL_CANCELLED && !supersede_queued (db, session->id, error))
    return FALSE;

  recipients = load_recipients (db, session->id, kind, invitees, error);
  if (recipients == NULL)
    return FALSE;
  if (recipients->len == 0)
    return TRUE;
  if (!load_calendar_identity (mail, db, session, &uid, &recurrence_id, &sequence, error))
    return FALSE;

  insert = prepare (db, "INSERT OR IGNORE INTO outbox (session_id, kind, recipient_email, recipient_name,"
                        " payload, dedupe_key, state, attempts, next_attempt_at, message_id, created_at)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', 0, ?7, ?8, ?7)", error);
  if (insert == NULL)
    return FALSE;
  url = join_url (mail, session->access_link);

  for (guint i = 0; i < recipients->len; i++)
    {
      Recipient *r = &g_array_index (recipients, Recipient, i);
      g_autoptr(GString) payload = g_string_sized_new (1024);
      g_autofree char *key = dedupe_key (kind, session, r->email, sequence);
      g_autofree char *message_id = new_message_id (mail);
      OmniJsonWriter w;

      omni_json_writer_init (&w, payload);
      omni_json_writer_begin_object (&w);
      omni_json_writer_member_string (&w, "kind", relay_mail_kind_to_string (kind));
      omni_json_writer_member_string (&w, "sessionId", session->id);
      omni_json_writer_member_string (&w, "uid", uid);
      omni_json_writer_member_int (&w, "recurrenceId", recurrence_id);
      omni_json_writer_member_int (&w, "sequence", sequence);
      omni_json_writer_member_string (&w, "title", session->title);
      omni_json_writer_member_string (&w, "sessionType", omni_session_type_to_string (session->type));
      omni_json_writer_member_string (&w, "description", session->description);
      omni_json_writer_member_string (&w, "agenda", session->agenda);
      omni_json_writer_member_int (&w, "start", session->scheduled_start);
      omni_json_writer_member_int (&w, "end", session->scheduled_end);
      omni_json_writer_member_string (&w, "joinUrl", url);
      omni_json_writer_member_string (&w, "hostName", session->host_name);
      omni_json_writer_member_string (&w, "hostEmail", session->host_email);
      omni_json_writer_member (&w, "hasPassword");
      omni_json_writer_bool (&w, session->has_password);
      if (password != NULL && session->has_password)
        omni_json_writer_member_string (&w, "password", password);
      omni_json_writer_member_string (&w, "recipientEmail", r->email);
      omni_json_writer_member_string (&w, "recipientName", r->name);
      if (kind == RELAY_MAIL_INVITATION && session->series_id != NULL &&
          !write_occurrences (mail, db, &w, session, r->email, error))
        return FALSE;
      omni_json_writer_end_object (&w);

      omni_sqlite_bind_text (insert, 1, session->id);
      omni_sqlite_bind_text (insert, 2, relay_mail_kind_to_string (kind));
      omni_sqlite_bind_text (insert, 3, r->email);
      omni_sqlite_bind_text (insert, 4, r->name);
      sqlite3_bind_text (insert, 5, payload->str, (int) payload->len, SQLITE_TRANSIENT);
      omni_sqlite_bind_text (insert, 6, key);
      sqlite3_bind_int64 (insert, 7, now);
      omni_sqlite_bind_text (insert, 8, message_id);
      if (!step_done (db, insert, error))
        return FALSE;
    }
  return TRUE;
}

int
relay_mail_resend (RelayMail   *mail,
                   sqlite3     *db,
                   const char  *session_id,
                   const char  *email,
                   GError     **error)
{
  g_autoptr(MailStmt) stmt = NULL;
  g_autofree char *email_key = email != NULL ? g_utf8_strdown (email, -1) : NULL;
  gint64 now = omni_time_now_ms ();
  int count;

  g_return_val_if_fail (db != NULL && session_id != NULL, -1);

  if (mail == NULL)
    return 0;

  /* A copy of each invitee's newest message: same payload, so the same
   * text; a fresh Message-ID (randomblob runs per row) since it is a new
   * message to the server. */
  stmt = prepare (db, "INSERT INTO outbox (session_id, kind, recipient_email, recipient_name, payload,"
                      " dedupe_key, state, attempts, next_attempt_at, message_id, created_at)"
                      " SELECT o.session_id, o.kind, o.recipient_email, o.recipient_name, o.payload, NULL,"
                      "  'queued', 0, ?3, lower(hex(randomblob(16))) || '@' || ?4, ?3"
                      " FROM participants p JOIN outbox o ON o.id = (SELECT max(id) FROM outbox"
                      "   WHERE session_id = p.session_id AND lower(recipient_email) = p.email_key)"
                      " WHERE p.session_id = ?1 AND p.invited = 1 AND (?2 IS NULL OR p.email_key = ?2)"
                      " ORDER BY p.position", error);
  if (stmt == NULL)
    return -1;
  omni_sqlite_bind_text (stmt, 1, session_id);
  omni_sqlite_bind_text (stmt, 2, email_key);
  sqlite3_bind_int64 (stmt, 3, now);
  omni_sqlite_bind_text (stmt, 4, mail->domain);
  if (!step_done (db, stmt, error))
    return -1;
  count = sqlite3_changes (db);
  return count;
}

/* ---- the worker's side ---- */

GPtrArray *
relay_mail_outbox_due (sqlite3  *db,
                       gint64    now_ms,
                       int       limit,
                       GError  **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) relay_mail_row_free);
  g_autoptr(MailStmt) stmt = NULL;
  int rc;

  stmt = prepare (db, "SELECT id, kind, recipient_email, recipient_name, payload, message_id, attempts, created_at"
                      " FROM outbox WHERE state = 'queued' AND next_attempt_at <= ?1"
                      " ORDER BY next_attempt_at, id LIMIT ?2", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, now_ms);
  sqlite3_bind_int (stmt, 2, limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      RelayMailRow *row = g_new0 (RelayMailRow, 1);

      row->id = sqlite3_column_int64 (stmt, 0);
      row->kind = omni_sqlite_column_dup (stmt, 1);
      row->recipient_email = omni_sqlite_column_dup (stmt, 2);
      row->recipient_name = omni_sqlite_column_dup (stmt, 3);
      row->payload = omni_sqlite_column_dup (stmt, 4);
      row->message_id = omni_sqlite_column_dup (stmt, 5);
      row->attempts = sqlite3_column_int (stmt, 6);
      row->created_at = sqlite3_column_int64 (stmt, 7);
      g_ptr_array_add (rows, row);
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (db, error, "Cannot read the mail outbox");
      return NULL;
    }
  return g_steal_pointer (&rows);
}

gint64
relay_mail_outbox_next_due (sqlite3 *db)
{
  g_autoptr(MailStmt) stmt = prepare (db, "SELECT min(next_attempt_at) FROM outbox WHERE state = 'queued'", NULL);
  gint64 next = 0;

  if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    next = sqlite3_column_int64 (stmt, 0);
  return next;
}

gboolean
relay_mail_outbox_mark_sent (sqlite3  *db,
                             gint64    id,
                             gint64    now_ms,
                             GError  **error)
{
  g_autoptr(MailStmt) stmt = NULL;

  /* A password printed at the host's request is not kept once sent. */
  stmt = prepare (db, "UPDATE outbox SET state = 'sent', attempts = attempts + 1, last_error = NULL,"
                      " sent_at = ?2, payload = json_remove(payload, '$.password') WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, now_ms);
  return step_done (db, stmt, error);
}

gboolean
relay_mail_outbox_mark_all_sent (sqlite3  *db,
                                 GArray   *ids,
                                 gint64    now_ms,
                                 GError  **error)
{
  gboolean ok = TRUE;

  if (ids->len == 0)
    return TRUE;
  if (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return set_db_error (db, error, "Cannot mark messages sent");
  for (guint i = 0; ok && i < ids->len; i++)
    ok = relay_mail_outbox_mark_sent (db, g_array_index (ids, gint64, i), now_ms, error);
  return end_transaction (db, ok, "Cannot mark messages sent", error);
}

gboolean
relay_mail_outbox_mark_failed (sqlite3     *db,
                               gint64       id,
                               const char  *message,
                               gint64       next_attempt_ms,
                               GError     **error)
{
  g_autoptr(MailStmt) stmt = NULL;

  stmt = prepare (db, "UPDATE outbox SET attempts = attempts + 1, last_error = ?2,"
                      " state = CASE WHEN ?3 = 0 THEN 'failed' ELSE 'queued' END,"
                      " payload = CASE WHEN ?3 = 0 THEN json_remove(payload, '$.password') ELSE payload END,"
                      " next_attempt_at = CASE WHEN ?3 = 0 THEN next_attempt_at ELSE ?3 END"
                      " WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  omni_sqlite_bind_text (stmt, 2, message);
  sqlite3_bind_int64 (stmt, 3, next_attempt_ms);
  return step_done (db, stmt, error);
}

/* Reminders: sessions starting within reminder_ms that were planned before
 * that window opened (a session made 10 minutes ahead needs no reminder),
 * with an invitee whose reminder for this start time is not queued yet. The
 * dedupe key makes this safe to repeat, also after a restart. */
#define REMINDER_SESSION_COLUMNS \
  "s.id, s.title, s.description, s.agenda, s.session_type, s.scheduled_start, s.scheduled_end," \
  " s.access_link, s.password_hash IS NOT NULL, s.series_id, h.name, h.email"

static GPtrArray *
load_due_reminders (RelayMail  *mail,
                    sqlite3    *db,
                    gint64      now_ms,
                    GError    **error)
{
  g_autoptr(MailStmt) due = NULL;
  g_autoptr(GPtrArray) sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) omni_session_free);
  int rc;

  due = prepare (db, "SELECT " REMINDER_SESSION_COLUMNS " FROM sessions s JOIN hosts h ON h.id = s.host_id"
                     " WHERE s.status = 'scheduled' AND s.scheduled_start > ?1"
                     " AND s.scheduled_start <= ?1 + ?2 AND s.created_at < s.scheduled_start - ?2"
                     " AND EXISTS (SELECT 1 FROM participants p WHERE p.session_id = s.id AND p.invited = 1"
                     "  AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedupe_key ="
                     "   'reminder:' || s.id || ':' || p.email_key || ':' || s.scheduled_start))", error);
  if (due == NULL)
    return NULL;
  sqlite3_bind_int64 (due, 1, now_ms);
  sqlite3_bind_int64 (due, 2, mail->reminder_ms);
  while ((rc = sqlite3_step (due)) == SQLITE_ROW)
    {
      OmniSession *s = omni_session_new ();

      s->id = omni_sqlite_column_dup (due, 0);
      s->title = omni_sqlite_column_dup (due, 1);
      s->description = omni_sqlite_column_dup (due, 2);
      s->agenda = omni_sqlite_column_dup (due, 3);
      if (!omni_session_type_from_string ((const char *) sqlite3_column_text (due, 4), &s->type))
        s->type = OMNI_SESSION_TYPE_MEETING;
      s->scheduled_start = sqlite3_column_int64 (due, 5);
      s->scheduled_end = sqlite3_column_int64 (due, 6);
      s->access_link = omni_sqlite_column_dup (due, 7);
      s->has_password = sqlite3_column_int (due, 8) != 0;
      s->series_id = omni_sqlite_column_dup (due, 9);
      s->host_name = omni_sqlite_column_dup (due, 10);
      s->host_email = omni_sqlite_column_dup (due, 11);
      g_ptr_array_add (sessions, s);
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (db, error, "Cannot look for reminders");
      return NULL;
    }
  return g_steal_pointer (&sessions);
}

static gboolean
queue_due_reminders (RelayMail  *mail,
                     sqlite3    *db,
                     gint64      now_ms,
                     GError    **error)
{
  g_autoptr(GPtrArray) sessions = load_due_reminders (mail, db, now_ms, error);

  if (sessions == NULL)
    return FALSE;
  if (sessions->len == 0)
    return TRUE;

  /* Looked at again under the write lock: a session cancelled or moved in
   * between must not be reminded of. */
  g_clear_pointer (&sessions, g_ptr_array_unref);
  if (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return set_db_error (db, error, "Cannot queue reminders");
  sessions = load_due_reminders (mail, db, now_ms, error);
  for (guint i = 0; sessions != NULL && i < sessions->len; i++)
    if (!relay_mail_enqueue (mail, db, RELAY_MAIL_REMINDER, g_ptr_array_index (sessions, i), NULL, NULL, error))
      g_clear_pointer (&sessions, g_ptr_array_unref);
  if (!end_transaction (db, sessions != NULL, "Cannot queue reminders", error))
    return FALSE;
  g_debug ("Queued reminders for %u session(s)", sessions->len);
  return TRUE;
}

gboolean
relay_mail_outbox_queue_reminders (RelayMail  *mail,
                                   sqlite3    *db,
                                   gint64      now_ms,
                                   gint64     *out_next_ms,
                                   GError    **error)
{
  g_autoptr(MailStmt) next = NULL;

  *out_next_ms = 0;
  if (mail->reminder_ms <= 0)
    return TRUE;
  if (!queue_due_reminders (mail, db, now_ms, error))
    return FALSE;

  /* When the next reminder window opens, so the worker can sleep until then. */
  /* Walks the scheduled_start index from the window's edge: no full scan on
   * every wake of the worker. */
  next = prepare (db, "SELECT scheduled_start - ?2 FROM sessions WHERE scheduled_start > ?1 + ?2"
                      " AND status = 'scheduled' AND created_at < scheduled_start - ?2"
                      " ORDER BY scheduled_start LIMIT 1", error);
  if (next == NULL)
    return FALSE;
  sqlite3_bind_int64 (next, 1, now_ms);
  sqlite3_bind_int64 (next, 2, mail->reminder_ms);
  if (sqlite3_step (next) == SQLITE_ROW)
    *out_next_ms = sqlite3_column_int64 (next, 0);
  return TRUE;
}

/* ---- GET /api/outbox ---- */

JsonNode *
relay_mail_outbox_list (sqlite3     *db,
                        const char  *state,
                        const char  *session_id,
                        int          limit,
                        int          offset,
                        GError     **error)
{
  g_autoptr(MailStmt) stmt = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  int rc;

  stmt = prepare (db, "SELECT id, session_id, kind, recipient_email, recipient_name, state, attempts,"
                      " last_error, message_id, next_attempt_at, created_at, sent_at FROM outbox"
                      " WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR session_id = ?2)"
                      " ORDER BY id DESC LIMIT ?3 OFFSET ?4", error);
  if (stmt == NULL)
    return NULL;
  omni_sqlite_bind_text (stmt, 1, state);
  omni_sqlite_bind_text (stmt, 2, session_id);
  sqlite3_bind_int (stmt, 3, limit);
  sqlite3_bind_int (stmt, 4, offset);

  json_builder_begin_array (builder);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      json_builder_begin_object (builder);
      add_int (builder, "id", sqlite3_column_int64 (stmt, 0));
      add_string (builder, "sessionId", (const char *) sqlite3_column_text (stmt, 1));
      add_string (builder, "kind", (const char *) sqlite3_column_text (stmt, 2));
      add_string (builder, "email", (const char *) sqlite3_column_text (stmt, 3));
      add_string (builder, "name", (const char *) sqlite3_column_text (stmt, 4));
      add_string (builder, "state", (const char *) sqlite3_column_text (stmt, 5));
      add_int (builder, "attempts", sqlite3_column_int (stmt, 6));
      add_string (builder, "lastError", (const char *) sqlite3_column_text (stmt, 7));
      add_string (builder, "messageId", (const char *) sqlite3_column_text (stmt, 8));
      add_time (builder, "nextAttemptAt", sqlite3_column_int64 (stmt, 9));
      add_time (builder, "createdAt", sqlite3_column_int64 (stmt, 10));
      add_time (builder, "sentAt", sqlite3_column_int64 (stmt, 11));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  if (rc != SQLITE_DONE)
    {
      set_db_error (db, error, "Cannot list the mail outbox");
      return NULL;
    }
  return json_builder_get_root (builder);
}

gboolean
relay_mail_outbox_prune (sqlite3  *db,
                         gint64    cutoff_ms,
                         GError  **error)
{
  g_autoptr(MailStmt) stmt = prepare (db, "DELETE FROM outbox WHERE state IN ('sent', 'failed') AND created_at < ?1"
                                          " AND (session_id IS NULL OR session_id IN"
                                          "  (SELECT id FROM sessions WHERE scheduled_end < ?1"
                                          "   AND (actual_end IS NULL OR actual_end < ?1)))", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, cutoff_ms);
  if (!step_done (db, stmt, error))
    return FALSE;
  if (sqlite3_changes (db) > 0)
    g_message ("Pruned %d old message(s) from the mail outbox", sqlite3_changes (db));
  return TRUE;
}
