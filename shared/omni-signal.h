/* omni-signal.h: the signaling protocol between the relay, the host's desktop
 * and guests' browsers — one C definition per message type (name, who may
 * send it, the field table that validates it) and builders for each. The
 * relay validates every inbound frame here before any handler sees it; the
 * desktop reuses the same definitions. The wire is documented in
 * shared/PROTOCOL.md. */
#pragma once

#include <json-glib/json-glib.h>

#include "omni-json.h"

G_BEGIN_DECLS

#define OMNI_SIGNAL_VERSION           1
/* Largest text frame a client may send; bigger ones are answered with an
 * error (and count as a strike), like any other malformed message. */
#define OMNI_SIGNAL_MAX_MESSAGE_SIZE  (64 * 1024)
#define OMNI_SIGNAL_MAX_CHAT_CHARS    2000
#define OMNI_SIGNAL_MAX_SDP_CHARS     60000
#define OMNI_SIGNAL_MAX_ID_CHARS      64
#define OMNI_SIGNAL_MAX_TOKEN_CHARS   512

/* Who may send a message. Client roles first, then the relay. */
typedef enum {
  OMNI_SIGNAL_FROM_ANON   = 1 << 0,  /* before hello: only hello */
  OMNI_SIGNAL_FROM_HOST   = 1 << 1,
  OMNI_SIGNAL_FROM_GUEST  = 1 << 2,  /* admitted or waiting guests */
  OMNI_SIGNAL_FROM_WATCH  = 1 << 3,  /* a join page waiting for a start */
  OMNI_SIGNAL_FROM_RELAY  = 1 << 4,
} OmniSignalSender;

#define OMNI_SIGNAL_FROM_CLIENT (OMNI_SIGNAL_FROM_HOST | OMNI_SIGNAL_FROM_GUEST | OMNI_SIGNAL_FROM_WATCH)

typedef enum {
  /* client → relay */
  OMNI_SIGNAL_HELLO,
  OMNI_SIGNAL_PING,
  OMNI_SIGNAL_LEAVE,
  OMNI_SIGNAL_MEDIA,
  OMNI_SIGNAL_HAND,
  OMNI_SIGNAL_CHAT_SEND,
  OMNI_SIGNAL_OFFER,
  OMNI_SIGNAL_ANSWER,
  OMNI_SIGNAL_ICE,
  OMNI_SIGNAL_MEDIA_RESTART,
  OMNI_SIGNAL_ADMIT,
  OMNI_SIGNAL_DENY,
  OMNI_SIGNAL_REMOVE,
  OMNI_SIGNAL_MUTE,
  OMNI_SIGNAL_MUTE_ALL,
  OMNI_SIGNAL_RECORDING_SET,
  /* relay → client */
  OMNI_SIGNAL_WELCOME,
  OMNI_SIGNAL_PONG,
  OMNI_SIGNAL_ERROR,
  OMNI_SIGNAL_ADMITTED,
  OMNI_SIGNAL_DENIED,
  OMNI_SIGNAL_REMOVED,
  OMNI_SIGNAL_ROSTER,
  OMNI_SIGNAL_PARTICIPANT_JOINED,
  OMNI_SIGNAL_PARTICIPANT_UPDATED,
  OMNI_SIGNAL_PARTICIPANT_LEFT,
  OMNI_SIGNAL_WAITING_LIST,
  OMNI_SIGNAL_CHAT,
  OMNI_SIGNAL_CHAT_HISTORY,
  OMNI_SIGNAL_MUTED,
  OMNI_SIGNAL_RECORDING,
  OMNI_SIGNAL_SESSION_STATUS,
  OMNI_SIGNAL_SESSION_ENDED,
  OMNI_SIGNAL_N_KINDS,
} OmniSignalKind;

typedef struct {
  OmniSignalKind       kind;
  const char          *type;       /* the "type" member on the wire */
  guint                senders;    /* OmniSignalSender mask */
  const OmniJsonField *fields;     /* every member but "type" */
  guint                n_fields;
} OmniSignalDef;

const OmniSignalDef *omni_signal_def        (OmniSignalKind  kind);
/* NULL when no message has that type. */
const OmniSignalDef *omni_signal_def_lookup (const char     *type);

/* Parses and validates one inbound frame sent by `sender` (one
 * OmniSignalSender bit): size, UTF-8, JSON object, known type, allowed for
 * that sender, every field against the definition's table. On failure the
 * error is an OMNI_ERROR whose wire code names the problem; out_type, if
 * given, receives the type the frame claimed (for the error reply), or NULL. */
JsonObject          *omni_signal_parse      (const char           *data,
                                             gsize                 len,
                                             OmniSignalSender      sender,
                                             const OmniSignalDef **out_def,
                                             char                **out_type,
                                             GError              **error);

/* Builders: start an object with the message's type, add members with
 * json-glib, then finish into the wire text. */
JsonBuilder         *omni_signal_builder_new    (OmniSignalKind  kind);
char                *omni_signal_builder_finish (JsonBuilder    *builder,
                                                 gsize          *out_len);

void                 omni_signal_add_string (JsonBuilder *builder,
                                             const char  *name,
                                             const char  *value);
void                 omni_signal_add_bool   (JsonBuilder *builder,
                                             const char  *name,
                                             gboolean     value);
void                 omni_signal_add_int    (JsonBuilder *builder,
                                             const char  *name,
                                             gint64       value);

/* Whole messages that need no more than their arguments. */
char *omni_signal_build_error        (const GError *error,
                                      const char   *ref_type);
char *omni_signal_build_hello_host   (const char   *host_token,
                                      const char   *session_id);
char *omni_signal_build_hello_guest  (const char   *guest_token);
char *omni_signal_build_hello_watch  (const char   *access_link);
char *omni_signal_build_simple       (OmniSignalKind kind);
/* admit, deny, remove and mute: a command about one participant. */
char *omni_signal_build_target       (OmniSignalKind kind,
                                      const char    *participant_id);
char *omni_signal_build_chat_send    (const char   *text);
/* offer/answer: to is the guest (host side) or NULL (guest side). */
char *omni_signal_build_sdp          (OmniSignalKind kind,
                                      const char    *to,
                                      const char    *sdp);
char *omni_signal_build_ice          (const char   *to,
                                      const char   *candidate,
                                      const char   *sdp_mid,
                                      int           sdp_mline_index);
char *omni_signal_build_media        (gboolean      mic,
                                      gboolean      cam,
                                      gboolean      screen);
char *omni_signal_build_hand         (gboolean      raised);
char *omni_signal_build_recording_set (gboolean     on);

G_END_DECLS
