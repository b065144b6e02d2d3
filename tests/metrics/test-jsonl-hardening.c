/* libmctx-jsonl against hostile or damaged metrics files: a last line cut
 * short by a crash, paths that are not regular files, huge files and lines,
 * text that is not strict JSON, and nesting deep enough to overflow a stack.
 * (A full disk while writing is test-jsonl-full-disk.)
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "jsonl-check.h"

#include <mctx-jsonl.h>
#include <testnet.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK TESTNET_CHECK

#define ROW "{\"interval_secs\":0.0,\"ts\":1.0}"

static gchar *tmpdir;
static JsonObject *header;
static gchar *header_line;

static gchar *
tmp_path(const gchar *relative)
{
  return g_build_filename(tmpdir, relative, NULL);
}

static void
make_parent(const gchar *path)
{
  gchar *dir = g_path_get_dirname(path);
  CHECK(g_mkdir_with_parents(dir, 0755) == 0, "mkdir %s", dir);
  g_free(dir);
}

/* The header line, then line, each with its newline. */
static void
write_header_and(const gchar *path, const gchar *line)
{
  gchar *text = g_strdup_printf("%s\n%s\n", header_line, line);
  write_file(path, text);
  g_free(text);
}

/* A header with these flags is refused before anything is created. */
static void
expect_flags_refused(JsonObject *flags, const gchar *why)
{
  JsonObject *h =
      mctx_jsonl_header_new("mctx-network", "mctx/test", "node", 1.0, flags);
  gchar *path = tmp_path("never/network.jsonl");
  expect_open_refused(path, h, MCTX_JSONL_ERROR_INVALID_INPUT, why);
  CHECK(!g_file_test(path, G_FILE_TEST_EXISTS), "%s was created", path);
  g_free(path);
  json_object_unref(h);
}

static MctxJsonlWriter *
open_ok(const gchar *path)
{
  GError *error = NULL;
  MctxJsonlWriter *w = mctx_jsonl_writer_open(path, header, &error);
  CHECK(w != NULL, "open of %s: %s", path, error ? error->message : "?");
  return w;
}

static void
append_ok(MctxJsonlWriter *w, double ts)
{
  GError *error = NULL;
  JsonObject *row = mctx_jsonl_row_new(ts, 0.0);
  CHECK(mctx_jsonl_writer_append_row(w, row, &error), "append: %s",
        error ? error->message : "?");
  json_object_unref(row);
}

/* ---- point 1: a last line cut short by a crash ---------------------------- */

static void
test_partial_last_line_repaired(void)
{
  gchar *path = tmp_path("crash/network.jsonl");
  gchar *start = g_strdup_printf("%s\n" ROW "\n", header_line);
  gchar *text = g_strdup_printf("%s{\"interval_secs\":0.0,\"ts\":2", start);

  make_parent(path);
  write_file(path, text);
  MctxJsonlWriter *w = open_ok(path);
  const gchar *warning = mctx_jsonl_writer_get_warning(w);
  CHECK(warning != NULL && strstr(warning, "line 3 was cut short") != NULL &&
            strstr(warning, path) != NULL &&
            strstr(warning, "its 27 bytes were removed") != NULL,
        "warning is '%s'", warning ? warning : "(none)");
  gchar *now = read_file(path);
  CHECK(strcmp(now, start) == 0, "after the repair the file is\n%s", now);
  g_free(now);
  append_ok(w, 3.0);
  mctx_jsonl_writer_close(w);
  now = read_file(path);
  gchar *want =
      g_strdup_printf("%s{\"interval_secs\":0.0,\"ts\":3.0}\n", start);
  CHECK(strcmp(now, want) == 0, "file is\n%s\nexpected\n%s", now, want);
  g_free(want);
  g_free(now);

  /* The repaired file opens without a warning. */
  w = open_ok(path);
  CHECK(mctx_jsonl_writer_get_warning(w) == NULL, "warning on a good file: %s",
        mctx_jsonl_writer_get_warning(w));
  mctx_jsonl_writer_close(w);

  /* Only a partial header: the file starts over, header first. */
  write_file(path, "{\"artifact_type\":\"mctx-net");
  w = open_ok(path);
  CHECK(mctx_jsonl_writer_get_warning(w) != NULL, "no warning");
  append_ok(w, 1.0);
  mctx_jsonl_writer_close(w);
  now = read_file(path);
  CHECK(g_str_has_prefix(now, "{\"artifact_type\":\"mctx-network\",") &&
            g_str_has_suffix(now, "\n" ROW "\n"),
        "file is\n%s", now);
  g_free(now);

  /* A cut inside a UTF-8 character and inside an escape are cut short too. */
  static const char *const tails[] = {"{\"interval_secs\":0.0,\"n\":\"\xc3",
                                      "{\"n\":\"\\u00",
                                      "{\"ts\":1.",
                                      "[tru",
                                      "{\"ts\":-",
                                      "  {"};
  for (guint i = 0; i < G_N_ELEMENTS(tails); i++) {
    gchar *cut = g_strdup_printf("%s%s", start, tails[i]);
    write_file(path, cut);
    w = open_ok(path);
    CHECK(mctx_jsonl_writer_get_warning(w) != NULL, "no warning for %s",
          tails[i]);
    mctx_jsonl_writer_close(w);
    now = read_file(path);
    CHECK(strcmp(now, start) == 0, "tail %s left\n%s", tails[i], now);
    g_free(now);
    g_free(cut);
  }

  /* An unterminated last line that is not a cut-short row is refused, and
   * the file stays as it was. */
  gchar *bad = g_strdup_printf("%sgarbage", start);
  write_file(path, bad);
  expect_open_refused(path, header, MCTX_JSONL_ERROR_INVALID_DATA,
                      "line 3: not valid JSON");
  g_free(bad);
  bad = g_strdup_printf("%s{\"interval_secs\":0.0}", start);
  write_file(path, bad);
  expect_open_refused(path, header, MCTX_JSONL_ERROR_INVALID_DATA,
                      "line 3: invalid row: member \"ts\" is missing");
  g_free(bad);

  g_free(text);
  g_free(start);
  g_free(path);
}

