/* omni-email.h: e-mail address checks shared by the relay API and the desktop forms. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define OMNI_EMAIL_MAX_LEN 254

/* A pragmatic subset of RFC 5321: local@domain, no spaces or quotes,
 * a domain with at least one dot and valid labels. */
gboolean  omni_email_is_valid      (const char *address);

/* The domain part, lowercased, or NULL when the address is invalid. */
char     *omni_email_get_domain    (const char *address);

/* Lowercases the domain part (the local part is case-sensitive by RFC). */
char     *omni_email_normalize     (const char *address);

/* TRUE when domain equals an allowed domain or is a subdomain of one. */
gboolean  omni_email_domain_allowed (const char        *address,
                                     const char * const *allowed_domains);

/* Validates a domain name as given in allowedDomains. */
gboolean  omni_domain_is_valid     (const char *domain);

G_END_DECLS
