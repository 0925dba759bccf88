/* relay-turn-server.c: the TURN data path.  One thread owns every socket through one epoll
 * set and batches with recvmmsg/sendmmsg; it shares nothing with the HTTP main context, and
 * the main thread only reads immutable configuration. */
#define G_LOG_DOMAIN "relay-turn"

#include "relay-turn.h"
#include "relay-turn-private.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "omni-error.h"
#include "omni-token.h"
#include "relay-turn-auth.h"
#include "relay-turn-codec.h"
#include "relay-turn-config.h"

#define BATCH                 64
/* room in front of a received peer datagram for a Data indication header */
#define HEADROOM              RELAY_STUN_DATA_INDICATION_OVERHEAD
#define SLOT_SIZE             (HEADROOM + RELAY_STUN_MAX_MESSAGE + 8)
#define DEFAULT_LIFETIME      600
#define MAX_LIFETIME          3600
#define PERMISSION_LIFETIME   300
#define CHANNEL_LIFETIME      600
#define NONCE_LIFETIME        600
#define MAX_PERMISSIONS       32
#define MAX_CHANNELS          32
#define MAX_TCP_CONNECTIONS   4096
#define TCP_WBUF_MAX          (256 * 1024)
#define MAX_USERNAME          512
#define MAX_REALM_OR_NONCE    763
#define PORT_ATTEMPTS         256
/* rounds of a full batch per readable socket before others get a turn */
#define FAIR_ROUNDS           8

typedef enum {
  HANDLE_UDP,
  HANDLE_TCP_LISTEN,
  HANDLE_TCP_CONN,
  HANDLE_RELAY,
  HANDLE_WAKE,
} HandleKind;

typedef struct {
  HandleKind kind;
  int        fd;
  gboolean   dead;  /* closed in this epoll round; freed at its end */
} Handle;

typedef struct {
  struct in_addr ip;
  gint64         expires;
} Permission;

typedef struct {
  guint16            number;
  struct sockaddr_in peer;
  gint64             expires;
} Channel;

typedef struct {
  gint64 tokens;  /* bytes */
  gint64 last_us;
} Bucket;

typedef struct _Conn Conn;

typedef struct {
  Handle             handle;   /* the relay socket; first, epoll data points here */
  struct sockaddr_in client;   /* UDP source or TCP remote address */
  Conn              *conn;     /* TCP control connection, NULL over UDP */
  struct sockaddr_in relayed;  /* the address clients are told */
  gint64             expires;
  guint8             tid[RELAY_STUN_TID_SIZE];  /* of the Allocate: answers its retransmits */
  char              *username;
  char              *user_id;
  RelayHmacKey       key;
  guint              n_permissions;
  Permission         permissions[MAX_PERMISSIONS];
  guint              n_channels;
  Channel            channels[MAX_CHANNELS];
  Bucket             up, down;
} Alloc;

struct _Conn {
  Handle             handle;
  struct sockaddr_in remote;
  Alloc             *alloc;
  guint8            *wbuf;
  gsize              wlen;
  gsize              rlen;
  guint8             rbuf[RELAY_STUN_MAX_MESSAGE + 8];
};

/* Who sent a message: a UDP source address, or a TCP connection. */
typedef struct {
  Conn                     *conn;
  const struct sockaddr_in *addr;
} Origin;

/* One data thread: its own epoll set, UDP socket (SO_REUSEPORT: the kernel keeps each client
 * on one socket, hence one worker), allocations and batches.  Workers share only the
 * immutable configuration, the quota table (locked) and atomic counters. */
typedef struct {
  RelayTurnServer *server;
  int              udp_fd, epoll_fd, wake_fd;
  Handle           udp_handle, tcp_handle, wake_handle;
  GThread         *thread;

  gint64           now_us;         /* monotonic, once per loop round */
  gint64           next_sweep;
  GHashTable      *udp_allocs;     /* struct sockaddr_in* → Alloc* */
  GHashTable      *all_allocs;     /* set of Alloc* */
  GHashTable      *conns;          /* set of Conn* */
  GPtrArray       *graveyard;      /* handles closed this round */
  guint64          tid_counter;

  /* receive slots are shared by every socket: outputs may point into them, so they are
   * only reused after the output queue has been flushed */
  guint8          *slots;
  guint            slot_cursor;
  struct mmsghdr   rx_msgs[BATCH];
  struct iovec     rx_iov[BATCH];
  struct sockaddr_in rx_addr[BATCH];

  guint8          *replies;
  guint            n_replies;

  struct mmsghdr   out_msgs[BATCH];
  struct iovec     out_iov[BATCH];
  struct sockaddr_in out_addr[BATCH];
  int              out_fd[BATCH];
  guint            n_out;
} Worker;

struct _RelayTurnServer {
  GObject          parent_instance;

  RelayTurnConfig *config;
  struct in_addr   advertised;
  RelayHmacKey     secret_key;
  RelayHmacKey     nonce_key;
  guint8           tid_prefix[4];
  guint16          port;
  int              tcp_fd;         /* served by worker 0 */
  gboolean         started;
  guint            n_workers;
  Worker         **workers;
  gint             running;
  gint             clock_offset;   /* seconds, atomic; tests only */
  guint            n_allocs;       /* atomic */
  guint            n_dropped;      /* atomic: no permission */
  GMutex           quota_lock;
  GHashTable      *user_counts;    /* user id → count, under quota_lock */
};

G_DEFINE_FINAL_TYPE (RelayTurnServer, relay_turn_server, G_TYPE_OBJECT)

/* ---- small helpers ---- */

static inline gint64
server_now (Worker *self)
{
  return self->now_us / G_USEC_PER_SEC + g_atomic_int_get (&self->server->clock_offset);
}

static inline gint64
wall_now (Worker *self)
{
  return g_get_real_time () / G_USEC_PER_SEC + g_atomic_int_get (&self->server->clock_offset);
}

static guint
addr_hash (gconstpointer key)
{
  const struct sockaddr_in *a = key;

  return (a->sin_addr.s_addr * 2654435761u) ^ a->sin_port;
}

static gboolean
addr_equal (gconstpointer a, gconstpointer b)
{
  const struct sockaddr_in *x = a, *y = b;

  return x->sin_addr.s_addr == y->sin_addr.s_addr && x->sin_port == y->sin_port;
}

static guint8 *
slot (Worker *self, guint i)
{
  return self->slots + (gsize) i * SLOT_SIZE;
}

/* ---- output ---- */

/* Sends every queued datagram, one sendmmsg per run of the same socket. */
static void
flush_output (Worker *self)
{
  guint i = 0;

  while (i < self->n_out)
    {
      guint j = i + 1;

      while (j < self->n_out && self->out_fd[j] == self->out_fd[i])
        j++;
      while (i < j)
        {
          int n = sendmmsg (self->out_fd[i], &self->out_msgs[i], j - i, MSG_DONTWAIT);

          if (n > 0)
            i += (guint) n;
          else if (n < 0 && errno == EINTR)
            continue;
          else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
            i = j;  /* UDP: dropping under pressure is what a router would do */
          else
            i++;    /* e.g. ECONNREFUSED left by an ICMP error: skip that datagram */
        }
    }
  self->n_out = 0;
  self->n_replies = 0;
}

