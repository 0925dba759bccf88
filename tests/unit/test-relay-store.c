/* test-relay-store.c: the relay's SQLite store — migrations, hosts, sessions,
 * guests' joins and leaves and the analytics they add up to. */
#include <glib/gstdio.h>
#include <string.h>

#include "relay-password.h"
#include "relay-ratelimit.h"
#include "relay-store.h"
#include "omni-error.h"
#include "omni-time.h"
#include "omni-token.h"

typedef struct {
  char       *dir;
  char       *path;
  RelayStore *store;
  RelayHost  *host;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("relay-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "relay.db", NULL);
  f->store = relay_store_open (f->path, &error);
  g_assert_no_error (error);
  f->host = relay_store_host_add (f->store, "agent@example.com", "Agent", FALSE, "hash-1", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (f->path, "-shm", NULL);

  relay_host_free (f->host);
  relay_store_close (f->store);
  g_unlink (f->path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static OmniSession *
make_session (Fixture    *f,
              const char *link,
              int         max_participants)
{
  OmniSession *s = omni_session_new ();

  s->id = relay_store_new_id ();
  s->host_id = g_strdup (f->host->id);
  s->title = g_strdup ("Support call");
  s->type = OMNI_SESSION_TYPE_SUPPORT_CALL;
  s->status = OMNI_SESSION_STATUS_SCHEDULED;
  s->scheduled_start = omni_time_now_ms () + OMNI_MS_PER_HOUR;
  s->scheduled_end = s->scheduled_start + OMNI_MS_PER_HOUR;
  s->max_participants = max_participants;
  s->access_link = g_strdup (link);
  s->allowed_domains = g_new0 (char *, 1);
  return s;
}

static void
test_migrations (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  RelayStore *again;
  int version = relay_store_get_schema_version (f->store);

  g_assert_cmpint (version, >=, 2);
  relay_store_close (f->store);

  /* Reopening migrates nothing and keeps the data. */
  again = relay_store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (relay_store_get_schema_version (again), ==, version);
  f->store = again;
  {
    g_autoptr(RelayHost) host = relay_store_host_find_by_token (f->store, "hash-1", &error);
    g_assert_no_error (error);
    g_assert_nonnull (host);
    g_assert_cmpstr (host->email, ==, "agent@example.com");
  }

  /* A database from a newer relay is refused, not damaged. */
  g_assert_true (sqlite3_exec (relay_store_get_db (f->store), "PRAGMA user_version = 999", NULL, NULL, NULL) == SQLITE_OK);
  relay_store_close (f->store);
  f->store = relay_store_open (f->path, &error);
  g_assert_null (f->store);
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_STORAGE);
  g_assert_nonnull (strstr (error->message, "newer"));
  {
    sqlite3 *db;
    g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
    g_autofree char *restore = g_strdup_printf ("PRAGMA user_version = %d", version);
    sqlite3_exec (db, restore, NULL, NULL, NULL);
    sqlite3_close (db);
  }
  g_clear_error (&error);
  f->store = relay_store_open (f->path, &error);
  g_assert_no_error (error);
}

static void
test_hosts (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hosts = NULL;
  RelayHost *dup;

  dup = relay_store_host_add (f->store, "AGENT@example.com", "Again", FALSE, "hash-2", &error);
  g_assert_null (dup);
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_true (relay_store_host_revoke (f->store, "agent@example.com", &error));
  g_assert_no_error (error);
  g_assert_null (relay_store_host_find_by_token (f->store, "hash-1", &error));
  g_assert_no_error (error);
  g_assert_false (relay_store_host_revoke (f->store, "agent@example.com", &error));
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* After a revoke the address can have a new account. */
  dup = relay_store_host_add (f->store, "agent@example.com", "Agent 2", TRUE, "hash-3", &error);
  g_assert_no_error (error);
  relay_host_free (dup);
  hosts = relay_store_host_list (f->store, &error);
  g_assert_cmpuint (hosts->len, ==, 2);
}

/* Hosts found by token are cached, but a change by any other connection
 * (`omnilive-relay host revoke` is another process) is seen by the very
 * next lookup, and so is the store's own revoke. */
static void
test_host_cache (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  RelayStore *other = relay_store_open (f->path, &error);
  RelayHost *host;
  sqlite3 *raw;

  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      host = relay_store_host_find_by_token (f->store, "hash-1", &error);
      g_assert_no_error (error);
      g_assert_nonnull (host);
      g_assert_cmpstr (host->name, ==, "Agent");
      relay_host_free (host);
    }

  g_assert_true (relay_store_host_revoke (other, "agent@example.com", &error));
  g_assert_no_error (error);
  g_assert_null (relay_store_host_find_by_token (f->store, "hash-1", &error));
  g_assert_no_error (error);

  /* Any other change too, here by a plain connection. */
  host = relay_store_host_add (other, "second@example.com", "Second", FALSE, "hash-2", &error);
  g_assert_no_error (error);
  relay_host_free (host);
  host = relay_store_host_find_by_token (f->store, "hash-2", &error);
  g_assert_cmpstr (host->name, ==, "Second");
  relay_host_free (host);
  g_assert_cmpint (sqlite3_open (f->path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, "UPDATE hosts SET name = 'Renamed', is_admin = 1 WHERE token_hash = 'hash-2'",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);
  host = relay_store_host_find_by_token (f->store, "hash-2", &error);
  g_assert_cmpstr (host->name, ==, "Renamed");
  g_assert_true (host->admin);
  relay_host_free (host);

  /* The store's own revoke (no other connection involved). */
  g_assert_true (relay_store_host_revoke (f->store, "second@example.com", &error));
  g_assert_null (relay_store_host_find_by_token (f->store, "hash-2", &error));
  g_assert_no_error (error);
  relay_store_close (other);
}

static void
test_session_crud (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) s = make_session (f, "link-crud", 10);
  g_autoptr(OmniSession) loaded = NULL;
  g_autoptr(GPtrArray) invitees = g_ptr_array_new_with_free_func ((GDestroyNotify) omni_invitee_free);
  g_autoptr(GPtrArray) added = NULL;
  g_autofree char *hash = NULL;
  OmniInvitee *invitee = g_new0 (OmniInvitee, 1);

  invitee->email = g_strdup ("John@example.com");
  invitee->name = g_strdup ("John");
  g_ptr_array_add (invitees, invitee);

  g_assert_true (relay_store_session_insert (f->store, s, "pbkdf2-sha256$1$x$y", invitees, omni_time_now_ms (), &error));
  g_assert_no_error (error);

  loaded = relay_store_session_get_by_link (f->store, "link-crud", &hash, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->id, ==, s->id);
  g_assert_cmpstr (loaded->host_name, ==, "Agent");
  g_assert_true (loaded->has_password);
  g_assert_cmpstr (hash, ==, "pbkdf2-sha256$1$x$y");
  g_assert_cmpuint (loaded->participants->len, ==, 1);

  /* Re-inviting the same address (any case) adds nobody. */
  g_free (invitee->email);
  invitee->email = g_strdup ("john@EXAMPLE.com");
  added = relay_store_session_add_invitees (f->store, s->id, invitees, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (added->len, ==, 0);

  g_free (loaded->title);
  loaded->title = g_strdup ("Renamed");
  g_assert_true (relay_store_session_update (f->store, loaded, "", FALSE, omni_time_now_ms (), &error));
  g_clear_pointer (&loaded, omni_session_free);
  loaded = relay_store_session_get (f->store, s->id, &error);
  g_assert_cmpstr (loaded->title, ==, "Renamed");
  g_assert_false (loaded->has_password);

  g_assert_null (relay_store_session_get (f->store, "no-such-id", &error));
  g_assert_no_error (error);
}

/* A database written by a relay of schema 4 (mail state lived only in the
 * outbox) keeps every row, and its participants show their newest message
 * once migrated. */
static void
test_upgrade_keeps_mail_state (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("relay-store-upgrade-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "relay.db", NULL);
  g_autoptr(OmniSession) loaded = NULL;
  RelayStore *store = relay_store_open_at_version (path, 4, &error);
  OmniParticipant *ann;
  OmniParticipant *bob;

  g_assert_no_error (error);
  g_assert_cmpint (relay_store_get_schema_version (store), ==, 4);
  g_assert_cmpint (sqlite3_exec (relay_store_get_db (store),
    "INSERT INTO hosts VALUES ('h1', 'agent@example.com', 'Agent', 0, 'hash', 1, NULL);"
    "INSERT INTO sessions (id, host_id, title, session_type, status, scheduled_start, scheduled_end,"
    "  max_participants, enable_recording, enable_screen_share, enable_chat, waiting_room_enabled,"
    "  requires_approval, access_link, created_at, updated_at)"
    "  VALUES ('s1', 'h1', 'Old call', 'support_call', 'scheduled', 4102444800000, 4102448400000,"
    "          2, 0, 1, 1, 0, 0, 'old-link', 1, 1);"
    "INSERT INTO participants (id, session_id, position, email, email_key, name, invited, state)"
    "  VALUES ('p1', 's1', 0, 'Ann@Example.com', 'ann@example.com', 'Ann', 1, 'invited'),"
    "         ('p2', 's1', 1, 'bob@example.com', 'bob@example.com', 'Bob', 1, 'invited');"
    "INSERT INTO outbox (session_id, kind, recipient_email, payload, state, attempts, next_attempt_at,"
    "  last_error, created_at)"
    "  VALUES ('s1', 'invitation', 'Ann@Example.com', '{}', 'failed', 3, 0, 'mailbox full', 1),"
    "         ('s1', 'updated', 'ann@example.com', '{}', 'sent', 1, 0, NULL, 2);",
    NULL, NULL, NULL), ==, SQLITE_OK);
  relay_store_close (store);

  store = relay_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (relay_store_get_schema_version (store), >, 4);
  loaded = relay_store_session_get (store, "s1", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->participants->len, ==, 2);
  ann = g_ptr_array_index (loaded->participants, 0);
  bob = g_ptr_array_index (loaded->participants, 1);
  g_assert_cmpstr (ann->mail_state, ==, "sent");
  g_assert_cmpstr (ann->mail_kind, ==, "updated");
  g_assert_null (bob->mail_state);

  /* And the triggers keep it from then on. */
  g_assert_cmpint (sqlite3_exec (relay_store_get_db (store),
    "UPDATE outbox SET state = 'failed', attempts = 2, last_error = 'rejected' WHERE kind = 'updated';",
    NULL, NULL, NULL), ==, SQLITE_OK);
  g_clear_pointer (&loaded, omni_session_free);
  loaded = relay_store_session_get (store, "s1", &error);
  ann = g_ptr_array_index (loaded->participants, 0);
  g_assert_cmpstr (ann->mail_state, ==, "failed");
  g_assert_cmpstr (ann->mail_error, ==, "rejected");
  g_assert_cmpint (ann->mail_attempts, ==, 2);
  relay_store_close (store);

  g_unlink (path);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);
    g_unlink (wal);
    g_unlink (shm);
  }
  g_rmdir (dir);
}

/* The fixture host's upcoming sessions, first page. */
static RelaySessionFilter
upcoming_of_host (Fixture *f)
{
  return (RelaySessionFilter) { .host_id = f->host->id, .upcoming = TRUE, .status = -1,
                                .now_ms = omni_time_now_ms (), .limit = 100 };
}

/* A page's participants are read with one statement for the whole page:
 * each session gets its own, in invitation order, whatever the page order,
 * exactly as a single-session read gives them. */
static void
test_list_participants (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  RelaySessionFilter filter = upcoming_of_host (f);
  const guint counts[] = { 3, 0, 1, 4, 2, 0, 5 };
  int total = 0;

  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      g_autofree char *link = g_strdup_printf ("page-%u", i);
      g_autoptr(OmniSession) s = make_session (f, link, 10);
      g_autoptr(GPtrArray) invitees = g_ptr_array_new_with_free_func ((GDestroyNotify) omni_invitee_free);

      /* Later inserts start sooner: page order is not insertion (id) order. */
      s->scheduled_start += (G_N_ELEMENTS (counts) - i) * OMNI_MS_PER_HOUR;
      s->scheduled_end += (G_N_ELEMENTS (counts) - i) * OMNI_MS_PER_HOUR;
      for (guint j = 0; j < counts[i]; j++)
        {
          OmniInvitee *invitee = g_new0 (OmniInvitee, 1);

          /* Names sort against invitation order, so order by position shows. */
          invitee->email = g_strdup_printf ("p%u-%u@example.com", i, counts[i] - j);
          invitee->name = g_strdup_printf ("Person %u of session %u", j, i);
          g_ptr_array_add (invitees, invitee);
        }
      g_assert_true (relay_store_session_insert (f->store, s, NULL, invitees, omni_time_now_ms (), &error));
      g_assert_no_error (error);
    }

  list = relay_store_session_list (f->store, &filter, &total, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, G_N_ELEMENTS (counts));
  for (guint i = 0; i < list->len; i++)
    {
      OmniSession *listed = g_ptr_array_index (list, i);
      g_autoptr(OmniSession) single = relay_store_session_get (f->store, listed->id, &error);
      guint index = G_N_ELEMENTS (counts) - 1 - i;

      g_assert_no_error (error);
      g_assert_cmpuint (listed->participants->len, ==, counts[index]);
      g_assert_cmpuint (single->participants->len, ==, counts[index]);
      for (guint j = 0; j < listed->participants->len; j++)
        {
          OmniParticipant *a = g_ptr_array_index (listed->participants, j);
          OmniParticipant *b = g_ptr_array_index (single->participants, j);
          g_autofree char *email = g_strdup_printf ("p%u-%u@example.com", index, counts[index] - j);

          g_assert_cmpstr (a->email, ==, email);
          g_assert_cmpstr (a->id, ==, b->id);
          g_assert_cmpstr (a->name, ==, b->name);
        }
    }
}

static void
test_list_upcoming (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  RelaySessionFilter filter = upcoming_of_host (f);
  int total = 0;

  for (int i = 0; i < 5; i++)
    {
      g_autofree char *link = g_strdup_printf ("link-%d", i);
      g_autoptr(OmniSession) s = make_session (f, link, 10);
      /* Inserted out of order: the list must come back soonest first. */
      s->scheduled_start += (5 - i) * OMNI_MS_PER_HOUR;
      s->scheduled_end += (5 - i) * OMNI_MS_PER_HOUR;
      if (i == 0)
        s->status = OMNI_SESSION_STATUS_ENDED;
      g_assert_true (relay_store_session_insert (f->store, s, NULL, NULL, omni_time_now_ms (), &error));
    }

  list = relay_store_session_list (f->store, &filter, &total, &error);
  g_assert_no_error (error);
  g_assert_cmpint (total, ==, 4);
  g_assert_cmpuint (list->len, ==, 4);
  for (guint i = 1; i < list->len; i++)
    g_assert_cmpint (((OmniSession *) list->pdata[i - 1])->scheduled_start, <=,
                     ((OmniSession *) list->pdata[i])->scheduled_start);

  /* Live counts however late it runs; a scheduled one whose end has passed
   * and a cancelled one do not. The upcoming-only count has its own query:
   * it must agree with the general one (from = 1 takes that path) and with
   * the rows. */
  {
    const struct { const char *link; OmniSessionStatus status; gint64 shift_hours; } extra[] = {
      { "late-live", OMNI_SESSION_STATUS_LIVE, -30 },
      { "late-scheduled", OMNI_SESSION_STATUS_SCHEDULED, -30 },
      { "cancelled", OMNI_SESSION_STATUS_CANCELLED, 2 },
    };
    int general_total = -1;

    for (guint i = 0; i < G_N_ELEMENTS (extra); i++)
      {
        g_autoptr(OmniSession) s = make_session (f, extra[i].link, 10);
        s->scheduled_start += extra[i].shift_hours * OMNI_MS_PER_HOUR;
        s->scheduled_end += extra[i].shift_hours * OMNI_MS_PER_HOUR;
        s->status = extra[i].status;
        g_assert_true (relay_store_session_insert (f->store, s, NULL, NULL, omni_time_now_ms (), &error));
      }
    g_clear_pointer (&list, g_ptr_array_unref);
    list = relay_store_session_list (f->store, &filter, &total, &error);
    g_assert_no_error (error);
    g_assert_cmpint (total, ==, 5);
    g_assert_cmpuint (list->len, ==, 5);
    filter.from_ms = 1;
    g_clear_pointer (&list, g_ptr_array_unref);
    list = relay_store_session_list (f->store, &filter, &general_total, &error);
    g_assert_no_error (error);
    g_assert_cmpint (general_total, ==, total);
    filter.from_ms = 0;
  }

  filter.upcoming = FALSE;
  filter.status = OMNI_SESSION_STATUS_ENDED;
  g_clear_pointer (&list, g_ptr_array_unref);
  list = relay_store_session_list (f->store, &filter, &total, &error);
  g_assert_cmpint (total, ==, 1);

  filter.host_id = "someone-else";
  filter.status = -1;
  g_clear_pointer (&list, g_ptr_array_unref);
  list = relay_store_session_list (f->store, &filter, &total, &error);
  g_assert_cmpint (total, ==, 0);
}

static void
test_guest_analytics (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) s = make_session (f, "link-guests", 10);
  g_autoptr(OmniSession) loaded = NULL;
  OmniParticipant *p;
  gint64 t0 = 1000000;

  g_assert_true (relay_store_session_insert (f->store, s, NULL, NULL, t0, &error));
  g_assert_true (relay_store_session_set_status (f->store, s->id, OMNI_SESSION_STATUS_LIVE, t0, &error));

  /* Ann: 60 s, leaves, rejoins for 30 s (same person, durations add). */
  p = relay_store_guest_join (f->store, s->id, "ann@example.com", "Ann", "tok-a1", "admitted", t0, &error);
  g_assert_no_error (error);
  omni_participant_free (p);
  p = relay_store_guest_join (f->store, s->id, "bob@example.com", "Bob", "tok-b", "admitted", t0 + 10000, &error);
  omni_participant_free (p);
  p = relay_store_guest_join (f->store, s->id, "cy@example.com", "Cy", "tok-c", "waiting", t0 + 10000, &error);
  omni_participant_free (p);
  g_assert_cmpint (relay_store_session_count_guests (f->store, s->id, FALSE, &error), ==, 2);
  g_assert_cmpint (relay_store_session_count_guests (f->store, s->id, TRUE, &error), ==, 3);

  p = relay_store_guest_find (f->store, s->id, "tok-a1", &error);
  g_assert_true (relay_store_guest_leave (f->store, s->id, p->id, t0 + 60000, &error));
  omni_participant_free (p);
  p = relay_store_guest_join (f->store, s->id, "ANN@example.com", "Ann", "tok-a2", "admitted", t0 + 120000, &error);
  omni_participant_free (p);
  /* The first token died with the rejoin. */
  g_assert_null (relay_store_guest_find (f->store, s->id, "tok-a1", &error));

  g_assert_true (relay_store_session_set_status (f->store, s->id, OMNI_SESSION_STATUS_ENDED, t0 + 150000, &error));
  g_assert_true (relay_store_session_close_calls (f->store, s->id, t0 + 150000, &error));

  loaded = relay_store_session_get (f->store, s->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (loaded->peak_participants, ==, 2);
  g_assert_cmpint (omni_session_total_duration (loaded, 0), ==, 150);
  g_assert_cmpuint (loaded->participants->len, ==, 3);
  p = g_ptr_array_index (loaded->participants, 0);
  g_assert_cmpstr (p->name, ==, "Ann");
  g_assert_cmpint (p->duration_ms, ==, 90000);
  g_assert_cmpint (p->joined_at, ==, t0);
  g_assert_cmpint (p->left_at, ==, t0 + 150000);
  p = g_ptr_array_index (loaded->participants, 1);
  g_assert_cmpint (p->duration_ms, ==, 140000);
  p = g_ptr_array_index (loaded->participants, 2);
  g_assert_cmpint (p->duration_ms, ==, 0);
  g_assert_cmpint (p->joined_at, ==, 0);
}

static void
test_transaction_rollback (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSession) a = make_session (f, "same-link", 10);
  g_autoptr(OmniSession) b = make_session (f, "same-link", 10);
  RelaySessionFilter filter = { .status = -1, .now_ms = 0, .limit = 10 };
  g_autoptr(GPtrArray) list = NULL;
  int total = -1;

  /* A series whose second insert fails leaves nothing behind. */
  g_assert_true (relay_store_begin (f->store, &error));
  g_assert_true (relay_store_session_insert (f->store, a, NULL, NULL, 1, &error));
  g_assert_false (relay_store_session_insert (f->store, b, NULL, NULL, 1, &error));
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_STORAGE);
  relay_store_rollback (f->store);

  list = relay_store_session_list (f->store, &filter, &total, NULL);
  g_assert_cmpint (total, ==, 0);
}

