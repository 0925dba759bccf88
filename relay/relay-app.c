/* relay-app.c: creates the store and HTTP server from the config. */
#define G_LOG_DOMAIN "relay-app"

#include "relay-app.h"
#include "relay-http.h"
#include "relay-join-page.h"
#include "relay-signal.h"
#include "relay-turn.h"
#include "omni-error.h"
#include "omni-time.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

static gboolean
on_prune (gpointer user_data)
{
  RelayApp *app = user_data;
  relay_rate_limit_prune (app->password_failures, omni_time_now_ms ());
  return G_SOURCE_CONTINUE;
}

static void
register_routes_once (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      relay_api_sessions_register ();
      relay_api_join_register ();
      relay_api_mail_register ();
      relay_join_page_register ();
      g_once_init_leave (&once, 1);
    }
}

RelayApp *
relay_app_new (RelayConfig  *config,
               GError      **error)
{
  g_autoptr(RelayApp) app = g_new0 (RelayApp, 1);
  g_autofree char *db_path = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  app->config = config;

  if (g_mkdir_with_parents (config->data_dir, 0700) != 0)
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, "data_dir", "Cannot create data directory %s: %s",
                            config->data_dir, g_strerror (errno));
      return NULL;
    }
  db_path = g_build_filename (config->data_dir, "relay.db", NULL);
  app->store = relay_store_open (db_path, error);
  if (app->store == NULL)
    return NULL;

  app->password_failures = relay_rate_limit_new (RELAY_PASSWORD_MAX_FAILURES, RELAY_PASSWORD_WINDOW_MS);
  app->prune_source = g_timeout_add_seconds (60, on_prune, app);

  if (config->tls_cert != NULL)
    {
      g_autoptr(GTlsCertificate) certificate = NULL;
      g_autoptr(GError) local_error = NULL;

      certificate = g_tls_certificate_new_from_files (config->tls_cert, config->tls_key, &local_error);
      if (certificate == NULL)
        {
          omni_error_set_field (error, OMNI_ERROR_CONFIG, "tls_cert", "Cannot load TLS certificate %s / key %s: %s",
                                config->tls_cert, config->tls_key, local_error->message);
          return NULL;
        }
      app->server = soup_server_new ("server-header", "omnilive-relay",
                                     "tls-certificate", certificate, NULL);
    }
  else
    app->server = soup_server_new ("server-header", "omnilive-relay", NULL);

  register_routes_once ();
  relay_http_attach (app);
  app->signal = relay_signal_new (app);

  return g_steal_pointer (&app);
}

/* soup_server_listen() leaves GSocket's backlog of 10 pending connections:
 * a webinar's guests clicking their link together overflow it, and the
 * kernel then drops or resets their connections. */
#define LISTEN_BACKLOG 1024

static gboolean
listen_socket (SoupServer      *server,
               GSocketAddress  *address,
               gboolean         tls,
               GError         **error)
{
  g_autoptr(GSocket) socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, error);

  if (socket == NULL)
    return FALSE;
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return FALSE;
  return soup_server_listen_socket (server, socket, tls ? SOUP_SERVER_LISTEN_HTTPS : 0, error);
}

gboolean
relay_app_listen (RelayApp  *app,
                  GError   **error)
{
  RelayConfig *config = app->config;
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (config->listen_host);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (inet, config->listen_port);
  gboolean tls = config->tls_cert != NULL;
  g_autoptr(GError) local_error = NULL;
  GSList *uris;
  guint port = config->listen_port;
  gboolean ipv6 = g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6;

  if (!listen_socket (app->server, address, tls, &local_error))
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, "listen", "Cannot listen on %s:%u: %s",
                            config->listen_host, config->listen_port, local_error->message);
      return FALSE;
    }

  uris = soup_server_get_uris (app->server);
  if (uris != NULL)
    port = (guint) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  app->listen_url = g_strdup_printf ("%s://%s%s%s:%u", tls ? "https" : "http",
                                     ipv6 ? "[" : "", config->listen_host, ipv6 ? "]" : "", port);
  if (config->public_url != NULL)
    {
      gsize len = strlen (config->public_url);
      while (len > 0 && config->public_url[len - 1] == '/')
        len--;
      app->public_url = g_strndup (config->public_url, len);
    }
  else
    app->public_url = g_strdup (app->listen_url);

  if (!tls && !relay_config_listen_is_loopback (config))
    g_warning ("Serving plain HTTP on a non-loopback address (%s): browsers only allow camera and "
               "microphone on secure origins; set [http] tls_cert and tls_key", app->listen_url);
  return TRUE;
}

static void
add_signal_ice_servers (JsonBuilder *builder,
                        const char  *participant_id,
                        gpointer     user_data)
{
  RelayApp *app = user_data;

  relay_turn_server_build_ice_servers (app->turn, builder, participant_id,
                                       RELAY_ICE_CREDENTIAL_TTL_S);
}

void
relay_app_set_turn (RelayApp        *app,
                    RelayTurnServer *turn)
{
  g_set_object (&app->turn, turn);
  relay_signal_set_ice_servers_func (app->signal, turn != NULL ? add_signal_ice_servers : NULL, app);
}

void
relay_app_add_ice_servers (RelayApp    *app,
                           JsonBuilder *builder,
                           const char  *participant_id)
{
  if (app->turn == NULL)
    return;
  json_builder_set_member_name (builder, "iceServers");
  relay_turn_server_build_ice_servers (app->turn, builder, participant_id,
                                       RELAY_ICE_CREDENTIAL_TTL_S);
}

void
relay_app_free (RelayApp *app)
{
  if (app == NULL)
    return;
  if (app->server != NULL)
    soup_server_disconnect (app->server);
  g_clear_pointer (&app->signal, relay_signal_free);
  g_clear_object (&app->turn);
  g_clear_object (&app->server);
  g_clear_handle_id (&app->prune_source, g_source_remove);
  g_clear_pointer (&app->password_failures, relay_rate_limit_free);
  g_clear_pointer (&app->store, relay_store_close);
  g_free (app->public_url);
  g_free (app->listen_url);
  g_free (app);
}