static void
queue_datagram (Worker                   *self,
                int                       fd,
                const struct sockaddr_in *to,
                const guint8             *data,
                gsize                     len)
{
  guint i;

  if (self->n_out == BATCH)
    flush_output (self);
  i = self->n_out++;
  self->out_fd[i] = fd;
  self->out_addr[i] = *to;
  self->out_iov[i].iov_base = (void *) data;
  self->out_iov[i].iov_len = len;
  memset (&self->out_msgs[i].msg_hdr, 0, sizeof self->out_msgs[i].msg_hdr);
  self->out_msgs[i].msg_hdr.msg_name = &self->out_addr[i];
  self->out_msgs[i].msg_hdr.msg_namelen = sizeof self->out_addr[i];
  self->out_msgs[i].msg_hdr.msg_iov = &self->out_iov[i];
  self->out_msgs[i].msg_hdr.msg_iovlen = 1;
}

/* A buffer for a response, valid until the next flush. */
static guint8 *
reply_buffer (Worker *self)
{
  if (self->n_replies == BATCH)
    flush_output (self);
  return self->replies + (gsize) (self->n_replies++) * RELAY_STUN_MAX_MESSAGE;
}

static void
conn_update_events (Worker *self, Conn *conn)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = conn };

  if (conn->wlen > 0)
    ev.events |= EPOLLOUT;
  epoll_ctl (self->epoll_fd, EPOLL_CTL_MOD, conn->handle.fd, &ev);
}

/* Writes one whole frame or drops it: a frame is never cut, so framing survives drops. */
static void
conn_write (Worker *self, Conn *conn, const guint8 *data, gsize len)
{
  gsize done = 0;

  if (conn->handle.dead)
    return;
  if (conn->wlen == 0)
    {
      ssize_t n = send (conn->handle.fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);

      if (n > 0)
        done = (gsize) n;
      if (done == len)
        return;
    }
  else if (conn->wlen + len > TCP_WBUF_MAX)
    return;

  if (conn->wbuf == NULL)
    conn->wbuf = g_malloc (TCP_WBUF_MAX + RELAY_STUN_MAX_MESSAGE + 8);
  memcpy (conn->wbuf + conn->wlen, data + done, len - done);
  conn->wlen += len - done;
  conn_update_events (self, conn);
}

static void
send_to_client (Worker *self, const Origin *origin, const guint8 *data, gsize len)
{
  if (origin->conn != NULL)
    conn_write (self, origin->conn, data, len);
  else
    queue_datagram (self, self->udp_fd, origin->addr, data, len);
}

/* ---- responses ---- */

static void
begin_response (Worker             *self,
                RelayStunBuilder   *b,
                const RelayStunMsg *req,
                guint8              klass)
{
  relay_stun_builder_init (b, reply_buffer (self), RELAY_STUN_MAX_MESSAGE, req->method, klass,
                           req->tid);
}

static void
finish_response (Worker             *self,
                 RelayStunBuilder   *b,
                 const Origin       *origin,
                 const RelayHmacKey *key)
{
  gsize len;

  if (key != NULL)
    relay_stun_builder_add_integrity (b, key);
  relay_stun_builder_add_fingerprint (b);
  len = relay_stun_builder_finish (b);
  if (len > 0)
    send_to_client (self, origin, b->buf, len);
}

static void
send_error (Worker             *self,
            const Origin       *origin,
            const RelayStunMsg *req,
            guint               code,
            const char         *reason,
            const RelayHmacKey *key)
{
  RelayStunBuilder b;

  g_debug ("TURN: method 0x%03x from %s:%u refused: %u %s", req->method,
           inet_ntoa (origin->addr->sin_addr), ntohs (origin->addr->sin_port), code, reason);
  begin_response (self, &b, req, RELAY_STUN_ERROR);
  relay_stun_builder_add_error (&b, code, reason);
  finish_response (self, &b, origin, key);
}

/* 401 and 438 carry a fresh nonce and the realm, and no integrity: the client's key is
 * what is in question. */
static void
send_challenge (Worker             *self,
                const Origin       *origin,
                const RelayStunMsg *req,
                guint               code,
                const char         *reason)
{
  RelayStunBuilder b;
  char nonce[RELAY_TURN_NONCE_LEN + 1];

  relay_turn_nonce_make (&self->server->nonce_key, wall_now (self) + NONCE_LIFETIME, nonce);
  begin_response (self, &b, req, RELAY_STUN_ERROR);
  relay_stun_builder_add_error (&b, code, reason);
  relay_stun_builder_add_string (&b, RELAY_STUN_ATTR_REALM, self->server->config->realm);
  relay_stun_builder_add_string (&b, RELAY_STUN_ATTR_NONCE, nonce);
  finish_response (self, &b, origin, NULL);
}

/* ---- allocations ---- */

static Alloc *
find_alloc (Worker *self, const Origin *origin)
{
  if (origin->conn != NULL)
    return origin->conn->alloc;
  return g_hash_table_lookup (self->udp_allocs, origin->addr);
}

static void
bury (Worker *self, Handle *handle)
{
  epoll_ctl (self->epoll_fd, EPOLL_CTL_DEL, handle->fd, NULL);
  close (handle->fd);
  handle->fd = -1;
  handle->dead = TRUE;
  g_ptr_array_add (self->graveyard, handle);
}

/* Counts an allocation against its user's quota, atomically across workers. */
static gboolean
quota_reserve (RelayTurnServer *server, const char *user_id)
{
  guint count;
  gboolean ok;

  g_mutex_lock (&server->quota_lock);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (server->user_counts, user_id));
  ok = server->config->user_quota == 0 || count < server->config->user_quota;
  if (ok)
    g_hash_table_insert (server->user_counts, g_strdup (user_id), GUINT_TO_POINTER (count + 1));
  g_mutex_unlock (&server->quota_lock);
  return ok;
}

static void
quota_release (RelayTurnServer *server, const char *user_id)
{
  guint count;

  g_mutex_lock (&server->quota_lock);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (server->user_counts, user_id));
  if (count <= 1)
    g_hash_table_remove (server->user_counts, user_id);
  else
    g_hash_table_insert (server->user_counts, g_strdup (user_id), GUINT_TO_POINTER (count - 1));
  g_mutex_unlock (&server->quota_lock);
}

static void
destroy_alloc (Worker *self, Alloc *alloc)
{
  /* queued datagrams may name this socket: send them before its number can be reused */
  flush_output (self);

  if (alloc->conn != NULL)
    alloc->conn->alloc = NULL;
  else
    g_hash_table_remove (self->udp_allocs, &alloc->client);
  g_hash_table_remove (self->all_allocs, alloc);

  quota_release (self->server, alloc->user_id);
  bury (self, &alloc->handle);
  /* after the close, so that a count of 0 means every relay port is free again */
  g_atomic_int_add (&self->server->n_allocs, -1);
}

static void
free_handle (gpointer data)
{
  Handle *handle = data;

  if (handle->kind == HANDLE_RELAY)
    {
      Alloc *alloc = (Alloc *) handle;

      g_free (alloc->username);
      g_free (alloc->user_id);
      g_free (alloc);
    }
  else if (handle->kind == HANDLE_TCP_CONN)
    {
      Conn *conn = (Conn *) handle;

      g_free (conn->wbuf);
      g_free (conn);
    }
}

static int
open_relay_socket (Worker *self, gboolean even, struct sockaddr_in *bound)
{
  guint range = (guint) self->server->config->relay_port_max - self->server->config->relay_port_min + 1;
  guint start = g_random_int_range (0, (gint) range);
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return -1;
  for (guint i = 0; i < MIN (range, PORT_ATTEMPTS); i++)
    {
      guint port = self->server->config->relay_port_min + (start + i) % range;
      struct sockaddr_in sin = self->server->config->listen;

      if (even && (port & 1) != 0)
        continue;
      sin.sin_port = htons ((guint16) port);
      if (bind (fd, (struct sockaddr *) &sin, sizeof sin) == 0)
        {
          *bound = sin;
          return fd;
        }
      if (errno != EADDRINUSE && errno != EACCES)
        break;
    }
  close (fd);
  return -1;
}

