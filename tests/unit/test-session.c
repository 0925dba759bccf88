/* test-session.c: session presets, create/update validation and the JSON codec. */
#include <string.h>

#include "omni-error.h"
#include "omni-json.h"
#include "omni-session.h"
#include "omni-time.h"

/* 2030-01-25T14:00:00Z: far enough ahead that no case is "in the past". */
#define NOW_MS G_GINT64_CONSTANT (1895580000000)

static JsonObject *
parse (const char *json)
{
  g_autoptr(GError) error = NULL;
  JsonObject *object = omni_json_parse_object (json, strlen (json), 1 << 20, &error);

  g_assert_no_error (error);
  return object;
}

static void
test_presets (void)
{
  static const struct { const char *type; int max; gboolean waiting; gboolean approval; gboolean recording; } cases[] = {
    { "support_call", 2,   FALSE, FALSE, TRUE },
    { "webinar",      100, TRUE,  FALSE, FALSE },
    { "training",     20,  FALSE, FALSE, FALSE },
    { "consultation", 5,   TRUE,  TRUE,  FALSE },
    { "demo",         10,  FALSE, FALSE, TRUE },
    { "meeting",      10,  FALSE, FALSE, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"title\":\"T\",\"sessionType\":\"%s\","
                                               "\"scheduledStartTime\":\"2030-01-25T15:00:00Z\"}", cases[i].type);
      g_autoptr(JsonObject) object = parse (json);
      g_autoptr(GError) error = NULL;
      g_autoptr(OmniSessionRequest) request = omni_session_request_new_create (object, NOW_MS, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (omni_session_type_to_string (request->session->type), ==, cases[i].type);
      g_assert_cmpint (request->session->max_participants, ==, cases[i].max);
      g_assert_cmpint (request->session->waiting_room_enabled, ==, cases[i].waiting);
      g_assert_cmpint (request->session->requires_approval, ==, cases[i].approval);
      g_assert_cmpint (request->session->enable_recording, ==, cases[i].recording);
      /* No end time: one hour. */
      g_assert_cmpint (request->session->scheduled_end - request->session->scheduled_start, ==, 3600000);
    }
}

static void
test_create_valid (void)
{
  g_autoptr(JsonObject) object = parse (
    "{\"title\":\"  Customer Support Call \",\"description\":\"Technical support session\","
    "\"sessionType\":\"support_call\",\"scheduledStartTime\":\"2030-01-25T14:00:00Z\","
    "\"scheduledEndTime\":\"2030-01-25T15:00:00Z\",\"participants\":[{\"email\":\"Customer@Example.COM\","
    "\"name\":\"John Doe\"},{\"email\":\"jane@example.com\"}],\"maxParticipants\":3,\"enableRecording\":false,"
    "\"allowedDomains\":[\"@Example.com\"],\"password\":\"secure123\",\"recurrence\":{\"frequency\":\"weekly\",\"count\":4}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(OmniSessionRequest) request = omni_session_request_new_create (object, NOW_MS, &error);
  OmniInvitee *first, *second;

  g_assert_no_error (error);
  g_assert_cmpstr (request->session->title, ==, "Customer Support Call");
  g_assert_cmpint (request->session->max_participants, ==, 3);
  g_assert_false (request->session->enable_recording);
  g_assert_cmpstr (request->password, ==, "secure123");
  g_assert_cmpstr (request->session->allowed_domains[0], ==, "example.com");
  g_assert_cmpint (request->recurrence_count, ==, 4);
  g_assert_cmpuint (request->invitees->len, ==, 2);
  first = g_ptr_array_index (request->invitees, 0);
  second = g_ptr_array_index (request->invitees, 1);
  g_assert_cmpstr (first->email, ==, "Customer@example.com");
  g_assert_cmpstr (first->name, ==, "John Doe");
  g_assert_cmpstr (second->name, ==, "jane");
}

static void
test_create_invalid (void)
{
  static const struct { const char *json; int code; const char *field; } cases[] = {
    { "{}", OMNI_ERROR_MISSING_FIELD, "title" },
    { "{\"title\":\"T\"}", OMNI_ERROR_MISSING_FIELD, "scheduledStartTime" },
    { "{\"title\":\"\",\"scheduledStartTime\":\"2030-01-25T15:00:00Z\"}", OMNI_ERROR_INVALID_FIELD, "title" },
    { "{\"title\":\"T\",\"scheduledStartTime\":\"soon\"}", OMNI_ERROR_INVALID_FIELD, "scheduledStartTime" },
    { "{\"title\":\"T\",\"scheduledStartTime\":\"2030-01-25T15:00:00\"}", OMNI_ERROR_INVALID_FIELD, "scheduledStartTime" },
    { "{\"title\":\"T\",\"scheduledStartTime\":\"2030-01-25T15:00:00Z\",\"scheduledEndTime\":\"2030-01-25T14:00:00Z\"}",
      OMNI_ERROR_INVALID_FIELD, "scheduledEndTime" },
    { "{\"title\":\"T\",\"scheduledStartTime\":\"2030-01-25T15:00:00Z\",\"scheduledEndTime\":\"2030-01-27T15:00:00Z\"}",
      OMNI_ERROR_INVALID_FIELD, "scheduledEndTime" },
    { "{\"title\":\"T\",\"scheduledStartTime\":\"2020-01-25T15:00:00Z\",\"scheduledEndTime\":\"2020-01-25T16:00:00Z\"}",
      OMNI_ERROR_INVALID_FIELD, "scheduledEndTime" },
    { "{\"title\":\"T\",\"sessionType\":\"party\",\"scheduledStartTime\":\"2030-01-25T15:00:00Z\"}",
      OMNI_ERROR_INVALID_FIELD, "sessionType" },
    { "{\"title\":\"T\",\"maxParticipants\":101,\"scheduledStartTime\":\"2030-01-25T15:00:00Z\"}",
      OMNI_ERROR_INVALID_FIELD, "maxParticipants" },
    { "{\"title\":\"T\",\"maxParticipants\":1,\"scheduledStartTime\":\"2030-01-25T15:00:00Z\"}",
      OMNI_ERROR_INVALID_FIELD, "maxParticipants" },
    { "{\"title\":\"T\",\"scheduledStartTime\":\"2030-01-25T15:00:00Z\",\"participants\":[{\"email\":\"nope\"}]}",
      OMNI_ERROR_INVALID_FIELD, "participants[0].email" },
    { "{\"title\":\"T\",\"scheduledStartTime\":\"2030-01-25T15:00:00Z\",\"participants\":[{\"name\":\"x\"}]}",
      OMNI_ERROR_MISSING_FIELD, "participants[0].email" },
    { "{\"title\":\"T\",\"scheduledStartTime\":\"2030-01-25T15:00:00Z\",\"participants\":[\"a@b.co\"]}",
      OMNI_ERROR_INVALID_FIELD, "participants[0]" },
    { "{\"title\":\"T\",\"scheduledStartTime\":\"2030-01-25T15:00:00Z\",\"participants\":[{\"email\":\"a@b.co\"},{\"email\":\"A@B.CO\"}]}",
      OMNI_ERROR_INVALID_FIELD, "participants[1].email" },
    { "{\"title\":\"T\",\"scheduledStartTime\":\"2030-01-25T15:00:00Z\",\"password\":\"abc\"}",
      OMNI_ERROR_INVALID_FIELD, "password" },
    { "{\"title\":\"T\",\"scheduledStartTime\":\"2030-01-25T15:00:00Z\",\"allowedDomains\":[\"not a domain\"]}",
      OMNI_ERROR_INVALID_FIELD, "allowedDomains[0]" },
    { "{\"title\":\"T\",\"scheduledStartTime\":\"2030-01-25T15:00:00Z\",\"allowedDomains\":[\"x.com\"],"
      "\"participants\":[{\"email\":\"a@y.com\"}]}", OMNI_ERROR_INVALID_FIELD, "participants[0].email" },
    { "{\"title\":\"T\",\"scheduledStartTime\":\"2030-01-25T15:00:00Z\",\"recurrence\":{\"frequency\":\"daily\",\"count\":3}}",
      OMNI_ERROR_INVALID_FIELD, "recurrence.frequency" },
    { "{\"title\":\"T\",\"scheduledStartTime\":\"2030-01-25T15:00:00Z\",\"recurrence\":{\"frequency\":\"weekly\",\"count\":53}}",
      OMNI_ERROR_INVALID_FIELD, "recurrence.count" },
    { "{\"title\":\"T\",\"scheduledStartTime\":\"2030-01-25T15:00:00Z\",\"enableChat\":\"true\"}",
      OMNI_ERROR_INVALID_FIELD, "enableChat" },
    { "{\"title\":\"T\",\"scheduledStartTime\":\"2030-01-25T15:00:00Z\",\"colour\":\"red\"}",
      OMNI_ERROR_UNKNOWN_FIELD, "colour" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) object = parse (cases[i].json);
      g_autoptr(GError) error = NULL;
      g_autoptr(OmniSessionRequest) request = omni_session_request_new_create (object, NOW_MS, &error);

      if (request != NULL || error == NULL || error->code != cases[i].code ||
          g_strcmp0 (omni_error_get_field (error), cases[i].field) != 0)
        g_error ("case %u (%s): expected code %d field %s, got %s (field %s)", i, cases[i].json,
                 cases[i].code, cases[i].field, error ? error->message : "success",
                 error ? omni_error_get_field (error) : "-");
    }
}

static void
test_update (void)
{
  g_autoptr(OmniSession) current = omni_session_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) ok = parse ("{\"title\":\"New\",\"scheduledEndTime\":\"2030-01-25T17:00:00Z\",\"password\":\"\"}");
  g_autoptr(JsonObject) bad_end = parse ("{\"scheduledEndTime\":\"2030-01-25T14:30:00Z\"}");
  g_autoptr(JsonObject) empty = parse ("{}");
  g_autoptr(OmniSessionRequest) update = NULL;

  current->title = g_strdup ("Old");
  current->scheduled_start = NOW_MS + OMNI_MS_PER_HOUR;       /* 15:00 */
  current->scheduled_end = NOW_MS + 2 * OMNI_MS_PER_HOUR;     /* 16:00 */
  current->has_password = TRUE;

  update = omni_session_request_new_update (ok, current, NOW_MS, &error);
  g_assert_no_error (error);
  omni_session_apply_update (current, update);
  g_assert_cmpstr (current->title, ==, "New");
  g_assert_cmpint (current->scheduled_end, ==, NOW_MS + 3 * OMNI_MS_PER_HOUR);
  g_assert_false (current->has_password);

  g_assert_null (omni_session_request_new_update (bad_end, current, NOW_MS, &error));
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_INVALID_FIELD);
  g_assert_cmpstr (omni_error_get_field (error), ==, "scheduledEndTime");
  g_clear_error (&error);

  g_assert_null (omni_session_request_new_update (empty, current, NOW_MS, &error));
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_INVALID_JSON);
  g_clear_error (&error);

  current->status = OMNI_SESSION_STATUS_LIVE;
  g_assert_null (omni_session_request_new_update (ok, current, NOW_MS, &error));
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_INVALID_STATE);
}

