/* test-turn-codec.c: the STUN codec against the RFC 5769 test vectors, plus the primitives
 * under it and the bounds every parser must keep. */
#define G_LOG_DOMAIN "test-turn-codec"

#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "relay-turn-codec.h"

static const char *short_term_password = "VOkJxbRl1RmTxUk/WvJxBt";

/* RFC 5769 §2.1 sample request */
static const char *vector_request =
  "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74"
  "002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020000800149aea"
  "a70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf";
/* §2.2 IPv4 response */
static const char *vector_response_v4 =
  "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220002000080001a147"
  "e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d780280004c07d4c96";
/* §2.3 IPv6 response */
static const char *vector_response_v6 =
  "010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220002000140002a147"
  "0113a9faa5d3f179bc25f4b5bed2b9d900080014a382954e4be67bf11784c97c8292c275bfe3ed4180280004"
  "c8fb0b4c";
/* §2.4 request with long-term authentication */
static const char *vector_long_term =
  "000100602112a44278ad3433c6ad72c029da412e00060012e3839ee38388e383aae38383e382afe382b90000"
  "0015001c662f2f3439396b39353464364f4c33346f4c394653547679363473410014000b6578616d706c652e"
  "6f72670000080014f67024656dd64a3e02b8e0712e85c9a28ca89666";

static GBytes *
from_hex (const char *hex)
{
  gsize n = strlen (hex) / 2;
  guint8 *out = g_malloc (n);

  g_assert_cmpuint (strlen (hex) % 2, ==, 0);
  for (gsize i = 0; i < n; i++)
    out[i] = (guint8) ((g_ascii_xdigit_value (hex[2 * i]) << 4) | g_ascii_xdigit_value (hex[2 * i + 1]));
  return g_bytes_new_take (out, n);
}

static void
short_term_key (RelayHmacKey *key)
{
  relay_hmac_key_init (key, (const guint8 *) short_term_password, strlen (short_term_password));
}

static void
assert_attr_string (const RelayStunMsg *msg, guint16 type, const char *expected)
{
  const RelayStunAttr *a = relay_stun_find (msg, type);

  g_assert_nonnull (a);
  g_assert_cmpmem (relay_stun_value (msg, a), a->len, expected, strlen (expected));
}

static void
test_vector_request (void)
{
  g_autoptr(GBytes) bytes = from_hex (vector_request);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  RelayStunMsg msg;
  RelayHmacKey key, wrong;
  guint32 priority;

  g_assert_cmpint (relay_stun_parse (data, len, &msg), ==, RELAY_STUN_PARSE_OK);
  g_assert_cmpuint (msg.method, ==, RELAY_STUN_BINDING);
  g_assert_cmpuint (msg.klass, ==, RELAY_STUN_REQUEST);
  g_assert_cmpint (msg.fingerprint_offset, >, 0);
  g_assert_cmpuint (msg.n_unknown, ==, 0);
  assert_attr_string (&msg, RELAY_STUN_ATTR_SOFTWARE, "STUN test client");
  assert_attr_string (&msg, RELAY_STUN_ATTR_USERNAME, "evtj:h6vY");
  g_assert_true (relay_stun_get_u32 (&msg, RELAY_STUN_ATTR_PRIORITY, &priority));
  g_assert_cmphex (priority, ==, 0x6e0001ff);
  short_term_key (&key);
  g_assert_true (relay_stun_check_integrity (&msg, &key));
  relay_hmac_key_init (&wrong, (const guint8 *) "wrong", 5);
  g_assert_false (relay_stun_check_integrity (&msg, &wrong));
}

static void
check_response (const char *hex, int family, const char *ip)
{
  g_autoptr(GBytes) bytes = from_hex (hex);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  RelayStunMsg msg;
  RelayHmacKey key;
  struct sockaddr_storage ss;
  char text[INET6_ADDRSTRLEN];

  g_assert_cmpint (relay_stun_parse (data, len, &msg), ==, RELAY_STUN_PARSE_OK);
  g_assert_cmpuint (msg.method, ==, RELAY_STUN_BINDING);
  g_assert_cmpuint (msg.klass, ==, RELAY_STUN_SUCCESS);
  assert_attr_string (&msg, RELAY_STUN_ATTR_SOFTWARE, "test vector");
  short_term_key (&key);
  g_assert_true (relay_stun_check_integrity (&msg, &key));
  g_assert_true (relay_stun_get_address (&msg, relay_stun_find (&msg, RELAY_STUN_ATTR_XOR_MAPPED_ADDRESS),
                                         TRUE, &ss));
  g_assert_cmpint (ss.ss_family, ==, family);
  if (family == AF_INET)
    {
      struct sockaddr_in *sin = (struct sockaddr_in *) &ss;

      inet_ntop (AF_INET, &sin->sin_addr, text, sizeof text);
      g_assert_cmpuint (ntohs (sin->sin_port), ==, 32853);
    }
  else
    {
      struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;

      inet_ntop (AF_INET6, &sin6->sin6_addr, text, sizeof text);
      g_assert_cmpuint (ntohs (sin6->sin6_port), ==, 32853);
    }
  g_assert_cmpstr (text, ==, ip);
}

