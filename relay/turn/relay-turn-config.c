/* relay-turn-config.c: reads [turn] with defaults that run with nothing configured, and
 * creates the shared secret on first start. */
#define G_LOG_DOMAIN "relay-turn"

#include "relay-turn-config.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <glib/gstdio.h>

#include "omni-error.h"
#include "omni-token.h"

#define GROUP "turn"
/* a secret longer than this is not a secret file */
#define MAX_SECRET_FILE 4096

static const char * const known_keys[] = {
  "listen",
  "external_ip",
  "realm",
  "secret_file",
  "relay_ports",
  "allowed_peers",
  "user_quota",
  "max_bps",
  "threads",
  NULL
};

const char * const *
relay_turn_config_known_keys (void)
{
  return known_keys;
}

static gboolean
parse_listen (const char *text, struct sockaddr_in *out, GError **error)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  char *colon = strrchr (copy, ':');
  guint64 port;

  memset (out, 0, sizeof *out);
  out->sin_family = AF_INET;
  /* IPv4 only for now: the relay sockets are IPv4, and a dual-stack listener would hand
   * IPv4-mapped addresses to every table. */
  if (colon == NULL)
    goto bad;
  *colon = '\0';
  if (inet_pton (AF_INET, copy, &out->sin_addr) != 1 ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    goto bad;
  out->sin_port = htons ((guint16) port);
  return TRUE;

bad:
  g_set_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG,
               "[turn] listen: “%s” is not IPV4-ADDRESS:PORT", text);
  return FALSE;
}

static gboolean
parse_ports (const char *text, guint16 *min, guint16 *max, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (text, "-", 2);
  guint64 lo, hi;

  if (g_strv_length (parts) != 2 ||
      !g_ascii_string_to_unsigned (g_strstrip (parts[0]), 10, 1024, 65535, &lo, NULL) ||
      !g_ascii_string_to_unsigned (g_strstrip (parts[1]), 10, 1024, 65535, &hi, NULL) ||
      lo > hi)
    {
      g_set_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG,
                   "[turn] relay_ports: “%s” is not a range like 49160-49999 (ports ≥ 1024)",
                   text);
      return FALSE;
    }
  *min = (guint16) lo;
  *max = (guint16) hi;
  return TRUE;
}

static gboolean
get_uint (GKeyFile *kf, const char *key, guint64 max, guint64 *out, GError **error)
{
  g_autofree char *text = g_key_file_get_string (kf, GROUP, key, NULL);

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (g_strstrip (text), 10, 0, max, out, NULL))
    {
      g_set_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG,
                   "[turn] %s: “%s” is not a number from 0 to %" G_GUINT64_FORMAT, key, text, max);
      return FALSE;
    }
  return TRUE;
}

/* Reads the secret, or creates it (mode 0600) when the file does not exist yet. */
static char *
load_secret (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize len;

  if (g_file_get_contents (path, &contents, &len, &local_error))
    {
      if (len > MAX_SECRET_FILE || *g_strstrip (contents) == '\0')
        {
          g_set_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG,
                       "[turn] secret_file %s: empty or too large", path);
          return NULL;
        }
      return g_steal_pointer (&contents);
    }
  if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_set_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG,
                   "[turn] secret_file: %s", local_error->message);
      return NULL;
    }

  {
    g_autofree char *dir = g_path_get_dirname (path);
    g_autofree char *secret = omni_token_new (32);
    g_autofree char *line = g_strconcat (secret, "\n", NULL);

    if (g_mkdir_with_parents (dir, 0700) != 0)
      {
        int saved = errno;

        g_set_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG,
                     "[turn] cannot create %s: %s", dir, g_strerror (saved));
        return NULL;
      }
    g_clear_error (&local_error);
    if (!g_file_set_contents_full (path, line, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_ONLY_EXISTING,
                                   0600, &local_error))
      {
        g_set_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG,
                     "[turn] cannot write the secret: %s", local_error->message);
        return NULL;
      }
    g_message ("created a new TURN secret in %s", path);
    return g_steal_pointer (&secret);
  }
}

