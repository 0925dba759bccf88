/* test-ticket-store.c: the ticket store: create, thread, status history,
 * FTS search, migrations from older schemas and unreadable files. */
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "omni-error.h"

#include "engine-ticket-list.h"
#include "engine-ticket-store.h"

typedef struct {
  char *dir;
  char *path;
  EngineTicketStore *store;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->dir = g_dir_make_tmp ("omnilive-store-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->path = g_build_filename (f->dir, "omnilive", "tickets.db", NULL);
  f->store = engine_ticket_store_new (f->path);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->store);
  /* two levels: dir/omnilive/… */
  {
    g_autofree char *sub = g_build_filename (f->dir, "omnilive", NULL);
    g_autoptr(GDir) d = g_dir_open (sub, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *p = g_build_filename (sub, name, NULL);
        g_unlink (p);
      }
    g_rmdir (sub);
  }
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static gint64
create_ticket (EngineTicketStore    *store,
               const char           *subject,
               const char           *name,
               const char           *email,
               EngineTicketPriority  priority,
               const char           *body)
{
  g_autoptr(EngineTicketChange) change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_CREATE);
  g_autoptr(GError) error = NULL;
  gint64 id;

  change->subject = g_strdup (subject);
  change->customer_name = g_strdup (name);
  change->customer_email = g_strdup (email);
  change->priority = priority;
  change->body = g_strdup (body);
  id = engine_ticket_store_apply (store, change, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

static void
apply_ok (EngineTicketStore  *store,
          EngineTicketChange *change)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (engine_ticket_store_apply (store, change, &error), ==, change->ticket_id);
  g_assert_no_error (error);
  engine_ticket_change_free (change);
}

static GPtrArray *
search (EngineTicketStore *store,
        const char        *text,
        int                status,
        int                priority,
        EngineTicketSort   sort)
{
  EngineTicketQuery query = ENGINE_TICKET_QUERY_INIT;
  g_autoptr(GError) error = NULL;
  GPtrArray *result;

  query.search = text;
  query.status = status;
  query.priority = priority;
  query.sort = sort;
  result = engine_ticket_store_query (store, &query, &error);
  g_assert_no_error (error);
  return result;
}

static void
test_create_and_thread (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EngineTicketDetails) details = NULL;
  EngineTicketChange *change;
  gint64 id;

  g_assert_true (engine_ticket_store_open (f->store, &error));
  g_assert_no_error (error);

  id = create_ticket (f->store, "Printer offline", "Jane Doe", "jane@example.com",
                      ENGINE_TICKET_PRIORITY_HIGH, "My printer says offline since Monday.");

  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_ADD_MESSAGE);
  change->ticket_id = id;
  change->message_kind = ENGINE_MESSAGE_AGENT;
  change->author = g_strdup ("Ann Agent");
  change->body = g_strdup ("Have you tried turning it off and on again?");
  apply_ok (f->store, change);

  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_ADD_MESSAGE);
  change->ticket_id = id;
  change->message_kind = ENGINE_MESSAGE_NOTE;
  change->author = g_strdup ("Ann Agent");
  change->body = g_strdup ("Customer is on the premium plan");
  apply_ok (f->store, change);

  details = engine_ticket_store_load (f->store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (engine_ticket_get_subject (details->ticket), ==, "Printer offline");
  g_assert_cmpstr (engine_ticket_get_customer_name (details->ticket), ==, "Jane Doe");
  g_assert_cmpstr (engine_ticket_get_customer_email (details->ticket), ==, "jane@example.com");
  g_assert_cmpint (engine_ticket_get_status (details->ticket), ==, ENGINE_TICKET_STATUS_OPEN);
  g_assert_cmpint (engine_ticket_get_priority (details->ticket), ==, ENGINE_TICKET_PRIORITY_HIGH);
  g_assert_cmpuint (details->messages->len, ==, 3);
  g_assert_cmpint (engine_message_get_kind (details->messages->pdata[0]), ==, ENGINE_MESSAGE_CUSTOMER);
  g_assert_cmpstr (engine_message_get_author (details->messages->pdata[0]), ==, "Jane Doe");
  g_assert_cmpint (engine_message_get_kind (details->messages->pdata[1]), ==, ENGINE_MESSAGE_AGENT);
  g_assert_cmpint (engine_message_get_kind (details->messages->pdata[2]), ==, ENGINE_MESSAGE_NOTE);
  g_assert_cmpstr (engine_message_get_body (details->messages->pdata[2]), ==, "Customer is on the premium plan");
  g_assert_cmpuint (g_strv_length (details->session_ids), ==, 0);

  /* A message for a ticket that does not exist is refused. */
  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_ADD_MESSAGE);
  change->ticket_id = id + 100;
  change->body = g_strdup ("lost");
  g_assert_cmpint (engine_ticket_store_apply (f->store, change, &error), ==, 0);
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_NOT_FOUND);
  engine_ticket_change_free (change);
}

