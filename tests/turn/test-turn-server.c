/* test-turn-server.c: the TURN server over real loopback sockets, in process: the protocol
 * (allocate, refresh, permissions, channels, Send/Data, TCP) and its security checks (bad
 * and expired credentials, stale nonces, quota, denied peers, expiry). */
#define G_LOG_DOMAIN "test-turn-server"

#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "relay-turn.h"
#include "relay-turn-auth.h"
#include "relay-turn-private.h"
#include "turn-test-client.h"

#define SECRET "test-secret-0123456789"

typedef struct {
  TurnTestServer  *turn;
  RelayTurnServer *server;
  guint16          port;
  int              peer_fd;
  struct sockaddr_in peer;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autofree char *extra = g_strconcat ("realm=test.realm\n", data, NULL);

  f->turn = turn_test_server_start (SECRET "\n", extra);
  f->server = f->turn->server;
  f->port = f->turn->port;
  f->peer_fd = turn_test_udp_socket (FALSE, &f->peer);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  close (f->peer_fd);
  turn_test_server_free (f->turn);
}

static TurnTestClient *
new_client (Fixture *f, gboolean tcp, const char *user_id)
{
  g_autofree char *username = turn_test_username (user_id, 24 * 3600);
  g_autofree char *password = relay_turn_auth_password (SECRET, username);

  return turn_test_client_new (f->port, tcp, username, password);
}

/* Waits (bounded) for a condition that the data thread makes true. */
static gboolean
wait_allocations (Fixture *f, guint expected)
{
  gint64 deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

  while (relay_turn_server_get_allocation_count (f->server) != expected)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (2000);
    }
  return TRUE;
}

static gboolean
wait_drops (Fixture *f, guint expected)
{
  gint64 deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

  while (relay_turn_server_get_drop_count (f->server) < expected)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (2000);
    }
  return TRUE;
}

static void
test_binding (Fixture *f, gconstpointer data)
{
  TurnTestClient *c = new_client (f, FALSE, "u");
  struct sockaddr_storage mapped;

  g_assert_cmpint (turn_test_client_request (c, RELAY_STUN_BINDING, FALSE, FALSE, NULL, NULL), ==, 0);
  g_assert_cmpint (c->msg.fingerprint_offset, >, 0);
  g_assert_true (relay_stun_get_address (&c->msg, relay_stun_find (&c->msg, RELAY_STUN_ATTR_XOR_MAPPED_ADDRESS),
                                         TRUE, &mapped));
  g_assert_cmpmem (&mapped, sizeof c->local, &c->local, sizeof c->local);
  turn_test_client_free (c);
}

static void
add_transport (RelayStunBuilder *b, gpointer data)
{
  relay_stun_builder_add_u32 (b, RELAY_STUN_ATTR_REQUESTED_TRANSPORT, GPOINTER_TO_UINT (data) << 24);
}

static void
test_unauthenticated (Fixture *f, gconstpointer data)
{
  TurnTestClient *c = new_client (f, FALSE, "u");

  g_assert_cmpint (turn_test_client_request (c, RELAY_STUN_ALLOCATE, FALSE, FALSE, add_transport,
                                             GUINT_TO_POINTER (17)), ==, 401);
  g_assert_cmpstr (c->realm, ==, "test.realm");
  g_assert_cmpuint (strlen (c->nonce), ==, RELAY_TURN_NONCE_LEN);
  g_assert_cmpint (c->msg.integrity_offset, ==, -1);
  g_assert_cmpuint (relay_turn_server_get_allocation_count (f->server), ==, 0);
  turn_test_client_free (c);
}

static void
test_wrong_password (Fixture *f, gconstpointer data)
{
  TurnTestClient *c = new_client (f, FALSE, "u");
  g_autofree char *username = turn_test_username ("u", 3600);
  g_autofree char *other = relay_turn_auth_password ("another-secret", username);

  turn_test_client_set_credentials (c, username, other);
  g_assert_cmpint (turn_test_client_allocate (c), ==, 401);
  /* a right password for a different user name is wrong too */
  {
    g_autofree char *bob = turn_test_username ("bob", 3600);
    g_autofree char *bob_password = relay_turn_auth_password (SECRET, bob);

    turn_test_client_set_credentials (c, username, bob_password);
    g_assert_cmpint (turn_test_client_allocate (c), ==, 401);
  }
  g_assert_cmpuint (relay_turn_server_get_allocation_count (f->server), ==, 0);
  turn_test_client_free (c);
}

