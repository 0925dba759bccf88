/* omni-error.c: error domain with per-error field name, retry hint and detail,
 * carried in GLib's extended error private data. */
#define G_LOG_DOMAIN "omni-error"

#include "omni-error.h"

typedef struct {
  char  *field;
  char  *detail_key;
  char  *detail_value;
  guint  retry_after;
} OmniErrorPrivate;

static void
omni_error_private_init (OmniErrorPrivate *priv)
{
  priv->field = NULL;
  priv->detail_key = NULL;
  priv->detail_value = NULL;
  priv->retry_after = 0;
}

static void
omni_error_private_copy (const OmniErrorPrivate *src,
                         OmniErrorPrivate       *dest)
{
  dest->field = g_strdup (src->field);
  dest->detail_key = g_strdup (src->detail_key);
  dest->detail_value = g_strdup (src->detail_value);
  dest->retry_after = src->retry_after;
}

static void
omni_error_private_clear (OmniErrorPrivate *priv)
{
  g_clear_pointer (&priv->field, g_free);
  g_clear_pointer (&priv->detail_key, g_free);
  g_clear_pointer (&priv->detail_value, g_free);
}

G_DEFINE_EXTENDED_ERROR (OmniError, omni_error)

static const struct {
  guint       http_status;
  const char *wire_code;
} error_table[] = {
  [OMNI_ERROR_INVALID_JSON]           = { 400, "invalid_json" },
  [OMNI_ERROR_MISSING_FIELD]          = { 400, "missing_field" },
  [OMNI_ERROR_INVALID_FIELD]          = { 400, "invalid_field" },
  [OMNI_ERROR_UNKNOWN_FIELD]          = { 400, "unknown_field" },
  [OMNI_ERROR_UNAUTHORIZED]           = { 401, "unauthorized" },
  [OMNI_ERROR_FORBIDDEN]              = { 403, "forbidden" },
  [OMNI_ERROR_WRONG_PASSWORD]         = { 403, "wrong_password" },
  [OMNI_ERROR_DOMAIN_NOT_ALLOWED]     = { 403, "domain_not_allowed" },
  [OMNI_ERROR_NOT_FOUND]              = { 404, "not_found" },
  [OMNI_ERROR_METHOD_NOT_ALLOWED]     = { 405, "method_not_allowed" },
  [OMNI_ERROR_NOT_STARTED]            = { 409, "not_started" },
  [OMNI_ERROR_ENDED]                  = { 409, "session_ended" },
  [OMNI_ERROR_FULL]                   = { 409, "session_full" },
  [OMNI_ERROR_INVALID_STATE]          = { 409, "invalid_state" },
  [OMNI_ERROR_TOO_EARLY]              = { 409, "too_early" },
  [OMNI_ERROR_PAYLOAD_TOO_LARGE]      = { 413, "payload_too_large" },
  [OMNI_ERROR_UNSUPPORTED_MEDIA_TYPE] = { 415, "unsupported_media_type" },
  [OMNI_ERROR_RATE_LIMITED]           = { 429, "rate_limited" },
  [OMNI_ERROR_CONFIG]                 = { 500, "config_error" },
  [OMNI_ERROR_STORAGE]                = { 500, "storage_error" },
  [OMNI_ERROR_INTERNAL]               = { 500, "internal_error" },
};

void
omni_error_set_field (GError       **error,
                      OmniErrorCode  code,
                      const char    *field,
                      const char    *format,
                      ...)
{
  va_list args;
  g_autofree char *message = NULL;
  GError *new_error;

  if (error == NULL)
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  new_error = g_error_new_literal (OMNI_ERROR, code, message);
  if (field != NULL)
    omni_error_get_private (new_error)->field = g_strdup (field);
  g_propagate_error (error, new_error);
}

const char *
omni_error_get_field (const GError *error)
{
  if (error == NULL || error->domain != OMNI_ERROR)
    return NULL;
  return omni_error_get_private (error)->field;
}

void
omni_error_set_retry_after (GError *error,
                            guint   seconds)
{
  g_return_if_fail (error != NULL && error->domain == OMNI_ERROR);
  omni_error_get_private (error)->retry_after = seconds;
}

guint
omni_error_get_retry_after (const GError *error)
{
  if (error == NULL || error->domain != OMNI_ERROR)
    return 0;
  return omni_error_get_private (error)->retry_after;
}

void
omni_error_set_detail (GError     *error,
                       const char *key,
                       const char *value)
{
  OmniErrorPrivate *priv;

  g_return_if_fail (error != NULL && error->domain == OMNI_ERROR);
  priv = omni_error_get_private (error);
  g_free (priv->detail_key);
  g_free (priv->detail_value);
  priv->detail_key = g_strdup (key);
  priv->detail_value = g_strdup (value);
}

const char *
omni_error_get_detail_key (const GError *error)
{
  if (error == NULL || error->domain != OMNI_ERROR)
    return NULL;
  return omni_error_get_private (error)->detail_key;
}

const char *
omni_error_get_detail_value (const GError *error)
{
  if (error == NULL || error->domain != OMNI_ERROR)
    return NULL;
  return omni_error_get_private (error)->detail_value;
}

guint
omni_error_http_status (const GError *error)
{
  if (error == NULL || error->domain != OMNI_ERROR ||
      error->code < 0 || (gsize) error->code >= G_N_ELEMENTS (error_table))
    return 500;
  return error_table[error->code].http_status;
}

const char *
omni_error_wire_code (const GError *error)
{
  if (error == NULL || error->domain != OMNI_ERROR ||
      error->code < 0 || (gsize) error->code >= G_N_ELEMENTS (error_table))
    return "internal_error";
  return error_table[error->code].wire_code;
}