static guint32
compute_lifetime (const RelayStunMsg *msg)
{
  guint32 requested;

  /* RFC 8656 §7.2: min(requested, max), but never below the default */
  if (!relay_stun_get_u32 (msg, RELAY_STUN_ATTR_LIFETIME, &requested))
    return DEFAULT_LIFETIME;
  return CLAMP (requested, DEFAULT_LIFETIME, MAX_LIFETIME);
}

static void
send_allocate_success (Worker             *self,
                       const Origin       *origin,
                       const RelayStunMsg *req,
                       Alloc              *alloc)
{
  RelayStunBuilder b;
  gint64 left = MAX (alloc->expires - server_now (self), 0);

  begin_response (self, &b, req, RELAY_STUN_SUCCESS);
  relay_stun_builder_add_address (&b, RELAY_STUN_ATTR_XOR_RELAYED_ADDRESS, TRUE,
                                  (const struct sockaddr *) &alloc->relayed);
  relay_stun_builder_add_u32 (&b, RELAY_STUN_ATTR_LIFETIME, (guint32) left);
  relay_stun_builder_add_address (&b, RELAY_STUN_ATTR_XOR_MAPPED_ADDRESS, TRUE,
                                  (const struct sockaddr *) origin->addr);
  finish_response (self, &b, origin, &alloc->key);
}

