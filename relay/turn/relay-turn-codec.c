/* relay-turn-codec.c: bounded STUN/TURN parsing and building, SHA-1/HMAC and CRC-32 for
 * MESSAGE-INTEGRITY and FINGERPRINT.  Nothing here allocates except the long-term key. */
#define G_LOG_DOMAIN "relay-turn"

#include "relay-turn-codec.h"

#include <string.h>
#include <netinet/in.h>

/* ---- SHA-1 (FIPS 180-4) ---- */

static inline guint32
rol32 (guint32 v, guint n)
{
  return (v << n) | (v >> (32 - n));
}

static void
sha1_block (guint32 h[5], const guint8 *p)
{
  guint32 w[80];
  guint32 a, b, c, d, e;

  for (guint i = 0; i < 16; i++)
    w[i] = ((guint32) p[4 * i] << 24) | ((guint32) p[4 * i + 1] << 16) |
           ((guint32) p[4 * i + 2] << 8) | p[4 * i + 3];
  for (guint i = 16; i < 80; i++)
    w[i] = rol32 (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);

  a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4];
  for (guint i = 0; i < 80; i++)
    {
      guint32 f, k, t;

      if (i < 20)
        { f = (b & c) | (~b & d); k = 0x5A827999; }
      else if (i < 40)
        { f = b ^ c ^ d; k = 0x6ED9EBA1; }
      else if (i < 60)
        { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
      else
        { f = b ^ c ^ d; k = 0xCA62C1D6; }
      t = rol32 (a, 5) + f + e + k + w[i];
      e = d; d = c; c = rol32 (b, 30); b = a; a = t;
    }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
}

void
relay_sha1_init (RelaySha1 *ctx)
{
  ctx->h[0] = 0x67452301;
  ctx->h[1] = 0xEFCDAB89;
  ctx->h[2] = 0x98BADCFE;
  ctx->h[3] = 0x10325476;
  ctx->h[4] = 0xC3D2E1F0;
  ctx->total = 0;
  ctx->fill = 0;
}

void
relay_sha1_update (RelaySha1 *ctx, const void *data, gsize len)
{
  const guint8 *p = data;

  ctx->total += len;
  if (ctx->fill > 0)
    {
      gsize take = MIN (len, 64 - ctx->fill);

      memcpy (ctx->block + ctx->fill, p, take);
      ctx->fill += take;
      p += take;
      len -= take;
      if (ctx->fill < 64)
        return;
      sha1_block (ctx->h, ctx->block);
      ctx->fill = 0;
    }
  while (len >= 64)
    {
      sha1_block (ctx->h, p);
      p += 64;
      len -= 64;
    }
  if (len > 0)
    {
      memcpy (ctx->block, p, len);
      ctx->fill = len;
    }
}

void
relay_sha1_final (RelaySha1 *ctx, guint8 out[20])
{
  guint64 bits = ctx->total * 8;
  guint8 pad[72];
  gsize padlen = (ctx->fill < 56) ? 56 - ctx->fill : 120 - ctx->fill;

  memset (pad, 0, sizeof pad);
  pad[0] = 0x80;
  for (guint i = 0; i < 8; i++)
    pad[padlen + i] = (guint8) (bits >> (56 - 8 * i));
  /* total is not used after this, so the padding may count into it */
  relay_sha1_update (ctx, pad, padlen + 8);
  for (guint i = 0; i < 5; i++)
    {
      out[4 * i] = (guint8) (ctx->h[i] >> 24);
      out[4 * i + 1] = (guint8) (ctx->h[i] >> 16);
      out[4 * i + 2] = (guint8) (ctx->h[i] >> 8);
      out[4 * i + 3] = (guint8) ctx->h[i];
    }
}

void
relay_hmac_key_init (RelayHmacKey *key, const guint8 *secret, gsize secret_len)
{
  guint8 block[64];
  guint8 digest[20];

  memset (block, 0, sizeof block);
  if (secret_len > 64)
    {
      RelaySha1 s;

      relay_sha1_init (&s);
      relay_sha1_update (&s, secret, secret_len);
      relay_sha1_final (&s, digest);
      memcpy (block, digest, sizeof digest);
    }
  else if (secret_len > 0)
    memcpy (block, secret, secret_len);

  for (guint i = 0; i < 64; i++)
    block[i] ^= 0x36;
  relay_sha1_init (&key->inner);
  relay_sha1_update (&key->inner, block, 64);
  for (guint i = 0; i < 64; i++)
    block[i] ^= 0x36 ^ 0x5C;
  relay_sha1_init (&key->outer);
  relay_sha1_update (&key->outer, block, 64);
}

