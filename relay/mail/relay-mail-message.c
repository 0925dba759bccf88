/* relay-mail-message.c: builds the MIME message of one mail: RFC 5322 headers
 * (RFC 2047 for non-ASCII, folded), multipart/alternative text + HTML and,
 * for calendar mails, the text/calendar part and an .ics attachment, laid out
 * the way Google Calendar and Outlook send invitations. */
#define G_LOG_DOMAIN "relay-mail"

#include "relay-mail-message.h"

#include <string.h>

#define FOLD_AT            78
#define QP_LINE_MAX        76
#define BASE64_LINE        76
/* 45 bytes of UTF-8 become 60 base64 characters: with "=?UTF-8?B?" and "?="
 * an encoded word stays within RFC 2047's 75 characters. */
#define ENCODED_WORD_BYTES 45

static const char * const day_names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char * const month_names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

char *
relay_mail_format_date (gint64 ms)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (ms / 1000);

  /* English names by RFC 5322, whatever the process locale says. */
  return g_strdup_printf ("%s, %02d %s %04d %02d:%02d:%02d +0000",
                          day_names[g_date_time_get_day_of_week (dt) - 1],
                          g_date_time_get_day_of_month (dt),
                          month_names[g_date_time_get_month (dt) - 1],
                          g_date_time_get_year (dt), g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt), g_date_time_get_second (dt));
}

/* Header values never carry line breaks from user input: that would let a
 * title inject headers. */
static char *
sanitize_header_value (const char *value)
{
  char *clean = g_strdup (value != NULL ? value : "");

  for (char *p = clean; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return clean;
}

static gboolean
needs_encoding (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p > 0x7e)
      return TRUE;
  return strstr (text, "=?") != NULL;
}

/* The number of UTF-8 bytes whose encoded word fits on a line of at most
 * 76 characters (RFC 2047 §2) that already has column characters. */
static gsize
encoded_word_budget (gsize column)
{
  gsize room = column + 12 + 8 < 76 ? 76 - column - 12 : 8;   /* "=?UTF-8?B?" "?=" */
  return MIN ((room / 4) * 3, (gsize) ENCODED_WORD_BYTES);
}

/* Appends text as RFC 2047 "B" encoded words, split on UTF-8 character
 * boundaries, each but the first on a continuation line. */
static void
append_encoded_words (GString    *out,
                      gsize       column,
                      const char *text)
{
  const char *p = text;
  gboolean first = TRUE;

  while (*p != '\0')
    {
      const char *chunk_end = p;
      gsize budget = encoded_word_budget (first ? column : 1);
      g_autofree char *encoded = NULL;

      while (*chunk_end != '\0')
        {
          const char *next = g_utf8_next_char (chunk_end);
          if ((gsize) (next - p) > budget)
            break;
          chunk_end = next;
        }
      if (chunk_end == p)   /* a budget of at least 6 bytes always fits one character */
        chunk_end = g_utf8_next_char (p);
      encoded = g_base64_encode ((const guchar *) p, (gsize) (chunk_end - p));
      if (!first)
        g_string_append (out, "\r\n ");
      g_string_append_printf (out, "=?UTF-8?B?%s?=", encoded);
      first = FALSE;
      p = chunk_end;
    }
}

/* Appends ASCII words separated by single spaces, folding before FOLD_AT. */
static void
append_folded (GString    *out,
               gsize       line_start,
               const char *text)
{
  g_auto(GStrv) words = g_strsplit (text, " ", -1);
  gboolean first = TRUE;

  for (guint i = 0; words[i] != NULL; i++)
    {
      gsize line_len = out->len - line_start;

      if (words[i][0] == '\0')
        continue;
      if (!first && line_len + 1 + strlen (words[i]) > FOLD_AT)
        {
          g_string_append (out, "\r\n");
          line_start = out->len;
        }
      if (!first || out->len > line_start)
        g_string_append_c (out, ' ');
      g_string_append (out, words[i]);
      first = FALSE;
    }
}

void
relay_mail_append_header (GString    *out,
                          const char *name,
                          const char *value)
{
  g_autofree char *clean = sanitize_header_value (value);
  gsize line_start = out->len;

  g_string_append_printf (out, "%s:", name);
  if (needs_encoding (clean))
    {
      g_string_append_c (out, ' ');
      append_encoded_words (out, out->len - line_start, clean);
    }
  else
    append_folded (out, line_start, clean);
  g_string_append (out, "\r\n");
}

void
relay_mail_append_address_header (GString    *out,
                                  const char *name,
                                  const char *display_name,
                                  const char *address)
{
  g_autofree char *clean = sanitize_header_value (display_name);
  gsize line_start = out->len;

  g_strstrip (clean);
  g_string_append_printf (out, "%s: ", name);
  if (clean[0] != '\0')
    {
      if (needs_encoding (clean))
        append_encoded_words (out, out->len - line_start, clean);
      else
        {
          /* A quoted-string keeps commas, dots and '@' in names harmless. */
          g_string_append_c (out, '"');
          for (const char *p = clean; *p != '\0'; p++)
            {
              if (*p == '"' || *p == '\\')
                g_string_append_c (out, '\\');
              g_string_append_c (out, *p);
            }
          g_string_append_c (out, '"');
        }
      /* Encoded names may have folded already: measure the last line only. */
      for (gsize i = out->len; i > line_start; i--)
        if (out->str[i - 1] == '\n')
          {
            line_start = i;
            break;
          }
      g_string_append (out, out->len - line_start + strlen (address) + 3 > FOLD_AT ? "\r\n " : " ");
    }
  g_string_append_printf (out, "<%s>\r\n", address);
}

