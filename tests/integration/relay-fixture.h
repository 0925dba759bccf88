/* relay-fixture.h: runs the real omnilive-relay binary on a free loopback
 * port with its own data dir, and talks HTTP to it. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct {
  char        *dir;        /* data dir and scratch files */
  char        *url;        /* http://127.0.0.1:PORT */
  char        *token;      /* the first host's token */
  GSubprocess *process;
  SoupSession *http;
  GString     *stderr_text;
} RelayFixture;

typedef struct {
  guint               status;
  JsonNode           *json;     /* NULL when the body is not JSON */
  SoupMessageHeaders *headers;
  GBytes             *body;
} RelayResponse;

const char   *relay_fixture_binary      (void);
/* config: the text of a relay.ini, or NULL. extra_args: NULL-terminated, or NULL. */
void          relay_fixture_start       (RelayFixture       *fixture,
                                         const char         *config,
                                         const char * const *extra_args);
void          relay_fixture_stop        (RelayFixture       *fixture);
/* Runs `omnilive-relay host add` on the fixture's data dir; returns the token. */
char         *relay_fixture_add_host    (RelayFixture       *fixture,
                                         const char         *email,
                                         const char         *name,
                                         gboolean            admin);
/* Runs the binary with args and the fixture's data dir; returns exit status. */
int           relay_fixture_run_cli     (RelayFixture       *fixture,
                                         const char * const *args,
                                         char              **out_stdout,
                                         char              **out_stderr);

RelayResponse *relay_fixture_request    (RelayFixture *fixture,
                                         const char   *method,
                                         const char   *path,
                                         const char   *token,
                                         const char   *content_type,
                                         const char   *body,
                                         gssize        body_len);
/* JSON body, Content-Type application/json. */
RelayResponse *relay_fixture_json       (RelayFixture *fixture,
                                         const char   *method,
                                         const char   *path,
                                         const char   *token,
                                         const char   *body);
void           relay_response_free      (RelayResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayResponse, relay_response_free)

JsonObject    *relay_response_object    (RelayResponse *response);
const char    *relay_response_string    (RelayResponse *response,
                                         const char    *member);
const char    *relay_response_error_code  (RelayResponse *response);
const char    *relay_response_error_field (RelayResponse *response);

/* ISO-8601 of now + offset seconds. */
char          *relay_fixture_time_from_now (gint64 offset_seconds);

G_END_DECLS