static void
test_status_history (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EngineTicketDetails) details = NULL;
  g_autofree char *text = NULL;
  EngineTicketChange *change;
  EngineMessage *event;
  gint64 id;

  g_assert_true (engine_ticket_store_open (f->store, &error));
  id = create_ticket (f->store, "Refund", "Joe", "joe@example.org", ENGINE_TICKET_PRIORITY_NORMAL, "Please refund");

  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_SET_STATUS);
  change->ticket_id = id;
  change->status = ENGINE_TICKET_STATUS_PENDING;
  change->author = g_strdup ("Ann");
  apply_ok (f->store, change);

  /* Setting the same status again records nothing. */
  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_SET_STATUS);
  change->ticket_id = id;
  change->status = ENGINE_TICKET_STATUS_PENDING;
  apply_ok (f->store, change);

  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_SET_PRIORITY);
  change->ticket_id = id;
  change->priority = ENGINE_TICKET_PRIORITY_URGENT;
  change->author = g_strdup ("Ann");
  apply_ok (f->store, change);

  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_SET_STATUS);
  change->ticket_id = id;
  change->status = ENGINE_TICKET_STATUS_RESOLVED;
  apply_ok (f->store, change);

  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_LINK_SESSION);
  change->ticket_id = id;
  change->session_id = g_strdup ("abc123");
  apply_ok (f->store, change);

  details = engine_ticket_store_load (f->store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (engine_ticket_get_status (details->ticket), ==, ENGINE_TICKET_STATUS_RESOLVED);
  g_assert_cmpint (engine_ticket_get_priority (details->ticket), ==, ENGINE_TICKET_PRIORITY_URGENT);
  g_assert_cmpuint (details->messages->len, ==, 5);

  event = details->messages->pdata[1];
  g_assert_cmpint (engine_message_get_kind (event), ==, ENGINE_MESSAGE_EVENT);
  g_assert_cmpstr (engine_message_get_field (event), ==, "status");
  g_assert_cmpstr (engine_message_get_old_value (event), ==, "open");
  g_assert_cmpstr (engine_message_get_new_value (event), ==, "pending");
  g_assert_cmpstr (engine_message_get_author (event), ==, "Ann");
  text = engine_message_dup_display_text (event);
  g_assert_cmpstr (text, ==, "Status changed from Open to Pending");

  event = details->messages->pdata[2];
  g_assert_cmpstr (engine_message_get_field (event), ==, "priority");
  g_assert_cmpstr (engine_message_get_old_value (event), ==, "normal");
  g_assert_cmpstr (engine_message_get_new_value (event), ==, "urgent");

  event = details->messages->pdata[3];
  g_assert_cmpstr (engine_message_get_old_value (event), ==, "pending");
  g_assert_cmpstr (engine_message_get_new_value (event), ==, "resolved");

  event = details->messages->pdata[4];
  g_assert_cmpstr (engine_message_get_field (event), ==, "session");
  g_assert_cmpstr (engine_message_get_new_value (event), ==, "abc123");
  g_assert_cmpuint (g_strv_length (details->session_ids), ==, 1);
  g_assert_cmpstr (details->session_ids[0], ==, "abc123");
}

