/* test-mail-template.c: the template renderer (values, escaping, sections,
 * standalone lines, malformed input and limits) and the message pieces built
 * without a server: RFC 2047 headers, quoted-printable, RFC 5545 folding. */
#include "relay-mail-message.h"
#include "relay-mail-template.h"
#include "omni-error.h"

#include <string.h>

static JsonObject *
make_context (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser,
                              "{\"title\":\"<b>Tom & Jerry's \\\"show\\\"</b>\",\"count\":3,\"yes\":true,"
                              "\"no\":false,\"empty\":\"\",\"list\":[{\"when\":\"Mon\"},{\"when\":\"Tue\"}],"
                              "\"none\":[],\"obj\":{\"inner\":\"in\"}}", -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static char *
render (const char      *text,
        RelayMailEscape  escape,
        GError         **error)
{
  g_autoptr(JsonObject) context = make_context ();
  return relay_mail_template_render (text, strlen (text), context, escape, error);
}

static void
test_values_and_escaping (void)
{
  static const struct {
    const char      *template;
    RelayMailEscape  escape;
    const char      *expected;
  } cases[] = {
    { "Hi {{title}}!", RELAY_MAIL_ESCAPE_NONE, "Hi <b>Tom & Jerry's \"show\"</b>!" },
    { "Hi {{title}}!", RELAY_MAIL_ESCAPE_HTML, "Hi &lt;b&gt;Tom &amp; Jerry&#39;s &quot;show&quot;&lt;/b&gt;!" },
    { "{{{title}}}", RELAY_MAIL_ESCAPE_HTML, "<b>Tom & Jerry's \"show\"</b>" },
    { "{{ count }}/{{yes}}/{{unknown}}.", RELAY_MAIL_ESCAPE_NONE, "3/true/." },
    { "a{{! a comment }}b", RELAY_MAIL_ESCAPE_NONE, "ab" },
    { "{{#yes}}Y{{/yes}}{{#no}}N{{/no}}{{^no}}n{{/no}}{{#empty}}E{{/empty}}{{^empty}}e{{/empty}}",
      RELAY_MAIL_ESCAPE_NONE, "Yne" },
    { "{{#list}}[{{when}}{{title.x}}]{{/list}}{{#none}}X{{/none}}{{^none}}-{{/none}}", RELAY_MAIL_ESCAPE_NONE,
      "[Mon][Tue]-" },
    { "{{#obj}}{{inner}}{{count}}{{/obj}}", RELAY_MAIL_ESCAPE_NONE, "in3" },
    /* Template text is markup; only values are escaped. */
    { "{{#list}}{{#yes}}<i>{{when}}</i>{{/yes}}{{/list}}", RELAY_MAIL_ESCAPE_HTML, "<i>Mon</i><i>Tue</i>" },
    /* Standalone section lines leave no blank lines behind. */
    { "a\n{{#yes}}\nb\n{{/yes}}\n{{#no}}\nc\n{{/no}}\nd\n", RELAY_MAIL_ESCAPE_NONE, "a\nb\nd\n" },
    { "a\n  {{! note }}  \nb", RELAY_MAIL_ESCAPE_NONE, "a\nb" },
    { "x {{#yes}}y{{/yes}} z\n", RELAY_MAIL_ESCAPE_NONE, "x y z\n" },
    { "single { brace } and }}", RELAY_MAIL_ESCAPE_NONE, "single { brace } and }}" },
    { "", RELAY_MAIL_ESCAPE_NONE, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *out = render (cases[i].template, cases[i].escape, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, cases[i].expected);
    }
}

static void
test_malformed (void)
{
  static const char * const cases[] = {
    "{{title",
    "{{#yes}}never closed",
    "{{/yes}}",
    "{{#yes}}{{/no}}",
    "{{}}",
    "{{bad name}}",
    "{{{title}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *out = render (cases[i], RELAY_MAIL_ESCAPE_HTML, &error);

      g_assert_null (out);
      g_assert_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG);
    }
}

static void
test_limits (void)
{
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GString) big = g_string_new (NULL);
  g_autoptr(GString) loops = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonObject) context = make_context ();
  g_autofree char *too_large = g_strnfill (RELAY_MAIL_TEMPLATE_MAX_SIZE + 1, 'x');

  for (int i = 0; i < RELAY_MAIL_TEMPLATE_MAX_DEPTH + 1; i++)
    g_string_append (deep, "{{#yes}}");
  for (int i = 0; i < RELAY_MAIL_TEMPLATE_MAX_DEPTH + 1; i++)
    g_string_append (deep, "{{/yes}}");
  out = render (deep->str, RELAY_MAIL_ESCAPE_NONE, &error);
  g_assert_null (out);
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG);
  g_clear_error (&error);

  out = relay_mail_template_render (too_large, strlen (too_large), context, RELAY_MAIL_ESCAPE_NONE, &error);
  g_assert_null (out);
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG);
  g_clear_error (&error);

  /* Output is bounded even when a small template repeats a lot. */
  g_string_append (big, "{{#list}}{{#list}}{{#list}}{{#list}}{{#list}}{{#list}}");
  for (int i = 0; i < 2000; i++)
    g_string_append (big, "{{title}}");
  g_string_append (big, "{{/list}}{{/list}}{{/list}}{{/list}}{{/list}}{{/list}}");
  out = render (big->str, RELAY_MAIL_ESCAPE_HTML, &error);
  g_assert_null (out);
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG);
  g_clear_error (&error);

  /* And so is work that writes nothing. */
  for (int i = 0; i < 7; i++)
    g_string_append (loops, "{{#list}}");
  for (int i = 0; i < 3000; i++)
    g_string_append (loops, "{{! nothing }}");
  for (int i = 0; i < 7; i++)
    g_string_append (loops, "{{/list}}");
  out = render (loops->str, RELAY_MAIL_ESCAPE_NONE, &error);
  g_assert_null (out);
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG);
}

