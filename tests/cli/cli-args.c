/* mctx-send's command line: every bad argument is refused with a message
 * naming it, and --help explains with examples.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Every case that gets past the parser asks for count 0, so nothing is ever
 * sent, whatever the library does; as root the test also runs in its own
 * network namespace.
 */
#include "cli-run.h"
#include "testnet.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct bad_case {
  int exit_status;    /* 2: command line refused; 1: libmctx refused */
  const char *needle; /* must appear in stderr */
  const char *args[12];
} bad_case;

static const bad_case bad_cases[] = {
    /* Missing and extra arguments */
    {2, "expected <group> <port> <payload>", {NULL}},
    {2, "expected <group> <port> <payload>", {"239.1.2.3", "5000", NULL}},
    {2, "'extra'", {"239.1.2.3", "5000", "hi", "0", "0", "extra", NULL}},
    {2, "'7'", {"239.1.2.3", "5000", "hi", "0", "--quiet", "7", NULL}},
    {2, "'--bogus'", {"239.1.2.3", "5000", "hi", "0", "--bogus", NULL}},
    {2, "'-x'", {"239.1.2.3", "5000", "hi", "0", "-x", NULL}},
    {2,
     "--source needs a value",
     {"239.1.2.3", "5000", "hi", "0", "--source", NULL}},
    {2, "--ttl needs a value", {"239.1.2.3", "5000", "hi", "0", "--ttl", NULL}},

    /* Numbers: strict decimal within the type's range */
    {2, "invalid port 'abc'", {"239.1.2.3", "abc", "hi", NULL}},
    {2, "invalid port '65536'", {"239.1.2.3", "65536", "hi", NULL}},
    {2, "invalid port '+5000'", {"239.1.2.3", "+5000", "hi", NULL}},
    {2, "invalid port ' 5000'", {"239.1.2.3", " 5000", "hi", NULL}},
    {2, "invalid port '5000x'", {"239.1.2.3", "5000x", "hi", NULL}},
    {2, "invalid port ''", {"239.1.2.3", "", "hi", NULL}},
    {2, "invalid count 'x5'", {"239.1.2.3", "5000", "hi", "x5", NULL}},
    {2,
     "invalid count '18446744073709551616'",
     {"239.1.2.3", "5000", "hi", "18446744073709551616", NULL}},
    {2,
     "invalid interval_ms '1.5'",
     {"239.1.2.3", "5000", "hi", "0", "1.5", NULL}},
    {2,
     "invalid --ttl 'abc'",
     {"239.1.2.3", "5000", "hi", "0", "--ttl", "abc", NULL}},
    {2,
     "invalid --ttl '4294967296'",
     {"239.1.2.3", "5000", "hi", "0", "--ttl", "4294967296", NULL}},
    {2,
     "invalid --source-port '65536'",
     {"239.1.2.3", "5000", "hi", "0", "--source-port", "65536", NULL}},
    {2,
     "invalid --interface-index '-3'",
     {"ff3e::1", "5000", "hi", "0", "--interface-index", "-3", NULL}},

    /* Addresses that do not parse */
    {2, "not-an-ip", {"not-an-ip", "5000", "hi", "0", NULL}},
    {2, "bogus", {"239.1.2.3", "5000", "hi", "0", "--source", "bogus", NULL}},
    {2,
     "127.0.0.1",
     {"239.1.2.3", "5000", "hi", "0", "--bind", "127.0.0.1", NULL}},
    {2,
     "has space",
     {"239.1.2.3", "5000", "hi", "0", "--interface", "has space", NULL}},

    /* mctx-core's cross-checks */
    {2,
     "--bind cannot be combined",
     {"239.1.2.3", "5000", "hi", "0", "--bind", "127.0.0.1:5001", "--source",
      "127.0.0.1", NULL}},
    {2,
     "--bind cannot be combined",
     {"239.1.2.3", "5000", "hi", "0", "--bind", "127.0.0.1:5001",
      "--source-port", "5002", NULL}},
    {2,
     "--interface cannot be combined",
     {"ff3e::1", "5000", "hi", "0", "--interface", "lo", "--interface-index",
      "1", NULL}},
    {2,
     "--interface-index 1 needs an IPv6 group",
     {"239.1.2.3", "5000", "hi", "0", "--interface-index", "1", NULL}},
    {2,
     "--source ::1 is IPv6 but group 239.1.2.3 is IPv4",
     {"239.1.2.3", "5000", "hi", "0", "--source", "::1", NULL}},
    {2,
     "--source 127.0.0.1 is IPv4 but group ff3e::1 is IPv6",
     {"ff3e::1", "5000", "hi", "0", "--source", "127.0.0.1", NULL}},
    {2,
     "--bind [::1]:5001 is IPv6",
     {"239.1.2.3", "5000", "hi", "0", "--bind", "[::1]:5001", NULL}},
    {2,
     "--interface ::1 is IPv6",
     {"239.1.2.3", "5000", "hi", "0", "--interface", "::1", NULL}},
    {2,
     "--interface 127.0.0.1 is IPv4",
     {"ff3e::1", "5000", "hi", "0", "--interface", "127.0.0.1", NULL}},

    /* Refused by libmctx: validation and resolution (nothing is sent: count 0) */
    {1, "10.1.2.3", {"10.1.2.3", "5000", "hi", "0", NULL}},
    {1, "port", {"239.1.2.3", "0", "hi", "0", NULL}},
    {1, "port", {"239.1.2.3", "5000", "hi", "0", "--source-port", "0", NULL}},
    {1,
     "port",
     {"239.1.2.3", "5000", "hi", "0", "--bind", "127.0.0.1:0", NULL}},
    {1,
     "239.9.9.9",
     {"239.1.2.3", "5000", "hi", "0", "--source", "239.9.9.9", NULL}},
    {1,
     "0.0.0.0",
     {"239.1.2.3", "5000", "hi", "0", "--source", "0.0.0.0", NULL}},
    {1,
     "239.9.9.9",
     {"239.1.2.3", "5000", "hi", "0", "--interface", "239.9.9.9", NULL}},
    {1,
     "nosuch0",
     {"239.1.2.3", "5000", "hi", "0", "--interface", "nosuch0", NULL}},
    {1,
     "nosuch0",
     {"ff3e::1", "5000", "hi", "0", "--interface", "nosuch0", NULL}},
    {1,
     "index",
     {"ff3e::1", "5000", "hi", "0", "--interface-index", "0", NULL}},
    {1,
     "999999",
     {"ff3e::1", "5000", "hi", "0", "--interface-index", "999999", NULL}},
    {1, "ff31::1", {"ff31::1", "5000", "hi", "0", NULL}},
    {1,
     "10.255.77.1",
     {"239.1.2.3", "5000", "hi", "0", "--source", "10.255.77.1", "--interface",
      "lo", NULL}},
};