static void
test_search (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) result = NULL;
  EngineTicketChange *change;
  gint64 printer, refund, wifi;

  g_assert_true (engine_ticket_store_open (f->store, &error));
  printer = create_ticket (f->store, "Printer offline", "Jane", "jane@example.com",
                           ENGINE_TICKET_PRIORITY_LOW, "It shows a paper jam");
  refund = create_ticket (f->store, "Refund request", "Joe", "joe@example.com",
                          ENGINE_TICKET_PRIORITY_URGENT, "Charged twice");
  wifi = create_ticket (f->store, "Wi-Fi drops", "Zoë", "zoe@example.com",
                        ENGINE_TICKET_PRIORITY_HIGH, "Every hour the connection drops");

  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_ADD_MESSAGE);
  change->ticket_id = refund;
  change->message_kind = ENGINE_MESSAGE_AGENT;
  change->body = g_strdup ("The duplicate invoice was voided");
  apply_ok (f->store, change);

  /* Subjects */
  result = search (f->store, "printer", -1, -1, ENGINE_TICKET_SORT_UPDATED);
  g_assert_cmpuint (result->len, ==, 1);
  g_assert_cmpint (engine_ticket_get_id (result->pdata[0]), ==, printer);
  g_clear_pointer (&result, g_ptr_array_unref);

  /* Messages, as prefixes, case-insensitive, several words */
  result = search (f->store, "INVOI dupl", -1, -1, ENGINE_TICKET_SORT_UPDATED);
  g_assert_cmpuint (result->len, ==, 1);
  g_assert_cmpint (engine_ticket_get_id (result->pdata[0]), ==, refund);
  g_clear_pointer (&result, g_ptr_array_unref);

  /* Words with quotes or FTS syntax are taken literally */
  result = search (f->store, "\"drops OR NOT* (", -1, -1, ENGINE_TICKET_SORT_UPDATED);
  g_assert_cmpuint (result->len, ==, 0);
  g_clear_pointer (&result, g_ptr_array_unref);

  result = search (f->store, "drops", -1, -1, ENGINE_TICKET_SORT_UPDATED);
  g_assert_cmpuint (result->len, ==, 1);
  g_assert_cmpint (engine_ticket_get_id (result->pdata[0]), ==, wifi);
  g_clear_pointer (&result, g_ptr_array_unref);

  /* Filters and sort */
  result = search (f->store, NULL, -1, -1, ENGINE_TICKET_SORT_PRIORITY);
  g_assert_cmpuint (result->len, ==, 3);
  g_assert_cmpint (engine_ticket_get_id (result->pdata[0]), ==, refund);
  g_assert_cmpint (engine_ticket_get_id (result->pdata[1]), ==, wifi);
  g_assert_cmpint (engine_ticket_get_id (result->pdata[2]), ==, printer);
  g_clear_pointer (&result, g_ptr_array_unref);

  /* Most recent activity first (the refund got the last message). */
  result = search (f->store, NULL, -1, -1, ENGINE_TICKET_SORT_UPDATED);
  for (guint i = 1; i < result->len; i++)
    g_assert_cmpint (engine_ticket_get_updated_at (result->pdata[i - 1]), >=,
                     engine_ticket_get_updated_at (result->pdata[i]));
  g_clear_pointer (&result, g_ptr_array_unref);

  result = search (f->store, NULL, -1, ENGINE_TICKET_PRIORITY_HIGH, ENGINE_TICKET_SORT_UPDATED);
  g_assert_cmpuint (result->len, ==, 1);
  g_clear_pointer (&result, g_ptr_array_unref);

  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_SET_STATUS);
  change->ticket_id = printer;
  change->status = ENGINE_TICKET_STATUS_CLOSED;
  apply_ok (f->store, change);
  result = search (f->store, "p", ENGINE_TICKET_STATUS_CLOSED, -1, ENGINE_TICKET_SORT_UPDATED);
  g_assert_cmpuint (result->len, ==, 1);
  g_assert_cmpint (engine_ticket_get_id (result->pdata[0]), ==, printer);
  g_clear_pointer (&result, g_ptr_array_unref);

  /* Event entries are not searchable text */
  result = search (f->store, "closed", -1, -1, ENGINE_TICKET_SORT_UPDATED);
  g_assert_cmpuint (result->len, ==, 0);
}

