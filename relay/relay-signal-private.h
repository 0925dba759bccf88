/* relay-signal-private.h: the signaling module's internals shared between the
 * socket side (relay-signal.c) and the room side (relay-signal-room.c). */
#pragma once

#include "relay-signal.h"
#include "omni-signal.h"

G_BEGIN_DECLS

#define RELAY_SIGNAL_RESUME_MS        (30 * 1000)   /* a dropped guest keeps its place */
#define RELAY_SIGNAL_HELLO_TIMEOUT_S  10
#define RELAY_SIGNAL_IDLE_TIMEOUT_MS  (60 * 1000)   /* clients ping every ~15 s */
#define RELAY_SIGNAL_MAX_STRIKES      5             /* malformed messages before a close */
#define RELAY_SIGNAL_MAX_FRAME        (1024 * 1024) /* libsoup drops bigger frames outright */
#define RELAY_SIGNAL_CHAT_HISTORY     200
#define RELAY_SIGNAL_CHAT_BURST       5
#define RELAY_SIGNAL_CHAT_PER_SECOND  1.0
/* The host is an authenticated account running the session (announcements,
 * pasted links): a looser bucket, still bounded. */
#define RELAY_SIGNAL_HOST_CHAT_BURST  50
#define RELAY_SIGNAL_HOST_CHAT_PER_SECOND 20.0
#define RELAY_SIGNAL_MAX_CLIENTS      10000
#define RELAY_SIGNAL_MAX_WATCHERS_PER_LINK 200

/* Close codes (4000–4999 are the application's). */
#define RELAY_CLOSE_NORMAL       1000
#define RELAY_CLOSE_GOING_AWAY   1001
#define RELAY_CLOSE_POLICY       1008
#define RELAY_CLOSE_REPLACED     4001
#define RELAY_CLOSE_AUTH         4003
#define RELAY_CLOSE_IDLE         4008

typedef struct _RelayRoom   RelayRoom;
typedef struct _RelayMember RelayMember;
typedef struct _RelayClient RelayClient;

struct _RelaySignal {
  RelayApp   *app;
  GHashTable *rooms;      /* session id → RelayRoom */
  GHashTable *clients;    /* RelayClient set */
  GHashTable *watchers;   /* access link → GPtrArray of RelayClient (borrowed) */
  gint64      resume_ms;
  RelaySignalIceServersFunc ice_servers_func;
  gpointer    ice_servers_data;
};

struct _RelayClient {
  RelaySignal             *signal;
  SoupWebsocketConnection *ws;
  OmniSignalSender         role;      /* ANON until hello */
  RelayMember             *member;    /* borrowed; NULL for watchers and after removal */
  char                    *watch_link;
  guint                    hello_source;
  guint                    idle_source;
  gint64                   last_seen_ms;
  guint                    strikes;
  gboolean                 closing;
};

struct _RelayMember {
  RelayRoom   *room;
  char        *id;
  char        *name;
  gboolean     is_host;
  gboolean     admitted;        /* FALSE: in the waiting room */
  gboolean     mic, cam, screen, hand;
  RelayClient *client;          /* NULL while its socket is down (resume window) */
  guint        grace_source;
  gint64       since_ms;
  double       chat_tokens;
  gint64       chat_refill_ms;
};

struct _RelayRoom {
  RelaySignal *signal;
  char        *session_id;
  char        *host_id;
  char        *title;
  char        *session_type;
  char        *host_name;
  gboolean     enable_chat;
  gboolean     enable_screen_share;
  gboolean     enable_recording;
  int          max_participants;
  gboolean     recording;
  GHashTable  *members;         /* id → RelayMember (owned) */
  GQueue      *chat;            /* JsonNode objects, oldest first */
  gint64       next_chat_id;
};

/* relay-signal.c */
void         relay_client_send        (RelayClient  *client,
                                       const char   *text);
void         relay_client_send_error  (RelayClient  *client,
                                       const GError *error,
                                       const char   *ref_type);
/* Sends nothing more and closes; the client is freed when closed. */
void         relay_client_close       (RelayClient  *client,
                                       gushort       code,
                                       const char   *reason);

/* relay-signal-room.c */
RelayRoom   *relay_room_new           (RelaySignal       *signal,
                                       const OmniSession *session);
void         relay_room_free          (RelayRoom    *room);
/* Ends the room: session-ended to everyone, sockets closed, room freed. */
void         relay_room_end           (RelayRoom    *room);
RelayMember *relay_room_lookup        (RelayRoom    *room,
                                       const char   *id);
/* An error when admitting one more guest (not counting except) would
 * exceed maxParticipants, which counts the host too. */
gboolean     relay_room_check_capacity (RelayRoom    *room,
                                        RelayMember  *except,
                                        GError      **error);
/* Adds a member (not yet attached to a socket). */
RelayMember *relay_room_add_member    (RelayRoom    *room,
                                       const char   *id,
                                       const char   *name,
                                       gboolean      is_host,
                                       gboolean      admitted);
/* Binds a socket to a member (new or resuming) and sends it its state:
 * welcome, then roster/chat/recording when admitted. */
void         relay_room_attach        (RelayRoom    *room,
                                       RelayMember  *member,
                                       RelayClient  *client,
                                       gboolean      resumed);
/* The member's socket went away: start the resume window. */
void         relay_room_detach        (RelayRoom    *room,
                                       RelayMember  *member);
/* Handles a validated message of an authenticated host or guest. */
void         relay_room_dispatch      (RelayRoom           *room,
                                       RelayMember         *member,
                                       const OmniSignalDef *def,
                                       JsonObject          *message);

G_END_DECLS
