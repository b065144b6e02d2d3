/* mctx-send --sdp: the session description it writes for its datagrams
 * (IPv4 SSM with the source filter, IPv6 any-source), and the usage errors
 * of the --sdp options. In a private network namespace, sending on lo.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "cli-run.h"
#include "testnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *program;
static cli_result res;
static char dir[64];

static char *
read_file(const char *path)
{
  static char text[4096];
  FILE *f = fopen(path, "r");
  TESTNET_CHECK(f != NULL, "%s was not written", path);
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  return text;
}

/* The file without its o= line (its session id is the time), which must
 * name origin. */
static void
expect_sdp(const char *path, const char *origin, const char *expected)
{
  char *text = read_file(path);
  char *o = strstr(text, "\r\no=- ");
  TESTNET_CHECK(o != NULL, "no o= line in\n%s", text);
  char *end = strstr(o + 2, "\r\n");
  TESTNET_CHECK(end != NULL, "o= line not ended");
  char o_line[128];
  snprintf(o_line, sizeof o_line, "%.*s", (int) (end - o - 2), o + 2);
  TESTNET_CHECK(strstr(o_line, origin) != NULL &&
                    strcmp(o_line + strlen(o_line) - strlen(origin), origin) ==
                        0,
                "o= line '%s' does not end in %s", o_line, origin);
  memmove(o + 2, end + 2, strlen(end + 2) + 1);
  TESTNET_CHECK(strcmp(text, expected) == 0, "got\n%s\nexpected\n%s", text,
                expected);
}

int
main(int argc, char **argv)
{
  TESTNET_CHECK(argc == 2, "usage: %s <path to mctx-send>", argv[0]);
  program = argv[1];
  testnet_private_netns_or_skip();
  snprintf(dir, sizeof dir, "/tmp/mctx-cli-sdp-%d", (int) getpid());
  testnet_sh_ok("mkdir -p %s", dir);

  char path[128];
  snprintf(path, sizeof path, "%s/ssm.sdp", dir);
  cli_run_ok("IPv4 SSM with --sdp", program,
             (const char *const[]){"232.0.12.80", "5004", "hello", "--source",
                                   "127.0.0.1", "--interface", "lo", "--ttl",
                                   "2", "--sdp", path, "--sdp-payload-type",
                                   "96", "--sdp-encoding", "H264/90000", NULL},
             &res);
  expect_sdp(path, " IN IP4 127.0.0.1",
             "v=0\r\n"
             "s=mctx-send\r\n"
             "c=IN IP4 232.0.12.80/2\r\n"
             "t=0 0\r\n"
             "a=source-filter: incl IN IP4 232.0.12.80 127.0.0.1\r\n"
             "m=application 5004 udp 96\r\n"
             "a=rtpmap:96 H264/90000\r\n");

  snprintf(path, sizeof path, "%s/asm6.sdp", dir);
  cli_run_ok("IPv6 ASM with --sdp", program,
             (const char *const[]){"ff15::8000:80", "5006", "hello",
                                   "--interface", "lo", "--sdp", path,
                                   "--sdp-payload-type", "33", NULL},
             &res);
  expect_sdp(path, " IN IP6 ::1",
             "v=0\r\n"
             "s=mctx-send\r\n"
             "c=IN IP6 ff15::8000:80\r\n"
             "t=0 0\r\n"
             "m=application 5006 udp 33\r\n");

  cli_run(program,
          (const char *const[]){"239.255.1.1", "5004", "x", "--interface", "lo",
                                "--sdp", path, NULL},
          &res);
  TESTNET_CHECK(res.exit_status == 2 &&
                    cli_contains(res.err, "--sdp needs --sdp-payload-type"),
                "status %d: %s", res.exit_status, res.err);
  cli_run(program,
          (const char *const[]){"239.255.1.1", "5004", "x",
                                "--sdp-payload-type", "128", "--sdp", path,
                                NULL},
          &res);
  TESTNET_CHECK(res.exit_status == 2 &&
                    cli_contains(res.err, "--sdp-payload-type '128'"),
                "status %d: %s", res.exit_status, res.err);
  cli_run(program,
          (const char *const[]){"239.255.1.1", "5004", "x", "--interface", "lo",
                                "--sdp", "/nonexistent-mctx/x.sdp",
                                "--sdp-payload-type", "96", NULL},
          &res);
  TESTNET_CHECK(res.exit_status == 1 &&
                    cli_contains(res.err, "--sdp /nonexistent-mctx/x.sdp"),
                "status %d: %s", res.exit_status, res.err);

  testnet_sh("rm -rf %s", dir);
  printf("mctx-send --sdp wrote the SDPs and refused the bad options\n");
  return 0;
}
