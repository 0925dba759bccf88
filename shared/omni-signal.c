/* omni-signal.c: the signaling message table, the inbound validator and the
 * builders. Adding a message means one row here and a section in PROTOCOL.md. */
#define G_LOG_DOMAIN "omni-signal"

#include "omni-signal.h"
#include "omni-error.h"

#include <string.h>

#define F(name, type, required, min, max) { name, OMNI_JSON_##type, required, min, max }
#define DEF(kind, type, senders, fields) \
  [kind] = { kind, type, senders, fields, G_N_ELEMENTS (fields) }
#define DEF0(kind, type, senders) \
  [kind] = { kind, type, senders, NULL, 0 }

#define ID_FIELD(name, required) F (name, STRING, required, 1, OMNI_SIGNAL_MAX_ID_CHARS)

static const OmniJsonField hello_fields[] = {
  F ("v",         INTEGER, TRUE,  1, 1000),
  F ("role",      STRING,  TRUE,  1, 16),
  F ("token",     STRING,  FALSE, 1, OMNI_SIGNAL_MAX_TOKEN_CHARS),
  F ("sessionId", STRING,  FALSE, 1, OMNI_SIGNAL_MAX_ID_CHARS),
  F ("link",      STRING,  FALSE, 1, 128),
};
static const OmniJsonField ping_fields[] = {
  F ("t", INTEGER, FALSE, 0, G_MAXINT64),
};
static const OmniJsonField media_fields[] = {
  F ("mic",    BOOLEAN, TRUE, 0, 0),
  F ("cam",    BOOLEAN, TRUE, 0, 0),
  F ("screen", BOOLEAN, FALSE, 0, 0),
};
static const OmniJsonField hand_fields[] = {
  F ("raised", BOOLEAN, TRUE, 0, 0),
};
static const OmniJsonField chat_send_fields[] = {
  F ("text", STRING, TRUE, 1, OMNI_SIGNAL_MAX_CHAT_CHARS),
};
/* SDP and ICE: "to" from the host (which guest), "from" added by the relay. */
static const OmniJsonField sdp_fields[] = {
  ID_FIELD ("to", FALSE),
  ID_FIELD ("from", FALSE),
  F ("sdp", STRING, TRUE, 1, OMNI_SIGNAL_MAX_SDP_CHARS),
};
/* A guest asks for a new connection; "from" added by the relay. */
static const OmniJsonField media_restart_fields[] = {
  ID_FIELD ("from", FALSE),
};
static const OmniJsonField ice_fields[] = {
  ID_FIELD ("to", FALSE),
  ID_FIELD ("from", FALSE),
  /* "" is the end-of-candidates marker. */
  F ("candidate",     STRING,  TRUE,  0, 4096),
  F ("sdpMid",        STRING,  FALSE, 0, 64),
  F ("sdpMLineIndex", INTEGER, FALSE, 0, 255),
};
static const OmniJsonField target_fields[] = {
  ID_FIELD ("id", TRUE),
};
static const OmniJsonField recording_fields[] = {
  F ("on", BOOLEAN, TRUE, 0, 0),
};

