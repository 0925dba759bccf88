/* relay-password.h: session passwords as salted PBKDF2-HMAC-SHA256, hashed and
 * verified on a worker thread so a slow hash never stalls the HTTP loop. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define RELAY_PASSWORD_ITERATIONS 120000

/* "pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>" */
char     *relay_password_hash          (const char          *password,
                                        guint                iterations);
gboolean  relay_password_verify        (const char          *password,
                                        const char          *stored);

void      relay_password_hash_async    (const char          *password,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
char     *relay_password_hash_finish   (GAsyncResult        *result,
                                        GError             **error);
void      relay_password_verify_async  (const char          *password,
                                        const char          *stored,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean  relay_password_verify_finish (GAsyncResult        *result,
                                        GError             **error);

G_END_DECLS