static void
test_expired_credentials (Fixture *f, gconstpointer data)
{
  g_autofree char *username = turn_test_username ("u", -10);
  g_autofree char *password = relay_turn_auth_password (SECRET, username);
  TurnTestClient *c = turn_test_client_new (f->port, FALSE, username, password);

  g_assert_cmpint (turn_test_client_allocate (c), ==, 401);
  /* and a username without an expiry is no credential at all */
  {
    g_autofree char *alice = relay_turn_auth_password (SECRET, "alice");

    turn_test_client_set_credentials (c, "alice", alice);
    g_assert_cmpint (turn_test_client_allocate (c), ==, 401);
  }
  turn_test_client_free (c);
}

static void
test_stale_nonce (Fixture *f, gconstpointer data)
{
  TurnTestClient *c = new_client (f, FALSE, "u");
  char old_nonce[sizeof c->nonce];

  g_assert_cmpint (turn_test_client_request (c, RELAY_STUN_ALLOCATE, FALSE, FALSE, add_transport,
                                             GUINT_TO_POINTER (17)), ==, 401);
  g_strlcpy (old_nonce, c->nonce, sizeof old_nonce);
  relay_turn_server_advance_clock (f->server, 601);

  /* the replayed nonce is stale: 438 with a fresh one, which then works */
  g_assert_cmpint (turn_test_client_request (c, RELAY_STUN_ALLOCATE, TRUE, FALSE, add_transport,
                                             GUINT_TO_POINTER (17)), ==, 438);
  g_assert_cmpstr (c->nonce, !=, old_nonce);
  g_assert_cmpint (c->msg.integrity_offset, ==, -1);
  g_assert_cmpint (turn_test_client_request (c, RELAY_STUN_ALLOCATE, TRUE, FALSE, add_transport,
                                             GUINT_TO_POINTER (17)), ==, 0);

  /* replaying the stale nonce on a later request is refused again */
  g_strlcpy (c->nonce, old_nonce, sizeof c->nonce);
  g_assert_cmpint (turn_test_client_request (c, RELAY_STUN_REFRESH, TRUE, FALSE, NULL, NULL), ==, 438);
  /* a forged nonce likewise */
  memcpy (c->nonce, "nffffffff0000000000000000", RELAY_TURN_NONCE_LEN + 1);
  g_assert_cmpint (turn_test_client_request (c, RELAY_STUN_REFRESH, TRUE, FALSE, NULL, NULL), ==, 438);
  turn_test_client_free (c);
}

static void
test_allocate_errors (Fixture *f, gconstpointer data)
{
  TurnTestClient *c = new_client (f, FALSE, "u");
  guint8 first_tid[RELAY_STUN_TID_SIZE];
  struct sockaddr_in relayed;

  g_assert_cmpint (turn_test_client_request_auth (c, RELAY_STUN_ALLOCATE, NULL, NULL), ==, 400);
  g_assert_cmpint (turn_test_client_request_auth (c, RELAY_STUN_ALLOCATE, add_transport,
                                                  GUINT_TO_POINTER (6)), ==, 442);
  g_assert_cmpint (turn_test_client_request_auth (c, RELAY_STUN_REFRESH, NULL, NULL), ==, 437);

  g_assert_cmpint (turn_test_client_allocate (c), ==, 0);
  relayed = c->relayed;
  memcpy (first_tid, c->tid, sizeof first_tid);
  /* a retransmission (same transaction) gets the same allocation back */
  g_assert_cmpint (turn_test_client_request (c, RELAY_STUN_ALLOCATE, TRUE, TRUE, add_transport,
                                             GUINT_TO_POINTER (17)), ==, 0);
  {
    struct sockaddr_storage ss;

    g_assert_true (relay_stun_get_address (&c->msg, relay_stun_find (&c->msg, RELAY_STUN_ATTR_XOR_RELAYED_ADDRESS),
                                           TRUE, &ss));
    g_assert_cmpmem (&ss, sizeof relayed, &relayed, sizeof relayed);
  }
  /* a new Allocate on the same 5-tuple is a mismatch */
  g_assert_cmpint (turn_test_client_allocate (c), ==, 437);
  g_assert_cmpuint (relay_turn_server_get_allocation_count (f->server), ==, 1);
  turn_test_client_free (c);
}

