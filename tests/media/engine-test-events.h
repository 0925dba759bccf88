/* engine-test-events.h: what the media engine tests watch — the engine's
 * "event" signals, recorded in order, and buffers counted at a pad — and
 * waits on both with a time limit. */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "engine-media-session.h"

G_BEGIN_DECLS

/* Appends each event the session emits to events (JsonObject, a ref each). */
void        engine_test_record_events (EngineMediaSession *session,
                                       GPtrArray          *events);

/* Index of the first event named @name at or after @since, or -1. With
 * @flag set, only an event whose boolean member @flag exists and equals
 * @value counts. */
int         engine_test_find_event    (GPtrArray  *events,
                                       guint       since,
                                       const char *name,
                                       const char *flag,
                                       gboolean    value);
/* The same, waited for; fails the test (all events logged) after
 * @timeout_ms. */
JsonObject *engine_test_wait_event    (GPtrArray  *events,
                                       guint       since,
                                       const char *name,
                                       const char *flag,
                                       gboolean    value,
                                       guint       timeout_ms);
/* Every event so far, as test messages. */
void        engine_test_log_events    (GPtrArray  *events);

/* Counts the buffers through @pad into *counter (atomically). */
void        engine_test_count_buffers (GstPad     *pad,
                                       gint       *counter);
/* TRUE once *counter reaches @target, FALSE after @timeout_ms. */
gboolean    engine_test_wait_count    (gint       *counter,
                                       gint        target,
                                       guint       timeout_ms);

G_END_DECLS
