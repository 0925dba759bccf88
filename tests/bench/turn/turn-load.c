/* turn-load.c: TURN capacity load generator.  Many UDP allocations, each with a channel
 * to an echo peer (a thread here), send ChannelData at a paced rate with sendmmsg and
 * receive the echoes with recvmmsg; a search finds the highest rate a server relays with
 * under 0.1 % loss.  Works against any TURN server using coturn's use-auth-secret
 * credentials, so the same run measures ours and coturn.
 *
 *   turn-load free-port
 *   turn-load search HOST:PORT SECRET [ALLOCS [SIZE [STEP_SECONDS [MAX_RATE]]]]
 *   turn-load run HOST:PORT SECRET ALLOCS SIZE SECONDS RATE   (one fixed-rate step)
 */
#define G_LOG_DOMAIN "turn-load"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "relay-turn-auth.h"
#include "relay-turn-codec.h"

#define BATCH        64
#define MAX_ALLOCS   1024
#define CHANNEL      0x4000
#define LOSS_LIMIT   0.001

typedef struct {
  int                fd;
  struct sockaddr_in server;
  char               realm[128];
  char               nonce[128];
  RelayHmacKey       key;
} Client;

static Client clients[MAX_ALLOCS];
static guint n_clients;
static struct sockaddr_in peer_addr;
static int peer_fd;
static gint stop_threads;
static gint current_step;
static gint received_in_step;

