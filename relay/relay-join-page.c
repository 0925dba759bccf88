/* relay-join-page.c: serves the join page and its assets from the compiled
 * GResource with a strict Content-Security-Policy: scripts and styles only
 * from the relay itself, no inline code, no framing, no referrer. The page is
 * the same for every link; it reads the link from its own URL. */
#define G_LOG_DOMAIN "relay-join"

#include <gio/gio.h>

#include "relay-join-page.h"
#include "relay-http.h"
#include "omni-error.h"
#include "omnilive-join-resources.h"

#include <string.h>

#define RESOURCE_PREFIX "/org/omnilive/join/"

static const struct {
  const char *name;
  const char *content_type;
} assets[] = {
  { "join.css",    "text/css; charset=utf-8" },
  { "join.js",     "text/javascript; charset=utf-8" },
  { "favicon.svg", "image/svg+xml" },
};

static void
set_security_headers (RelayRequest *request)
{
  RelayApp *app = relay_request_get_app (request);
  const char *base = app->public_url;
  g_autofree char *ws_origin = NULL;
  g_autofree char *csp = NULL;

  /* 'self' does not cover ws:/wss: in every browser; name the relay's own
   * WebSocket origin explicitly. */
  if (g_str_has_prefix (base, "https://"))
    ws_origin = g_strconcat ("wss://", base + strlen ("https://"), NULL);
  else if (g_str_has_prefix (base, "http://"))
    ws_origin = g_strconcat ("ws://", base + strlen ("http://"), NULL);
  else
    ws_origin = g_strdup ("");

  csp = g_strdup_printf ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                         "media-src 'self' blob: mediastream:; connect-src 'self' %s; "
                         "base-uri 'none'; form-action 'none'; frame-ancestors 'none'", ws_origin);
  relay_request_set_header (request, "Content-Security-Policy", csp);
  relay_request_set_header (request, "X-Frame-Options", "DENY");
  relay_request_set_header (request, "Permissions-Policy",
                            "camera=(self), microphone=(self), display-capture=(self), geolocation=()");
  relay_request_set_header (request, "Cross-Origin-Opener-Policy", "same-origin");
}

static GBytes *
lookup (const char  *name,
        GError     **error)
{
  g_autofree char *path = g_strconcat (RESOURCE_PREFIX, name, NULL);

  /* Referencing the resource keeps its constructor in the static library. */
  g_return_val_if_fail (omnilive_join_get_resource () != NULL, NULL);
  return g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
}

static void
reply_resource (RelayRequest *request,
                const char   *name,
                const char   *content_type,
                const char   *cache_control)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = lookup (name, &error);

  if (bytes == NULL)
    {
      g_autoptr(GError) reply = NULL;
      g_warning ("Join page resource %s is missing: %s", name, error->message);
      omni_error_set_field (&reply, OMNI_ERROR_INTERNAL, NULL, "The join page is missing from this build");
      relay_request_reply_error (request, reply);
      return;
    }
  set_security_headers (request);
  relay_request_set_header (request, "Cache-Control", cache_control);
  relay_request_reply_bytes (request, 200, content_type, bytes);
}

static void
handle_page (RelayRequest *request)
{
  /* The link's status is checked by the page (GET /api/join/:link), which
   * then shows "not found", "ended" and so on on a real screen. */
  reply_resource (request, "join.html", "text/html; charset=utf-8", "no-store");
}

static void
handle_asset (RelayRequest *request)
{
  const char *name = relay_request_get_param (request, 0);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (assets); i++)
    if (g_strcmp0 (assets[i].name, name) == 0)
      {
        reply_resource (request, assets[i].name, assets[i].content_type, "no-cache");
        return;
      }
  omni_error_set_field (&error, OMNI_ERROR_NOT_FOUND, NULL, "There is nothing at this address");
  relay_request_reply_error (request, error);
}

static const RelayRoute join_page_routes[] = {
  { "GET", "/session/join/:link",   handle_page,  RELAY_ROUTE_PUBLIC },
  { "GET", "/session/assets/:name", handle_asset, RELAY_ROUTE_PUBLIC },
};

void
relay_join_page_register (void)
{
  relay_http_add_routes (join_page_routes, G_N_ELEMENTS (join_page_routes));
}
