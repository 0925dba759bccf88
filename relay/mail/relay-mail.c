/* relay-mail.c: the mail worker: config, the thread's loop (queue due
 * reminders, send due rows, sleep until the next is due or the API wakes it)
 * and the retry policy. */
#define G_LOG_DOMAIN "relay-mail"

#include "relay-mail-private.h"
#include "omni-email.h"
#include "omni-error.h"
#include "omni-time.h"

#include <curl/curl.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BATCH_SIZE            32
#define IDLE_WAKE_MS          (60 * OMNI_MS_PER_SECOND)
#define RETRY_MAX_DELAY_MS    (60 * OMNI_MS_PER_MINUTE)
#define DEFAULT_REMINDER_MIN  60
#define DEFAULT_RETRY_INITIAL 10
#define DEFAULT_RETRY_HOURS   48
#define DEFAULT_KEEP_DAYS     90
#define PRUNE_INTERVAL_MS     (60 * 60 * OMNI_MS_PER_SECOND)
#define DEFAULT_CONNECTIONS   4
#define WORKER_NICE           10   /* added to the relay's own */

const char * const relay_mail_smtp_keys[] = {
  "url", "starttls", "from", "username", "password_file", "ca_file", "connections", NULL,
};
const char * const relay_mail_mail_keys[] = {
  "timezone", "reminder_minutes", "follow_up", "templates_dir", "retry_initial_seconds", "retry_max_hours",
  "keep_days", NULL,
};

/* ---- config ---- */

static char *
get_string (GKeyFile   *keyfile,
            const char *group,
            const char *key)
{
  g_autofree char *value = g_key_file_get_string (keyfile, group, key, NULL);

  if (value == NULL)
    return NULL;
  g_strstrip (value);
  if (value[0] == '\0')
    return NULL;
  return g_steal_pointer (&value);
}

static gboolean
get_int (GKeyFile    *keyfile,
         const char  *group,
         const char  *key,
         gint64       min,
         gint64       max,
         gint64       fallback,
         gint64      *out_value,
         GError     **error)
{
  g_autofree char *text = get_string (keyfile, group, key);

  *out_value = fallback;
  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_signed (text, 10, min, max, out_value, NULL))
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, key, "[%s] %s must be a whole number from %"
                            G_GINT64_FORMAT " to %" G_GINT64_FORMAT, group, key, min, max);
      return FALSE;
    }
  return TRUE;
}

/* "Name <address>" or a bare address. */
static gboolean
parse_from (const char   *text,
            char        **out_name,
            char        **out_address,
            GError      **error)
{
  const char *open = strrchr (text, '<');
  g_autofree char *address = NULL;
  g_autofree char *name = NULL;

  if (open != NULL && g_str_has_suffix (text, ">"))
    {
      address = g_strndup (open + 1, strlen (open + 1) - 1);
      name = g_strstrip (g_strndup (text, (gsize) (open - text)));
      if (name[0] == '"' && strlen (name) >= 2 && g_str_has_suffix (name, "\""))
        {
          char *unquoted = g_strndup (name + 1, strlen (name) - 2);
          g_free (name);
          name = unquoted;
        }
    }
  else
    address = g_strdup (text);
  g_strstrip (address);

  if (!omni_email_is_valid (address))
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, "from",
                            "[smtp] from '%s' is not an e-mail address (or \"Name <address>\")", text);
      return FALSE;
    }
  *out_name = (name != NULL && name[0] != '\0') ? g_steal_pointer (&name) : g_strdup ("OmniLive");
  *out_address = g_steal_pointer (&address);
  return TRUE;
}

