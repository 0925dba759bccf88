/* turn-test-client.c: see turn-test-client.h. */
#define G_LOG_DOMAIN "turn-test"

#include "turn-test-client.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <glib/gstdio.h>

#include "omni-token.h"

static void
wr16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

TurnTestClient *
turn_test_client_new (guint16 port, gboolean tcp, const char *username, const char *password)
{
  TurnTestClient *c = g_new0 (TurnTestClient, 1);
  socklen_t len = sizeof c->local;

  c->tcp = tcp;
  c->server.sin_family = AF_INET;
  c->server.sin_port = htons (port);
  c->server.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  c->fd = socket (AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  g_assert_cmpint (c->fd, >=, 0);
  g_assert_cmpint (connect (c->fd, (struct sockaddr *) &c->server, sizeof c->server), ==, 0);
  getsockname (c->fd, (struct sockaddr *) &c->local, &len);
  turn_test_client_set_credentials (c, username, password);
  return c;
}

void
turn_test_client_set_credentials (TurnTestClient *c, const char *username, const char *password)
{
  g_free (c->username);
  g_free (c->password);
  c->username = g_strdup (username);
  c->password = g_strdup (password);
}

void
turn_test_client_free (TurnTestClient *c)
{
  if (c == NULL)
    return;
  close (c->fd);
  g_free (c->username);
  g_free (c->password);
  g_free (c);
}

static gboolean
read_exact (int fd, guint8 *buf, gsize len, gint64 deadline)
{
  gsize done = 0;

  while (done < len)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      int left = (int) MAX ((deadline - g_get_monotonic_time ()) / 1000, 0);
      ssize_t n;

      if (poll (&pfd, 1, left) <= 0)
        return FALSE;
      n = recv (fd, buf + done, len - done, 0);
      if (n <= 0)
        return FALSE;
      done += (gsize) n;
    }
  return TRUE;
}

gboolean
turn_test_client_receive (TurnTestClient *c, int timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  if (!c->tcp)
    {
      struct pollfd pfd = { c->fd, POLLIN, 0 };
      ssize_t n;

      if (poll (&pfd, 1, timeout_ms) <= 0)
        return FALSE;
      n = recv (c->fd, c->buf, sizeof c->buf, 0);
      if (n <= 0)
        return FALSE;
      c->len = (gsize) n;
      return TRUE;
    }
  else
    {
      gsize body, total;

      if (!read_exact (c->fd, c->buf, 4, deadline))
        return FALSE;
      body = (gsize) ((c->buf[2] << 8) | c->buf[3]);
      if ((c->buf[0] & 0xC0) == 0x40)
        total = (4 + body + 3) & ~(gsize) 3;
      else
        total = RELAY_STUN_HEADER_SIZE + body;
      g_assert_cmpuint (total, <=, sizeof c->buf);
      if (!read_exact (c->fd, c->buf + 4, total - 4, deadline))
        return FALSE;
      /* report the unpadded ChannelData length, as over UDP */
      c->len = (c->buf[0] & 0xC0) == 0x40 ? 4 + body : total;
      return TRUE;
    }
}

static void
send_bytes (TurnTestClient *c, const guint8 *data, gsize len)
{
  g_assert_cmpint (send (c->fd, data, len, 0), ==, (gssize) len);
}