static const OmniJsonField welcome_fields[] = {
  F ("v",             INTEGER, TRUE,  1, 1000),
  F ("role",          STRING,  TRUE,  1, 16),
  ID_FIELD ("participantId", TRUE),
  F ("name",          STRING,  TRUE,  0, 200),
  F ("state",         STRING,  TRUE,  1, 16),
  F ("resumed",       BOOLEAN, TRUE,  0, 0),
  F ("session",       OBJECT,  TRUE,  0, 0),
  F ("resumeWindowMs", INTEGER, TRUE, 0, G_MAXINT64),
  F ("iceServers",    ARRAY,   FALSE, 0, 0),
};
static const OmniJsonField pong_fields[] = {
  F ("t", INTEGER, FALSE, 0, G_MAXINT64),
};
static const OmniJsonField error_fields[] = {
  F ("code",    STRING, TRUE,  1, 64),
  F ("message", STRING, TRUE,  0, 0),
  F ("field",   STRING, FALSE, 0, 0),
  F ("ref",     STRING, FALSE, 0, 64),
  F ("reason",  STRING, FALSE, 0, 64),
  F ("retryAfter", INTEGER, FALSE, 0, G_MAXINT64),
  F ("scheduledStartTime", STRING, FALSE, 0, 64),
};
static const OmniJsonField admitted_fields[] = {
  F ("recording", BOOLEAN, TRUE, 0, 0),
};
static const OmniJsonField roster_fields[] = {
  F ("participants", ARRAY, TRUE, 0, 0),
};
static const OmniJsonField participant_fields[] = {
  F ("participant", OBJECT, TRUE, 0, 0),
};
static const OmniJsonField left_fields[] = {
  ID_FIELD ("id", TRUE),
  F ("reason", STRING, TRUE, 1, 32),
};
static const OmniJsonField waiting_list_fields[] = {
  F ("guests", ARRAY, TRUE, 0, 0),
};
static const OmniJsonField chat_fields[] = {
  F ("id",   INTEGER, TRUE, 1, G_MAXINT64),
  F ("from", OBJECT,  TRUE, 0, 0),
  F ("text", STRING,  TRUE, 1, OMNI_SIGNAL_MAX_CHAT_CHARS),
  F ("at",   STRING,  TRUE, 1, 64),
};
static const OmniJsonField chat_history_fields[] = {
  F ("messages", ARRAY, TRUE, 0, 0),
};
static const OmniJsonField muted_fields[] = {
  ID_FIELD ("by", FALSE),
};
static const OmniJsonField session_status_fields[] = {
  F ("status",             STRING, TRUE,  1, 16),
  F ("scheduledStartTime", STRING, FALSE, 0, 64),
};
static const OmniJsonField session_ended_fields[] = {
  F ("reason", STRING, FALSE, 0, 32),
};