/* ---- point 2: only regular files ------------------------------------------ */

static void
test_not_regular_files(void)
{
  gchar *fifo = tmp_path("a-fifo");
  gchar *dir = tmp_path("a-directory");
  gchar *link = tmp_path("link-to-dev-zero");
  CHECK(mkfifo(fifo, 0644) == 0, "mkfifo %s", fifo);
  CHECK(g_mkdir_with_parents(dir, 0755) == 0, "mkdir %s", dir);
  CHECK(symlink("/dev/zero", link) == 0, "symlink %s", link);

  static const struct {
    const char *path, *kind;
  } devices[] = {
      {"/dev/zero", "a character device"},
      {"/dev/full", "a character device"},
      {"/dev/null", "a character device"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(devices); i++) {
    gchar *want = g_strdup_printf("'%s' is %s; a metrics file must be a "
                                  "regular file",
                                  devices[i].path, devices[i].kind);
    expect_open_refused(devices[i].path, header, MCTX_JSONL_ERROR_INVALID_INPUT,
                        want);
    g_free(want);
  }
  gchar *want = g_strdup_printf("'%s' is a FIFO", fifo);
  expect_open_refused(fifo, header, MCTX_JSONL_ERROR_INVALID_INPUT, want);
  g_free(want);
  want = g_strdup_printf("'%s' is a directory", dir);
  expect_open_refused(dir, header, MCTX_JSONL_ERROR_INVALID_INPUT, want);
  g_free(want);
  want = g_strdup_printf("'%s' is a character device", link);
  expect_open_refused(link, header, MCTX_JSONL_ERROR_INVALID_INPUT, want);
  g_free(want);

  g_free(link);
  g_free(dir);
  g_free(fifo);
}

/* ---- point 3: bounded memory and line length ------------------------------ */

static long
max_rss_kib(void)
{
  struct rusage usage;
  CHECK(getrusage(RUSAGE_SELF, &usage) == 0, "getrusage");
  return usage.ru_maxrss;
}

/* Appends `count` rows of about 8 KiB each with one write per row. */
static void
write_big_rows(int fd, guint count)
{
  gchar pad[8000];
  memset(pad, 'x', sizeof pad - 1);
  pad[sizeof pad - 1] = '\0';
  for (guint i = 0; i < count; i++) {
    gchar *line = g_strdup_printf("{\"interval_secs\":1.0,\"pad\":\"%s\","
                                  "\"ts\":%u.0}\n",
                                  pad, i);
    gsize len = strlen(line);
    CHECK(write(fd, line, len) == (ssize_t) len, "write");
    g_free(line);
  }
}

static void
test_big_file_bounded_memory(void)
{
  gchar *path = tmp_path("big/network.jsonl");
  const guint rows = 6400; /* about 50 MB */

  make_parent(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0, "create %s", path);
  gchar *first = g_strdup_printf("%s\n", header_line);
  CHECK(write(fd, first, strlen(first)) == (ssize_t) strlen(first), "write");
  g_free(first);
  write_big_rows(fd, rows);
  struct stat st;
  CHECK(fstat(fd, &st) == 0 && st.st_size > 50 * 1000 * 1000, "file size");
  close(fd);

  long before = max_rss_kib();
  MctxJsonlWriter *w = open_ok(path);
  long grown = max_rss_kib() - before;
  mctx_jsonl_writer_close(w);
  /* The whole file held in memory would be 50 MB and more. */
  CHECK(grown < 16 * 1024,
        "checking a %lld-byte file grew the peak RSS by "
        "%ld KiB",
        (long long) st.st_size, grown);
  unlink(path);
  g_free(path);
}

/* A row line of exactly len bytes (len >= 40). */
static gchar *
row_of_length(gsize len)
{
  const gsize frame = strlen("{\"interval_secs\":0.0,\"pad\":\"\",\"ts\":1.0}");
  gchar *pad = g_strnfill(len - frame, 'y');
  gchar *line = g_strdup_printf("{\"interval_secs\":0.0,\"pad\":\"%s\","
                                "\"ts\":1.0}",
                                pad);
  CHECK(strlen(line) == len, "row_of_length");
  g_free(pad);
  return line;
}

static void
test_line_length_limit(void)
{
  gchar *path = tmp_path("long/network.jsonl");
  make_parent(path);

  gchar *longest = row_of_length(MCTX_JSONL_MAX_LINE_BYTES);
  gchar *text = g_strdup_printf("%s\n%s\n" ROW "\n", header_line, longest);
  write_file(path, text);
  mctx_jsonl_writer_close(open_ok(path));
  g_free(text);
  g_free(longest);

  gchar *too_long = row_of_length(MCTX_JSONL_MAX_LINE_BYTES + 1);
  text = g_strdup_printf("%s\n" ROW "\n%s\n" ROW "\n", header_line, too_long);
  write_file(path, text);
  expect_open_refused(path, header, MCTX_JSONL_ERROR_INVALID_DATA,
                      "line 3: longer than 65536 bytes, the most a line may "
                      "hold");
  g_free(text);
  g_free(too_long);

  /* A 3 MB line without a newline is not taken for a cut-short row. */
  gchar *huge = g_strnfill(3 * 1024 * 1024, '[');
  text = g_strdup_printf("%s\n%s", header_line, huge);
  write_file(path, text);
  expect_open_refused(path, header, MCTX_JSONL_ERROR_INVALID_DATA,
                      "line 2: longer than 65536 bytes");
  g_free(text);
  g_free(huge);

  /* The writer never writes a line the check would refuse. */
  write_file(path, "");
  MctxJsonlWriter *w = open_ok(path);
  JsonObject *row = mctx_jsonl_row_new(1.0, 0.0);
  gchar *pad = g_strnfill(MCTX_JSONL_MAX_LINE_BYTES, 'z');
  json_object_set_string_member(row, "pad", pad);
  GError *error = NULL;
  CHECK(!mctx_jsonl_writer_append_row(w, row, &error), "a long row written");
  check_error(error, MCTX_JSONL_ERROR_INVALID_INPUT,
              "the row line would be "
              "65575 bytes long, more than the 65536 a line may hold");
  g_clear_error(&error);
  gchar *now = read_file(path);
  CHECK(now[0] == '\0', "a refused row left\n%s", now);
  g_free(now);
  append_ok(w, 1.0);
  CHECK(!mctx_jsonl_writer_append_row(w, row, &error), "a long row written");
  check_error(error, MCTX_JSONL_ERROR_INVALID_INPUT, "the row line would be");
  g_clear_error(&error);
  mctx_jsonl_writer_close(w);
  json_object_unref(row);

  /* Flags too large for a header line are refused at open. */
  JsonObject *flags = json_object_new();
  json_object_set_string_member(flags, "pad", pad);
  expect_flags_refused(flags, "more than the 65536 a line may hold (are the "
                              "flags that large?)");
  json_object_unref(flags);
  g_free(pad);
  g_free(path);
}

/* ---- point 4: strict RFC 8259 --------------------------------------------- */

typedef struct {
  const char *line;
  gsize len; /* 0: strlen(line) */
  const char *why;
} bad_line;

#define R_ "{\"interval_secs\":0.0,\"ts\":1.0"

static const bad_line bad_lines[] = {
    {R_ "}\0\0\0\0", sizeof R_ "}\0\0\0\0" - 1,
     "a NUL byte after the JSON "
     "value at byte 31"},
    {"\0\0\0\0", 4, "a NUL byte at byte 1"},
    {R_ ",\"n\":\"a\0b\"}", sizeof R_ ",\"n\":\"a\0b\"}" - 1,
     "a NUL byte in a string at byte 37"},
    {"// a comment", 0, "comments are not JSON"},
    {R_ "} // a comment", 0, "text after the JSON value"},
    {R_ ",/* c */\"a\":1}", 0,
     "a member name that is not a double-quoted "
     "string"},
    {"# comment", 0, "comments are not JSON"},
    {"{'interval_secs':0.0,'ts':1.0}", 0, "single-quoted member name"},
    {R_ ",\"n\":'x'}", 0, "a single quote"},
    {R_ ",\"n\":0x1F}", 0, "a hex number (not JSON)"},
    {R_ ",\"n\":-0X1}", 0, "a hex number"},
    {R_ "}" R_ "}", 0, "text after the JSON value (one value per line)"},
    {R_ "} x", 0, "text after the JSON value"},
    {R_ ",}", 0, "a trailing ',' in an object"},
    {R_ ",\"a\":[1,]}", 0, "a trailing ',' in an array"},
    {R_ ",\"a\":[1,,2]}", 0, "a ','"},
    {R_ ",\"n\":01}", 0, "a leading zero"},
    {R_ ",\"n\":NaN}", 0, "an unexpected character"},
    {R_ ",\"n\":Infinity}", 0, "an unexpected character"},
    {R_ ",\"n\":+1}", 0, "an unexpected character"},
    {R_ ",\"n\":.5}", 0, "an unexpected character"},
    {R_ ",\"n\":1.e3}", 0, "without digits after its '.'"},
    {R_ ",\"n\":1e}", 0, "without digits in its exponent"},
    {R_ ",\"n\":-}", 0, "a '-' without digits"},
    {R_ ",\"n\":tru}", 0, "not true, false or null"},
    {R_ ",\"n\":True}", 0, "an unexpected character"},
    {R_ ",\"n\":\"a\tb\"}", 0, "a control character in a string"},
    {R_ ",\"n\":\"\\x41\"}", 0, "an unknown escape"},
    {R_ ",\"n\":\"\\u12G4\"}", 0, "without four hex digits"},
    /* Lone surrogates: serde_json refuses them, json-glib mangles them. */
    {R_ ",\"n\":\"\\uD834x\"}", 0, "an unpaired UTF-16 surrogate"},
    {R_ ",\"n\":\"\\uDD1E\"}", 0, "an unpaired UTF-16 surrogate"},
    {R_ ",\"n\":\"\\uD834\\u0041\"}", 0, "an unpaired UTF-16 surrogate"},
    {R_ ",\"\\uDbafy\":1}", 0, "an unpaired UTF-16 surrogate"},
    {R_ ",\"n\":\"\xff\"}", 0, "a byte that is not UTF-8"},
    {R_ ",\"n\":\"\xc0\xaf\"}", 0, "a byte that is not UTF-8"}, /* overlong */
    {R_ ",\"n\":\"\xed\xa0\x80\"}", 0,
     "a byte that is not UTF-8"}, /* surrogate */
    {R_ ",\"n\":\"\xf4\x90\x80\x80\"}", 0, "a byte that is not UTF-8"},
    {R_ ",\"n\":\xc3\xa9}", 0, "a non-ASCII byte outside a string"},
    {"\xef\xbb\xbf" R_ "}", 0, "a non-ASCII byte outside a string at byte 1"},
    {"{interval_secs:0.0,ts:1.0}", 0,
     "a member name that is not a "
     "double-quoted string"},
    {R_ ",\"a\" 1}", 0, "a member name without ':'"},
    {R_ ",\"a\":[1}", 0, "a closing bracket that does not match"},
    {R_ ",\"a\":{\"b\":1]}", 0, "a closing bracket that does not match"},
    {R_ " \"a\":1}", 0, "a missing ',' or closing bracket"},
    {"\f" R_ "}", 0, "a control character"},
    {"}", 0, "a closing bracket"},
};

static const char *const good_lines[] = {
    R_ "}",
    "  " R_ "}  \r",
    "{ \"interval_secs\" : 0.0 ,\t\"ts\" : 1 }",
    R_ ",\"a\":[1,-0,0.5e+3,1E-2,-12.75e0,true,false,null,{},[]]}",
    R_ ",\"s\":\"\\u00e9\\n\\\"\\/\\\\\\b\\f\\r\\t \xc3\xa9 \xf0\x9d\x84\x9e "
       "\xe2\x82\xac\"}",
    R_ ",\"\":{\"\":\"\"}}",
    R_ ",\"clef\":\"\\uD834\\uDD1E\",\"\\udbff\\udfff\":0}",
};

static void
test_strict_json(void)
{
  gchar *path = tmp_path("strict/network.jsonl");
  make_parent(path);

  for (guint i = 0; i < G_N_ELEMENTS(bad_lines); i++) {
    const bad_line *b = &bad_lines[i];
    gsize len = b->len ? b->len : strlen(b->line);
    GString *text = g_string_new(header_line);
    g_string_append_c(text, '\n');
    g_string_append_len(text, b->line, (gssize) len);
    g_string_append(text, "\n" ROW "\n");
    write_bytes(path, text->str, text->len);
    GError *error = NULL;
    CHECK(mctx_jsonl_writer_open(path, header, &error) == NULL,
          "bad line %u accepted", i);
    check_error(error, MCTX_JSONL_ERROR_INVALID_DATA,
                "line 2: not valid JSON: ");
    CHECK(strstr(error->message, b->why) != NULL,
          "bad line %u: '%s' does not say '%s'", i, error->message, b->why);
    g_error_free(error);
    g_string_free(text, TRUE);
  }
  for (guint i = 0; i < G_N_ELEMENTS(good_lines); i++) {
    write_header_and(path, good_lines[i]);
    GError *error = NULL;
    MctxJsonlWriter *w = mctx_jsonl_writer_open(path, header, &error);
    CHECK(w != NULL, "good line %s refused: %s", good_lines[i],
          error ? error->message : "?");
    mctx_jsonl_writer_close(w);
  }

  /* The same strictness for flags: they end up in the header line. */
  static const char *const bad_flags[] = {
      "{'a':1}",    "{\"a\":0x10}", "{\"a\":1} // x", "{\"a\":1}{\"b\":2}",
      "{\"a\":1,}",
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad_flags); i++) {
    GError *error = NULL;
    CHECK(mctx_jsonl_flags_merge(NULL, bad_flags[i], &error) == NULL,
          "flags %s accepted", bad_flags[i]);
    check_error(error, MCTX_JSONL_ERROR_INVALID_INPUT,
                "flags are not valid JSON: ");
    g_error_free(error);
  }
  g_free(path);
}

