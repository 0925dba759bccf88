/* engine-message.h: one entry of a ticket's thread: a customer message, an
 * agent reply, an internal note, or a recorded change (status, priority). */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  ENGINE_MESSAGE_CUSTOMER,
  ENGINE_MESSAGE_AGENT,
  ENGINE_MESSAGE_NOTE,
  ENGINE_MESSAGE_EVENT,
  ENGINE_MESSAGE_N_KINDS,
} EngineMessageKind;

#define ENGINE_TYPE_MESSAGE (engine_message_get_type ())
G_DECLARE_FINAL_TYPE (EngineMessage, engine_message, ENGINE, MESSAGE, GObject)

/* For events: field is "status" or "priority", old/new their wire names. */
EngineMessage     *engine_message_new            (gint64             id,
                                                  gint64             ticket_id,
                                                  EngineMessageKind  kind,
                                                  const char        *author,
                                                  const char        *body,
                                                  const char        *field,
                                                  const char        *old_value,
                                                  const char        *new_value,
                                                  gint64             created_at);
gint64             engine_message_get_id         (EngineMessage *self);
gint64             engine_message_get_ticket_id  (EngineMessage *self);
EngineMessageKind  engine_message_get_kind       (EngineMessage *self);
const char        *engine_message_get_author     (EngineMessage *self);
const char        *engine_message_get_body       (EngineMessage *self);
const char        *engine_message_get_field      (EngineMessage *self);
const char        *engine_message_get_old_value  (EngineMessage *self);
const char        *engine_message_get_new_value  (EngineMessage *self);
gint64             engine_message_get_created_at (EngineMessage *self);

/* What the thread shows for the entry: the body, or for an event a sentence
 * such as "Status changed from Open to Pending" in the user's language. */
char              *engine_message_dup_display_text (EngineMessage *self);

G_END_DECLS
