/* engine-test-events.c: see engine-test-events.h. */
#include "engine-test-events.h"

#include "pipewire-fixture.h"

static void
on_event (EngineMediaSession *session,
          JsonObject         *event,
          GPtrArray          *events)
{
  g_ptr_array_add (events, json_object_ref (event));
}

void
engine_test_record_events (EngineMediaSession *session,
                           GPtrArray          *events)
{
  g_signal_connect (session, "event", G_CALLBACK (on_event), events);
}

int
engine_test_find_event (GPtrArray  *events,
                        guint       since,
                        const char *name,
                        const char *flag,
                        gboolean    value)
{
  for (guint i = since; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (json_object_get_string_member (event, "event"), name) != 0)
        continue;
      if (flag != NULL && json_object_get_boolean_member_with_default (event, flag, !value) != !!value)
        continue;
      return (int) i;
    }
  return -1;
}

typedef struct {
  GPtrArray  *events;
  guint       since;
  const char *name;
  const char *flag;
  gboolean    value;
} EventWait;

static gboolean
event_seen (gpointer data)
{
  EventWait *wait = data;

  return engine_test_find_event (wait->events, wait->since, wait->name, wait->flag, wait->value) >= 0;
}

void
engine_test_log_events (GPtrArray *events)
{
  for (guint i = 0; i < events->len; i++)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), g_ptr_array_index (events, i));
      g_autofree char *text = json_to_string (node, FALSE);

      g_test_message ("event: %s", text);
    }
}

JsonObject *
engine_test_wait_event (GPtrArray  *events,
                        guint       since,
                        const char *name,
                        const char *flag,
                        gboolean    value,
                        guint       timeout_ms)
{
  EventWait wait = { events, since, name, flag, value };

  if (!pipewire_fixture_wait_until (event_seen, &wait, timeout_ms))
    {
      engine_test_log_events (events);
      if (flag != NULL)
        g_error ("No \"%s\" event (%s %d) from the engine", name, flag, value);
      g_error ("No \"%s\" event from the engine", name);
    }
  return g_ptr_array_index (events, engine_test_find_event (events, since, name, flag, value));
}

static GstPadProbeReturn
count_buffer (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return GST_PAD_PROBE_OK;
}

void
engine_test_count_buffers (GstPad *pad,
                           gint   *counter)
{
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, counter, NULL);
}

typedef struct {
  gint *counter;
  gint  target;
} CountWait;

static gboolean
count_reached (gpointer data)
{
  CountWait *wait = data;

  return g_atomic_int_get (wait->counter) >= wait->target;
}

gboolean
engine_test_wait_count (gint  *counter,
                        gint   target,
                        guint  timeout_ms)
{
  CountWait wait = { counter, target };

  return pipewire_fixture_wait_until (count_reached, &wait, timeout_ms);
}
