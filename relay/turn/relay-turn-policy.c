/* relay-turn-policy.c: the peer address policy.  All addresses are compared as 16-byte IPv6
 * addresses (IPv4 as ::ffff:a.b.c.d), and any IPv6 form that embeds an IPv4 address
 * (mapped, compatible, NAT64, 6to4) is judged by that IPv4 address: coturn's CVE-2020-26262
 * was 0.0.0.0 and ::ffff:127.0.0.1 reaching loopback past a list of literal prefixes. */
#define G_LOG_DOMAIN "relay-turn"

#include "relay-turn-policy.h"

#include <gio/gio.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "omni-error.h"

typedef struct {
  guint8 addr[16];
  guint  prefix;  /* bits, 0..128 */
} Cidr;

struct _RelayTurnPolicy {
  GArray *allowed;  /* of Cidr */
};

/* IPv4 ranges in their ::ffff:0:0/96 form; prefix counted over the IPv4 part. */
static const struct { const char *net; guint prefix; } denied_v4[] = {
  { "0.0.0.0", 8 },         /* "this network"; 0.0.0.0 reaches the host itself */
  { "10.0.0.0", 8 },        /* RFC 1918 */
  { "100.64.0.0", 10 },     /* CGNAT, RFC 6598 */
  { "127.0.0.0", 8 },       /* loopback */
  { "169.254.0.0", 16 },    /* link-local */
  { "172.16.0.0", 12 },     /* RFC 1918 */
  { "192.168.0.0", 16 },    /* RFC 1918 */
  { "224.0.0.0", 4 },       /* multicast */
  { "240.0.0.0", 4 },       /* reserved, includes the broadcast 255.255.255.255 */
};

static const struct { const char *net; guint prefix; } denied_v6[] = {
  { "::", 128 },            /* unspecified */
  { "::1", 128 },           /* loopback */
  { "fc00::", 7 },          /* unique local */
  { "fe80::", 10 },         /* link-local */
  { "fec0::", 10 },         /* site-local (deprecated, still routed by some stacks) */
  { "ff00::", 8 },          /* multicast */
};

static gboolean
cidr_contains (const guint8 net[16], guint prefix, const guint8 addr[16])
{
  guint full = prefix / 8, rest = prefix % 8;

  if (memcmp (net, addr, full) != 0)
    return FALSE;
  if (rest == 0)
    return TRUE;
  return ((net[full] ^ addr[full]) & (0xFF << (8 - rest))) == 0;
}

static void
v4_to_mapped (const guint8 v4[4], guint8 out[16])
{
  memset (out, 0, 10);
  out[10] = 0xFF;
  out[11] = 0xFF;
  memcpy (out + 12, v4, 4);
}

/* If addr (IPv6) carries an IPv4 address in one of the well-known embeddings, writes the
 * mapped form of that IPv4 address to out. */
static gboolean
embedded_v4 (const guint8 addr[16], guint8 out[16])
{
  static const guint8 zero[12] = { 0 };
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF };
  static const guint8 nat64[12] = { 0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0 };

  if (memcmp (addr, mapped, 12) == 0 || memcmp (addr, nat64, 12) == 0 ||
      memcmp (addr, zero, 12) == 0)  /* IPv4-compatible ::a.b.c.d (also :: and ::1) */
    {
      v4_to_mapped (addr + 12, out);
      return TRUE;
    }
  if (addr[0] == 0x20 && addr[1] == 0x02)  /* 6to4 2002:AABB:CCDD::/48 */
    {
      v4_to_mapped (addr + 2, out);
      return TRUE;
    }
  return FALSE;
}

