/* test-shared.c: shared/ — time, tokens, e-mail, JSON checks, errors. */
#include <string.h>

#include "omni-email.h"
#include "omni-error.h"
#include "omni-json.h"
#include "omni-json-writer.h"
#include "omni-json-reader.h"
#include "json-reader-check.h"
#include "omni-sqlite.h"

#include <glib/gstdio.h>
#include "omni-time.h"
#include "omni-token.h"

static void
test_time_roundtrip (void)
{
  static const struct { const char *in; const char *out; } cases[] = {
    { "2025-01-25T14:00:00Z",          "2025-01-25T14:00:00.000Z" },
    { "2025-01-25T14:00:00.250Z",      "2025-01-25T14:00:00.250Z" },
    { "2025-01-25T15:00:00+01:00",     "2025-01-25T14:00:00.000Z" },
    { "2024-02-29T23:59:59.999-05:30", "2024-03-01T05:29:59.999Z" },
    { "1970-01-01T00:00:00Z",          "1970-01-01T00:00:00.000Z" },
    { "1969-12-31T23:59:59.999Z",      "1969-12-31T23:59:59.999Z" },
    { "2000-02-29T12:00:00Z",          "2000-02-29T12:00:00.000Z" },
    { "2100-03-01T00:00:00Z",          "2100-03-01T00:00:00.000Z" },
    { "0001-01-01T00:00:00Z",          "0001-01-01T00:00:00.000Z" },
    { "9999-12-31T23:59:59.999Z",      "9999-12-31T23:59:59.999Z" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *formatted = NULL;
      gint64 ms = -1;

      g_assert_true (omni_time_parse_iso8601 (cases[i].in, &ms, &error));
      g_assert_no_error (error);
      formatted = omni_time_format_iso8601 (ms);
      g_assert_cmpstr (formatted, ==, cases[i].out);
    }
}

static void
test_time_rejects (void)
{
  static const char * const bad[] = {
    "", "tomorrow", "2025-01-25", "2025-01-25T14:00:00", "2025-13-01T00:00:00Z",
    "2025-01-32T00:00:00Z", "2025-01-25 14:00:00Z", "2025-01-25T25:00:00Z",
    "99999-01-01T00:00:00Z",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 ms = 0;

      g_assert_false (omni_time_parse_iso8601 (bad[i], &ms, &error));
      g_assert_error (error, OMNI_ERROR, OMNI_ERROR_INVALID_FIELD);
    }
}

static void
test_token_entropy (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 1000; i++)
    {
      char *token = omni_token_new (16);

      /* 128 bits in base64url without padding: 22 characters, URL-safe. */
      g_assert_cmpuint (strlen (token), ==, 22);
      for (const char *p = token; *p; p++)
        g_assert_true (g_ascii_isalnum (*p) || *p == '-' || *p == '_');
      g_assert_true (g_hash_table_add (seen, token));
    }
}

