/* mctx-send's MCTX_METRICS_* variables, run as a user would: the built
 * mctx-send binary (argv[1]) sending on loopback in a private network
 * namespace, its output and its JSONL file checked.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "jsonl-check.h"

#include <mctx-jsonl.h>
#include <testnet.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHECK TESTNET_CHECK

#define GROUP "239.1.78.1"
#define PORT "47801"
#define RUN_TIMEOUT_MS 20000

static const char *mctx_send;
static gchar *tmpdir;

typedef struct run {
  int status; /* exit status, 128+signal */
  gchar *out;
  gchar *err;
} run;

static void
run_clear(run *r)
{
  g_free(r->out);
  g_free(r->err);
}

static gchar *
slurp(const gchar *path)
{
  gchar *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL))
    text = g_strdup("");
  return text;
}

/* Runs mctx-send with `env` ("NAME=value" strings, NULL-terminated; every
 * other MCTX_METRICS_* variable unset) and `args` after the program name. */
static void
run_send(const char *const *env, const char *const *args, run *r)
{
  gchar *out_path = g_build_filename(tmpdir, "stdout", NULL);
  gchar *err_path = g_build_filename(tmpdir, "stderr", NULL);
  const char *argv[32] = {mctx_send};
  int argc = 1;

  for (; args[argc - 1] != NULL; argc++) {
    CHECK(argc < 31, "too many arguments");
    argv[argc] = args[argc - 1];
  }
  argv[argc] = NULL;

  pid_t pid = fork();
  CHECK(pid >= 0, "fork");
  if (pid == 0) {
    unsetenv("MCTX_METRICS_SUMMARY_SECS");
    unsetenv("MCTX_METRICS_SUMMARY_FILE");
    unsetenv("MCTX_METRICS_NODE_ID");
    unsetenv("MCTX_METRICS_FLAGS_JSON");
    for (const char *const *e = env; e && *e; e++)
      putenv((char *) *e);
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
        dup2(err, 2) < 0)
      _exit(126);
    execv(mctx_send, (char *const *) argv);
    _exit(127);
  }

  int status = 0;
  for (int waited = 0;; waited += 10) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    CHECK(done >= 0, "waitpid");
    if (done == pid)
      break;
    if (waited >= RUN_TIMEOUT_MS) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    struct timespec ten_ms = {0, 10 * 1000 * 1000};
    nanosleep(&ten_ms, NULL);
  }
  r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r->out = slurp(out_path);
  r->err = slurp(err_path);
  g_free(out_path);
  g_free(err_path);
}

#define SEND_ARGS(count, interval, ...)                                        \
  ((const char *const[]){GROUP, PORT, "hello", count, interval, "--interface", \
                         "127.0.0.1", "--quiet", __VA_ARGS__, NULL})
#define ENV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void
expect_ok(const run *r, const char *what)
{
  CHECK(r->status == 0, "%s: exit %d\nstdout:\n%s\nstderr:\n%s", what,
        r->status, r->out, r->err);
}

static void
expect_refused(const run *r, const char *needle, const char *what)
{
  CHECK(r->status == 1, "%s: exit %d, expected 1\nstderr:\n%s", what, r->status,
        r->err);
  CHECK(strstr(r->err, needle) != NULL, "%s: stderr does not say '%s':\n%s",
        what, needle, r->err);
}

/* The value printed for `label` in the last [metrics] block, or -1. */
static double
last_block_value(const char *out, const char *label)
{
  const char *block = NULL;
  for (const char *p = out; (p = strstr(p, "[metrics]\n")) != NULL; p++)
    block = p;
  if (block == NULL)
    return -1;
  gchar *key = g_strdup_printf("\n  %s: ", label);
  const char *at = strstr(block, key);
  double v = at ? g_ascii_strtod(at + strlen(key), NULL) : -1;
  g_free(key);
  return v;
}

static int
count(const char *text, const char *needle)
{
  int n = 0;
  for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
    n++;
  return n;
}