static const OmniSignalDef defs[OMNI_SIGNAL_N_KINDS] = {
  DEF  (OMNI_SIGNAL_HELLO,      "hello",      OMNI_SIGNAL_FROM_ANON,   hello_fields),
  DEF  (OMNI_SIGNAL_PING,       "ping",       OMNI_SIGNAL_FROM_CLIENT, ping_fields),
  DEF0 (OMNI_SIGNAL_LEAVE,      "leave",      OMNI_SIGNAL_FROM_HOST | OMNI_SIGNAL_FROM_GUEST),
  DEF  (OMNI_SIGNAL_MEDIA,      "media",      OMNI_SIGNAL_FROM_HOST | OMNI_SIGNAL_FROM_GUEST, media_fields),
  DEF  (OMNI_SIGNAL_HAND,       "hand",       OMNI_SIGNAL_FROM_HOST | OMNI_SIGNAL_FROM_GUEST, hand_fields),
  DEF  (OMNI_SIGNAL_CHAT_SEND,  "chat-send",  OMNI_SIGNAL_FROM_HOST | OMNI_SIGNAL_FROM_GUEST, chat_send_fields),
  DEF  (OMNI_SIGNAL_OFFER,      "offer",      OMNI_SIGNAL_FROM_HOST | OMNI_SIGNAL_FROM_RELAY, sdp_fields),
  DEF  (OMNI_SIGNAL_ANSWER,     "answer",     OMNI_SIGNAL_FROM_GUEST | OMNI_SIGNAL_FROM_RELAY, sdp_fields),
  DEF  (OMNI_SIGNAL_ICE,        "ice",        OMNI_SIGNAL_FROM_HOST | OMNI_SIGNAL_FROM_GUEST | OMNI_SIGNAL_FROM_RELAY, ice_fields),
  DEF  (OMNI_SIGNAL_MEDIA_RESTART, "media-restart", OMNI_SIGNAL_FROM_GUEST | OMNI_SIGNAL_FROM_RELAY, media_restart_fields),
  DEF  (OMNI_SIGNAL_ADMIT,      "admit",      OMNI_SIGNAL_FROM_HOST, target_fields),
  DEF  (OMNI_SIGNAL_DENY,       "deny",       OMNI_SIGNAL_FROM_HOST, target_fields),
  DEF  (OMNI_SIGNAL_REMOVE,     "remove",     OMNI_SIGNAL_FROM_HOST, target_fields),
  DEF  (OMNI_SIGNAL_MUTE,       "mute",       OMNI_SIGNAL_FROM_HOST, target_fields),
  DEF0 (OMNI_SIGNAL_MUTE_ALL,   "mute-all",   OMNI_SIGNAL_FROM_HOST),
  DEF  (OMNI_SIGNAL_RECORDING_SET, "recording-set", OMNI_SIGNAL_FROM_HOST, recording_fields),

  DEF  (OMNI_SIGNAL_WELCOME,    "welcome",    OMNI_SIGNAL_FROM_RELAY, welcome_fields),
  DEF  (OMNI_SIGNAL_PONG,       "pong",       OMNI_SIGNAL_FROM_RELAY, pong_fields),
  DEF  (OMNI_SIGNAL_ERROR,      "error",      OMNI_SIGNAL_FROM_RELAY, error_fields),
  DEF  (OMNI_SIGNAL_ADMITTED,   "admitted",   OMNI_SIGNAL_FROM_RELAY, admitted_fields),
  DEF0 (OMNI_SIGNAL_DENIED,     "denied",     OMNI_SIGNAL_FROM_RELAY),
  DEF0 (OMNI_SIGNAL_REMOVED,    "removed",    OMNI_SIGNAL_FROM_RELAY),
  DEF  (OMNI_SIGNAL_ROSTER,     "roster",     OMNI_SIGNAL_FROM_RELAY, roster_fields),
  DEF  (OMNI_SIGNAL_PARTICIPANT_JOINED,  "participant-joined",  OMNI_SIGNAL_FROM_RELAY, participant_fields),
  DEF  (OMNI_SIGNAL_PARTICIPANT_UPDATED, "participant-updated", OMNI_SIGNAL_FROM_RELAY, participant_fields),
  DEF  (OMNI_SIGNAL_PARTICIPANT_LEFT,    "participant-left",    OMNI_SIGNAL_FROM_RELAY, left_fields),
  DEF  (OMNI_SIGNAL_WAITING_LIST, "waiting-list", OMNI_SIGNAL_FROM_RELAY, waiting_list_fields),
  DEF  (OMNI_SIGNAL_CHAT,       "chat",       OMNI_SIGNAL_FROM_RELAY, chat_fields),
  DEF  (OMNI_SIGNAL_CHAT_HISTORY, "chat-history", OMNI_SIGNAL_FROM_RELAY, chat_history_fields),
  DEF  (OMNI_SIGNAL_MUTED,      "muted",      OMNI_SIGNAL_FROM_RELAY, muted_fields),
  DEF  (OMNI_SIGNAL_RECORDING,  "recording",  OMNI_SIGNAL_FROM_RELAY, recording_fields),
  DEF  (OMNI_SIGNAL_SESSION_STATUS, "session-status", OMNI_SIGNAL_FROM_RELAY, session_status_fields),
  DEF  (OMNI_SIGNAL_SESSION_ENDED,  "session-ended",  OMNI_SIGNAL_FROM_RELAY, session_ended_fields),
};

const OmniSignalDef *
omni_signal_def (OmniSignalKind kind)
{
  g_return_val_if_fail (kind < OMNI_SIGNAL_N_KINDS, NULL);
  return &defs[kind];
}

const OmniSignalDef *
omni_signal_def_lookup (const char *type)
{
  if (type == NULL)
    return NULL;
  for (guint i = 0; i < OMNI_SIGNAL_N_KINDS; i++)
    if (strcmp (defs[i].type, type) == 0)
      return &defs[i];
  return NULL;
}

/* Checks an object against a definition: "type" plus the table, nothing else.
 * The table cannot name "type" (it is shared by every message), so the check
 * runs on a shallow copy without it. */
