/* omni-error.h: the one error domain of OmniLive, shared by relay and desktop.
 * Each code knows its HTTP status and wire name so errors are turned into
 * {"error":{"code","message","field"}} in exactly one place. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define OMNI_ERROR (omni_error_quark ())

typedef enum {
  OMNI_ERROR_INVALID_JSON,
  OMNI_ERROR_MISSING_FIELD,
  OMNI_ERROR_INVALID_FIELD,
  OMNI_ERROR_UNKNOWN_FIELD,
  OMNI_ERROR_UNAUTHORIZED,
  OMNI_ERROR_FORBIDDEN,
  OMNI_ERROR_WRONG_PASSWORD,
  OMNI_ERROR_DOMAIN_NOT_ALLOWED,
  OMNI_ERROR_NOT_FOUND,
  OMNI_ERROR_METHOD_NOT_ALLOWED,
  OMNI_ERROR_NOT_STARTED,
  OMNI_ERROR_ENDED,
  OMNI_ERROR_FULL,
  OMNI_ERROR_INVALID_STATE,
  OMNI_ERROR_TOO_EARLY,
  OMNI_ERROR_PAYLOAD_TOO_LARGE,
  OMNI_ERROR_UNSUPPORTED_MEDIA_TYPE,
  OMNI_ERROR_RATE_LIMITED,
  OMNI_ERROR_CONFIG,
  OMNI_ERROR_STORAGE,
  OMNI_ERROR_INTERNAL,
} OmniErrorCode;

GQuark       omni_error_quark          (void);

/* Sets an OMNI_ERROR that names the offending input field (may be NULL). */
void         omni_error_set_field      (GError       **error,
                                        OmniErrorCode  code,
                                        const char    *field,
                                        const char    *format,
                                        ...) G_GNUC_PRINTF (4, 5);
const char  *omni_error_get_field      (const GError  *error);

/* Seconds after which a refused request may be tried again (429), or 0. */
void         omni_error_set_retry_after (GError       *error,
                                         guint         seconds);
guint        omni_error_get_retry_after (const GError *error);

/* Extra wire detail, e.g. the start time of a session that has not started. */
void         omni_error_set_detail     (GError       *error,
                                        const char   *key,
                                        const char   *value);
const char  *omni_error_get_detail_key (const GError *error);
const char  *omni_error_get_detail_value (const GError *error);

guint        omni_error_http_status    (const GError  *error);
const char  *omni_error_wire_code      (const GError  *error);

G_END_DECLS
