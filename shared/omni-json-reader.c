/* omni-json-reader.c: see omni-json-reader.h.
 *
 * JsonParser reads through GScanner, a GObject and signals: a few hundred
 * bytes of request body cost it more than the rest of the request's
 * validation. This reader builds the same nodes directly and leaves every
 * unusual case to JsonParser rather than guess how it reads them. */
#include "omni-json-reader.h"

#include <string.h>

typedef struct {
  const char *p;
  const char *end;
  guint       depth;
  guint       max_depth;
  GString    *text;   /* the string being read; json-glib copies it */
} Reader;

static JsonNode *read_value (Reader *reader);

static inline void
skip_space (Reader *reader)
{
  while (reader->p < reader->end &&
         (*reader->p == ' ' || *reader->p == '\n' || *reader->p == '\r' || *reader->p == '\t'))
    reader->p++;
}

static gboolean
read_hex4 (const char *p,
           const char *end,
           gunichar   *out)
{
  gunichar value = 0;

  if (end - p < 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (p[i]);

      if (digit < 0)
        return FALSE;
      value = value * 16 + (gunichar) digit;
    }
  *out = value;
  return TRUE;
}

static inline gboolean
plain_string_byte (char c)
{
  return c != '"' && c != '\\' && (guchar) c >= 0x20;
}

/* Reads the string at reader->p (its opening quote) into reader->text. */
static gboolean
read_string (Reader *reader)
{
  const char *p = reader->p + 1;
  const char *end = reader->end;

  g_string_truncate (reader->text, 0);
  for (;;)
    {
      const char *run = p;
      gunichar unit;

      while (p < end && plain_string_byte (*p))
        p++;
      g_string_append_len (reader->text, run, p - run);
      if (p >= end || (guchar) *p < 0x20)
        return FALSE;
      if (*p == '"')
        break;

      /* A backslash. */
      if (++p >= end)
        return FALSE;
      switch (*p)
        {
        case '"':  g_string_append_c (reader->text, '"'); break;
        case '\\': g_string_append_c (reader->text, '\\'); break;
        case '/':  g_string_append_c (reader->text, '/'); break;
        case 'b':  g_string_append_c (reader->text, '\b'); break;
        case 'f':  g_string_append_c (reader->text, '\f'); break;
        case 'n':  g_string_append_c (reader->text, '\n'); break;
        case 'r':  g_string_append_c (reader->text, '\r'); break;
        case 't':  g_string_append_c (reader->text, '\t'); break;
        case 'u':
          if (!read_hex4 (p + 1, end, &unit))
            return FALSE;
          p += 4;
          if (unit >= 0xd800 && unit <= 0xdbff)
            {
              gunichar low;

              if (end - p < 7 || p[1] != '\\' || p[2] != 'u' || !read_hex4 (p + 3, end, &low) ||
                  low < 0xdc00 || low > 0xdfff)
                return FALSE;
              unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
              p += 6;
            }
          else if ((unit >= 0xdc00 && unit <= 0xdfff) || unit == 0)
            return FALSE;
          g_string_append_unichar (reader->text, unit);
          break;
        default:
          return FALSE;
        }
      p++;
    }
  reader->p = p + 1;
  return TRUE;
}

/* Integers only, and only those that fit in a gint64: -0, fractions,
 * exponents and bigger numbers are JsonParser's. */
static JsonNode *
read_integer (Reader *reader)
{
  const char *p = reader->p;
  gboolean negative = FALSE;
  guint64 magnitude = 0;
  guint64 limit;
  JsonNode *node;

  if (*p == '-')
    {
      negative = TRUE;
      p++;
    }
  if (p >= reader->end || !g_ascii_isdigit (*p))
    return NULL;
  if (*p == '0')
    {
      p++;
      if (negative)
        return NULL;
    }
  else
    {
      limit = negative ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;
      for (; p < reader->end && g_ascii_isdigit (*p); p++)
        {
          guint digit = (guint) (*p - '0');

          if (magnitude > (limit - digit) / 10)
            return NULL;
          magnitude = magnitude * 10 + digit;
        }
    }
  if (p < reader->end && (*p == '.' || *p == 'e' || *p == 'E' || g_ascii_isdigit (*p)))
    return NULL;

  reader->p = p;
  node = json_node_alloc ();
  json_node_init_int (node, negative ? (gint64) (0 - magnitude) : (gint64) magnitude);
  return node;
}

