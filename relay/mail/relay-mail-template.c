/* relay-mail-template.c: a small, bounded Mustache subset for mail templates.
 * Parsing and rendering happen in one pass over the text; sections are found
 * by scanning for their matching close tag, so there is no AST to build. */
#define G_LOG_DOMAIN "relay-mail"

#include "relay-mail-template.h"
#include "omni-error.h"

#include <string.h>

#define MAX_NAME_LEN 64

typedef struct {
  const char      *text;
  gsize            len;
  GPtrArray       *scopes;   /* JsonObject, innermost last */
  RelayMailEscape  escape;
  GString         *out;
  guint            steps;
} Renderer;

typedef struct {
  gsize       start;    /* offset of "{{" */
  gsize       end;      /* offset after the closing braces */
  char        sigil;    /* '#', '^', '/', '!', '{' (raw) or 0 */
  const char *name;
  gsize       name_len;
} Tag;

void
relay_mail_html_escape_append (GString    *out,
                               const char *text)
{
  for (const char *p = text; p != NULL && *p != '\0'; p++)
    switch (*p)
      {
      case '&': g_string_append (out, "&amp;"); break;
      case '<': g_string_append (out, "&lt;"); break;
      case '>': g_string_append (out, "&gt;"); break;
      case '"': g_string_append (out, "&quot;"); break;
      case '\'': g_string_append (out, "&#39;"); break;
      default: g_string_append_c (out, *p); break;
      }
}

static gboolean
fail (GError     **error,
      const Renderer *r,
      gsize        offset,
      const char  *message)
{
  guint line = 1;

  for (gsize i = 0; i < offset && i < r->len; i++)
    if (r->text[i] == '\n')
      line++;
  omni_error_set_field (error, OMNI_ERROR_CONFIG, NULL, "Mail template, line %u: %s", line, message);
  return FALSE;
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-' || c == '.';
}

/* Finds the next tag at or after pos (before end). Returns FALSE with *found
 * FALSE when there is none, FALSE with an error when a tag is malformed. */
static gboolean
next_tag (const Renderer  *r,
          gsize            pos,
          gsize            end,
          Tag             *tag,
          gboolean        *found,
          GError         **error)
{
  const char *open = NULL;
  const char *close;
  const char *inner;
  const char *inner_end;
  gsize open_len = 2;

  *found = FALSE;
  for (gsize i = pos; i + 1 < end; i++)
    if (r->text[i] == '{' && r->text[i + 1] == '{')
      {
        open = r->text + i;
        break;
      }
  if (open == NULL)
    return TRUE;

  tag->start = (gsize) (open - r->text);
  tag->sigil = 0;
  if (tag->start + 2 < end && open[2] == '{')
    {
      tag->sigil = '{';
      open_len = 3;
    }
  inner = open + open_len;

  close = NULL;
  for (const char *p = inner; p + open_len <= r->text + end; p++)
    if (strncmp (p, open_len == 3 ? "}}}" : "}}", open_len) == 0)
      {
        close = p;
        break;
      }
  if (close == NULL)
    return fail (error, r, tag->start, "a tag is not closed with }}");
  tag->end = (gsize) (close - r->text) + open_len;

  if (tag->sigil == 0 && inner < close && strchr ("#^/!", *inner) != NULL)
    tag->sigil = *inner++;
  if (tag->sigil == '!')
    {
      *found = TRUE;
      return TRUE;
    }

  while (inner < close && g_ascii_isspace (*inner))
    inner++;
  inner_end = close;
  while (inner_end > inner && g_ascii_isspace (inner_end[-1]))
    inner_end--;
  if (inner_end == inner || inner_end - inner > MAX_NAME_LEN)
    return fail (error, r, tag->start, "a tag needs a name of 1 to 64 characters");
  for (const char *p = inner; p < inner_end; p++)
    if (!is_name_char (*p))
      return fail (error, r, tag->start, "a tag name may only have letters, digits, '_', '-' and '.'");

  tag->name = inner;
  tag->name_len = (gsize) (inner_end - inner);
  *found = TRUE;
  return TRUE;
}