static gboolean
load_smtp_config (RelayMailSmtpConfig  *smtp,
                  GKeyFile             *keyfile,
                  GError              **error)
{
  g_autofree char *from = get_string (keyfile, "smtp", "from");
  g_autofree char *starttls = get_string (keyfile, "smtp", "starttls");
  g_autofree char *password_file = get_string (keyfile, "smtp", "password_file");
  gint64 connections;

  smtp->url = get_string (keyfile, "smtp", "url");
  if (smtp->url != NULL && !g_str_has_prefix (smtp->url, "smtp://") && !g_str_has_prefix (smtp->url, "smtps://"))
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, "url",
                            "[smtp] url must be smtp://host:port (STARTTLS) or smtps://host:port");
      return FALSE;
    }
  if (smtp->url != NULL && from == NULL)
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, "from", "[smtp] from is needed with [smtp] url");
      return FALSE;
    }
  if (!parse_from (from != NULL ? from : "OmniLive <omnilive@localhost.localdomain>",
                   &smtp->from_name, &smtp->from_address, error))
    return FALSE;

  if (starttls != NULL && g_strcmp0 (starttls, "required") != 0 && g_strcmp0 (starttls, "optional") != 0)
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, "starttls", "[smtp] starttls must be required or optional");
      return FALSE;
    }
  smtp->starttls_optional = g_strcmp0 (starttls, "optional") == 0;
  if (!get_int (keyfile, "smtp", "connections", 1, 16, DEFAULT_CONNECTIONS, &connections, error))
    return FALSE;
  smtp->connections = (guint) connections;
  smtp->username = get_string (keyfile, "smtp", "username");
  smtp->ca_file = get_string (keyfile, "smtp", "ca_file");
  if (smtp->ca_file != NULL && !g_file_test (smtp->ca_file, G_FILE_TEST_IS_REGULAR))
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, "ca_file", "[smtp] ca_file %s does not exist", smtp->ca_file);
      return FALSE;
    }
  if (password_file != NULL)
    {
      g_autoptr(GError) local_error = NULL;
      /* A file, not the config, holds the secret: configs get shared. */
      if (!g_file_get_contents (password_file, &smtp->password, NULL, &local_error))
        {
          omni_error_set_field (error, OMNI_ERROR_CONFIG, "password_file",
                                "[smtp] password_file: %s", local_error->message);
          return FALSE;
        }
      g_strchomp (smtp->password);
    }
  return TRUE;
}

static gboolean
load_mail_config (RelayMail            *mail,
                  const RelayMailSetup *setup,
                  GError              **error)
{
  GKeyFile *keyfile = setup->keyfile;
  g_autofree char *zone = get_string (keyfile, "mail", "timezone");
  g_autofree char *templates_dir = get_string (keyfile, "mail", "templates_dir");
  g_autoptr(GError) local_error = NULL;
  gint64 minutes, seconds, hours, days;

  mail->timezone = zone != NULL ? g_time_zone_new_identifier (zone) : g_time_zone_new_utc ();
  if (mail->timezone == NULL)
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, "timezone",
                            "[mail] timezone '%s' is not a time zone such as Europe/Berlin", zone);
      return FALSE;
    }
  if (!get_int (keyfile, "mail", "reminder_minutes", 0, 7 * 24 * 60, DEFAULT_REMINDER_MIN, &minutes, error) ||
      !get_int (keyfile, "mail", "retry_initial_seconds", 1, 3600, DEFAULT_RETRY_INITIAL, &seconds, error) ||
      !get_int (keyfile, "mail", "retry_max_hours", 1, 24 * 30, DEFAULT_RETRY_HOURS, &hours, error) ||
      !get_int (keyfile, "mail", "keep_days", 0, 3650, DEFAULT_KEEP_DAYS, &days, error))
    return FALSE;
  mail->keep_ms = days * 24 * OMNI_MS_PER_HOUR;
  mail->reminder_ms = minutes * OMNI_MS_PER_MINUTE;
  mail->retry_initial_ms = seconds * OMNI_MS_PER_SECOND;
  mail->retry_max_age_ms = hours * OMNI_MS_PER_HOUR;

  mail->follow_up = g_key_file_get_boolean (keyfile, "mail", "follow_up", &local_error);
  if (local_error != NULL && !g_error_matches (local_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) &&
      !g_error_matches (local_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, "follow_up", "[mail] follow_up must be true or false");
      return FALSE;
    }

  return relay_mail_templates_load (mail, setup->config_dir, templates_dir, error);
}

/* ---- the worker ---- */

static gint64
retry_delay_ms (RelayMail *mail,
                int        attempts)
{
  gint64 delay = mail->retry_initial_ms;

  for (int i = 0; i < attempts && delay < RETRY_MAX_DELAY_MS; i++)
    delay *= 2;
  return MIN (delay, RETRY_MAX_DELAY_MS);
}

/* Records a failed attempt: retried with exponential backoff while the
 * message is younger than retry_max_hours, else failed for good. */
static void
record_failure (RelayMail          *mail,
                sqlite3            *db,
                const RelayMailRow *row,
                RelayMailSendResult result,
                const char         *message,
                gint64              now,
                gboolean            quiet)
{
  g_autoptr(GError) error = NULL;
  gint64 next = now + retry_delay_ms (mail, row->attempts);

  if (result == RELAY_MAIL_SEND_PERMANENT || next - row->created_at > mail->retry_max_age_ms)
    {
      g_warning ("Mail %s to %s failed for good: %s", row->kind, row->recipient_email, message);
      next = 0;
    }
  else if (!quiet)
    g_message ("Mail %s to %s will be retried in %" G_GINT64_FORMAT " s: %s", row->kind, row->recipient_email,
               (next - now) / 1000, message);
  if (!relay_mail_outbox_mark_failed (db, row->id, message, next, &error))
    g_warning ("%s", error->message);
}

