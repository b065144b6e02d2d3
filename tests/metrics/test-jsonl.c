/* libmctx-jsonl: the heimdall-jsonl-v1 files a user would open, byte for byte
 * and parsed back with json-glib.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "jsonl-check.h"

#include <mctx-jsonl.h>
#include <testnet.h>

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK TESTNET_CHECK

static gchar *tmpdir;

static gchar *
tmp_path(const gchar *relative)
{
  return g_build_filename(tmpdir, relative, NULL);
}

/* Keys of every object in a line appear in lexicographic byte order. */
static void
check_sorted_keys(JsonObject *object, const gchar *line)
{
  GList *names = json_object_get_members(object); /* parse order = byte order */
  const gchar *previous = NULL;
  for (GList *l = names; l; l = l->next) {
    CHECK(previous == NULL || strcmp(previous, l->data) < 0,
          "key \"%s\" after \"%s\" in %s", (gchar *) l->data, previous, line);
    previous = l->data;
    JsonNode *member = json_object_get_member(object, l->data);
    if (JSON_NODE_HOLDS_OBJECT(member))
      check_sorted_keys(json_node_get_object(member), line);
  }
  g_list_free(names);
}

static JsonObject *
parse_object(JsonParser *parser, const gchar *line)
{
  GError *error = NULL;
  CHECK(json_parser_load_from_data(parser, line, -1, &error),
        "line does not parse: %s: %s", line, error ? error->message : "?");
  JsonNode *root = json_parser_get_root(parser);
  CHECK(root && JSON_NODE_HOLDS_OBJECT(root), "not an object: %s", line);
  JsonObject *object = json_node_get_object(root);
  check_sorted_keys(object, line);
  return object;
}

static void
check_int(JsonObject *o, const gchar *key, gint64 want)
{
  JsonNode *n = json_object_get_member(o, key);
  CHECK(n && JSON_NODE_HOLDS_VALUE(n) &&
            json_node_get_value_type(n) == G_TYPE_INT64,
        "\"%s\" is missing or not an integer", key);
  CHECK(json_node_get_int(n) == want,
        "\"%s\" is %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT, key,
        json_node_get_int(n), want);
}

static void
check_double(JsonObject *o, const gchar *key, gdouble want)
{
  JsonNode *n = json_object_get_member(o, key);
  CHECK(n && JSON_NODE_HOLDS_VALUE(n) &&
            json_node_get_value_type(n) == G_TYPE_DOUBLE,
        "\"%s\" is missing or not a float", key);
  CHECK(json_node_get_double(n) == want, "\"%s\" is %.17g, expected %.17g", key,
        json_node_get_double(n), want);
}

static void
check_string(JsonObject *o, const gchar *key, const gchar *want)
{
  JsonNode *n = json_object_get_member(o, key);
  CHECK(n && JSON_NODE_HOLDS_VALUE(n) &&
            json_node_get_value_type(n) == G_TYPE_STRING,
        "\"%s\" is missing or not a string", key);
  CHECK(strcmp(json_node_get_string(n), want) == 0,
        "\"%s\" is \"%s\", "
        "expected \"%s\"",
        key, json_node_get_string(n), want);
}

/* ---------------------------------------------------------------------- */

static void
test_serialisation(void)
{
  JsonObject *o = json_object_new();
  JsonObject *inner = json_object_new();
  JsonArray *array = json_array_new();

  json_object_set_double_member(o, "whole", 1.0);
  json_object_set_double_member(o, "half", 0.5);
  json_object_set_double_member(o, "ts", 1779999999.123);
  json_object_set_double_member(o, "big", 1e16);
  json_object_set_double_member(o, "tiny", 1e-7);
  json_object_set_double_member(o, "small", 0.0001);
  json_object_set_double_member(o, "negzero", -0.0);
  json_object_set_double_member(o, "inf", INFINITY);
  json_object_set_double_member(o, "tenth", 0.1);
  json_object_set_int_member(o, "int", 1);
  json_object_set_int_member(o, "neg", -42);
  json_object_set_boolean_member(o, "bool", FALSE);
  json_object_set_null_member(o, "nothing");
  json_object_set_string_member(o, "text",
                                "a\"b\\c\nd\x01"
                                "é");
  json_object_set_int_member(inner, "z", 1);
  json_object_set_int_member(inner, "a", 2);
  json_object_set_object_member(o, "Upper", inner);
  json_array_add_double_element(array, 2.0);
  json_array_add_string_element(array, "x");
  json_object_set_array_member(o, "list", array);

  gchar *s = mctx_jsonl_to_string(o);
  const gchar *want =
      "{\"Upper\":{\"a\":2,\"z\":1},\"big\":1e16,\"bool\":false,"
      "\"half\":0.5,\"inf\":null,\"int\":1,\"list\":[2.0,\"x\"],"
      "\"neg\":-42,\"negzero\":-0.0,\"nothing\":null,\"small\":0.0001,"
      "\"tenth\":0.1,\"text\":\"a\\\"b\\\\c\\nd\\u0001é\",\"tiny\":1e-7,"
      "\"ts\":1779999999.123,\"whole\":1.0}";
  CHECK(strcmp(s, want) == 0, "serialised as\n%s\nexpected\n%s", s, want);
  g_free(s);
  json_object_unref(o);
}