int
turn_test_client_request (TurnTestClient  *c,
                          guint16          method,
                          gboolean         auth,
                          gboolean         reuse_tid,
                          TurnTestAddAttrs add,
                          gpointer         user_data)
{
  guint8 out[RELAY_STUN_MAX_MESSAGE];
  RelayStunBuilder b;
  gsize len;
  gint64 deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

  if (!reuse_tid)
    omni_random_bytes (c->tid, sizeof c->tid);
  relay_stun_builder_init (&b, out, sizeof out, method, RELAY_STUN_REQUEST, c->tid);
  if (add != NULL)
    add (&b, user_data);
  if (auth)
    {
      guint8 lt[16];

      relay_stun_builder_add_string (&b, RELAY_STUN_ATTR_USERNAME, c->username);
      relay_stun_builder_add_string (&b, RELAY_STUN_ATTR_REALM, c->realm);
      relay_stun_builder_add_string (&b, RELAY_STUN_ATTR_NONCE, c->nonce);
      relay_stun_long_term_key (c->username, c->realm, c->password, lt);
      relay_hmac_key_init (&c->key, lt, sizeof lt);
      relay_stun_builder_add_integrity (&b, &c->key);
    }
  relay_stun_builder_add_fingerprint (&b);
  len = relay_stun_builder_finish (&b);
  g_assert_cmpuint (len, >, 0);
  send_bytes (c, out, len);

  /* skip anything that is not the answer to this transaction (e.g. Data indications) */
  while (g_get_monotonic_time () < deadline)
    {
      int left = (int) ((deadline - g_get_monotonic_time ()) / 1000);
      const RelayStunAttr *a;

      if (!turn_test_client_receive (c, MAX (left, 1)))
        return -1;
      if (relay_stun_parse (c->buf, c->len, &c->msg) != RELAY_STUN_PARSE_OK ||
          memcmp (c->msg.tid, c->tid, sizeof c->tid) != 0 || c->msg.method != method)
        continue;
      a = relay_stun_find (&c->msg, RELAY_STUN_ATTR_REALM);
      if (a != NULL && a->len < sizeof c->realm)
        {
          memcpy (c->realm, relay_stun_value (&c->msg, a), a->len);
          c->realm[a->len] = '\0';
        }
      a = relay_stun_find (&c->msg, RELAY_STUN_ATTR_NONCE);
      if (a != NULL && a->len < sizeof c->nonce)
        {
          memcpy (c->nonce, relay_stun_value (&c->msg, a), a->len);
          c->nonce[a->len] = '\0';
        }
      if (c->msg.klass == RELAY_STUN_SUCCESS)
        {
          /* a success answer to an authenticated request must itself carry a valid MAC */
          if (auth)
            g_assert_true (relay_stun_check_integrity (&c->msg, &c->key));
          return 0;
        }
      return (int) relay_stun_get_error_code (&c->msg);
    }
  return -1;
}

int
turn_test_client_request_auth (TurnTestClient  *c,
                               guint16          method,
                               TurnTestAddAttrs add,
                               gpointer         user_data)
{
  int rc;

  if (c->nonce[0] == '\0')
    {
      rc = turn_test_client_request (c, method, FALSE, FALSE, add, user_data);
      if (rc != 401)
        return rc;
    }
  rc = turn_test_client_request (c, method, TRUE, FALSE, add, user_data);
  if (rc == 438)
    rc = turn_test_client_request (c, method, TRUE, FALSE, add, user_data);
  return rc;
}

static void
add_udp_transport (RelayStunBuilder *b, gpointer user_data)
{
  relay_stun_builder_add_u32 (b, RELAY_STUN_ATTR_REQUESTED_TRANSPORT, 17u << 24);
}

int
turn_test_client_allocate (TurnTestClient *c)
{
  int rc = turn_test_client_request_auth (c, RELAY_STUN_ALLOCATE, add_udp_transport, NULL);

  if (rc == 0)
    {
      struct sockaddr_storage ss;

      g_assert_true (relay_stun_get_address (&c->msg,
                                             relay_stun_find (&c->msg, RELAY_STUN_ATTR_XOR_RELAYED_ADDRESS),
                                             TRUE, &ss));
      memcpy (&c->relayed, &ss, sizeof c->relayed);
    }
  return rc;
}

static void
add_peer (RelayStunBuilder *b, gpointer user_data)
{
  relay_stun_builder_add_address (b, RELAY_STUN_ATTR_XOR_PEER_ADDRESS, TRUE, user_data);
}

int
turn_test_client_create_permission (TurnTestClient *c, const struct sockaddr *peer)
{
  return turn_test_client_request_auth (c, RELAY_STUN_CREATE_PERMISSION, add_peer, (gpointer) peer);
}

typedef struct {
  guint16                   channel;
  const struct sockaddr_in *peer;
} BindArgs;

static void
add_bind (RelayStunBuilder *b, gpointer user_data)
{
  BindArgs *args = user_data;

  relay_stun_builder_add_u32 (b, RELAY_STUN_ATTR_CHANNEL_NUMBER, (guint32) args->channel << 16);
  relay_stun_builder_add_address (b, RELAY_STUN_ATTR_XOR_PEER_ADDRESS, TRUE,
                                  (const struct sockaddr *) args->peer);
}

int
turn_test_client_channel_bind (TurnTestClient *c, guint16 channel, const struct sockaddr_in *peer)
{
  BindArgs args = { channel, peer };

  return turn_test_client_request_auth (c, RELAY_STUN_CHANNEL_BIND, add_bind, &args);
}