static void
test_headers (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;
  g_autofree char *date = relay_mail_format_date (G_GINT64_CONSTANT (1737799200000));

  g_assert_cmpstr (date, ==, "Sat, 25 Jan 2025 10:00:00 +0000");

  relay_mail_append_header (out, "Subject", "Invitation: Product\r\nBcc: evil@example.com");
  g_assert_cmpstr (out->str, ==, "Subject: Invitation: Product Bcc: evil@example.com\r\n");
  g_string_truncate (out, 0);

  relay_mail_append_header (out, "Subject", "Einladung: Grüße aus Köln — und noch viel mehr Text, "
                                            "der über eine Zeile hinausgeht");
  g_assert_true (g_str_has_prefix (out->str, "Subject: =?UTF-8?B?"));
  lines = g_strsplit (out->str, "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_assert_cmpuint (strlen (lines[i]), <=, 78);
      if (i > 0 && lines[i][0] != '\0')
        g_assert_true (g_str_has_prefix (lines[i], " =?UTF-8?B?"));
    }
  g_string_truncate (out, 0);

  relay_mail_append_header (out, "Subject", "A plain ascii subject that is long enough that it has to be folded "
                                            "somewhere before the limit");
  g_clear_pointer (&lines, g_strfreev);
  lines = g_strsplit (out->str, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_true (lines[1][0] == ' ');
  g_string_truncate (out, 0);

  relay_mail_append_address_header (out, "To", "Doe, \"Jane\"", "jane@example.com");
  g_assert_cmpstr (out->str, ==, "To: \"Doe, \\\"Jane\\\"\" <jane@example.com>\r\n");
}

static void
test_quoted_printable (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *long_line = g_strnfill (200, 'a');
  g_auto(GStrv) lines = NULL;

  relay_mail_append_quoted_printable (out, "caf\xc3\xa9 = 1 \nend ");
  g_assert_cmpstr (out->str, ==, "caf=C3=A9 =3D 1=20\r\nend=20\r\n");
  g_string_truncate (out, 0);

  relay_mail_append_quoted_printable (out, long_line);
  lines = g_strsplit (out->str, "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    g_assert_cmpuint (strlen (lines[i]), <=, 76);
}

static void
test_ics_folding_and_escaping (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *ics = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser,
                              "{\"uid\":\"abc@example.com\",\"sequence\":2,\"start\":1737799200000,\"end\":1737802800000,"
                              "\"title\":\"Q&A; part 1, \\\\ more — très long title that needs folding because of its length\","
                              "\"description\":\"line1\\nline2\",\"joinUrl\":\"https://example.com/session/join/x\","
                              "\"hostName\":\"Ho\\\"st\",\"hostEmail\":\"host@example.com\",\"recipientName\":\"Ann\","
                              "\"recipientEmail\":\"ann@example.com\"}", -1, &error);
  g_assert_no_error (error);
  ics = relay_mail_ics_build (json_node_get_object (json_parser_get_root (parser)), "REQUEST", 1737000000000);

  g_assert_nonnull (strstr (ics, "\r\nDTSTART:20250125T100000Z\r\n"));
  g_assert_nonnull (strstr (ics, "\r\nSEQUENCE:2\r\n"));
  g_assert_nonnull (strstr (ics, "SUMMARY:Q&A\\; part 1\\, \\\\ more"));
  g_assert_nonnull (strstr (ics, "DESCRIPTION:line1\\nline2\\n\\nJoin: https://example.com/session/join/x"));
  g_assert_nonnull (strstr (ics, "ORGANIZER;CN=\"Host\":mailto:host@example.com"));
  lines = g_strsplit (ics, "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_assert_cmpuint (strlen (lines[i]), <=, 75);
      g_assert_true (g_utf8_validate (lines[i], -1, NULL));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/relay/mail/template/values", test_values_and_escaping);
  g_test_add_func ("/relay/mail/template/malformed", test_malformed);
  g_test_add_func ("/relay/mail/template/limits", test_limits);
  g_test_add_func ("/relay/mail/message/headers", test_headers);
  g_test_add_func ("/relay/mail/message/quoted-printable", test_quoted_printable);
  g_test_add_func ("/relay/mail/ics/folding", test_ics_folding_and_escaping);
  return g_test_run ();
}
