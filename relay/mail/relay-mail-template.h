/* relay-mail-template.h: the mail template language — a bounded subset of
 * Mustache — so templates can be edited by admins without touching code, and
 * every value placed into HTML is escaped by the renderer, not by each caller. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Templates and their output are bounded so an overriding file (or the fuzzer)
 * can never make the worker allocate or loop without limit. */
#define RELAY_MAIL_TEMPLATE_MAX_SIZE    (64 * 1024)
#define RELAY_MAIL_TEMPLATE_MAX_OUTPUT  (1024 * 1024)
#define RELAY_MAIL_TEMPLATE_MAX_DEPTH   8
#define RELAY_MAIL_TEMPLATE_MAX_STEPS   200000

typedef enum {
  RELAY_MAIL_ESCAPE_NONE,   /* text/plain and subjects */
  RELAY_MAIL_ESCAPE_HTML,   /* text/html: {{name}} is escaped, {{{name}}} is not */
} RelayMailEscape;

/* Renders text (len bytes, need not be NUL-terminated) against context:
 *   {{name}}               the value (strings, integers, booleans)
 *   {{{name}}}             the value unescaped (only for pre-rendered HTML)
 *   {{#name}}…{{/name}}    shown when the value is set, non-empty and not false;
 *                          repeated for each element of an array of objects,
 *                          an object's members come into scope
 *   {{^name}}…{{/name}}    shown when the value is unset, empty or false
 *   {{! comment }}
 * Unknown names render as nothing. Malformed templates are an error. */
char *relay_mail_template_render (const char       *text,
                                  gsize             len,
                                  JsonObject       *context,
                                  RelayMailEscape   escape,
                                  GError          **error);

/* Appends text with & < > " ' replaced by entities. */
void  relay_mail_html_escape_append (GString    *out,
                                     const char *text);

G_END_DECLS
