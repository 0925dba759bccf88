/* relay-config.c: config file loading and listen address parsing. */
#define G_LOG_DOMAIN "relay-config"

#include "relay-config.h"
#include "omni-error.h"

#include <gio/gio.h>

void
relay_config_free (RelayConfig *config)
{
  if (config == NULL)
    return;
  g_clear_pointer (&config->keyfile, g_key_file_unref);
  g_free (config->path);
  g_free (config->listen_host);
  g_free (config->public_url);
  g_free (config->data_dir);
  g_free (config->tls_cert);
  g_free (config->tls_key);
  g_free (config);
}

gboolean
relay_config_set_listen (RelayConfig  *config,
                         const char   *listen,
                         GError      **error)
{
  g_autoptr(GSocketConnectable) address = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *host;
  guint16 port;

  address = g_network_address_parse (listen, 0, &local_error);
  if (address == NULL)
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, "listen",
                            "Listen address '%s' is not ADDR:PORT: %s", listen, local_error->message);
      return FALSE;
    }
  host = g_network_address_get_hostname (G_NETWORK_ADDRESS (address));
  port = g_network_address_get_port (G_NETWORK_ADDRESS (address));
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    host = "127.0.0.1";
  inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, "listen",
                            "Listen address '%s' must be an IP address and port, e.g. 127.0.0.1:8080", listen);
      return FALSE;
    }
  if (g_strrstr (listen, ":") == NULL)
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, "listen",
                            "Listen address '%s' has no port, e.g. 127.0.0.1:8080", listen);
      return FALSE;
    }

  g_free (config->listen_host);
  config->listen_host = g_strdup (host);
  config->listen_port = port;
  return TRUE;
}

gboolean
relay_config_listen_is_loopback (const RelayConfig *config)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (config->listen_host);
  return inet != NULL && g_inet_address_get_is_loopback (inet);
}

static char *
get_string (GKeyFile   *keyfile,
            const char *group,
            const char *key)
{
  g_autofree char *value = g_key_file_get_string (keyfile, group, key, NULL);
  if (value == NULL)
    return NULL;
  g_strstrip (value);
  if (*value == '\0')
    return NULL;
  return g_steal_pointer (&value);
}

RelayConfig *
relay_config_load (const char  *path,
                   GError     **error)
{
  g_autoptr(RelayConfig) config = g_new0 (RelayConfig, 1);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *listen = NULL;

  config->keyfile = g_key_file_new ();

  if (path == NULL && g_file_test (RELAY_SYSTEM_CONFIG_PATH, G_FILE_TEST_EXISTS))
    path = RELAY_SYSTEM_CONFIG_PATH;

  if (path != NULL)
    {
      if (!g_key_file_load_from_file (config->keyfile, path, G_KEY_FILE_NONE, &local_error))
        {
          omni_error_set_field (error, OMNI_ERROR_CONFIG, NULL,
                                "Cannot read config %s: %s", path, local_error->message);
          return NULL;
        }
      config->path = g_strdup (path);
    }

  listen = get_string (config->keyfile, "http", "listen");
  if (!relay_config_set_listen (config, listen ? listen : RELAY_DEFAULT_LISTEN, error))
    {
      if (config->path != NULL)
        g_prefix_error (error, "%s [http]: ", config->path);
      return NULL;
    }

  config->public_url = get_string (config->keyfile, "http", "public_url");
  if (config->public_url != NULL &&
      !g_str_has_prefix (config->public_url, "http://") && !g_str_has_prefix (config->public_url, "https://"))
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, "public_url",
                            "%s [http] public_url must start with http:// or https://", config->path);
      return NULL;
    }
  config->tls_cert = get_string (config->keyfile, "http", "tls_cert");
  config->tls_key = get_string (config->keyfile, "http", "tls_key");
  if ((config->tls_cert == NULL) != (config->tls_key == NULL))
    {
      omni_error_set_field (error, OMNI_ERROR_CONFIG, "tls_cert",
                            "%s [http]: tls_cert and tls_key must be given together", config->path);
      return NULL;
    }

  config->data_dir = get_string (config->keyfile, "relay", "data_dir");
  if (config->data_dir == NULL)
    config->data_dir = g_build_filename (g_get_user_data_dir (), "omnilive-relay", NULL);

  return g_steal_pointer (&config);
}

guint
relay_config_report_unknown_keys (const RelayConfig          *config,
                                  const char * const         *groups,
                                  const char * const * const *keys)
{
  g_auto(GStrv) file_groups = g_key_file_get_groups (config->keyfile, NULL);
  guint unknown = 0;

  for (guint g = 0; file_groups[g] != NULL; g++)
    {
      g_auto(GStrv) file_keys = NULL;
      int known_group = -1;

      for (guint i = 0; groups[i] != NULL; i++)
        if (g_strcmp0 (groups[i], file_groups[g]) == 0)
          known_group = (int) i;

      if (known_group < 0)
        {
          g_warning ("%s: unknown group [%s] is ignored", config->path, file_groups[g]);
          unknown++;
          continue;
        }

      file_keys = g_key_file_get_keys (config->keyfile, file_groups[g], NULL, NULL);
      for (guint k = 0; file_keys != NULL && file_keys[k] != NULL; k++)
        if (!g_strv_contains ((const char * const *) keys[known_group], file_keys[k]))
          {
            g_warning ("%s: unknown key '%s' in [%s] is ignored", config->path, file_keys[k], file_groups[g]);
            unknown++;
          }
    }
  return unknown;
}
