/* omni-json-writer.c: see omni-json-writer.h. */
#define G_LOG_DOMAIN "omni-json"

#include "omni-json-writer.h"

#include <string.h>

void
omni_json_writer_init (OmniJsonWriter *writer,
                       GString        *out)
{
  writer->out = out;
  writer->depth = 0;
  writer->needs_comma = 0;
}

static inline void
before_value (OmniJsonWriter *writer)
{
  guint64 bit = G_GUINT64_CONSTANT (1) << writer->depth;

  if (writer->needs_comma & bit)
    g_string_append_c (writer->out, ',');
  writer->needs_comma |= bit;
}

static inline void
open_level (OmniJsonWriter *writer,
            char            c)
{
  before_value (writer);
  g_string_append_c (writer->out, c);
  g_assert (writer->depth < 63);
  writer->depth++;
  writer->needs_comma &= ~(G_GUINT64_CONSTANT (1) << writer->depth);
}

static inline void
close_level (OmniJsonWriter *writer,
             char            c)
{
  g_assert (writer->depth > 0);
  writer->depth--;
  g_string_append_c (writer->out, c);
}

void
omni_json_writer_begin_object (OmniJsonWriter *writer)
{
  open_level (writer, '{');
}

void
omni_json_writer_end_object (OmniJsonWriter *writer)
{
  close_level (writer, '}');
}

void
omni_json_writer_begin_array (OmniJsonWriter *writer)
{
  open_level (writer, '[');
}

void
omni_json_writer_end_array (OmniJsonWriter *writer)
{
  close_level (writer, ']');
}

void
omni_json_writer_member (OmniJsonWriter *writer,
                         const char     *name)
{
  before_value (writer);
  g_string_append_c (writer->out, '"');
  g_string_append (writer->out, name);
  g_string_append_len (writer->out, "\":", 2);
  /* The value that follows belongs to this member: no comma before it. */
  writer->needs_comma &= ~(G_GUINT64_CONSTANT (1) << writer->depth);
}

void
omni_json_append_escaped (GString    *out,
                          const char *value)
{
  static const char hex[] = "0123456789abcdef";
  const char *run = value;
  const char *p;

  g_string_append_c (out, '"');
  for (p = value; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;
      const char *escape = NULL;
      char unicode[7];

      if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&')
        continue;

      switch (c)
        {
        case '"':  escape = "\\\""; break;
        case '\\': escape = "\\\\"; break;
        case '\n': escape = "\\n"; break;
        case '\r': escape = "\\r"; break;
        case '\t': escape = "\\t"; break;
        default:
          /* Control characters, and <>& so JSON is safe to embed in HTML too. */
          unicode[0] = '\\';
          unicode[1] = 'u';
          unicode[2] = '0';
          unicode[3] = '0';
          unicode[4] = hex[c >> 4];
          unicode[5] = hex[c & 0xf];
          unicode[6] = '\0';
          escape = unicode;
          break;
        }
      g_string_append_len (out, run, p - run);
      g_string_append (out, escape);
      run = p + 1;
    }
  g_string_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}

void
omni_json_writer_string (OmniJsonWriter *writer,
                         const char     *value)
{
  before_value (writer);
  if (value == NULL)
    g_string_append_len (writer->out, "null", 4);
  else
    omni_json_append_escaped (writer->out, value);
}

void
omni_json_writer_int (OmniJsonWriter *writer,
                      gint64          value)
{
  char digits[24];
  char *p = digits + sizeof digits;
  guint64 magnitude = value < 0 ? (guint64) 0 - (guint64) value : (guint64) value;

  before_value (writer);
  do
    {
      *--p = (char) ('0' + magnitude % 10);
      magnitude /= 10;
    }
  while (magnitude > 0);
  if (value < 0)
    *--p = '-';
  g_string_append_len (writer->out, p, digits + sizeof digits - p);
}

void
omni_json_writer_bool (OmniJsonWriter *writer,
                       gboolean        value)
{
  before_value (writer);
  if (value)
    g_string_append_len (writer->out, "true", 4);
  else
    g_string_append_len (writer->out, "false", 5);
}

void
omni_json_writer_null (OmniJsonWriter *writer)
{
  before_value (writer);
  g_string_append_len (writer->out, "null", 4);
}