static gboolean
check_members (JsonObject          *object,
               const OmniSignalDef *def,
               GError             **error)
{
  g_autoptr(JsonObject) rest = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &node))
    if (strcmp (name, "type") != 0)
      json_object_set_member (rest, name, json_node_ref (node));
  return omni_json_check_fields (rest, def->fields, def->n_fields, NULL, error);
}

JsonObject *
omni_signal_parse (const char           *data,
                   gsize                 len,
                   OmniSignalSender      sender,
                   const OmniSignalDef **out_def,
                   char                **out_type,
                   GError              **error)
{
  g_autoptr(JsonObject) object = NULL;
  const OmniSignalDef *def;
  const char *type;

  if (out_def != NULL)
    *out_def = NULL;
  if (out_type != NULL)
    *out_type = NULL;

  if (len > OMNI_SIGNAL_MAX_MESSAGE_SIZE)
    {
      omni_error_set_field (error, OMNI_ERROR_PAYLOAD_TOO_LARGE, NULL,
                            "A signaling message may be at most %d bytes; this one has %" G_GSIZE_FORMAT,
                            OMNI_SIGNAL_MAX_MESSAGE_SIZE, len);
      return NULL;
    }
  object = omni_json_parse_object (data, len, OMNI_SIGNAL_MAX_MESSAGE_SIZE, error);
  if (object == NULL)
    return NULL;

  type = omni_json_get_string (object, "type");
  if (type == NULL)
    {
      omni_error_set_field (error, OMNI_ERROR_MISSING_FIELD, "type", "Every message needs a string 'type'");
      return NULL;
    }
  if (out_type != NULL)
    *out_type = g_strndup (type, 64);

  def = omni_signal_def_lookup (type);
  if (def == NULL)
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, "type", "'%.64s' is not a message type", type);
      return NULL;
    }
  if ((def->senders & sender) == 0)
    {
      omni_error_set_field (error, OMNI_ERROR_FORBIDDEN, "type",
                            sender == OMNI_SIGNAL_FROM_ANON
                              ? "The first message must be 'hello'"
                              : "You may not send '%s' messages", def->type);
      return NULL;
    }
  if (!check_members (object, def, error))
    return NULL;

  if (out_def != NULL)
    *out_def = def;
  return g_steal_pointer (&object);
}

JsonBuilder *
omni_signal_builder_new (OmniSignalKind kind)
{
  JsonBuilder *builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, omni_signal_def (kind)->type);
  return builder;
}

char *
omni_signal_builder_finish (JsonBuilder *builder,
                            gsize       *out_len)
{
  g_autoptr(JsonNode) root = NULL;

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return omni_json_to_string (root, out_len);
}

void
omni_signal_add_string (JsonBuilder *builder,
                        const char  *name,
                        const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value == NULL)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, value);
}