static JsonNode *
lookup (const Renderer *r,
        const Tag      *tag)
{
  char name[MAX_NAME_LEN + 1];

  memcpy (name, tag->name, tag->name_len);
  name[tag->name_len] = '\0';
  for (guint i = r->scopes->len; i > 0; i--)
    {
      JsonObject *scope = g_ptr_array_index (r->scopes, i - 1);
      JsonNode *node = json_object_get_member (scope, name);
      if (node != NULL)
        return node;
    }
  return NULL;
}

static gboolean
is_truthy (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return FALSE;
  if (JSON_NODE_HOLDS_ARRAY (node))
    return json_array_get_length (json_node_get_array (node)) > 0;
  if (JSON_NODE_HOLDS_OBJECT (node))
    return TRUE;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return json_node_get_string (node) != NULL && json_node_get_string (node)[0] != '\0';
    case G_TYPE_BOOLEAN:
      return json_node_get_boolean (node);
    case G_TYPE_INT64:
      return json_node_get_int (node) != 0;
    case G_TYPE_DOUBLE:
      return json_node_get_double (node) != 0.0;
    default:
      return FALSE;
    }
}

static void
append_value (Renderer *r,
              JsonNode *node,
              gboolean  raw)
{
  g_autofree char *owned = NULL;
  const char *text = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      text = json_node_get_string (node);
      break;
    case G_TYPE_BOOLEAN:
      text = json_node_get_boolean (node) ? "true" : "false";
      break;
    case G_TYPE_INT64:
      text = owned = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      break;
    case G_TYPE_DOUBLE:
      text = owned = g_strdup_printf ("%g", json_node_get_double (node));
      break;
    default:
      return;
    }
  if (r->escape == RELAY_MAIL_ESCAPE_HTML && !raw)
    relay_mail_html_escape_append (r->out, text);
  else
    g_string_append (r->out, text);
}

/* The offset of the {{/name}} closing the section whose body starts at pos. */
static gboolean
find_section_end (const Renderer  *r,
                  const Tag       *open,
                  gsize            end,
                  Tag             *close,
                  GError         **error)
{
  gsize pos = open->end;
  guint nesting = 0;

  for (;;)
    {
      gboolean found;

      if (!next_tag (r, pos, end, close, &found, error))
        return FALSE;
      if (!found)
        return fail (error, r, open->start, "a section is never closed");
      pos = close->end;
      if (close->sigil == '#' || close->sigil == '^')
        nesting++;
      else if (close->sigil == '/')
        {
          if (nesting > 0)
            {
              nesting--;
              continue;
            }
          if (close->name_len != open->name_len || memcmp (close->name, open->name, open->name_len) != 0)
            return fail (error, r, close->start, "a section is closed with another name");
          return TRUE;
        }
    }
}

static gboolean render_range (Renderer *r, gsize pos, gsize end, guint depth, GError **error);

static gboolean
render_scoped (Renderer    *r,
               JsonNode    *item,
               gsize        start,
               gsize        end,
               guint        depth,
               GError     **error)
{
  gboolean pushed = item != NULL && JSON_NODE_HOLDS_OBJECT (item);
  gboolean ok;

  if (pushed)
    g_ptr_array_add (r->scopes, json_node_get_object (item));
  ok = render_range (r, start, end, depth + 1, error);
  if (pushed)
    g_ptr_array_remove_index (r->scopes, r->scopes->len - 1);
  return ok;
}

static gboolean
render_section (Renderer   *r,
                const Tag  *open,
                gsize       body_start,
                gsize       body_end,
                guint       depth,
                GError    **error)
{
  JsonNode *node = lookup (r, open);
  gboolean truthy = is_truthy (node);

  if (depth >= RELAY_MAIL_TEMPLATE_MAX_DEPTH)
    return fail (error, r, open->start, "sections are nested too deeply");
  if (open->sigil == '^')
    return truthy ? TRUE : render_range (r, body_start, body_end, depth + 1, error);
  if (!truthy)
    return TRUE;
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          if (++r->steps > RELAY_MAIL_TEMPLATE_MAX_STEPS)
            return fail (error, r, open->start, "the template takes too many steps to render");
          if (!render_scoped (r, json_array_get_element (array, i), body_start, body_end, depth, error))
            return FALSE;
        }
      return TRUE;
    }
  return render_scoped (r, node, body_start, body_end, depth, error);
}

/* Mustache's "standalone" rule: a section or comment tag alone on its line
 * takes the whole line with it, so templates can put tags on lines of their
 * own without leaving blank lines. from..to is where the line may extend. */
