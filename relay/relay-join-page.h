/* relay-join-page.h: the guest's join page at /session/join/:accessLink and
 * its assets, served from a GResource compiled from data/join/. */
#pragma once

G_BEGIN_DECLS

void relay_join_page_register (void);

G_END_DECLS
