/* engine-schedule-form.c: form data → request JSON → omni-session validation.
 * Invitee problems are found here first so the dialog can flag each line. */
#define G_LOG_DOMAIN "engine-schedule-form"

#include "desktop-config.h"

#include <glib/gi18n.h>

#include "omni-email.h"
#include "omni-error.h"
#include "omni-json.h"
#include "omni-time.h"

#include "engine-schedule-form.h"

#define MAX_LIST_TEXT (256 * 1024)

static void
form_invitee_free (EngineFormInvitee *invitee)
{
  g_free (invitee->name);
  g_free (invitee->email);
  g_free (invitee);
}

static GStrv
split_domains (const char *text)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) parts = g_strsplit_set (text ? text : "", ", ;\n\t", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] != '\0')
      g_strv_builder_add (builder, parts[i]);
  return g_strv_builder_end (builder);
}

static void
set_string (char       **slot,
            const char  *value)
{
  g_free (*slot);
  *slot = g_strdup (value);
}

static void
add_invitee_json (JsonBuilder       *builder,
                  EngineFormInvitee *invitee)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, invitee->email);
  if (invitee->name != NULL && *invitee->name != '\0')
    {
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, invitee->name);
    }
  json_builder_end_object (builder);
}

/* Fields common to create, update and templates. */
static void
add_common_members (JsonBuilder        *builder,
                    EngineScheduleForm *form,
                    gboolean            with_times)
{
  g_auto(GStrv) domains = split_domains (form->allowed_domains);

  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, form->title ? form->title : "");
  json_builder_set_member_name (builder, "description");
  json_builder_add_string_value (builder, form->description ? form->description : "");
  json_builder_set_member_name (builder, "agenda");
  json_builder_add_string_value (builder, form->agenda ? form->agenda : "");
  json_builder_set_member_name (builder, "sessionType");
  json_builder_add_string_value (builder, omni_session_type_to_string (form->type));
  if (with_times)
    {
      char buf[OMNI_TIME_ISO8601_LEN + 1];

      omni_time_format_iso8601_buf (form->start_ms, buf);
      json_builder_set_member_name (builder, "scheduledStartTime");
      json_builder_add_string_value (builder, buf);
      omni_time_format_iso8601_buf (form->end_ms, buf);
      json_builder_set_member_name (builder, "scheduledEndTime");
      json_builder_add_string_value (builder, buf);
    }
  json_builder_set_member_name (builder, "maxParticipants");
  json_builder_add_int_value (builder, form->max_participants);
  json_builder_set_member_name (builder, "enableRecording");
  json_builder_add_boolean_value (builder, form->enable_recording);
  json_builder_set_member_name (builder, "enableScreenShare");
  json_builder_add_boolean_value (builder, form->enable_screen_share);
  json_builder_set_member_name (builder, "enableChat");
  json_builder_add_boolean_value (builder, form->enable_chat);
  json_builder_set_member_name (builder, "waitingRoomEnabled");
  json_builder_add_boolean_value (builder, form->waiting_room_enabled);
  json_builder_set_member_name (builder, "requiresApproval");
  json_builder_add_boolean_value (builder, form->requires_approval);
  json_builder_set_member_name (builder, "allowedDomains");
  json_builder_begin_array (builder);
  for (guint i = 0; domains[i] != NULL; i++)
    json_builder_add_string_value (builder, domains[i]);
  json_builder_end_array (builder);
}

static JsonObject *
finish_object (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  return json_object_ref (json_node_get_object (root));
}

EngineScheduleForm *
engine_schedule_form_new (gint64 now_ms)
{
  EngineScheduleForm *form = g_new0 (EngineScheduleForm, 1);

  form->invitees = g_ptr_array_new_with_free_func ((GDestroyNotify) form_invitee_free);
  form->start_ms = (now_ms / OMNI_MS_PER_HOUR + 1) * OMNI_MS_PER_HOUR;
  form->end_ms = form->start_ms + OMNI_MS_PER_HOUR;
  form->weekly_count = 1;
  form->title = g_strdup ("");
  engine_schedule_form_apply_type (form, OMNI_SESSION_TYPE_MEETING);
  return form;
}

