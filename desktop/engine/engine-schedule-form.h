/* engine-schedule-form.h: the Schedule Session form as plain data, with its
 * validation (the relay's own rules from omni-session) and its JSON. The
 * dialog only copies widgets into it and shows what it reports. */
#pragma once

#include <json-glib/json-glib.h>

#include "omni-session.h"

G_BEGIN_DECLS

typedef enum {
  ENGINE_INVITEE_OK,
  ENGINE_INVITEE_INVALID,
  ENGINE_INVITEE_DUPLICATE,
  ENGINE_INVITEE_DOMAIN_NOT_ALLOWED,
} EngineInviteeProblem;

typedef struct {
  char                 *name;
  char                 *email;
  EngineInviteeProblem  problem;
} EngineFormInvitee;

typedef struct {
  char            *title;
  OmniSessionType  type;
  char            *description;
  char            *agenda;
  gint64           start_ms;
  gint64           end_ms;
  GPtrArray       *invitees;          /* EngineFormInvitee */
  int              max_participants;
  char            *password;          /* "" or NULL for none */
  char            *allowed_domains;   /* as typed: "a.com, b.org" */
  gboolean         waiting_room_enabled;
  gboolean         requires_approval;
  gboolean         enable_recording;
  gboolean         enable_screen_share;
  gboolean         enable_chat;
  int              weekly_count;      /* 1 = no recurrence */
  char            *related_ticket;
} EngineScheduleForm;

/* A new form: a meeting starting at the next full hour after now_ms. */
EngineScheduleForm *engine_schedule_form_new             (gint64              now_ms);
EngineScheduleForm *engine_schedule_form_new_from_session (const OmniSession *session);
void                engine_schedule_form_free            (EngineScheduleForm *form);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EngineScheduleForm, engine_schedule_form_free)

/* Sets the type and the options its preset brings (the seed's table). */
void                engine_schedule_form_apply_type      (EngineScheduleForm *form,
                                                          OmniSessionType     type);

/* Adds one invitee (name may be empty); returns its problem, if any. */
EngineInviteeProblem engine_schedule_form_add_invitee    (EngineScheduleForm *form,
                                                          const char         *name,
                                                          const char         *email);
/* Adds every "Name <email>" (or bare address) line of text; returns how many. */
guint               engine_schedule_form_add_invitee_list (EngineScheduleForm *form,
                                                           const char         *text);
void                engine_schedule_form_remove_invitee  (EngineScheduleForm *form,
                                                          guint               index);
/* Recomputes every invitee's problem (after domains or the list change). */
guint               engine_schedule_form_check_invitees  (EngineScheduleForm *form);

/* Parses one "Name <email>" line. Returns FALSE for an empty line. */
gboolean            engine_parse_invitee_line            (const char         *line,
                                                          char              **out_name,
                                                          char              **out_email);

/* The POST /api/sessions body. */
JsonObject         *engine_schedule_form_to_json         (EngineScheduleForm *form);
/* The PATCH body: every editable field except invitees and recurrence. */
JsonObject         *engine_schedule_form_to_update_json  (EngineScheduleForm *form);

/* Validates as the relay will; the GError names the field (omni_error_get_field):
 * "title", "scheduledEndTime", "participants[2].email", "allowedDomains[0]"… */
gboolean            engine_schedule_form_validate        (EngineScheduleForm *form,
                                                          gint64              now_ms,
                                                          GError            **error);

/* Templates keep everything but the date: type, texts, options, duration,
 * invitees. */
char               *engine_schedule_form_to_template     (EngineScheduleForm *form);
gboolean            engine_schedule_form_apply_template  (EngineScheduleForm *form,
                                                          const char         *template_json,
                                                          GError            **error);

G_END_DECLS
