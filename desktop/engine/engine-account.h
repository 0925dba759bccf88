/* engine-account.h: signing in to the relay — the relay URL (GSettings), the
 * host token (Secret Service, or memory when none is available) and who the
 * token belongs to (GET /api/me). */
#pragma once

#include "engine-relay-client.h"

G_BEGIN_DECLS

typedef enum {
  ENGINE_ACCOUNT_SIGNED_OUT,
  ENGINE_ACCOUNT_CONNECTING,
  ENGINE_ACCOUNT_SIGNED_IN,
  ENGINE_ACCOUNT_UNREACHABLE,   /* the relay could not be reached */
  ENGINE_ACCOUNT_REFUSED,       /* the relay refused the token */
} EngineAccountState;

#define ENGINE_TYPE_ACCOUNT (engine_account_get_type ())
G_DECLARE_FINAL_TYPE (EngineAccount, engine_account, ENGINE, ACCOUNT, GObject)

/* settings: a GSettings with a "relay-url" key, or NULL (tests). */
EngineAccount      *engine_account_new           (EngineRelayClient *client,
                                                  GSettings         *settings);
EngineRelayClient  *engine_account_get_client    (EngineAccount     *self);
EngineAccountState  engine_account_get_state     (EngineAccount     *self);
const char         *engine_account_get_name      (EngineAccount     *self);
const char         *engine_account_get_email     (EngineAccount     *self);
const char         *engine_account_get_host_id   (EngineAccount     *self);
const char         *engine_account_get_error     (EngineAccount     *self);
/* TRUE while the token lives only in memory (no Secret Service). */
gboolean            engine_account_get_token_in_memory (EngineAccount *self);

/* Checks what a sign-in form holds before anything is sent: an http(s) URL
 * and a token. The error names the field: "url" or "token". */
gboolean            engine_account_check_input   (const char        *url,
                                                  const char        *token,
                                                  GError           **error);

/* Uses the saved relay URL and the token from the Secret Service. */
void                engine_account_restore       (EngineAccount     *self);
/* Signs in with url and token; persist stores the token (emits
 * "token-not-saved" with the reason if that is impossible). */
void                engine_account_sign_in       (EngineAccount     *self,
                                                  const char        *url,
                                                  const char        *token,
                                                  gboolean           persist);
/* Checks the current token again (after "relay unreachable"). */
void                engine_account_retry         (EngineAccount     *self);
void                engine_account_sign_out      (EngineAccount     *self);

G_END_DECLS