static void
test_stdout_summary(void)
{
  run r;

  run_send(ENV("MCTX_METRICS_SUMMARY_SECS= 7 "), SEND_ARGS("3", "0", NULL), &r);
  expect_ok(&r, "SUMMARY_SECS=' 7 '");
  CHECK(count(r.out, "[metrics]\n") >= 1, "no [metrics] block:\n%s", r.out);
  CHECK(last_block_value(r.out, "send_calls_total") == 3 &&
            last_block_value(r.out, "packets_sent_total") == 3 &&
            last_block_value(r.out, "bytes_sent_total") == 15 &&
            last_block_value(r.out, "send_errors_total") == 0 &&
            last_block_value(r.out, "active_publications") == 1 &&
            last_block_value(r.out, "publications_added_total") == 1 &&
            last_block_value(r.out, "publications_added_delta") == 0,
        "final block has wrong counts:\n%s", r.out);
  static const char *const labels[] = {
      "interval_secs",
      "active_publications",
      "publications_added_total",
      "publications_added_delta",
      "publications_removed_total",
      "publications_removed_delta",
      "send_calls_total",
      "send_calls_delta",
      "packets_sent_total",
      "packets_sent_delta",
      "bytes_sent_total",
      "bytes_sent_delta",
      "send_errors_total",
      "send_errors_delta",
      "send_calls_per_sec",
      "packets_per_sec",
      "bytes_per_sec",
      "send_errors_per_sec",
      "would_block_total",
      "would_block_delta",
      "would_block_per_sec",
  };
  for (unsigned i = 0; i < G_N_ELEMENTS(labels); i++)
    CHECK(last_block_value(r.out, labels[i]) >= 0, "label %s missing:\n%s",
          labels[i], r.out);
  /* Floats with three decimals. */
  const char *iv = strstr(r.out, "  interval_secs: ");
  CHECK(iv && strchr(iv, '.') && strchr(iv, '.') - iv < 40 &&
            g_ascii_isdigit(strchr(iv, '.')[3]) && strchr(iv, '.')[4] == '\n',
        "interval_secs not printed with 3 decimals:\n%s", r.out);
  run_clear(&r);

  /* Sends at 0, 0.6, 1.2 and 1.8 s with a 1 s period: the check after the
   * third send is past the deadline, so a periodic block comes before the
   * final one; the deltas add up to the sends. */
  run_send(ENV("MCTX_METRICS_SUMMARY_SECS=1"), SEND_ARGS("4", "600", NULL), &r);
  expect_ok(&r, "periodic summaries");
  int blocks = count(r.out, "[metrics]\n");
  CHECK(blocks >= 2, "expected a periodic and a final block:\n%s", r.out);
  int calls = 0;
  for (const char *p = r.out; (p = strstr(p, "  send_calls_delta: ")) != NULL;
       p++)
    calls += atoi(p + strlen("  send_calls_delta: "));
  CHECK(calls == 4, "send_calls_delta adds up to %d, expected 4:\n%s", calls,
        r.out);
  run_clear(&r);

  /* Off: unset, empty, 0; FLAGS_JSON without a file is not even read. */
  static const char *const off[] = {
      "MCTX_METRICS_SUMMARY_SECS=",
      "MCTX_METRICS_SUMMARY_SECS=0",
      "MCTX_METRICS_SUMMARY_FILE=   ",
      "MCTX_METRICS_FLAGS_JSON=[not json",
  };
  for (unsigned i = 0; i < G_N_ELEMENTS(off); i++) {
    run_send(ENV(off[i]), SEND_ARGS("1", "0", NULL), &r);
    expect_ok(&r, off[i]);
    CHECK(strstr(r.out, "[metrics]") == NULL, "%s printed metrics:\n%s", off[i],
          r.out);
    run_clear(&r);
  }
}

static void
test_bad_summary_secs(void)
{
  static const char *const bad[] = {"1.5", "abc", "-1",
                                    "1e3", "5s",  "99999999999999999999"};
  run r;
  for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
    gchar *var = g_strdup_printf("MCTX_METRICS_SUMMARY_SECS=%s", bad[i]);
    run_send(ENV(var), SEND_ARGS("1", "0", NULL), &r);
    expect_refused(&r, "MCTX_METRICS_SUMMARY_SECS", var);
    CHECK(strstr(r.err, bad[i]) != NULL, "the message does not quote '%s':\n%s",
          bad[i], r.err);
    run_clear(&r);
    g_free(var);
  }
}