static void
on_list_updated (EngineTicketList *list,
                 gboolean         *updated)
{
  *updated = TRUE;
}

static gboolean
on_timeout (gpointer user_data)
{
  g_error ("Timed out waiting for the ticket list");
  return G_SOURCE_REMOVE;
}

static void
wait_for (gboolean *flag)
{
  guint timeout = g_timeout_add_seconds (10, on_timeout, NULL);

  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
  *flag = FALSE;
}

static void
test_list_model (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(EngineTicketList) list = engine_ticket_list_new (f->store);
  g_autoptr(GError) error = NULL;
  gboolean updated = FALSE;

  g_signal_connect (list, "updated", G_CALLBACK (on_list_updated), &updated);
  engine_ticket_store_open (f->store, &error);
  g_assert_no_error (error);
  create_ticket (f->store, "One", "A", "a@example.com", ENGINE_TICKET_PRIORITY_LOW, "first");
  /* The write's "changed" refreshes the list asynchronously. */
  wait_for (&updated);
  g_assert_cmpuint (g_list_model_get_n_items (engine_ticket_list_get_model (list)), ==, 1);

  create_ticket (f->store, "Two", "B", "b@example.com", ENGINE_TICKET_PRIORITY_LOW, "second");
  wait_for (&updated);
  g_assert_cmpuint (g_list_model_get_n_items (engine_ticket_list_get_model (list)), ==, 2);

  engine_ticket_list_set_search (list, "second");
  wait_for (&updated);
  g_assert_cmpuint (g_list_model_get_n_items (engine_ticket_list_get_model (list)), ==, 1);
  g_assert_null (engine_ticket_list_get_error (list));
}

/* The schema as version 1 wrote it. */
static const char *v1_schema =
  "CREATE TABLE tickets (id INTEGER PRIMARY KEY, subject TEXT NOT NULL, customer_name TEXT NOT NULL,"
  " customer_email TEXT NOT NULL, status INTEGER NOT NULL DEFAULT 0, priority INTEGER NOT NULL DEFAULT 1,"
  " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
  "CREATE INDEX tickets_by_updated ON tickets (updated_at);"
  "CREATE TABLE messages (id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,"
  " kind INTEGER NOT NULL, author TEXT, body TEXT NOT NULL DEFAULT '', field TEXT, old_value TEXT,"
  " new_value TEXT, created_at INTEGER NOT NULL);"
  "CREATE INDEX messages_by_ticket ON messages (ticket_id, id);"
  "INSERT INTO tickets VALUES (1, 'Old printer ticket', 'Jane', 'jane@example.com', 0, 2, 1000, 2000);"
  "INSERT INTO messages VALUES (1, 1, 0, 'Jane', 'The toner is empty', NULL, NULL, NULL, 1000);"
  "PRAGMA user_version = 1;";

static void
write_raw (const char *path,
           const char *sql)
{
  g_autofree char *dir = g_path_get_dirname (path);
  sqlite3 *db = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static int
read_user_version (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int version;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return version;
}

static void
test_migration (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) result = NULL;
  g_autoptr(EngineTicketDetails) details = NULL;
  EngineTicketChange *change;

  write_raw (f->path, v1_schema);
  g_assert_true (engine_ticket_store_open (f->store, &error));
  g_assert_no_error (error);

  /* Old rows are searchable: version 2 indexed them. */
  result = search (f->store, "toner", -1, -1, ENGINE_TICKET_SORT_UPDATED);
  g_assert_cmpuint (result->len, ==, 1);
  g_assert_cmpstr (engine_ticket_get_subject (result->pdata[0]), ==, "Old printer ticket");

  /* Version 3 can link sessions. */
  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_LINK_SESSION);
  change->ticket_id = 1;
  change->session_id = g_strdup ("s1");
  apply_ok (f->store, change);
  details = engine_ticket_store_load (f->store, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (details->session_ids[0], ==, "s1");

  g_clear_object (&f->store);
  g_assert_cmpint (read_user_version (f->path), ==, ENGINE_TICKET_STORE_SCHEMA_VERSION);

  /* Opening again is a no-op migration. */
  f->store = engine_ticket_store_new (f->path);
  g_assert_true (engine_ticket_store_open (f->store, &error));
  g_assert_no_error (error);
}

