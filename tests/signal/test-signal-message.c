/* test-signal-message.c: the signaling message table and validator
 * (shared/omni-signal.c) — every inbound frame passes omni_signal_parse
 * before the relay looks at it, so its verdicts are tested one by one. */
#include "omni-signal.h"
#include "omni-error.h"

#include <string.h>

typedef struct {
  const char       *name;
  const char       *frame;
  OmniSignalSender  sender;
  const char       *code;    /* NULL: accepted */
  const char       *field;
} Case;

static const Case cases[] = {
  { "hello",                 "{\"type\":\"hello\",\"v\":1,\"role\":\"guest\",\"token\":\"t\"}", OMNI_SIGNAL_FROM_ANON, NULL, NULL },
  { "chat before hello",     "{\"type\":\"chat-send\",\"text\":\"hi\"}", OMNI_SIGNAL_FROM_ANON, "forbidden", "type" },
  { "second hello",          "{\"type\":\"hello\",\"v\":1,\"role\":\"guest\"}", OMNI_SIGNAL_FROM_GUEST, "forbidden", "type" },
  { "admit by host",         "{\"type\":\"admit\",\"id\":\"abc\"}", OMNI_SIGNAL_FROM_HOST, NULL, NULL },
  { "admit by guest",        "{\"type\":\"admit\",\"id\":\"abc\"}", OMNI_SIGNAL_FROM_GUEST, "forbidden", "type" },
  { "remove by guest",       "{\"type\":\"remove\",\"id\":\"abc\"}", OMNI_SIGNAL_FROM_GUEST, "forbidden", "type" },
  { "mute-all by guest",     "{\"type\":\"mute-all\"}", OMNI_SIGNAL_FROM_GUEST, "forbidden", "type" },
  { "offer by guest",        "{\"type\":\"offer\",\"sdp\":\"v=0\"}", OMNI_SIGNAL_FROM_GUEST, "forbidden", "type" },
  { "answer by host",        "{\"type\":\"answer\",\"sdp\":\"v=0\"}", OMNI_SIGNAL_FROM_HOST, "forbidden", "type" },
  { "media-restart by guest", "{\"type\":\"media-restart\"}", OMNI_SIGNAL_FROM_GUEST, NULL, NULL },
  { "media-restart by host", "{\"type\":\"media-restart\"}", OMNI_SIGNAL_FROM_HOST, "forbidden", "type" },
  { "media-restart extra",   "{\"type\":\"media-restart\",\"sdp\":\"v=0\"}", OMNI_SIGNAL_FROM_GUEST, "unknown_field", "sdp" },
  { "chat by watcher",       "{\"type\":\"chat-send\",\"text\":\"hi\"}", OMNI_SIGNAL_FROM_WATCH, "forbidden", "type" },
  { "ping by watcher",       "{\"type\":\"ping\",\"t\":5}", OMNI_SIGNAL_FROM_WATCH, NULL, NULL },
  { "relay message sent",    "{\"type\":\"roster\",\"participants\":[]}", OMNI_SIGNAL_FROM_GUEST, "forbidden", "type" },
  { "blank chat",            "{\"type\":\"chat-send\",\"text\":\"   \"}", OMNI_SIGNAL_FROM_GUEST, "invalid_field", "text" },
  { "chat not a string",     "{\"type\":\"chat-send\",\"text\":[]}", OMNI_SIGNAL_FROM_GUEST, "invalid_field", "text" },
  { "chat missing text",     "{\"type\":\"chat-send\"}", OMNI_SIGNAL_FROM_GUEST, "missing_field", "text" },
  { "unknown member",        "{\"type\":\"hand\",\"raised\":true,\"evil\":1}", OMNI_SIGNAL_FROM_GUEST, "unknown_field", "evil" },
  { "no type",               "{\"text\":\"hi\"}", OMNI_SIGNAL_FROM_GUEST, "missing_field", "type" },
  { "type not a string",     "{\"type\":5}", OMNI_SIGNAL_FROM_GUEST, "missing_field", "type" },
  { "unknown type",          "{\"type\":\"teleport\"}", OMNI_SIGNAL_FROM_GUEST, "invalid_field", "type" },
  { "array",                 "[]", OMNI_SIGNAL_FROM_GUEST, "invalid_json", NULL },
  { "not json",              "{type:chat}", OMNI_SIGNAL_FROM_GUEST, "invalid_json", NULL },
  { "empty",                 "", OMNI_SIGNAL_FROM_GUEST, "invalid_json", NULL },
  { "bad utf-8",             "{\"type\":\"chat-send\",\"text\":\"\xc3\x28\"}", OMNI_SIGNAL_FROM_GUEST, "invalid_json", NULL },
  { "end of candidates",     "{\"type\":\"ice\",\"candidate\":\"\",\"sdpMLineIndex\":0}", OMNI_SIGNAL_FROM_GUEST, NULL, NULL },
  { "m-line out of range",   "{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":300}", OMNI_SIGNAL_FROM_GUEST, "invalid_field", "sdpMLineIndex" },
  { "negative m-line",       "{\"type\":\"ice\",\"candidate\":\"c\",\"sdpMLineIndex\":-1}", OMNI_SIGNAL_FROM_GUEST, "invalid_field", "sdpMLineIndex" },
  { "media without cam",     "{\"type\":\"media\",\"mic\":true}", OMNI_SIGNAL_FROM_GUEST, "missing_field", "cam" },
  { "media as strings",      "{\"type\":\"media\",\"mic\":\"yes\",\"cam\":false}", OMNI_SIGNAL_FROM_GUEST, "invalid_field", "mic" },
  { "id too long",           "{\"type\":\"admit\",\"id\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}", OMNI_SIGNAL_FROM_HOST, "invalid_field", "id" },
};