EngineScheduleForm *
engine_schedule_form_new_from_session (const OmniSession *session)
{
  EngineScheduleForm *form;

  g_return_val_if_fail (session != NULL, NULL);

  form = engine_schedule_form_new (session->scheduled_start);
  set_string (&form->title, session->title);
  set_string (&form->description, session->description);
  set_string (&form->agenda, session->agenda);
  set_string (&form->related_ticket, session->related_ticket);
  form->type = session->type;
  form->start_ms = session->scheduled_start;
  form->end_ms = session->scheduled_end;
  form->max_participants = session->max_participants;
  form->enable_recording = session->enable_recording;
  form->enable_screen_share = session->enable_screen_share;
  form->enable_chat = session->enable_chat;
  form->waiting_room_enabled = session->waiting_room_enabled;
  form->requires_approval = session->requires_approval;
  g_free (form->allowed_domains);
  form->allowed_domains = session->allowed_domains ? g_strjoinv (", ", session->allowed_domains) : NULL;
  for (guint i = 0; session->participants && i < session->participants->len; i++)
    {
      OmniParticipant *p = g_ptr_array_index (session->participants, i);
      if (p->invited && p->email != NULL)
        engine_schedule_form_add_invitee (form, p->name, p->email);
    }
  return form;
}

void
engine_schedule_form_free (EngineScheduleForm *form)
{
  if (form == NULL)
    return;
  g_free (form->title);
  g_free (form->description);
  g_free (form->agenda);
  g_free (form->password);
  g_free (form->allowed_domains);
  g_free (form->related_ticket);
  g_ptr_array_unref (form->invitees);
  g_free (form);
}

void
engine_schedule_form_apply_type (EngineScheduleForm *form,
                                 OmniSessionType     type)
{
  const OmniSessionPreset *preset;

  g_return_if_fail (form != NULL);
  g_return_if_fail (type < OMNI_SESSION_N_TYPES);

  preset = omni_session_type_get_preset (type);
  form->type = type;
  form->max_participants = preset->max_participants;
  form->waiting_room_enabled = preset->waiting_room_enabled;
  form->requires_approval = preset->requires_approval;
  form->enable_recording = preset->enable_recording;
  form->enable_screen_share = preset->enable_screen_share;
  form->enable_chat = preset->enable_chat;
}

gboolean
engine_parse_invitee_line (const char  *line,
                           char       **out_name,
                           char       **out_email)
{
  g_autofree char *copy = g_strstrip (g_strdup (line ? line : ""));
  char *open, *close;

  *out_name = NULL;
  *out_email = NULL;
  if (*copy == '\0')
    return FALSE;

  open = strrchr (copy, '<');
  close = open ? strchr (open, '>') : NULL;
  if (open != NULL && close != NULL)
    {
      *close = '\0';
      *out_email = g_strstrip (g_strdup (open + 1));
      *open = '\0';
      g_strstrip (copy);
      /* "Doe, Jane" <jane@example.com> */
      if (copy[0] == '"' && strlen (copy) >= 2 && copy[strlen (copy) - 1] == '"')
        {
          copy[strlen (copy) - 1] = '\0';
          *out_name = g_strstrip (g_strdup (copy + 1));
        }
      else
        *out_name = g_strdup (copy);
      return TRUE;
    }

  *out_email = g_strdup (copy);
  *out_name = g_strdup ("");
  return TRUE;
}

guint
engine_schedule_form_check_invitees (EngineScheduleForm *form)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) domains = NULL;
  guint problems = 0;

  g_return_val_if_fail (form != NULL, 0);

  domains = split_domains (form->allowed_domains);
  for (guint i = 0; domains[i] != NULL; i++)
    {
      char *lower = g_ascii_strdown (domains[i] + (domains[i][0] == '@'), -1);
      g_free (domains[i]);
      domains[i] = lower;
    }

  for (guint i = 0; i < form->invitees->len; i++)
    {
      EngineFormInvitee *invitee = g_ptr_array_index (form->invitees, i);

      if (!omni_email_is_valid (invitee->email))
        invitee->problem = ENGINE_INVITEE_INVALID;
      else if (!g_hash_table_add (seen, g_ascii_strdown (invitee->email, -1)))
        invitee->problem = ENGINE_INVITEE_DUPLICATE;
      else if (domains[0] != NULL &&
               !omni_email_domain_allowed (invitee->email, (const char * const *) domains))
        invitee->problem = ENGINE_INVITEE_DOMAIN_NOT_ALLOWED;
      else
        invitee->problem = ENGINE_INVITEE_OK;
      problems += invitee->problem != ENGINE_INVITEE_OK;
    }
  return problems;
}

