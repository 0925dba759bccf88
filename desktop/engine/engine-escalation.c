/* engine-escalation.c: relay first, then one store write per step; if the
 * relay refuses, the ticket is left untouched. */
#define G_LOG_DOMAIN "engine-escalation"

#include "desktop-config.h"

#include <glib/gi18n.h>

#include "omni-time.h"

#include "engine-escalation.h"

typedef struct {
  EngineRelayClient *client;
  EngineTicketStore *store;
  EngineTicket *ticket;
  char *agent_name;
  EngineSession *session;
} EscalateData;

static void
escalate_data_free (EscalateData *data)
{
  g_clear_object (&data->client);
  g_clear_object (&data->store);
  g_clear_object (&data->ticket);
  g_clear_object (&data->session);
  g_free (data->agent_name);
  g_free (data);
}

static void
on_message_added (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EscalateData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (engine_ticket_store_apply_finish (ENGINE_TICKET_STORE (source), result, &error) == 0)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_object_ref (data->session), g_object_unref);
}

static void
on_session_linked (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EscalateData *data = g_task_get_task_data (task);
  g_autoptr(EngineTicketChange) change = NULL;
  g_autofree char *link = NULL;
  GError *error = NULL;

  if (engine_ticket_store_apply_finish (ENGINE_TICKET_STORE (source), result, &error) == 0)
    {
      g_task_return_error (task, error);
      return;
    }

  link = engine_escalation_dup_join_link (data->session, engine_relay_client_get_base_url (data->client));
  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_ADD_MESSAGE);
  change->ticket_id = engine_ticket_get_id (data->ticket);
  change->message_kind = ENGINE_MESSAGE_AGENT;
  change->author = g_strdup (data->agent_name);
  change->body = g_strdup_printf (_("I've scheduled a video call to help you. Join here: %s"), link);
  engine_ticket_store_apply_async (data->store, g_steal_pointer (&change),
                                   g_task_get_cancellable (task), on_message_added,
                                   g_object_ref (task));
}

static void
on_session_created (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EscalateData *data = g_task_get_task_data (task);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  g_autoptr(EngineTicketChange) change = NULL;
  GError *error = NULL;

  node = engine_relay_client_request_finish (ENGINE_RELAY_CLIENT (source), result, &error);
  if (node == NULL && error == NULL)
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, _("The relay sent an empty answer"));
  if (error == NULL)
    sessions = engine_relay_sessions_from_json (node, &error);
  if (error != NULL || sessions->len == 0)
    {
      if (error == NULL)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, _("The relay created no session"));
      g_task_return_error (task, error);
      return;
    }
  data->session = g_object_ref (g_ptr_array_index (sessions, 0));

  change = engine_ticket_change_new (ENGINE_TICKET_CHANGE_LINK_SESSION);
  change->ticket_id = engine_ticket_get_id (data->ticket);
  change->session_id = g_strdup (engine_session_get_id (data->session));
  change->author = g_strdup (data->agent_name);
  engine_ticket_store_apply_async (data->store, g_steal_pointer (&change),
                                   g_task_get_cancellable (task), on_session_linked,
                                   g_object_ref (task));
}

JsonObject *
engine_escalation_build_request (EngineTicket *ticket,
                                 gint64        now_ms)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *title = NULL;
  g_autofree char *ticket_id = NULL;
  char buf[OMNI_TIME_ISO8601_LEN + 1];

  g_return_val_if_fail (ENGINE_IS_TICKET (ticket), NULL);

  /* Whole seconds: the relay stores no milliseconds of a schedule. */
  now_ms -= now_ms % OMNI_MS_PER_SECOND;
  title = g_strdup_printf (_("Support Call - %s"), engine_ticket_get_subject (ticket));
  ticket_id = g_strdup_printf ("%" G_GINT64_FORMAT, engine_ticket_get_id (ticket));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "title");
  json_builder_add_string_value (builder, title);
  json_builder_set_member_name (builder, "sessionType");
  json_builder_add_string_value (builder, "support_call");
  json_builder_set_member_name (builder, "relatedTicket");
  json_builder_add_string_value (builder, ticket_id);
  omni_time_format_iso8601_buf (now_ms + ENGINE_ESCALATION_LEAD_MS, buf);
  json_builder_set_member_name (builder, "scheduledStartTime");
  json_builder_add_string_value (builder, buf);
  omni_time_format_iso8601_buf (now_ms + ENGINE_ESCALATION_LEAD_MS + ENGINE_ESCALATION_DURATION_MS, buf);
  json_builder_set_member_name (builder, "scheduledEndTime");
  json_builder_add_string_value (builder, buf);
  json_builder_set_member_name (builder, "participants");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, engine_ticket_get_customer_email (ticket));
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, engine_ticket_get_customer_name (ticket));
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_object_ref (json_node_get_object (root));
}

char *
engine_escalation_dup_join_link (EngineSession *session,
                                 const char    *base_url)
{
  const char *url;

  g_return_val_if_fail (ENGINE_IS_SESSION (session), NULL);

  url = engine_session_get_join_url (session);
  if (url != NULL && *url != '\0')
    return g_strdup (url);
  return g_strdup_printf ("%s/session/join/%s", base_url ? base_url : "",
                          engine_session_get_session (session)->access_link);
}

void
engine_escalate_ticket_async (EngineRelayClient   *client,
                              EngineTicketStore   *store,
                              EngineTicket        *ticket,
                              const char          *agent_name,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonNode) node = NULL;
  EscalateData *data;
  GTask *task;

  g_return_if_fail (ENGINE_IS_RELAY_CLIENT (client));
  g_return_if_fail (ENGINE_IS_TICKET_STORE (store));
  g_return_if_fail (ENGINE_IS_TICKET (ticket));

  data = g_new0 (EscalateData, 1);
  data->client = g_object_ref (client);
  data->store = g_object_ref (store);
  data->ticket = g_object_ref (ticket);
  data->agent_name = g_strdup (agent_name);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, engine_escalate_ticket_async);
  g_task_set_task_data (task, data, (GDestroyNotify) escalate_data_free);

  body = engine_escalation_build_request (ticket, omni_time_now_ms ());
  node = json_node_init_object (json_node_alloc (), body);
  engine_relay_client_request_async (client, "POST", "/api/sessions", node, cancellable,
                                     on_session_created, task);
}

EngineSession *
engine_escalate_ticket_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