static void
test_codec_roundtrip (void)
{
  g_autoptr(OmniSession) session = omni_session_new ();
  g_autoptr(OmniSession) decoded = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  OmniParticipant *p = omni_participant_new ();
  OmniParticipant *q;
  JsonObject *object;

  session->id = g_strdup ("abc");
  session->title = g_strdup ("Product Demo <b> \"quoted\"\n\x01");
  session->type = OMNI_SESSION_TYPE_DEMO;
  session->status = OMNI_SESSION_STATUS_ENDED;
  session->scheduled_start = NOW_MS;
  session->scheduled_end = NOW_MS + OMNI_MS_PER_HOUR;
  session->actual_start = NOW_MS + 1000;
  session->actual_end = NOW_MS + 3601000;
  session->access_link = g_strdup ("LINK");
  session->peak_participants = 45;
  session->allowed_domains = g_strsplit ("a.com b.org", " ", -1);
  p->id = g_strdup ("p1");
  p->name = g_strdup ("John Doe");
  p->email = g_strdup ("john@example.com");
  p->state = g_strdup ("left");
  p->joined_at = NOW_MS + 360000;
  p->left_at = NOW_MS + 3780000;
  p->duration_ms = 3420000;
  g_ptr_array_add (session->participants, p);

  root = omni_session_to_json_node (session, "https://live.example.com/", NOW_MS);
  object = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (object, "joinUrl"), ==, "https://live.example.com/session/join/LINK");
  g_assert_cmpint (json_object_get_int_member (object, "totalDuration"), ==, 3600);
  g_assert_cmpint (json_object_get_int_member (object, "peakParticipants"), ==, 45);

  decoded = omni_session_new_from_json (object, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (decoded->title, ==, session->title);
  g_assert_cmpint (decoded->type, ==, OMNI_SESSION_TYPE_DEMO);
  g_assert_cmpint (decoded->status, ==, OMNI_SESSION_STATUS_ENDED);
  g_assert_cmpint (decoded->actual_end, ==, session->actual_end);
  g_assert_cmpstr (decoded->allowed_domains[1], ==, "b.org");
  q = g_ptr_array_index (decoded->participants, 0);
  g_assert_cmpstr (q->email, ==, "john@example.com");
  g_assert_cmpint (q->duration_ms, ==, 3420000);
  g_assert_cmpint (q->joined_at, ==, p->joined_at);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/shared/session/presets", test_presets);
  g_test_add_func ("/shared/session/create-valid", test_create_valid);
  g_test_add_func ("/shared/session/create-invalid", test_create_invalid);
  g_test_add_func ("/shared/session/update", test_update);
  g_test_add_func ("/shared/session/codec-roundtrip", test_codec_roundtrip);

  return g_test_run ();
}