static void
check_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *type = NULL;
  const OmniSignalDef *def = NULL;

  object = omni_signal_parse (c->frame, strlen (c->frame), c->sender, &def, &type, &error);
  if (c->code == NULL)
    {
      g_assert_no_error (error);
      g_assert_nonnull (object);
      g_assert_nonnull (def);
      return;
    }
  g_assert_null (object);
  g_assert_null (def);
  g_assert_error (error, OMNI_ERROR, error->code);
  g_assert_cmpstr (omni_error_wire_code (error), ==, c->code);
  g_assert_cmpstr (omni_error_get_field (error), ==, c->field);
}

static void
test_limits (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) deep = g_string_new ("{\"type\":\"chat-send\",\"text\":");
  g_autofree char *long_text = g_strnfill (OMNI_SIGNAL_MAX_CHAT_CHARS + 1, 'x');
  g_autofree char *long_chat = omni_signal_build_chat_send (long_text);
  g_autofree char *max_text = g_strnfill (OMNI_SIGNAL_MAX_CHAT_CHARS, 'x');
  g_autofree char *max_chat = omni_signal_build_chat_send (max_text);
  g_autofree char *huge = g_strnfill (OMNI_SIGNAL_MAX_MESSAGE_SIZE + 1, ' ');
  static const char nul[] = "{\"type\":\"ping\"}\0garbage";
  JsonObject *object;

  object = omni_signal_parse (long_chat, strlen (long_chat), OMNI_SIGNAL_FROM_GUEST, NULL, NULL, &error);
  g_assert_null (object);
  g_assert_cmpstr (omni_error_wire_code (error), ==, "invalid_field");
  g_clear_error (&error);

  object = omni_signal_parse (max_chat, strlen (max_chat), OMNI_SIGNAL_FROM_GUEST, NULL, NULL, &error);
  g_assert_no_error (error);
  json_object_unref (object);

  object = omni_signal_parse (huge, strlen (huge), OMNI_SIGNAL_FROM_GUEST, NULL, NULL, &error);
  g_assert_null (object);
  g_assert_cmpstr (omni_error_wire_code (error), ==, "payload_too_large");
  g_clear_error (&error);

  object = omni_signal_parse (nul, sizeof nul - 1, OMNI_SIGNAL_FROM_GUEST, NULL, NULL, &error);
  g_assert_null (object);
  g_assert_cmpstr (omni_error_wire_code (error), ==, "invalid_json");
  g_clear_error (&error);

  for (guint i = 0; i < 10000; i++)
    g_string_append_c (deep, '[');
  object = omni_signal_parse (deep->str, deep->len, OMNI_SIGNAL_FROM_GUEST, NULL, NULL, &error);
  g_assert_null (object);
  g_assert_cmpstr (omni_error_wire_code (error), ==, "invalid_json");
}