static void
add_lifetime (RelayStunBuilder *b, gpointer data)
{
  relay_stun_builder_add_u32 (b, RELAY_STUN_ATTR_LIFETIME, GPOINTER_TO_UINT (data));
}

static void
test_refresh (Fixture *f, gconstpointer data)
{
  TurnTestClient *c = new_client (f, FALSE, "u");
  guint32 lifetime;

  g_assert_cmpint (turn_test_client_allocate (c), ==, 0);
  g_assert_true (relay_stun_get_u32 (&c->msg, RELAY_STUN_ATTR_LIFETIME, &lifetime));
  g_assert_cmpuint (lifetime, ==, 600);
  g_assert_cmpint (turn_test_client_request_auth (c, RELAY_STUN_REFRESH, add_lifetime,
                                                  GUINT_TO_POINTER (100000)), ==, 0);
  g_assert_true (relay_stun_get_u32 (&c->msg, RELAY_STUN_ATTR_LIFETIME, &lifetime));
  g_assert_cmpuint (lifetime, ==, 3600);
  /* Refresh with another user's valid credentials: 441 */
  {
    g_autofree char *other = turn_test_username ("someone-else", 3600);

    g_autofree char *other_password = relay_turn_auth_password (SECRET, other);

    turn_test_client_set_credentials (c, other, other_password);
    g_assert_cmpint (turn_test_client_request_auth (c, RELAY_STUN_REFRESH, NULL, NULL), ==, 441);
  }
  turn_test_client_free (c);
}

static void
test_quota (Fixture *f, gconstpointer data)
{
  TurnTestClient *clients[3];

  for (guint i = 0; i < 3; i++)
    clients[i] = new_client (f, FALSE, "quota-user");
  g_assert_cmpint (turn_test_client_allocate (clients[0]), ==, 0);
  g_assert_cmpint (turn_test_client_allocate (clients[1]), ==, 0);
  g_assert_cmpint (turn_test_client_allocate (clients[2]), ==, 486);
  /* the quota is per user id, whatever the expiry part says */
  {
    TurnTestClient *other = new_client (f, FALSE, "another-user");

    g_assert_cmpint (turn_test_client_allocate (other), ==, 0);
    turn_test_client_free (other);
  }
  /* releasing one allocation makes room again */
  g_assert_cmpint (turn_test_client_request_auth (clients[0], RELAY_STUN_REFRESH, add_lifetime,
                                                  GUINT_TO_POINTER (0)), ==, 0);
  g_assert_cmpint (turn_test_client_allocate (clients[2]), ==, 0);
  for (guint i = 0; i < 3; i++)
    turn_test_client_free (clients[i]);
}

/* Every denied form is refused through CreatePermission, ChannelBind and Send, even though
 * 127.0.0.1 itself is opened by allowed_peers.  The catch-all peer socket is bound to
 * 0.0.0.0 so that any of them which did reach the host would be seen. */
static void
test_denied_peers (Fixture *f, gconstpointer data)
{
  static const char * const denied[] = {
    "0.0.0.0", "0.1.2.3", "127.0.0.2", "127.1.2.3", "10.0.0.1", "172.16.0.1", "172.31.0.9",
    "192.168.1.1", "100.64.0.1", "100.127.255.254", "169.254.169.254", "224.0.0.1",
    "239.255.255.250", "255.255.255.255", "::", "::1", "fc00::1", "fd00::1", "fe80::1",
    "ff02::1", "::ffff:0.0.0.0", "::ffff:127.0.0.2", "::ffff:10.0.0.1", "::ffff:192.168.0.1",
    "::ffff:169.254.1.1", "::ffff:100.64.0.1", "::ffff:224.0.0.1", "::0.0.0.0", "::127.0.0.2",
    "::10.0.0.1", "64:ff9b::7f00:2", "2002:7f00:2::1",
  };
  TurnTestClient *c = new_client (f, FALSE, "u");
  struct sockaddr_in sink;
  int sink_fd = turn_test_udp_socket (TRUE, &sink);
  guint8 buf[64];
  struct sockaddr_in from;
  struct sockaddr_in allowed = sink;

  g_assert_cmpint (turn_test_client_allocate (c), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (denied); i++)
    {
      struct sockaddr_storage ss;

      turn_test_sockaddr (denied[i], ntohs (sink.sin_port), &ss);
      if (turn_test_client_create_permission (c, (struct sockaddr *) &ss) != 403)
        g_error ("CreatePermission to %s was not refused with 403", denied[i]);
      if (ss.ss_family == AF_INET &&
          turn_test_client_channel_bind (c, 0x4001, (struct sockaddr_in *) &ss) != 403)
        g_error ("ChannelBind to %s was not refused with 403", denied[i]);
      turn_test_client_send_indication (c, (struct sockaddr *) &ss, denied[i], strlen (denied[i]));
    }
  /* the allowed address goes through; being first to arrive proves the others were dropped */
  g_assert_cmpint (turn_test_client_create_permission (c, (struct sockaddr *) &allowed), ==, 0);
  turn_test_client_send_indication (c, (struct sockaddr *) &allowed, "ok", 2);
  g_assert_cmpint (turn_test_udp_receive (sink_fd, buf, sizeof buf, &from, 2000), ==, 2);
  g_assert_cmpmem (buf, 2, "ok", 2);
  g_assert_cmpuint (ntohs (from.sin_port), ==, ntohs (c->relayed.sin_port));
  close (sink_fd);
  turn_test_client_free (c);
}

