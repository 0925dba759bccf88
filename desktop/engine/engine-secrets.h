/* engine-secrets.h: the host token in the Secret Service (libsecret), keyed
 * by relay URL. Never written to a file or to GSettings. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void      engine_secrets_store_token_async   (const char          *relay_url,
                                              const char          *token,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean  engine_secrets_store_token_finish  (GAsyncResult        *result,
                                              GError             **error);

/* Returns NULL without an error when no token is stored for relay_url. */
void      engine_secrets_lookup_token_async  (const char          *relay_url,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
char     *engine_secrets_lookup_token_finish (GAsyncResult        *result,
                                              GError             **error);

void      engine_secrets_clear_token_async   (const char          *relay_url,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean  engine_secrets_clear_token_finish  (GAsyncResult        *result,
                                              GError             **error);

/* Reads a token file as written by `omnilive-relay host add`: the first
 * non-empty line, trimmed, at most 4 KiB. */
char     *engine_secrets_read_token_file     (const char          *path,
                                              GError             **error);

G_END_DECLS