typedef struct {
  RelayMail *mail;
  sqlite3   *db;
  gint64     now;
  gboolean   connection_logged;
  GArray    *saved;   /* gint64: rows saved as .eml, marked sent together */
} BatchContext;

static void
on_sent (const RelayMailRow  *row,
         RelayMailSendResult  result,
         gboolean             connection_failed,
         const char          *message,
         gpointer             user_data)
{
  BatchContext *context = user_data;
  g_autoptr(GError) error = NULL;

  /* A transfer cut short by shutdown was not refused: leave the row as is. */
  if (result != RELAY_MAIL_SEND_OK && g_atomic_int_get (&context->mail->stopping))
    return;
  if (result != RELAY_MAIL_SEND_OK)
    {
      /* One log line for a server that is down, not one per message. */
      record_failure (context->mail, context->db, row, result, message, omni_time_now_ms (),
                      connection_failed && context->connection_logged);
      context->connection_logged |= connection_failed;
      return;
    }

  /* An .eml file is already on disk (written and synced): saving it again
   * after a crash only rewrites the same file, so a batch's rows are marked
   * together, in one commit. */
  if (context->mail->smtp.url == NULL)
    {
      g_array_append_val (context->saved, row->id);
      return;
    }

  /* Marked as soon as the server's 250 is read: a crash can only fall in
   * the moment between the two (SMTP has no way to ask afterwards), never
   * across a whole transfer. A row still queued is sent again. */
  if (!relay_mail_outbox_mark_sent (context->db, row->id, omni_time_now_ms (), &error))
    g_warning ("Mail %s to %s was sent but cannot be marked: %s", row->kind, row->recipient_email,
               error->message);
  else
    g_debug ("Mail %s to %s sent", row->kind, row->recipient_email);
}

/* Sends up to a batch of due rows. Returns TRUE when more may be due now. */
static gboolean
send_due (RelayMail          *mail,
          sqlite3            *db,
          RelayMailTransport *transport)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = relay_mail_outbox_due (db, omni_time_now_ms (), BATCH_SIZE, &error);
  g_autoptr(GPtrArray) ready = g_ptr_array_new ();
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GArray) saved = g_array_new (FALSE, FALSE, sizeof (gint64));
  BatchContext context = { mail, db, omni_time_now_ms (), FALSE, saved };

  if (rows == NULL)
    {
      g_warning ("%s", error->message);
      return FALSE;
    }

  for (guint i = 0; i < rows->len; i++)
    {
      RelayMailRow *row = g_ptr_array_index (rows, i);
      gsize len = 0;
      char *data = relay_mail_render_row (mail, row, context.now, &len, &error);

      if (data == NULL)
        {
          record_failure (mail, db, row, RELAY_MAIL_SEND_PERMANENT, error->message, context.now, FALSE);
          g_clear_error (&error);
          continue;
        }
      g_ptr_array_add (ready, row);
      g_ptr_array_add (messages, g_bytes_new_take (data, len));
    }

  relay_mail_transport_send_batch (transport, ready, messages, on_sent, &context);
  /* Left queued on failure: saved again on the next pass. */
  if (!relay_mail_outbox_mark_all_sent (db, saved, omni_time_now_ms (), &error))
    g_warning ("%u saved message(s) cannot be marked sent: %s", saved->len, error->message);
  return !context.connection_logged && rows->len == BATCH_SIZE;
}

/* Under load the API answers first: rendering and saving or sending a
 * message that is already safe in the outbox can wait for a spare CPU.
 * On Linux the nice value of a thread id is that thread's alone. */
static void
lower_priority (void)
{
  id_t tid = (id_t) syscall (SYS_gettid);
  int level;

  errno = 0;
  level = getpriority (PRIO_PROCESS, tid);
  if (errno != 0 || setpriority (PRIO_PROCESS, tid, MIN (level + WORKER_NICE, 19)) != 0)
    g_debug ("Cannot lower the mail worker's priority: %s", g_strerror (errno));
}

