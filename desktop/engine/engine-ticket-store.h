/* engine-ticket-store.h: the local ticket database (SQLite, WAL, versioned
 * schema, FTS5 search). Every call has a synchronous form for tests and
 * workers and an _async form that runs on the store's worker thread. */
#pragma once

#include <gio/gio.h>

#include "engine-message.h"
#include "engine-ticket.h"

G_BEGIN_DECLS

#define ENGINE_TICKET_STORE_SCHEMA_VERSION 3

typedef enum {
  ENGINE_TICKET_SORT_UPDATED,
  ENGINE_TICKET_SORT_PRIORITY,
} EngineTicketSort;

/* status/priority: -1 for any. search: words, matched as prefixes against
 * subjects and messages; NULL or "" for none. */
typedef struct {
  int               status;
  int               priority;
  const char       *search;
  EngineTicketSort  sort;
} EngineTicketQuery;

#define ENGINE_TICKET_QUERY_INIT { -1, -1, NULL, ENGINE_TICKET_SORT_UPDATED }

/* A write: which one is named by kind; fields not used by it stay NULL/0. */
typedef enum {
  ENGINE_TICKET_CHANGE_CREATE,        /* subject, customer_name, customer_email, priority, author, body */
  ENGINE_TICKET_CHANGE_ADD_MESSAGE,   /* ticket_id, message_kind, author, body */
  ENGINE_TICKET_CHANGE_SET_STATUS,    /* ticket_id, status, author */
  ENGINE_TICKET_CHANGE_SET_PRIORITY,  /* ticket_id, priority, author */
  ENGINE_TICKET_CHANGE_LINK_SESSION,  /* ticket_id, session_id, author */
} EngineTicketChangeKind;

typedef struct {
  EngineTicketChangeKind kind;
  gint64                 ticket_id;
  char                  *subject;
  char                  *customer_name;
  char                  *customer_email;
  EngineTicketStatus     status;
  EngineTicketPriority   priority;
  EngineMessageKind      message_kind;
  char                  *author;
  char                  *body;
  char                  *session_id;
} EngineTicketChange;

EngineTicketChange *engine_ticket_change_new  (EngineTicketChangeKind kind);
void                engine_ticket_change_free (EngineTicketChange    *change);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EngineTicketChange, engine_ticket_change_free)

/* Everything the ticket view shows, read in one transaction. */
typedef struct {
  EngineTicket *ticket;
  GPtrArray    *messages;     /* EngineMessage */
  GStrv         session_ids;  /* oldest first */
} EngineTicketDetails;

void engine_ticket_details_free (EngineTicketDetails *details);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EngineTicketDetails, engine_ticket_details_free)

#define ENGINE_TYPE_TICKET_STORE (engine_ticket_store_get_type ())
G_DECLARE_FINAL_TYPE (EngineTicketStore, engine_ticket_store, ENGINE, TICKET_STORE, GObject)

EngineTicketStore   *engine_ticket_store_new             (const char         *path);
const char          *engine_ticket_store_get_path        (EngineTicketStore  *self);
/* The copy made of an unreadable database, once open failed; else NULL. */
const char          *engine_ticket_store_get_backup_path (EngineTicketStore  *self);
gboolean             engine_ticket_store_is_open         (EngineTicketStore  *self);

/* Opens (creating or migrating) the database. An unreadable file is copied
 * to a backup next to it and reported, never replaced. */
gboolean             engine_ticket_store_open            (EngineTicketStore  *self,
                                                          GError            **error);
void                 engine_ticket_store_open_async      (EngineTicketStore  *self,
                                                          GCancellable       *cancellable,
                                                          GAsyncReadyCallback callback,
                                                          gpointer            user_data);
gboolean             engine_ticket_store_open_finish     (EngineTicketStore  *self,
                                                          GAsyncResult       *result,
                                                          GError            **error);

/* Moves an unreadable database aside (keeping the backup) and starts an
 * empty one: only ever on the user's explicit request. */
gboolean             engine_ticket_store_reset           (EngineTicketStore  *self,
                                                          GError            **error);

/* Returns the ticket id written (the new one for CREATE), or 0 on error. */
gint64               engine_ticket_store_apply           (EngineTicketStore  *self,
                                                          const EngineTicketChange *change,
                                                          GError            **error);
/* Applies changes in one transaction (imports, fixtures); a change with
 * ticket_id 0 refers to the ticket created last in the batch. Returns the
 * last ticket id written, 0 on error (nothing is written then). */
gint64               engine_ticket_store_apply_many      (EngineTicketStore  *self,
                                                          GPtrArray          *changes,
                                                          GError            **error);
void                 engine_ticket_store_apply_async     (EngineTicketStore  *self,
                                                          EngineTicketChange *change,
                                                          GCancellable       *cancellable,
                                                          GAsyncReadyCallback callback,
                                                          gpointer            user_data);
gint64               engine_ticket_store_apply_finish    (EngineTicketStore  *self,
                                                          GAsyncResult       *result,
                                                          GError            **error);

GPtrArray           *engine_ticket_store_query           (EngineTicketStore  *self,
                                                          const EngineTicketQuery *query,
                                                          GError            **error);
void                 engine_ticket_store_query_async     (EngineTicketStore  *self,
                                                          const EngineTicketQuery *query,
                                                          GCancellable       *cancellable,
                                                          GAsyncReadyCallback callback,
                                                          gpointer            user_data);
GPtrArray           *engine_ticket_store_query_finish    (EngineTicketStore  *self,
                                                          GAsyncResult       *result,
                                                          GError            **error);

EngineTicketDetails *engine_ticket_store_load            (EngineTicketStore  *self,
                                                          gint64              ticket_id,
                                                          GError            **error);
void                 engine_ticket_store_load_async      (EngineTicketStore  *self,
                                                          gint64              ticket_id,
                                                          GCancellable       *cancellable,
                                                          GAsyncReadyCallback callback,
                                                          gpointer            user_data);
EngineTicketDetails *engine_ticket_store_load_finish     (EngineTicketStore  *self,
                                                          GAsyncResult       *result,
                                                          GError            **error);

/* Builds an FTS5 query from what a user typed: every word a quoted prefix. */
char                *engine_ticket_store_build_match     (const char         *text);

G_END_DECLS
