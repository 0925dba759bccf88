/* fuzz-mail-template.c: libFuzzer target for the mail template renderer —
 * templates come from admins' override files, so the renderer must reject or
 * render any bytes within its size, depth, step and output bounds. */
#include "relay-mail-template.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define EVIL_TITLE "<script>alert(1)</script>"

/* The fuzzing context; with @evil, its title is markup. */
static JsonObject *
fuzz_context (gboolean evil)
{
  static JsonObject *contexts[2];

  if (contexts[evil] == NULL)
    {
      JsonParser *parser = json_parser_new ();
      g_autofree char *text = g_strdup_printf (
        "{\"title\":\"%s & 'q' \\\"d\\\"\",\"n\":42,\"t\":true,"
        "\"f\":false,\"e\":\"\",\"series\":[{\"when\":\"a\",\"joinUrl\":\"u\"},"
        "{\"when\":\"b\",\"series\":[1,2,3]}],\"o\":{\"title\":\"inner\"},\"z\":null}",
        evil ? EVIL_TITLE : "plain");

      json_parser_load_from_data (parser, text, -1, NULL);
      contexts[evil] = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
      g_object_unref (parser);
    }
  return contexts[evil];
}

static guint
count (const char *haystack,
       const char *needle)
{
  guint n = 0;

  for (const char *p = haystack; (p = strstr (p, needle)) != NULL; p++)
    n++;
  return n;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  for (int escape = RELAY_MAIL_ESCAPE_NONE; escape <= RELAY_MAIL_ESCAPE_HTML; escape++)
    {
      GError *error = NULL;
      char *out = relay_mail_template_render ((const char *) data, size, fuzz_context (TRUE), escape, &error);

      /* Exactly one of a result and an error; a result is bounded UTF-8. */
      if ((out == NULL) == (error == NULL))
        __builtin_trap ();
      if (out != NULL && (strlen (out) > RELAY_MAIL_TEMPLATE_MAX_OUTPUT + RELAY_MAIL_TEMPLATE_MAX_SIZE ||
                          !g_utf8_validate (out, -1, NULL)))
        __builtin_trap ();
      /* HTML escaping: the title's markup never comes through. The template
       * may spell the same markup itself (even split by comments), so the
       * render with a plain title is the baseline; only the triple mustache
       * inserts raw on purpose. */
      if (out != NULL && escape == RELAY_MAIL_ESCAPE_HTML &&
          g_strstr_len ((const char *) data, (gssize) size, "{{{") == NULL)
        {
          char *plain = relay_mail_template_render ((const char *) data, size, fuzz_context (FALSE), escape, NULL);

          if (plain != NULL && count (out, EVIL_TITLE) > count (plain, EVIL_TITLE))
            __builtin_trap ();
          g_free (plain);
        }
      g_free (out);
      g_clear_error (&error);
    }
  return 0;
}
