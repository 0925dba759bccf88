/* turn-test-client.h: a minimal TURN client for the tests, built on the relay's own codec
 * (the codec itself is checked against RFC 5769 vectors and coturn's client). */
#pragma once

#include <glib.h>
#include <netinet/in.h>

#include "relay-turn.h"
#include "relay-turn-codec.h"

G_BEGIN_DECLS

typedef struct {
  int                fd;
  gboolean           tcp;
  struct sockaddr_in server;
  struct sockaddr_in local;
  char              *username;
  char              *password;
  char               realm[256];
  char               nonce[256];
  RelayHmacKey       key;
  guint8             tid[RELAY_STUN_TID_SIZE];
  /* last response */
  guint8             buf[RELAY_STUN_MAX_MESSAGE + 8];
  gsize              len;
  RelayStunMsg       msg;
  struct sockaddr_in relayed;
} TurnTestClient;

typedef void (*TurnTestAddAttrs) (RelayStunBuilder *b, gpointer user_data);

TurnTestClient *turn_test_client_new       (guint16     port,
                                            gboolean    tcp,
                                            const char *username,
                                            const char *password);
void            turn_test_client_free      (TurnTestClient *c);
void            turn_test_client_set_credentials (TurnTestClient *c,
                                                  const char     *username,
                                                  const char     *password);

/* Sends a request (with a new transaction id unless reuse_tid) and waits up to 2 s for its
 * response.  With auth, USERNAME/REALM/NONCE/MESSAGE-INTEGRITY are added from the last
 * challenge.  Returns 0 for a success response, the error code, or -1 on timeout. */
int             turn_test_client_request   (TurnTestClient  *c,
                                            guint16          method,
                                            gboolean         auth,
                                            gboolean         reuse_tid,
                                            TurnTestAddAttrs add,
                                            gpointer         user_data);
/* Like request(auth), but fetches a nonce first and follows one 438. */
int             turn_test_client_request_auth (TurnTestClient  *c,
                                               guint16          method,
                                               TurnTestAddAttrs add,
                                               gpointer         user_data);
/* Allocate (UDP relay) and remember the relayed address. */
int             turn_test_client_allocate  (TurnTestClient *c);
int             turn_test_client_create_permission (TurnTestClient           *c,
                                                    const struct sockaddr    *peer);
int             turn_test_client_channel_bind (TurnTestClient           *c,
                                               guint16                   channel,
                                               const struct sockaddr_in *peer);
void            turn_test_client_send_indication (TurnTestClient        *c,
                                                  const struct sockaddr *peer,
                                                  const void            *data,
                                                  gsize                  len);
void            turn_test_client_send_channel_data (TurnTestClient *c,
                                                    guint16         channel,
                                                    const void     *data,
                                                    gsize           len);
/* Waits up to timeout_ms for the next datagram/frame from the server; its bytes are in
 * c->buf/c->len.  FALSE on timeout. */
gboolean        turn_test_client_receive   (TurnTestClient *c,
                                            int             timeout_ms);

/* A UDP socket on 127.0.0.1 (or bind_any: 0.0.0.0) with a kernel-chosen port. */
int             turn_test_udp_socket       (gboolean            bind_any,
                                            struct sockaddr_in *bound);
/* recvfrom with a timeout; returns the length or -1. */
gssize          turn_test_udp_receive      (int                 fd,
                                            guint8             *buf,
                                            gsize               cap,
                                            struct sockaddr_in *from,
                                            int                 timeout_ms);
/* An IPv4 or IPv6 literal and a port as a socket address. */
void            turn_test_sockaddr         (const char              *text,
                                            guint16                  port,
                                            struct sockaddr_storage *ss);
/* A username "expiry:user_id" valid for ttl seconds (negative: already expired) */
char           *turn_test_username         (const char *user_id,
                                            gint64      ttl);

/* Our server in process on 127.0.0.1 (kernel-chosen port), with its secret in a temporary
 * directory and allowed_peers=127.0.0.1; extra is appended to the [turn] group. */
typedef struct {
  char            *dir;
  char            *secret_file;
  RelayTurnServer *server;
  guint16          port;
} TurnTestServer;

TurnTestServer *turn_test_server_start     (const char     *secret,
                                            const char     *extra);
void            turn_test_server_free      (TurnTestServer *s);

G_END_DECLS