static void
on_opened (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (engine_ticket_store_open_finish (ENGINE_TICKET_STORE (source), result, &error));
  g_assert_no_error (error);
  *(gboolean *) user_data = TRUE;
}

/* Start-up queues the first query right behind open_async (a migration here,
 * so the open takes a while): the query waits for the open on its worker
 * instead of failing with "not open". */
static void
test_query_while_opening (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(EngineTicketList) list = engine_ticket_list_new (f->store);
  gboolean updated = FALSE, opened = FALSE;
  EngineTicket *ticket;

  write_raw (f->path, v1_schema);
  g_signal_connect (list, "updated", G_CALLBACK (on_list_updated), &updated);
  engine_ticket_store_open_async (f->store, NULL, on_opened, &opened);
  engine_ticket_list_refresh (list);
  wait_for (&updated);
  g_assert_null (engine_ticket_list_get_error (list));
  g_assert_cmpuint (g_list_model_get_n_items (engine_ticket_list_get_model (list)), ==, 1);
  ticket = g_list_model_get_item (engine_ticket_list_get_model (list), 0);
  g_assert_cmpstr (engine_ticket_get_subject (ticket), ==, "Old printer ticket");
  g_object_unref (ticket);
  if (!opened)
    wait_for (&opened);
}

static void
test_newer_schema (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  write_raw (f->path, "CREATE TABLE x (a); PRAGMA user_version = 99;");
  g_assert_false (engine_ticket_store_open (f->store, &error));
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_STORAGE);
  g_assert_nonnull (strstr (error->message, "newer"));
  g_assert_cmpint (read_user_version (f->path), ==, 99);
}

static void
test_corrupt_file (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (f->path);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *backup = NULL;
  g_autoptr(GPtrArray) result = NULL;
  const char *garbage = "This is not an SQLite database, but it is somebody's data. 0123456789abcdef";
  gsize len;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (f->path, garbage, -1, NULL));

  g_assert_false (engine_ticket_store_open (f->store, &error));
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_STORAGE);
  g_assert_nonnull (engine_ticket_store_get_backup_path (f->store));
  g_assert_nonnull (strstr (error->message, engine_ticket_store_get_backup_path (f->store)));
  g_assert_false (engine_ticket_store_is_open (f->store));

  /* Never a silent reset: the file and its copy hold the original bytes. */
  g_assert_true (g_file_get_contents (f->path, &before, &len, NULL));
  g_assert_cmpstr (before, ==, garbage);
  g_assert_true (g_file_get_contents (engine_ticket_store_get_backup_path (f->store), &backup, &len, NULL));
  g_assert_cmpstr (backup, ==, garbage);

  /* Queries fail clearly while closed. */
  g_clear_error (&error);
  {
    EngineTicketQuery query = ENGINE_TICKET_QUERY_INIT;
    g_assert_null (engine_ticket_store_query (f->store, &query, &error));
    g_assert_error (error, OMNI_ERROR, OMNI_ERROR_STORAGE);
    g_clear_error (&error);
  }

  /* The user's explicit reset starts empty and keeps the backup. */
  g_assert_true (engine_ticket_store_reset (f->store, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (engine_ticket_store_get_backup_path (f->store), G_FILE_TEST_EXISTS));
  result = search (f->store, NULL, -1, -1, ENGINE_TICKET_SORT_UPDATED);
  g_assert_cmpuint (result->len, ==, 0);
  g_assert_true (g_file_get_contents (f->path, &after, &len, NULL));
  g_assert_true (g_str_has_prefix (after, "SQLite format 3"));
}

