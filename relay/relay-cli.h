/* relay-cli.h: `omnilive-relay host add|list|revoke` — host account admin. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* argv[0] is "host". Returns the process exit status. */
int relay_cli_host_main (int    argc,
                         char **argv);

G_END_DECLS