static void
test_send_and_data (Fixture *f, gconstpointer data)
{
  TurnTestClient *c = new_client (f, FALSE, "u");
  guint8 buf[256];
  struct sockaddr_in from;
  struct sockaddr_storage ss;
  RelayStunMsg msg;
  const RelayStunAttr *a;

  g_assert_cmpint (turn_test_client_allocate (c), ==, 0);
  /* without a permission nothing leaves */
  turn_test_client_send_indication (c, (struct sockaddr *) &f->peer, "early", 5);
  g_assert_cmpint (turn_test_client_create_permission (c, (struct sockaddr *) &f->peer), ==, 0);
  turn_test_client_send_indication (c, (struct sockaddr *) &f->peer, "hello", 5);
  g_assert_cmpint (turn_test_udp_receive (f->peer_fd, buf, sizeof buf, &from, 2000), ==, 5);
  g_assert_cmpmem (buf, 5, "hello", 5);
  g_assert_cmpuint (from.sin_port, ==, c->relayed.sin_port);

  /* the peer answers: a Data indication naming it */
  g_assert_cmpint (sendto (f->peer_fd, "world!", 6, 0, (struct sockaddr *) &from, sizeof from), ==, 6);
  g_assert_true (turn_test_client_receive (c, 2000));
  g_assert_cmpint (relay_stun_parse (c->buf, c->len, &msg), ==, RELAY_STUN_PARSE_OK);
  g_assert_cmpuint (msg.method, ==, RELAY_STUN_DATA);
  g_assert_cmpuint (msg.klass, ==, RELAY_STUN_INDICATION);
  a = relay_stun_find (&msg, RELAY_STUN_ATTR_DATA);
  g_assert_cmpmem (relay_stun_value (&msg, a), a->len, "world!", 6);
  g_assert_true (relay_stun_get_address (&msg, relay_stun_find (&msg, RELAY_STUN_ATTR_XOR_PEER_ADDRESS), TRUE, &ss));
  g_assert_cmpmem (&ss, sizeof f->peer, &f->peer, sizeof f->peer);
  turn_test_client_free (c);
}

static void
channel_round_trip (Fixture *f, gboolean tcp)
{
  TurnTestClient *c = new_client (f, tcp, "u");
  guint8 buf[256];
  struct sockaddr_in from;
  struct sockaddr_in stranger;
  int stranger_fd = turn_test_udp_socket (FALSE, &stranger);

  g_assert_cmpint (turn_test_client_allocate (c), ==, 0);
  g_assert_cmpint (turn_test_client_channel_bind (c, 0x3FFF, &f->peer), ==, 400);
  g_assert_cmpint (turn_test_client_channel_bind (c, 0x7FFF, &f->peer), ==, 400);
  g_assert_cmpint (turn_test_client_channel_bind (c, 0x4000, &f->peer), ==, 0);
  /* refreshing the same binding is fine; the same channel to another peer, or another
   * channel to the same peer, is not */
  g_assert_cmpint (turn_test_client_channel_bind (c, 0x4000, &f->peer), ==, 0);
  g_assert_cmpint (turn_test_client_channel_bind (c, 0x4000, &stranger), ==, 400);
  g_assert_cmpint (turn_test_client_channel_bind (c, 0x4001, &f->peer), ==, 400);

  turn_test_client_send_channel_data (c, 0x4000, "abcde", 5);
  g_assert_cmpint (turn_test_udp_receive (f->peer_fd, buf, sizeof buf, &from, 2000), ==, 5);
  g_assert_cmpmem (buf, 5, "abcde", 5);

  /* the stranger shares the peer's IP, so its datagram passes the permission and arrives
   * as a Data indication; the bound peer's arrives as ChannelData */
  g_assert_cmpint (sendto (f->peer_fd, "xyz", 3, 0, (struct sockaddr *) &from, sizeof from), ==, 3);
  g_assert_true (turn_test_client_receive (c, 2000));
  g_assert_cmpuint (c->len, ==, 7);
  g_assert_cmphex ((c->buf[0] << 8) | c->buf[1], ==, 0x4000);
  g_assert_cmpmem (c->buf + 4, 3, "xyz", 3);
  g_assert_cmpint (sendto (stranger_fd, "s", 1, 0, (struct sockaddr *) &from, sizeof from), ==, 1);
  g_assert_true (turn_test_client_receive (c, 2000));
  g_assert_cmpuint (c->buf[0] & 0xC0, ==, 0);
  close (stranger_fd);
  turn_test_client_free (c);
}