static void
test_password (void)
{
  g_autofree char *hash = relay_password_hash ("secure123", 1000);
  g_autofree char *other = relay_password_hash ("secure123", 1000);

  g_assert_true (g_str_has_prefix (hash, "pbkdf2-sha256$1000$"));
  g_assert_cmpstr (hash, !=, other);   /* salted */
  g_assert_true (relay_password_verify ("secure123", hash));
  g_assert_false (relay_password_verify ("secure124", hash));
  g_assert_false (relay_password_verify ("", hash));
  g_assert_false (relay_password_verify ("secure123", "garbage"));
  g_assert_false (relay_password_verify ("secure123", "pbkdf2-sha256$0$AA==$AA=="));
  g_assert_false (relay_password_verify ("secure123", NULL));
}

static void
test_password_vector (void)
{
  /* RFC 7914 section 11 PBKDF2-HMAC-SHA256 vector: P="passwd", S="salt", c=1. */
  const char *stored = "pbkdf2-sha256$1$c2FsdA==$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLw=";
  g_assert_true (relay_password_verify ("passwd", stored));
}

static void
test_rate_limit (void)
{
  g_autoptr(RelayRateLimit) limit = relay_rate_limit_new (5, 600000);

  for (int i = 0; i < 5; i++)
    {
      g_assert_cmpuint (relay_rate_limit_check (limit, "k", 1000 + i), ==, 0);
      relay_rate_limit_fail (limit, "k", 1000 + i);
    }
  g_assert_cmpuint (relay_rate_limit_check (limit, "k", 2000), ==, 599);
  g_assert_cmpuint (relay_rate_limit_check (limit, "other", 2000), ==, 0);
  /* The oldest failure leaves the window after 10 minutes. */
  g_assert_cmpuint (relay_rate_limit_check (limit, "k", 601000), ==, 0);
  relay_rate_limit_prune (limit, 700000);
  g_assert_cmpuint (relay_rate_limit_check (limit, "k", 700000), ==, 0);
}


