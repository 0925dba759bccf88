/* engine-account.c: a small state machine around GET /api/me. The token is
 * stored as soon as the user gives it (unless the relay refuses it), so an
 * unreachable relay at first start does not lose it. */
#define G_LOG_DOMAIN "engine-account"

#include "desktop-config.h"

#include <glib/gi18n.h>

#include "omni-error.h"
#include "omni-json.h"

#include "engine-account.h"
#include "engine-secrets.h"

struct _EngineAccount
{
  GObject parent_instance;

  EngineRelayClient *client;
  GSettings *settings;
  GCancellable *cancellable;
  EngineAccountState state;
  char *name;
  char *email;
  char *host_id;
  char *error;
  gboolean persist_pending;
  gboolean token_in_memory;
};

enum {
  PROP_0,
  PROP_STATE,
  PROP_NAME,
  PROP_EMAIL,
  PROP_ERROR,
  N_PROPS
};

enum {
  TOKEN_NOT_SAVED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EngineAccount, engine_account, G_TYPE_OBJECT)

static void
set_state (EngineAccount      *self,
           EngineAccountState  state,
           const char         *error)
{
  g_free (self->error);
  self->error = g_strdup (error);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
on_token_stored (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(EngineAccount) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!engine_secrets_store_token_finish (result, &error))
    {
      g_message ("Token kept in memory only: %s", error->message);
      self->token_in_memory = TRUE;
      g_signal_emit (self, signals[TOKEN_NOT_SAVED], 0, error->message);
    }
}

static void
persist_token (EngineAccount *self)
{
  const char *url = engine_relay_client_get_base_url (self->client);
  const char *token = engine_relay_client_get_token (self->client);

  self->persist_pending = FALSE;
  if (self->settings != NULL)
    g_settings_set_string (self->settings, "relay-url", url);
  engine_secrets_store_token_async (url, token, NULL, on_token_stored, g_object_ref (self));
}

static void
on_me_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(EngineAccount) self = user_data;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *me;

  node = engine_relay_client_request_finish (ENGINE_RELAY_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);

  if (error != NULL)
    {
      if (engine_relay_error_is_network (error))
        {
          if (self->persist_pending)
            persist_token (self);
          set_state (self, ENGINE_ACCOUNT_UNREACHABLE, error->message);
        }
      else
        {
          self->persist_pending = FALSE;
          set_state (self, ENGINE_ACCOUNT_REFUSED, error->message);
        }
      return;
    }

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      set_state (self, ENGINE_ACCOUNT_REFUSED, _("The relay's answer about the account is not valid"));
      return;
    }
  me = json_node_get_object (node);
  g_free (self->name);
  self->name = g_strdup (omni_json_get_string (me, "name"));
  g_free (self->email);
  self->email = g_strdup (omni_json_get_string (me, "email"));
  g_free (self->host_id);
  self->host_id = g_strdup (omni_json_get_string (me, "_id"));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EMAIL]);

  if (self->persist_pending)
    persist_token (self);
  set_state (self, ENGINE_ACCOUNT_SIGNED_IN, NULL);
}

static void
verify (EngineAccount *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  set_state (self, ENGINE_ACCOUNT_CONNECTING, NULL);
  engine_relay_client_request_async (self->client, "GET", "/api/me", NULL, self->cancellable,
                                     on_me_done, g_object_ref (self));
}

static void
on_token_looked_up (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(EngineAccount) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = engine_secrets_lookup_token_finish (result, &error);

  /* Signed in meanwhile (e.g. from --token-file): that wins. */
  if (self->state != ENGINE_ACCOUNT_CONNECTING || engine_relay_client_get_token (self->client) != NULL)
    return;

  if (token == NULL)
    {
      if (error != NULL)
        g_message ("No Secret Service: %s", error->message);
      set_state (self, ENGINE_ACCOUNT_SIGNED_OUT, error ? error->message : NULL);
      return;
    }
  engine_relay_client_set_token (self->client, token);
  verify (self);
}

static void
engine_account_dispose (GObject *object)
{
  EngineAccount *self = (EngineAccount *) object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (engine_account_parent_class)->dispose (object);
}

static void
engine_account_finalize (GObject *object)
{
  EngineAccount *self = (EngineAccount *) object;

  g_free (self->name);
  g_free (self->email);
  g_free (self->host_id);
  g_free (self->error);

  G_OBJECT_CLASS (engine_account_parent_class)->finalize (object);
}

static void
engine_account_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  EngineAccount *self = ENGINE_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_EMAIL:
      g_value_set_string (value, self->email);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