static void
test_channels_udp (Fixture *f, gconstpointer data)
{
  channel_round_trip (f, FALSE);
}

static void
test_channels_tcp (Fixture *f, gconstpointer data)
{
  channel_round_trip (f, TRUE);
}

/* Closing the TCP connection ends its allocation. */
static void
test_tcp_close_frees (Fixture *f, gconstpointer data)
{
  TurnTestClient *c = new_client (f, TRUE, "u");

  g_assert_cmpint (turn_test_client_allocate (c), ==, 0);
  g_assert_cmpuint (relay_turn_server_get_allocation_count (f->server), ==, 1);
  turn_test_client_free (c);
  g_assert_true (wait_allocations (f, 0));
}

static void
test_permission_expiry (Fixture *f, gconstpointer data)
{
  TurnTestClient *c = new_client (f, FALSE, "u");
  guint8 buf[64];
  struct sockaddr_in from;
  guint drops;

  g_assert_cmpint (turn_test_client_allocate (c), ==, 0);
  g_assert_cmpint (turn_test_client_create_permission (c, (struct sockaddr *) &f->peer), ==, 0);
  turn_test_client_send_indication (c, (struct sockaddr *) &f->peer, "1", 1);
  g_assert_cmpint (turn_test_udp_receive (f->peer_fd, buf, sizeof buf, &from, 2000), ==, 1);

  relay_turn_server_advance_clock (f->server, 301);
  /* dropped both ways once the permission is gone... */
  drops = relay_turn_server_get_drop_count (f->server);
  turn_test_client_send_indication (c, (struct sockaddr *) &f->peer, "2", 1);
  g_assert_cmpint (sendto (f->peer_fd, "A", 1, 0, (struct sockaddr *) &from, sizeof from), ==, 1);
  g_assert_true (wait_drops (f, drops + 2));
  /* ...until it is installed again (the allocation, 600 s, is still alive) */
  g_assert_cmpint (turn_test_client_create_permission (c, (struct sockaddr *) &f->peer), ==, 0);
  turn_test_client_send_indication (c, (struct sockaddr *) &f->peer, "3", 1);
  g_assert_cmpint (turn_test_udp_receive (f->peer_fd, buf, sizeof buf, &from, 2000), ==, 1);
  g_assert_cmpint (buf[0], ==, '3');
  g_assert_cmpint (sendto (f->peer_fd, "B", 1, 0, (struct sockaddr *) &from, sizeof from), ==, 1);
  g_assert_true (turn_test_client_receive (c, 2000));
  {
    RelayStunMsg msg;
    const RelayStunAttr *a;

    g_assert_cmpint (relay_stun_parse (c->buf, c->len, &msg), ==, RELAY_STUN_PARSE_OK);
    a = relay_stun_find (&msg, RELAY_STUN_ATTR_DATA);
    g_assert_cmpmem (relay_stun_value (&msg, a), a->len, "B", 1);
  }
  turn_test_client_free (c);
}

