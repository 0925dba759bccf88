/* fuzz-json-body.c: every HTTP request body the relay accepts goes through
 * omni_json_parse_object and then one of the request validators. */
#include <string.h>

#include "omni-json.h"
#include "json-reader-check.h"
#include "omni-session.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(OmniSessionRequest) create = NULL;
  g_autoptr(OmniSessionRequest) update = NULL;
  g_autoptr(OmniSession) current = omni_session_new ();
  g_autoptr(OmniSession) decoded = NULL;
  JsonArray *participants;

  {
    g_autofree char *why = NULL;

    if (!omni_test_json_reader_agrees ((const char *) data, size, &why))
      g_error ("%s", why);
  }
  object = omni_json_parse_object ((const char *) data, size, 1024 * 1024, NULL);
  if (object == NULL)
    return 0;

  create = omni_session_request_new_create (object, G_GINT64_CONSTANT (1700000000000), NULL);
  current->scheduled_start = G_GINT64_CONSTANT (1700003600000);
  current->scheduled_end = G_GINT64_CONSTANT (1700007200000);
  update = omni_session_request_new_update (object, current, G_GINT64_CONSTANT (1700000000000), NULL);
  if (update != NULL)
    omni_session_apply_update (current, update);

  participants = omni_json_get_array (object, "participants");
  if (participants != NULL)
    {
      GPtrArray *invitees = omni_invitees_from_json (participants, "participants", NULL);
      if (invitees != NULL)
        g_ptr_array_unref (invitees);
    }

  /* The desktop decodes the relay's answers with the same codec. */
  decoded = omni_session_new_from_json (object, NULL);
  return 0;
}