void
turn_test_client_send_indication (TurnTestClient        *c,
                                  const struct sockaddr *peer,
                                  const void            *data,
                                  gsize                  len)
{
  guint8 out[RELAY_STUN_MAX_MESSAGE];
  guint8 tid[RELAY_STUN_TID_SIZE];
  RelayStunBuilder b;

  omni_random_bytes (tid, sizeof tid);
  relay_stun_builder_init (&b, out, sizeof out, RELAY_STUN_SEND, RELAY_STUN_INDICATION, tid);
  relay_stun_builder_add_address (&b, RELAY_STUN_ATTR_XOR_PEER_ADDRESS, TRUE, peer);
  relay_stun_builder_add (&b, RELAY_STUN_ATTR_DATA, data, len);
  send_bytes (c, out, relay_stun_builder_finish (&b));
}

void
turn_test_client_send_channel_data (TurnTestClient *c, guint16 channel, const void *data, gsize len)
{
  guint8 out[RELAY_STUN_MAX_MESSAGE];
  gsize total = 4 + len;

  g_assert_cmpuint (len + 8, <, sizeof out);
  wr16 (out, channel);
  wr16 (out + 2, (guint16) len);
  memcpy (out + 4, data, len);
  if (c->tcp)
    {
      gsize padded = (total + 3) & ~(gsize) 3;

      memset (out + total, 0, padded - total);
      total = padded;
    }
  send_bytes (c, out, total);
}

int
turn_test_udp_socket (gboolean bind_any, struct sockaddr_in *bound)
{
  struct sockaddr_in sin = { .sin_family = AF_INET };
  socklen_t len = sizeof *bound;
  int fd = socket (AF_INET, SOCK_DGRAM, 0);

  sin.sin_addr.s_addr = htonl (bind_any ? INADDR_ANY : INADDR_LOOPBACK);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &sin, sizeof sin), ==, 0);
  getsockname (fd, (struct sockaddr *) bound, &len);
  if (bind_any)
    bound->sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  return fd;
}

gssize
turn_test_udp_receive (int fd, guint8 *buf, gsize cap, struct sockaddr_in *from, int timeout_ms)
{
  struct pollfd pfd = { fd, POLLIN, 0 };
  socklen_t len = sizeof *from;

  if (poll (&pfd, 1, timeout_ms) <= 0)
    return -1;
  return recvfrom (fd, buf, cap, 0, (struct sockaddr *) from, &len);
}

char *
turn_test_username (const char *user_id, gint64 ttl)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT ":%s", g_get_real_time () / G_USEC_PER_SEC + ttl, user_id);
}

void
turn_test_sockaddr (const char *text, guint16 port, struct sockaddr_storage *ss)
{
  memset (ss, 0, sizeof *ss);
  if (strchr (text, ':') == NULL)
    {
      struct sockaddr_in *sin = (struct sockaddr_in *) ss;

      sin->sin_family = AF_INET;
      sin->sin_port = htons (port);
      g_assert_cmpint (inet_pton (AF_INET, text, &sin->sin_addr), ==, 1);
    }
  else
    {
      struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;

      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons (port);
      g_assert_cmpint (inet_pton (AF_INET6, text, &sin6->sin6_addr), ==, 1);
    }
}

TurnTestServer *
turn_test_server_start (const char *secret, const char *extra)
{
  TurnTestServer *s = g_new0 (TurnTestServer, 1);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  s->dir = g_dir_make_tmp ("turn-test-XXXXXX", NULL);
  g_assert_nonnull (s->dir);
  s->secret_file = g_build_filename (s->dir, "secret", NULL);
  g_assert_true (g_file_set_contents (s->secret_file, secret, -1, NULL));
  text = g_strdup_printf ("[turn]\nlisten=127.0.0.1:0\nsecret_file=%s\nallowed_peers=127.0.0.1\n%s",
                          s->secret_file, extra != NULL ? extra : "");
  g_assert_true (g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, NULL));
  s->server = relay_turn_server_new (kf, s->dir, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (relay_turn_server_start (s->server, &error));
  g_assert_no_error (error);
  s->port = relay_turn_server_get_port (s->server);
  g_assert_cmpuint (s->port, !=, 0);
  return s;
}

void
turn_test_server_free (TurnTestServer *s)
{
  if (s == NULL)
    return;
  relay_turn_server_stop (s->server);
  g_clear_object (&s->server);
  g_remove (s->secret_file);
  g_rmdir (s->dir);
  g_free (s->secret_file);
  g_free (s->dir);
  g_free (s);
}