static void
test_vector_response_v4 (void)
{
  check_response (vector_response_v4, AF_INET, "192.0.2.1");
}

static void
test_vector_response_v6 (void)
{
  check_response (vector_response_v6, AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677");
}

static void
test_vector_long_term (void)
{
  g_autoptr(GBytes) bytes = from_hex (vector_long_term);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  RelayStunMsg msg;
  RelayHmacKey key;
  guint8 lt[16];
  /* U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9; the password after SASLprep is "TheMatrIX" */
  const char *username = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";

  g_assert_cmpint (relay_stun_parse (data, len, &msg), ==, RELAY_STUN_PARSE_OK);
  g_assert_cmpint (msg.fingerprint_offset, ==, -1);
  assert_attr_string (&msg, RELAY_STUN_ATTR_USERNAME, username);
  assert_attr_string (&msg, RELAY_STUN_ATTR_NONCE, "f//499k954d6OL34oL9FSTvy64sA");
  assert_attr_string (&msg, RELAY_STUN_ATTR_REALM, "example.org");
  relay_stun_long_term_key (username, "example.org", "TheMatrIX", lt);
  relay_hmac_key_init (&key, lt, sizeof lt);
  g_assert_true (relay_stun_check_integrity (&msg, &key));
}

/* A flipped bit anywhere before FINGERPRINT is caught; past it, the message is malformed. */
static void
test_fingerprint_detects_corruption (void)
{
  g_autoptr(GBytes) bytes = from_hex (vector_request);
  gsize len = g_bytes_get_size (bytes);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (bytes, NULL), len);
  RelayStunMsg msg;

  copy[40] ^= 0x01;  /* inside SOFTWARE */
  g_assert_cmpint (relay_stun_parse (copy, len, &msg), ==, RELAY_STUN_PARSE_BAD_FINGERPRINT);
}

static void
test_primitives (void)
{
  RelaySha1 sha;
  RelayHmacKey key;
  guint8 out[20];
  g_autofree char *hex = NULL;
  guint8 key20[20];

  /* FIPS 180 "abc" */
  relay_sha1_init (&sha);
  relay_sha1_update (&sha, "abc", 3);
  relay_sha1_final (&sha, out);
  hex = g_strdup_printf ("%02x%02x%02x%02x%02x", out[0], out[1], out[2], out[18], out[19]);
  g_assert_cmpstr (hex, ==, "a9993ed89d");
  /* RFC 2202 HMAC-SHA1 test case 2, and a 1000-byte message across block boundaries
   * compared with GLib's implementation */
  relay_hmac_key_init (&key, (const guint8 *) "Jefe", 4);
  relay_hmac_sha1 (&key, "what do ya want for nothing?", 28, out);
  {
    static const guint8 expected[20] = { 0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
                                         0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79 };

    g_assert_cmpmem (out, 20, expected, 20);
  }
  memset (key20, 0xAA, sizeof key20);
  for (gsize n = 0; n < 1000; n += 37)
    {
      g_autofree guint8 *msgbuf = g_malloc (n + 1);
      g_autoptr(GHmac) ref = g_hmac_new (G_CHECKSUM_SHA1, key20, sizeof key20);
      guint8 expected[20];
      gsize elen = sizeof expected;

      for (gsize i = 0; i < n; i++)
        msgbuf[i] = (guint8) (i * 7);
      g_hmac_update (ref, msgbuf, (gssize) n);
      g_hmac_get_digest (ref, expected, &elen);
      relay_hmac_key_init (&key, key20, sizeof key20);
      relay_hmac_sha1 (&key, msgbuf, n, out);
      g_assert_cmpmem (out, 20, expected, 20);
    }

  g_assert_cmphex (relay_crc32 ((const guint8 *) "123456789", 9), ==, 0xCBF43926u);
}

