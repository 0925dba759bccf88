/* relay-turn-auth.c: time-limited TURN credentials compatible with coturn's
 * use-auth-secret, and stateless nonces. */
#define G_LOG_DOMAIN "relay-turn"

#include "relay-turn-auth.h"

#include <string.h>

char *
relay_turn_auth_password (const char *secret, const char *username)
{
  RelayHmacKey key;
  guint8 mac[20];

  g_return_val_if_fail (secret != NULL, NULL);
  g_return_val_if_fail (username != NULL, NULL);

  relay_hmac_key_init (&key, (const guint8 *) secret, strlen (secret));
  relay_hmac_sha1 (&key, username, strlen (username), mac);
  return g_base64_encode (mac, sizeof mac);
}

gboolean
relay_turn_auth_parse_username (const char *username, gint64 *expiry, const char **user_id)
{
  const char *colon;
  gsize digits;
  gint64 value = 0;

  g_return_val_if_fail (username != NULL, FALSE);

  colon = strchr (username, ':');
  digits = colon != NULL ? (gsize) (colon - username) : strlen (username);
  if (digits == 0 || digits > 12)
    return FALSE;
  for (gsize i = 0; i < digits; i++)
    {
      if (!g_ascii_isdigit (username[i]))
        return FALSE;
      value = value * 10 + (username[i] - '0');
    }
  *expiry = value;
  *user_id = colon != NULL ? colon + 1 : username;
  return TRUE;
}

static void
nonce_mac_hex (const RelayHmacKey *key, const char *prefix, char out[17])
{
  static const char hex[] = "0123456789abcdef";
  guint8 mac[20];

  relay_hmac_sha1 (key, prefix, 9, mac);
  for (guint i = 0; i < 8; i++)
    {
      out[2 * i] = hex[mac[i] >> 4];
      out[2 * i + 1] = hex[mac[i] & 15];
    }
  out[16] = '\0';
}

void
relay_turn_nonce_make (const RelayHmacKey *key, gint64 expiry, char out[RELAY_TURN_NONCE_LEN + 1])
{
  g_snprintf (out, 10, "n%08x", (guint32) expiry);
  nonce_mac_hex (key, out, out + 9);
}

gboolean
relay_turn_nonce_valid (const RelayHmacKey *key, const guint8 *nonce, gsize len, gint64 now)
{
  char prefix[10];
  char mac[17];
  guint8 diff = 0;
  guint64 expiry;

  if (len != RELAY_TURN_NONCE_LEN || nonce[0] != 'n')
    return FALSE;
  memcpy (prefix, nonce, 9);
  prefix[9] = '\0';
  if (!g_ascii_string_to_unsigned (prefix + 1, 16, 0, G_MAXUINT32, &expiry, NULL))
    return FALSE;
  nonce_mac_hex (key, prefix, mac);
  for (guint i = 0; i < 16; i++)
    diff |= (guint8) mac[i] ^ nonce[9 + i];
  return diff == 0 && (gint64) expiry > now;
}