static void
try_private_netns(void)
{
  if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0)
    return;
  if (system("ip link set lo up >/dev/null 2>&1") != 0) {
    /* lo stays down: the cases here never send anyway */
  }
}

static void
print_args(const char *const *args)
{
  fputs("  mctx-send", stderr);
  for (int i = 0; args[i] != NULL; i++)
    fprintf(stderr, " '%s'", args[i]);
  fputc('\n', stderr);
}

int
main(int argc, char **argv)
{
  TESTNET_CHECK(argc == 2, "usage: %s <path to mctx-send>", argv[0]);
  const char *program = argv[1];
  try_private_netns();

  static cli_result res;
  int failures = 0;
  size_t ncases = sizeof bad_cases / sizeof bad_cases[0];
  for (size_t i = 0; i < ncases; i++) {
    const bad_case *c = &bad_cases[i];
    cli_run(program, c->args, &res);
    bool ok = res.exit_status == c->exit_status &&
              cli_contains(res.err, c->needle) &&
              strncmp(res.err, "mctx-send: ", 11) == 0 && res.out[0] == '\0';
    if (!ok) {
      failures++;
      fprintf(stderr,
              "FAIL: case %zu: want exit %d and stderr containing \"%s\"\n", i,
              c->exit_status, c->needle);
      print_args(c->args);
      fprintf(stderr, "  got exit %d, stdout \"%s\", stderr \"%s\"\n",
              res.exit_status, res.out, res.err);
    }
  }
  printf("%zu bad command lines checked, %d failed\n", ncases, failures);

  /* A 100 kB argument (near the kernel's 128 kB limit for one) is not
   * echoed whole by the message that names it. */
  static char huge[100 * 1024];
  memset(huge, '7', sizeof huge - 1);
  huge[sizeof huge - 1] = '\0';
  static char huge_flag[100 * 1024];
  memcpy(huge_flag, "--", 2);
  memset(huge_flag + 2, 'f', sizeof huge_flag - 3);
  huge_flag[sizeof huge_flag - 1] = '\0';
  const char *long_cases[][9] = {
      {huge, "5000", "hi", "0", NULL},
      {"239.1.2.3", huge, "hi", "0", NULL},
      {"239.1.2.3", "5000", "hi", huge, NULL},
      {"239.1.2.3", "5000", "hi", "0", huge_flag, NULL},
      {"239.1.2.3", "5000", "hi", "0", "0", huge, NULL},
      {"239.1.2.3", "5000", "hi", "0", "--ttl", huge, NULL},
      {"239.1.2.3", "5000", "hi", "0", "--source", huge, NULL},
      {"239.1.2.3", "5000", "hi", "0", "--interface", huge, NULL},
      {"ff02::1%", "5000", "hi", "0", NULL},
  };
  for (size_t i = 0; i < sizeof long_cases / sizeof long_cases[0]; i++) {
    const char **args = long_cases[i];
    if (i == 8) {
      static char zoned[100 * 1024 + 16];
      snprintf(zoned, sizeof zoned, "ff02::1%%%s", huge);
      args[0] = zoned;
    }
    cli_run(program, args, &res);
    bool ok = res.exit_status != 0 && strlen(res.err) < 1024 &&
              cli_contains(res.err, "...");
    if (!ok) {
      failures++;
      fprintf(stderr,
              "FAIL: long case %zu: exit %d, %zu bytes on stderr: "
              "%.300s\n",
              i, res.exit_status, strlen(res.err), res.err);
    }
  }

  /* --help and -h: exit 0, examples on stdout, nothing on stderr. */
  const char *help_flags[] = {"--help", "-h"};
  for (int i = 0; i < 2; i++) {
    const char *args[] = {help_flags[i], NULL};
    cli_run(program, args, &res);
    TESTNET_CHECK(res.exit_status == 0, "%s exited %d", help_flags[i],
                  res.exit_status);
    TESTNET_CHECK(res.err[0] == '\0', "%s wrote to stderr: %s", help_flags[i],
                  res.err);
    TESTNET_CHECK(
        cli_contains(res.out, "usage: mctx-send <group> <port> <payload>"),
        "%s: no usage line in: %s", help_flags[i], res.out);
    TESTNET_CHECK(cli_contains(res.out, "examples"), "%s: no examples",
                  help_flags[i]);
    TESTNET_CHECK(
        cli_contains(res.out, "mctx-send 239.1.2.3 5000 hello --interface lo"),
        "%s: no IPv4 example", help_flags[i]);
    TESTNET_CHECK(cli_contains(res.out, "--interface-index"),
                  "%s: options missing", help_flags[i]);
#ifdef CLI_HAVE_METRICS
    TESTNET_CHECK(cli_contains(res.out, "MCTX_METRICS_SUMMARY_SECS"),
                  "%s: the metrics variables are not described", help_flags[i]);
#endif
  }
  /* Arguments are read in order: a bad one before --help is still reported. */
  const char *late_help[] = {"239.1.2.3", "5000",   "hi",
                             "--bogus",   "--help", NULL};
  cli_run(program, late_help, &res);
  TESTNET_CHECK(res.exit_status == 2, "--bogus before --help exited %d",
                res.exit_status);

  /* A valid command line with count 0 sends nothing and succeeds quietly. */
  const char *nothing[] = {"239.1.2.3",   "5000",      "hi", "0",
                           "--interface", "127.0.0.1", NULL};
  cli_run(program, nothing, &res);
  TESTNET_CHECK(res.exit_status == 0 && res.out[0] == '\0',
                "count 0: exit %d, stdout \"%s\", stderr \"%s\"",
                res.exit_status, res.out, res.err);

  return failures == 0 ? 0 : 1;
}
