/* relay-store-hosts.c: host accounts. Only SHA-256 hashes of tokens are kept. */
#define G_LOG_DOMAIN "relay-store"

#include "relay-store.h"
#include "omni-error.h"
#include "omni-time.h"

void
relay_host_free (RelayHost *host)
{
  if (host == NULL)
    return;
  g_free (host->id);
  g_free (host->email);
  g_free (host->name);
  g_free (host);
}

/* Enough for every host of a deployment; past it, the cache starts over. */
#define HOST_CACHE_MAX 1024

static RelayHost *
host_copy (const RelayHost *host)
{
  RelayHost *copy = g_new0 (RelayHost, 1);

  copy->id = g_strdup (host->id);
  copy->email = g_strdup (host->email);
  copy->name = g_strdup (host->name);
  copy->admin = host->admin;
  copy->created_at = host->created_at;
  copy->revoked_at = host->revoked_at;
  return copy;
}

/* The columns host_from_row reads. */
#define HOST_SELECT "SELECT id, email, name, is_admin, created_at, revoked_at FROM hosts"

static RelayHost *
host_from_row (sqlite3_stmt *stmt)
{
  RelayHost *host = g_new0 (RelayHost, 1);

  host->id = omni_sqlite_column_dup (stmt, 0);
  host->email = omni_sqlite_column_dup (stmt, 1);
  host->name = omni_sqlite_column_dup (stmt, 2);
  host->admin = sqlite3_column_int (stmt, 3) != 0;
  host->created_at = sqlite3_column_int64 (stmt, 4);
  host->revoked_at = sqlite3_column_int64 (stmt, 5);
  return host;
}

RelayHost *
relay_store_host_add (RelayStore  *store,
                      const char  *email,
                      const char  *name,
                      gboolean     admin,
                      const char  *token_hash,
                      GError     **error)
{
  sqlite3_stmt *stmt;
  g_autoptr(RelayHost) host = g_new0 (RelayHost, 1);
  int rc;

  stmt = relay_store_prepare (store,
                              "INSERT INTO hosts (id, email, name, is_admin, token_hash, created_at)"
                              " VALUES (?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return NULL;

  host->id = relay_store_new_id ();
  host->email = g_strdup (email);
  host->name = g_strdup (name);
  host->admin = admin;
  host->created_at = omni_time_now_ms ();

  omni_sqlite_bind_text (stmt, 1, host->id);
  omni_sqlite_bind_text (stmt, 2, email);
  omni_sqlite_bind_text (stmt, 3, name);
  sqlite3_bind_int (stmt, 4, admin ? 1 : 0);
  omni_sqlite_bind_text (stmt, 5, token_hash);
  sqlite3_bind_int64 (stmt, 6, host->created_at);

  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  relay_store_clear_host_cache (store);
  if (rc == SQLITE_CONSTRAINT)
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_STATE, "email",
                            "A host with the e-mail %s already exists; revoke it first", email);
      return NULL;
    }
  if (rc != SQLITE_DONE)
    {
      relay_store_set_error (store, error, "Cannot add the host");
      return NULL;
    }
  return g_steal_pointer (&host);
}

/* The active host the statement (sql, one parameter: key) finds; NULL
 * without error when there is none. */
static RelayHost *
select_active_host (RelayStore  *store,
                    const char  *sql,
                    const char  *key,
                    GError     **error)
{
  sqlite3_stmt *stmt = relay_store_prepare (store, sql, error);
  RelayHost *host = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  omni_sqlite_bind_text (stmt, 1, key);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    host = host_from_row (stmt);
  else if (rc != SQLITE_DONE)
    relay_store_set_error (store, error, "Cannot look up the host");
  sqlite3_reset (stmt);
  return host;
}

#define ACTIVE_HOST_SELECT HOST_SELECT " WHERE revoked_at IS NULL"

RelayHost *
relay_store_host_find_by_token (RelayStore  *store,
                                const char  *token_hash,
                                GError     **error)
{
  GHashTable *cache = relay_store_get_host_cache (store);
  RelayHost *cached = g_hash_table_lookup (cache, token_hash);
  RelayHost *host;

  /* Every request with a host token asks this: the cache saves a SELECT
   * (and its row copies) per request. Unknown tokens are not cached. */
  if (cached != NULL)
    return host_copy (cached);

  host = select_active_host (store, ACTIVE_HOST_SELECT " AND token_hash = ?", token_hash, error);
  if (host != NULL)
    {
      if (g_hash_table_size (cache) >= HOST_CACHE_MAX)
        g_hash_table_remove_all (cache);
      g_hash_table_insert (cache, g_strdup (token_hash), host_copy (host));
    }
  return host;
}

RelayHost *
relay_store_host_find_cached (RelayStore *store,
                              const char *token_hash)
{
  /* The table itself, not relay_store_get_host_cache: that would start the
   * read transaction this exists to save. */
  RelayHost *cached = g_hash_table_lookup (relay_store_peek_host_cache (store), token_hash);

  return cached != NULL ? host_copy (cached) : NULL;
}

RelayHost *
relay_store_host_get_active (RelayStore  *store,
                             const char  *host_id,
                             GError     **error)
{
  return select_active_host (store, ACTIVE_HOST_SELECT " AND id = ?", host_id, error);
}

GPtrArray *
relay_store_host_list (RelayStore  *store,
                       GError     **error)
{
  g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func ((GDestroyNotify) relay_host_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = relay_store_prepare (store, HOST_SELECT " ORDER BY created_at, email", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (hosts, host_from_row (stmt));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      relay_store_set_error (store, error, "Cannot list hosts");
      return NULL;
    }
  return g_steal_pointer (&hosts);
}

gboolean
relay_store_host_revoke (RelayStore  *store,
                         const char  *email_or_id,
                         GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = relay_store_prepare (store,
                              "UPDATE hosts SET revoked_at = ?"
                              " WHERE (id = ?2 OR lower(email) = lower(?2)) AND revoked_at IS NULL", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, omni_time_now_ms ());
  omni_sqlite_bind_text (stmt, 2, email_or_id);
  relay_store_clear_host_cache (store);
  if (!relay_store_exec_stmt (store, stmt, error))
    return FALSE;
  if (sqlite3_changes (relay_store_get_db (store)) == 0)
    {
      omni_error_set_field (error, OMNI_ERROR_NOT_FOUND, "email",
                            "No active host %s", email_or_id);
      return FALSE;
    }
  return TRUE;
}