static gchar **
file_lines(const gchar *path, guint want)
{
  gchar *text = slurp(path);
  gchar **lines = g_strsplit(text, "\n", -1);
  CHECK(g_strv_length(lines) == want + 1 && lines[want][0] == '\0',
        "%s: expected %u lines, got:\n%s", path, want, text);
  g_free(text);
  return lines;
}

static JsonObject *
parse(JsonParser *parser, const gchar *line)
{
  CHECK(json_parser_load_from_data(parser, line, -1, NULL), "bad JSON: %s",
        line);
  return json_node_get_object(json_parser_get_root(parser));
}

static void
test_file(void)
{
  gchar *path =
      g_build_filename(tmpdir, "results", "sender-0001", "network.jsonl", NULL);
  gchar *file_var = g_strdup_printf("MCTX_METRICS_SUMMARY_FILE=%s", path);
  JsonParser *parser = json_parser_new();
  run r;

  run_send(ENV(file_var, "MCTX_METRICS_FLAGS_JSON={\"experiment\":\"baseline\","
                         "\"role\":\"hacker\"}"),
           SEND_ARGS("3", "0", "--source-port", "40000"), &r);
  expect_ok(&r, "SUMMARY_FILE");
  CHECK(strstr(r.out, "[metrics]") == NULL, "a file run also printed:\n%s",
        r.out);
  run_clear(&r);

  gchar **lines = file_lines(path, 2);
  JsonObject *h = parse(parser, lines[0]);
  CHECK(strcmp(json_object_get_string_member(h, "node_id"), "sender-0001") == 0,
        "node_id from the parent directory: %s", lines[0]);
  CHECK(strcmp(json_object_get_string_member(h, "producer"),
               "mctx/mctx-send") == 0,
        "producer: %s", lines[0]);
  CHECK(strcmp(json_object_get_string_member(h, "artifact_type"),
               "mctx-network") == 0,
        "artifact_type: %s", lines[0]);
  gchar *flags =
      mctx_jsonl_to_string(json_object_get_object_member(h, "flags"));
  const char *want_flags =
      "{\"batch_send_enabled\":false,\"chunk_payload_bytes\":5,"
      "\"experiment\":\"baseline\",\"loopback_enabled\":true,"
      "\"multicast_group\":\"239.1.78.1\",\"multicast_interface\":"
      "\"127.0.0.1\",\"multicast_port\":47801,\"multicast_source\":"
      "\"default\",\"multicast_source_port\":40000,\"pacing\":\"none\","
      "\"publish_interval_ms\":0,\"role\":\"sender\",\"transport\":"
      "\"udp-multicast\",\"ttl_or_hops\":1}";
  CHECK(strcmp(flags, want_flags) == 0, "flags are\n%s\nexpected\n%s", flags,
        want_flags);
  CHECK(strstr(lines[0], want_flags) != NULL, "flags not written as sorted");
  g_free(flags);
  double created_at = json_object_get_double_member(h, "created_at");

  JsonObject *row = parse(parser, lines[1]);
  CHECK(json_object_get_double_member(row, "ts") == created_at,
        "created_at is not the first row's ts:\n%s\n%s", lines[0], lines[1]);
  CHECK(json_object_get_int_member(row, "send_calls_total") == 3 &&
            json_object_get_int_member(row, "packets_sent_delta") == 3 &&
            json_object_get_int_member(row, "bytes_sent_total") == 15 &&
            json_object_get_int_member(row, "publications_added_total") == 1 &&
            json_object_get_int_member(row, "publications_added_delta") == 0 &&
            json_object_get_int_member(row, "active_publications") == 1,
        "final row counts: %s", lines[1]);
  CHECK(json_object_get_size(row) == 22, "row has %u fields: %s",
        json_object_get_size(row), lines[1]);
  g_strfreev(lines);

  /* A second run appends a row under the same header. */
  run_send(
      ENV(file_var, "MCTX_METRICS_FLAGS_JSON={\"experiment\":\"baseline\"}"),
      SEND_ARGS("2", "0", "--source-port", "40000"), &r);
  expect_ok(&r, "second run");
  run_clear(&r);
  lines = file_lines(path, 3);
  CHECK(strstr(lines[2], "\"send_calls_total\":2,") != NULL,
        "second run's row: %s", lines[2]);
  g_strfreev(lines);

  /* Other flags, another node id: the file belongs to another run. */
  run_send(ENV(file_var, "MCTX_METRICS_FLAGS_JSON={\"experiment\":\"other\"}"),
           SEND_ARGS("1", "0", "--source-port", "40000"), &r);
  expect_refused(&r, "\"flags\" are", "changed flags");
  CHECK(strstr(r.err, "MCTX_METRICS_SUMMARY_FILE") != NULL,
        "the message does not name the variable:\n%s", r.err);
  run_clear(&r);
  run_send(ENV(file_var, "MCTX_METRICS_NODE_ID=node-x",
               "MCTX_METRICS_FLAGS_JSON={\"experiment\":\"baseline\"}"),
           SEND_ARGS("1", "0", "--source-port", "40000"), &r);
  expect_refused(&r,
                 "\"node_id\" is \"sender-0001\" in the file but "
                 "\"node-x\"",
                 "changed node id");
  run_clear(&r);
  lines = file_lines(path, 3); /* untouched */
  g_strfreev(lines);

  /* A held lock. */
  JsonObject *header =
      mctx_jsonl_header_new("mctx-network", "x", "y", 1.0, NULL);
  gchar *locked_path = g_build_filename(tmpdir, "locked", "net.jsonl", NULL);
  MctxJsonlWriter *holder = mctx_jsonl_writer_open(locked_path, header, NULL);
  CHECK(holder != NULL, "cannot open %s", locked_path);
  gchar *locked_var =
      g_strdup_printf("MCTX_METRICS_SUMMARY_FILE=%s", locked_path);
  run_send(ENV(locked_var), SEND_ARGS("1", "0", NULL), &r);
  expect_refused(&r, "locked by another writer", "held lock");
  run_clear(&r);
  mctx_jsonl_writer_close(holder);
  json_object_unref(header);
  g_free(locked_var);
  g_free(locked_path);

  g_object_unref(parser);
  g_free(file_var);
  g_free(path);
}