engine_account_class_init (EngineAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = engine_account_dispose;
  object_class->finalize = engine_account_finalize;
  object_class->get_property = engine_account_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, 0, ENGINE_ACCOUNT_REFUSED, 0,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_EMAIL] =
    g_param_spec_string ("email", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The token could not go to the Secret Service; it lives in memory. */
  signals[TOKEN_NOT_SAVED] =
    g_signal_new ("token-not-saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
engine_account_init (EngineAccount *self)
{
}

EngineAccount *
engine_account_new (EngineRelayClient *client,
                    GSettings         *settings)
{
  EngineAccount *self;

  g_return_val_if_fail (ENGINE_IS_RELAY_CLIENT (client), NULL);

  self = g_object_new (ENGINE_TYPE_ACCOUNT, NULL);
  self->client = g_object_ref (client);
  g_set_object (&self->settings, settings);
  return self;
}

EngineRelayClient *
engine_account_get_client (EngineAccount *self)
{
  g_return_val_if_fail (ENGINE_IS_ACCOUNT (self), NULL);
  return self->client;
}

EngineAccountState
engine_account_get_state (EngineAccount *self)
{
  g_return_val_if_fail (ENGINE_IS_ACCOUNT (self), 0);
  return self->state;
}

const char *
engine_account_get_name (EngineAccount *self)
{
  g_return_val_if_fail (ENGINE_IS_ACCOUNT (self), NULL);
  return self->name;
}

const char *
engine_account_get_email (EngineAccount *self)
{
  g_return_val_if_fail (ENGINE_IS_ACCOUNT (self), NULL);
  return self->email;
}

const char *
engine_account_get_host_id (EngineAccount *self)
{
  g_return_val_if_fail (ENGINE_IS_ACCOUNT (self), NULL);
  return self->host_id;
}

const char *
engine_account_get_error (EngineAccount *self)
{
  g_return_val_if_fail (ENGINE_IS_ACCOUNT (self), NULL);
  return self->error;
}

gboolean
engine_account_get_token_in_memory (EngineAccount *self)
{
  g_return_val_if_fail (ENGINE_IS_ACCOUNT (self), FALSE);
  return self->token_in_memory;
}

gboolean
engine_account_check_input (const char  *url,
                            const char  *token,
                            GError     **error)
{
  g_autoptr(GUri) uri = NULL;

  if (url == NULL || (!g_str_has_prefix (url, "http://") && !g_str_has_prefix (url, "https://")) ||
      (uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL)) == NULL || g_uri_get_host (uri) == NULL ||
      *g_uri_get_host (uri) == '\0')
    {
      omni_error_set_field (error, OMNI_ERROR_INVALID_FIELD, "url", "%s",
                            _("The relay URL must start with https:// or http://"));
      return FALSE;
    }
  if (token == NULL || *token == '\0')
    {
      omni_error_set_field (error, OMNI_ERROR_MISSING_FIELD, "token", "%s",
                            _("Enter the host token the relay administrator gave you"));
      return FALSE;
    }
  return TRUE;
}

void
engine_account_restore (EngineAccount *self)
{
  g_autofree char *url = NULL;

  g_return_if_fail (ENGINE_IS_ACCOUNT (self));

  if (self->settings != NULL)
    url = g_settings_get_string (self->settings, "relay-url");
  if (url == NULL || *url == '\0')
    {
      set_state (self, ENGINE_ACCOUNT_SIGNED_OUT, NULL);
      return;
    }
  engine_relay_client_set_base_url (self->client, url);
  engine_relay_client_set_token (self->client, NULL);
  set_state (self, ENGINE_ACCOUNT_CONNECTING, NULL);
  engine_secrets_lookup_token_async (engine_relay_client_get_base_url (self->client), NULL,
                                     on_token_looked_up, g_object_ref (self));
}

void
engine_account_sign_in (EngineAccount *self,
                        const char    *url,
                        const char    *token,
                        gboolean       persist)
{
  g_return_if_fail (ENGINE_IS_ACCOUNT (self));
  g_return_if_fail (url != NULL && token != NULL);

  engine_relay_client_set_base_url (self->client, url);
  engine_relay_client_set_token (self->client, token);
  self->persist_pending = persist;
  self->token_in_memory = !persist;
  verify (self);
}

void
engine_account_retry (EngineAccount *self)
{
  g_return_if_fail (ENGINE_IS_ACCOUNT (self));

  if (engine_relay_client_get_token (self->client) == NULL)
    engine_account_restore (self);
  else
    verify (self);
}

void
engine_account_sign_out (EngineAccount *self)
{
  const char *url;

  g_return_if_fail (ENGINE_IS_ACCOUNT (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  url = engine_relay_client_get_base_url (self->client);
  if (url != NULL)
    engine_secrets_clear_token_async (url, NULL, NULL, NULL);
  engine_relay_client_set_token (self->client, NULL);
  self->token_in_memory = FALSE;
  set_state (self, ENGINE_ACCOUNT_SIGNED_OUT, NULL);
}
