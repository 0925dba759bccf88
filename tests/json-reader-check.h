/* json-reader-check.h: the fast JSON reader against JsonParser, for the unit
 * test and the fuzz target. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when omni_json_read_strict declines text, or reads it to the tree
 * JsonParser reads, members in the same order. Otherwise FALSE and *why. */
gboolean omni_test_json_reader_agrees (const char  *text,
                                       gsize        len,
                                       char       **why);

G_END_DECLS
