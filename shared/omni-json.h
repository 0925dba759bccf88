/* omni-json.h: bounded JSON parsing and table-driven validation of request
 * objects, so handlers never repeat type and presence checks. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define OMNI_JSON_MAX_DEPTH 32

typedef enum {
  OMNI_JSON_STRING,
  OMNI_JSON_BOOLEAN,
  OMNI_JSON_INTEGER,
  OMNI_JSON_ARRAY,
  OMNI_JSON_OBJECT,
} OmniJsonType;

typedef struct {
  const char   *name;
  OmniJsonType  type;
  gboolean      required;
  /* Strings: length bounds in characters. Integers: value bounds.
   * Arrays: element count bounds. Both 0 means unbounded. */
  gint64        min;
  gint64        max;
} OmniJsonField;

/* Parses a JSON text that must be an object, at most max_len bytes and
 * OMNI_JSON_MAX_DEPTH levels deep. */
JsonObject  *omni_json_parse_object   (const char          *data,
                                       gsize                len,
                                       gsize                max_len,
                                       GError             **error);

/* Checks presence, type and bounds of every field in the table, and that the
 * object has no field the table does not name. Error fields are reported as
 * prefix + name (e.g. "participants[2].email"). */
gboolean     omni_json_check_fields   (JsonObject          *object,
                                       const OmniJsonField *fields,
                                       guint                n_fields,
                                       const char          *prefix,
                                       GError             **error);

/* Accessors that treat absent and null alike. Call after omni_json_check_fields. */
const char  *omni_json_get_string     (JsonObject *object,
                                       const char *name);
gboolean     omni_json_has            (JsonObject *object,
                                       const char *name);
gboolean     omni_json_get_boolean    (JsonObject *object,
                                       const char *name,
                                       gboolean    fallback);
gint64       omni_json_get_integer    (JsonObject *object,
                                       const char *name,
                                       gint64      fallback);
JsonArray   *omni_json_get_array      (JsonObject *object,
                                       const char *name);

/* Serializes a node to a compact string. */
char        *omni_json_to_string      (JsonNode   *node,
                                       gsize      *out_len);

G_END_DECLS