void
relay_hmac_sha1 (const RelayHmacKey *key, const void *data, gsize len, guint8 out[20])
{
  RelaySha1 ctx = key->inner;
  guint8 inner[20];

  relay_sha1_update (&ctx, data, len);
  relay_sha1_final (&ctx, inner);
  ctx = key->outer;
  relay_sha1_update (&ctx, inner, sizeof inner);
  relay_sha1_final (&ctx, out);
}

/* ---- CRC-32 (IEEE 802.3, as FINGERPRINT uses) ---- */

static guint32 crc_table[256];

static void
crc_table_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      for (guint32 i = 0; i < 256; i++)
        {
          guint32 c = i;

          for (guint k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
          crc_table[i] = c;
        }
      g_once_init_leave (&done, 1);
    }
}

guint32
relay_crc32 (const guint8 *data, gsize len)
{
  guint32 c = 0xFFFFFFFFu;

  crc_table_init ();
  for (gsize i = 0; i < len; i++)
    c = crc_table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

/* ---- message layout ---- */

static inline guint16
rd16 (const guint8 *p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static inline guint32
rd32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static inline void
wr16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static inline void
wr32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

guint16
relay_stun_type (guint16 method, guint8 klass)
{
  return (guint16) ((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
                    ((klass & 1) << 4) | ((klass & 2) << 7));
}

/* Attribute types we understand; any other comprehension-required one makes a request fail
 * with 420 (RFC 8489 §7.3.1), comprehension-optional ones (>= 0x8000) are ignored. */
static gboolean
attr_is_known (guint16 type)
{
  switch (type)
    {
    case RELAY_STUN_ATTR_MAPPED_ADDRESS:
    case RELAY_STUN_ATTR_USERNAME:
    case RELAY_STUN_ATTR_MESSAGE_INTEGRITY:
    case RELAY_STUN_ATTR_ERROR_CODE:
    case RELAY_STUN_ATTR_UNKNOWN_ATTRIBUTES:
    case RELAY_STUN_ATTR_CHANNEL_NUMBER:
    case RELAY_STUN_ATTR_LIFETIME:
    case RELAY_STUN_ATTR_XOR_PEER_ADDRESS:
    case RELAY_STUN_ATTR_DATA:
    case RELAY_STUN_ATTR_REALM:
    case RELAY_STUN_ATTR_NONCE:
    case RELAY_STUN_ATTR_XOR_RELAYED_ADDRESS:
    case RELAY_STUN_ATTR_REQUESTED_ADDRESS_FAMILY:
    case RELAY_STUN_ATTR_EVEN_PORT:
    case RELAY_STUN_ATTR_REQUESTED_TRANSPORT:
    case RELAY_STUN_ATTR_DONT_FRAGMENT:
    case RELAY_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
    case RELAY_STUN_ATTR_PASSWORD_ALGORITHM:
    case RELAY_STUN_ATTR_USERHASH:
    case RELAY_STUN_ATTR_XOR_MAPPED_ADDRESS:
    case RELAY_STUN_ATTR_RESERVATION_TOKEN:
    case RELAY_STUN_ATTR_PRIORITY:
    case RELAY_STUN_ATTR_USE_CANDIDATE:
      return TRUE;
    default:
      return type >= 0x8000;
    }
}

RelayStunParseResult
relay_stun_parse (const guint8 *data, gsize len, RelayStunMsg *msg)
{
  guint16 type, body_len;
  gsize pos;

  g_assert (msg != NULL);

  if (len < RELAY_STUN_HEADER_SIZE || (data[0] & 0xC0) != 0 ||
      rd32 (data + 4) != RELAY_STUN_MAGIC_COOKIE)
    return RELAY_STUN_PARSE_NOT_STUN;

  type = rd16 (data);
  body_len = rd16 (data + 2);
  /* A datagram carries exactly one message; trailing bytes mean it is not what it claims. */
  if ((body_len & 3) != 0 || (gsize) body_len + RELAY_STUN_HEADER_SIZE != len ||
      len > RELAY_STUN_MAX_MESSAGE)
    return RELAY_STUN_PARSE_MALFORMED;

  msg->data = data;
  msg->length = len;
  msg->method = (guint16) ((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
  msg->klass = (guint8) (((type >> 4) & 1) | ((type >> 7) & 2));
  msg->tid = data + 8;
  msg->n_attrs = 0;
  msg->integrity_offset = -1;
  msg->fingerprint_offset = -1;
  msg->n_unknown = 0;

  pos = RELAY_STUN_HEADER_SIZE;
  while (pos < len)
    {
      guint16 atype, alen;
      gsize padded;

      if (len - pos < 4)
        return RELAY_STUN_PARSE_MALFORMED;
      atype = rd16 (data + pos);
      alen = rd16 (data + pos + 2);
      padded = ((gsize) alen + 3) & ~(gsize) 3;
      if (padded > len - pos - 4)
        return RELAY_STUN_PARSE_MALFORMED;
      /* FINGERPRINT must be the last attribute. */
      if (msg->fingerprint_offset >= 0)
        return RELAY_STUN_PARSE_MALFORMED;

      if (atype == RELAY_STUN_ATTR_FINGERPRINT)
        {
          guint32 crc;

          if (alen != 4)
            return RELAY_STUN_PARSE_MALFORMED;
          crc = relay_crc32 (data, pos) ^ RELAY_STUN_FINGERPRINT_XOR;
          if (crc != rd32 (data + pos + 4))
            return RELAY_STUN_PARSE_BAD_FINGERPRINT;
          msg->fingerprint_offset = (gint) pos;
        }
      else if (msg->integrity_offset >= 0)
        {
          /* RFC 8489 §14.5: attributes after MESSAGE-INTEGRITY (but FINGERPRINT) are ignored. */
        }
      else
        {
          if (atype == RELAY_STUN_ATTR_MESSAGE_INTEGRITY)
            {
              if (alen != 20)
                return RELAY_STUN_PARSE_MALFORMED;
              msg->integrity_offset = (gint) pos;
            }
          if (msg->n_attrs == RELAY_STUN_MAX_ATTRS)
            return RELAY_STUN_PARSE_MALFORMED;
          msg->attrs[msg->n_attrs].type = atype;
          msg->attrs[msg->n_attrs].len = alen;
          msg->attrs[msg->n_attrs].offset = (guint16) (pos + 4);
          msg->n_attrs++;
          if (!attr_is_known (atype) && msg->n_unknown < RELAY_STUN_MAX_UNKNOWN)
            msg->unknown[msg->n_unknown++] = atype;
        }
      pos += 4 + padded;
    }

  return RELAY_STUN_PARSE_OK;
}

const RelayStunAttr *
relay_stun_find (const RelayStunMsg *msg, guint16 type)
{
  /* Only the first occurrence counts (RFC 8489 §14). */
  for (guint i = 0; i < msg->n_attrs; i++)
    if (msg->attrs[i].type == type)
      return &msg->attrs[i];
  return NULL;
}

const guint8 *
relay_stun_value (const RelayStunMsg *msg, const RelayStunAttr *attr)
{
  return attr != NULL ? msg->data + attr->offset : NULL;
}

gboolean
relay_stun_get_u32 (const RelayStunMsg *msg, guint16 type, guint32 *out)
{
  const RelayStunAttr *a = relay_stun_find (msg, type);

  if (a == NULL || a->len != 4)
    return FALSE;
  *out = rd32 (msg->data + a->offset);
  return TRUE;
}

gboolean
relay_stun_get_address (const RelayStunMsg      *msg,
                        const RelayStunAttr     *attr,
                        gboolean                 xored,
                        struct sockaddr_storage *out)
{
  const guint8 *v;
  guint16 port;

  if (attr == NULL || attr->len < 4)
    return FALSE;
  v = msg->data + attr->offset;
  port = rd16 (v + 2);
  if (xored)
    port ^= (guint16) (RELAY_STUN_MAGIC_COOKIE >> 16);

  memset (out, 0, sizeof *out);
  if (v[1] == 0x01 && attr->len == 8)
    {
      struct sockaddr_in *sin = (struct sockaddr_in *) out;
      guint32 ip = rd32 (v + 4);

      if (xored)
        ip ^= RELAY_STUN_MAGIC_COOKIE;
      sin->sin_family = AF_INET;
      sin->sin_port = htons (port);
      sin->sin_addr.s_addr = htonl (ip);
      return TRUE;
    }
  if (v[1] == 0x02 && attr->len == 20)
    {
      struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) out;

      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons (port);
      memcpy (sin6->sin6_addr.s6_addr, v + 4, 16);
      if (xored)
        {
          /* The IPv6 address is XORed with the cookie followed by the transaction id. */
          for (guint i = 0; i < 4; i++)
            sin6->sin6_addr.s6_addr[i] ^= msg->data[4 + i];
          for (guint i = 0; i < 12; i++)
            sin6->sin6_addr.s6_addr[4 + i] ^= msg->tid[i];
        }
      return TRUE;
    }
  return FALSE;
}

guint
relay_stun_get_error_code (const RelayStunMsg *msg)
{
  const RelayStunAttr *a = relay_stun_find (msg, RELAY_STUN_ATTR_ERROR_CODE);
  const guint8 *v;

  if (a == NULL || a->len < 4)
    return 0;
  v = msg->data + a->offset;
  return (v[2] & 0x07) * 100u + v[3];
}

gboolean
relay_stun_check_integrity (const RelayStunMsg *msg, const RelayHmacKey *key)
{
  RelaySha1 ctx;
  guint8 header[RELAY_STUN_HEADER_SIZE];
  guint8 inner[20], mac[20];
  guint8 diff = 0;
  gsize mi = (gsize) msg->integrity_offset;

  if (msg->integrity_offset < 0)
    return FALSE;

  /* The MAC covers the message up to MESSAGE-INTEGRITY with the length field pretending
   * the message ends right after it (so a later FINGERPRINT is excluded). */
  memcpy (header, msg->data, sizeof header);
  wr16 (header + 2, (guint16) (mi + 24 - RELAY_STUN_HEADER_SIZE));

  ctx = key->inner;
  relay_sha1_update (&ctx, header, sizeof header);
  relay_sha1_update (&ctx, msg->data + RELAY_STUN_HEADER_SIZE, mi - RELAY_STUN_HEADER_SIZE);
  relay_sha1_final (&ctx, inner);
  ctx = key->outer;
  relay_sha1_update (&ctx, inner, sizeof inner);
  relay_sha1_final (&ctx, mac);

  /* constant time, so the comparison leaks nothing about the expected MAC */
  for (guint i = 0; i < 20; i++)
    diff |= mac[i] ^ msg->data[mi + 4 + i];
  return diff == 0;
}

void
relay_stun_long_term_key (const char *username,
                          const char *realm,
                          const char *password,
                          guint8      out[16])
{
  g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  gsize len = 16;

  g_checksum_update (md5, (const guchar *) username, -1);
  g_checksum_update (md5, (const guchar *) ":", 1);
  g_checksum_update (md5, (const guchar *) realm, -1);
  g_checksum_update (md5, (const guchar *) ":", 1);
  g_checksum_update (md5, (const guchar *) password, -1);
  g_checksum_get_digest (md5, out, &len);
}

/* ---- building ---- */

void
relay_stun_builder_init (RelayStunBuilder *b,
                         guint8           *buf,
                         gsize             cap,
                         guint16           method,
                         guint8            klass,
                         const guint8     *tid)
{
  b->buf = buf;
  b->cap = cap;
  b->len = 0;
  b->overflow = cap < RELAY_STUN_HEADER_SIZE;
  if (b->overflow)
    return;
  wr16 (buf, relay_stun_type (method, klass));
  wr16 (buf + 2, 0);
  wr32 (buf + 4, RELAY_STUN_MAGIC_COOKIE);
  memcpy (buf + 8, tid, RELAY_STUN_TID_SIZE);
  b->len = RELAY_STUN_HEADER_SIZE;
}

/* Reserves an attribute and returns where its value goes (NULL on overflow). */
static guint8 *
builder_reserve (RelayStunBuilder *b, guint16 type, gsize len)
{
  gsize padded = (len + 3) & ~(gsize) 3;
  guint8 *p;

  if (b->overflow || len > 0xFFFF || b->cap - b->len < 4 + padded)
    {
      b->overflow = TRUE;
      return NULL;
    }
  p = b->buf + b->len;
  wr16 (p, type);
  wr16 (p + 2, (guint16) len);
  memset (p + 4 + len, 0, padded - len);
  b->len += 4 + padded;
  wr16 (b->buf + 2, (guint16) (b->len - RELAY_STUN_HEADER_SIZE));
  return p + 4;
}

void
relay_stun_builder_add (RelayStunBuilder *b, guint16 type, const void *value, gsize len)
{
  guint8 *p = builder_reserve (b, type, len);

  if (p != NULL && len > 0)
    memcpy (p, value, len);
}

void
relay_stun_builder_add_u32 (RelayStunBuilder *b, guint16 type, guint32 value)
{
  guint8 *p = builder_reserve (b, type, 4);

  if (p != NULL)
    wr32 (p, value);
}

void
relay_stun_builder_add_string (RelayStunBuilder *b, guint16 type, const char *value)
{
  relay_stun_builder_add (b, type, value, strlen (value));
}

static gsize
write_address (guint8 *p, const guint8 *header, gboolean xored, const struct sockaddr *addr)
{
  guint16 xport = xored ? (guint16) (RELAY_STUN_MAGIC_COOKIE >> 16) : 0;

  p[0] = 0;
  if (addr->sa_family == AF_INET)
    {
      const struct sockaddr_in *sin = (const struct sockaddr_in *) addr;
      guint32 ip = ntohl (sin->sin_addr.s_addr);

      p[1] = 0x01;
      wr16 (p + 2, ntohs (sin->sin_port) ^ xport);
      wr32 (p + 4, xored ? ip ^ RELAY_STUN_MAGIC_COOKIE : ip);
      return 8;
    }
  else
    {
      const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) addr;

      p[1] = 0x02;
      wr16 (p + 2, ntohs (sin6->sin6_port) ^ xport);
      memcpy (p + 4, sin6->sin6_addr.s6_addr, 16);
      if (xored)
        for (guint i = 0; i < 16; i++)
          p[4 + i] ^= header[4 + i];  /* cookie then transaction id */
      return 20;
    }
}

void
relay_stun_builder_add_address (RelayStunBuilder      *b,
                                guint16                type,
                                gboolean               xored,
                                const struct sockaddr *addr)
{
  gsize len = addr->sa_family == AF_INET ? 8 : 20;
  guint8 *p;

  g_assert (addr->sa_family == AF_INET || addr->sa_family == AF_INET6);
  p = builder_reserve (b, type, len);
  if (p != NULL)
    write_address (p, b->buf, xored, addr);
}

void
relay_stun_builder_add_error (RelayStunBuilder *b, guint code, const char *reason)
{
  gsize rlen = strlen (reason);
  guint8 *p = builder_reserve (b, RELAY_STUN_ATTR_ERROR_CODE, 4 + rlen);

  if (p == NULL)
    return;
  p[0] = 0;
  p[1] = 0;
  p[2] = (guint8) (code / 100);
  p[3] = (guint8) (code % 100);
  memcpy (p + 4, reason, rlen);
}

void
relay_stun_builder_add_integrity (RelayStunBuilder *b, const RelayHmacKey *key)
{
  gsize start = b->len;
  guint8 *p = builder_reserve (b, RELAY_STUN_ATTR_MESSAGE_INTEGRITY, 20);

  /* the length field already counts the MI attribute, as the MAC requires */
  if (p != NULL)
    relay_hmac_sha1 (key, b->buf, start, p);
}

void
relay_stun_builder_add_fingerprint (RelayStunBuilder *b)
{
  gsize start = b->len;
  guint8 *p = builder_reserve (b, RELAY_STUN_ATTR_FINGERPRINT, 4);

  if (p != NULL)
    wr32 (p, relay_crc32 (b->buf, start) ^ RELAY_STUN_FINGERPRINT_XOR);
}

gsize
relay_stun_builder_finish (RelayStunBuilder *b)
{
  return b->overflow ? 0 : b->len;
}

guint8 *
relay_stun_prepend_data_indication (guint8                *payload,
                                    gsize                  payload_len,
                                    const struct sockaddr *peer,
                                    const guint8          *tid,
                                    gsize                 *out_len)
{
  gsize addr_len = peer->sa_family == AF_INET ? 8 : 20;
  gsize head = RELAY_STUN_HEADER_SIZE + 4 + addr_len + 4;
  gsize padded = (payload_len + 3) & ~(gsize) 3;
  guint8 *start = payload - head;

  g_assert (payload_len <= 0xFFFF - 64);
  memset (payload + payload_len, 0, padded - payload_len);
  wr16 (start, relay_stun_type (RELAY_STUN_DATA, RELAY_STUN_INDICATION));
  wr16 (start + 2, (guint16) (head - RELAY_STUN_HEADER_SIZE + padded));
  wr32 (start + 4, RELAY_STUN_MAGIC_COOKIE);
  memcpy (start + 8, tid, RELAY_STUN_TID_SIZE);
  wr16 (start + 20, RELAY_STUN_ATTR_XOR_PEER_ADDRESS);
  wr16 (start + 22, (guint16) addr_len);
  write_address (start + 24, start, TRUE, peer);
  wr16 (start + 24 + addr_len, RELAY_STUN_ATTR_DATA);
  wr16 (start + 26 + addr_len, (guint16) payload_len);
  *out_len = head + padded;
  return start;
}
