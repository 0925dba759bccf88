/* fuzz-signal-message.c: libFuzzer target for the signaling validator — every
 * inbound WebSocket frame goes through omni_signal_parse before any handler,
 * so it must survive anything, for every sender role. */
#include "omni-signal.h"
#include "omni-error.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const OmniSignalSender senders[] = {
    OMNI_SIGNAL_FROM_ANON, OMNI_SIGNAL_FROM_HOST, OMNI_SIGNAL_FROM_GUEST, OMNI_SIGNAL_FROM_WATCH,
  };

  for (guint i = 0; i < G_N_ELEMENTS (senders); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *type = NULL;
      const OmniSignalDef *def = NULL;
      JsonObject *object = omni_signal_parse ((const char *) data, size, senders[i], &def, &type, &error);

      /* Exactly one of a message or an error, and an error has a wire code. */
      if (object != NULL)
        {
          g_assert (error == NULL && def != NULL && (def->senders & senders[i]));
          json_object_unref (object);
        }
      else
        g_assert (error != NULL && omni_error_wire_code (error) != NULL);
    }
  return 0;
}
