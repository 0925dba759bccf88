/* relay-mail-smtp.c: delivery of rendered messages. libcurl SMTP through one
 * multi handle kept for the worker's lifetime: a few connections carry a
 * batch side by side (one message each at a time) and are reused for the next
 * batch, so a server's per-message latency is overlapped, not summed. Without
 * an SMTP URL, messages become .eml files. */
#define G_LOG_DOMAIN "relay-mail"

#include "relay-mail-private.h"

#include <curl/curl.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define POLL_TIMEOUT_MS 1000

typedef struct {
  CURL               *curl;
  const RelayMailRow *row;       /* NULL: idle */
  GBytes             *data;
  gsize               offset;
  struct curl_slist  *recipients;
  char                error[CURL_ERROR_SIZE];
} Slot;

struct _RelayMailTransport {
  RelayMail *mail;
  CURLM     *multi;
  Slot      *slots;
  guint      n_slots;
  char      *from;
};

/* Lets a shutdown interrupt a transfer stuck on a slow server. */
static int
on_progress (void       *user_data,
             curl_off_t  dltotal,
             curl_off_t  dlnow,
             curl_off_t  ultotal,
             curl_off_t  ulnow)
{
  RelayMail *mail = user_data;
  return g_atomic_int_get (&mail->stopping) ? 1 : 0;
}

static size_t
on_read (char   *buffer,
         size_t  size,
         size_t  count,
         void   *user_data)
{
  Slot *slot = user_data;
  gsize len;
  const char *data = g_bytes_get_data (slot->data, &len);
  gsize n = MIN (size * count, len - slot->offset);

  memcpy (buffer, data + slot->offset, n);
  slot->offset += n;
  return n;
}

static CURL *
new_easy (RelayMailTransport *transport,
          Slot               *slot)
{
  RelayMailSmtpConfig *smtp = &transport->mail->smtp;
  CURL *curl = curl_easy_init ();

  g_assert (curl != NULL);
  curl_easy_setopt (curl, CURLOPT_URL, smtp->url);
  curl_easy_setopt (curl, CURLOPT_PRIVATE, slot);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, slot->error);
  curl_easy_setopt (curl, CURLOPT_MAIL_FROM, transport->from);
  curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt (curl, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt (curl, CURLOPT_READDATA, slot);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt (curl, CURLOPT_XFERINFODATA, transport->mail);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, 120L);
  /* smtp:// upgrades with STARTTLS, and refuses to send in clear unless the
   * admin said the server may lack it. smtps:// is TLS from the start. */
  curl_easy_setopt (curl, CURLOPT_USE_SSL, (long) (smtp->starttls_optional ? CURLUSESSL_TRY : CURLUSESSL_ALL));
  if (smtp->ca_file != NULL)
    curl_easy_setopt (curl, CURLOPT_CAINFO, smtp->ca_file);
  if (smtp->username != NULL)
    curl_easy_setopt (curl, CURLOPT_USERNAME, smtp->username);
  if (smtp->password != NULL)
    curl_easy_setopt (curl, CURLOPT_PASSWORD, smtp->password);
  return curl;
}

RelayMailTransport *
relay_mail_transport_new (RelayMail *mail)
{
  RelayMailTransport *transport = g_new0 (RelayMailTransport, 1);

  transport->mail = mail;
  if (mail->smtp.url == NULL)
    return transport;

  transport->from = g_strdup_printf ("<%s>", mail->smtp.from_address);
  transport->multi = curl_multi_init ();
  g_assert (transport->multi != NULL);
  /* The multi handle's connection cache lets any slot reuse any idle
   * connection; never more connections than slots. */
  curl_multi_setopt (transport->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long) mail->smtp.connections);
  curl_multi_setopt (transport->multi, CURLMOPT_MAXCONNECTS, (long) mail->smtp.connections);
  transport->n_slots = mail->smtp.connections;
  transport->slots = g_new0 (Slot, transport->n_slots);
  for (guint i = 0; i < transport->n_slots; i++)
    transport->slots[i].curl = new_easy (transport, &transport->slots[i]);
  return transport;
}

static void
slot_clear (RelayMailTransport *transport,
            Slot               *slot)
{
  if (slot->row != NULL)
    curl_multi_remove_handle (transport->multi, slot->curl);
  curl_easy_setopt (slot->curl, CURLOPT_MAIL_RCPT, NULL);
  g_clear_pointer (&slot->recipients, curl_slist_free_all);
  g_clear_pointer (&slot->data, g_bytes_unref);
  slot->row = NULL;
}

void
relay_mail_transport_free (RelayMailTransport *transport)
{
  if (transport == NULL)
    return;
  for (guint i = 0; i < transport->n_slots; i++)
    {
      slot_clear (transport, &transport->slots[i]);
      curl_easy_cleanup (transport->slots[i].curl);
    }
  g_clear_pointer (&transport->multi, curl_multi_cleanup);
  g_free (transport->slots);
  g_free (transport->from);
  g_free (transport);
}