/* Member names that are not UTF-8 (json-glib takes any bytes) are printed
 * made valid, and sorted as printed; two that print alike do not make a
 * duplicate name. Found by fuzz-jsonl-flags. */
static void
test_names_not_utf8(void)
{
  JsonObject *o = json_object_new();
  json_object_set_int_member(o,
                             "a\xef\xbf\xbd"
                             "c",
                             2);
  json_object_set_int_member(o,
                             "a\xff"
                             "b",
                             1);
  json_object_set_int_member(o, "\xff", 3);
  json_object_set_int_member(o, "\xef\xbf\xbd", 4);
  gchar *line = mctx_jsonl_to_string(o);
  const gchar *want = "{\"a\xef\xbf\xbd"
                      "b\":1,\"a\xef\xbf\xbd"
                      "c\":2,"
                      "\"\xef\xbf\xbd\":";
  CHECK(g_str_has_prefix(line, want) && strlen(line) == strlen(want) + 2,
        "printed as %s", line);
  g_free(line);
  json_object_unref(o);
}

/* ---- point 5: nesting depth ----------------------------------------------- */

/* {"interval_secs":0.0,"ts":1.0,"deep":[[...]]} nested `depth` deep, the
 * row's own object included. */
static gchar *
deep_row(guint depth)
{
  return nested_arrays(R_ ",\"deep\":", depth - 1, "}");
}

