/* relay-turn.h: the relay's embedded TURN/STUN server (RFC 8656 over UDP and TCP, RFC 8489
 * Binding) with coturn-compatible time-limited credentials. */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define RELAY_TYPE_TURN_SERVER (relay_turn_server_get_type ())
G_DECLARE_FINAL_TYPE (RelayTurnServer, relay_turn_server, RELAY, TURN_SERVER, GObject)

/* Known keys of the [turn] group, NULL-terminated, so the config loader can report unknown
 * keys. */
const char * const *relay_turn_config_keys (void);

/* Reads [turn] from the relay's GKeyFile (the group may be absent: defaults).
 * http_listen_is_loopback picks the default listen address; secret_file defaults to
 * data_dir/turn-secret (created, mode 0600, on first start). */
RelayTurnServer *relay_turn_server_new       (GKeyFile    *config,
                                              const char  *data_dir,
                                              gboolean     http_listen_is_loopback,
                                              GError     **error);
/* Binds UDP and TCP on the listen address and starts the data thread. */
gboolean         relay_turn_server_start     (RelayTurnServer *self,
                                              GError         **error);
/* Stops the data thread and frees every allocation; safe to call twice. */
void             relay_turn_server_stop      (RelayTurnServer *self);
/* The bound port (the listen port may be 0 in tests). */
guint16          relay_turn_server_get_port  (RelayTurnServer *self);
/* Appends an iceServers array value to builder (the member name is already set):
 * [{"urls":["stun:HOST:PORT"]},
 *  {"urls":["turn:HOST:PORT?transport=udp","turn:HOST:PORT?transport=tcp"],
 *   "username":"<expiry>:<user_id>","credential":"..."}], expiry = now + ttl_seconds.
 * Thread-safe: only reads immutable configuration. */
void             relay_turn_server_build_ice_servers (RelayTurnServer *self,
                                                      JsonBuilder     *builder,
                                                      const char      *user_id,
                                                      gint64           ttl_seconds);

G_END_DECLS