/* An allocation that is not refreshed expires and its relay port is free again. */
static void
test_allocation_expiry (Fixture *f, gconstpointer data)
{
  TurnTestClient *c = new_client (f, FALSE, "u");
  int fd;
  struct sockaddr_in relayed;

  g_assert_cmpint (turn_test_client_allocate (c), ==, 0);
  relayed = c->relayed;
  fd = socket (AF_INET, SOCK_DGRAM, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &relayed, sizeof relayed), ==, -1);
  close (fd);

  relay_turn_server_advance_clock (f->server, 601);
  g_assert_true (wait_allocations (f, 0));
  fd = socket (AF_INET, SOCK_DGRAM, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &relayed, sizeof relayed), ==, 0);
  close (fd);
  g_assert_cmpint (turn_test_client_request_auth (c, RELAY_STUN_REFRESH, NULL, NULL), ==, 437);
  turn_test_client_free (c);
}

static void
add_unknown (RelayStunBuilder *b, gpointer data)
{
  relay_stun_builder_add_u32 (b, GPOINTER_TO_UINT (data), 7);
}

static void
test_unknown_attributes (Fixture *f, gconstpointer data)
{
  TurnTestClient *c = new_client (f, FALSE, "u");
  const RelayStunAttr *a;

  g_assert_cmpint (turn_test_client_request (c, RELAY_STUN_BINDING, FALSE, FALSE, add_unknown,
                                             GUINT_TO_POINTER (0x8077)), ==, 0);
  g_assert_cmpint (turn_test_client_request (c, RELAY_STUN_BINDING, FALSE, FALSE, add_unknown,
                                             GUINT_TO_POINTER (0x0077)), ==, 420);
  a = relay_stun_find (&c->msg, RELAY_STUN_ATTR_UNKNOWN_ATTRIBUTES);
  g_assert_nonnull (a);
  g_assert_cmpuint (a->len, ==, 2);
  g_assert_cmphex ((relay_stun_value (&c->msg, a)[0] << 8) | relay_stun_value (&c->msg, a)[1], ==, 0x0077);
  turn_test_client_free (c);
}

static void
test_bandwidth (Fixture *f, gconstpointer data)
{
  TurnTestClient *c = new_client (f, FALSE, "u");
  guint8 payload[500] = { 0 };
  guint8 buf[600];
  struct sockaddr_in from;
  guint received = 0;

  g_assert_cmpint (turn_test_client_allocate (c), ==, 0);
  g_assert_cmpint (turn_test_client_channel_bind (c, 0x4000, &f->peer), ==, 0);
  for (guint i = 0; i < 20; i++)
    turn_test_client_send_channel_data (c, 0x4000, payload, sizeof payload);
  /* 2000 B/s with a one-second burst lets about 4 of the 20 through */
  while (turn_test_udp_receive (f->peer_fd, buf, sizeof buf, &from, 300) > 0)
    received++;
  g_assert_cmpuint (received, >=, 3);
  g_assert_cmpuint (received, <=, 6);
  turn_test_client_free (c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn, extra) \
  g_test_add ("/relay/turn/server/" path, Fixture, extra, fixture_setup, fn, fixture_teardown)
  ADD ("binding", test_binding, NULL);
  ADD ("unauthenticated", test_unauthenticated, NULL);
  ADD ("wrong-password", test_wrong_password, NULL);
  ADD ("expired-credentials", test_expired_credentials, NULL);
  ADD ("stale-nonce", test_stale_nonce, NULL);
  ADD ("allocate-errors", test_allocate_errors, NULL);
  ADD ("refresh", test_refresh, NULL);
  ADD ("quota", test_quota, "user_quota=2\n");
  /* clients spread over several data threads share one quota and one clock */
  ADD ("quota-threads", test_quota, "user_quota=2\nthreads=4\n");
  ADD ("allocation-expiry-threads", test_allocation_expiry, "threads=4\n");
  ADD ("single-thread-channels", test_channels_udp, "threads=1\n");
  ADD ("denied-peers", test_denied_peers, NULL);
  ADD ("send-and-data", test_send_and_data, NULL);
  ADD ("channels-udp", test_channels_udp, NULL);
  ADD ("channels-tcp", test_channels_tcp, NULL);
  ADD ("tcp-close-frees", test_tcp_close_frees, NULL);
  ADD ("permission-expiry", test_permission_expiry, NULL);
  ADD ("allocation-expiry", test_allocation_expiry, NULL);
  ADD ("unknown-attributes", test_unknown_attributes, NULL);
  ADD ("bandwidth", test_bandwidth, "max_bps=2000\n");
#undef ADD

  return g_test_run ();
}
