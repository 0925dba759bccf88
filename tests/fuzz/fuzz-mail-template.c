/* fuzz-mail-template.c: libFuzzer target for the mail template renderer —
 * templates come from admins' override files, so the renderer must reject or
 * render any bytes within its size, depth, step and output bounds. */
#include "relay-mail-template.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static JsonObject *
fuzz_context (void)
{
  static JsonObject *context;

  if (context == NULL)
    {
      JsonParser *parser = json_parser_new ();
      json_parser_load_from_data (parser,
                                  "{\"title\":\"<script>alert(1)</script> & 'q' \\\"d\\\"\",\"n\":42,\"t\":true,"
                                  "\"f\":false,\"e\":\"\",\"series\":[{\"when\":\"a\",\"joinUrl\":\"u\"},"
                                  "{\"when\":\"b\",\"series\":[1,2,3]}],\"o\":{\"title\":\"inner\"},\"z\":null}",
                                  -1, NULL);
      context = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
      g_object_unref (parser);
    }
  return context;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  for (int escape = RELAY_MAIL_ESCAPE_NONE; escape <= RELAY_MAIL_ESCAPE_HTML; escape++)
    {
      GError *error = NULL;
      char *out = relay_mail_template_render ((const char *) data, size, fuzz_context (), escape, &error);

      /* Exactly one of a result and an error; a result is bounded UTF-8. */
      if ((out == NULL) == (error == NULL))
        __builtin_trap ();
      if (out != NULL && (strlen (out) > RELAY_MAIL_TEMPLATE_MAX_OUTPUT + RELAY_MAIL_TEMPLATE_MAX_SIZE ||
                          !g_utf8_validate (out, -1, NULL)))
        __builtin_trap ();
      /* HTML escaping: no markup from values (the context's only '<' is in title). */
      if (out != NULL && escape == RELAY_MAIL_ESCAPE_HTML && g_strstr_len (out, -1, "<script>") != NULL &&
          g_strstr_len ((const char *) data, (gssize) size, "<script>") == NULL &&
          g_strstr_len ((const char *) data, (gssize) size, "{{{") == NULL)
        __builtin_trap ();
      g_free (out);
      g_clear_error (&error);
    }
  return 0;
}