static void
test_node_id(void)
{
  static const struct {
    const char *path, *want;
  } cases[] = {
      {"results/sender-0001/network.jsonl", "sender-0001"},
      {"/var/lib/heimdall/node7/network.jsonl", "node7"},
      {"network.jsonl", "network"},
      {"./network.jsonl", "network"},
      {"/network.jsonl", "network"},
      {"../run.jsonl", "run"},
      {"a/../b.jsonl", "b"},
      {"dir/", "dir"},
      {"archive.tar.gz", "archive.tar"},
      {".hidden", ".hidden"},
      {"  /x.jsonl", "x"},
      {"", "unknown"},
      {"/", "unknown"},
      {"..", "unknown"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    gchar *id = mctx_jsonl_infer_node_id(cases[i].path);
    CHECK(strcmp(id, cases[i].want) == 0,
          "node id of '%s' is '%s', expected "
          "'%s'",
          cases[i].path, id, cases[i].want);
    g_free(id);
  }
}

static JsonObject *
builtin_flags(void)
{
  JsonObject *b = json_object_new();
  json_object_set_string_member(b, "transport", "udp-multicast");
  json_object_set_string_member(b, "role", "sender");
  return b;
}

static void
test_flags_merge(void)
{
  JsonObject *builtin = builtin_flags();
  GError *error = NULL;

  JsonObject *f = mctx_jsonl_flags_merge(
      builtin, "{\"role\":\"receiver\",\"experiment\":\"baseline\",\"n\":3}",
      &error);
  CHECK(f != NULL, "merge failed: %s", error ? error->message : "?");
  gchar *s = mctx_jsonl_to_string(f);
  CHECK(strcmp(s, "{\"experiment\":\"baseline\",\"n\":3,\"role\":\"sender\","
                  "\"transport\":\"udp-multicast\"}") == 0,
        "built-in keys must win: %s", s);
  g_free(s);
  json_object_unref(f);

  f = mctx_jsonl_flags_merge(builtin, "  ", &error);
  CHECK(f && json_object_get_size(f) == 2, "blank user flags add nothing");
  json_object_unref(f);
  f = mctx_jsonl_flags_merge(NULL, NULL, &error);
  CHECK(f && json_object_get_size(f) == 0,
        "no flags at all is an empty object");
  json_object_unref(f);

  CHECK(mctx_jsonl_flags_merge(builtin, "[1,2]", &error) == NULL, "array");
  check_error(error, MCTX_JSONL_ERROR_INVALID_INPUT,
              "must be a JSON object, "
              "not an array");
  g_clear_error(&error);
  CHECK(mctx_jsonl_flags_merge(builtin, "\"text\"", &error) == NULL, "string");
  check_error(error, MCTX_JSONL_ERROR_INVALID_INPUT, "not a string");
  g_clear_error(&error);
  CHECK(mctx_jsonl_flags_merge(builtin, "{\"a\":", &error) == NULL, "bad JSON");
  check_error(error, MCTX_JSONL_ERROR_INVALID_INPUT, "not valid JSON");
  g_clear_error(&error);
  json_object_unref(builtin);
}

static void
test_header_validation(void)
{
  GError *error = NULL;
  JsonObject *h = mctx_jsonl_header_new(MCTX_JSONL_NETWORK_ARTIFACT_TYPE, "p",
                                        "n", 1.0, NULL);
  CHECK(mctx_jsonl_header_validate(h, &error), "valid header refused: %s",
        error ? error->message : "?");

  json_object_set_string_member(h, "node_id", "  ");
  CHECK(!mctx_jsonl_header_validate(h, &error), "blank node_id accepted");
  check_error(error, MCTX_JSONL_ERROR_INVALID_INPUT, "\"node_id\" is blank");
  g_clear_error(&error);
  json_object_set_string_member(h, "node_id", "n");

  json_object_set_string_member(h, "schema", "heimdall-jsonl-v2");
  CHECK(!mctx_jsonl_header_validate(h, &error), "wrong schema accepted");
  check_error(error, MCTX_JSONL_ERROR_INVALID_INPUT, "\"heimdall-jsonl-v2\"");
  g_clear_error(&error);
  json_object_set_string_member(h, "schema", MCTX_JSONL_SCHEMA);

  json_object_set_string_member(h, "created_at", "now");
  CHECK(!mctx_jsonl_header_validate(h, &error), "string created_at accepted");
  check_error(error, MCTX_JSONL_ERROR_INVALID_INPUT,
              "\"created_at\" must be a "
              "finite number, not a string");
  g_clear_error(&error);
  json_object_set_int_member(h, "created_at", 5); /* an integer is a number */
  CHECK(mctx_jsonl_header_validate(h, &error), "integer created_at refused");

  json_object_set_array_member(h, "flags", json_array_new());
  CHECK(!mctx_jsonl_header_validate(h, &error), "array flags accepted");
  check_error(error, MCTX_JSONL_ERROR_INVALID_INPUT,
              "\"flags\" must be a JSON "
              "object, not an array");
  g_clear_error(&error);

  json_object_remove_member(h, "producer");
  CHECK(!mctx_jsonl_header_validate(h, &error), "missing producer accepted");
  check_error(error, MCTX_JSONL_ERROR_INVALID_INPUT, "\"producer\" is missing");
  g_clear_error(&error);
  json_object_unref(h);

  JsonObject *row = mctx_jsonl_row_new(1.0, -1.0);
  CHECK(!mctx_jsonl_row_validate(row, &error), "negative interval accepted");
  check_error(error, MCTX_JSONL_ERROR_INVALID_INPUT,
              "\"interval_secs\" is "
              "negative");
  g_clear_error(&error);
  json_object_remove_member(row, "ts");
  CHECK(!mctx_jsonl_row_validate(row, &error), "row without ts accepted");
  check_error(error, MCTX_JSONL_ERROR_INVALID_INPUT, "\"ts\" is missing");
  g_clear_error(&error);
  json_object_unref(row);
}

static JsonObject *
network_header(const gchar *path, const gchar *user_flags)
{
  JsonObject *builtin = builtin_flags();
  JsonObject *flags = mctx_jsonl_flags_merge(builtin, user_flags, NULL);
  gchar *node_id = mctx_jsonl_infer_node_id(path);
  JsonObject *h = mctx_jsonl_header_new(MCTX_JSONL_NETWORK_ARTIFACT_TYPE,
                                        MCTX_JSONL_PRODUCER_MCTX_SEND, node_id,
                                        mctx_unix_time_secs(), flags);
  g_free(node_id);
  json_object_unref(flags);
  json_object_unref(builtin);
  return h;
}

/* The unit test of mctx-core's jsonl module, with our would_block too. */
static void
sample(mctx_metrics *now, mctx_metrics_delta *delta, double ts, uint64_t scale)
{
  memset(now, 0, sizeof *now);
  memset(delta, 0, sizeof *delta);
  now->publications_added = 1;
  now->active_publications = 1;
  now->send_calls = 10 * scale;
  now->packets_sent = 9 * scale;
  now->bytes_sent = 500 * scale;
  now->send_errors = 1 * scale;
  now->would_block = 1 * scale;
  now->captured_at = ts;
  delta->interval_secs = 2.0;
  delta->send_calls = 10;
  delta->packets_sent = 9;
  delta->bytes_sent = 500;
  delta->send_errors = 1;
  delta->would_block = 1;
}

static const gchar *const row1_bytes =
    "{\"active_publications\":1,\"bytes_per_sec\":250.0,"
    "\"bytes_sent_delta\":500,\"bytes_sent_total\":500,"
    "\"interval_secs\":2.0,\"packets_per_sec\":4.5,\"packets_sent_delta\":9,"
    "\"packets_sent_total\":9,\"publications_added_delta\":0,"
    "\"publications_added_total\":1,\"publications_removed_delta\":0,"
    "\"publications_removed_total\":0,\"send_calls_delta\":10,"
    "\"send_calls_per_sec\":5.0,\"send_calls_total\":10,"
    "\"send_errors_delta\":1,\"send_errors_per_sec\":0.5,"
    "\"send_errors_total\":1,\"ts\":123.0,\"would_block_delta\":1,"
    "\"would_block_per_sec\":0.5,\"would_block_total\":1}";

static const gchar *const header_bytes =
    "{\"artifact_type\":\"mctx-network\",\"created_at\":123.0,"
    "\"flags\":{\"experiment\":\"baseline\",\"role\":\"sender\","
    "\"transport\":\"udp-multicast\"},\"node_id\":\"sender-0001\","
    "\"producer\":\"mctx/mctx-send\",\"schema\":\"heimdall-jsonl-v1\"}";

static void
test_writer_rows(void)
{
  gchar *path = tmp_path("results/sender-0001/network.jsonl");
  JsonObject *header = network_header(path, "{\"experiment\":\"baseline\"}");
  GError *error = NULL;
  mctx_metrics now;
  mctx_metrics_delta delta;

  MctxJsonlWriter *w = mctx_jsonl_writer_open(path, header, &error);
  CHECK(w != NULL, "open failed: %s", error ? error->message : "?");
  gchar *text = read_file(path); /* parent directories were created */
  CHECK(text[0] == '\0', "the header waits for the first row, file has: %s",
        text);
  g_free(text);

  sample(&now, &delta, 123.0, 1);
  JsonObject *row = mctx_jsonl_network_row_new(&now, &delta);
  CHECK(mctx_jsonl_writer_append_row(w, row, &error), "append: %s",
        error ? error->message : "?");
  json_object_unref(row);
  sample(&now, &delta, 125.5, 2);
  row = mctx_jsonl_network_row_new(&now, &delta);
  CHECK(mctx_jsonl_writer_append_row(w, row, &error), "append: %s",
        error ? error->message : "?");
  json_object_unref(row);
  mctx_jsonl_writer_close(w);

  text = read_file(path);
  gchar **lines = g_strsplit(text, "\n", -1);
  CHECK(g_strv_length(lines) == 4 && lines[3][0] == '\0',
        "expected 3 lines each ending in a newline, got:\n%s", text);
  CHECK(strcmp(lines[0], header_bytes) == 0, "header line is\n%s\nexpected\n%s",
        lines[0], header_bytes);
  CHECK(strcmp(lines[1], row1_bytes) == 0, "row line is\n%s\nexpected\n%s",
        lines[1], row1_bytes);

  JsonParser *parser = json_parser_new();
  JsonObject *h = parse_object(parser, lines[0]);
  CHECK(json_object_get_size(h) == 6, "header has %u members",
        json_object_get_size(h));
  check_string(h, "schema", "heimdall-jsonl-v1");
  check_string(h, "artifact_type", "mctx-network");
  check_string(h, "node_id", "sender-0001");
  check_string(h, "producer", "mctx/mctx-send");
  check_double(h, "created_at", 123.0); /* the first row's ts */
  JsonObject *flags = json_object_get_object_member(h, "flags");
  check_string(flags, "transport", "udp-multicast");
  check_string(flags, "role", "sender");
  check_string(flags, "experiment", "baseline");

  JsonObject *r = parse_object(parser, lines[2]);
  CHECK(json_object_get_size(r) == 22, "row has %u members, expected 22",
        json_object_get_size(r));
  check_double(r, "ts", 125.5);
  check_double(r, "interval_secs", 2.0);
  check_int(r, "active_publications", 1);
  check_int(r, "publications_added_total", 1);
  check_int(r, "publications_added_delta", 0);
  check_int(r, "publications_removed_total", 0);
  check_int(r, "publications_removed_delta", 0);
  check_int(r, "send_calls_total", 20);
  check_int(r, "send_calls_delta", 10);
  check_int(r, "packets_sent_total", 18);
  check_int(r, "packets_sent_delta", 9);
  check_int(r, "bytes_sent_total", 1000);
  check_int(r, "bytes_sent_delta", 500);
  check_int(r, "send_errors_total", 2);
  check_int(r, "send_errors_delta", 1);
  check_int(r, "would_block_total", 2);
  check_int(r, "would_block_delta", 1);
  check_double(r, "send_calls_per_sec", 5.0);
  check_double(r, "packets_per_sec", 4.5);
  check_double(r, "bytes_per_sec", 250.0);
  check_double(r, "send_errors_per_sec", 0.5);
  check_double(r, "would_block_per_sec", 0.5);
  g_strfreev(lines);
  g_free(text);

  /* Reopening with an equal header (another created_at) appends rows and
   * never a second header. */
  json_object_set_double_member(header, "created_at", 999.0);
  w = mctx_jsonl_writer_open(path, header, &error);
  CHECK(w != NULL, "reopen failed: %s", error ? error->message : "?");
  row = mctx_jsonl_row_new(130.0, 4.5);
  mctx_jsonl_row_set_counter(row, "frames", NULL, 7, 3, 4.5);
  CHECK(mctx_jsonl_writer_append_row(w, row, &error), "append: %s",
        error ? error->message : "?");
  json_object_unref(row);
  mctx_jsonl_writer_close(w);
  text = read_file(path);
  lines = g_strsplit(text, "\n", -1);
  CHECK(g_strv_length(lines) == 5, "expected 4 lines after reopening:\n%s",
        text);
  CHECK(strstr(lines[1], "schema") == NULL &&
            strstr(lines[3], "schema") == NULL,
        "only the first line is a header:\n%s", text);
  CHECK(strcmp(lines[3], "{\"frames_delta\":3,\"frames_per_sec\":"
                         "0.6666666666666666,\"frames_total\":7,"
                         "\"interval_secs\":4.5,\"ts\":130.0}") == 0,
        "generic row is %s", lines[3]);
  g_strfreev(lines);
  g_free(text);

  g_object_unref(parser);
  json_object_unref(header);
  g_free(path);
}

static void
test_lock(void)
{
  gchar *path = tmp_path("lock/network.jsonl");
  JsonObject *header = network_header(path, NULL);
  GError *error = NULL;

  MctxJsonlWriter *first = mctx_jsonl_writer_open(path, header, &error);
  CHECK(first != NULL, "open failed: %s", error ? error->message : "?");
  CHECK(mctx_jsonl_writer_open(path, header, &error) == NULL,
        "a second writer in this process got the file");
  check_error(error, MCTX_JSONL_ERROR_LOCKED, "locked by another writer");
  g_clear_error(&error);

  pid_t child = fork();
  CHECK(child >= 0, "fork");
  if (child == 0) {
    MctxJsonlWriter *w = mctx_jsonl_writer_open(path, header, &error);
    _exit(w == NULL && error->code == MCTX_JSONL_ERROR_LOCKED ? 0 : 1);
  }
  int status;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0,
        "a writer in another process was not refused");

  mctx_jsonl_writer_close(first);
  MctxJsonlWriter *again = mctx_jsonl_writer_open(path, header, &error);
  CHECK(again != NULL, "the lock outlived its writer: %s",
        error ? error->message : "?");
  mctx_jsonl_writer_close(again);
  json_object_unref(header);
  g_free(path);
}