/* Build → parse round trip of what the server sends, with integrity and fingerprint. */
static void
test_build_round_trip (void)
{
  guint8 buf[512];
  guint8 tid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
  RelayStunBuilder b;
  RelayStunMsg msg;
  RelayHmacKey key;
  struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons (5000) };
  struct sockaddr_in6 peer6 = { .sin6_family = AF_INET6, .sin6_port = htons (6000) };
  struct sockaddr_storage ss;
  gsize len;

  inet_pton (AF_INET, "203.0.113.9", &peer.sin_addr);
  inet_pton (AF_INET6, "2001:db8::42", &peer6.sin6_addr);
  short_term_key (&key);
  relay_stun_builder_init (&b, buf, sizeof buf, RELAY_STUN_ALLOCATE, RELAY_STUN_ERROR, tid);
  relay_stun_builder_add_error (&b, 438, "Stale Nonce");
  relay_stun_builder_add_address (&b, RELAY_STUN_ATTR_XOR_PEER_ADDRESS, TRUE, (struct sockaddr *) &peer);
  relay_stun_builder_add_address (&b, RELAY_STUN_ATTR_XOR_RELAYED_ADDRESS, TRUE, (struct sockaddr *) &peer6);
  relay_stun_builder_add_string (&b, RELAY_STUN_ATTR_REALM, "odd");
  relay_stun_builder_add_integrity (&b, &key);
  relay_stun_builder_add_fingerprint (&b);
  len = relay_stun_builder_finish (&b);
  g_assert_cmpuint (len, >, 0);

  g_assert_cmpint (relay_stun_parse (buf, len, &msg), ==, RELAY_STUN_PARSE_OK);
  g_assert_cmpuint (msg.method, ==, RELAY_STUN_ALLOCATE);
  g_assert_cmpuint (msg.klass, ==, RELAY_STUN_ERROR);
  g_assert_cmpuint (relay_stun_get_error_code (&msg), ==, 438);
  g_assert_true (relay_stun_check_integrity (&msg, &key));
  g_assert_true (relay_stun_get_address (&msg, relay_stun_find (&msg, RELAY_STUN_ATTR_XOR_PEER_ADDRESS), TRUE, &ss));
  g_assert_cmpmem (&ss, sizeof peer, &peer, sizeof peer);
  g_assert_true (relay_stun_get_address (&msg, relay_stun_find (&msg, RELAY_STUN_ATTR_XOR_RELAYED_ADDRESS), TRUE, &ss));
  g_assert_cmpmem (&((struct sockaddr_in6 *) &ss)->sin6_addr, 16, &peer6.sin6_addr, 16);
  assert_attr_string (&msg, RELAY_STUN_ATTR_REALM, "odd");

  /* a builder that runs out of room reports it instead of writing past the buffer */
  relay_stun_builder_init (&b, buf, 30, RELAY_STUN_BINDING, RELAY_STUN_SUCCESS, tid);
  relay_stun_builder_add_string (&b, RELAY_STUN_ATTR_SOFTWARE, "far too long for thirty bytes");
  g_assert_cmpuint (relay_stun_builder_finish (&b), ==, 0);
}

static void
test_data_indication (void)
{
  guint8 buf[256];
  guint8 tid[12] = { 0 };
  guint8 *payload = buf + RELAY_STUN_DATA_INDICATION_OVERHEAD;
  struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons (4242) };
  struct sockaddr_storage ss;
  RelayStunMsg msg;
  guint8 *start;
  gsize len;

  inet_pton (AF_INET, "198.51.100.7", &peer.sin_addr);
  memcpy (payload, "hello", 5);
  start = relay_stun_prepend_data_indication (payload, 5, (struct sockaddr *) &peer, tid, &len);
  g_assert_cmpint (relay_stun_parse (start, len, &msg), ==, RELAY_STUN_PARSE_OK);
  g_assert_cmpuint (msg.method, ==, RELAY_STUN_DATA);
  g_assert_cmpuint (msg.klass, ==, RELAY_STUN_INDICATION);
  assert_attr_string (&msg, RELAY_STUN_ATTR_DATA, "hello");
  g_assert_true (relay_stun_get_address (&msg, relay_stun_find (&msg, RELAY_STUN_ATTR_XOR_PEER_ADDRESS), TRUE, &ss));
  g_assert_cmpmem (&ss, sizeof peer, &peer, sizeof peer);
}

