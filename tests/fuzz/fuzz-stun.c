/* fuzz-stun.c: libFuzzer target for the TURN server's STUN/ChannelData parser.  Every
 * accepted message is also walked attribute by attribute (addresses, integers, integrity,
 * the nonce check) and rebuilt, so a parse that accepts a layout the readers or the builder
 * cannot handle shows up under ASan/UBSan. */
#define G_LOG_DOMAIN "fuzz-stun"

#include <string.h>
#include <netinet/in.h>

#include "relay-turn-auth.h"
#include "relay-turn-codec.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static RelayHmacKey key;
  static gboolean key_ready;
  RelayStunMsg msg;
  guint8 out[RELAY_STUN_MAX_MESSAGE];
  RelayStunBuilder b;
  guint32 u32;
  gint64 expiry;
  const char *user_id;

  if (!key_ready)
    {
      relay_hmac_key_init (&key, (const guint8 *) "fuzz", 4);
      key_ready = TRUE;
    }
  if (size > 2 * RELAY_STUN_MAX_MESSAGE)
    return 0;

  if (relay_stun_is_channel_data (data, size))
    {
      /* the server's bound check on ChannelData */
      gsize dlen = (gsize) ((data[2] << 8) | data[3]);

      if (dlen <= size - RELAY_CHANNEL_HEADER_SIZE)
        g_assert (RELAY_CHANNEL_HEADER_SIZE + dlen <= size);
      return 0;
    }

  if (relay_stun_parse (data, size, &msg) != RELAY_STUN_PARSE_OK)
    return 0;

  g_assert (msg.length == size);
  g_assert (msg.n_attrs <= RELAY_STUN_MAX_ATTRS);
  relay_stun_builder_init (&b, out, sizeof out, msg.method, msg.klass, msg.tid);
  for (guint i = 0; i < msg.n_attrs; i++)
    {
      const RelayStunAttr *a = &msg.attrs[i];
      struct sockaddr_storage ss;

      g_assert ((gsize) a->offset + a->len <= size);
      /* the message's own integrity is replaced by a fresh one below */
      if (a->type == RELAY_STUN_ATTR_MESSAGE_INTEGRITY)
        continue;
      if (relay_stun_get_address (&msg, a, TRUE, &ss))
        relay_stun_builder_add_address (&b, a->type, TRUE, (struct sockaddr *) &ss);
      else
        relay_stun_builder_add (&b, a->type, relay_stun_value (&msg, a), a->len);
      if (a->type == RELAY_STUN_ATTR_USERNAME && a->len < 64)
        {
          char username[64];

          memcpy (username, relay_stun_value (&msg, a), a->len);
          username[a->len] = '\0';
          relay_turn_auth_parse_username (username, &expiry, &user_id);
        }
      if (a->type == RELAY_STUN_ATTR_NONCE)
        relay_turn_nonce_valid (&key, relay_stun_value (&msg, a), a->len, 0);
    }
  relay_stun_get_u32 (&msg, RELAY_STUN_ATTR_LIFETIME, &u32);
  relay_stun_get_error_code (&msg);
  relay_stun_check_integrity (&msg, &key);

  /* what was accepted can be rebuilt, and the rebuild parses (one more attribute than the
   * original must still fit the bound) */
  relay_stun_builder_add_integrity (&b, &key);
  relay_stun_builder_add_fingerprint (&b);
  if (relay_stun_builder_finish (&b) > 0 && msg.n_attrs < RELAY_STUN_MAX_ATTRS)
    {
      RelayStunMsg again;

      g_assert (relay_stun_parse (out, b.len, &again) == RELAY_STUN_PARSE_OK);
      g_assert (relay_stun_check_integrity (&again, &key));
    }
  return 0;
}
