/* relay-turn-codec.h: STUN/TURN message parsing and building (RFC 8489, RFC 8656).
 * Parsing never allocates and never reads past the given length: the parsed message only
 * holds offsets into the caller's buffer, so the data path can run it on every packet. */
#pragma once

#include <glib.h>
#include <sys/socket.h>

G_BEGIN_DECLS

#define RELAY_STUN_HEADER_SIZE       20
#define RELAY_STUN_MAGIC_COOKIE      0x2112A442u
#define RELAY_STUN_FINGERPRINT_XOR   0x5354554Eu
#define RELAY_STUN_TID_SIZE          12
/* Bounds: a message with more attributes than this is refused as malformed. */
#define RELAY_STUN_MAX_ATTRS         32
#define RELAY_STUN_MAX_UNKNOWN       8
/* Largest STUN message or ChannelData frame we accept or build (fits a jumbo-free MTU
 * with room to spare; bigger datagrams are not media). */
#define RELAY_STUN_MAX_MESSAGE       4096
#define RELAY_CHANNEL_HEADER_SIZE    4

typedef enum {
  RELAY_STUN_BINDING           = 0x001,
  RELAY_STUN_ALLOCATE          = 0x003,
  RELAY_STUN_REFRESH           = 0x004,
  RELAY_STUN_SEND              = 0x006,
  RELAY_STUN_DATA              = 0x007,
  RELAY_STUN_CREATE_PERMISSION = 0x008,
  RELAY_STUN_CHANNEL_BIND      = 0x009,
} RelayStunMethod;

typedef enum {
  RELAY_STUN_REQUEST    = 0,
  RELAY_STUN_INDICATION = 1,
  RELAY_STUN_SUCCESS    = 2,
  RELAY_STUN_ERROR      = 3,
} RelayStunClass;

typedef enum {
  RELAY_STUN_ATTR_MAPPED_ADDRESS           = 0x0001,
  RELAY_STUN_ATTR_USERNAME                 = 0x0006,
  RELAY_STUN_ATTR_MESSAGE_INTEGRITY        = 0x0008,
  RELAY_STUN_ATTR_ERROR_CODE               = 0x0009,
  RELAY_STUN_ATTR_UNKNOWN_ATTRIBUTES       = 0x000A,
  RELAY_STUN_ATTR_CHANNEL_NUMBER           = 0x000C,
  RELAY_STUN_ATTR_LIFETIME                 = 0x000D,
  RELAY_STUN_ATTR_XOR_PEER_ADDRESS         = 0x0012,
  RELAY_STUN_ATTR_DATA                     = 0x0013,
  RELAY_STUN_ATTR_REALM                    = 0x0014,
  RELAY_STUN_ATTR_NONCE                    = 0x0015,
  RELAY_STUN_ATTR_XOR_RELAYED_ADDRESS      = 0x0016,
  RELAY_STUN_ATTR_REQUESTED_ADDRESS_FAMILY = 0x0017,
  RELAY_STUN_ATTR_EVEN_PORT                = 0x0018,
  RELAY_STUN_ATTR_REQUESTED_TRANSPORT      = 0x0019,
  RELAY_STUN_ATTR_DONT_FRAGMENT            = 0x001A,
  RELAY_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
  RELAY_STUN_ATTR_PASSWORD_ALGORITHM       = 0x001D,
  RELAY_STUN_ATTR_USERHASH                 = 0x001E,
  RELAY_STUN_ATTR_XOR_MAPPED_ADDRESS       = 0x0020,
  RELAY_STUN_ATTR_RESERVATION_TOKEN        = 0x0022,
  RELAY_STUN_ATTR_PRIORITY                 = 0x0024,
  RELAY_STUN_ATTR_USE_CANDIDATE            = 0x0025,
  RELAY_STUN_ATTR_SOFTWARE                 = 0x8022,
  RELAY_STUN_ATTR_FINGERPRINT              = 0x8028,
  RELAY_STUN_ATTR_ICE_CONTROLLED           = 0x8029,
  RELAY_STUN_ATTR_ICE_CONTROLLING          = 0x802A,
} RelayStunAttrType;

typedef enum {
  RELAY_STUN_PARSE_OK,
  RELAY_STUN_PARSE_NOT_STUN,         /* not a STUN message at all (no cookie, bad bits) */
  RELAY_STUN_PARSE_MALFORMED,        /* STUN, but lengths or attribute layout are wrong */
  RELAY_STUN_PARSE_BAD_FINGERPRINT,  /* FINGERPRINT present and wrong: discard silently */
} RelayStunParseResult;

typedef struct {
  guint16 type;
  guint16 len;
  guint16 offset;  /* of the value, from the start of the message */
} RelayStunAttr;

typedef struct {
  const guint8 *data;
  gsize         length;     /* header + attributes */
  guint16       method;
  guint8        klass;
  const guint8 *tid;        /* RELAY_STUN_TID_SIZE bytes inside data */
  guint         n_attrs;
  RelayStunAttr attrs[RELAY_STUN_MAX_ATTRS];
  gint          integrity_offset;   /* of the MESSAGE-INTEGRITY attribute header, or -1 */
  gint          fingerprint_offset; /* of the FINGERPRINT attribute header, or -1 */
  guint         n_unknown;          /* unknown comprehension-required attributes */
  guint16       unknown[RELAY_STUN_MAX_UNKNOWN];
} RelayStunMsg;

