/* relay-mail-message.h: RFC 5322 / MIME message assembly (headers with RFC 2047
 * encoded words and folding, quoted-printable and base64 bodies) and the
 * RFC 5545 calendar part. Pure functions: no I/O, easy to test. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *from_name;
  const char *from_address;
  const char *reply_to_name;      /* NULL: no Reply-To */
  const char *reply_to_address;
  const char *to_name;
  const char *to_address;
  const char *subject;            /* UTF-8, encoded as needed */
  const char *message_id;         /* without angle brackets */
  gint64      date_ms;
  const char *text;               /* text/plain body */
  const char *html;               /* text/html body */
  const char *calendar;           /* text/calendar (CRLF lines) or NULL */
  const char *calendar_method;    /* REQUEST or CANCEL */
} RelayMailMessage;

/* The whole message with CRLF line ends, ready for SMTP DATA. */
char  *relay_mail_message_build        (const RelayMailMessage *message,
                                        gsize                  *out_len);

/* "Name: value" with non-ASCII words as RFC 2047 encoded words and lines
 * folded before 78 characters; CR and LF in value become spaces. */
void   relay_mail_append_header        (GString    *out,
                                        const char *name,
                                        const char *value);
/* "Name: display name <address>" with the name quoted or encoded. */
void   relay_mail_append_address_header (GString    *out,
                                         const char *name,
                                         const char *display_name,
                                         const char *address);
/* RFC 5322 date, e.g. "Wed, 25 Nov 2026 21:52:27 +0000". */
char  *relay_mail_format_date          (gint64      ms);
void   relay_mail_append_quoted_printable (GString    *out,
                                           const char *text);

/* ---- calendar (relay-mail-ics.c) ---- */

/* A VCALENDAR for the payload of an outbox row (see relay-mail-outbox.c for
 * its members); method is "REQUEST" or "CANCEL". */
char  *relay_mail_ics_build            (JsonObject *payload,
                                        const char *method,
                                        gint64      now_ms);
/* "20250125T140000Z" */
char  *relay_mail_ics_format_utc       (gint64      ms);

G_END_DECLS