static gpointer
worker_main (gpointer user_data)
{
  RelayMail *mail = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayMailTransport) transport = relay_mail_transport_new (mail);
  sqlite3 *db = relay_mail_db_open (mail->db_path, &error);

  lower_priority ();
  if (db == NULL)
    {
      g_critical ("Mail worker cannot start: %s", error->message);
      return NULL;
    }

  gint64 next_prune = 0;

  for (;;)
    {
      gint64 now, next_reminder = 0, next_row, deadline;
      gboolean more;

      g_mutex_lock (&mail->lock);
      mail->woken = FALSE;
      g_mutex_unlock (&mail->lock);
      if (g_atomic_int_get (&mail->stopping))
        break;

      if (!relay_mail_outbox_queue_reminders (mail, db, omni_time_now_ms (), &next_reminder, &error))
        {
          g_warning ("%s", error->message);
          g_clear_error (&error);
        }
      if (mail->keep_ms > 0 && omni_time_now_ms () >= next_prune)
        {
          if (!relay_mail_outbox_prune (db, omni_time_now_ms () - mail->keep_ms, &error))
            {
              g_warning ("%s", error->message);
              g_clear_error (&error);
            }
          next_prune = omni_time_now_ms () + PRUNE_INTERVAL_MS;
        }
      more = send_due (mail, db, transport);
      if (more)
        continue;

      /* Sleep until the next row or reminder is due, or the API wakes us. */
      now = omni_time_now_ms ();
      next_row = relay_mail_outbox_next_due (db);
      deadline = now + IDLE_WAKE_MS;
      if (next_row > 0)
        deadline = MIN (deadline, next_row);
      if (next_reminder > 0)
        deadline = MIN (deadline, next_reminder);
      /* Something due but not sendable (a database error) must not spin;
       * new work wakes us through mail->woken anyway. */
      deadline = MAX (deadline, now + 50);

      g_mutex_lock (&mail->lock);
      while (!mail->woken && !g_atomic_int_get (&mail->stopping))
        if (!g_cond_wait_until (&mail->cond, &mail->lock,
                                g_get_monotonic_time () + (deadline - now) * 1000))
          break;
      g_mutex_unlock (&mail->lock);
    }

  sqlite3_close (db);
  return NULL;
}

/* ---- public API ---- */

RelayMail *
relay_mail_new (const RelayMailSetup  *setup,
                GError               **error)
{
  g_autoptr(RelayMail) mail = g_new0 (RelayMail, 1);

  g_return_val_if_fail (setup != NULL && setup->keyfile != NULL, NULL);
  g_return_val_if_fail (setup->db_path != NULL && setup->data_dir != NULL && setup->public_url != NULL, NULL);

  g_mutex_init (&mail->lock);
  g_cond_init (&mail->cond);
  mail->templates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  mail->db_path = g_strdup (setup->db_path);
  mail->public_url = g_strdup (setup->public_url);
  mail->eml_dir = g_build_filename (setup->data_dir, "mail", NULL);

  if (!load_smtp_config (&mail->smtp, setup->keyfile, error) || !load_mail_config (mail, setup, error))
    return NULL;
  mail->domain = g_strdup (strrchr (mail->smtp.from_address, '@') + 1);

  if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
    {
      omni_error_set_field (error, OMNI_ERROR_INTERNAL, NULL, "Cannot initialize libcurl");
      return NULL;
    }
  mail->curl_ready = TRUE;

  if (mail->smtp.url == NULL)
    g_message ("No [smtp] url: mail is saved locally, not sent (.eml files in %s)", mail->eml_dir);
  else
    g_message ("Mail goes through %s as %s", mail->smtp.url, mail->smtp.from_address);
  return g_steal_pointer (&mail);
}

gboolean
relay_mail_start (RelayMail  *mail,
                  GError    **error)
{
  g_return_val_if_fail (mail != NULL && mail->thread == NULL, FALSE);

  mail->thread = g_thread_try_new ("relay-mail", worker_main, mail, error);
  return mail->thread != NULL;
}

void
relay_mail_wake (RelayMail *mail)
{
  if (mail == NULL)
    return;
  g_mutex_lock (&mail->lock);
  mail->woken = TRUE;
  g_cond_signal (&mail->cond);
  g_mutex_unlock (&mail->lock);
}

void
relay_mail_free (RelayMail *mail)
{
  if (mail == NULL)
    return;
  if (mail->thread != NULL)
    {
      g_mutex_lock (&mail->lock);
      g_atomic_int_set (&mail->stopping, TRUE);
      g_cond_signal (&mail->cond);
      g_mutex_unlock (&mail->lock);
      g_thread_join (mail->thread);
    }
  if (mail->curl_ready)
    curl_global_cleanup ();
  g_clear_pointer (&mail->templates, g_hash_table_unref);
  g_clear_pointer (&mail->timezone, g_time_zone_unref);
  g_free (mail->smtp.url);
  g_free (mail->smtp.from_name);
  g_free (mail->smtp.from_address);
  g_free (mail->smtp.username);
  if (mail->smtp.password != NULL)
    memset (mail->smtp.password, 0, strlen (mail->smtp.password));
  g_free (mail->smtp.password);
  g_free (mail->smtp.ca_file);
  g_free (mail->public_url);
  g_free (mail->db_path);
  g_free (mail->eml_dir);
  g_free (mail->domain);
  g_mutex_clear (&mail->lock);
  g_cond_clear (&mail->cond);
  g_free (mail);
}