static void
test_token_hash (void)
{
  g_autofree char *hash = omni_token_hash ("abc");

  /* FIPS 180-2 test vector. */
  g_assert_cmpstr (hash, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  g_assert_true (omni_constant_time_equal ((const guint8 *) "same", (const guint8 *) "same", 4));
  g_assert_false (omni_constant_time_equal ((const guint8 *) "same", (const guint8 *) "samE", 4));
}

static void
test_email (void)
{
  static const struct { const char *address; gboolean valid; } cases[] = {
    { "customer@example.com", TRUE },
    { "first.last+tag@sub.example.co.uk", TRUE },
    { "a@b.io", TRUE },
    { "", FALSE },
    { "plainaddress", FALSE },
    { "@example.com", FALSE },
    { "user@", FALSE },
    { "user@localhost", FALSE },
    { "user@@example.com", FALSE },
    { "us er@example.com", FALSE },
    { "user@exa mple.com", FALSE },
    { ".user@example.com", FALSE },
    { "user.@example.com", FALSE },
    { "us..er@example.com", FALSE },
    { "user@-example.com", FALSE },
    { "user@example-.com", FALSE },
    { "user@example..com", FALSE },
    { "<script>@example.com", FALSE },
    { "user@example.com\n", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      if (omni_email_is_valid (cases[i].address) != cases[i].valid)
        g_error ("'%s' should be %s", cases[i].address, cases[i].valid ? "valid" : "invalid");
    }
}

static void
test_email_domains (void)
{
  const char * const allowed[] = { "clientcompany.com", NULL };
  const char * const none[] = { NULL };
  g_autofree char *normalized = omni_email_normalize ("John.Doe@ClientCompany.COM");

  g_assert_cmpstr (normalized, ==, "John.Doe@clientcompany.com");
  g_assert_true (omni_email_domain_allowed ("ann@clientcompany.com", allowed));
  g_assert_true (omni_email_domain_allowed ("ann@CLIENTCOMPANY.com", allowed));
  g_assert_true (omni_email_domain_allowed ("ann@eu.clientcompany.com", allowed));
  g_assert_false (omni_email_domain_allowed ("ann@evilclientcompany.com", allowed));
  g_assert_false (omni_email_domain_allowed ("ann@clientcompany.com.evil.org", allowed));
  g_assert_true (omni_email_domain_allowed ("ann@anything.org", none));
  g_assert_true (omni_email_domain_allowed ("ann@anything.org", NULL));
}

static void
test_json_bounds (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) deep = g_string_new ("{\"a\":");
  JsonObject *object;

  g_assert_null (omni_json_parse_object ("{}", 2, 1, &error));
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_PAYLOAD_TOO_LARGE);
  g_clear_error (&error);

  g_assert_null (omni_json_parse_object ("[1,2]", 5, 100, &error));
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_INVALID_JSON);
  g_clear_error (&error);

  g_assert_null (omni_json_parse_object ("{\"a\":\xff}", 7, 100, &error));
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_INVALID_JSON);
  g_clear_error (&error);

  /* A megabyte of nesting must fail fast, not overflow the stack. */
  for (guint i = 0; i < 200000; i++)
    g_string_append_c (deep, '[');
  g_assert_null (omni_json_parse_object (deep->str, deep->len, 1 << 20, &error));
  g_assert_error (error, OMNI_ERROR, OMNI_ERROR_INVALID_JSON);
  g_clear_error (&error);

  object = omni_json_parse_object ("{\"s\":\"[[[\\\"\"}", 13, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (omni_json_get_string (object, "s"), ==, "[[[\"");
  json_object_unref (object);
}

static const OmniJsonField fields[] = {
  { "title", OMNI_JSON_STRING,  TRUE,  1, 5 },
  { "count", OMNI_JSON_INTEGER, FALSE, 1, 10 },
  { "flag",  OMNI_JSON_BOOLEAN, FALSE, 0, 0 },
  { "list",  OMNI_JSON_ARRAY,   FALSE, 0, 2 },
};

static void
test_json_fields (void)
{
  static const struct { const char *json; int code; const char *field; } cases[] = {
    { "{\"title\":\"ok\"}",                   -1, NULL },
    { "{\"title\":\"ok\",\"count\":null}",    -1, NULL },
    { "{}",                                   OMNI_ERROR_MISSING_FIELD, "title" },
    { "{\"title\":null}",                     OMNI_ERROR_MISSING_FIELD, "title" },
    { "{\"title\":5}",                        OMNI_ERROR_INVALID_FIELD, "title" },
    { "{\"title\":\"   \"}",                  OMNI_ERROR_INVALID_FIELD, "title" },
    { "{\"title\":\"toolong\"}",              OMNI_ERROR_INVALID_FIELD, "title" },
    { "{\"title\":\"ok\",\"count\":1.5}",     OMNI_ERROR_INVALID_FIELD, "count" },
    { "{\"title\":\"ok\",\"count\":\"3\"}",   OMNI_ERROR_INVALID_FIELD, "count" },
    { "{\"title\":\"ok\",\"count\":11}",      OMNI_ERROR_INVALID_FIELD, "count" },
    { "{\"title\":\"ok\",\"flag\":\"yes\"}",  OMNI_ERROR_INVALID_FIELD, "flag" },
    { "{\"title\":\"ok\",\"list\":[1,2,3]}",  OMNI_ERROR_INVALID_FIELD, "list" },
    { "{\"title\":\"ok\",\"typo\":1}",        OMNI_ERROR_UNKNOWN_FIELD, "x.typo" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      JsonObject *object = omni_json_parse_object (cases[i].json, strlen (cases[i].json), 1000, &error);
      gboolean ok;

      g_assert_no_error (error);
      ok = omni_json_check_fields (object, fields, G_N_ELEMENTS (fields),
                                   cases[i].code == OMNI_ERROR_UNKNOWN_FIELD ? "x." : NULL, &error);
      if (cases[i].code < 0)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, OMNI_ERROR, cases[i].code);
          g_assert_cmpstr (omni_error_get_field (error), ==, cases[i].field);
        }
      json_object_unref (object);
    }
}