static void
write_one_row(const gchar *path, JsonObject *header)
{
  GError *error = NULL;
  JsonObject *row = mctx_jsonl_row_new(1.0, 0.0);
  CHECK(mctx_jsonl_append_row(path, header, row, &error), "append_row: %s",
        error ? error->message : "?");
  json_object_unref(row);
}

static void
test_incompatible_header(void)
{
  gchar *path = tmp_path("node-a/network.jsonl");
  JsonObject *header = network_header(path, "{\"run\":1}");
  write_one_row(path, header);

  JsonObject *other = json_object_ref(header);
  json_object_set_string_member(other, "node_id", "node-b");
  expect_open_refused(path, other, MCTX_JSONL_ERROR_INVALID_DATA,
                      "\"node_id\" is \"node-a\" in the file but \"node-b\"");
  json_object_set_string_member(other, "node_id", "node-a");
  json_object_set_string_member(other, "producer", "someone/else");
  expect_open_refused(path, other, MCTX_JSONL_ERROR_INVALID_DATA,
                      "\"producer\"");
  json_object_set_string_member(other, "producer",
                                MCTX_JSONL_PRODUCER_MCTX_SEND);
  json_object_unref(other);

  JsonObject *float_run = network_header(path, "{\"run\":1.0}");
  expect_open_refused(path, float_run, MCTX_JSONL_ERROR_INVALID_DATA,
                      "\"flags\" are {\"role\":\"sender\",\"run\":1,");
  json_object_unref(float_run);
  json_object_unref(header);
  g_free(path);
}