static void
big_buffers (int fd)
{
  int size = 8 * 1024 * 1024;

  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (setsockopt (fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

/* The echo peer: everything it receives goes back where it came from, in batches. */
static gpointer
peer_thread (gpointer data)
{
  static guint8 bufs[BATCH][2048];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_in from[BATCH];

  while (!g_atomic_int_get (&stop_threads))
    {
      struct pollfd pfd = { peer_fd, POLLIN, 0 };
      int n;

      if (poll (&pfd, 1, 100) <= 0)
        continue;
      for (int i = 0; i < BATCH; i++)
        {
          iov[i].iov_base = bufs[i];
          iov[i].iov_len = sizeof bufs[i];
          memset (&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
          msgs[i].msg_hdr.msg_name = &from[i];
          msgs[i].msg_hdr.msg_namelen = sizeof from[i];
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
        }
      n = recvmmsg (peer_fd, msgs, BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0)
        continue;
      for (int i = 0; i < n; i++)
        iov[i].iov_len = msgs[i].msg_len;
      sendmmsg (peer_fd, msgs, (unsigned) n, 0);
    }
  return NULL;
}

/* Counts echoes that belong to the current step (older ones arriving late are ignored). */
static gpointer
receiver_thread (gpointer data)
{
  int ep = epoll_create1 (0);
  static guint8 bufs[BATCH][2048];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct epoll_event events[64];

  for (guint i = 0; i < n_clients; i++)
    {
      struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

      epoll_ctl (ep, EPOLL_CTL_ADD, clients[i].fd, &ev);
    }
  while (!g_atomic_int_get (&stop_threads))
    {
      int n = epoll_wait (ep, events, 64, 100);

      for (int e = 0; e < n; e++)
        {
          int fd = clients[events[e].data.u32].fd;

          for (;;)
            {
              int got;
              gint step = g_atomic_int_get (&current_step);
              gint mine = 0;

              for (int i = 0; i < BATCH; i++)
                {
                  iov[i].iov_base = bufs[i];
                  iov[i].iov_len = sizeof bufs[i];
                  memset (&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
                  msgs[i].msg_hdr.msg_iov = &iov[i];
                  msgs[i].msg_hdr.msg_iovlen = 1;
                }
              got = recvmmsg (fd, msgs, BATCH, MSG_DONTWAIT, NULL);
              if (got <= 0)
                break;
              for (int i = 0; i < got; i++)
                {
                  gint32 tag;

                  if (msgs[i].msg_len < 8 || (bufs[i][0] & 0xC0) != 0x40)
                    continue;
                  memcpy (&tag, bufs[i] + 4, 4);
                  if (tag == step)
                    mine++;
                }
              g_atomic_int_add (&received_in_step, mine);
              if (got < BATCH)
                break;
            }
        }
    }
  close (ep);
  return NULL;
}

static gboolean
transact (Client *c, guint16 method, gboolean auth, const char *username, const char *password,
          void (*add) (RelayStunBuilder *, gpointer), gpointer data, guint *code)
{
  guint8 out[1024], in[2048];
  guint8 tid[RELAY_STUN_TID_SIZE];
  RelayStunBuilder b;
  RelayStunMsg msg;
  gint64 deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;

  for (guint i = 0; i < sizeof tid; i++)
    tid[i] = (guint8) g_random_int ();
  relay_stun_builder_init (&b, out, sizeof out, method, RELAY_STUN_REQUEST, tid);
  if (add != NULL)
    add (&b, data);
  if (auth)
    {
      guint8 lt[16];

      relay_stun_builder_add_string (&b, RELAY_STUN_ATTR_USERNAME, username);
      relay_stun_builder_add_string (&b, RELAY_STUN_ATTR_REALM, c->realm);
      relay_stun_builder_add_string (&b, RELAY_STUN_ATTR_NONCE, c->nonce);
      relay_stun_long_term_key (username, c->realm, password, lt);
      relay_hmac_key_init (&c->key, lt, sizeof lt);
      relay_stun_builder_add_integrity (&b, &c->key);
    }
  relay_stun_builder_add_fingerprint (&b);
  if (send (c->fd, out, relay_stun_builder_finish (&b), 0) < 0)
    return FALSE;
  while (g_get_monotonic_time () < deadline)
    {
      struct pollfd pfd = { c->fd, POLLIN, 0 };
      ssize_t n;
      const RelayStunAttr *a;

      if (poll (&pfd, 1, 200) <= 0)
        continue;
      n = recv (c->fd, in, sizeof in, 0);
      if (n <= 0 || relay_stun_parse (in, (gsize) n, &msg) != RELAY_STUN_PARSE_OK ||
          memcmp (msg.tid, tid, sizeof tid) != 0)
        continue;
      if ((a = relay_stun_find (&msg, RELAY_STUN_ATTR_REALM)) != NULL && a->len < sizeof c->realm)
        {
          memcpy (c->realm, relay_stun_value (&msg, a), a->len);
          c->realm[a->len] = '\0';
        }
      if ((a = relay_stun_find (&msg, RELAY_STUN_ATTR_NONCE)) != NULL && a->len < sizeof c->nonce)
        {
          memcpy (c->nonce, relay_stun_value (&msg, a), a->len);
          c->nonce[a->len] = '\0';
        }
      *code = msg.klass == RELAY_STUN_SUCCESS ? 0 : relay_stun_get_error_code (&msg);
      return TRUE;
    }
  return FALSE;
}

static void
add_transport (RelayStunBuilder *b, gpointer data)
{
  relay_stun_builder_add_u32 (b, RELAY_STUN_ATTR_REQUESTED_TRANSPORT, 17u << 24);
  relay_stun_builder_add_u32 (b, RELAY_STUN_ATTR_LIFETIME, 3600);
}

static void
add_bind (RelayStunBuilder *b, gpointer data)
{
  relay_stun_builder_add_u32 (b, RELAY_STUN_ATTR_CHANNEL_NUMBER, (guint32) CHANNEL << 16);
  relay_stun_builder_add_address (b, RELAY_STUN_ATTR_XOR_PEER_ADDRESS, TRUE,
                                  (struct sockaddr *) &peer_addr);
}

static gboolean
setup_client (Client *c, const struct sockaddr_in *server, const char *username, const char *password)
{
  guint code = 0;

  c->server = *server;
  c->fd = socket (AF_INET, SOCK_DGRAM, 0);
  big_buffers (c->fd);
  if (connect (c->fd, (struct sockaddr *) server, sizeof *server) != 0)
    return FALSE;
  if (!transact (c, RELAY_STUN_ALLOCATE, FALSE, username, password, add_transport, NULL, &code) ||
      code != 401)
    return FALSE;
  if (!transact (c, RELAY_STUN_ALLOCATE, TRUE, username, password, add_transport, NULL, &code) ||
      (code == 438 && !transact (c, RELAY_STUN_ALLOCATE, TRUE, username, password, add_transport, NULL, &code)) ||
      code != 0)
    {
      g_printerr ("turn-load: allocate failed: %u\n", code);
      return FALSE;
    }
  if (!transact (c, RELAY_STUN_CHANNEL_BIND, TRUE, username, password, add_bind, NULL, &code) || code != 0)
    {
      g_printerr ("turn-load: channel bind failed: %u\n", code);
      return FALSE;
    }
  return TRUE;
}

/* Sends rate packets/s for seconds, paced per millisecond; returns the loss ratio. */
static double
run_step (guint rate, double seconds, gsize size, double *achieved)
{
  static guint8 payload[2048];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  gint step = g_atomic_int_add (&current_step, 1) + 1;
  guint64 total = (guint64) (rate * seconds), sent = 0;
  gint64 start = g_get_monotonic_time (), end;
  guint next_client = 0;
  gint64 drain_deadline;
  guint64 last_seen = 0;

  payload[0] = (guint8) (CHANNEL >> 8);
  payload[1] = (guint8) CHANNEL;
  payload[2] = (guint8) ((size - 4) >> 8);
  payload[3] = (guint8) (size - 4);
  memcpy (payload + 4, &step, 4);
  for (int i = 0; i < BATCH; i++)
    {
      iov[i].iov_base = payload;
      iov[i].iov_len = size;
      memset (&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
  g_atomic_int_set (&received_in_step, 0);

  while (sent < total)
    {
      gint64 now = g_get_monotonic_time ();
      guint64 due = MIN (total, (guint64) ((now - start) * (double) rate / G_USEC_PER_SEC) + 1);

      if (due <= sent)
        {
          struct timespec ts = { 0, 200000 };  /* 0.2 ms */

          nanosleep (&ts, NULL);
          continue;
        }
      /* spread what is due over the allocations, a small sendmmsg batch each */
      {
        guint64 todo = due - sent;
        guint per = (guint) MAX (1, MIN ((guint64) BATCH, (todo + n_clients - 1) / n_clients));

        while (todo > 0)
          {
            guint k = (guint) MIN ((guint64) per, todo);
            int n = sendmmsg (clients[next_client].fd, msgs, k, MSG_DONTWAIT);

            next_client = (next_client + 1) % n_clients;
            /* a full socket buffer counts as sent-and-lost: the rate was not held */
            sent += k;
            todo -= k;
            (void) n;
          }
      }
    }
  end = g_get_monotonic_time ();
  *achieved = sent / ((end - start) / (double) G_USEC_PER_SEC);

  /* wait for the echoes to stop arriving (at most 1 s) */
  drain_deadline = g_get_monotonic_time () + G_USEC_PER_SEC;
  while (g_get_monotonic_time () < drain_deadline)
    {
      guint64 seen = (guint64) g_atomic_int_get (&received_in_step);

      if (seen >= sent)
        break;
      g_usleep (50000);
      if (seen == last_seen && (guint64) g_atomic_int_get (&received_in_step) == seen &&
          g_get_monotonic_time () - end > 300000)
        break;
      last_seen = seen;
    }
  {
    guint64 got = (guint64) g_atomic_int_get (&received_in_step);

    return sent == 0 ? 1.0 : 1.0 - (double) MIN (got, sent) / (double) sent;
  }
}

static int
free_port (void)
{
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sin;

  /* a port free for both UDP and TCP */
  for (guint attempt = 0; attempt < 50; attempt++)
    {
      int u = socket (AF_INET, SOCK_DGRAM, 0), t = socket (AF_INET, SOCK_STREAM, 0);
      gboolean ok;

      sin.sin_port = 0;
      ok = bind (u, (struct sockaddr *) &sin, sizeof sin) == 0 &&
           getsockname (u, (struct sockaddr *) &sin, &len) == 0 &&
           bind (t, (struct sockaddr *) &sin, sizeof sin) == 0;
      close (u);
      close (t);
      if (ok)
        {
          printf ("%u\n", ntohs (sin.sin_port));
          return 0;
        }
    }
  return 1;
}

int
main (int argc, char **argv)
{
  struct sockaddr_in server = { .sin_family = AF_INET };
  g_autofree char *username = NULL;
  g_autofree char *password = NULL;
  GThread *peer, *receiver;
  guint allocs, max_rate;
  gsize size;
  double seconds, achieved;
  guint good = 0, bad = 0, rate;
  double good_achieved = 0;
  char *colon;

  if (argc >= 2 && strcmp (argv[1], "free-port") == 0)
    return free_port ();
  if (argc < 4 || (strcmp (argv[1], "search") != 0 && strcmp (argv[1], "run") != 0))
    {
      g_printerr ("usage: turn-load free-port | search|run HOST:PORT SECRET [ALLOCS [SIZE [STEP_S [RATE]]]]\n");
      return 2;
    }
  colon = strrchr (argv[2], ':');
  if (colon == NULL)
    return 2;
  *colon = '\0';
  inet_pton (AF_INET, argv[2], &server.sin_addr);
  server.sin_port = htons ((guint16) atoi (colon + 1));
  allocs = argc > 4 ? (guint) atoi (argv[4]) : 64;
  size = argc > 5 ? (gsize) atoi (argv[5]) : 200;
  seconds = argc > 6 ? atof (argv[6]) : 2.0;
  max_rate = argc > 7 ? (guint) atoi (argv[7]) : 2000000;
  allocs = CLAMP (allocs, 1, MAX_ALLOCS);
  size = CLAMP (size, 12, 1400);

  {
    socklen_t len = sizeof peer_addr;

    peer_addr.sin_family = AF_INET;
    peer_addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    peer_fd = socket (AF_INET, SOCK_DGRAM, 0);
    big_buffers (peer_fd);
    bind (peer_fd, (struct sockaddr *) &peer_addr, sizeof peer_addr);
    getsockname (peer_fd, (struct sockaddr *) &peer_addr, &len);
  }
  username = g_strdup_printf ("%" G_GINT64_FORMAT ":turn-load", g_get_real_time () / G_USEC_PER_SEC + 3600);
  password = relay_turn_auth_password (argv[3], username);
  for (n_clients = 0; n_clients < allocs; n_clients++)
    {
      guint attempt = 0;

      /* a source port that an earlier client (uclient) still holds an allocation on is
       * refused (437/441): take another port */
      while (!setup_client (&clients[n_clients], &server, username, password))
        {
          close (clients[n_clients].fd);
          if (++attempt == 5)
            {
              g_printerr ("turn-load: could not set up allocation %u\n", n_clients);
              return 1;
            }
        }
    }
  printf ("allocations %u with a channel each, %zu-byte ChannelData, %.1f s per step\n",
          n_clients, size, seconds);

  peer = g_thread_new ("echo-peer", peer_thread, NULL);
  receiver = g_thread_new ("receiver", receiver_thread, NULL);

  if (strcmp (argv[1], "run") == 0)
    {
      /* one step at a fixed rate (MAX_RATE), for profiling the server under a known load */
      double loss = run_step (max_rate, seconds, size, &achieved);

      printf ("rate %u/s (sent %.0f/s) loss %.3f%%\n", max_rate, achieved, loss * 100);
      g_atomic_int_set (&stop_threads, 1);
      g_thread_join (peer);
      g_thread_join (receiver);
      return 0;
    }

  /* warm up, then double until loss, then bisect */
  run_step (5000, 0.5, size, &achieved);
  for (rate = 20000; rate <= max_rate; rate *= 2)
    {
      double loss = run_step (rate, seconds, size, &achieved);

      printf ("rate %u/s (sent %.0f/s) loss %.3f%%\n", rate, achieved, loss * 100);
      fflush (stdout);
      if (loss >= LOSS_LIMIT || achieved < rate * 0.95)
        {
          bad = rate;
          break;
        }
      good = rate;
      good_achieved = achieved;
    }
  if (bad == 0)
    bad = max_rate;
  for (guint i = 0; i < 5 && bad - good > good / 20; i++)
    {
      double loss;

      rate = (good + bad) / 2;
      loss = run_step (rate, seconds, size, &achieved);
      printf ("rate %u/s (sent %.0f/s) loss %.3f%%\n", rate, achieved, loss * 100);
      fflush (stdout);
      if (loss < LOSS_LIMIT && achieved >= rate * 0.95)
        {
          good = rate;
          good_achieved = achieved;
        }
      else
        bad = rate;
    }
  printf ("capacity %.0f\n", good_achieved);

  g_atomic_int_set (&stop_threads, 1);
  g_thread_join (peer);
  g_thread_join (receiver);
  return 0;
}
