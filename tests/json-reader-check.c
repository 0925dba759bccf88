/* json-reader-check.c: see json-reader-check.h. */
#include "json-reader-check.h"
#include "omni-json.h"
#include "omni-json-reader.h"

#include <string.h>

gboolean
omni_test_json_reader_agrees (const char  *text,
                              gsize        len,
                              char       **why)
{
  g_autoptr(JsonNode) fast = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *fast_text = NULL;
  g_autofree char *parsed_text = NULL;

  /* The reader's contract: UTF-8 without NUL (omni_json_parse_object checks first). */
  if (memchr (text, '\0', len) != NULL || !g_utf8_validate (text, (gssize) len, NULL))
    return TRUE;
  fast = omni_json_read_strict (text, len, OMNI_JSON_MAX_DEPTH);
  if (fast == NULL)
    return TRUE;
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, (gssize) len, NULL))
    {
      *why = g_strdup_printf ("the fast reader accepts what JsonParser refuses: %.*s", (int) len, text);
      return FALSE;
    }
  if (!json_node_equal (fast, json_parser_get_root (parser)))
    {
      *why = g_strdup_printf ("the fast reader and JsonParser disagree on: %.*s", (int) len, text);
      return FALSE;
    }
  fast_text = json_to_string (fast, FALSE);
  parsed_text = json_to_string (json_parser_get_root (parser), FALSE);
  if (strcmp (fast_text, parsed_text) != 0)
    {
      *why = g_strdup_printf ("the fast reader and JsonParser order members differently: %.*s", (int) len, text);
      return FALSE;
    }
  return TRUE;
}