/* The same built with json-glib: arrays nested `depth` deep in a row. */
static JsonObject *
deep_row_object(guint depth)
{
  JsonArray *inner = json_array_new();
  for (guint i = 2; i < depth; i++) {
    JsonArray *outer = json_array_new();
    json_array_add_array_element(outer, inner);
    inner = outer;
  }
  JsonObject *row = mctx_jsonl_row_new(1.0, 0.0);
  json_object_set_array_member(row, "deep", inner);
  return row;
}

static void
test_nesting_depth(void)
{
  gchar *path = tmp_path("deep/network.jsonl");
  make_parent(path);

  /* An existing row 32,000 deep (as deep as fits in a line): an error
   * naming the line, no crash. 100,000 deep is a line too long. */
  static const struct {
    guint depth;
    const char *why;
  } refused[] = {
      {32000, "line 2: objects and arrays nested deeper than 64 levels (at "
              "byte 101)"},
      {100000, "line 2: longer than 65536 bytes"},
      {65, "line 2: objects and arrays nested deeper than 64"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(refused); i++) {
    gchar *row = deep_row(refused[i].depth);
    write_header_and(path, row);
    expect_open_refused(path, header, MCTX_JSONL_ERROR_INVALID_DATA,
                        refused[i].why);
    g_free(row);
  }
  gchar *row = deep_row(64);
  write_header_and(path, row);
  mctx_jsonl_writer_close(open_ok(path));
  g_free(row);

  /* metrics-flags / MCTX_METRICS_FLAGS_JSON nested 60,000 deep. */
  gchar *flags = nested_arrays("{\"a\":", 60000, "}");
  GError *error = NULL;
  CHECK(mctx_jsonl_flags_merge(NULL, flags, &error) == NULL,
        "deep flags accepted");
  check_error(error, MCTX_JSONL_ERROR_INVALID_INPUT,
              "flags have objects and arrays nested deeper than 63 levels "
              "(at byte 68): a header line nests at most 64, itself included");
  CHECK(strlen(error->message) < 1000, "the error repeats the flags");
  g_clear_error(&error);
  g_free(flags);

  /* The writer: rows and flags built in code are held to the same depth,
   * before anything is written. 2,000 levels: json-glib frees recursively. */
  write_file(path, "");
  MctxJsonlWriter *w = open_ok(path);
  JsonObject *deep = deep_row_object(2000);
  CHECK(!mctx_jsonl_writer_append_row(w, deep, &error), "deep row written");
  check_error(error, MCTX_JSONL_ERROR_INVALID_INPUT,
              "it nests objects and arrays deeper than 64 levels");
  g_clear_error(&error);
  gchar *printed = mctx_jsonl_to_string(deep);
  CHECK(strlen(printed) < 200 && strstr(printed, "null") != NULL,
        "to_string of a deep row: %s", printed);
  g_free(printed);
  json_object_unref(deep);
  deep = deep_row_object(64);
  CHECK(mctx_jsonl_writer_append_row(w, deep, &error), "64 deep: %s",
        error ? error->message : "?");
  json_object_unref(deep);
  mctx_jsonl_writer_close(w);
  mctx_jsonl_writer_close(open_ok(path)); /* and it reads back */

  JsonObject *deep_flags = deep_row_object(2000);
  expect_flags_refused(deep_flags, "\"flags\" nest objects and arrays deeper "
                                   "than 64 levels");
  json_object_unref(deep_flags);
  g_free(path);
}

/* Under AddressSanitizer freed memory waits in a quarantine (256 MB by
 * default) that test_big_file_bounded_memory would count as RSS. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
  return "quarantine_size_mb=1";
}

static const struct {
  const char *name;
  void (*run)(void);
} tests[] = {
    /* first: the peak RSS is still low */
    {"big-file-bounded-memory", test_big_file_bounded_memory},
    {"partial-last-line-repaired", test_partial_last_line_repaired},
    {"not-regular-files", test_not_regular_files},
    {"line-length-limit", test_line_length_limit},
    {"strict-json", test_strict_json},
    {"names-not-utf8", test_names_not_utf8},
    {"nesting-depth", test_nesting_depth},
};

/* With an argument, runs only the test of that name. */
int
main(int argc, char **argv)
{
  GError *error = NULL;
  tmpdir = g_dir_make_tmp("mctx-jsonl-hard-XXXXXX", &error);
  CHECK(tmpdir != NULL, "tmpdir: %s", error ? error->message : "?");
  /* A check that never returns (reading /dev/zero) fails instead of
   * hanging the suite. */
  alarm(60);

  header =
      mctx_jsonl_header_new("mctx-network", "mctx/test", "node", 1.0, NULL);
  header_line = mctx_jsonl_to_string(header);

  for (guint i = 0; i < G_N_ELEMENTS(tests); i++)
    if (argc < 2 || strcmp(argv[1], tests[i].name) == 0)
      tests[i].run();

  g_free(header_line);
  json_object_unref(header);
  testnet_sh("rm -rf '%s'", tmpdir);
  g_free(tmpdir);
  printf("PASS: jsonl-hardening\n");
  return 0;
}
