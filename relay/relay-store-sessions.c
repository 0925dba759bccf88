/* relay-store-sessions.c: sessions, invitees and guests' joins and leaves. */
#define G_LOG_DOMAIN "relay-store"

#include "relay-store.h"
#include "omni-error.h"
#include "omni-json-writer.h"

#include <string.h>

#define SESSION_COLUMNS \
  "s.id, s.host_id, h.name, h.email, s.title, s.description, s.agenda, s.session_type," \
  " s.status, s.scheduled_start, s.scheduled_end, s.actual_start, s.actual_end," \
  " s.max_participants, s.peak_participants, s.enable_recording, s.enable_screen_share," \
  " s.enable_chat, s.waiting_room_enabled, s.requires_approval, s.password_hash," \
  " s.allowed_domains, s.access_link, s.related_ticket, s.series_id, s.series_index," \
  " s.series_count, s.created_at, s.updated_at" \
  " FROM sessions s JOIN hosts h ON h.id = s.host_id"

enum { COL_PASSWORD_HASH = 20 };

/* The mail columns show the newest outbox message to that person (kept on
 * the row by triggers, migration 5). */
#define PARTICIPANT_COLUMNS \
  "p.id, p.email, p.name, p.invited, p.state, p.joined_at, p.left_at, p.duration_ms, p.in_call_since," \
  " p.mail_state, p.mail_error, p.mail_attempts, p.mail_kind FROM participants p"

static char **
split_domains (const char *text)
{
  if (text == NULL || *text == '\0')
    return g_new0 (char *, 1);
  return g_strsplit (text, " ", -1);
}

static char *
join_domains (char **domains)
{
  if (domains == NULL)
    return g_strdup ("");
  return g_strjoinv (" ", domains);
}

static OmniSession *
session_from_row (sqlite3_stmt *stmt)
{
  OmniSession *s = omni_session_new ();

  s->id = omni_sqlite_column_dup (stmt, 0);
  s->host_id = omni_sqlite_column_dup (stmt, 1);
  s->host_name = omni_sqlite_column_dup (stmt, 2);
  s->host_email = omni_sqlite_column_dup (stmt, 3);
  s->title = omni_sqlite_column_dup (stmt, 4);
  s->description = omni_sqlite_column_dup (stmt, 5);
  s->agenda = omni_sqlite_column_dup (stmt, 6);
  if (!omni_session_type_from_string ((const char *) sqlite3_column_text (stmt, 7), &s->type))
    s->type = OMNI_SESSION_TYPE_MEETING;
  if (!omni_session_status_from_string ((const char *) sqlite3_column_text (stmt, 8), &s->status))
    s->status = OMNI_SESSION_STATUS_SCHEDULED;
  s->scheduled_start = sqlite3_column_int64 (stmt, 9);
  s->scheduled_end = sqlite3_column_int64 (stmt, 10);
  s->actual_start = sqlite3_column_int64 (stmt, 11);
  s->actual_end = sqlite3_column_int64 (stmt, 12);
  s->max_participants = sqlite3_column_int (stmt, 13);
  s->peak_participants = sqlite3_column_int (stmt, 14);
  s->enable_recording = sqlite3_column_int (stmt, 15);
  s->enable_screen_share = sqlite3_column_int (stmt, 16);
  s->enable_chat = sqlite3_column_int (stmt, 17);
  s->waiting_room_enabled = sqlite3_column_int (stmt, 18);
  s->requires_approval = sqlite3_column_int (stmt, 19);
  s->has_password = sqlite3_column_type (stmt, COL_PASSWORD_HASH) != SQLITE_NULL;
  s->allowed_domains = split_domains ((const char *) sqlite3_column_text (stmt, 21));
  s->access_link = omni_sqlite_column_dup (stmt, 22);
  s->related_ticket = omni_sqlite_column_dup (stmt, 23);
  s->series_id = omni_sqlite_column_dup (stmt, 24);
  s->series_index = sqlite3_column_int (stmt, 25);
  s->series_count = sqlite3_column_int (stmt, 26);
  s->created_at = sqlite3_column_int64 (stmt, 27);
  s->updated_at = sqlite3_column_int64 (stmt, 28);
  return s;
}

