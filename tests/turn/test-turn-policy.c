/* test-turn-policy.c: the peer address policy, every denied form (including the IPv6
 * spellings of CVE-2020-26262), and allowed_peers opening ranges. */
#define G_LOG_DOMAIN "test-turn-policy"

#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "omni-error.h"
#include "relay-turn-policy.h"
#include "turn-test-client.h"

/* Denied by default; shared with test-turn-server through this list's shape. */
static const char * const denied[] = {
  "0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255",
  "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "100.127.255.255",
  "169.254.169.254", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1",
  "::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "febf::1", "ff02::1", "fec0::1",
  "::ffff:127.0.0.1", "::ffff:0.0.0.0", "::ffff:10.1.2.3", "::ffff:192.168.0.1",
  "::ffff:169.254.1.1", "::ffff:100.64.0.1", "::ffff:224.0.0.251", "::ffff:255.255.255.255",
  "::127.0.0.1", "::10.0.0.1", "::0.0.0.0", "::192.168.1.1",
  "64:ff9b::7f00:1", "64:ff9b::a00:1", "2002:7f00:1::1", "2002:c0a8:101::1",
};

static const char * const allowed[] = {
  "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0",
  "192.167.255.255", "169.253.0.1", "223.255.255.255", "2001:4860:4860::8888",
  "::ffff:8.8.8.8", "2002:0808:0808::1", "64:ff9b::808:808",
};

static gboolean
allows (RelayTurnPolicy *policy, const char *text)
{
  struct sockaddr_storage ss;

  turn_test_sockaddr (text, 9, &ss);
  return relay_turn_policy_allows (policy, (struct sockaddr *) &ss);
}

static void
test_default_denies (void)
{
  g_autoptr(RelayTurnPolicy) policy = relay_turn_policy_new (NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (denied); i++)
    if (allows (policy, denied[i]))
      g_error ("%s is allowed by default", denied[i]);
  for (guint i = 0; i < G_N_ELEMENTS (allowed); i++)
    if (!allows (policy, allowed[i]))
      g_error ("%s is denied by default", allowed[i]);
}

static void
test_allowed_peers (void)
{
  const char * const list[] = { "127.0.0.1", "10.1.0.0/16", "fd00::/8", " ", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayTurnPolicy) policy = relay_turn_policy_new (list, &error);

  g_assert_no_error (error);
  g_assert_true (allows (policy, "127.0.0.1"));
  g_assert_true (allows (policy, "::ffff:127.0.0.1"));  /* the same host, spelled as IPv6 */
  g_assert_false (allows (policy, "127.0.0.2"));
  g_assert_false (allows (policy, "0.0.0.0"));
  g_assert_false (allows (policy, "::1"));              /* IPv6 loopback is not 127.0.0.1 */
  g_assert_true (allows (policy, "10.1.200.3"));
  g_assert_false (allows (policy, "10.2.0.1"));
  g_assert_true (allows (policy, "fd12::1"));
  g_assert_false (allows (policy, "fc00::1"));
  g_assert_true (allows (policy, "8.8.8.8"));
}

static void
test_bad_ranges (void)
{
  const char * const bad[] = { "localhost", "10.0.0.0/33", "::/129", "1.2.3.4/x", "" };

  for (guint i = 0; i < G_N_ELEMENTS (bad) - 1; i++)
    {
      const char * const list[] = { bad[i], NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(RelayTurnPolicy) policy = relay_turn_policy_new (list, &error);

      g_assert_null (policy);
      g_assert_error (error, OMNI_ERROR, OMNI_ERROR_CONFIG);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/relay/turn/policy/default-denies", test_default_denies);
  g_test_add_func ("/relay/turn/policy/allowed-peers", test_allowed_peers);
  g_test_add_func ("/relay/turn/policy/bad-ranges", test_bad_ranges);

  return g_test_run ();
}