static void
handle_allocate (Worker             *self,
                 const Origin       *origin,
                 const RelayStunMsg *msg,
                 Alloc              *existing,
                 const char         *username,
                 const char         *user_id,
                 const RelayHmacKey *key)
{
  const RelayStunAttr *transport = relay_stun_find (msg, RELAY_STUN_ATTR_REQUESTED_TRANSPORT);
  const RelayStunAttr *family = relay_stun_find (msg, RELAY_STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
  const RelayStunAttr *even = relay_stun_find (msg, RELAY_STUN_ATTR_EVEN_PORT);
  Alloc *alloc;
  int fd;
  struct sockaddr_in bound;
  struct epoll_event ev;

  if (existing != NULL)
    {
      /* a retransmitted Allocate gets the same answer; any other is a mismatch */
      if (memcmp (existing->tid, msg->tid, RELAY_STUN_TID_SIZE) == 0)
        send_allocate_success (self, origin, msg, existing);
      else
        send_error (self, origin, msg, 437, "Allocation Mismatch", key);
      return;
    }
  if (transport == NULL || transport->len != 4)
    {
      send_error (self, origin, msg, 400, "Bad Request", key);
      return;
    }
  if (relay_stun_value (msg, transport)[0] != IPPROTO_UDP)
    {
      send_error (self, origin, msg, 442, "Unsupported Transport Protocol", key);
      return;
    }
  if (even != NULL && relay_stun_find (msg, RELAY_STUN_ATTR_RESERVATION_TOKEN) != NULL)
    {
      send_error (self, origin, msg, 400, "Bad Request", key);
      return;
    }
  if (relay_stun_find (msg, RELAY_STUN_ATTR_RESERVATION_TOKEN) != NULL)
    {
      /* no ports are ever reserved here, so no token can be valid */
      send_error (self, origin, msg, 508, "Insufficient Capacity", key);
      return;
    }
  if (family != NULL && (family->len != 4 || relay_stun_value (msg, family)[0] != 0x01))
    {
      send_error (self, origin, msg, 440, "Address Family not Supported", key);
      return;
    }
  if (!quota_reserve (self->server, user_id))
    {
      send_error (self, origin, msg, 486, "Allocation Quota Reached", key);
      return;
    }

  fd = open_relay_socket (self, even != NULL, &bound);
  if (fd < 0)
    {
      quota_release (self->server, user_id);
      send_error (self, origin, msg, 508, "Insufficient Capacity", key);
      return;
    }
  if (relay_stun_find (msg, RELAY_STUN_ATTR_DONT_FRAGMENT) != NULL)
    {
      int pmtu = IP_PMTUDISC_DO;

      setsockopt (fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
    }

  alloc = g_new0 (Alloc, 1);
  alloc->handle.kind = HANDLE_RELAY;
  alloc->handle.fd = fd;
  alloc->client = *origin->addr;
  alloc->conn = origin->conn;
  alloc->relayed = bound;
  alloc->relayed.sin_addr = self->server->advertised;
  alloc->expires = server_now (self) + compute_lifetime (msg);
  memcpy (alloc->tid, msg->tid, RELAY_STUN_TID_SIZE);
  alloc->username = g_strdup (username);
  alloc->user_id = g_strdup (user_id);
  alloc->key = *key;
  alloc->up.tokens = alloc->down.tokens = (gint64) self->server->config->max_bps;
  alloc->up.last_us = alloc->down.last_us = self->now_us;

  ev.events = EPOLLIN;
  ev.data.ptr = alloc;
  epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  if (origin->conn != NULL)
    origin->conn->alloc = alloc;
  else
    g_hash_table_insert (self->udp_allocs, &alloc->client, alloc);
  g_hash_table_add (self->all_allocs, alloc);
  g_atomic_int_inc (&self->server->n_allocs);

  send_allocate_success (self, origin, msg, alloc);
}

static void
handle_refresh (Worker             *self,
                const Origin       *origin,
                const RelayStunMsg *msg,
                Alloc              *alloc)
{
  RelayStunBuilder b;
  guint32 requested = 1;
  guint32 lifetime;
  RelayHmacKey key = alloc->key;

  relay_stun_get_u32 (msg, RELAY_STUN_ATTR_LIFETIME, &requested);
  lifetime = requested == 0 ? 0 : compute_lifetime (msg);

  if (lifetime == 0)
    destroy_alloc (self, alloc);  /* flushes the reply pool: answer after it */
  else
    alloc->expires = server_now (self) + lifetime;
  begin_response (self, &b, msg, RELAY_STUN_SUCCESS);
  relay_stun_builder_add_u32 (&b, RELAY_STUN_ATTR_LIFETIME, lifetime);
  finish_response (self, &b, origin, &key);
}

/* Checks a peer address for CreatePermission/ChannelBind; sends the error and returns FALSE
 * when it is refused. */
static gboolean
check_peer (Worker                  *self,
            const Origin            *origin,
            const RelayStunMsg      *msg,
            const RelayStunAttr     *attr,
            Alloc                   *alloc,
            struct sockaddr_storage *peer)
{
  if (!relay_stun_get_address (msg, attr, TRUE, peer))
    {
      send_error (self, origin, msg, 400, "Bad Request", &alloc->key);
      return FALSE;
    }
  /* policy first: a denied address is 403 in every spelling, IPv6 forms included */
  if (!relay_turn_policy_allows (self->server->config->policy, (struct sockaddr *) peer))
    {
      send_error (self, origin, msg, 403, "Forbidden", &alloc->key);
      return FALSE;
    }
  if (peer->ss_family != AF_INET)
    {
      send_error (self, origin, msg, 443, "Peer Address Family Mismatch", &alloc->key);
      return FALSE;
    }
  return TRUE;
}

static Permission *
find_permission (Alloc *alloc, struct in_addr ip, gint64 now)
{
  for (guint i = 0; i < alloc->n_permissions; i++)
    if (alloc->permissions[i].ip.s_addr == ip.s_addr && alloc->permissions[i].expires > now)
      return &alloc->permissions[i];
  return NULL;
}

static gboolean
install_permission (Alloc *alloc, struct in_addr ip, gint64 now)
{
  Permission *p = NULL;

  for (guint i = 0; i < alloc->n_permissions && p == NULL; i++)
    if (alloc->permissions[i].ip.s_addr == ip.s_addr || alloc->permissions[i].expires <= now)
      p = &alloc->permissions[i];
  if (p == NULL)
    {
      if (alloc->n_permissions == MAX_PERMISSIONS)
        return FALSE;
      p = &alloc->permissions[alloc->n_permissions++];
    }
  p->ip = ip;
  p->expires = now + PERMISSION_LIFETIME;
  return TRUE;
}

static void
handle_create_permission (Worker             *self,
                          const Origin       *origin,
                          const RelayStunMsg *msg,
                          Alloc              *alloc)
{
  struct sockaddr_storage peers[RELAY_STUN_MAX_ATTRS];
  guint n = 0;
  gint64 now = server_now (self);
  RelayStunBuilder b;

  /* all addresses are checked before any is installed: the request succeeds or fails whole */
  for (guint i = 0; i < msg->n_attrs; i++)
    if (msg->attrs[i].type == RELAY_STUN_ATTR_XOR_PEER_ADDRESS)
      {
        if (!check_peer (self, origin, msg, &msg->attrs[i], alloc, &peers[n]))
          return;
        n++;
      }
  if (n == 0)
    {
      send_error (self, origin, msg, 400, "Bad Request", &alloc->key);
      return;
    }
  for (guint i = 0; i < n; i++)
    if (!install_permission (alloc, ((struct sockaddr_in *) &peers[i])->sin_addr, now))
      {
        send_error (self, origin, msg, 508, "Insufficient Capacity", &alloc->key);
        return;
      }
  begin_response (self, &b, msg, RELAY_STUN_SUCCESS);
  finish_response (self, &b, origin, &alloc->key);
}

static void
handle_channel_bind (Worker             *self,
                     const Origin       *origin,
                     const RelayStunMsg *msg,
                     Alloc              *alloc)
{
  const RelayStunAttr *attr = relay_stun_find (msg, RELAY_STUN_ATTR_XOR_PEER_ADDRESS);
  struct sockaddr_storage ss;
  struct sockaddr_in *peer = (struct sockaddr_in *) &ss;
  guint32 raw;
  guint16 number;
  gint64 now = server_now (self);
  Channel *slot_ch = NULL;
  RelayStunBuilder b;

  if (!relay_stun_get_u32 (msg, RELAY_STUN_ATTR_CHANNEL_NUMBER, &raw) || attr == NULL)
    {
      send_error (self, origin, msg, 400, "Bad Request: CHANNEL-NUMBER and XOR-PEER-ADDRESS needed",
                  &alloc->key);
      return;
    }
  number = (guint16) (raw >> 16);
  /* RFC 8656 narrowed channels to 0x4000-0x4FFF, but RFC 5766 clients (coturn's among them)
   * still pick from 0x4000-0x7FFE; ChannelData framing handles both. */
  if (number < 0x4000 || number > 0x7FFE)
    {
      send_error (self, origin, msg, 400, "Bad Request: channel number out of range", &alloc->key);
      return;
    }
  if (!check_peer (self, origin, msg, attr, alloc, &ss))
    return;

  for (guint i = 0; i < alloc->n_channels; i++)
    {
      Channel *c = &alloc->channels[i];
      gboolean same_number = c->number == number;
      gboolean same_peer = addr_equal (&c->peer, peer);

      if (c->expires <= now)
        {
          if (slot_ch == NULL)
            slot_ch = c;
          continue;
        }
      /* a channel names one peer and a peer has one channel, for the binding's lifetime */
      if (same_number != same_peer)
        {
          send_error (self, origin, msg, 400, "Bad Request: channel or peer bound otherwise",
                      &alloc->key);
          return;
        }
      if (same_number)
        slot_ch = c;
    }
  if (slot_ch == NULL)
    {
      if (alloc->n_channels == MAX_CHANNELS)
        {
          send_error (self, origin, msg, 508, "Insufficient Capacity", &alloc->key);
          return;
        }
      slot_ch = &alloc->channels[alloc->n_channels++];
    }
  if (!install_permission (alloc, peer->sin_addr, now))
    {
      send_error (self, origin, msg, 508, "Insufficient Capacity", &alloc->key);
      return;
    }
  slot_ch->number = number;
  slot_ch->peer = *peer;
  slot_ch->expires = now + CHANNEL_LIFETIME;

  begin_response (self, &b, msg, RELAY_STUN_SUCCESS);
  finish_response (self, &b, origin, &alloc->key);
}

static gboolean
bucket_take (Worker *self, Bucket *bucket, gsize bytes)
{
  gint64 max = (gint64) self->server->config->max_bps;

  if (max == 0)
    return TRUE;
  bucket->tokens += (self->now_us - bucket->last_us) * max / G_USEC_PER_SEC;
  bucket->last_us = self->now_us;
  /* one second of burst: enough for a keyframe, not for a flood */
  if (bucket->tokens > max)
    bucket->tokens = max;
  if (bucket->tokens < (gint64) bytes)
    return FALSE;
  bucket->tokens -= (gint64) bytes;
  return TRUE;
}

/* Client → peer.  Over TCP the payload lives in the connection's read buffer, which moves
 * right after: send it now instead of queueing it. */
static void
relay_to_peer (Worker                   *self,
               const Origin             *origin,
               Alloc                    *alloc,
               const struct sockaddr_in *peer,
               const guint8             *data,
               gsize                     len)
{
  if (!bucket_take (self, &alloc->up, len))
    return;
  if (origin->conn != NULL)
    sendto (alloc->handle.fd, data, len, MSG_DONTWAIT, (const struct sockaddr *) peer, sizeof *peer);
  else
    queue_datagram (self, alloc->handle.fd, peer, data, len);
}

static void
handle_send_indication (Worker             *self,
                        const Origin       *origin,
                        const RelayStunMsg *msg)
{
  Alloc *alloc = find_alloc (self, origin);
  const RelayStunAttr *data = relay_stun_find (msg, RELAY_STUN_ATTR_DATA);
  struct sockaddr_storage ss;
  struct sockaddr_in *peer = (struct sockaddr_in *) &ss;

  /* indications get no answer: anything wrong is dropped silently */
  if (alloc == NULL || data == NULL || msg->n_unknown > 0 ||
      !relay_stun_get_address (msg, relay_stun_find (msg, RELAY_STUN_ATTR_XOR_PEER_ADDRESS), TRUE, &ss) ||
      !relay_turn_policy_allows (self->server->config->policy, (struct sockaddr *) &ss) ||
      ss.ss_family != AF_INET || peer->sin_port == 0)
    return;
  if (find_permission (alloc, peer->sin_addr, server_now (self)) == NULL)
    {
      g_atomic_int_inc (&self->server->n_dropped);
      return;
    }
  relay_to_peer (self, origin, alloc, peer, relay_stun_value (msg, data), data->len);
}

static void
handle_channel_data (Worker *self, const Origin *origin, const guint8 *data, gsize len)
{
  Alloc *alloc = find_alloc (self, origin);
  guint16 number = (guint16) ((data[0] << 8) | data[1]);
  gsize dlen = (gsize) ((data[2] << 8) | data[3]);
  gint64 now = server_now (self);

  if (alloc == NULL || dlen > len - RELAY_CHANNEL_HEADER_SIZE)
    return;
  for (guint i = 0; i < alloc->n_channels; i++)
    {
      Channel *c = &alloc->channels[i];

      if (c->number == number && c->expires > now)
        {
          relay_to_peer (self, origin, alloc, &c->peer, data + RELAY_CHANNEL_HEADER_SIZE, dlen);
          return;
        }
    }
}

/* Long-term credentials (RFC 8489 §9.2.4) with use-auth-secret passwords.  Returns TRUE and
 * fills key when the request may proceed; otherwise the error has been sent. */
static gboolean
authenticate (Worker             *self,
              const Origin       *origin,
              const RelayStunMsg *msg,
              Alloc              *alloc,
              char                username[MAX_USERNAME + 1],
              const char        **user_id,
              RelayHmacKey       *key)
{
  const RelayStunAttr *u = relay_stun_find (msg, RELAY_STUN_ATTR_USERNAME);
  const RelayStunAttr *r = relay_stun_find (msg, RELAY_STUN_ATTR_REALM);
  const RelayStunAttr *n = relay_stun_find (msg, RELAY_STUN_ATTR_NONCE);
  gint64 expiry;

  if (msg->integrity_offset < 0)
    {
      send_challenge (self, origin, msg, 401, "Unauthorized");
      return FALSE;
    }
  if (u == NULL || r == NULL || n == NULL || u->len > MAX_USERNAME ||
      r->len > MAX_REALM_OR_NONCE || n->len > MAX_REALM_OR_NONCE)
    {
      send_error (self, origin, msg, 400, "Bad Request", NULL);
      return FALSE;
    }
  if (!relay_turn_nonce_valid (&self->server->nonce_key, relay_stun_value (msg, n), n->len, wall_now (self)))
    {
      send_challenge (self, origin, msg, 438, "Stale Nonce");
      return FALSE;
    }
  memcpy (username, relay_stun_value (msg, u), u->len);
  username[u->len] = '\0';
  if (r->len != strlen (self->server->config->realm) ||
      memcmp (relay_stun_value (msg, r), self->server->config->realm, r->len) != 0 ||
      strlen (username) != u->len ||
      !relay_turn_auth_parse_username (username, &expiry, user_id) ||
      expiry < wall_now (self))
    {
      send_challenge (self, origin, msg, 401, "Unauthorized");
      return FALSE;
    }

  if (alloc != NULL && strcmp (alloc->username, username) == 0)
    *key = alloc->key;  /* cached: no MD5 and HMAC key setup per Refresh or ChannelBind */
  else
    {
      guint8 mac[20], lt[16];
      g_autofree char *password = NULL;

      relay_hmac_sha1 (&self->server->secret_key, username, u->len, mac);
      password = g_base64_encode (mac, sizeof mac);
      relay_stun_long_term_key (username, self->server->config->realm, password, lt);
      relay_hmac_key_init (key, lt, sizeof lt);
    }
  if (!relay_stun_check_integrity (msg, key))
    {
      send_challenge (self, origin, msg, 401, "Unauthorized");
      return FALSE;
    }
  if (alloc != NULL && strcmp (alloc->username, username) != 0)
    {
      send_error (self, origin, msg, 441, "Wrong Credentials", key);
      return FALSE;
    }
  return TRUE;
}

static void
handle_request (Worker *self, const Origin *origin, const RelayStunMsg *msg)
{
  char username[MAX_USERNAME + 1];
  const char *user_id = NULL;
  RelayHmacKey key;
  Alloc *alloc;

  if (msg->n_unknown > 0)
    {
      RelayStunBuilder b;
      guint8 list[2 * RELAY_STUN_MAX_UNKNOWN];

      for (guint i = 0; i < msg->n_unknown; i++)
        {
          list[2 * i] = (guint8) (msg->unknown[i] >> 8);
          list[2 * i + 1] = (guint8) msg->unknown[i];
        }
      begin_response (self, &b, msg, RELAY_STUN_ERROR);
      relay_stun_builder_add_error (&b, 420, "Unknown Attribute");
      relay_stun_builder_add (&b, RELAY_STUN_ATTR_UNKNOWN_ATTRIBUTES, list, 2 * msg->n_unknown);
      finish_response (self, &b, origin, NULL);
      return;
    }

  if (msg->method == RELAY_STUN_BINDING)
    {
      RelayStunBuilder b;

      begin_response (self, &b, msg, RELAY_STUN_SUCCESS);
      relay_stun_builder_add_address (&b, RELAY_STUN_ATTR_XOR_MAPPED_ADDRESS, TRUE,
                                      (const struct sockaddr *) origin->addr);
      finish_response (self, &b, origin, NULL);
      return;
    }

  if (msg->method != RELAY_STUN_ALLOCATE && msg->method != RELAY_STUN_REFRESH &&
      msg->method != RELAY_STUN_CREATE_PERMISSION && msg->method != RELAY_STUN_CHANNEL_BIND)
    {
      send_error (self, origin, msg, 400, "Bad Request", NULL);
      return;
    }

  alloc = find_alloc (self, origin);
  if (!authenticate (self, origin, msg, alloc, username, &user_id, &key))
    return;

  if (msg->method == RELAY_STUN_ALLOCATE)
    {
      handle_allocate (self, origin, msg, alloc, username, user_id, &key);
      return;
    }
  if (alloc == NULL)
    {
      send_error (self, origin, msg, 437, "Allocation Mismatch", &key);
      return;
    }
  switch (msg->method)
    {
    case RELAY_STUN_REFRESH:
      handle_refresh (self, origin, msg, alloc);
      break;
    case RELAY_STUN_CREATE_PERMISSION:
      handle_create_permission (self, origin, msg, alloc);
      break;
    case RELAY_STUN_CHANNEL_BIND:
      handle_channel_bind (self, origin, msg, alloc);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Everything a client sends, over UDP or TCP, comes through here. */
static void
handle_client_packet (Worker *self, const Origin *origin, const guint8 *data, gsize len)
{
  RelayStunMsg msg;

  if (relay_stun_is_channel_data (data, len))
    {
      handle_channel_data (self, origin, data, len);
      return;
    }
  if (relay_stun_parse (data, len, &msg) != RELAY_STUN_PARSE_OK)
    return;
  if (msg.klass == RELAY_STUN_REQUEST)
    handle_request (self, origin, &msg);
  else if (msg.klass == RELAY_STUN_INDICATION && msg.method == RELAY_STUN_SEND)
    handle_send_indication (self, origin, &msg);
}

/* ---- sockets ---- */

static void
prepare_rx (Worker *self, guint first, guint count)
{
  for (guint i = 0; i < count; i++)
    {
      guint k = first + i;

      self->rx_iov[i].iov_base = slot (self, k) + HEADROOM;
      self->rx_iov[i].iov_len = RELAY_STUN_MAX_MESSAGE;
      memset (&self->rx_msgs[i].msg_hdr, 0, sizeof self->rx_msgs[i].msg_hdr);
      self->rx_msgs[i].msg_hdr.msg_name = &self->rx_addr[i];
      self->rx_msgs[i].msg_hdr.msg_namelen = sizeof self->rx_addr[i];
      self->rx_msgs[i].msg_hdr.msg_iov = &self->rx_iov[i];
      self->rx_msgs[i].msg_hdr.msg_iovlen = 1;
    }
}

static void
on_udp_readable (Worker *self)
{
  for (guint round = 0; round < FAIR_ROUNDS; round++)
    {
      int n;

      flush_output (self);
      self->slot_cursor = 0;
      prepare_rx (self, 0, BATCH);
      n = recvmmsg (self->udp_fd, self->rx_msgs, BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0)
        return;
      for (int i = 0; i < n; i++)
        {
          Origin origin = { NULL, &self->rx_addr[i] };

          if ((self->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 ||
              self->rx_addr[i].sin_family != AF_INET)
            continue;
          handle_client_packet (self, &origin, slot (self, (guint) i) + HEADROOM,
                                self->rx_msgs[i].msg_len);
        }
      flush_output (self);
      if (n < BATCH)
        return;
    }
}

/* Peer → client: the datagram was received behind HEADROOM bytes, so the ChannelData or
 * Data indication header is written in front of it without copying. */
static void
on_relay_readable (Worker *self, Alloc *alloc)
{
  for (guint round = 0; round < FAIR_ROUNDS && !alloc->handle.dead; round++)
    {
      guint want;
      int n;
      gint64 now = server_now (self);

      if (BATCH - self->slot_cursor < BATCH / 4)
        {
          flush_output (self);
          self->slot_cursor = 0;
        }
      want = BATCH - self->slot_cursor;
      prepare_rx (self, self->slot_cursor, want);
      n = recvmmsg (alloc->handle.fd, self->rx_msgs, want, MSG_DONTWAIT, NULL);
      if (n <= 0)
        return;
      for (int i = 0; i < n; i++)
        {
          guint8 *payload = slot (self, self->slot_cursor + (guint) i) + HEADROOM;
          const struct sockaddr_in *peer = &self->rx_addr[i];
          gsize len = self->rx_msgs[i].msg_len;
          Channel *channel = NULL;
          guint8 *start;
          gsize total;
          Origin origin = { alloc->conn, &alloc->client };

          if ((self->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 ||
              len > RELAY_STUN_MAX_MESSAGE - HEADROOM)
            continue;
          if (find_permission (alloc, peer->sin_addr, now) == NULL)
            {
              g_atomic_int_inc (&self->server->n_dropped);
              continue;
            }
          if (!bucket_take (self, &alloc->down, len))
            continue;
          for (guint c = 0; c < alloc->n_channels; c++)
            if (addr_equal (&alloc->channels[c].peer, peer) && alloc->channels[c].expires > now)
              {
                channel = &alloc->channels[c];
                break;
              }
          if (channel != NULL)
            {
              start = payload - RELAY_CHANNEL_HEADER_SIZE;
              start[0] = (guint8) (channel->number >> 8);
              start[1] = (guint8) channel->number;
              start[2] = (guint8) (len >> 8);
              start[3] = (guint8) len;
              total = RELAY_CHANNEL_HEADER_SIZE + len;
              if (alloc->conn != NULL)
                {
                  /* over TCP, ChannelData is padded to 4 bytes (RFC 8656 §12.5) */
                  gsize padded = (total + 3) & ~(gsize) 3;

                  memset (start + total, 0, padded - total);
                  total = padded;
                }
            }
          else
            {
              guint8 tid[RELAY_STUN_TID_SIZE];
              guint64 counter = ++self->tid_counter;

              memcpy (tid, self->server->tid_prefix, 4);
              memcpy (tid + 4, &counter, 8);
              start = relay_stun_prepend_data_indication (payload, len,
                                                          (const struct sockaddr *) peer, tid, &total);
            }
          send_to_client (self, &origin, start, total);
        }
      self->slot_cursor += (guint) n;
      if ((guint) n < want)
        return;
    }
}

static void
close_conn (Worker *self, Conn *conn)
{
  if (conn->handle.dead)
    return;
  if (conn->alloc != NULL)
    destroy_alloc (self, conn->alloc);
  g_hash_table_remove (self->conns, conn);
  bury (self, &conn->handle);
}

/* Splits the TCP byte stream into STUN messages and ChannelData frames (RFC 8656 §12.5). */
static void
on_conn_readable (Worker *self, Conn *conn)
{
  for (;;)
    {
      ssize_t n = recv (conn->handle.fd, conn->rbuf + conn->rlen, sizeof conn->rbuf - conn->rlen,
                        MSG_DONTWAIT);
      gsize pos = 0;

      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        {
          close_conn (self, conn);
          return;
        }
      if (n < 0)
        return;
      conn->rlen += (gsize) n;

      while (conn->rlen - pos >= 4)
        {
          const guint8 *p = conn->rbuf + pos;
          gsize body = (gsize) ((p[2] << 8) | p[3]);
          gsize frame, used;
          Origin origin = { conn, &conn->remote };

          if ((p[0] & 0xC0) == 0x00)
            frame = used = RELAY_STUN_HEADER_SIZE + body;
          else if ((p[0] & 0xC0) == 0x40)
            {
              frame = RELAY_CHANNEL_HEADER_SIZE + body;
              used = (frame + 3) & ~(gsize) 3;
            }
          else
            frame = used = G_MAXSIZE;
          if (used > sizeof conn->rbuf || frame > RELAY_STUN_MAX_MESSAGE)
            {
              /* not TURN framing, or bigger than any message we accept: protocol error */
              close_conn (self, conn);
              return;
            }
          if (conn->rlen - pos < used)
            break;
          handle_client_packet (self, &origin, p, frame);
          if (conn->handle.dead)
            return;
          pos += used;
        }
      memmove (conn->rbuf, conn->rbuf + pos, conn->rlen - pos);
      conn->rlen -= pos;
    }
}

static void
on_conn_writable (Worker *self, Conn *conn)
{
  ssize_t n = send (conn->handle.fd, conn->wbuf, conn->wlen, MSG_DONTWAIT | MSG_NOSIGNAL);

  if (n < 0)
    {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        close_conn (self, conn);
      return;
    }
  memmove (conn->wbuf, conn->wbuf + n, conn->wlen - (gsize) n);
  conn->wlen -= (gsize) n;
  if (conn->wlen == 0)
    conn_update_events (self, conn);
}

static void
on_tcp_acceptable (Worker *self)
{
  for (;;)
    {
      struct sockaddr_in remote;
      socklen_t len = sizeof remote;
      int fd = accept4 (self->server->tcp_fd, (struct sockaddr *) &remote, &len,
                        SOCK_NONBLOCK | SOCK_CLOEXEC);
      int one = 1;
      Conn *conn;
      struct epoll_event ev;

      if (fd < 0)
        return;
      if (g_hash_table_size (self->conns) >= MAX_TCP_CONNECTIONS || remote.sin_family != AF_INET)
        {
          close (fd);
          continue;
        }
      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      conn = g_new0 (Conn, 1);
      conn->handle.kind = HANDLE_TCP_CONN;
      conn->handle.fd = fd;
      conn->remote = remote;
      ev.events = EPOLLIN;
      ev.data.ptr = conn;
      epoll_ctl (self->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
      g_hash_table_add (self->conns, conn);
    }
}

static void
sweep (Worker *self)
{
  gint64 now = server_now (self);
  g_autoptr(GPtrArray) expired = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->all_allocs);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      Alloc *alloc = key;
      guint kept = 0;

      if (alloc->expires <= now)
        {
          g_ptr_array_add (expired, alloc);
          continue;
        }
      for (guint i = 0; i < alloc->n_permissions; i++)
        if (alloc->permissions[i].expires > now)
          alloc->permissions[kept++] = alloc->permissions[i];
      alloc->n_permissions = kept;
      kept = 0;
      for (guint i = 0; i < alloc->n_channels; i++)
        if (alloc->channels[i].expires > now)
          alloc->channels[kept++] = alloc->channels[i];
      alloc->n_channels = kept;
    }
  for (guint i = 0; i < expired->len; i++)
    destroy_alloc (self, g_ptr_array_index (expired, i));
  self->next_sweep = now + 1;
}

static gpointer
data_thread (gpointer data)
{
  Worker *self = data;
  struct epoll_event events[BATCH];

  while (g_atomic_int_get (&self->server->running))
    {
      int n = epoll_wait (self->epoll_fd, events, BATCH, 1000);

      self->now_us = g_get_monotonic_time ();
      for (int i = 0; i < n; i++)
        {
          Handle *handle = events[i].data.ptr;

          if (handle->dead)
            continue;
          switch (handle->kind)
            {
            case HANDLE_UDP:
              on_udp_readable (self);
              break;
            case HANDLE_TCP_LISTEN:
              on_tcp_acceptable (self);
              break;
            case HANDLE_TCP_CONN:
              if (events[i].events & (EPOLLERR | EPOLLHUP))
                close_conn (self, (Conn *) handle);
              else
                {
                  if (events[i].events & EPOLLOUT)
                    on_conn_writable (self, (Conn *) handle);
                  if ((events[i].events & EPOLLIN) && !handle->dead)
                    on_conn_readable (self, (Conn *) handle);
                }
              break;
            case HANDLE_RELAY:
              on_relay_readable (self, (Alloc *) handle);
              break;
            case HANDLE_WAKE:
              {
                guint64 value;

                if (read (self->wake_fd, &value, sizeof value) < 0)
                  break;
                self->next_sweep = 0;
              }
              break;
            default:
              g_assert_not_reached ();
            }
        }
      flush_output (self);
      self->slot_cursor = 0;
      if (server_now (self) >= self->next_sweep)
        sweep (self);
      g_ptr_array_set_size (self->graveyard, 0);
    }

  /* tear down on this thread, which owns it all */
  {
    g_autoptr(GPtrArray) all = g_ptr_array_new ();
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, self->conns);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (all, key);
    for (guint i = 0; i < all->len; i++)
      close_conn (self, g_ptr_array_index (all, i));
    g_ptr_array_set_size (all, 0);
    g_hash_table_iter_init (&iter, self->all_allocs);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (all, key);
    for (guint i = 0; i < all->len; i++)
      destroy_alloc (self, g_ptr_array_index (all, i));
  }
  g_ptr_array_set_size (self->graveyard, 0);
  return NULL;
}

/* The address clients are told when neither external_ip nor a specific listen address is
 * configured: the source address the kernel would use towards the Internet.  connect() on
 * a UDP socket sends nothing. */
static struct in_addr
detect_public_address (void)
{
  struct sockaddr_in probe = { .sin_family = AF_INET, .sin_port = htons (3478) };
  struct sockaddr_in local;
  socklen_t len = sizeof local;
  struct in_addr result = { htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  inet_pton (AF_INET, "192.0.2.1", &probe.sin_addr);
  if (fd >= 0 && connect (fd, (struct sockaddr *) &probe, sizeof probe) == 0 &&
      getsockname (fd, (struct sockaddr *) &local, &len) == 0)
    result = local.sin_addr;
  else
    g_warning ("TURN: no route to detect the public address; set [turn] external_ip");
  if (fd >= 0)
    close (fd);
  return result;
}

static void
set_buffer (int fd, int opt_force, int opt, int bytes)
{
  /* FORCE passes rmem_max/wmem_max when running privileged; otherwise the plain option */
  if (setsockopt (fd, SOL_SOCKET, opt_force, &bytes, sizeof bytes) != 0)
    setsockopt (fd, SOL_SOCKET, opt, &bytes, sizeof bytes);
}

static Worker *
worker_new (RelayTurnServer *server)
{
  Worker *w = g_new0 (Worker, 1);

  w->server = server;
  w->udp_fd = w->epoll_fd = w->wake_fd = -1;
  w->udp_allocs = g_hash_table_new (addr_hash, addr_equal);
  w->all_allocs = g_hash_table_new (NULL, NULL);
  w->conns = g_hash_table_new (NULL, NULL);
  w->graveyard = g_ptr_array_new_with_free_func (free_handle);
  w->slots = g_malloc ((gsize) BATCH * SLOT_SIZE);
  w->replies = g_malloc ((gsize) BATCH * RELAY_STUN_MAX_MESSAGE);
  return w;
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

static void
worker_free (Worker *w)
{
  g_assert (w->thread == NULL);
  close_fd (&w->udp_fd);
  close_fd (&w->epoll_fd);
  close_fd (&w->wake_fd);
  g_hash_table_unref (w->udp_allocs);
  g_hash_table_unref (w->all_allocs);
  g_hash_table_unref (w->conns);
  g_ptr_array_unref (w->graveyard);
  g_free (w->slots);
  g_free (w->replies);
  g_free (w);
}

/* Binds one UDP socket per worker (SO_REUSEPORT) and the TCP listener, all on one port;
 * with port 0 the kernel's UDP choice may be taken on TCP, so that case retries. */
static gboolean
bind_listeners (RelayTurnServer *self, GError **error)
{
  int one = 1;
  int saved = 0;

  for (guint attempt = 0; attempt < 16; attempt++)
    {
      struct sockaddr_in addr = self->config->listen;
      socklen_t len = sizeof addr;
      gboolean ok = TRUE;

      for (guint i = 0; i < self->n_workers && ok; i++)
        {
          int fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

          self->workers[i]->udp_fd = fd;
          ok = fd >= 0 && setsockopt (fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0 &&
               bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0 &&
               (i > 0 || getsockname (fd, (struct sockaddr *) &addr, &len) == 0);
        }
      if (ok)
        {
          self->tcp_fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
          ok = self->tcp_fd >= 0 &&
               setsockopt (self->tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
               bind (self->tcp_fd, (struct sockaddr *) &addr, sizeof addr) == 0 &&
               listen (self->tcp_fd, 128) == 0;
        }
      if (ok)
        {
          self->port = ntohs (addr.sin_port);
          for (guint i = 0; i < self->n_workers; i++)
            {
              set_buffer (self->workers[i]->udp_fd, SO_RCVBUFFORCE, SO_RCVBUF, 4 * 1024 * 1024);
              set_buffer (self->workers[i]->udp_fd, SO_SNDBUFFORCE, SO_SNDBUF, 4 * 1024 * 1024);
            }
          return TRUE;
        }
      saved = errno;
      for (guint i = 0; i < self->n_workers; i++)
        close_fd (&self->workers[i]->udp_fd);
      close_fd (&self->tcp_fd);
      if (self->config->listen.sin_port != 0 || saved != EADDRINUSE)
        break;
    }
  {
    char host[INET_ADDRSTRLEN];

    inet_ntop (AF_INET, &self->config->listen.sin_addr, host, sizeof host);
    g_set_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG, "TURN cannot listen on %s:%u: %s",
                 host, ntohs (self->config->listen.sin_port), g_strerror (saved));
  }
  return FALSE;
}

static void
wake_worker (Worker *w)
{
  guint64 one = 1;

  if (w->wake_fd >= 0 && write (w->wake_fd, &one, sizeof one) < 0)
    g_debug ("TURN: cannot wake a data thread: %s", g_strerror (errno));
}

static gboolean
worker_prepare (Worker *w, gboolean with_tcp, GError **error)
{
  struct epoll_event ev = { .events = EPOLLIN };

  w->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  w->wake_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (w->epoll_fd < 0 || w->wake_fd < 0)
    {
      g_set_error (error, OMNI_ERROR, OMNI_ERROR_INTERNAL, "TURN: epoll/eventfd: %s",
                   g_strerror (errno));
      return FALSE;
    }
  w->udp_handle = (Handle) { HANDLE_UDP, w->udp_fd, FALSE };
  w->wake_handle = (Handle) { HANDLE_WAKE, w->wake_fd, FALSE };
  ev.data.ptr = &w->udp_handle;
  epoll_ctl (w->epoll_fd, EPOLL_CTL_ADD, w->udp_fd, &ev);
  ev.data.ptr = &w->wake_handle;
  epoll_ctl (w->epoll_fd, EPOLL_CTL_ADD, w->wake_fd, &ev);
  if (with_tcp)
    {
      w->tcp_handle = (Handle) { HANDLE_TCP_LISTEN, w->server->tcp_fd, FALSE };
      ev.data.ptr = &w->tcp_handle;
      epoll_ctl (w->epoll_fd, EPOLL_CTL_ADD, w->server->tcp_fd, &ev);
    }
  w->now_us = g_get_monotonic_time ();
  w->next_sweep = server_now (w) + 1;
  return TRUE;
}

/* ---- GObject ---- */

static void
relay_turn_server_finalize (GObject *object)
{
  RelayTurnServer *self = RELAY_TURN_SERVER (object);

  relay_turn_server_stop (self);
  for (guint i = 0; i < self->n_workers; i++)
    worker_free (self->workers[i]);
  g_free (self->workers);
  g_clear_pointer (&self->config, relay_turn_config_free);
  g_clear_pointer (&self->user_counts, g_hash_table_unref);
  g_mutex_clear (&self->quota_lock);
  memset (&self->secret_key, 0, sizeof self->secret_key);

  G_OBJECT_CLASS (relay_turn_server_parent_class)->finalize (object);
}

static void
relay_turn_server_class_init (RelayTurnServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = relay_turn_server_finalize;
}

static void
relay_turn_server_init (RelayTurnServer *self)
{
  self->tcp_fd = -1;
  g_mutex_init (&self->quota_lock);
  self->user_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* ---- public API ---- */

const char * const *
relay_turn_config_keys (void)
{
  return relay_turn_config_known_keys ();
}

RelayTurnServer *
relay_turn_server_new (GKeyFile    *config,
                       const char  *data_dir,
                       gboolean     http_listen_is_loopback,
                       GError     **error)
{
  g_autoptr(RelayTurnServer) self = NULL;
  RelayTurnConfig *parsed;
  guint8 nonce_secret[32];

  g_return_val_if_fail (data_dir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  parsed = relay_turn_config_load (config, data_dir, http_listen_is_loopback, error);
  if (parsed == NULL)
    return NULL;

  self = g_object_new (RELAY_TYPE_TURN_SERVER, NULL);
  self->config = parsed;
  if (parsed->external_ip.s_addr != htonl (INADDR_ANY))
    self->advertised = parsed->external_ip;
  else if (parsed->listen.sin_addr.s_addr != htonl (INADDR_ANY))
    self->advertised = parsed->listen.sin_addr;
  else
    self->advertised = detect_public_address ();
  self->port = ntohs (parsed->listen.sin_port);

  relay_hmac_key_init (&self->secret_key, (const guint8 *) parsed->secret, strlen (parsed->secret));
  omni_random_bytes (nonce_secret, sizeof nonce_secret);
  relay_hmac_key_init (&self->nonce_key, nonce_secret, sizeof nonce_secret);
  memset (nonce_secret, 0, sizeof nonce_secret);
  omni_random_bytes (self->tid_prefix, sizeof self->tid_prefix);

  self->n_workers = parsed->threads;
  self->workers = g_new0 (Worker *, self->n_workers);
  for (guint i = 0; i < self->n_workers; i++)
    self->workers[i] = worker_new (self);

  return g_steal_pointer (&self);
}

gboolean
relay_turn_server_start (RelayTurnServer *self, GError **error)
{
  g_return_val_if_fail (RELAY_IS_TURN_SERVER (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  self->started = TRUE;
  if (!bind_listeners (self, error))
    return FALSE;
  for (guint i = 0; i < self->n_workers; i++)
    if (!worker_prepare (self->workers[i], i == 0, error))
      return FALSE;

  g_atomic_int_set (&self->running, 1);
  for (guint i = 0; i < self->n_workers; i++)
    self->workers[i]->thread = g_thread_new ("turn-data", data_thread, self->workers[i]);
  {
    char host[INET_ADDRSTRLEN];

    inet_ntop (AF_INET, &self->config->listen.sin_addr, host, sizeof host);
    g_debug ("TURN listening on %s:%u (udp+tcp), realm %s, %u data thread(s)", host, self->port,
             self->config->realm, self->n_workers);
  }
  return TRUE;
}

void
relay_turn_server_stop (RelayTurnServer *self)
{
  g_return_if_fail (RELAY_IS_TURN_SERVER (self));

  g_atomic_int_set (&self->running, 0);
  for (guint i = 0; i < self->n_workers; i++)
    {
      Worker *w = self->workers[i];

      if (w->thread == NULL)
        continue;
      wake_worker (w);
      g_thread_join (g_steal_pointer (&w->thread));
    }
  for (guint i = 0; i < self->n_workers; i++)
    {
      close_fd (&self->workers[i]->udp_fd);
      close_fd (&self->workers[i]->epoll_fd);
      close_fd (&self->workers[i]->wake_fd);
    }
  close_fd (&self->tcp_fd);
}

guint16
relay_turn_server_get_port (RelayTurnServer *self)
{
  g_return_val_if_fail (RELAY_IS_TURN_SERVER (self), 0);
  return self->port;
}

char *
relay_turn_server_dup_host (RelayTurnServer *self)
{
  char host[INET_ADDRSTRLEN];

  g_return_val_if_fail (RELAY_IS_TURN_SERVER (self), NULL);
  inet_ntop (AF_INET, &self->advertised, host, sizeof host);
  return g_strdup (host);
}

void
relay_turn_server_build_ice_servers (RelayTurnServer *self,
                                     JsonBuilder     *builder,
                                     const char      *user_id,
                                     gint64           ttl_seconds)
{
  g_autofree char *host = NULL;
  g_autofree char *username = NULL;
  g_autofree char *credential = NULL;
  g_autofree char *stun = NULL;
  g_autofree char *turn_udp = NULL;
  g_autofree char *turn_tcp = NULL;

  g_return_if_fail (RELAY_IS_TURN_SERVER (self));
  g_return_if_fail (JSON_IS_BUILDER (builder));
  g_return_if_fail (user_id != NULL);

  host = relay_turn_server_dup_host (self);
  username = g_strdup_printf ("%" G_GINT64_FORMAT ":%s",
                              g_get_real_time () / G_USEC_PER_SEC + MAX (ttl_seconds, 0), user_id);
  credential = relay_turn_auth_password (self->config->secret, username);
  stun = g_strdup_printf ("stun:%s:%u", host, self->port);
  turn_udp = g_strdup_printf ("turn:%s:%u?transport=udp", host, self->port);
  turn_tcp = g_strdup_printf ("turn:%s:%u?transport=tcp", host, self->port);

  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "urls");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, stun);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "urls");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, turn_udp);
  json_builder_add_string_value (builder, turn_tcp);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "credential");
  json_builder_add_string_value (builder, credential);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
}

void
relay_turn_server_advance_clock (RelayTurnServer *self, gint64 seconds)
{
  g_return_if_fail (RELAY_IS_TURN_SERVER (self));
  g_atomic_int_add (&self->clock_offset, (gint) seconds);
  for (guint i = 0; i < self->n_workers; i++)
    wake_worker (self->workers[i]);
}

guint
relay_turn_server_get_allocation_count (RelayTurnServer *self)
{
  g_return_val_if_fail (RELAY_IS_TURN_SERVER (self), 0);
  return (guint) g_atomic_int_get (&self->n_allocs);
}

guint
relay_turn_server_get_drop_count (RelayTurnServer *self)
{
  g_return_val_if_fail (RELAY_IS_TURN_SERVER (self), 0);
  return (guint) g_atomic_int_get (&self->n_dropped);
}