static OmniParticipant *
participant_from_row (sqlite3_stmt *stmt,
                      int           first)
{
  OmniParticipant *p = omni_participant_new ();

  p->id = omni_sqlite_column_dup (stmt, first + 0);
  p->email = omni_sqlite_column_dup (stmt, first + 1);
  p->name = omni_sqlite_column_dup (stmt, first + 2);
  p->invited = sqlite3_column_int (stmt, first + 3) != 0;
  p->state = omni_sqlite_column_dup (stmt, first + 4);
  p->joined_at = sqlite3_column_int64 (stmt, first + 5);
  p->left_at = sqlite3_column_int64 (stmt, first + 6);
  p->duration_ms = sqlite3_column_int64 (stmt, first + 7);
  p->in_call_since = sqlite3_column_int64 (stmt, first + 8);
  p->mail_state = omni_sqlite_column_dup (stmt, first + 9);
  p->mail_error = omni_sqlite_column_dup (stmt, first + 10);
  p->mail_attempts = sqlite3_column_int (stmt, first + 11);
  p->mail_kind = omni_sqlite_column_dup (stmt, first + 12);
  return p;
}

static gboolean
load_participants (RelayStore   *store,
                   OmniSession  *session,
                   GError      **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = relay_store_prepare (store, "SELECT " PARTICIPANT_COLUMNS
                              " WHERE p.session_id = ? ORDER BY p.position", error);
  if (stmt == NULL)
    return FALSE;
  omni_sqlite_bind_text (stmt, 1, session->id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (session->participants, participant_from_row (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      relay_store_set_error (store, error, "Cannot read participants");
      return FALSE;
    }
  return TRUE;
}

/* out_id: the new row's id, or NULL. */
static gboolean
insert_participant (RelayStore   *store,
                    const char   *session_id,
                    const char   *email,
                    const char   *name,
                    gboolean      invited,
                    const char   *state,
                    char        **out_id,
                    GError      **error)
{
  sqlite3_stmt *stmt;
  g_autofree char *id = relay_store_new_id ();
  g_autofree char *email_key = g_utf8_strdown (email, -1);

  stmt = relay_store_prepare (store,
                              "INSERT INTO participants (id, session_id, position, email, email_key, name,"
                              " invited, state)"
                              " VALUES (?1, ?2, (SELECT COUNT(*) FROM participants WHERE session_id = ?2),"
                              " ?3, ?4, ?5, ?6, ?7)", error);
  if (stmt == NULL)
    return FALSE;
  omni_sqlite_bind_text (stmt, 1, id);
  omni_sqlite_bind_text (stmt, 2, session_id);
  omni_sqlite_bind_text (stmt, 3, email);
  omni_sqlite_bind_text (stmt, 4, email_key);
  omni_sqlite_bind_text (stmt, 5, name);
  sqlite3_bind_int (stmt, 6, invited ? 1 : 0);
  omni_sqlite_bind_text (stmt, 7, state);
  if (!relay_store_exec_stmt (store, stmt, error))
    return FALSE;
  if (out_id != NULL)
    *out_id = g_steal_pointer (&id);
  return TRUE;
}

/* The 15 fields a host edits, in the order both INSERT and UPDATE list them. */
static void
bind_editable_fields (sqlite3_stmt      *stmt,
                      int                first,
                      const OmniSession *s,
                      const char        *password_hash,
                      const char        *domains)
{
  int i = first;

  omni_sqlite_bind_text (stmt, i++, s->title);
  omni_sqlite_bind_text (stmt, i++, s->description);
  omni_sqlite_bind_text (stmt, i++, s->agenda);
  omni_sqlite_bind_text (stmt, i++, omni_session_type_to_string (s->type));
  sqlite3_bind_int64 (stmt, i++, s->scheduled_start);
  sqlite3_bind_int64 (stmt, i++, s->scheduled_end);
  sqlite3_bind_int (stmt, i++, s->max_participants);
  sqlite3_bind_int (stmt, i++, s->enable_recording);
  sqlite3_bind_int (stmt, i++, s->enable_screen_share);
  sqlite3_bind_int (stmt, i++, s->enable_chat);
  sqlite3_bind_int (stmt, i++, s->waiting_room_enabled);
  sqlite3_bind_int (stmt, i++, s->requires_approval);
  omni_sqlite_bind_text (stmt, i++, password_hash);
  omni_sqlite_bind_text (stmt, i++, domains);
  omni_sqlite_bind_text (stmt, i++, s->related_ticket);
}

gboolean
relay_store_session_insert (RelayStore        *store,
                            OmniSession       *s,
                            const char        *password_hash,
                            GPtrArray         *invitees,
                            gint64             now_ms,
                            GError           **error)
{
  sqlite3_stmt *stmt;
  g_autofree char *domains = join_domains (s->allowed_domains);

  stmt = relay_store_prepare (store,
                              "INSERT INTO sessions (id, host_id, title, description, agenda, session_type,"
                              " scheduled_start, scheduled_end, max_participants, enable_recording,"
                              " enable_screen_share, enable_chat, waiting_room_enabled, requires_approval,"
                              " password_hash, allowed_domains, related_ticket, status, access_link, series_id,"
                              " series_index, series_count, created_at, updated_at)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              error);
  if (stmt == NULL)
    return FALSE;

  omni_sqlite_bind_text (stmt, 1, s->id);
  omni_sqlite_bind_text (stmt, 2, s->host_id);
  bind_editable_fields (stmt, 3, s, password_hash, domains);
  omni_sqlite_bind_text (stmt, 18, omni_session_status_to_string (s->status));
  omni_sqlite_bind_text (stmt, 19, s->access_link);
  omni_sqlite_bind_text (stmt, 20, s->series_id);
  sqlite3_bind_int (stmt, 21, s->series_index);
  sqlite3_bind_int (stmt, 22, s->series_count);
  sqlite3_bind_int64 (stmt, 23, now_ms);
  sqlite3_bind_int64 (stmt, 24, now_ms);
  if (!relay_store_exec_stmt (store, stmt, error))
    return FALSE;

  s->created_at = now_ms;
  s->updated_at = now_ms;

  for (guint i = 0; invitees != NULL && i < invitees->len; i++)
    {
      OmniInvitee *invitee = g_ptr_array_index (invitees, i);
      g_autoptr(OmniParticipant) p = omni_participant_new ();

      if (!insert_participant (store, s->id, invitee->email, invitee->name, TRUE, "invited", &p->id, error))
        return FALSE;
      /* As participant_from_row would read it back. */
      p->email = g_strdup (invitee->email);
      p->name = g_strdup (invitee->name);
      p->invited = TRUE;
      p->state = g_strdup ("invited");
      g_ptr_array_add (s->participants, g_steal_pointer (&p));
    }
  return TRUE;
}

/* Groups a request's reads into one read transaction: each statement on its
 * own would take and drop SQLite's file lock, a pair of fcntl calls each. */
static gboolean
read_begin (RelayStore *store)
{
  if (!sqlite3_get_autocommit (relay_store_get_db (store)))
    return FALSE;
  return sqlite3_exec (relay_store_get_db (store), "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
}

static void
read_end (RelayStore *store,
          gboolean    began)
{
  if (began)
    sqlite3_exec (relay_store_get_db (store), "COMMIT", NULL, NULL, NULL);
}

static OmniSession *
get_one (RelayStore   *store,
         const char   *sql,
         const char   *key,
         char        **out_password_hash,
         GError      **error)
{
  sqlite3_stmt *stmt = relay_store_prepare (store, sql, error);
  g_autoptr(OmniSession) session = NULL;
  gboolean began;
  int rc;

  if (stmt == NULL)
    return NULL;
  began = read_begin (store);
  omni_sqlite_bind_text (stmt, 1, key);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      session = session_from_row (stmt);
      if (out_password_hash != NULL)
        *out_password_hash = omni_sqlite_column_dup (stmt, COL_PASSWORD_HASH);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      relay_store_set_error (store, error, "Cannot read the session");
      read_end (store, began);
      return NULL;
    }
  if (session != NULL && !load_participants (store, session, error))
    g_clear_pointer (&session, omni_session_free);
  read_end (store, began);
  return g_steal_pointer (&session);
}

OmniSession *
relay_store_session_get (RelayStore  *store,
                         const char  *id,
                         GError     **error)
{
  return get_one (store, "SELECT " SESSION_COLUMNS " WHERE s.id = ?", id, NULL, error);
}

OmniSession *
relay_store_session_get_by_link (RelayStore  *store,
                                 const char  *access_link,
                                 char       **out_password_hash,
                                 GError     **error)
{
  return get_one (store, "SELECT " SESSION_COLUMNS " WHERE s.access_link = ?",
                  access_link, out_password_hash, error);
}

/* The participants of a page of sessions, with one statement: the page's
 * ids go in as a JSON array, and the (session_id, position) index serves
 * each in turn, already in order. A statement per session cost a reset,
 * a bind and a final step each (about a third of a 100-session page). */
static gboolean
load_page_participants (RelayStore  *store,
                        GPtrArray   *sessions,
                        GError     **error)
{
  g_autoptr(GHashTable) by_id = NULL;
  g_autoptr(GString) ids = NULL;
  sqlite3_stmt *stmt;
  OmniJsonWriter writer;
  int rc;

  if (sessions->len == 0)
    return TRUE;

  by_id = g_hash_table_new (g_str_hash, g_str_equal);
  ids = g_string_sized_new (sessions->len * 28 + 2);
  omni_json_writer_init (&writer, ids);
  omni_json_writer_begin_array (&writer);
  for (guint i = 0; i < sessions->len; i++)
    {
      OmniSession *session = g_ptr_array_index (sessions, i);

      g_hash_table_insert (by_id, session->id, session);
      omni_json_writer_string (&writer, session->id);
    }
  omni_json_writer_end_array (&writer);

  stmt = relay_store_prepare (store, "SELECT p.session_id, " PARTICIPANT_COLUMNS
                              " WHERE p.session_id IN (SELECT value FROM json_each(?1))"
                              " ORDER BY p.session_id, p.position", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, ids->str, (int) ids->len, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      OmniSession *session = g_hash_table_lookup (by_id, (const char *) sqlite3_column_text (stmt, 0));

      if (session != NULL)
        g_ptr_array_add (session->participants, participant_from_row (stmt, 1));
    }
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);   /* ids->str goes away with this call */
  if (rc != SQLITE_DONE)
    {
      relay_store_set_error (store, error, "Cannot read participants");
      return FALSE;
    }
  return TRUE;
}

/* Two forms of each list query: a host's own sessions (host_id = ?1, so the
 * (host_id, …) indexes serve it) and every host's, for admins. */
#define LIST_FILTERS \
  " AND (?2 = 0 OR s.status = 'live' OR (s.status = 'scheduled' AND s.scheduled_end > ?3))" \
  " AND (?4 IS NULL OR s.status = ?4)" \
  " AND (?5 IS NULL OR s.scheduled_start >= ?5)" \
  " AND (?6 IS NULL OR s.scheduled_start < ?6)"
#define LIST_WHERE_HOST " WHERE s.host_id = ?1" LIST_FILTERS
#define LIST_WHERE_ALL " WHERE (?1 IS NULL OR s.host_id = ?1)" LIST_FILTERS

static void
bind_filter (sqlite3_stmt             *stmt,
             const RelaySessionFilter *filter)
{
  omni_sqlite_bind_text (stmt, 1, filter->host_id);
  sqlite3_bind_int (stmt, 2, filter->upcoming ? 1 : 0);
  sqlite3_bind_int64 (stmt, 3, filter->now_ms);
  omni_sqlite_bind_text (stmt, 4, filter->status >= 0 ? omni_session_status_to_string (filter->status) : NULL);
  relay_store_bind_time (stmt, 5, filter->from_ms);
  relay_store_bind_time (stmt, 6, filter->to_ms);
}

#define LIST_ORDER " ORDER BY s.scheduled_start, s.rowid LIMIT ?7 OFFSET ?8"

static gboolean
count_sessions (RelayStore               *store,
                const RelaySessionFilter *filter,
                int                      *out_total,
                GError                  **error)
{
  gboolean own = filter->host_id != NULL;
  sqlite3_stmt *stmt;
  int rc;

  if (own && filter->upcoming && filter->status < 0 && filter->from_ms == 0 && filter->to_ms == 0)
    {
      /* The desktop's everyday question: two index ranges of the (host_id,
       * status, scheduled_end) index, no per-entry filter to evaluate. */
      stmt = relay_store_prepare (store,
                                  "SELECT (SELECT COUNT(*) FROM sessions WHERE host_id = ?1 AND status = 'live')"
                                  " + (SELECT COUNT(*) FROM sessions WHERE host_id = ?1 AND status = 'scheduled'"
                                  "    AND scheduled_end > ?2)", error);
      if (stmt == NULL)
        return FALSE;
      omni_sqlite_bind_text (stmt, 1, filter->host_id);
      sqlite3_bind_int64 (stmt, 2, filter->now_ms);
    }
  else
    {
      /* The index holds every filtered column: the count reads no table row. */
      stmt = relay_store_prepare (store, own ? "SELECT COUNT(*) FROM sessions s INDEXED BY sessions_host_upcoming"
                                               LIST_WHERE_HOST
                                             : "SELECT COUNT(*) FROM sessions s" LIST_WHERE_ALL, error);
      if (stmt == NULL)
        return FALSE;
      bind_filter (stmt, filter);
    }
  rc = sqlite3_step (stmt);
  *out_total = rc == SQLITE_ROW ? sqlite3_column_int (stmt, 0) : 0;
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    {
      relay_store_set_error (store, error, "Cannot count sessions");
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
relay_store_session_list (RelayStore               *store,
                          const RelaySessionFilter *filter,
                          int                      *out_total,
                          GError                  **error)
{
  g_autoptr(GPtrArray) sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) omni_session_free);
  gboolean own = filter->host_id != NULL;
  sqlite3_stmt *stmt;
  gboolean began = read_begin (store);
  int rc;

  if (out_total != NULL && !count_sessions (store, filter, out_total, error))
    goto failed;

  stmt = relay_store_prepare (store, own ? "SELECT " SESSION_COLUMNS LIST_WHERE_HOST LIST_ORDER
                                          : "SELECT " SESSION_COLUMNS LIST_WHERE_ALL LIST_ORDER, error);
  if (stmt == NULL)
    goto failed;
  bind_filter (stmt, filter);
  sqlite3_bind_int (stmt, 7, filter->limit);
  sqlite3_bind_int (stmt, 8, filter->offset);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (sessions, session_from_row (stmt));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      relay_store_set_error (store, error, "Cannot list sessions");
      goto failed;
    }

  if (!load_page_participants (store, sessions, error))
    goto failed;

  read_end (store, began);
  return g_steal_pointer (&sessions);

failed:
  read_end (store, began);
  return NULL;
}

gboolean
relay_store_session_update (RelayStore        *store,
                            const OmniSession *s,
                            const char        *password_hash,
                            gboolean           times_changed,
                            gint64             now_ms,
                            GError           **error)
{
  sqlite3_stmt *stmt;
  g_autofree char *domains = join_domains (s->allowed_domains);

  stmt = relay_store_prepare (store,
                              "UPDATE sessions SET title = ?2, description = ?3, agenda = ?4,"
                              " session_type = ?5, scheduled_start = ?6, scheduled_end = ?7,"
                              " max_participants = ?8, enable_recording = ?9, enable_screen_share = ?10,"
                              " enable_chat = ?11, waiting_room_enabled = ?12, requires_approval = ?13,"
                              " password_hash = CASE WHEN ?14 IS NULL THEN password_hash"
                              "   WHEN ?14 = '' THEN NULL ELSE ?14 END,"
                              " allowed_domains = ?15, related_ticket = ?16,"
                              " sequence = sequence + ?17, updated_at = ?18"
                              " WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  omni_sqlite_bind_text (stmt, 1, s->id);
  bind_editable_fields (stmt, 2, s, password_hash, domains);
  sqlite3_bind_int (stmt, 17, times_changed ? 1 : 0);
  sqlite3_bind_int64 (stmt, 18, now_ms);
  return relay_store_exec_stmt (store, stmt, error);
}

gboolean
relay_store_session_set_status (RelayStore        *store,
                                const char        *id,
                                OmniSessionStatus  status,
                                gint64             now_ms,
                                GError           **error)
{
  sqlite3_stmt *stmt;

  stmt = relay_store_prepare (store,
                              "UPDATE sessions SET status = ?2, updated_at = ?3,"
                              " actual_start = CASE WHEN ?2 = 'live' THEN ?3 ELSE actual_start END,"
                              " actual_end = CASE WHEN ?2 = 'ended' THEN ?3 ELSE actual_end END,"
                              " sequence = sequence + (?2 = 'cancelled')"
                              " WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  omni_sqlite_bind_text (stmt, 1, id);
  omni_sqlite_bind_text (stmt, 2, omni_session_status_to_string (status));
  sqlite3_bind_int64 (stmt, 3, now_ms);
  return relay_store_exec_stmt (store, stmt, error);
}

GPtrArray *
relay_store_session_add_invitees (RelayStore  *store,
                                  const char  *session_id,
                                  GPtrArray   *invitees,
                                  GError     **error)
{
  g_autoptr(GPtrArray) added = g_ptr_array_new ();
  sqlite3_stmt *stmt;

  for (guint i = 0; i < invitees->len; i++)
    {
      OmniInvitee *invitee = g_ptr_array_index (invitees, i);
      g_autofree char *email_key = g_utf8_strdown (invitee->email, -1);
      int rc;

      /* A guest who walked in by link and is now invited becomes an invitee. */
      stmt = relay_store_prepare (store,
                                  "UPDATE participants SET invited = 1"
                                  " WHERE session_id = ? AND email_key = ? AND invited = 0", error);
      if (stmt == NULL)
        return NULL;
      omni_sqlite_bind_text (stmt, 1, session_id);
      omni_sqlite_bind_text (stmt, 2, email_key);
      if (!relay_store_exec_stmt (store, stmt, error))
        return NULL;
      if (sqlite3_changes (relay_store_get_db (store)) > 0)
        {
          g_ptr_array_add (added, invitee);
          continue;
        }

      stmt = relay_store_prepare (store,
                                  "SELECT 1 FROM participants WHERE session_id = ? AND email_key = ?", error);
      if (stmt == NULL)
        return NULL;
      omni_sqlite_bind_text (stmt, 1, session_id);
      omni_sqlite_bind_text (stmt, 2, email_key);
      rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
      if (rc == SQLITE_ROW)
        continue;

      if (!insert_participant (store, session_id, invitee->email, invitee->name, TRUE, "invited", NULL, error))
        return NULL;
      g_ptr_array_add (added, invitee);
    }
  return g_steal_pointer (&added);
}

static OmniParticipant *
find_participant (RelayStore  *store,
                  const char  *sql,
                  const char  *session_id,
                  const char  *key,
                  GError     **error)
{
  sqlite3_stmt *stmt = relay_store_prepare (store, sql, error);
  OmniParticipant *p = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  omni_sqlite_bind_text (stmt, 1, session_id);
  omni_sqlite_bind_text (stmt, 2, key);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    p = participant_from_row (stmt, 0);
  else if (rc != SQLITE_DONE)
    relay_store_set_error (store, error, "Cannot read the participant");
  sqlite3_reset (stmt);
  return p;
}

/* Closes a participant's current call at time NOW (an SQL parameter): its
 * length is added to the total and the participant has left. */
#define LEAVE_CALL(NOW) \
  " duration_ms = duration_ms + CASE WHEN in_call_since IS NULL THEN 0" \
  "   ELSE MAX(0, " NOW " - in_call_since) END," \
  " left_at = CASE WHEN in_call_since IS NULL THEN left_at ELSE " NOW " END," \
  " in_call_since = NULL, state = 'left'"

OmniParticipant *
relay_store_guest_join (RelayStore  *store,
                        const char  *session_id,
                        const char  *email,
                        const char  *name,
                        const char  *token_hash,
                        const char  *state,
                        gint64       now_ms,
                        GError     **error)
{
  g_autofree char *email_key = g_utf8_strdown (email, -1);
  gboolean admitted = g_strcmp0 (state, "admitted") == 0;
  sqlite3_stmt *stmt;
  g_autoptr(GError) local_error = NULL;
  OmniParticipant *existing;

  existing = find_participant (store, "SELECT " PARTICIPANT_COLUMNS
                               " WHERE p.session_id = ? AND p.email_key = ?",
                               session_id, email_key, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (existing == NULL && !insert_participant (store, session_id, email, name, FALSE, state, NULL, error))
    return NULL;
  omni_participant_free (existing);

  /* A second join of the same person (another tab, a reconnect) takes over:
   * the old token dies and time already in the call keeps counting once. */
  stmt = relay_store_prepare (store,
                              "UPDATE participants SET name = ?3, state = ?4, guest_token_hash = ?5,"
                              " joined_at = CASE WHEN ?6 THEN COALESCE(joined_at, ?7) ELSE joined_at END,"
                              " in_call_since = CASE WHEN ?6 THEN COALESCE(in_call_since, ?7) ELSE in_call_since END"
                              " WHERE session_id = ?1 AND email_key = ?2", error);
  if (stmt == NULL)
    return NULL;
  omni_sqlite_bind_text (stmt, 1, session_id);
  omni_sqlite_bind_text (stmt, 2, email_key);
  omni_sqlite_bind_text (stmt, 3, name);
  omni_sqlite_bind_text (stmt, 4, state);
  omni_sqlite_bind_text (stmt, 5, token_hash);
  sqlite3_bind_int (stmt, 6, admitted ? 1 : 0);
  sqlite3_bind_int64 (stmt, 7, now_ms);
  if (!relay_store_exec_stmt (store, stmt, error))
    return NULL;

  if (admitted)
    {
      stmt = relay_store_prepare (store,
                                  "UPDATE sessions SET peak_participants = MAX(peak_participants,"
                                  " (SELECT COUNT(*) FROM participants WHERE session_id = ?1"
                                  "  AND in_call_since IS NOT NULL)) WHERE id = ?1", error);
      if (stmt == NULL)
        return NULL;
      omni_sqlite_bind_text (stmt, 1, session_id);
      if (!relay_store_exec_stmt (store, stmt, error))
        return NULL;
    }

  return find_participant (store, "SELECT " PARTICIPANT_COLUMNS
                           " WHERE p.session_id = ? AND p.email_key = ?",
                           session_id, email_key, error);
}

OmniParticipant *
relay_store_guest_find (RelayStore  *store,
                        const char  *session_id,
                        const char  *token_hash,
                        GError     **error)
{
  return find_participant (store, "SELECT " PARTICIPANT_COLUMNS
                           " WHERE p.session_id = ? AND p.guest_token_hash = ?",
                           session_id, token_hash, error);
}

gboolean
relay_store_guest_leave (RelayStore  *store,
                         const char  *session_id,
                         const char  *participant_id,
                         gint64       now_ms,
                         GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = relay_store_prepare (store,
                              "UPDATE participants SET" LEAVE_CALL ("?3")
                              " WHERE session_id = ?1 AND id = ?2 AND state IN ('admitted', 'waiting')",
                              error);
  if (stmt == NULL)
    return FALSE;
  omni_sqlite_bind_text (stmt, 1, session_id);
  omni_sqlite_bind_text (stmt, 2, participant_id);
  sqlite3_bind_int64 (stmt, 3, now_ms);
  return relay_store_exec_stmt (store, stmt, error);
}

int
relay_store_session_count_guests (RelayStore  *store,
                                  const char  *session_id,
                                  gboolean     include_waiting,
                                  GError     **error)
{
  sqlite3_stmt *stmt;
  int count = -1;

  stmt = relay_store_prepare (store,
                              "SELECT COUNT(*) FROM participants WHERE session_id = ?"
                              " AND (in_call_since IS NOT NULL OR (? AND state = 'waiting'))", error);
  if (stmt == NULL)
    return -1;
  omni_sqlite_bind_text (stmt, 1, session_id);
  sqlite3_bind_int (stmt, 2, include_waiting ? 1 : 0);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    count = sqlite3_column_int (stmt, 0);
  else
    relay_store_set_error (store, error, "Cannot count guests");
  sqlite3_reset (stmt);
  return count;
}

gboolean
relay_store_session_close_calls (RelayStore  *store,
                                 const char  *session_id,
                                 gint64       now_ms,
                                 GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = relay_store_prepare (store,
                              "UPDATE participants SET" LEAVE_CALL ("?2")
                              " WHERE session_id = ?1 AND state IN ('admitted', 'waiting')", error);
  if (stmt == NULL)
    return FALSE;
  omni_sqlite_bind_text (stmt, 1, session_id);
  sqlite3_bind_int64 (stmt, 2, now_ms);
  return relay_store_exec_stmt (store, stmt, error);
}