static gboolean
standalone (const Renderer *r,
            const Tag      *tag,
            gsize           from,
            gsize           to,
            gsize          *out_line_start,
            gsize          *out_line_end)
{
  gsize before = tag->start;
  gsize after = tag->end;

  while (before > from && (r->text[before - 1] == ' ' || r->text[before - 1] == '\t'))
    before--;
  if (before > 0 && r->text[before - 1] != '\n')
    return FALSE;
  if (before < from)
    return FALSE;
  while (after < to && (r->text[after] == ' ' || r->text[after] == '\t' || r->text[after] == '\r'))
    after++;
  if (after < to && r->text[after] != '\n')
    return FALSE;
  *out_line_start = before;
  *out_line_end = after < to ? after + 1 : after;
  return TRUE;
}

static gboolean
render_range (Renderer  *r,
              gsize      pos,
              gsize      end,
              guint      depth,
              GError   **error)
{
  while (pos < end)
    {
      Tag tag, close;
      gboolean found;
      gsize line_start, line_end, body_start, body_end;

      if (!next_tag (r, pos, end, &tag, &found, error))
        return FALSE;
      if (!found)
        {
          g_string_append_len (r->out, r->text + pos, (gssize) (end - pos));
          break;
        }
      if (++r->steps > RELAY_MAIL_TEMPLATE_MAX_STEPS)
        return fail (error, r, tag.start, "the template takes too many steps to render");

      switch (tag.sigil)
        {
        case '!':
          if (standalone (r, &tag, pos, end, &line_start, &line_end))
            {
              g_string_append_len (r->out, r->text + pos, (gssize) (line_start - pos));
              pos = line_end;
            }
          else
            {
              g_string_append_len (r->out, r->text + pos, (gssize) (tag.start - pos));
              pos = tag.end;
            }
          break;
        case '/':
          return fail (error, r, tag.start, "a section is closed that was never opened");
        case '#':
        case '^':
          if (!find_section_end (r, &tag, end, &close, error))
            return FALSE;
          body_start = tag.end;
          body_end = close.start;
          if (standalone (r, &tag, pos, end, &line_start, &line_end))
            {
              g_string_append_len (r->out, r->text + pos, (gssize) (line_start - pos));
              body_start = MIN (line_end, close.start);
            }
          else
            g_string_append_len (r->out, r->text + pos, (gssize) (tag.start - pos));
          pos = close.end;
          if (standalone (r, &close, body_start, end, &line_start, &line_end))
            {
              body_end = line_start;
              pos = line_end;
            }
          if (!render_section (r, &tag, body_start, body_end, depth, error))
            return FALSE;
          break;
        default:
          g_string_append_len (r->out, r->text + pos, (gssize) (tag.start - pos));
          append_value (r, lookup (r, &tag), tag.sigil == '{');
          pos = tag.end;
          break;
        }
      if (r->out->len > RELAY_MAIL_TEMPLATE_MAX_OUTPUT)
        return fail (error, r, tag.start, "the rendered message is too large");
    }
  return TRUE;
}

char *
relay_mail_template_render (const char       *text,
                            gsize             len,
                            JsonObject       *context,
                            RelayMailEscape   escape,
                            GError          **error)
{
  g_autoptr(GPtrArray) scopes = g_ptr_array_new ();
  g_autoptr(GString) out = NULL;
  Renderer r = { 0 };

  g_return_val_if_fail (text != NULL || len == 0, NULL);
  g_return_val_if_fail (context != NULL, NULL);

  if (len > RELAY_MAIL_TEMPLATE_MAX_SIZE)
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, NULL, "Mail template is larger than %u bytes",
                            (guint) RELAY_MAIL_TEMPLATE_MAX_SIZE);
      return NULL;
    }
  if (memchr (text, '\0', len) != NULL || !g_utf8_validate (text, (gssize) len, NULL))
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, NULL, "Mail template is not UTF-8 text");
      return NULL;
    }

  out = g_string_sized_new (len + 256);
  g_ptr_array_add (scopes, context);
  r.text = text;
  r.len = len;
  r.scopes = scopes;
  r.escape = escape;
  r.out = out;
  if (!render_range (&r, 0, len, 0, error))
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}
