/* desktop-test-util.h: waiting on the main loop with a deadline, and
 * per-test scratch folders, for the desktop tests. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Iterates the default main context until *flag is TRUE; fails the test
 * after timeout_s seconds with what was being waited for. */
void  desktop_test_wait_flag   (gboolean   *flag,
                                guint       timeout_s,
                                const char *what);
/* Waits for an async result stored into *result by desktop_test_store_result. */
void  desktop_test_store_result (GObject      *source,
                                 GAsyncResult *result,
                                 gpointer      user_data);
GAsyncResult *desktop_test_wait_result (GAsyncResult **slot,
                                        guint          timeout_s,
                                        const char    *what);
/* A fresh temporary folder, removed with desktop_test_rm_rf. */
char *desktop_test_make_dir    (const char *name);
void  desktop_test_rm_rf       (const char *path);

G_END_DECLS
