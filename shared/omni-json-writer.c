/* omni-json-writer.c: see omni-json-writer.h. */
#define G_LOG_DOMAIN "omni-json"

#include "omni-json-writer.h"

#include <string.h>

/* GString's append goes through g_string_insert_len, which costs more than
 * the copy itself for the short pieces JSON is made of. */
static inline void
put (GString    *out,
     const char *bytes,
     gsize       n)
{
  gsize at = out->len;

  if (G_UNLIKELY (at + n >= out->allocated_len))
    g_string_set_size (out, at + n);
  else
    out->len = at + n;
  memcpy (out->str + at, bytes, n);
  out->str[at + n] = '\0';
}

static inline void
put_c (GString *out,
       char     c)
{
  if (G_UNLIKELY (out->len + 1 >= out->allocated_len))
    {
      g_string_append_c (out, c);
      return;
    }
  out->str[out->len++] = c;
  out->str[out->len] = '\0';
}

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
    put_c (writer->out, ',');
  writer->needs_comma |= bit;
}

static inline void
open_level (OmniJsonWriter *writer,
            char            c)
{
  before_value (writer);
  put_c (writer->out, c);
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
  put_c (writer->out, c);
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
  guint64 bit = G_GUINT64_CONSTANT (1) << writer->depth;
  gsize n = strlen (name);
  GString *out = writer->out;
  char *at;

  /* ,"name": in one piece: a list writes some 50 members per session. */
  if (G_UNLIKELY (out->len + n + 4 >= out->allocated_len))
    g_string_set_size (out, out->len + n + 4);
  else
    out->len += n + 4;
  at = out->str + out->len - (n + 4);
  if (writer->needs_comma & bit)
    *at++ = ',';
  else
    out->len--;
  *at++ = '"';
  memcpy (at, name, n);
  at += n;
  *at++ = '"';
  *at++ = ':';
  *at = '\0';
  /* The value that follows belongs to this member: no comma before it. */
  writer->needs_comma &= ~bit;
}

/* Besides control characters: quote, backslash, and <>& so JSON is safe to
 * embed in HTML too. */
static const guint8 needs_escape[256] = {
  ['"'] = 1, ['\\'] = 1, ['<'] = 1, ['>'] = 1, ['&'] = 1,
};

/* Word-at-a-time test for a byte that needs escaping (below 0x20, or one of
 * the table's five): most strings have none, and checking 8 bytes at once
 * makes the common case a bulk copy. The "has a zero byte" and "has a byte
 * below n" tests are exact for whether any byte matches. */
#define ONES  G_GUINT64_CONSTANT (0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT (0x8080808080808080)

static inline guint64
has_zero_byte (guint64 v)
{
  return (v - ONES) & ~v & HIGHS;
}

static inline gboolean
word_needs_escape (guint64 v)
{
  return (((v - ONES * 0x20) & ~v & HIGHS) |
          has_zero_byte (v ^ (ONES * '"')) | has_zero_byte (v ^ (ONES * '\\')) |
          has_zero_byte (v ^ (ONES * '<')) | has_zero_byte (v ^ (ONES * '>')) |
          has_zero_byte (v ^ (ONES * '&'))) != 0;
}

static void
append_escape (GString *out,
               guchar   c)
{
  static const char hex[] = "0123456789abcdef";
  char unicode[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };

  switch (c)
    {
    case '"':  put (out, "\\\"", 2); break;
    case '\\': put (out, "\\\\", 2); break;
    case '\n': put (out, "\\n", 2); break;
    case '\r': put (out, "\\r", 2); break;
    case '\t': put (out, "\\t", 2); break;
    /* Control characters, and <>& so JSON is safe to embed in HTML too. */
    default:   put (out, unicode, sizeof unicode); break;
    }
}

void
omni_json_append_escaped (GString    *out,
                          const char *value)
{
  const char *end = value + strlen (value);
  const char *run = value;
  const char *p = value;

  put_c (out, '"');
  while (p < end)
    {
      guint64 word;

      if (end - p >= 8)
        {
          memcpy (&word, p, sizeof word);
          if (!word_needs_escape (word))
            {
              p += 8;
              continue;
            }
        }
      /* A word with something to escape, or the last few bytes: one at a time. */
      for (const char *stop = MIN (p + 8, end); p < stop; p++)
        {
          guchar c = (guchar) *p;

          if (G_LIKELY (c >= 0x20 && !needs_escape[c]))
            continue;
          put (out, run, p - run);
          append_escape (out, c);
          run = p + 1;
        }
    }
  put (out, run, p - run);
  put_c (out, '"');
}

void
omni_json_writer_string (OmniJsonWriter *writer,
                         const char     *value)
{
  before_value (writer);
  if (value == NULL)
    put (writer->out, "null", 4);
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
  put (writer->out, p, digits + sizeof digits - p);
}

void
omni_json_writer_bool (OmniJsonWriter *writer,
                       gboolean        value)
{
  before_value (writer);
  if (value)
    put (writer->out, "true", 4);
  else
    put (writer->out, "false", 5);
}

void
omni_json_writer_null (OmniJsonWriter *writer)
{
  before_value (writer);
  put (writer->out, "null", 4);
}

void
omni_json_writer_member_string (OmniJsonWriter *writer,
                                const char     *name,
                                const char     *value)
{
  omni_json_writer_member (writer, name);
  omni_json_writer_string (writer, value);
}

void
omni_json_writer_member_int (OmniJsonWriter *writer,
                             const char     *name,
                             gint64          value)
{
  omni_json_writer_member (writer, name);
  omni_json_writer_int (writer, value);
}

void
omni_json_writer_member_bool (OmniJsonWriter *writer,
                              const char     *name,
                              gboolean        value)
{
  omni_json_writer_member (writer, name);
  omni_json_writer_bool (writer, value);
}