static void
test_json_writer (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  OmniJsonWriter w;
  JsonObject *object;

  omni_json_writer_init (&w, out);
  omni_json_writer_begin_object (&w);
  omni_json_writer_member (&w, "s");
  omni_json_writer_string (&w, "a\"b\\c\n\t\x01<script>&é");
  omni_json_writer_member (&w, "n");
  omni_json_writer_int (&w, G_MININT64);
  omni_json_writer_member (&w, "list");
  omni_json_writer_begin_array (&w);
  omni_json_writer_int (&w, 0);
  omni_json_writer_bool (&w, TRUE);
  omni_json_writer_null (&w);
  omni_json_writer_begin_object (&w);
  omni_json_writer_end_object (&w);
  omni_json_writer_string (&w, NULL);
  omni_json_writer_end_array (&w);
  omni_json_writer_member (&w, "max");
  omni_json_writer_int (&w, G_MAXINT64);
  omni_json_writer_end_object (&w);

  /* No raw '<' ever: the text is safe inside HTML too. */
  g_assert_null (strchr (out->str, '<'));
  g_assert_true (json_parser_load_from_data (parser, out->str, -1, NULL));
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (object, "s"), ==, "a\"b\\c\n\t\x01<script>&é");
  g_assert_cmpint (json_object_get_int_member (object, "n"), ==, G_MININT64);
  g_assert_cmpint (json_object_get_int_member (object, "max"), ==, G_MAXINT64);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "list")), ==, 5);
}

/* The writer grows its buffer itself: start from one byte and cross many
 * reallocations with pieces of every size. */
static void
test_json_writer_growth (void)
{
  g_autoptr(GString) out = g_string_sized_new (1);
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  OmniJsonWriter w;
  JsonArray *array;

  omni_json_writer_init (&w, out);
  omni_json_writer_begin_array (&w);
  for (guint i = 0; i < 2000; i++)
    {
      g_string_append_c (expected, (char) ('a' + i % 26));
      if (i % 7 == 0)
        g_string_append_c (expected, '"');
      omni_json_writer_string (&w, expected->str);
    }
  omni_json_writer_end_array (&w);

  g_assert_cmpuint (strlen (out->str), ==, out->len);
  g_assert_true (json_parser_load_from_data (parser, out->str, (gssize) out->len, NULL));
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 2000);
  g_assert_cmpstr (json_array_get_string_element (array, 1999), ==, expected->str);

  /* Members too: each is written in one piece, crossing reallocations. */
  {
    g_autoptr(GString) members = g_string_sized_new (1);
    g_autoptr(JsonParser) reparser = json_parser_new ();
    const char *letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";   /* names need no escaping */
    JsonObject *object;

    omni_json_writer_init (&w, members);
    omni_json_writer_begin_object (&w);
    for (guint i = 0; i < 2000; i++)
      {
        g_autofree char *name = g_strdup_printf ("member%u%.*s", i, (int) (i % 37), letters);

        omni_json_writer_member_int (&w, name, i);
      }
    omni_json_writer_member (&w, "nested");
    omni_json_writer_begin_object (&w);
    omni_json_writer_member_bool (&w, "", TRUE);
    omni_json_writer_end_object (&w);
    omni_json_writer_end_object (&w);

    g_assert_cmpuint (strlen (members->str), ==, members->len);
    g_assert_true (json_parser_load_from_data (reparser, members->str, (gssize) members->len, NULL));
    object = json_node_get_object (json_parser_get_root (reparser));
    g_assert_cmpuint (json_object_get_size (object), ==, 2001);
    for (guint i = 0; i < 2000; i += 97)
      {
        g_autofree char *name = g_strdup_printf ("member%u%.*s", i, (int) (i % 37), letters);

        g_assert_cmpint (json_object_get_int_member (object, name), ==, i);
      }
    g_assert_true (json_object_get_boolean_member (json_object_get_object_member (object, "nested"), ""));
  }
}