static gboolean
parse_cidr (const char *text, Cidr *out, GError **error)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  char *slash = strchr (copy, '/');
  g_autoptr(GInetAddress) ia = NULL;
  guint max_prefix;
  guint64 prefix;

  if (slash != NULL)
    *slash = '\0';
  ia = g_inet_address_new_from_string (copy);
  if (ia == NULL)
    {
      g_set_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG,
                   "[turn] allowed_peers: “%s” is not an IP address or CIDR range", text);
      return FALSE;
    }
  if (g_inet_address_get_family (ia) == G_SOCKET_FAMILY_IPV4)
    {
      v4_to_mapped (g_inet_address_to_bytes (ia), out->addr);
      max_prefix = 32;
    }
  else
    {
      memcpy (out->addr, g_inet_address_to_bytes (ia), 16);
      max_prefix = 128;
    }
  prefix = max_prefix;
  if (slash != NULL &&
      (!g_ascii_string_to_unsigned (slash + 1, 10, 0, max_prefix, &prefix, NULL)))
    {
      g_set_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG,
                   "[turn] allowed_peers: bad prefix length in “%s”", text);
      return FALSE;
    }
  out->prefix = (guint) prefix + (max_prefix == 32 ? 96 : 0);
  return TRUE;
}

RelayTurnPolicy *
relay_turn_policy_new (const char * const *allowed, GError **error)
{
  g_autoptr(RelayTurnPolicy) policy = g_new0 (RelayTurnPolicy, 1);

  policy->allowed = g_array_new (FALSE, FALSE, sizeof (Cidr));
  for (guint i = 0; allowed != NULL && allowed[i] != NULL; i++)
    {
      Cidr c;

      /* empty items come from a trailing ';' in the key file */
      if (allowed[i][strspn (allowed[i], " \t")] == '\0')
        continue;
      if (!parse_cidr (allowed[i], &c, error))
        return NULL;
      g_array_append_val (policy->allowed, c);
    }
  return g_steal_pointer (&policy);
}

void
relay_turn_policy_free (RelayTurnPolicy *policy)
{
  if (policy == NULL)
    return;
  g_array_unref (policy->allowed);
  g_free (policy);
}

static gboolean
is_allowed (const RelayTurnPolicy *policy, const guint8 addr[16])
{
  for (guint i = 0; i < policy->allowed->len; i++)
    {
      const Cidr *c = &g_array_index (policy->allowed, Cidr, i);

      if (cidr_contains (c->addr, c->prefix, addr))
        return TRUE;
    }
  return FALSE;
}

static gboolean
is_denied_v4 (const guint8 mapped[16])
{
  for (guint i = 0; i < G_N_ELEMENTS (denied_v4); i++)
    {
      guint8 v4[4], net[16];

      inet_pton (AF_INET, denied_v4[i].net, v4);
      v4_to_mapped (v4, net);
      if (cidr_contains (net, 96 + denied_v4[i].prefix, mapped))
        return TRUE;
    }
  return FALSE;
}

static gboolean
is_denied_v6 (const guint8 addr[16])
{
  for (guint i = 0; i < G_N_ELEMENTS (denied_v6); i++)
    {
      guint8 net[16];

      inet_pton (AF_INET6, denied_v6[i].net, net);
      if (cidr_contains (net, denied_v6[i].prefix, addr))
        return TRUE;
    }
  return FALSE;
}

gboolean
relay_turn_policy_allows (const RelayTurnPolicy *policy, const struct sockaddr *peer)
{
  guint8 addr[16], v4[16];

  g_return_val_if_fail (policy != NULL, FALSE);
  g_return_val_if_fail (peer != NULL, FALSE);

  if (peer->sa_family == AF_INET)
    v4_to_mapped ((const guint8 *) &((const struct sockaddr_in *) peer)->sin_addr, addr);
  else if (peer->sa_family == AF_INET6)
    memcpy (addr, ((const struct sockaddr_in6 *) peer)->sin6_addr.s6_addr, 16);
  else
    return FALSE;

  /* An explicit allowed range wins, in the literal form or the embedded IPv4 form. */
  if (is_allowed (policy, addr))
    return TRUE;
  if (embedded_v4 (addr, v4))
    {
      /* ::ffff:a.b.c.d is v4 itself; the others are only allowed when their v4 is allowed
       * and not denied; :: and ::1 fall in the compatible form and stay denied below. */
      if (is_denied_v6 (addr))
        return FALSE;
      if (is_allowed (policy, v4))
        return TRUE;
      return !is_denied_v4 (v4);
    }
  return !is_denied_v6 (addr);
}
