/* relay-turn-config.h: the [turn] group of the relay's configuration. */
#pragma once

#include <glib.h>
#include <netinet/in.h>

#include "relay-turn-policy.h"

G_BEGIN_DECLS

#define RELAY_TURN_DEFAULT_PORT        3478
#define RELAY_TURN_DEFAULT_REALM       "omnilive"
#define RELAY_TURN_DEFAULT_PORT_MIN    49152
#define RELAY_TURN_DEFAULT_PORT_MAX    65535
#define RELAY_TURN_DEFAULT_USER_QUOTA  128

typedef struct {
  struct sockaddr_in listen;        /* port 0 lets the kernel choose (tests) */
  struct in_addr     external_ip;   /* what clients are told; INADDR_ANY = not set */
  char              *realm;
  char              *secret;
  char              *secret_file;
  guint16            relay_port_min;
  guint16            relay_port_max;
  RelayTurnPolicy   *policy;
  guint              user_quota;    /* allocations per user id; 0 = unlimited */
  guint64            max_bps;       /* bytes per second per allocation and direction; 0 = none */
  guint              threads;       /* data threads; 0 in the file = one per core (up to 8) */
} RelayTurnConfig;

const char * const *relay_turn_config_known_keys (void);
RelayTurnConfig    *relay_turn_config_load       (GKeyFile    *config,
                                                  const char  *data_dir,
                                                  gboolean     http_listen_is_loopback,
                                                  GError     **error);
void                relay_turn_config_free       (RelayTurnConfig *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayTurnConfig, relay_turn_config_free)

G_END_DECLS
