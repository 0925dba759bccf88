/* relay-mail.h: the relay's mail: a durable outbox in the relay's SQLite
 * (rows written in the caller's transaction) and one worker thread that
 * renders and sends them over SMTP (libcurl), or saves them as .eml files
 * when no SMTP server is configured. */
#pragma once

#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "omni-session.h"

G_BEGIN_DECLS

typedef struct _RelayMail RelayMail;

typedef enum {
  RELAY_MAIL_INVITATION,
  RELAY_MAIL_STARTED,
  RELAY_MAIL_REMINDER,
  RELAY_MAIL_UPDATED,
  RELAY_MAIL_CANCELLED,
  RELAY_MAIL_FOLLOW_UP,
  RELAY_MAIL_N_KINDS,
} RelayMailKind;

typedef struct {
  GKeyFile   *keyfile;      /* [smtp] and [mail] are read from it */
  const char *config_dir;   /* templates here override the installed ones; may be NULL */
  const char *data_dir;     /* .eml files go to <data_dir>/mail without SMTP */
  const char *db_path;      /* the relay's database, already migrated */
  const char *public_url;   /* base of join links */
} RelayMailSetup;

/* The keys of [smtp] and [mail], for the unknown-key report. */
extern const char * const relay_mail_smtp_keys[];
extern const char * const relay_mail_mail_keys[];

const char *relay_mail_kind_to_string (RelayMailKind kind);

/* Reads and checks the config and templates; no thread runs yet. */
RelayMail  *relay_mail_new     (const RelayMailSetup *setup,
                                GError              **error);
/* Starts the worker thread. */
gboolean    relay_mail_start   (RelayMail            *mail,
                                GError              **error);
/* Stops the worker (a message being sent finishes first) and frees. */
void        relay_mail_free    (RelayMail            *mail);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayMail, relay_mail_free)

/* Tells the worker that rows were committed; call after COMMIT. */
void        relay_mail_wake    (RelayMail            *mail);

/* Queues one message of kind per recipient, on db inside the caller's open
 * transaction, so the mail exists if and only if the change does.
 * invitees (OmniInvitee) NULL: the kind's usual recipients from the session's
 * participants. password: the plain password to print, only when the host
 * asked for it. mail NULL: nothing is queued. Queuing the same message twice
 * (same kind, session, person and, for updates, calendar sequence) is a no-op. */
gboolean    relay_mail_enqueue (RelayMail            *mail,
                                sqlite3              *db,
                                RelayMailKind         kind,
                                const OmniSession    *session,
                                GPtrArray            *invitees,
                                const char           *password,
                                GError              **error);

/* Queues again the newest message of each of the session's invitees (or of
 * the one with that e-mail). Returns how many, or -1 on error. */
int         relay_mail_resend  (RelayMail            *mail,
                                sqlite3              *db,
                                const char           *session_id,
                                const char           *email,
                                GError              **error);

/* Outbox rows as a JSON array, newest first. state, session_id may be NULL. */
JsonNode   *relay_mail_outbox_list (sqlite3          *db,
                                    const char       *state,
                                    const char       *session_id,
                                    int               limit,
                                    int               offset,
                                    GError          **error);

G_END_DECLS
