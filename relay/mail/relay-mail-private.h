/* relay-mail-private.h: what the relay-mail-*.c files share: the RelayMail
 * struct, outbox rows, rendering and the SMTP transport. */
#pragma once

#include "relay-mail.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

typedef struct {
  char     *url;             /* smtp://host:port or smtps://…; NULL: save .eml files */
  gboolean  starttls_optional;
  guint     connections;     /* SMTP connections used side by side */
  char     *from_name;
  char     *from_address;
  char     *username;
  char     *password;
  char     *ca_file;
} RelayMailSmtpConfig;

struct _RelayMail {
  RelayMailSmtpConfig  smtp;
  GTimeZone           *timezone;
  gint64               reminder_ms;      /* 0: no reminders */
  gboolean             follow_up;
  gint64               retry_initial_ms;
  gint64               retry_max_age_ms;
  gint64               keep_ms;          /* 0: the outbox is never pruned */
  GHashTable          *templates;        /* file name → contents (char *) */

  char                *public_url;
  char                *db_path;
  char                *eml_dir;
  char                *domain;           /* of calendar UIDs and Message-IDs */

  gboolean             curl_ready;
  GThread             *thread;
  GMutex               lock;
  GCond                cond;
  gboolean             woken;
  gint                 stopping;         /* atomic: read by the transfer's progress callback */
};

/* One outbox row due for sending. */
typedef struct {
  gint64  id;
  char   *kind;
  char   *recipient_email;
  char   *recipient_name;
  char   *payload;
  char   *message_id;
  int     attempts;
  gint64  created_at;
} RelayMailRow;

void        relay_mail_row_free (RelayMailRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayMailRow, relay_mail_row_free)

gboolean    relay_mail_kind_from_string (const char     *text,
                                         RelayMailKind  *out_kind);

/* ---- relay-mail-outbox.c: SQL on the worker's own connection ---- */

sqlite3    *relay_mail_db_open          (const char     *path,
                                         GError        **error);
/* Rows due at now_ms, oldest first (RelayMailRow). */
GPtrArray  *relay_mail_outbox_due       (sqlite3        *db,
                                         gint64          now_ms,
                                         int             limit,
                                         GError        **error);
/* The earliest next_attempt_at of a queued row, or 0 when none. */
gint64      relay_mail_outbox_next_due  (sqlite3        *db);
/* Deletes sent and failed messages of sessions that ended before cutoff_ms
 * (their invitees' mail state stays on the participant rows). */
gboolean    relay_mail_outbox_prune     (sqlite3        *db,
                                         gint64          cutoff_ms,
                                         GError        **error);
gboolean    relay_mail_outbox_mark_sent (sqlite3        *db,
                                         gint64          id,
                                         gint64          now_ms,
                                         GError        **error);
/* Marks every row of ids (gint64) sent in one transaction: one WAL commit
 * for a batch, not one per message. */
gboolean    relay_mail_outbox_mark_all_sent (sqlite3    *db,
                                             GArray     *ids,
                                             gint64      now_ms,
                                             GError    **error);
/* next_attempt_ms 0: the row failed for good. */
gboolean    relay_mail_outbox_mark_failed (sqlite3      *db,
                                           gint64        id,
                                           const char   *message,
                                           gint64        next_attempt_ms,
                                           GError      **error);
/* Queues reminders that are due; *out_next_ms: when the next one will be
 * (0: none known). */
gboolean    relay_mail_outbox_queue_reminders (RelayMail *mail,
                                               sqlite3   *db,
                                               gint64     now_ms,
                                               gint64    *out_next_ms,
                                               GError   **error);

/* ---- relay-mail-render.c ---- */

/* Loads every template (config overrides first) and renders each with a
 * sample so a broken override stops the relay at start-up, not at 3 am. */
gboolean    relay_mail_templates_load   (RelayMail      *mail,
                                         const char     *config_dir,
                                         const char     *templates_dir,
                                         GError        **error);
/* The complete RFC 5322 message of a row. */
char       *relay_mail_render_row       (RelayMail          *mail,
                                         const RelayMailRow *row,
                                         gint64              now_ms,
                                         gsize              *out_len,
                                         GError            **error);

/* ---- relay-mail-smtp.c ---- */

typedef struct _RelayMailTransport RelayMailTransport;

typedef enum {
  RELAY_MAIL_SEND_OK,
  RELAY_MAIL_SEND_TEMPORARY,    /* retry later: connection problems, 4xx */
  RELAY_MAIL_SEND_PERMANENT,    /* 5xx: do not retry */
} RelayMailSendResult;

/* connection_failed: no server could be reached (or TLS/login failed), so
 * the rest of the batch was not tried. */
typedef void (*RelayMailSentFunc) (const RelayMailRow  *row,
                                   RelayMailSendResult  result,
                                   gboolean             connection_failed,
                                   const char          *error,
                                   gpointer             user_data);

RelayMailTransport *relay_mail_transport_new  (RelayMail           *mail);
void                relay_mail_transport_free (RelayMailTransport  *transport);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayMailTransport, relay_mail_transport_free)
/* Sends messages[i] (GBytes) to rows[i]'s recipient, over up to
 * [smtp] connections connections at once; done runs once per row as soon as
 * the server has answered for it. Returns when all are answered, or early
 * when the worker stops (those not answered stay as they are). */
void                relay_mail_transport_send_batch (RelayMailTransport *transport,
                                                     GPtrArray          *rows,
                                                     GPtrArray          *messages,
                                                     RelayMailSentFunc   done,
                                                     gpointer            user_data);

G_END_DECLS
