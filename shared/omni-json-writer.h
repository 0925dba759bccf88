/* omni-json-writer.h: a streaming JSON writer into a GString. The relay's hot
 * answers (session lists) are written with it: json-glib's builder allocates
 * a node and a hash table per value, which dominated request time. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  GString *out;
  guint    depth;
  guint64  needs_comma;   /* bit per nesting level */
} OmniJsonWriter;

void  omni_json_writer_init         (OmniJsonWriter *writer,
                                     GString        *out);
void  omni_json_writer_begin_object (OmniJsonWriter *writer);
void  omni_json_writer_end_object   (OmniJsonWriter *writer);
void  omni_json_writer_begin_array  (OmniJsonWriter *writer);
void  omni_json_writer_end_array    (OmniJsonWriter *writer);
/* name must be plain ASCII without characters that need escaping. */
void  omni_json_writer_member       (OmniJsonWriter *writer,
                                     const char     *name);
void  omni_json_writer_string       (OmniJsonWriter *writer,
                                     const char     *value);   /* NULL writes null */
void  omni_json_writer_int          (OmniJsonWriter *writer,
                                     gint64          value);
void  omni_json_writer_bool         (OmniJsonWriter *writer,
                                     gboolean        value);
void  omni_json_writer_null         (OmniJsonWriter *writer);
/* A member and its value in one call. */
void  omni_json_writer_member_string (OmniJsonWriter *writer,
                                      const char     *name,
                                      const char     *value);   /* NULL writes null */
void  omni_json_writer_member_int    (OmniJsonWriter *writer,
                                      const char     *name,
                                      gint64          value);
void  omni_json_writer_member_bool   (OmniJsonWriter *writer,
                                      const char     *name,
                                      gboolean        value);

/* Appends value as a JSON string literal (quotes included) to out. */
void  omni_json_append_escaped      (GString        *out,
                                     const char     *value);

G_END_DECLS