void
omni_signal_add_bool (JsonBuilder *builder,
                      const char  *name,
                      gboolean     value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

void
omni_signal_add_int (JsonBuilder *builder,
                     const char  *name,
                     gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

char *
omni_signal_build_error (const GError *error,
                         const char   *ref_type)
{
  g_autoptr(JsonBuilder) builder = omni_signal_builder_new (OMNI_SIGNAL_ERROR);
  const char *detail_key = omni_error_get_detail_key (error);
  guint retry_after = omni_error_get_retry_after (error);

  omni_signal_add_string (builder, "code", omni_error_wire_code (error));
  omni_signal_add_string (builder, "message", error->message);
  omni_signal_add_string (builder, "field", omni_error_get_field (error));
  if (ref_type != NULL)
    omni_signal_add_string (builder, "ref", ref_type);
  if (retry_after > 0)
    omni_signal_add_int (builder, "retryAfter", retry_after);
  if (detail_key != NULL)
    omni_signal_add_string (builder, detail_key, omni_error_get_detail_value (error));
  return omni_signal_builder_finish (builder, NULL);
}

static char *
build_hello (const char *role,
             const char *token,
             const char *session_id,
             const char *link)
{
  g_autoptr(JsonBuilder) builder = omni_signal_builder_new (OMNI_SIGNAL_HELLO);

  omni_signal_add_int (builder, "v", OMNI_SIGNAL_VERSION);
  omni_signal_add_string (builder, "role", role);
  if (token != NULL)
    omni_signal_add_string (builder, "token", token);
  if (session_id != NULL)
    omni_signal_add_string (builder, "sessionId", session_id);
  if (link != NULL)
    omni_signal_add_string (builder, "link", link);
  return omni_signal_builder_finish (builder, NULL);
}

char *
omni_signal_build_hello_host (const char *host_token,
                              const char *session_id)
{
  return build_hello ("host", host_token, session_id, NULL);
}

char *
omni_signal_build_hello_guest (const char *guest_token)
{
  return build_hello ("guest", guest_token, NULL, NULL);
}

char *
omni_signal_build_hello_watch (const char *access_link)
{
  return build_hello ("watch", NULL, NULL, access_link);
}

char *
omni_signal_build_simple (OmniSignalKind kind)
{
  g_autoptr(JsonBuilder) builder = omni_signal_builder_new (kind);
  return omni_signal_builder_finish (builder, NULL);
}

char *
omni_signal_build_target (OmniSignalKind  kind,
                          const char     *participant_id)
{
  g_autoptr(JsonBuilder) builder = omni_signal_builder_new (kind);

  omni_signal_add_string (builder, "id", participant_id);
  return omni_signal_builder_finish (builder, NULL);
}

char *
omni_signal_build_chat_send (const char *text)
{
  g_autoptr(JsonBuilder) builder = omni_signal_builder_new (OMNI_SIGNAL_CHAT_SEND);

  omni_signal_add_string (builder, "text", text);
  return omni_signal_builder_finish (builder, NULL);
}

char *
omni_signal_build_sdp (OmniSignalKind  kind,
                       const char     *to,
                       const char     *sdp)
{
  g_autoptr(JsonBuilder) builder = NULL;

  g_return_val_if_fail (kind == OMNI_SIGNAL_OFFER || kind == OMNI_SIGNAL_ANSWER, NULL);
  builder = omni_signal_builder_new (kind);
  if (to != NULL)
    omni_signal_add_string (builder, "to", to);
  omni_signal_add_string (builder, "sdp", sdp);
  return omni_signal_builder_finish (builder, NULL);
}

char *
omni_signal_build_ice (const char *to,
                       const char *candidate,
                       const char *sdp_mid,
                       int         sdp_mline_index)
{
  g_autoptr(JsonBuilder) builder = omni_signal_builder_new (OMNI_SIGNAL_ICE);

  if (to != NULL)
    omni_signal_add_string (builder, "to", to);
  omni_signal_add_string (builder, "candidate", candidate);
  if (sdp_mid != NULL)
    omni_signal_add_string (builder, "sdpMid", sdp_mid);
  /* Browsers need the m-line index; webrtcbin reports nothing else. */
  omni_signal_add_int (builder, "sdpMLineIndex", sdp_mline_index);
  return omni_signal_builder_finish (builder, NULL);
}

char *
omni_signal_build_media (gboolean mic,
                         gboolean cam,
                         gboolean screen)
{
  g_autoptr(JsonBuilder) builder = omni_signal_builder_new (OMNI_SIGNAL_MEDIA);

  omni_signal_add_bool (builder, "mic", mic);
  omni_signal_add_bool (builder, "cam", cam);
  omni_signal_add_bool (builder, "screen", screen);
  return omni_signal_builder_finish (builder, NULL);
}

char *
omni_signal_build_hand (gboolean raised)
{
  g_autoptr(JsonBuilder) builder = omni_signal_builder_new (OMNI_SIGNAL_HAND);

  omni_signal_add_bool (builder, "raised", raised);
  return omni_signal_builder_finish (builder, NULL);
}

char *
omni_signal_build_recording_set (gboolean on)
{
  g_autoptr(JsonBuilder) builder = omni_signal_builder_new (OMNI_SIGNAL_RECORDING_SET);

  omni_signal_add_bool (builder, "on", on);
  return omni_signal_builder_finish (builder, NULL);
}
