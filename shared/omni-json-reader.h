/* omni-json-reader.h: a fast reader for the strict, everyday subset of JSON. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Builds the json-glib tree of data when it is plain RFC 8259 JSON made of
 * objects, arrays, strings, true, false, null and integers that fit in 64
 * bits, nested at most max_depth levels. For anything else (other numbers,
 * malformed text, lone surrogates, too deep) it returns NULL and the caller
 * asks JsonParser, which decides and explains: whatever this reader accepts,
 * JsonParser reads to an equal tree (tests/fuzz/fuzz-json-body.c checks).
 * data must be valid UTF-8 without NUL bytes. */
JsonNode *omni_json_read_strict (const char *data,
                                 gsize       len,
                                 guint       max_depth);

G_END_DECLS