/* The escaper tests 8 bytes at a time: against a byte-at-a-time reference,
 * on strings of every byte value, with what needs escaping at every offset
 * of a word and in the tail. */
static void
reference_escape (GString    *out,
                  const char *value)
{
  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) value; *p != '\0'; p++)
    switch (*p)
      {
      case '"':  g_string_append (out, "\\\""); break;
      case '\\': g_string_append (out, "\\\\"); break;
      case '\n': g_string_append (out, "\\n"); break;
      case '\r': g_string_append (out, "\\r"); break;
      case '\t': g_string_append (out, "\\t"); break;
      default:
        if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&')
          g_string_append_printf (out, "\\u%04x", *p);
        else
          g_string_append_c (out, (char) *p);
      }
  g_string_append_c (out, '"');
}

static void
test_json_escape_words (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261126);

  for (guint i = 0; i < 20000; i++)
    {
      char value[41];
      guint length = (guint) g_rand_int_range (rand, 0, sizeof value);
      g_autoptr(GString) got = g_string_new (NULL);
      g_autoptr(GString) expected = g_string_new (NULL);

      for (guint j = 0; j < length; j++)
        {
          /* Mostly plain text, like real values, so a word at a time is taken. */
          if (g_rand_int_range (rand, 0, 8) == 0)
            value[j] = (char) g_rand_int_range (rand, 1, 256);
          else
            value[j] = (char) g_rand_int_range (rand, 'a', 'z' + 1);
        }
      value[length] = '\0';
      omni_json_append_escaped (got, value);
      reference_escape (expected, value);
      g_assert_cmpstr (got->str, ==, expected->str);
    }
}

/* The fast reader takes everyday bodies, declines the unusual, and agrees
 * with JsonParser on everything it takes: a fixed table, then 30,000
 * mutations of a request body (characters inserted, dropped or replaced
 * with JSON's own). */
static void
test_json_reader (void)
{
  static const char * const taken[] = {
    "{}", " { } ", "[]", "{\"a\":1}", "{\"a\":-9223372036854775808,\"b\":9223372036854775807}",
    "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}", "{\"é\":\"ü\"}",
    "{\"a\":[true,false,null,{\"b\":[]}]}", "{\"dup\":1,\"x\":2,\"dup\":3}", "\"text\"", "0", "-12",
    "{\"\":\"\"}", "\t\r\n{\"a\" : [ 1 , 2 ] }\n",
  };
  static const char * const declined[] = {
    "", "{", "}", "{\"a\":}", "{\"a\" 1}", "{\"a\":1,}", "[1,]", "{a:1}", "{'a':1}", "01", "-0", "1.5",
    "1e3", "9223372036854775808", "-9223372036854775809", "\"\\ud800\"", "\"\\udc00\"", "\"\\u0000\"",
    "\"\\x\"", "\"a\nb\"", "tru", "nulll", "{} {}", "[1 2]", "+1",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
  };
  static const char alphabet[] = "{}[]\":,\\ -0123456789.eEtrufalsn\n/bu\xc3\xa9";
  const char *body = "{\"title\":\"Support \\\"call\\\"\",\"maxParticipants\":10,\"enableChat\":true,"
                     "\"participants\":[{\"email\":\"a@example.com\",\"name\":null}],\"agenda\":\"\\u00e9\"}";
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  guint mutants_taken = 0;

  for (guint i = 0; i < G_N_ELEMENTS (taken); i++)
    {
      g_autoptr(JsonNode) node = omni_json_read_strict (taken[i], strlen (taken[i]), OMNI_JSON_MAX_DEPTH);
      g_autofree char *why = NULL;

      g_test_message ("taken: %s", taken[i]);
      g_assert_nonnull (node);
      if (!omni_test_json_reader_agrees (taken[i], strlen (taken[i]), &why))
        g_error ("%s", why);
    }
  for (guint i = 0; i < G_N_ELEMENTS (declined); i++)
    {
      g_test_message ("declined: %s", declined[i]);
      g_assert_null (omni_json_read_strict (declined[i], strlen (declined[i]), OMNI_JSON_MAX_DEPTH));
    }

  for (guint i = 0; i < 30000; i++)
    {
      g_autoptr(GString) text = g_string_new (body);
      g_autofree char *why = NULL;
      guint edits = (guint) g_rand_int_range (rand, 1, 4);

      for (guint e = 0; e < edits; e++)
        {
          guint at = (guint) g_rand_int_range (rand, 0, (gint32) text->len + 1);
          char c = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];

          switch (g_rand_int_range (rand, 0, 3))
            {
            case 0: g_string_insert_c (text, at, c); break;
            case 1: if (at < text->len) g_string_erase (text, at, 1); break;
            default: if (at < text->len) text->str[at] = c; break;
            }
        }
      if (!omni_test_json_reader_agrees (text->str, text->len, &why))
        g_error ("%s", why);
      if (g_utf8_validate (text->str, (gssize) text->len, NULL))
        {
          g_autoptr(JsonNode) node = omni_json_read_strict (text->str, text->len, OMNI_JSON_MAX_DEPTH);
          mutants_taken += node != NULL;
        }
    }
  /* Enough of them still valid for the comparison to mean something. */
  g_test_message ("%u of 30000 mutants read by the fast reader", mutants_taken);
  g_assert_cmpuint (mutants_taken, >, 3000);
}