/* What the builders write, the validator accepts from the right sender. */
static void
test_builders (void)
{
  struct {
    char             *frame;
    OmniSignalSender  sender;
    OmniSignalKind    kind;
  } built[] = {
    { omni_signal_build_hello_host ("token", "session"), OMNI_SIGNAL_FROM_ANON, OMNI_SIGNAL_HELLO },
    { omni_signal_build_hello_guest ("token"), OMNI_SIGNAL_FROM_ANON, OMNI_SIGNAL_HELLO },
    { omni_signal_build_hello_watch ("link"), OMNI_SIGNAL_FROM_ANON, OMNI_SIGNAL_HELLO },
    { omni_signal_build_simple (OMNI_SIGNAL_LEAVE), OMNI_SIGNAL_FROM_GUEST, OMNI_SIGNAL_LEAVE },
    { omni_signal_build_simple (OMNI_SIGNAL_MUTE_ALL), OMNI_SIGNAL_FROM_HOST, OMNI_SIGNAL_MUTE_ALL },
    { omni_signal_build_target (OMNI_SIGNAL_ADMIT, "p1"), OMNI_SIGNAL_FROM_HOST, OMNI_SIGNAL_ADMIT },
    { omni_signal_build_target (OMNI_SIGNAL_MUTE, "p1"), OMNI_SIGNAL_FROM_HOST, OMNI_SIGNAL_MUTE },
    { omni_signal_build_chat_send ("<b>hi</b>"), OMNI_SIGNAL_FROM_GUEST, OMNI_SIGNAL_CHAT_SEND },
    { omni_signal_build_sdp (OMNI_SIGNAL_OFFER, "p1", "v=0"), OMNI_SIGNAL_FROM_HOST, OMNI_SIGNAL_OFFER },
    { omni_signal_build_sdp (OMNI_SIGNAL_ANSWER, NULL, "v=0"), OMNI_SIGNAL_FROM_GUEST, OMNI_SIGNAL_ANSWER },
    { omni_signal_build_ice ("p1", "candidate:1", "0", 0), OMNI_SIGNAL_FROM_HOST, OMNI_SIGNAL_ICE },
    { omni_signal_build_ice (NULL, "", NULL, 1), OMNI_SIGNAL_FROM_GUEST, OMNI_SIGNAL_ICE },
    { omni_signal_build_media (TRUE, FALSE, TRUE), OMNI_SIGNAL_FROM_GUEST, OMNI_SIGNAL_MEDIA },
    { omni_signal_build_hand (TRUE), OMNI_SIGNAL_FROM_GUEST, OMNI_SIGNAL_HAND },
    { omni_signal_build_recording_set (TRUE), OMNI_SIGNAL_FROM_HOST, OMNI_SIGNAL_RECORDING_SET },
  };

  for (guint i = 0; i < G_N_ELEMENTS (built); i++)
    {
      g_autoptr(GError) error = NULL;
      const OmniSignalDef *def = NULL;
      g_autoptr(JsonObject) object = omni_signal_parse (built[i].frame, strlen (built[i].frame),
                                                        built[i].sender, &def, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (object);
      g_assert_cmpint (def->kind, ==, built[i].kind);
      g_free (built[i].frame);
    }
}

/* The table is indexed by kind, each type is unique, and only relay messages
 * and client messages overlap where forwarding needs it (SDP, ICE). */
static void
test_table (void)
{
  for (guint i = 0; i < OMNI_SIGNAL_N_KINDS; i++)
    {
      const OmniSignalDef *def = omni_signal_def (i);

      g_assert_cmpint (def->kind, ==, i);
      g_assert_nonnull (def->type);
      g_assert_true (omni_signal_def_lookup (def->type) == def);
      g_assert_cmpuint (def->senders, !=, 0);
      for (guint f = 0; f < def->n_fields; f++)
        g_assert_cmpstr (def->fields[f].name, !=, "type");
    }
  g_assert_null (omni_signal_def_lookup ("no-such-type"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/signal/message/validate/%s", cases[i].name);
      g_test_add_data_func (path, &cases[i], check_case);
    }
  g_test_add_func ("/signal/message/limits", test_limits);
  g_test_add_func ("/signal/message/builders", test_builders);
  g_test_add_func ("/signal/message/table", test_table);
  return g_test_run ();
}
