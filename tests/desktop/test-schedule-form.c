/* test-schedule-form.c: the Schedule Session form as plain data: invitee
 * parsing and flags, type presets, validation (the relay's own rules),
 * the request JSON and templates. */
#include "omni-error.h"
#include "omni-json.h"
#include "omni-time.h"

#include "engine-schedule-form.h"

#define NOW_MS (G_GINT64_CONSTANT (1737813600000)) /* 2025-01-25T14:00:00Z */

static void
test_parse_line (void)
{
  static const struct { const char *line; gboolean ok; const char *name; const char *email; } cases[] = {
    { "Jane Doe <jane@example.com>", TRUE, "Jane Doe", "jane@example.com" },
    { "  <bob@example.org>  ", TRUE, "", "bob@example.org" },
    { "carol@example.net", TRUE, "", "carol@example.net" },
    { "\"Doe, John\" <john@example.com>", TRUE, "Doe, John", "john@example.com" },
    { "Broken <no-at-sign>", TRUE, "Broken", "no-at-sign" },
    { "   ", FALSE, NULL, NULL },
    { "", FALSE, NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = NULL;
      g_autofree char *email = NULL;

      g_assert_cmpint (engine_parse_invitee_line (cases[i].line, &name, &email), ==, cases[i].ok);
      g_assert_cmpstr (name, ==, cases[i].name);
      g_assert_cmpstr (email, ==, cases[i].email);
    }
}

static void
test_invitee_flags (void)
{
  g_autoptr(EngineScheduleForm) form = engine_schedule_form_new (NOW_MS);
  guint added;

  added = engine_schedule_form_add_invitee_list (form,
                                                 "Jane Doe <jane@example.com>\n"
                                                 "bob@example.org\n"
                                                 "\n"
                                                 "Not An Address <nope>\n"
                                                 "JANE again <Jane@Example.com>; Carol <carol@partner.net>");
  g_assert_cmpuint (added, ==, 5);
  g_assert_cmpuint (form->invitees->len, ==, 5);
#define PROBLEM(i) (((EngineFormInvitee *) g_ptr_array_index (form->invitees, (i)))->problem)
  g_assert_cmpint (PROBLEM (0), ==, ENGINE_INVITEE_OK);
  g_assert_cmpint (PROBLEM (1), ==, ENGINE_INVITEE_OK);
  g_assert_cmpint (PROBLEM (2), ==, ENGINE_INVITEE_INVALID);
  g_assert_cmpint (PROBLEM (3), ==, ENGINE_INVITEE_DUPLICATE);
  g_assert_cmpint (PROBLEM (4), ==, ENGINE_INVITEE_OK);

  /* Domains restrict who may be invited. */
  form->allowed_domains = g_strdup ("example.com, @example.org");
  g_assert_cmpuint (engine_schedule_form_check_invitees (form), ==, 3);
  g_assert_cmpint (PROBLEM (4), ==, ENGINE_INVITEE_DOMAIN_NOT_ALLOWED);

  /* Removing the first Jane makes the second one fine. */
  engine_schedule_form_remove_invitee (form, 0);
  g_assert_cmpint (PROBLEM (2), ==, ENGINE_INVITEE_OK);
  g_assert_cmpint (engine_schedule_form_add_invitee (form, "Bob", "bob@example.org"), ==, ENGINE_INVITEE_DUPLICATE);
#undef PROBLEM
}

static void
test_presets (void)
{
  g_autoptr(EngineScheduleForm) form = engine_schedule_form_new (NOW_MS);

  /* New forms are meetings starting at the next full hour, one hour long. */
  g_assert_cmpint (form->type, ==, OMNI_SESSION_TYPE_MEETING);
  g_assert_cmpint (form->start_ms, ==, NOW_MS + OMNI_MS_PER_HOUR);
  g_assert_cmpint (form->end_ms - form->start_ms, ==, OMNI_MS_PER_HOUR);

  for (int type = 0; type < OMNI_SESSION_N_TYPES; type++)
    {
      const OmniSessionPreset *preset = omni_session_type_get_preset (type);

      engine_schedule_form_apply_type (form, type);
      g_assert_cmpint (form->type, ==, type);
      g_assert_cmpint (form->max_participants, ==, preset->max_participants);
      g_assert_cmpint (form->waiting_room_enabled, ==, preset->waiting_room_enabled);
      g_assert_cmpint (form->requires_approval, ==, preset->requires_approval);
      g_assert_cmpint (form->enable_recording, ==, preset->enable_recording);
      g_assert_cmpint (form->enable_screen_share, ==, preset->enable_screen_share);
      g_assert_cmpint (form->enable_chat, ==, preset->enable_chat);
    }

  /* The seed's table, spot-checked. */
  engine_schedule_form_apply_type (form, OMNI_SESSION_TYPE_WEBINAR);
  g_assert_cmpint (form->max_participants, ==, 100);
  g_assert_true (form->waiting_room_enabled);
  engine_schedule_form_apply_type (form, OMNI_SESSION_TYPE_SUPPORT_CALL);
  g_assert_cmpint (form->max_participants, ==, 2);
  g_assert_true (form->enable_recording);
  engine_schedule_form_apply_type (form, OMNI_SESSION_TYPE_CONSULTATION);
  g_assert_true (form->requires_approval);
}

static EngineScheduleForm *
valid_form (void)
{
  EngineScheduleForm *form = engine_schedule_form_new (NOW_MS);

  g_free (form->title);
  form->title = g_strdup ("Product Demo");
  form->description = g_strdup ("Live demo of our new features");
  form->agenda = g_strdup ("1. Introduction\n2. Features\n3. Q&A");
  engine_schedule_form_apply_type (form, OMNI_SESSION_TYPE_DEMO);
  engine_schedule_form_add_invitee (form, "John Doe", "customer@example.com");
  return form;
}

static void
test_validation (void)
{
  static const struct {
    const char *name;
    const char *field;
  } cases[] = {
    { "no-title", "title" },
    { "end-before-start", "scheduledEndTime" },
    { "too-long", "scheduledEndTime" },
    { "in-the-past", "scheduledEndTime" },
    { "invalid-invitee", "participants[1].email" },
    { "duplicate-invitee", "participants[1].email" },
    { "bad-domain", "allowedDomains[0]" },
    { "short-password", "password" },
    { "max-too-high", "maxParticipants" },
    { "outside-domain", "participants[0].email" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EngineScheduleForm) form = valid_form ();
      g_autoptr(GError) error = NULL;

      switch (i)
        {
        case 0: g_free (form->title); form->title = g_strdup ("   "); break;
        case 1: form->end_ms = form->start_ms - OMNI_MS_PER_MINUTE; break;
        case 2: form->end_ms = form->start_ms + 25 * OMNI_MS_PER_HOUR; break;
        case 3: form->start_ms = NOW_MS - 2 * OMNI_MS_PER_HOUR; form->end_ms = NOW_MS - OMNI_MS_PER_HOUR; break;
        case 4: engine_schedule_form_add_invitee (form, "X", "x@@example.com"); break;
        case 5: engine_schedule_form_add_invitee (form, "Y", "Customer@EXAMPLE.com"); break;
        case 6: form->allowed_domains = g_strdup ("not a domain!"); break;
        case 7: form->password = g_strdup ("abc"); break;
        case 8: form->max_participants = 101; break;
        case 9: form->allowed_domains = g_strdup ("partner.org"); break;
        default: g_assert_not_reached ();
        }

      g_test_message ("case %s", cases[i].name);
      g_assert_false (engine_schedule_form_validate (form, NOW_MS, &error));
      g_assert_error (error, OMNI_ERROR, error->code);
      g_assert_cmpstr (omni_error_get_field (error), ==, cases[i].field);
      g_assert_cmpstr (error->message, !=, "");
    }
}

static void
test_request_json (void)
{
  g_autoptr(EngineScheduleForm) form = valid_form ();
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(OmniSessionRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *recurrence;

  form->password = g_strdup ("secure123");
  form->allowed_domains = g_strdup ("example.com");
  form->weekly_count = 4;
  form->waiting_room_enabled = TRUE;
  g_assert_true (engine_schedule_form_validate (form, NOW_MS, &error));
  g_assert_no_error (error);

  object = engine_schedule_form_to_json (form);
  g_assert_cmpstr (omni_json_get_string (object, "title"), ==, "Product Demo");
  g_assert_cmpstr (omni_json_get_string (object, "sessionType"), ==, "demo");
  g_assert_cmpstr (omni_json_get_string (object, "scheduledStartTime"), ==, "2025-01-25T15:00:00.000Z");
  g_assert_cmpstr (omni_json_get_string (object, "scheduledEndTime"), ==, "2025-01-25T16:00:00.000Z");
  g_assert_cmpint (omni_json_get_integer (object, "maxParticipants", 0), ==, 10);
  g_assert_cmpstr (omni_json_get_string (object, "password"), ==, "secure123");
  recurrence = json_object_get_object_member (object, "recurrence");
  g_assert_cmpstr (omni_json_get_string (recurrence, "frequency"), ==, "weekly");
  g_assert_cmpint (omni_json_get_integer (recurrence, "count", 0), ==, 4);

  /* What the relay will do with it. */
  request = omni_session_request_new_create (object, NOW_MS, &error);
  g_assert_no_error (error);
  g_assert_cmpint (request->recurrence_count, ==, 4);
  g_assert_true (request->session->waiting_room_enabled);
  g_assert_true (request->session->enable_recording);
  g_assert_cmpuint (request->invitees->len, ==, 1);
  g_assert_cmpstr (((OmniInvitee *) request->invitees->pdata[0])->name, ==, "John Doe");
  g_assert_cmpstr (request->session->allowed_domains[0], ==, "example.com");

  /* No password, no recurrence: the members are left out. */
  g_clear_pointer (&object, json_object_unref);
  g_free (form->password);
  form->password = g_strdup ("");
  form->weekly_count = 1;
  object = engine_schedule_form_to_json (form);
  g_assert_false (json_object_has_member (object, "password"));
  g_assert_false (json_object_has_member (object, "recurrence"));
}

static void
test_template_round_trip (void)
{
  g_autoptr(EngineScheduleForm) form = valid_form ();
  g_autoptr(EngineScheduleForm) other = engine_schedule_form_new (NOW_MS + 7 * 24 * OMNI_MS_PER_HOUR);
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;

  form->end_ms = form->start_ms + 45 * OMNI_MS_PER_MINUTE;
  form->weekly_count = 3;
  form->allowed_domains = g_strdup ("example.com");
  form->enable_chat = FALSE;
  json = engine_schedule_form_to_template (form);
  g_assert_true (engine_schedule_form_apply_template (other, json, &error));
  g_assert_no_error (error);

  g_assert_cmpstr (other->title, ==, "Product Demo");
  g_assert_cmpstr (other->agenda, ==, form->agenda);
  g_assert_cmpint (other->type, ==, OMNI_SESSION_TYPE_DEMO);
  g_assert_cmpint (other->end_ms - other->start_ms, ==, 45 * OMNI_MS_PER_MINUTE);
  g_assert_cmpint (other->start_ms, ==, NOW_MS + 7 * 24 * OMNI_MS_PER_HOUR + OMNI_MS_PER_HOUR);
  g_assert_cmpint (other->weekly_count, ==, 3);
  g_assert_false (other->enable_chat);
  g_assert_cmpstr (other->allowed_domains, ==, "example.com");
  g_assert_cmpuint (other->invitees->len, ==, 1);

  g_assert_false (engine_schedule_form_apply_template (other, "{not json", &error));
  g_assert_nonnull (error);
}

static void
test_from_session (void)
{
  g_autoptr(OmniSession) session = omni_session_new ();
  g_autoptr(EngineScheduleForm) form = NULL;
  g_autoptr(JsonObject) update = NULL;
  OmniParticipant *p = omni_participant_new ();

  session->title = g_strdup ("Weekly training");
  session->type = OMNI_SESSION_TYPE_TRAINING;
  session->scheduled_start = NOW_MS + OMNI_MS_PER_HOUR;
  session->scheduled_end = NOW_MS + 2 * OMNI_MS_PER_HOUR;
  session->max_participants = 20;
  session->enable_screen_share = TRUE;
  session->allowed_domains = g_strsplit ("example.com,example.org", ",", -1);
  p->email = g_strdup ("t@example.com");
  p->name = g_strdup ("Trainee");
  p->invited = TRUE;
  g_ptr_array_add (session->participants, p);

  form = engine_schedule_form_new_from_session (session);
  g_assert_cmpstr (form->title, ==, "Weekly training");
  g_assert_cmpint (form->max_participants, ==, 20);
  g_assert_cmpstr (form->allowed_domains, ==, "example.com, example.org");
  g_assert_cmpuint (form->invitees->len, ==, 1);

  update = engine_schedule_form_to_update_json (form);
  g_assert_false (json_object_has_member (update, "participants"));
  g_assert_false (json_object_has_member (update, "password"));
  g_assert_cmpstr (omni_json_get_string (update, "sessionType"), ==, "training");
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LANGUAGE", "C", TRUE);
  g_setenv ("TZ", "UTC", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/desktop/schedule-form/parse-line", test_parse_line);
  g_test_add_func ("/desktop/schedule-form/invitee-flags", test_invitee_flags);
  g_test_add_func ("/desktop/schedule-form/presets", test_presets);
  g_test_add_func ("/desktop/schedule-form/validation", test_validation);
  g_test_add_func ("/desktop/schedule-form/request-json", test_request_json);
  g_test_add_func ("/desktop/schedule-form/template-round-trip", test_template_round_trip);
  g_test_add_func ("/desktop/schedule-form/from-session", test_from_session);

  return g_test_run ();
}
