/* test-reminders.c: the desktop notification 5 minutes before a session the
 * agent hosts. A small org.freedesktop.Notifications server on the test's
 * private bus records what GNotification sends; the relay is the real one. */
#include "omni-time.h"

#include "engine-reminders.h"

#include "desktop-test-util.h"
#include "relay-fixture.h"

static const char introspection[] =
  "<node><interface name='org.freedesktop.Notifications'>"
  "<method name='Notify'><arg type='s' direction='in'/><arg type='u' direction='in'/>"
  "<arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='as' direction='in'/><arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "<arg type='u' direction='out'/></method>"
  "<method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "<method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "<method name='GetServerInformation'><arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "<arg type='s' direction='out'/><arg type='s' direction='out'/></method>"
  "</interface></node>";

static GPtrArray *received;   /* "summary|body" */

static void
on_method_call (GDBusConnection       *connection,
                const char            *sender,
                const char            *path,
                const char            *interface,
                const char            *method,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  if (g_str_equal (method, "Notify"))
    {
      const char *summary, *body;

      g_variant_get (parameters, "(&su&s&s&s@as@a{sv}i)", NULL, NULL, NULL, &summary, &body, NULL, NULL, NULL);
      g_ptr_array_add (received, g_strdup_printf ("%s|%s", summary, body));
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", received->len));
    }
  else if (g_str_equal (method, "GetCapabilities"))
    {
      const char *caps[] = { "body", "actions", NULL };
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(^as)", caps));
    }
  else if (g_str_equal (method, "GetServerInformation"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ssss)", "test", "omnilive", "1", "1.2"));
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
on_name_acquired (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
on_state (EngineAccount *account,
          GParamSpec    *pspec,
          gboolean      *flag)
{
  if (engine_account_get_state (account) != ENGINE_ACCOUNT_CONNECTING)
    *flag = TRUE;
}

static void
on_updated (EngineSessionList *list,
            gboolean          *flag)
{
  *flag = TRUE;
}

static gboolean
received_some (gpointer data)
{
  return received->len > 0;
}

static void
test_reminders (void)
{
  static const GDBusInterfaceVTable vtable = { on_method_call, NULL, NULL, { 0 } };
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (introspection, NULL);
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GApplication) app = g_application_new ("org.omnilive.OmniLive.TestReminders", G_APPLICATION_NON_UNIQUE);
  g_autoptr(EngineRelayClient) client = NULL;
  g_autoptr(EngineAccount) account = NULL;
  g_autoptr(EngineSessionList) upcoming = NULL;
  g_autoptr(EngineReminders) reminders = NULL;
  g_autoptr(RelayResponse) soon = NULL;
  g_autoptr(RelayResponse) later = NULL;
  g_autoptr(RelayResponse) other = NULL;
  g_autofree char *other_token = NULL;
  g_autofree char *s1 = relay_fixture_time_from_now (4 * 60);
  g_autofree char *e1 = relay_fixture_time_from_now (34 * 60);
  g_autofree char *s2 = relay_fixture_time_from_now (40 * 60);
  g_autofree char *e2 = relay_fixture_time_from_now (70 * 60);
  g_autofree char *body1 = g_strdup_printf ("{\"title\":\"Onboarding call\",\"scheduledStartTime\":\"%s\",\"scheduledEndTime\":\"%s\"}", s1, e1);
  g_autofree char *body2 = g_strdup_printf ("{\"title\":\"Later call\",\"scheduledStartTime\":\"%s\",\"scheduledEndTime\":\"%s\"}", s2, e2);
  g_autofree char *body3 = g_strdup_printf ("{\"title\":\"Someone else's\",\"scheduledStartTime\":\"%s\",\"scheduledEndTime\":\"%s\"}", s1, e1);
  RelayFixture relay = { 0 };
  gboolean owned = FALSE, settled = FALSE, updated = FALSE;
  guint owner;

  g_assert_nonnull (bus);
  received = g_ptr_array_new_with_free_func (g_free);
  g_assert_cmpuint (g_dbus_connection_register_object (bus, "/org/freedesktop/Notifications",
                                                       info->interfaces[0], &vtable, NULL, NULL, NULL), >, 0);
  owner = g_bus_own_name_on_connection (bus, "org.freedesktop.Notifications", G_BUS_NAME_OWNER_FLAGS_NONE,
                                        on_name_acquired, NULL, &owned, NULL);
  desktop_test_wait_flag (&owned, 20, "the notification server name");
  g_assert_true (g_application_register (app, NULL, NULL));

  relay_fixture_start (&relay, NULL, NULL);
  other_token = relay_fixture_add_host (&relay, "other@example.com", "Other Host", FALSE);
  soon = relay_fixture_json (&relay, "POST", "/api/sessions", relay.token, body1);
  later = relay_fixture_json (&relay, "POST", "/api/sessions", relay.token, body2);
  other = relay_fixture_json (&relay, "POST", "/api/sessions", other_token, body3);
  g_assert_cmpuint (soon->status, ==, 201);
  g_assert_cmpuint (later->status, ==, 201);
  g_assert_cmpuint (other->status, ==, 201);

  client = engine_relay_client_new (NULL, NULL);
  account = engine_account_new (client, NULL);
  upcoming = engine_session_list_new (client, "/api/sessions?upcoming=true");
  reminders = engine_reminders_new (app, account, upcoming);
  g_signal_connect (account, "notify::state", G_CALLBACK (on_state), &settled);
  engine_account_sign_in (account, relay.url, relay.token, FALSE);
  desktop_test_wait_flag (&settled, 20, "signing in");
  g_signal_connect (upcoming, "updated", G_CALLBACK (on_updated), &updated);
  engine_session_list_refresh (upcoming);
  desktop_test_wait_flag (&updated, 20, "the upcoming sessions");

  /* Only the agent's own session, starting within 5 minutes, and once. */
  g_assert_cmpuint (engine_reminders_check (reminders, omni_time_now_ms ()), ==, 1);
  g_assert_cmpuint (engine_reminders_check (reminders, omni_time_now_ms ()), ==, 0);
  {
    gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
    while (!received_some (NULL) && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, TRUE);
  }
  g_assert_cmpuint (received->len, ==, 1);
  g_assert_true (g_str_has_prefix (received->pdata[0], "Onboarding call|"));

  /* Half an hour later the second one is due. */
  g_assert_cmpuint (engine_reminders_check (reminders, omni_time_now_ms () + 36 * 60 * 1000), ==, 1);

  /* Switched off in Preferences: nothing. */
  engine_reminders_set_enabled (reminders, FALSE);
  g_assert_cmpuint (engine_reminders_check (reminders, omni_time_now_ms () + 36 * 60 * 1000), ==, 0);

  g_bus_unown_name (owner);
  relay_fixture_stop (&relay);
  g_clear_pointer (&received, g_ptr_array_unref);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LANGUAGE", "C", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/desktop/reminders/five-minutes-before", test_reminders);
  return g_test_run ();
}
