/* relay-turn-auth.h: coturn's use-auth-secret credentials (the "TURN REST API" scheme) and
 * the relay's stateless nonces. */
#pragma once

#include <glib.h>

#include "relay-turn-codec.h"

G_BEGIN_DECLS

/* "n" + 8 hex digits of expiry (Unix seconds) + 16 hex digits of MAC */
#define RELAY_TURN_NONCE_LEN 25

/* The password of a time-limited username: base64(HMAC-SHA1(secret, username)). */
char     *relay_turn_auth_password       (const char *secret,
                                          const char *username);
/* Splits "expiry:user_id" (a bare "expiry" is accepted too, as coturn does).  user_id points
 * into username.  FALSE when the expiry is not a plain decimal number. */
gboolean  relay_turn_auth_parse_username (const char  *username,
                                          gint64      *expiry,
                                          const char **user_id);

/* A nonce binds its own expiry with a MAC under a per-process key: no table of issued
 * nonces, and a nonce cannot be forged or extended. */
void      relay_turn_nonce_make          (const RelayHmacKey *key,
                                          gint64              expiry,
                                          char                out[RELAY_TURN_NONCE_LEN + 1]);
gboolean  relay_turn_nonce_valid         (const RelayHmacKey *key,
                                          const guint8       *nonce,
                                          gsize               len,
                                          gint64              now);

G_END_DECLS
