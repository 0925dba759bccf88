/* relay-store-signal.c: participant updates caused by signaling. Each runs in
 * its own transaction: they are single statements or a statement and the
 * peak update, and no mail depends on them. */
#define G_LOG_DOMAIN "relay-store"

#include "relay-store-signal.h"
#include "omni-error.h"

OmniParticipant *
relay_store_signal_find_guest (RelayStore  *store,
                               const char  *token_hash,
                               char       **out_session_id,
                               GError     **error)
{
  sqlite3_stmt *stmt;
  OmniParticipant *p = NULL;
  int rc;

  g_return_val_if_fail (token_hash != NULL, NULL);

  stmt = relay_store_prepare (store,
                              "SELECT id, email, name, state, joined_at, left_at, duration_ms,"
                              " in_call_since, session_id"
                              " FROM participants WHERE guest_token_hash = ?", error);
  if (stmt == NULL)
    return NULL;
  omni_sqlite_bind_text (stmt, 1, token_hash);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      p = omni_participant_new ();
      p->id = omni_sqlite_column_dup (stmt, 0);
      p->email = omni_sqlite_column_dup (stmt, 1);
      p->name = omni_sqlite_column_dup (stmt, 2);
      p->state = omni_sqlite_column_dup (stmt, 3);
      p->joined_at = sqlite3_column_int64 (stmt, 4);
      p->left_at = sqlite3_column_int64 (stmt, 5);
      p->duration_ms = sqlite3_column_int64 (stmt, 6);
      p->in_call_since = sqlite3_column_int64 (stmt, 7);
      if (out_session_id != NULL)
        *out_session_id = omni_sqlite_column_dup (stmt, 8);
    }
  else if (rc != SQLITE_DONE)
    relay_store_set_error (store, error, "Cannot read the guest");
  sqlite3_reset (stmt);
  return p;
}

static gboolean
run_in_transaction (RelayStore   *store,
                    sqlite3_stmt *stmt,
                    GError      **error)
{
  if (!relay_store_exec_stmt (store, stmt, error))
    {
      relay_store_rollback (store);
      return FALSE;
    }
  return TRUE;
}

gboolean
relay_store_signal_enter_call (RelayStore  *store,
                               const char  *session_id,
                               const char  *participant_id,
                               gint64       now_ms,
                               GError     **error)
{
  sqlite3_stmt *stmt;

  if (!relay_store_begin (store, error))
    return FALSE;
  stmt = relay_store_prepare (store,
                              "UPDATE participants SET state = 'admitted',"
                              " joined_at = COALESCE(joined_at, ?3),"
                              " in_call_since = COALESCE(in_call_since, ?3)"
                              " WHERE session_id = ?1 AND id = ?2", error);
  if (stmt == NULL)
    goto failed;
  omni_sqlite_bind_text (stmt, 1, session_id);
  omni_sqlite_bind_text (stmt, 2, participant_id);
  sqlite3_bind_int64 (stmt, 3, now_ms);
  if (!run_in_transaction (store, stmt, error))
    return FALSE;

  /* Same definition of "present" as the join API: guests in a call. */
  stmt = relay_store_prepare (store,
                              "UPDATE sessions SET peak_participants = MAX(peak_participants,"
                              " (SELECT COUNT(*) FROM participants WHERE session_id = ?1"
                              "  AND in_call_since IS NOT NULL)) WHERE id = ?1", error);
  if (stmt == NULL)
    goto failed;
  omni_sqlite_bind_text (stmt, 1, session_id);
  if (!run_in_transaction (store, stmt, error))
    return FALSE;
  return relay_store_commit (store, error);

failed:
  relay_store_rollback (store);
  return FALSE;
}

gboolean
relay_store_signal_set_waiting (RelayStore  *store,
                                const char  *session_id,
                                const char  *participant_id,
                                GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = relay_store_prepare (store,
                              "UPDATE participants SET state = 'waiting'"
                              " WHERE session_id = ?1 AND id = ?2 AND in_call_since IS NULL", error);
  if (stmt == NULL)
    return FALSE;
  omni_sqlite_bind_text (stmt, 1, session_id);
  omni_sqlite_bind_text (stmt, 2, participant_id);
  return relay_store_exec_stmt (store, stmt, error);
}

gboolean
relay_store_signal_close (RelayStore  *store,
                          const char  *session_id,
                          const char  *participant_id,
                          const char  *final_state,
                          gint64       now_ms,
                          GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (g_strcmp0 (final_state, "removed") == 0 ||
                        g_strcmp0 (final_state, "denied") == 0, FALSE);

  stmt = relay_store_prepare (store,
                              "UPDATE participants SET"
                              " duration_ms = duration_ms + CASE WHEN in_call_since IS NULL THEN 0"
                              "   ELSE MAX(0, ?3 - in_call_since) END,"
                              " left_at = CASE WHEN in_call_since IS NULL THEN left_at ELSE ?3 END,"
                              " in_call_since = NULL, state = ?4"
                              " WHERE session_id = ?1 AND id = ?2", error);
  if (stmt == NULL)
    return FALSE;
  omni_sqlite_bind_text (stmt, 1, session_id);
  omni_sqlite_bind_text (stmt, 2, participant_id);
  sqlite3_bind_int64 (stmt, 3, now_ms);
  omni_sqlite_bind_text (stmt, 4, final_state);
  return relay_store_exec_stmt (store, stmt, error);
}