/* SHA-1 and HMAC-SHA1 on the stack: MESSAGE-INTEGRITY is checked on every request and the
 * GLib versions allocate. */
typedef struct {
  guint32 h[5];
  guint64 total;
  guint8  block[64];
  guint   fill;
} RelaySha1;

typedef struct {
  RelaySha1 inner;  /* state after absorbing key ^ ipad */
  RelaySha1 outer;  /* state after absorbing key ^ opad */
} RelayHmacKey;

void     relay_sha1_init            (RelaySha1    *ctx);
void     relay_sha1_update          (RelaySha1    *ctx,
                                     const void   *data,
                                     gsize         len);
void     relay_sha1_final           (RelaySha1    *ctx,
                                     guint8        out[20]);
void     relay_hmac_key_init        (RelayHmacKey *key,
                                     const guint8 *secret,
                                     gsize         secret_len);
void     relay_hmac_sha1            (const RelayHmacKey *key,
                                     const void   *data,
                                     gsize         len,
                                     guint8        out[20]);
guint32  relay_crc32                (const guint8 *data,
                                     gsize         len);

/* Method and class from the 14-bit message type, and back. */
guint16  relay_stun_type            (guint16 method,
                                     guint8  klass);

RelayStunParseResult relay_stun_parse (const guint8 *data,
                                       gsize         len,
                                       RelayStunMsg *msg);

/* Quick test used to demultiplex a datagram: STUN (0b00), ChannelData (0b01) or other. */
static inline gboolean
relay_stun_is_channel_data (const guint8 *data, gsize len)
{
  return len >= RELAY_CHANNEL_HEADER_SIZE && (data[0] & 0xC0) == 0x40;
}

const RelayStunAttr *relay_stun_find (const RelayStunMsg *msg,
                                      guint16             type);
/* Value of an attribute; NULL when absent. */
const guint8 *relay_stun_value      (const RelayStunMsg *msg,
                                     const RelayStunAttr *attr);
gboolean relay_stun_get_u32         (const RelayStunMsg *msg,
                                     guint16             type,
                                     guint32            *out);
/* Decodes an (XOR-)address attribute into out (IPv4 or IPv6). */
gboolean relay_stun_get_address     (const RelayStunMsg   *msg,
                                     const RelayStunAttr  *attr,
                                     gboolean              xored,
                                     struct sockaddr_storage *out);
/* ERROR-CODE of an error response, or 0. */
guint    relay_stun_get_error_code  (const RelayStunMsg *msg);

gboolean relay_stun_check_integrity (const RelayStunMsg *msg,
                                     const RelayHmacKey *key);

/* The long-term key of RFC 8489 §9.2.2: MD5(username ":" realm ":" password). */
void     relay_stun_long_term_key   (const char *username,
                                     const char *realm,
                                     const char *password,
                                     guint8      out[16]);

/* Builds a message into a caller buffer; overflow is sticky and makes finish() return 0. */
typedef struct {
  guint8  *buf;
  gsize    cap;
  gsize    len;
  gboolean overflow;
} RelayStunBuilder;

void     relay_stun_builder_init    (RelayStunBuilder *b,
                                     guint8           *buf,
                                     gsize             cap,
                                     guint16           method,
                                     guint8            klass,
                                     const guint8     *tid);
void     relay_stun_builder_add     (RelayStunBuilder *b,
                                     guint16           type,
                                     const void       *value,
                                     gsize             len);
void     relay_stun_builder_add_u32 (RelayStunBuilder *b,
                                     guint16           type,
                                     guint32           value);
void     relay_stun_builder_add_string (RelayStunBuilder *b,
                                        guint16           type,
                                        const char       *value);
void     relay_stun_builder_add_address (RelayStunBuilder      *b,
                                         guint16                type,
                                         gboolean               xored,
                                         const struct sockaddr *addr);
void     relay_stun_builder_add_error (RelayStunBuilder *b,
                                       guint             code,
                                       const char       *reason);
void     relay_stun_builder_add_integrity (RelayStunBuilder   *b,
                                           const RelayHmacKey *key);
void     relay_stun_builder_add_fingerprint (RelayStunBuilder *b);
/* Returns the message length, or 0 if the buffer was too small. */
gsize    relay_stun_builder_finish  (RelayStunBuilder *b);

/* Writes a Data indication header (and XOR-PEER-ADDRESS) in front of a payload that is
 * already in place, so peer datagrams are received straight into their final position.
 * payload must have RELAY_STUN_DATA_INDICATION_OVERHEAD bytes before it and 3 after it
 * (padding).  Returns the start of the message and sets out_len. */
#define RELAY_STUN_DATA_INDICATION_OVERHEAD (RELAY_STUN_HEADER_SIZE + 4 + 20 + 4)
guint8  *relay_stun_prepend_data_indication (guint8                *payload,
                                             gsize                  payload_len,
                                             const struct sockaddr *peer,
                                             const guint8          *tid,
                                             gsize                 *out_len);

G_END_DECLS