static void
save_eml (RelayMailTransport *transport,
          const RelayMailRow *row,
          GBytes             *data,
          RelayMailSentFunc   done,
          gpointer            user_data)
{
  g_autofree char *name = g_strdup_printf ("%08" G_GINT64_FORMAT "-%s.eml", row->id, row->kind);
  g_autofree char *path = g_build_filename (transport->mail->eml_dir, name, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  gsize len;
  const char *bytes = g_bytes_get_data (data, &len);

  if (g_mkdir_with_parents (transport->mail->eml_dir, 0700) != 0)
    message = g_strdup_printf ("Cannot create %s: %s", transport->mail->eml_dir, g_strerror (errno));
  else if (!g_file_set_contents_full (path, bytes, (gssize) len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    message = g_strdup (error->message);
  done (row, message == NULL ? RELAY_MAIL_SEND_OK : RELAY_MAIL_SEND_TEMPORARY, FALSE, message, user_data);
}

static gboolean
is_connection_error (CURLcode code)
{
  switch (code)
    {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_USE_SSL_FAILED:
    case CURLE_LOGIN_DENIED:
    case CURLE_ABORTED_BY_CALLBACK:
      return TRUE;
    default:
      return FALSE;
    }
}

static void
start_transfer (RelayMailTransport *transport,
                Slot               *slot,
                const RelayMailRow *row,
                GBytes             *data)
{
  g_autofree char *to = g_strdup_printf ("<%s>", row->recipient_email);

  slot->row = row;
  slot->data = g_bytes_ref (data);
  slot->offset = 0;
  slot->error[0] = '\0';
  slot->recipients = curl_slist_append (NULL, to);
  curl_easy_setopt (slot->curl, CURLOPT_MAIL_RCPT, slot->recipients);
  curl_easy_setopt (slot->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) g_bytes_get_size (data));
  curl_multi_add_handle (transport->multi, slot->curl);
}

/* Turns a finished transfer into a result for the caller. */
static void
finish_transfer (Slot              *slot,
                 CURLcode           code,
                 RelayMailSentFunc  done,
                 gpointer           user_data,
                 char             **out_connection_error)
{
  g_autofree char *message = NULL;
  long response = 0;
  RelayMailSendResult result;
  gboolean connection_failed = FALSE;

  curl_easy_getinfo (slot->curl, CURLINFO_RESPONSE_CODE, &response);
  if (code == CURLE_OK)
    {
      done (slot->row, RELAY_MAIL_SEND_OK, FALSE, NULL, user_data);
      return;
    }

  message = g_strdup_printf ("%s%s%s (SMTP %ld)", curl_easy_strerror (code),
                             slot->error[0] != '\0' ? ": " : "", slot->error, response);
  /* Connection, TLS and login problems are the relay's side (or the
   * network's) and concern every message: retry. Otherwise the server's
   * verdict on this message decides: 5xx is final (unknown mailbox, policy),
   * 4xx or no answer may pass later. */
  if (response == 0 || is_connection_error (code))
    {
      connection_failed = TRUE;
      result = RELAY_MAIL_SEND_TEMPORARY;
      if (*out_connection_error == NULL)
        *out_connection_error = g_strdup (message);
    }
  else
    result = response >= 500 && response < 600 ? RELAY_MAIL_SEND_PERMANENT : RELAY_MAIL_SEND_TEMPORARY;
  done (slot->row, result, connection_failed, message, user_data);
}

void
relay_mail_transport_send_batch (RelayMailTransport *transport,
                                 GPtrArray          *rows,
                                 GPtrArray          *messages,
                                 RelayMailSentFunc   done,
                                 gpointer            user_data)
{
  g_autofree char *connection_error = NULL;
  guint next = 0;
  guint running = 0;

  g_return_if_fail (rows->len == messages->len);

  if (transport->multi == NULL)
    {
      for (guint i = 0; i < rows->len; i++)
        save_eml (transport, g_ptr_array_index (rows, i), g_ptr_array_index (messages, i), done, user_data);
      return;
    }

  for (;;)
    {
      CURLMsg *info;
      int still_running, left;

      /* Fill idle slots, unless the server is unreachable or we stop. */
      for (guint s = 0; s < transport->n_slots && next < rows->len; s++)
        {
          if (transport->slots[s].row != NULL)
            continue;
          if (connection_error != NULL || g_atomic_int_get (&transport->mail->stopping))
            break;
          start_transfer (transport, &transport->slots[s], g_ptr_array_index (rows, next),
                          g_ptr_array_index (messages, next));
          next++;
          running++;
        }
      if (running == 0)
        break;

      curl_multi_perform (transport->multi, &still_running);
      while ((info = curl_multi_info_read (transport->multi, &left)) != NULL)
        {
          Slot *slot = NULL;

          if (info->msg != CURLMSG_DONE)
            continue;
          curl_easy_getinfo (info->easy_handle, CURLINFO_PRIVATE, (char **) &slot);
          finish_transfer (slot, info->data.result, done, user_data, &connection_error);
          slot_clear (transport, slot);
          running--;
        }
      if (running > 0)
        curl_multi_poll (transport->multi, NULL, 0, POLL_TIMEOUT_MS, NULL);
    }

  /* Rows never tried share the failure that stopped the batch; a stop
   * leaves them queued as they are. */
  for (; next < rows->len && connection_error != NULL; next++)
    done (g_ptr_array_index (rows, next), RELAY_MAIL_SEND_TEMPORARY, TRUE, connection_error, user_data);
}