static void
test_malformed (void)
{
  g_autoptr(GBytes) bytes = from_hex (vector_response_v4);
  gsize len = g_bytes_get_size (bytes);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (bytes, NULL), len);
  g_autofree guint8 *big = g_malloc0 (RELAY_STUN_HEADER_SIZE + 4 * (RELAY_STUN_MAX_ATTRS + 1));
  RelayStunMsg msg;

  /* truncated, wrong cookie, trailing byte, length not a multiple of 4 */
  g_assert_cmpint (relay_stun_parse (copy, 19, &msg), ==, RELAY_STUN_PARSE_NOT_STUN);
  g_assert_cmpint (relay_stun_parse (copy, len - 4, &msg), ==, RELAY_STUN_PARSE_MALFORMED);
  copy[3] += 1;
  g_assert_cmpint (relay_stun_parse (copy, len, &msg), ==, RELAY_STUN_PARSE_MALFORMED);
  copy[3] -= 1;
  /* an attribute length running past the end */
  copy[22] = 0xFF;
  g_assert_cmpint (relay_stun_parse (copy, len, &msg), ==, RELAY_STUN_PARSE_MALFORMED);
  copy[22] = 0x00;
  copy[4] ^= 1;
  g_assert_cmpint (relay_stun_parse (copy, len, &msg), ==, RELAY_STUN_PARSE_NOT_STUN);

  /* more attributes than the bound: refused, not truncated */
  big[1] = 0x01;
  big[2] = 0;
  big[3] = (guint8) (4 * (RELAY_STUN_MAX_ATTRS + 1));
  big[4] = 0x21; big[5] = 0x12; big[6] = 0xA4; big[7] = 0x42;
  for (guint i = 0; i <= RELAY_STUN_MAX_ATTRS; i++)
    big[RELAY_STUN_HEADER_SIZE + 4 * i + 1] = 0x25;  /* USE-CANDIDATE, empty */
  g_assert_cmpint (relay_stun_parse (big, RELAY_STUN_HEADER_SIZE + 4 * (RELAY_STUN_MAX_ATTRS + 1), &msg),
                   ==, RELAY_STUN_PARSE_MALFORMED);
}

/* Unknown comprehension-required attributes are reported; optional ones are not; anything
 * after MESSAGE-INTEGRITY but FINGERPRINT is ignored. */
static void
test_unknown_attributes (void)
{
  guint8 buf[256];
  guint8 tid[12] = { 0 };
  RelayStunBuilder b;
  RelayStunMsg msg;
  RelayHmacKey key;
  gsize len;

  short_term_key (&key);
  relay_stun_builder_init (&b, buf, sizeof buf, RELAY_STUN_BINDING, RELAY_STUN_REQUEST, tid);
  relay_stun_builder_add_u32 (&b, 0x0031, 1);
  relay_stun_builder_add_u32 (&b, 0x8031, 1);
  relay_stun_builder_add_integrity (&b, &key);
  relay_stun_builder_add_u32 (&b, 0x0032, 1);
  len = relay_stun_builder_finish (&b);
  g_assert_cmpint (relay_stun_parse (buf, len, &msg), ==, RELAY_STUN_PARSE_OK);
  g_assert_cmpuint (msg.n_unknown, ==, 1);
  g_assert_cmphex (msg.unknown[0], ==, 0x0031);
  g_assert_null (relay_stun_find (&msg, 0x0032));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/relay/turn/codec/rfc5769/request", test_vector_request);
  g_test_add_func ("/relay/turn/codec/rfc5769/response-ipv4", test_vector_response_v4);
  g_test_add_func ("/relay/turn/codec/rfc5769/response-ipv6", test_vector_response_v6);
  g_test_add_func ("/relay/turn/codec/rfc5769/long-term", test_vector_long_term);
  g_test_add_func ("/relay/turn/codec/fingerprint", test_fingerprint_detects_corruption);
  g_test_add_func ("/relay/turn/codec/primitives", test_primitives);
  g_test_add_func ("/relay/turn/codec/round-trip", test_build_round_trip);
  g_test_add_func ("/relay/turn/codec/data-indication", test_data_indication);
  g_test_add_func ("/relay/turn/codec/malformed", test_malformed);
  g_test_add_func ("/relay/turn/codec/unknown-attributes", test_unknown_attributes);

  return g_test_run ();
}