/* ---- group commit ---- */

typedef struct {
  Fixture     *f;
  OmniSession *session;
  gboolean     fail;
  gboolean     written;
  GError      *error;
} BatchCase;

static gboolean
write_case (RelayStore *store,
            gpointer    user_data,
            GError    **error)
{
  BatchCase *c = user_data;
  g_autoptr(GPtrArray) invitees = g_ptr_array_new ();

  if (!relay_store_session_insert (store, c->session, NULL, invitees, omni_time_now_ms (), error))
    return FALSE;
  if (c->fail)
    {
      g_set_error_literal (error, OMNI_ERROR, OMNI_ERROR_INVALID_FIELD, "refused after its insert");
      return FALSE;
    }
  return TRUE;
}

static void
on_case_written (gpointer      user_data,
                 const GError *error)
{
  BatchCase *c = user_data;

  g_assert_false (c->written);
  c->written = TRUE;
  c->error = error != NULL ? g_error_copy (error) : NULL;
}

/* What a second connection (the mail worker's, another process) sees. */
static gboolean
committed_elsewhere (Fixture    *f,
                     const char *id)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gboolean found;

  g_assert_cmpint (sqlite3_open_v2 (f->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT 1 FROM sessions WHERE id = ?", -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return found;
}

static void
drain_until_written (BatchCase *c)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (!c->written && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (c->written);
}

static void
test_group_commit (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  BatchCase a = { f, make_session (f, "link-a", 2), FALSE, FALSE, NULL };
  BatchCase b = { f, make_session (f, "link-b", 2), TRUE, FALSE, NULL };
  BatchCase c = { f, make_session (f, "link-c", 2), FALSE, FALSE, NULL };
  BatchCase d = { f, make_session (f, "link-d", 2), FALSE, FALSE, NULL };
  BatchCase e = { f, make_session (f, "link-e", 2), FALSE, FALSE, NULL };
  OmniSession *read;

  /* b fails between a and c, undoing its own insert only. Writers hear
   * the outcome from the main loop, never from the writer thread. */
  relay_store_write_batched (f->store, write_case, on_case_written, &a, NULL);
  relay_store_write_batched (f->store, write_case, on_case_written, &b, NULL);
  relay_store_write_batched (f->store, write_case, on_case_written, &c, NULL);
  g_assert_false (a.written);
  g_assert_false (b.written);
  g_assert_false (c.written);

  drain_until_written (&a);
  drain_until_written (&b);
  drain_until_written (&c);
  g_assert_no_error (a.error);
  g_assert_error (b.error, OMNI_ERROR, OMNI_ERROR_INVALID_FIELD);
  g_assert_no_error (c.error);
  g_assert_true (committed_elsewhere (f, a.session->id));
  g_assert_true (committed_elsewhere (f, c.session->id));
  g_assert_false (committed_elsewhere (f, b.session->id));

  /* Once told, the main connection reads the write. */
  read = relay_store_session_get (f->store, a.session->id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (read);
  omni_session_free (read);

  /* The main connection's own writes and transactions go on while batched
   * writes are in flight; each waits for the other's lock. */
  relay_store_write_batched (f->store, write_case, on_case_written, &d, NULL);
  g_assert_true (relay_store_session_set_status (f->store, a.session->id, OMNI_SESSION_STATUS_CANCELLED,
                                                 omni_time_now_ms (), &error));
  g_assert_no_error (error);
  relay_store_write_batched (f->store, write_case, on_case_written, &e, NULL);
  g_assert_true (relay_store_begin (f->store, &error));
  g_assert_true (relay_store_commit (f->store, &error));
  g_assert_no_error (error);
  drain_until_written (&d);
  drain_until_written (&e);
  g_assert_no_error (d.error);
  g_assert_no_error (e.error);
  g_assert_true (committed_elsewhere (f, d.session->id));
  g_assert_true (committed_elsewhere (f, e.session->id));

  for (guint i = 0; i < 5; i++)
    {
      BatchCase *each = (BatchCase *[]) { &a, &b, &c, &d, &e }[i];
      omni_session_free (each->session);
      g_clear_error (&each->error);
    }
}

/* Under a flood of slow batched writes (the writer thread holding the write
 * lock but for a few microseconds between batches), the main connection's
 * writes still get their turn at the next batch, long before the flood is
 * over: none waits for the whole queue, let alone times out. */
#define FLOOD_WRITES   3000
#define FLOOD_WRITE_US 300

typedef struct {
  Fixture *f;
  guint    told;
  guint    failed;
  gint     executed;   /* atomic: run by the writer thread */
} Flood;

typedef struct {
  Flood       *flood;
  OmniSession *session;
} FloodWrite;

static gboolean
write_flood (RelayStore *store,
             gpointer    user_data,
             GError    **error)
{
  FloodWrite *w = user_data;
  g_autoptr(GPtrArray) invitees = g_ptr_array_new ();

  g_atomic_int_inc (&w->flood->executed);
  g_usleep (FLOOD_WRITE_US);
  return relay_store_session_insert (store, w->session, NULL, invitees, omni_time_now_ms (), error);
}

static void
on_flood_written (gpointer      user_data,
                  const GError *error)
{
  FloodWrite *w = user_data;

  w->flood->told++;
  if (error != NULL)
    w->flood->failed++;
}

static void
flood_write_free (gpointer user_data)
{
  FloodWrite *w = user_data;

  omni_session_free (w->session);
  g_free (w);
}

static void
test_group_commit_main_writes_get_a_turn (Fixture       *f,
                                          gconstpointer  data)
{
  g_autoptr(OmniSession) target = make_session (f, "flood-target", 2);
  g_autoptr(GPtrArray) invitees = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  Flood flood = { f, 0, 0, 0 };
  gint64 deadline;

  g_assert_true (relay_store_session_insert (f->store, target, NULL, invitees, omni_time_now_ms (), &error));
  g_assert_no_error (error);
  for (guint i = 0; i < FLOOD_WRITES; i++)
    {
      FloodWrite *w = g_new0 (FloodWrite, 1);
      g_autofree char *link = g_strdup_printf ("flood-%u", i);

      w->flood = &flood;
      w->session = make_session (f, link, 2);
      relay_store_write_batched (f->store, write_flood, on_flood_written, w, flood_write_free);
    }
  for (int i = 0; i < 10; i++)
    {
      OmniSessionStatus status = i % 2 ? OMNI_SESSION_STATUS_SCHEDULED : OMNI_SESSION_STATUS_LIVE;

      g_assert_true (relay_store_session_set_status (f->store, target->id, status, omni_time_now_ms (), &error));
      g_assert_no_error (error);
    }
  g_test_message ("10 main writes done after %d of %d batched writes", g_atomic_int_get (&flood.executed),
                  FLOOD_WRITES);
  g_assert_cmpint (g_atomic_int_get (&flood.executed), <, FLOOD_WRITES / 2);

  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (flood.told < FLOOD_WRITES && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (flood.told, ==, FLOOD_WRITES);
  g_assert_cmpuint (flood.failed, ==, 0);
}

/* Writers accepted before the store closes (SIGTERM) are committed and
 * told; their data is freed. */
static void
free_case (gpointer user_data)
{
  ((BatchCase *) user_data)->fail = TRUE;   /* marks "notified" */
}

static void
test_group_commit_at_close (Fixture       *f,
                            gconstpointer  data)
{
  BatchCase a = { f, make_session (f, "link-close", 2), FALSE, FALSE, NULL };

  relay_store_write_batched (f->store, write_case, on_case_written, &a, free_case);
  relay_store_close (f->store);
  f->store = NULL;
  g_assert_true (a.written);
  g_assert_no_error (a.error);
  g_assert_true (a.fail);
  g_assert_true (committed_elsewhere (f, a.session->id));
  omni_session_free (a.session);
}

/* The outbox keeps only the indexes its queries use (migration 6 dropped
 * outbox_session): the per-person lookups of the mail-state triggers and
 * resend, and the cancel's by-session update, still search an index. */
static void
test_outbox_indexes (Fixture       *f,
                     gconstpointer  data)
{
  static const char * const queries[] = {
    "SELECT max(id) FROM outbox WHERE session_id = ?1 AND lower(recipient_email) = ?2",
    "SELECT 1 FROM outbox o WHERE o.session_id = ?1 AND lower(o.recipient_email) = ?2",
    "UPDATE outbox SET state = 'failed' WHERE session_id = ?1 AND state = 'queued'",
  };
  sqlite3 *db = relay_store_get_db (f->store);
  sqlite3_stmt *stmt;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                                           " AND name = 'outbox_session'", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 0);
  sqlite3_finalize (stmt);

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autofree char *sql = g_strconcat ("EXPLAIN QUERY PLAN ", queries[i], NULL);
      g_autoptr(GString) plan = g_string_new (NULL);

      g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        g_string_append_printf (plan, "%s\n", (const char *) sqlite3_column_text (stmt, 3));
      sqlite3_finalize (stmt);
      g_test_message ("%s: %s", queries[i], plan->str);
      g_assert_nonnull (strstr (plan->str, "USING INDEX outbox_recipient (session_id=?"));
    }
}

/* Ids start with their creation time in ms (so new rows append to every
 * index keyed by one) and end with random bytes: unique, 24 hex digits. */
static void
test_new_id (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 1000; i++)
    {
      gint64 before = g_get_real_time () / 1000;
      char *id = relay_store_new_id ();
      gint64 after = g_get_real_time () / 1000;
      g_autofree char *time_part = g_strndup (id, 12);
      guint64 ms = 0;

      g_assert_cmpuint (strlen (id), ==, 24);
      for (const char *p = id; *p != '\0'; p++)
        g_assert_true (g_ascii_isxdigit (*p) && !g_ascii_isupper (*p));
      g_assert_true (g_ascii_string_to_unsigned (time_part, 16, 0, G_MAXUINT64, &ms, NULL));
      g_assert_cmpint ((gint64) ms, >=, before);
      g_assert_cmpint ((gint64) ms, <=, after);
      g_assert_true (g_hash_table_add (seen, id));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/relay/store/migrations", test_migrations);
  ADD ("/relay/store/hosts", test_hosts);
  ADD ("/relay/store/host-cache", test_host_cache);
  ADD ("/relay/store/outbox-indexes", test_outbox_indexes);
  ADD ("/relay/store/session-crud", test_session_crud);
  ADD ("/relay/store/list-upcoming", test_list_upcoming);
  ADD ("/relay/store/list-participants", test_list_participants);
  ADD ("/relay/store/guest-analytics", test_guest_analytics);
  ADD ("/relay/store/transaction-rollback", test_transaction_rollback);
  ADD ("/relay/store/group-commit", test_group_commit);
  ADD ("/relay/store/group-commit-main-writes-get-a-turn", test_group_commit_main_writes_get_a_turn);
  ADD ("/relay/store/group-commit-at-close", test_group_commit_at_close);
#undef ADD
  g_test_add_func ("/relay/store/upgrade-keeps-mail-state", test_upgrade_keeps_mail_state);
  g_test_add_func ("/relay/store/new-id", test_new_id);
  g_test_add_func ("/relay/password/hash-verify", test_password);
  g_test_add_func ("/relay/password/rfc7914-vector", test_password_vector);
  g_test_add_func ("/relay/ratelimit/window", test_rate_limit);

  return g_test_run ();
}
