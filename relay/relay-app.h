/* relay-app.h: what every part of the relay process shares — config, store,
 * HTTP server — created by main.c and handed to the API handlers. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "relay-config.h"
#include "relay-ratelimit.h"
#include "relay-store.h"

G_BEGIN_DECLS

#define RELAY_MAX_BODY_SIZE          (1024 * 1024)
#define RELAY_PASSWORD_MAX_FAILURES  5
#define RELAY_PASSWORD_WINDOW_MS     (10 * 60 * 1000)
/* TURN credentials outlive the longest session a guest may sit in. */
#define RELAY_ICE_CREDENTIAL_TTL_S   (12 * 60 * 60)

typedef struct {
  RelayConfig    *config;
  RelayStore     *store;
  SoupServer     *server;
  RelayRateLimit *password_failures;
  char           *public_url;    /* base of every joinUrl, no trailing slash */
  char           *listen_url;    /* where the server actually listens */
  guint           prune_source;
  struct _RelaySignal *signal;   /* WebSocket signaling (relay-signal.h) */
  struct _RelayMail   *mail;     /* mail worker (relay-mail.h), set by main.c; NULL: no mail */
  struct _RelayTurnServer *turn; /* TURN/STUN (relay-turn.h), set by relay_app_set_turn; NULL: none */
} RelayApp;

RelayApp *relay_app_new    (RelayConfig  *config,
                            GError      **error);
/* Binds the HTTP(S) server; fills listen_url and public_url. */
gboolean  relay_app_listen (RelayApp     *app,
                            GError      **error);
void      relay_app_free   (RelayApp     *app);
/* Hands out the TURN server's iceServers in join answers and signaling welcomes. */
void      relay_app_set_turn (RelayApp                *app,
                              struct _RelayTurnServer *turn);
/* Appends "iceServers" (a member of the open object) when TURN runs. */
void      relay_app_add_ice_servers (RelayApp    *app,
                                     JsonBuilder *builder,
                                     const char  *participant_id);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayApp, relay_app_free)

/* The API routes (relay-api-*.c) register themselves here. */
void      relay_api_sessions_register (void);
void      relay_api_join_register     (void);
void      relay_api_mail_register     (void);

G_END_DECLS
