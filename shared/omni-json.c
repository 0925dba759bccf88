/* omni-json.c: JSON input checks. Every request body goes through here first. */
#define G_LOG_DOMAIN "omni-json"

#include "omni-json.h"
#include "omni-json-reader.h"
#include "omni-error.h"

#include <string.h>

/* json-glib's parser recurses once per nesting level; a megabyte of '['
 * would exhaust the stack before it could fail, so depth is checked first. */
static gboolean
check_depth (const char *data,
             gsize       len)
{
  int depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        {
          if (++depth > OMNI_JSON_MAX_DEPTH)
            return FALSE;
        }
      else if (c == '}' || c == ']')
        depth--;
    }
  return TRUE;
}

JsonObject *
omni_json_parse_object (const char  *data,
                        gsize        len,
                        gsize        max_len,
                        GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) root = NULL;

  if (len > max_len)
    {
      omni_error_set_field (error, OMNI_ERROR_PAYLOAD_TOO_LARGE, NULL,
                            "The request body is larger than %" G_GSIZE_FORMAT " bytes", max_len);
      return NULL;
    }
  if (data == NULL || len == 0)
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_JSON, NULL,
                            "The request body is empty; a JSON object is expected");
      return NULL;
    }
  if (memchr (data, '\0', len) != NULL || !g_utf8_validate (data, (gssize) len, NULL))
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_JSON, NULL,
                            "The request body is not valid UTF-8 text");
      return NULL;
    }

  /* Everyday bodies take the fast reader (which keeps to the depth limit
   * itself); JsonParser reads, or explains, the rest. */
  root = omni_json_read_strict (data, len, OMNI_JSON_MAX_DEPTH);
  if (root == NULL)
    {
      if (!check_depth (data, len))
        {
          omni_error_set_field (error, OMNI_ERROR_INVALID_JSON, NULL,
                                "The request body nests deeper than %d levels", OMNI_JSON_MAX_DEPTH);
          return NULL;
        }
      parser = json_parser_new_immutable ();
      if (!json_parser_load_from_data (parser, data, (gssize) len, &local_error))
        {
          omni_error_set_field (error, OMNI_ERROR_INVALID_JSON, NULL,
                                "The request body is not valid JSON: %s", local_error->message);
          return NULL;
        }
      root = json_parser_get_root (parser) != NULL ? json_node_ref (json_parser_get_root (parser)) : NULL;
    }

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_JSON, NULL,
                            "The request body must be a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static const char *
type_name (OmniJsonType type)
{
  switch (type)
    {
    case OMNI_JSON_STRING:  return "a string";
    case OMNI_JSON_BOOLEAN: return "true or false";
    case OMNI_JSON_INTEGER: return "a whole number";
    case OMNI_JSON_ARRAY:   return "an array";
    case OMNI_JSON_OBJECT:  return "an object";
    default:                return "a value";
    }
}

static gboolean
node_has_type (JsonNode     *node,
               OmniJsonType  type)
{
  switch (type)
    {
    case OMNI_JSON_STRING:
      return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
    case OMNI_JSON_BOOLEAN:
      return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN;
    case OMNI_JSON_INTEGER:
      return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64;
    case OMNI_JSON_ARRAY:
      return JSON_NODE_HOLDS_ARRAY (node);
    case OMNI_JSON_OBJECT:
      return JSON_NODE_HOLDS_OBJECT (node);
    default:
      return FALSE;
    }
}

static const OmniJsonField *
find_field (const OmniJsonField *fields,
            guint                n_fields,
            const char          *name)
{
  for (guint i = 0; i < n_fields; i++)
    if (strcmp (fields[i].name, name) == 0)
      return &fields[i];
  return NULL;
}

gboolean
omni_json_check_fields (JsonObject          *object,
                        const OmniJsonField *fields,
                        guint                n_fields,
                        const char          *prefix,
                        GError             **error)
{
  JsonObjectIter iter;
  const char *member_name;
  JsonNode *member;

  g_return_val_if_fail (object != NULL, FALSE);

  if (prefix == NULL)
    prefix = "";

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &member_name, &member))
    {
      if (find_field (fields, n_fields, member_name) == NULL)
        {
          g_autofree char *field = g_strconcat (prefix, member_name, NULL);
          omni_error_set_field (error, OMNI_ERROR_UNKNOWN_FIELD, field,
                                "'%s' is not a known field", field);
          return FALSE;
        }
    }

  for (guint i = 0; i < n_fields; i++)
    {
      const OmniJsonField *spec = &fields[i];
      JsonNode *node = json_object_get_member (object, spec->name);
      g_autofree char *field = g_strconcat (prefix, spec->name, NULL);

      if (node == NULL || JSON_NODE_HOLDS_NULL (node))
        {
          if (spec->required)
            {
              omni_error_set_field (error, OMNI_ERROR_MISSING_FIELD, field,
                                    "'%s' is required", field);
              return FALSE;
            }
          continue;
        }

      if (!node_has_type (node, spec->type))
        {
          omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, field,
                                "'%s' must be %s", field, type_name (spec->type));
          return FALSE;
        }

      if (spec->min == 0 && spec->max == 0)
        continue;

      if (spec->type == OMNI_JSON_STRING)
        {
          const char *s = json_node_get_string (node);
          glong chars = g_utf8_strlen (s, -1);
          g_autofree char *stripped = g_strstrip (g_strdup (s));

          if (spec->min > 0 && stripped[0] == '\0')
            {
              omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, field,
                                    "'%s' must not be empty", field);
              return FALSE;
            }
          if (chars < spec->min || (spec->max > 0 && chars > spec->max))
            {
              omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, field,
                                    "'%s' must be %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT " characters long",
                                    field, spec->min, spec->max);
              return FALSE;
            }
        }
      else if (spec->type == OMNI_JSON_INTEGER)
        {
          gint64 v = json_node_get_int (node);
          if (v < spec->min || v > spec->max)
            {
              omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, field,
                                    "'%s' must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT,
                                    field, spec->min, spec->max);
              return FALSE;
            }
        }
      else if (spec->type == OMNI_JSON_ARRAY)
        {
          guint n = json_array_get_length (json_node_get_array (node));
          if ((gint64) n < spec->min || (spec->max > 0 && (gint64) n > spec->max))
            {
              omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, field,
                                    "'%s' must have %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT " entries",
                                    field, spec->min, spec->max);
              return FALSE;
            }
        }
    }

  return TRUE;
}

gboolean
omni_json_has (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  return node != NULL && !JSON_NODE_HOLDS_NULL (node);
}

const char *
omni_json_get_string (JsonObject *object,
                      const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gboolean
omni_json_get_boolean (JsonObject *object,
                       const char *name,
                       gboolean    fallback)
{
  JsonNode *node = json_object_get_member (object, name);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (node);
}

gint64
omni_json_get_integer (JsonObject *object,
                       const char *name,
                       gint64      fallback)
{
  JsonNode *node = json_object_get_member (object, name);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

JsonArray *
omni_json_get_array (JsonObject *object,
                     const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  return json_node_get_array (node);
}

char *
omni_json_to_string (JsonNode *node,
                     gsize    *out_len)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, out_len);
}
