/* relay-config.h: the relay's settings: a GKeyFile (/etc/omnilive/relay.ini
 * or --config), overridden by command-line flags, with embedded defaults. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RELAY_DEFAULT_LISTEN      "127.0.0.1:8080"
#define RELAY_SYSTEM_CONFIG_PATH  "/etc/omnilive/relay.ini"

typedef struct {
  GKeyFile *keyfile;        /* the whole file, for modules' own groups */
  char     *path;           /* NULL when running on defaults alone */
  char     *listen_host;    /* an IP literal */
  guint16   listen_port;
  char     *public_url;     /* NULL until known: defaults to the listen URL */
  char     *data_dir;
  char     *tls_cert;
  char     *tls_key;
} RelayConfig;

/* path NULL: the system file when it exists, else defaults only. */
RelayConfig *relay_config_load          (const char   *path,
                                         GError      **error);
void         relay_config_free          (RelayConfig  *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayConfig, relay_config_free)

/* Parses "ADDR:PORT" or "[V6ADDR]:PORT". */
gboolean     relay_config_set_listen    (RelayConfig  *config,
                                         const char   *listen,
                                         GError      **error);
gboolean     relay_config_listen_is_loopback (const RelayConfig *config);

/* Logs a warning for every key of the file that no module knows. groups and
 * keys are parallel: keys[i] is the NULL-terminated key list of groups[i]. */
guint        relay_config_report_unknown_keys (const RelayConfig        *config,
                                               const char * const       *groups,
                                               const char * const * const *keys);

G_END_DECLS