EngineInviteeProblem
engine_schedule_form_add_invitee (EngineScheduleForm *form,
                                  const char         *name,
                                  const char         *email)
{
  EngineFormInvitee *invitee;

  g_return_val_if_fail (form != NULL, ENGINE_INVITEE_INVALID);

  invitee = g_new0 (EngineFormInvitee, 1);
  invitee->name = g_strstrip (g_strdup (name ? name : ""));
  invitee->email = g_strstrip (g_strdup (email ? email : ""));
  g_ptr_array_add (form->invitees, invitee);
  engine_schedule_form_check_invitees (form);
  return invitee->problem;
}

guint
engine_schedule_form_add_invitee_list (EngineScheduleForm *form,
                                       const char         *text)
{
  g_auto(GStrv) lines = NULL;
  guint added = 0;

  g_return_val_if_fail (form != NULL, 0);

  if (text == NULL || strlen (text) > MAX_LIST_TEXT)
    return 0;
  lines = g_strsplit_set (text, "\n;", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *name = NULL;
      g_autofree char *email = NULL;

      if (!engine_parse_invitee_line (lines[i], &name, &email))
        continue;
      engine_schedule_form_add_invitee (form, name, email);
      added++;
    }
  return added;
}

void
engine_schedule_form_remove_invitee (EngineScheduleForm *form,
                                     guint               index)
{
  g_return_if_fail (form != NULL);
  g_return_if_fail (index < form->invitees->len);

  g_ptr_array_remove_index (form->invitees, index);
  engine_schedule_form_check_invitees (form);
}

/* The create body has invitees, the ticket and recurrence; an update only
 * the session's own fields. An empty password is left out: no password on
 * create, "keep the stored one" on update. */
static JsonObject *
build_request (EngineScheduleForm *form,
               gboolean            create)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_common_members (builder, form, TRUE);
  if (form->password != NULL && *form->password != '\0')
    {
      json_builder_set_member_name (builder, "password");
      json_builder_add_string_value (builder, form->password);
    }
  if (create && form->related_ticket != NULL && *form->related_ticket != '\0')
    {
      json_builder_set_member_name (builder, "relatedTicket");
      json_builder_add_string_value (builder, form->related_ticket);
    }
  if (create)
    {
      json_builder_set_member_name (builder, "participants");
      json_builder_begin_array (builder);
      for (guint i = 0; i < form->invitees->len; i++)
        add_invitee_json (builder, g_ptr_array_index (form->invitees, i));
      json_builder_end_array (builder);
    }
  if (create && form->weekly_count > 1)
    {
      json_builder_set_member_name (builder, "recurrence");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "frequency");
      json_builder_add_string_value (builder, "weekly");
      json_builder_set_member_name (builder, "count");
      json_builder_add_int_value (builder, form->weekly_count);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  return finish_object (builder);
}

JsonObject *
engine_schedule_form_to_json (EngineScheduleForm *form)
{
  g_return_val_if_fail (form != NULL, NULL);
  return build_request (form, TRUE);
}

JsonObject *
engine_schedule_form_to_update_json (EngineScheduleForm *form)
{
  g_return_val_if_fail (form != NULL, NULL);
  return build_request (form, FALSE);
}

gboolean
engine_schedule_form_validate (EngineScheduleForm  *form,
                               gint64               now_ms,
                               GError             **error)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(OmniSessionRequest) request = NULL;

  g_return_val_if_fail (form != NULL, FALSE);

  if (form->title == NULL || *g_strstrip (form->title) == '\0')
    {
      omni_error_set_field (error, OMNI_ERROR_MISSING_FIELD, "title", _("Give the session a title"));
      return FALSE;
    }

  /* Domains first: a bad domain would otherwise show as bad invitees. */
  {
    g_auto(GStrv) domains = split_domains (form->allowed_domains);
    for (guint i = 0; domains[i] != NULL; i++)
      {
        g_autofree char *field = g_strdup_printf ("allowedDomains[%u]", i);
        g_autofree char *lower = g_ascii_strdown (domains[i] + (domains[i][0] == '@'), -1);

        if (!omni_domain_is_valid (lower))
          {
            omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, field,
                                  _("“%s” is not a domain name such as example.com"), domains[i]);
            return FALSE;
          }
      }
  }

  engine_schedule_form_check_invitees (form);
  for (guint i = 0; i < form->invitees->len; i++)
    {
      EngineFormInvitee *invitee = g_ptr_array_index (form->invitees, i);
      g_autofree char *field = g_strdup_printf ("participants[%u].email", i);

      switch (invitee->problem)
        {
        case ENGINE_INVITEE_INVALID:
          omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, field,
                                _("“%s” is not a valid e-mail address"), invitee->email);
          return FALSE;
        case ENGINE_INVITEE_DUPLICATE:
          omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, field,
                                _("%s is listed more than once"), invitee->email);
          return FALSE;
        case ENGINE_INVITEE_DOMAIN_NOT_ALLOWED:
          omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, field,
                                _("%s is not in one of the allowed domains"), invitee->email);
          return FALSE;
        case ENGINE_INVITEE_OK:
        default:
          break;
        }
    }

  object = engine_schedule_form_to_json (form);
  request = omni_session_request_new_create (object, now_ms, error);
  return request != NULL;
}