static gboolean
read_word (Reader     *reader,
           const char *word,
           gsize       len)
{
  if ((gsize) (reader->end - reader->p) < len || memcmp (reader->p, word, len) != 0)
    return FALSE;
  reader->p += len;
  return TRUE;
}

/* Takes c, and the whitespace after it, if c comes next. */
static gboolean
take (Reader *reader,
      char    c)
{
  if (reader->p >= reader->end || *reader->p != c)
    return FALSE;
  reader->p++;
  skip_space (reader);
  return TRUE;
}

static JsonNode *
read_object (Reader *reader)
{
  g_autoptr(JsonObject) object = json_object_new ();
  JsonNode *node;

  take (reader, '{');
  if (!take (reader, '}'))
    {
      do
        {
          g_autofree char *name = NULL;
          JsonNode *member;

          if (reader->p >= reader->end || *reader->p != '"' || !read_string (reader))
            return NULL;
          /* A copy: reading the value reuses reader->text. */
          name = g_strndup (reader->text->str, reader->text->len);
          skip_space (reader);
          if (!take (reader, ':') || (member = read_value (reader)) == NULL)
            return NULL;
          json_object_set_member (object, name, member);
          skip_space (reader);
        }
      while (take (reader, ','));
      if (!take (reader, '}'))
        return NULL;
    }
  node = json_node_alloc ();
  json_node_init_object (node, object);
  return node;
}

static JsonNode *
read_array (Reader *reader)
{
  g_autoptr(JsonArray) array = json_array_new ();
  JsonNode *node;

  take (reader, '[');
  if (!take (reader, ']'))
    {
      do
        {
          JsonNode *element = read_value (reader);

          if (element == NULL)
            return NULL;
          json_array_add_element (array, element);
          skip_space (reader);
        }
      while (take (reader, ','));
      if (!take (reader, ']'))
        return NULL;
    }
  node = json_node_alloc ();
  json_node_init_array (node, array);
  return node;
}

static JsonNode *
read_value (Reader *reader)
{
  JsonNode *node = NULL;

  if (reader->p >= reader->end)
    return NULL;
  switch (*reader->p)
    {
    case '{':
    case '[':
      if (reader->depth >= reader->max_depth)
        return NULL;
      reader->depth++;
      node = *reader->p == '{' ? read_object (reader) : read_array (reader);
      reader->depth--;
      return node;
    case '"':
      if (!read_string (reader))
        return NULL;
      node = json_node_alloc ();
      json_node_init_string (node, reader->text->str);
      return node;
    case 't':
      if (read_word (reader, "true", 4))
        node = json_node_init_boolean (json_node_alloc (), TRUE);
      return node;
    case 'f':
      if (read_word (reader, "false", 5))
        node = json_node_init_boolean (json_node_alloc (), FALSE);
      return node;
    case 'n':
      if (read_word (reader, "null", 4))
        node = json_node_init_null (json_node_alloc ());
      return node;
    default:
      return read_integer (reader);
    }
}

JsonNode *
omni_json_read_strict (const char *data,
                       gsize       len,
                       guint       max_depth)
{
  g_autoptr(GString) text = g_string_sized_new (64);
  Reader reader = { data, data + len, 0, max_depth, text };
  JsonNode *root;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  skip_space (&reader);
  root = read_value (&reader);
  if (root == NULL)
    return NULL;
  skip_space (&reader);
  if (reader.p != reader.end)
    {
      json_node_unref (root);
      return NULL;
    }
  /* As JsonParser's immutable trees. */
  json_node_seal (root);
  return root;
}
