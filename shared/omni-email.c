/* omni-email.c: e-mail and domain validation. */
#define G_LOG_DOMAIN "omni-email"

#include "omni-email.h"

#include <string.h>

gboolean
omni_domain_is_valid (const char *domain)
{
  gsize len;
  gsize label_len = 0;
  gboolean has_dot = FALSE;

  if (domain == NULL)
    return FALSE;
  len = strlen (domain);
  if (len == 0 || len > 253)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = domain[i];

      if (c == '.')
        {
          if (label_len == 0 || domain[i - 1] == '-')
            return FALSE;
          has_dot = TRUE;
          label_len = 0;
          continue;
        }
      if (!(g_ascii_isalnum (c) || c == '-'))
        return FALSE;
      if (c == '-' && label_len == 0)
        return FALSE;
      if (++label_len > 63)
        return FALSE;
    }
  return has_dot && label_len > 0 && domain[len - 1] != '-';
}

gboolean
omni_email_is_valid (const char *address)
{
  const char *at;
  gsize local_len;

  if (address == NULL)
    return FALSE;
  if (strlen (address) > OMNI_EMAIL_MAX_LEN)
    return FALSE;

  at = strchr (address, '@');
  if (at == NULL || strchr (at + 1, '@') != NULL)
    return FALSE;

  local_len = (gsize) (at - address);
  if (local_len == 0 || local_len > 64)
    return FALSE;
  if (address[0] == '.' || at[-1] == '.')
    return FALSE;

  for (const char *p = address; p < at; p++)
    {
      if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f)
        return FALSE;
      if (strchr ("\"(),:;<>[\\]", *p) != NULL)
        return FALSE;
      if (*p == '.' && p[1] == '.')
        return FALSE;
    }

  return omni_domain_is_valid (at + 1);
}

char *
omni_email_get_domain (const char *address)
{
  if (!omni_email_is_valid (address))
    return NULL;
  return g_ascii_strdown (strchr (address, '@') + 1, -1);
}

char *
omni_email_normalize (const char *address)
{
  const char *at;
  g_autofree char *domain = NULL;

  if (!omni_email_is_valid (address))
    return NULL;
  at = strchr (address, '@');
  domain = g_ascii_strdown (at + 1, -1);
  return g_strdup_printf ("%.*s@%s", (int) (at - address), address, domain);
}

gboolean
omni_email_domain_allowed (const char         *address,
                           const char * const *allowed_domains)
{
  g_autofree char *domain = NULL;

  if (allowed_domains == NULL || allowed_domains[0] == NULL)
    return TRUE;

  domain = omni_email_get_domain (address);
  if (domain == NULL)
    return FALSE;

  for (guint i = 0; allowed_domains[i] != NULL; i++)
    {
      const char *allowed = allowed_domains[i];
      gsize dlen = strlen (domain);
      gsize alen = strlen (allowed);

      if (g_ascii_strcasecmp (domain, allowed) == 0)
        return TRUE;
      /* "sub.clientcompany.com" is inside "clientcompany.com"; "evilclientcompany.com" is not. */
      if (dlen > alen + 1 && domain[dlen - alen - 1] == '.' &&
          g_ascii_strcasecmp (domain + dlen - alen, allowed) == 0)
        return TRUE;
    }
  return FALSE;
}
