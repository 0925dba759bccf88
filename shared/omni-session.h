/* omni-session.h: the live session model, its type presets, the validation of
 * create/update requests and its JSON codec. Used by the relay (authoritative)
 * and the desktop (forms validate with the same rules before sending). */
#pragma once

#include <json-glib/json-glib.h>

#include "omni-json-writer.h"

G_BEGIN_DECLS

#define OMNI_SESSION_MAX_PARTICIPANTS   100
#define OMNI_SESSION_MIN_PARTICIPANTS   2
#define OMNI_SESSION_MAX_INVITEES       1000
#define OMNI_SESSION_MAX_SERIES         52
#define OMNI_SESSION_MAX_DURATION_MS    (24 * 60 * 60 * G_GINT64_CONSTANT (1000))
#define OMNI_SESSION_EARLY_START_MS     (15 * 60 * G_GINT64_CONSTANT (1000))

typedef enum {
  OMNI_SESSION_TYPE_WEBINAR,
  OMNI_SESSION_TYPE_MEETING,
  OMNI_SESSION_TYPE_SUPPORT_CALL,
  OMNI_SESSION_TYPE_TRAINING,
  OMNI_SESSION_TYPE_CONSULTATION,
  OMNI_SESSION_TYPE_DEMO,
  OMNI_SESSION_N_TYPES,
} OmniSessionType;

typedef enum {
  OMNI_SESSION_STATUS_SCHEDULED,
  OMNI_SESSION_STATUS_LIVE,
  OMNI_SESSION_STATUS_ENDED,
  OMNI_SESSION_STATUS_CANCELLED,
  OMNI_SESSION_N_STATUSES,
} OmniSessionStatus;

/* Defaults a type brings, from the product's "Session Types" table. */
typedef struct {
  OmniSessionType type;
  const char     *name;
  int             max_participants;
  gboolean        waiting_room_enabled;
  gboolean        requires_approval;
  gboolean        enable_recording;
  gboolean        enable_screen_share;
  gboolean        enable_chat;
} OmniSessionPreset;

const OmniSessionPreset *omni_session_type_get_preset (OmniSessionType type);
const char  *omni_session_type_to_string   (OmniSessionType   type);
gboolean     omni_session_type_from_string (const char       *text,
                                            OmniSessionType  *out_type);
const char  *omni_session_status_to_string (OmniSessionStatus status);
gboolean     omni_session_status_from_string (const char        *text,
                                              OmniSessionStatus *out_status);

/* One person of a session: invited, a guest who walked in by link, or both.
 * Times are Unix milliseconds, 0 when not (yet) known. */
typedef struct {
  char   *id;
  char   *email;
  char   *name;
  char   *state;        /* invited | waiting | admitted | left | removed | denied */
  gboolean invited;
  gint64  joined_at;
  gint64  left_at;
  gint64  duration_ms;    /* of the calls already left */
  gint64  in_call_since;  /* start of the current call, 0 when not in one */
  char   *mail_state;     /* newest message to them: queued | sending | sent | failed, or NULL */
  char   *mail_error;
  char   *mail_kind;      /* invitation | started | reminder | updated | cancelled | follow_up */
  int     mail_attempts;
} OmniParticipant;

OmniParticipant *omni_participant_new  (void);
void             omni_participant_free (OmniParticipant *participant);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OmniParticipant, omni_participant_free)

typedef struct {
  char              *id;
  char              *host_id;
  char              *host_name;
  char              *host_email;
  char              *title;
  char              *description;
  char              *agenda;
  char              *related_ticket;
  char              *access_link;
  char              *series_id;
  int                series_index;
  int                series_count;
  OmniSessionType    type;
  OmniSessionStatus  status;
  gint64             scheduled_start;
  gint64             scheduled_end;
  gint64             actual_start;
  gint64             actual_end;
  int                max_participants;
  int                peak_participants;
  gboolean           enable_recording;
  gboolean           enable_screen_share;
  gboolean           enable_chat;
  gboolean           waiting_room_enabled;
  gboolean           requires_approval;
  gboolean           has_password;
  char             **allowed_domains;
  GPtrArray         *participants;   /* OmniParticipant */
  gint64             created_at;
  gint64             updated_at;
} OmniSession;

OmniSession *omni_session_new      (void);
void         omni_session_free     (OmniSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OmniSession, omni_session_free)

/* Seconds from actual start to actual end (or to now_ms while live). */
gint64       omni_session_total_duration (const OmniSession *session,
                                          gint64             now_ms);

/* A waiting room applies when the host must admit guests one by one. */
gboolean     omni_session_uses_waiting_room (const OmniSession *session);

/* Writes the session as the API's JSON object (the fast path).
 * public_url is the base of joinUrl; now_ms lets a live session report its
 * duration so far. */
void         omni_session_write_json (const OmniSession    *session,
                                      OmniJsonWriter       *writer,
                                      const char           *public_url,
                                      gint64                now_ms);

/* The same as a json-glib tree, for code that edits or embeds it. */
JsonNode    *omni_session_to_json_node (const OmniSession *session,
                                        const char        *public_url,
                                        gint64             now_ms);

/* Reads a session from the API's JSON (the desktop's side of the codec). */
OmniSession *omni_session_new_from_json (JsonObject  *object,
                                         GError     **error);

/* An invitee of a create request or of POST .../participants. */
typedef struct {
  char *email;
  char *name;
} OmniInvitee;

void         omni_invitee_free (OmniInvitee *invitee);

/* A validated create (or update) request. Fields not given in an update keep
 * has_* FALSE so the stored value stays. */
typedef struct {
  OmniSession *session;        /* fields with defaults applied */
  char        *password;       /* plain text, to be hashed; NULL for none */
  gboolean     has_title;
  gboolean     has_description;
  gboolean     has_agenda;
  gboolean     has_type;
  gboolean     has_start;
  gboolean     has_end;
  gboolean     has_max_participants;
  gboolean     has_password;   /* in an update: "" clears the password */
  gboolean     has_allowed_domains;
  gboolean     has_related_ticket;
  gboolean     has_enable_recording;
  gboolean     has_enable_screen_share;
  gboolean     has_enable_chat;
  gboolean     has_waiting_room_enabled;
  gboolean     has_requires_approval;
  GPtrArray   *invitees;       /* OmniInvitee */
  int          recurrence_count; /* 1 when not recurring */
} OmniSessionRequest;

void         omni_session_request_free (OmniSessionRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OmniSessionRequest, omni_session_request_free)

/* Validates a POST /api/sessions body. now_ms rejects sessions that would
 * already be over. */
OmniSessionRequest *omni_session_request_new_create (JsonObject  *object,
                                                     gint64       now_ms,
                                                     GError     **error);

/* Validates a PATCH /api/sessions/:id body; times are checked against the
 * stored session where only one of them changes. */
OmniSessionRequest *omni_session_request_new_update (JsonObject        *object,
                                                     const OmniSession *current,
                                                     gint64             now_ms,
                                                     GError           **error);

/* Validates {"participants":[...]} (POST .../participants). */
GPtrArray   *omni_invitees_from_json (JsonArray  *array,
                                      const char *field,
                                      GError    **error);

/* Applies the fields an update names onto a stored session. */
void         omni_session_apply_update (OmniSession              *session,
                                        const OmniSessionRequest *update);

G_END_DECLS