static void
test_corrupt_pages (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  /* A real database whose schema page is overwritten. */
  g_assert_true (engine_ticket_store_open (f->store, &error));
  create_ticket (f->store, "Soon damaged", "A", "a@example.com", ENGINE_TICKET_PRIORITY_LOW, "x");
  g_clear_object (&f->store);

  g_assert_true (g_file_get_contents (f->path, &contents, &len, NULL));
  g_assert_cmpuint (len, >, 4096);
  memset (contents + 100, 0xA5, 3000);
  g_assert_true (g_file_set_contents (f->path, contents, (gssize) len, NULL));

  f->store = engine_ticket_store_new (f->path);
  g_assert_false (engine_ticket_store_open (f->store, &error));
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_STORAGE);
  g_assert_nonnull (engine_ticket_store_get_backup_path (f->store));
}

static void
test_apply_many (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) engine_ticket_change_free);
  g_autoptr(GPtrArray) result = NULL;
  g_autoptr(EngineTicketDetails) details = NULL;
  g_autoptr(GError) error = NULL;
  EngineTicketChange *change;
  gint64 id;

  g_assert_true (engine_ticket_store_open (f->store, &error));

  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_CREATE);
  change->subject = g_strdup ("Imported");
  change->customer_name = g_strdup ("Imp");
  change->customer_email = g_strdup ("imp@example.com");
  change->body = g_strdup ("first words");
  g_ptr_array_add (batch, change);
  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_ADD_MESSAGE);
  change->body = g_strdup ("second words");   /* ticket_id 0: the one just created */
  g_ptr_array_add (batch, change);
  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_SET_STATUS);
  change->status = ENGINE_TICKET_STATUS_PENDING;
  g_ptr_array_add (batch, change);

  id = engine_ticket_store_apply_many (f->store, batch, &error);
  g_assert_no_error (error);
  details = engine_ticket_store_load (f->store, id, &error);
  g_assert_cmpuint (details->messages->len, ==, 3);
  g_assert_cmpint (engine_ticket_get_status (details->ticket), ==, ENGINE_TICKET_STATUS_PENDING);

  /* A failing change rolls the whole batch back. */
  g_ptr_array_set_size (batch, 0);
  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_CREATE);
  change->subject = g_strdup ("Never stored");
  change->customer_name = g_strdup ("N");
  change->customer_email = g_strdup ("n@example.com");
  g_ptr_array_add (batch, change);
  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_ADD_MESSAGE);
  change->ticket_id = 999999;
  change->body = g_strdup ("lost");
  g_ptr_array_add (batch, change);
  g_assert_cmpint (engine_ticket_store_apply_many (f->store, batch, &error), ==, 0);
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_NOT_FOUND);
  result = search (f->store, "never", -1, -1, ENGINE_TICKET_SORT_UPDATED);
  g_assert_cmpuint (result->len, ==, 0);
}

static void
test_build_match (void)
{
  static const struct { const char *in; const char *out; } cases[] = {
    { NULL, NULL },
    { "", NULL },
    { "   ", NULL },
    { "printer", "\"printer\"*" },
    { " two  words ", "\"two\"* \"words\"*" },
    { "say \"hi\"", "\"say\"* \"\"\"hi\"\"\"*" },
    { "NEAR(a b)", "\"NEAR(a\"* \"b)\"*" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *match = engine_ticket_store_build_match (cases[i].in);
      g_assert_cmpstr (match, ==, cases[i].out);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LANGUAGE", "C", TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/desktop/ticket-store/create-and-thread", test_create_and_thread);
  ADD ("/desktop/ticket-store/status-history", test_status_history);
  ADD ("/desktop/ticket-store/search", test_search);
  ADD ("/desktop/ticket-store/list-model", test_list_model);
  ADD ("/desktop/ticket-store/migration-from-v1", test_migration);
  ADD ("/desktop/ticket-store/query-while-opening", test_query_while_opening);
  ADD ("/desktop/ticket-store/newer-schema", test_newer_schema);
  ADD ("/desktop/ticket-store/corrupt-file", test_corrupt_file);
  ADD ("/desktop/ticket-store/corrupt-pages", test_corrupt_pages);
  ADD ("/desktop/ticket-store/apply-many", test_apply_many);
#undef ADD
  g_test_add_func ("/desktop/ticket-store/build-match", test_build_match);

  return g_test_run ();
}