static void
test_node_id_and_flags(void)
{
  gchar *path = g_build_filename(tmpdir, "run.jsonl", NULL);
  gchar *file_var = g_strdup_printf("MCTX_METRICS_SUMMARY_FILE=%s", path);
  JsonParser *parser = json_parser_new();
  run r;

  /* tmpdir's own name would be the parent: the variable wins, trimmed. */
  run_send(ENV(file_var, "MCTX_METRICS_NODE_ID=  node-x  ",
               "MCTX_METRICS_SUMMARY_SECS=0"),
           SEND_ARGS("1", "0", NULL), &r);
  expect_ok(&r, "NODE_ID");
  run_clear(&r);
  gchar **lines = file_lines(path, 2);
  JsonObject *h = parse(parser, lines[0]);
  CHECK(strcmp(json_object_get_string_member(h, "node_id"), "node-x") == 0,
        "node_id: %s", lines[0]);
  g_strfreev(lines);

  static const struct {
    const char *json, *needle;
  } bad[] = {
      {"[1,2]", "must be a JSON object, not an array"},
      {"42", "must be a JSON object, not a number"},
      {"{\"a\":", "not valid JSON"},
  };
  gchar *other = g_build_filename(tmpdir, "other", "n.jsonl", NULL);
  gchar *other_var = g_strdup_printf("MCTX_METRICS_SUMMARY_FILE=%s", other);
  for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
    gchar *var = g_strdup_printf("MCTX_METRICS_FLAGS_JSON=%s", bad[i].json);
    run_send(ENV(other_var, var), SEND_ARGS("1", "0", NULL), &r);
    expect_refused(&r, bad[i].needle, var);
    CHECK(strstr(r.err, "MCTX_METRICS_FLAGS_JSON") != NULL,
          "the message does not name the variable:\n%s", r.err);
    run_clear(&r);
    g_free(var);
  }
  CHECK(!g_file_test(other, G_FILE_TEST_EXISTS), "bad flags still created %s",
        other);
  g_free(other_var);
  g_free(other);

  g_object_unref(parser);
  g_free(file_var);
  g_free(path);
}

/* Issue 12: what is not a regular file is refused at once (reading
 * /dev/zero never ended), flags nested 60,000 deep are an error and not a
 * stack overflow, and a last row cut short by a crash is removed with a
 * warning before the run appends its own. */