static sqlite3 *
open_scratch_db (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS t (x)",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  return db;
}

static gpointer
commit_later (gpointer data)
{
  g_usleep (20 * 1000);
  g_assert_cmpint (sqlite3_exec (data, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  return NULL;
}

/* A writer waits for another connection's transaction to end, and gives up
 * with SQLITE_BUSY once its timeout has passed. */
static void
test_sqlite_busy_wait (void)
{
  g_autofree char *dir = g_dir_make_tmp ("omni-sqlite-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "busy.db", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  sqlite3 *holder = open_scratch_db (path);
  sqlite3 *waiter = open_scratch_db (path);
  GThread *thread;

  omni_sqlite_set_busy_wait (waiter, 50);
  g_assert_cmpint (sqlite3_exec (holder, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (waiter, "INSERT INTO t VALUES (1)", NULL, NULL, NULL), ==, SQLITE_BUSY);

  omni_sqlite_set_busy_wait (waiter, 10000);
  thread = g_thread_new ("commit-later", commit_later, holder);
  g_assert_cmpint (sqlite3_exec (waiter, "INSERT INTO t VALUES (2)", NULL, NULL, NULL), ==, SQLITE_OK);
  g_thread_join (thread);

  sqlite3_close (holder);
  sqlite3_close (waiter);
  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (dir);
}

static void
test_error_wire (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) copy = NULL;

  omni_error_set_field (&error, OMNI_ERROR_RATE_LIMITED, "password", "wait %d", 3);
  omni_error_set_retry_after (error, 42);
  omni_error_set_detail (error, "retryAt", "later");
  copy = g_error_copy (error);

  g_assert_cmpuint (omni_error_http_status (copy), ==, 429);
  g_assert_cmpstr (omni_error_wire_code (copy), ==, "rate_limited");
  g_assert_cmpstr (omni_error_get_field (copy), ==, "password");
  g_assert_cmpuint (omni_error_get_retry_after (copy), ==, 42);
  g_assert_cmpstr (omni_error_get_detail_key (copy), ==, "retryAt");
  g_assert_cmpstr (copy->message, ==, "wait 3");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/shared/time/roundtrip", test_time_roundtrip);
  g_test_add_func ("/shared/time/rejects", test_time_rejects);
  g_test_add_func ("/shared/token/entropy", test_token_entropy);
  g_test_add_func ("/shared/token/hash", test_token_hash);
  g_test_add_func ("/shared/email/validity", test_email);
  g_test_add_func ("/shared/email/domains", test_email_domains);
  g_test_add_func ("/shared/json/bounds", test_json_bounds);
  g_test_add_func ("/shared/json/fields", test_json_fields);
  g_test_add_func ("/shared/json/writer", test_json_writer);
  g_test_add_func ("/shared/json/writer-growth", test_json_writer_growth);
  g_test_add_func ("/shared/json/escape-words", test_json_escape_words);
  g_test_add_func ("/shared/json/reader", test_json_reader);
  g_test_add_func ("/shared/sqlite/busy-wait", test_sqlite_busy_wait);
  g_test_add_func ("/shared/error/wire", test_error_wire);

  return g_test_run ();
}