void
relay_mail_append_quoted_printable (GString    *out,
                                    const char *text)
{
  gsize line_len = 0;

  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      gboolean at_line_end = p[1] == '\0' || p[1] == '\n' || (p[1] == '\r' && p[2] == '\n');
      char encoded[4];
      gsize len;

      if (*p == '\r' && p[1] == '\n')
        continue;
      if (*p == '\n')
        {
          g_string_append (out, "\r\n");
          line_len = 0;
          continue;
        }

      if ((*p >= 33 && *p <= 126 && *p != '=') || ((*p == ' ' || *p == '\t') && !at_line_end))
        {
          encoded[0] = (char) *p;
          len = 1;
        }
      else
        {
          g_snprintf (encoded, sizeof encoded, "=%02X", *p);
          len = 3;
        }

      /* A soft break keeps every line within 76 characters, '=' included. */
      if (line_len + len > QP_LINE_MAX - 1)
        {
          g_string_append (out, "=\r\n");
          line_len = 0;
        }
      g_string_append_len (out, encoded, (gssize) len);
      line_len += len;
    }
  g_string_append (out, "\r\n");
}

static void
append_base64 (GString    *out,
               const char *data)
{
  g_autofree char *encoded = g_base64_encode ((const guchar *) data, strlen (data));
  gsize len = strlen (encoded);

  for (gsize i = 0; i < len; i += BASE64_LINE)
    {
      g_string_append_len (out, encoded + i, (gssize) MIN ((gsize) BASE64_LINE, len - i));
      g_string_append (out, "\r\n");
    }
}

static void
append_text_part (GString    *out,
                  const char *boundary,
                  const char *subtype,
                  const char *body)
{
  g_string_append_printf (out, "--%s\r\n"
                               "Content-Type: text/%s; charset=utf-8\r\n"
                               "Content-Transfer-Encoding: quoted-printable\r\n\r\n", boundary, subtype);
  relay_mail_append_quoted_printable (out, body);
}

char *
relay_mail_message_build (const RelayMailMessage *m,
                          gsize                  *out_len)
{
  g_autoptr(GString) out = g_string_sized_new (8192);
  g_autofree char *date = relay_mail_format_date (m->date_ms);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, m->message_id, -1);
  g_autofree char *alternative = NULL;
  g_autofree char *mixed = NULL;

  g_return_val_if_fail (m->from_address != NULL && m->to_address != NULL, NULL);

  /* Boundaries follow from the Message-ID so a retry sends the same bytes;
   * "=_" can never occur in quoted-printable or base64 text. */
  hash[24] = '\0';
  alternative = g_strdup_printf ("=_omni_alt_%s", hash);
  mixed = g_strdup_printf ("=_omni_mix_%s", hash);

  g_string_append_printf (out, "Date: %s\r\n", date);
  relay_mail_append_address_header (out, "From", m->from_name, m->from_address);
  if (m->reply_to_address != NULL)
    relay_mail_append_address_header (out, "Reply-To", m->reply_to_name, m->reply_to_address);
  relay_mail_append_address_header (out, "To", m->to_name, m->to_address);
  relay_mail_append_header (out, "Subject", m->subject);
  g_string_append_printf (out, "Message-ID: <%s>\r\n", m->message_id);
  g_string_append (out, "MIME-Version: 1.0\r\n"
                        "Auto-Submitted: auto-generated\r\n");

  if (m->calendar != NULL)
    g_string_append_printf (out, "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n"
                                 "--%s\r\n", mixed, mixed);
  g_string_append_printf (out, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n", alternative);

  append_text_part (out, alternative, "plain", m->text);
  append_text_part (out, alternative, "html", m->html);
  if (m->calendar != NULL)
    {
      g_string_append_printf (out, "--%s\r\n"
                                   "Content-Type: text/calendar; charset=utf-8; method=%s\r\n"
                                   "Content-Transfer-Encoding: base64\r\n\r\n", alternative, m->calendar_method);
      append_base64 (out, m->calendar);
    }
  g_string_append_printf (out, "--%s--\r\n", alternative);

  if (m->calendar != NULL)
    {
      const char *file = g_strcmp0 (m->calendar_method, "CANCEL") == 0 ? "cancel.ics" : "invite.ics";

      g_string_append_printf (out, "\r\n--%s\r\n"
                                   "Content-Type: application/ics; name=\"%s\"\r\n"
                                   "Content-Disposition: attachment; filename=\"%s\"\r\n"
                                   "Content-Transfer-Encoding: base64\r\n\r\n", mixed, file, file);
      append_base64 (out, m->calendar);
      g_string_append_printf (out, "--%s--\r\n", mixed);
    }

  if (out_len != NULL)
    *out_len = out->len;
  return g_string_free (g_steal_pointer (&out), FALSE);
}