static void
test_hostile_files(void)
{
  gchar *fifo = g_build_filename(tmpdir, "fifo.jsonl", NULL);
  CHECK(mkfifo(fifo, 0644) == 0, "mkfifo %s", fifo);
  static const struct {
    const char *path, *kind;
  } not_files[] = {
      {"/dev/zero", "a character device"},
      {"/dev/full", "a character device"},
      {NULL, "a FIFO"},
  };
  run r;

  for (unsigned i = 0; i < G_N_ELEMENTS(not_files); i++) {
    const char *path = not_files[i].path ? not_files[i].path : fifo;
    gchar *var = g_strdup_printf("MCTX_METRICS_SUMMARY_FILE=%s", path);
    gchar *want = g_strdup_printf("mctx-send: MCTX_METRICS_SUMMARY_FILE: '%s' "
                                  "is %s; a metrics file must be a regular "
                                  "file",
                                  path, not_files[i].kind);
    run_send(ENV(var), SEND_ARGS("1", "0", NULL), &r);
    expect_refused(&r, want, var);
    run_clear(&r);
    g_free(want);
    g_free(var);
  }

  gchar *deep = nested_arrays("MCTX_METRICS_FLAGS_JSON={\"a\":", 60000, "}");
  gchar *path = g_build_filename(tmpdir, "hostile", "net.jsonl", NULL);
  gchar *file_var = g_strdup_printf("MCTX_METRICS_SUMMARY_FILE=%s", path);
  run_send(ENV(file_var, deep), SEND_ARGS("1", "0", NULL), &r);
  expect_refused(&r,
                 "mctx-send: MCTX_METRICS_FLAGS_JSON: flags have objects "
                 "and arrays nested deeper than 63 levels",
                 "deep flags");
  run_clear(&r);
  g_free(deep);

  /* A run, then a crash leftover: half a row at the end. */
  run_send(ENV(file_var), SEND_ARGS("1", "0", NULL), &r);
  expect_ok(&r, "first run");
  run_clear(&r);
  gchar *text = slurp(path);
  gchar *damaged = g_strdup_printf("%s{\"active_publications\":1,\"by", text);
  CHECK(g_file_set_contents(path, damaged, -1, NULL), "writing %s", path);
  run_send(ENV(file_var), SEND_ARGS("1", "0", NULL), &r);
  expect_ok(&r, "run after a crash");
  gchar *want =
      g_strdup_printf("mctx-send: warning: MCTX_METRICS_SUMMARY_FILE: "
                      "'%s' line 3 was cut short (by a crash or a "
                      "full disk?); its 28 bytes were removed",
                      path);
  CHECK(strstr(r.err, want) != NULL, "stderr does not say '%s':\n%s", want,
        r.err);
  run_clear(&r);
  gchar **lines = file_lines(path, 3);
  CHECK(g_str_has_prefix(lines[2], "{\"active_publications\":1,\"bytes_per_"),
        "the new row is %s", lines[2]);
  g_strfreev(lines);

  g_free(want);
  g_free(damaged);
  g_free(text);
  g_free(file_var);
  g_free(path);
  g_free(fifo);
}

int
main(int argc, char **argv)
{
  CHECK(argc == 2, "usage: %s path/to/mctx-send", argv[0]);
  mctx_send = argv[1];

  tmpdir = g_dir_make_tmp("mctx-send-env-XXXXXX", NULL);
  CHECK(tmpdir != NULL, "tmpdir");

  run r;
  const char *help[] = {"--help", NULL};
  run_send(NULL, help, &r);
  if (strstr(r.out, "MCTX_METRICS_SUMMARY_SECS") == NULL &&
      strstr(r.err, "MCTX_METRICS_SUMMARY_SECS") == NULL)
    testnet_skip("%s --help does not describe MCTX_METRICS_* (not built with "
                 "metrics, or still a stub)",
                 mctx_send);
  run_clear(&r);

  testnet_private_netns_or_skip();

  test_stdout_summary();
  test_bad_summary_secs();
  test_file();
  test_node_id_and_flags();
  test_hostile_files();

  testnet_sh("rm -rf '%s'", tmpdir);
  g_free(tmpdir);
  printf("PASS: send-env\n");
  return 0;
}
