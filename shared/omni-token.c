/* omni-token.c: CSPRNG tokens (getrandom), base64url, SHA-256 hashes. */
#define G_LOG_DOMAIN "omni-token"

#include "omni-token.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

void
omni_random_bytes (guint8 *buf,
                   gsize   n)
{
  gsize done = 0;

  while (done < n)
    {
      ssize_t r = getrandom (buf + done, n - done, 0);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          g_error ("getrandom failed: %s", g_strerror (errno));
        }
      done += (gsize) r;
    }
}

char *
omni_token_new (gsize n_bytes)
{
  g_autofree guint8 *bytes = NULL;
  char *text;
  gsize len;

  g_return_val_if_fail (n_bytes >= 16 && n_bytes <= 1024, NULL);

  bytes = g_malloc (n_bytes);
  omni_random_bytes (bytes, n_bytes);
  text = g_base64_encode (bytes, n_bytes);

  /* base64 → base64url, no padding, so tokens sit in URLs unescaped. */
  len = strlen (text);
  for (gsize i = 0; i < len; i++)
    {
      if (text[i] == '+')
        text[i] = '-';
      else if (text[i] == '/')
        text[i] = '_';
    }
  while (len > 0 && text[len - 1] == '=')
    text[--len] = '\0';

  return text;
}

char *
omni_token_hash (const char *token)
{
  g_return_val_if_fail (token != NULL, NULL);
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

gboolean
omni_constant_time_equal (const guint8 *a,
                          const guint8 *b,
                          gsize         len)
{
  guint8 diff = 0;

  for (gsize i = 0; i < len; i++)
    diff |= a[i] ^ b[i];
  return diff == 0;
}
