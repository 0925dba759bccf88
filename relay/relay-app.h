/* relay-app.h: what every part of the relay process shares — config, store,
 * HTTP server — created by main.c and handed to the API handlers. */
#pragma once

#include <libsoup/soup.h>

#include "relay-config.h"
#include "relay-ratelimit.h"
#include "relay-store.h"

G_BEGIN_DECLS

#define RELAY_MAX_BODY_SIZE          (1024 * 1024)
#define RELAY_PASSWORD_MAX_FAILURES  5
#define RELAY_PASSWORD_WINDOW_MS     (10 * 60 * 1000)

typedef struct {
  RelayConfig    *config;
  RelayStore     *store;
  SoupServer     *server;
  RelayRateLimit *password_failures;
  char           *public_url;    /* base of every joinUrl, no trailing slash */
  char           *listen_url;    /* where the server actually listens */
  guint           prune_source;
} RelayApp;

RelayApp *relay_app_new    (RelayConfig  *config,
                            GError      **error);
/* Binds the HTTP(S) server; fills listen_url and public_url. */
gboolean  relay_app_listen (RelayApp     *app,
                            GError      **error);
void      relay_app_free   (RelayApp     *app);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayApp, relay_app_free)

/* The API routes (relay-api-*.c) register themselves here. */
void      relay_api_sessions_register (void);
void      relay_api_join_register     (void);

G_END_DECLS
