/* omni-token.h: secrets from the OS CSPRNG and their stored hashes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A base64url string (no padding) of n_bytes random bytes from getrandom(). */
char     *omni_token_new          (gsize        n_bytes);

/* Lowercase hex SHA-256 of a token: the only form a token is ever stored in. */
char     *omni_token_hash         (const char  *token);

/* Fills buf with n random bytes from the kernel; aborts if the kernel cannot. */
void      omni_random_bytes       (guint8      *buf,
                                   gsize        n);

/* Compares two byte strings in time independent of where they differ. */
gboolean  omni_constant_time_equal (const guint8 *a,
                                    const guint8 *b,
                                    gsize         len);

G_END_DECLS
