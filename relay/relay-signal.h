/* relay-signal.h: the signaling server at /ws — rooms of live sessions,
 * waiting rooms, moderation, chat, SDP/ICE forwarding between the host and
 * its admitted guests. The protocol is shared/PROTOCOL.md. */
#pragma once

#include <json-glib/json-glib.h>

#include "relay-app.h"

G_BEGIN_DECLS

typedef struct _RelaySignal RelaySignal;

/* Adds the WebSocket handler to app->server. */
RelaySignal *relay_signal_new             (RelayApp    *app);
/* Closes every socket (going away) and drops the rooms. */
void         relay_signal_free            (RelaySignal *self);

/* A session's status changed through the REST API (start, end, cancel):
 * pages waiting for the start hear it; an ended session's room is told
 * (session-ended) and its sockets closed. */
void         relay_signal_session_changed (RelaySignal *self,
                                           const char  *session_id);

/* Appends an iceServers array value (RTCIceServer objects, e.g. time-limited
 * TURN credentials) for one participant to builder; the member name is
 * already set. relay_turn_server_build_ice_servers fits with a small adapter
 * that passes the credentials' lifetime. */
typedef void (*RelaySignalIceServersFunc) (JsonBuilder *builder,
                                           const char  *participant_id,
                                           gpointer     user_data);

/* With a func, every welcome carries "iceServers" (the host's engine and the
 * join page use them for their peer connections). */
void         relay_signal_set_ice_servers_func (RelaySignal               *self,
                                                RelaySignalIceServersFunc  func,
                                                gpointer                   user_data);

G_END_DECLS