static void
test_bad_existing_files(void)
{
  gchar *path = tmp_path("bad/network.jsonl");
  JsonObject *header = network_header(path, NULL);
  gchar *good_header = NULL;

  write_one_row(path, header);
  gchar *text = read_file(path);
  good_header = g_strndup(text, strchr(text, '\n') - text);
  g_free(text);

  /* a second header */
  text = g_strdup_printf("%s\n{\"interval_secs\":0.0,\"ts\":1.0}\n\n%s\n",
                         good_header, good_header);
  write_file(path, text);
  g_free(text);
  expect_open_refused(path, header, MCTX_JSONL_ERROR_INVALID_DATA,
                      "line 4: a second header");

  /* a row with a header key */
  text = g_strdup_printf(
      "%s\n{\"flags\":{},\"interval_secs\":0.0,\"ts\":1.0}\n", good_header);
  write_file(path, text);
  g_free(text);
  expect_open_refused(path, header, MCTX_JSONL_ERROR_INVALID_DATA,
                      "line 2: invalid row: a row must not contain the header "
                      "key \"flags\"");

  /* headerless */
  write_file(path, "{\"interval_secs\":0.0,\"ts\":1.0}\n");
  expect_open_refused(path, header, MCTX_JSONL_ERROR_INVALID_DATA,
                      "line 1: the file has no heimdall-jsonl-v1 header");

  /* garbage */
  write_file(path, "\n  \nhello world\n");
  expect_open_refused(path, header, MCTX_JSONL_ERROR_INVALID_DATA,
                      "line 3: not valid JSON");
  write_file(path, "[1,2]\n");
  expect_open_refused(path, header, MCTX_JSONL_ERROR_INVALID_DATA,
                      "line 1: expected a JSON object, found an array");

  /* an invalid header in the file */
  write_file(path, "{\"schema\":\"heimdall-jsonl-v1\",\"node_id\":\"bad\"}\n");
  expect_open_refused(path, header, MCTX_JSONL_ERROR_INVALID_DATA,
                      "line 1: invalid header: member \"artifact_type\" is "
                      "missing");

  /* A valid header without its final newline: the row starts a new line. */
  write_file(path, good_header);
  write_one_row(path, header);
  text = read_file(path);
  gchar *want =
      g_strdup_printf("%s\n{\"interval_secs\":0.0,\"ts\":1.0}\n", good_header);
  CHECK(strcmp(text, want) == 0, "file is\n%s\nexpected\n%s", text, want);
  g_free(want);
  g_free(text);

  /* Rows with header keys are refused before anything is written. */
  GError *error = NULL;
  MctxJsonlWriter *w = mctx_jsonl_writer_open(path, header, &error);
  CHECK(w != NULL, "open: %s", error ? error->message : "?");
  JsonObject *row = mctx_jsonl_row_new(2.0, 1.0);
  json_object_set_string_member(row, "node_id", "x");
  CHECK(!mctx_jsonl_writer_append_row(w, row, &error), "reserved key written");
  check_error(error, MCTX_JSONL_ERROR_INVALID_INPUT, "header key \"node_id\"");
  g_clear_error(&error);
  json_object_unref(row);
  mctx_jsonl_writer_close(w);

  g_free(good_header);
  json_object_unref(header);
  g_free(path);
}

static void
test_invalid_request_touches_nothing(void)
{
  gchar *dir = tmp_path("never");
  gchar *path = g_build_filename(dir, "network.jsonl", NULL);
  JsonObject *header = network_header(path, NULL);

  json_object_set_string_member(header, "producer", "");
  expect_open_refused(path, header, MCTX_JSONL_ERROR_INVALID_INPUT,
                      "\"producer\" is blank");
  CHECK(!g_file_test(dir, G_FILE_TEST_EXISTS),
        "an invalid header still created %s", dir);
  json_object_unref(header);
  g_free(path);
  g_free(dir);
}

int
main(void)
{
  GError *error = NULL;
  tmpdir = g_dir_make_tmp("mctx-jsonl-XXXXXX", &error);
  CHECK(tmpdir != NULL, "tmpdir: %s", error ? error->message : "?");

  test_serialisation();
  test_node_id();
  test_flags_merge();
  test_header_validation();
  test_writer_rows();
  test_lock();
  test_incompatible_header();
  test_bad_existing_files();
  test_invalid_request_touches_nothing();

  testnet_sh("rm -rf '%s'", tmpdir);
  g_free(tmpdir);
  printf("PASS: jsonl\n");
  return 0;
}