RelayTurnConfig *
relay_turn_config_load (GKeyFile    *kf,
                        const char  *data_dir,
                        gboolean     http_listen_is_loopback,
                        GError     **error)
{
  g_autoptr(RelayTurnConfig) config = g_new0 (RelayTurnConfig, 1);
  g_autofree char *listen = NULL;
  g_autofree char *external = NULL;
  g_autofree char *ports = NULL;
  g_auto(GStrv) allowed = NULL;
  guint64 quota = RELAY_TURN_DEFAULT_USER_QUOTA, max_bps = 0, threads = 0;

  g_return_val_if_fail (data_dir != NULL, NULL);

  if (kf != NULL && g_key_file_has_group (kf, GROUP))
    {
      listen = g_key_file_get_string (kf, GROUP, "listen", NULL);
      external = g_key_file_get_string (kf, GROUP, "external_ip", NULL);
      config->realm = g_key_file_get_string (kf, GROUP, "realm", NULL);
      config->secret_file = g_key_file_get_string (kf, GROUP, "secret_file", NULL);
      ports = g_key_file_get_string (kf, GROUP, "relay_ports", NULL);
      allowed = g_key_file_get_string_list (kf, GROUP, "allowed_peers", NULL, NULL);
      if (allowed != NULL && g_strv_length (allowed) == 1 && strchr (allowed[0], ',') != NULL)
        {
          /* "a, b" is as natural to write as "a;b" */
          g_auto(GStrv) split = g_strsplit (allowed[0], ",", -1);

          g_strfreev (allowed);
          allowed = g_steal_pointer (&split);
        }
      if (!get_uint (kf, "user_quota", G_MAXUINT, &quota, error) ||
          !get_uint (kf, "max_bps", G_MAXUINT32, &max_bps, error) ||
          !get_uint (kf, "threads", 64, &threads, error))
        return NULL;
    }

  if (listen == NULL)
    listen = g_strdup_printf ("%s:%d", http_listen_is_loopback ? "127.0.0.1" : "0.0.0.0",
                              RELAY_TURN_DEFAULT_PORT);
  if (!parse_listen (listen, &config->listen, error))
    return NULL;

  if (external != NULL && *g_strstrip (external) != '\0' &&
      inet_pton (AF_INET, external, &config->external_ip) != 1)
    {
      g_set_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG,
                   "[turn] external_ip: “%s” is not an IPv4 address", external);
      return NULL;
    }

  if (config->realm == NULL || *g_strstrip (config->realm) == '\0')
    {
      g_free (config->realm);
      config->realm = g_strdup (RELAY_TURN_DEFAULT_REALM);
    }
  if (strlen (config->realm) > 127)
    {
      g_set_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG, "[turn] realm is too long");
      return NULL;
    }

  config->relay_port_min = RELAY_TURN_DEFAULT_PORT_MIN;
  config->relay_port_max = RELAY_TURN_DEFAULT_PORT_MAX;
  if (ports != NULL && !parse_ports (ports, &config->relay_port_min, &config->relay_port_max, error))
    return NULL;

  config->policy = relay_turn_policy_new ((const char * const *) allowed, error);
  if (config->policy == NULL)
    return NULL;
  config->user_quota = (guint) quota;
  config->max_bps = max_bps;
  /* one data thread per core: each owns its share of the clients (SO_REUSEPORT) */
  config->threads = threads > 0 ? (guint) threads : CLAMP (g_get_num_processors (), 1, 8);

  if (config->secret_file == NULL || *g_strstrip (config->secret_file) == '\0')
    {
      g_free (config->secret_file);
      config->secret_file = g_build_filename (data_dir, "turn-secret", NULL);
    }
  config->secret = load_secret (config->secret_file, error);
  if (config->secret == NULL)
    return NULL;

  return g_steal_pointer (&config);
}

void
relay_turn_config_free (RelayTurnConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->realm);
  if (config->secret != NULL)
    memset (config->secret, 0, strlen (config->secret));
  g_free (config->secret);
  g_free (config->secret_file);
  g_clear_pointer (&config->policy, relay_turn_policy_free);
  g_free (config);
}