char *
engine_schedule_form_to_template (EngineScheduleForm *form)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (form != NULL, NULL);

  json_builder_begin_object (builder);
  add_common_members (builder, form, FALSE);
  json_builder_set_member_name (builder, "durationMinutes");
  json_builder_add_int_value (builder, (form->end_ms - form->start_ms) / OMNI_MS_PER_MINUTE);
  json_builder_set_member_name (builder, "weeklyCount");
  json_builder_add_int_value (builder, form->weekly_count);
  json_builder_set_member_name (builder, "participants");
  json_builder_begin_array (builder);
  for (guint i = 0; i < form->invitees->len; i++)
    add_invitee_json (builder, g_ptr_array_index (form->invitees, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return omni_json_to_string (root, NULL);
}

gboolean
engine_schedule_form_apply_template (EngineScheduleForm  *form,
                                     const char          *template_json,
                                     GError             **error)
{
  g_autoptr(JsonObject) object = NULL;
  JsonArray *array;
  gint64 minutes;
  OmniSessionType type = OMNI_SESSION_TYPE_MEETING;

  g_return_val_if_fail (form != NULL, FALSE);
  g_return_val_if_fail (template_json != NULL, FALSE);

  object = omni_json_parse_object (template_json, strlen (template_json), 1024 * 1024, error);
  if (object == NULL)
    return FALSE;

  omni_session_type_from_string (omni_json_get_string (object, "sessionType"), &type);
  engine_schedule_form_apply_type (form, type);
  set_string (&form->title, omni_json_get_string (object, "title"));
  set_string (&form->description, omni_json_get_string (object, "description"));
  set_string (&form->agenda, omni_json_get_string (object, "agenda"));
  form->max_participants = (int) CLAMP (omni_json_get_integer (object, "maxParticipants", form->max_participants),
                                        OMNI_SESSION_MIN_PARTICIPANTS, OMNI_SESSION_MAX_PARTICIPANTS);
  form->enable_recording = omni_json_get_boolean (object, "enableRecording", form->enable_recording);
  form->enable_screen_share = omni_json_get_boolean (object, "enableScreenShare", form->enable_screen_share);
  form->enable_chat = omni_json_get_boolean (object, "enableChat", form->enable_chat);
  form->waiting_room_enabled = omni_json_get_boolean (object, "waitingRoomEnabled", form->waiting_room_enabled);
  form->requires_approval = omni_json_get_boolean (object, "requiresApproval", form->requires_approval);
  form->weekly_count = (int) CLAMP (omni_json_get_integer (object, "weeklyCount", 1), 1, OMNI_SESSION_MAX_SERIES);
  minutes = CLAMP (omni_json_get_integer (object, "durationMinutes", 60), 5, 24 * 60);
  form->end_ms = form->start_ms + minutes * OMNI_MS_PER_MINUTE;

  g_free (form->allowed_domains);
  form->allowed_domains = NULL;
  array = omni_json_get_array (object, "allowedDomains");
  if (array != NULL)
    {
      g_autoptr(GString) domains = g_string_new (NULL);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          const char *d = json_array_get_string_element (array, i);
          if (d == NULL)
            continue;
          if (domains->len > 0)
            g_string_append (domains, ", ");
          g_string_append (domains, d);
        }
      form->allowed_domains = g_string_free (g_steal_pointer (&domains), FALSE);
    }

  g_ptr_array_set_size (form->invitees, 0);
  array = omni_json_get_array (object, "participants");
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *p;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      p = json_node_get_object (node);
      engine_schedule_form_add_invitee (form, omni_json_get_string (p, "name"),
                                        omni_json_get_string (p, "email"));
    }
  return TRUE;
}
