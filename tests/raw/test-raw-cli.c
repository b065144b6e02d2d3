/* mctx-raw-send end to end, the AMT way: datagrams with a far source put on
 * a veth reach an SSM receiver joined to (source, group) on the other side,
 * IPv4 and IPv6. Also its usage errors.
 *
 * usage: test-raw-cli /path/to/mctx-raw-send
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rawtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *prog;

/* Runs the program with args, collects up to cap bytes of stdout and stderr
 * together; returns the exit status. */
static int
run(char *out, size_t cap, const char *args)
{
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", prog, args);
  FILE *p = popen(cmd, "r");
  TESTNET_CHECK(p != NULL, "popen %s", cmd);
  size_t n = fread(out, 1, cap - 1, p);
  out[n] = '\0';
  int status = pclose(p);
  TESTNET_CHECK(WIFEXITED(status), "`%s` did not exit", cmd);
  return WEXITSTATUS(status);
}

static int
count_lines_starting(const char *text, const char *prefix)
{
  int n = 0;
  for (const char *line = text; line && *line;) {
    if (strncmp(line, prefix, strlen(prefix)) == 0)
      n++;
    line = strchr(line, '\n');
    if (line)
      line++;
  }
  return n;
}

/* egress: the options choosing the interface; ifindex: the one reported
 * (0 for route-selected IPv4: the kernel's choice is not known). */
static void
amt_case(const rawtest_pair *pair, const char *group, const char *source,
         uint16_t port, const char *payload, const char *egress,
         uint32_t ifindex)
{
  int rx = mcast_receiver(pair->peer, group, port, pair->peer_index,
                          "10.77.0.2", source);
  char out[4096], args[512];
  snprintf(args, sizeof args, "%s %u %s 3 10 --source %s --source-port 4555 %s",
           group, port, payload, source, egress);
  int rc = run(out, sizeof out, args);
  TESTNET_CHECK(rc == 0, "mctx-raw-send %s exited %d:\n%s", args, rc, out);
  TESTNET_CHECK(count_lines_starting(out, "sent ") == 3,
                "expected 3 'sent' lines:\n%s", out);
  char expect[256];
  snprintf(expect, sizeof expect, "proto 17 to %s from %s via ifindex %u",
           group, source, ifindex);
  TESTNET_CHECK(strstr(out, expect) != NULL, "output lacks '%s':\n%s", expect,
                out);

  for (int i = 0; i < 3; i++) {
    uint8_t buf[256];
    char from[64];
    uint16_t from_port;
    int n = (int) mcast_recv_within(rx, buf, sizeof buf, 0, from, sizeof from,
                                    &from_port, 3000);
    TESTNET_CHECK(n == (int) strlen(payload) &&
                      memcmp(buf, payload, (size_t) n) == 0,
                  "SSM receiver for (%s, %s): datagram %d: got %d bytes",
                  source, group, i, n);
    TESTNET_CHECK(strcmp(from, source) == 0 && from_port == 4555,
                  "sender seen as %s:%u, expected %s:4555", from, from_port,
                  source);
  }
  printf("ok (%s, %s) %s: 3 datagrams from %s:4555 received\n", source, group,
         egress, source);
  close(rx);
}

static void
usage_errors(void)
{
  char out[8192];
  TESTNET_CHECK(run(out, sizeof out, "--help") == 0, "--help failed");
  TESTNET_CHECK(strstr(out, "examples") && strstr(out, "--source IP"),
                "--help text:\n%s", out);
  struct {
    const char *args, *text;
  } bad[] = {
      {"239.1.1.1 5000 x", "--source is required"},
      {"239.1.1.1 0 x --source 10.77.0.1", "port must be 1-65535, not '0'"},
      {"10.1.1.1 5000 x --source 10.77.0.1",
       "group 10.1.1.1 is not a multicast"},
      {"239.1.1.1 5000 x --source fd77::1", "not of the group's family"},
      {"239.1.1.1 5000 x --source 10.77.0.1 --ttl 256",
       "--ttl needs a value 0-255"},
      {"239.1.1.1 5000 x --source 10.77.0.1 --frobnicate",
       "unknown option --frobnicate"},
      {"239.1.1.1 5000 x --source 10.77.0.1 --interface rv0 --interface-index "
       "2",
       "cannot be combined"},
      {"239.1.1.1 5000 x --source 10.77.0.1 --source-port 0",
       "--source-port needs"},
      {"239.1.1.1 5000", "missing arguments"},
      {"ff3e::1 5000 x --source 2001:db8::7 --route-selected --interface rv0",
       "--route-selected takes no"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = run(out, sizeof out, bad[i].args);
    TESTNET_CHECK(rc == 2, "`%s` exited %d, expected 2", bad[i].args, rc);
    TESTNET_CHECK(strstr(out, bad[i].text) != NULL, "`%s` said:\n%s",
                  bad[i].args, out);
  }
  /* The library's refusal: exit 1 with its message. */
  int rc = run(out, sizeof out,
               "239.1.1.1 5000 x --source 10.77.0.1 --interface nosuch0");
  TESTNET_CHECK(rc == 1 && strstr(out, "interface 'nosuch0' does not exist"),
                "unknown interface: exit %d:\n%s", rc, out);
  rc = run(out, sizeof out, "239.1.1.1 5000 x --source 198.51.100.7");
  TESTNET_CHECK(rc == 1 && strstr(out, "198.51.100.7"),
                "non-local source without an interface: exit %d:\n%s", rc, out);
  printf("ok usage errors exit 2 with their message, library errors exit 1\n");
}

/* --capabilities prints the probe's answers, one line each, exit 0; as
 * root every explicit way is supported (raw-caps sends each). */
static void
capabilities_case(void)
{
  char out[2048];
  int rc = run(out, sizeof out, "--capabilities");
  TESTNET_CHECK(rc == 0, "--capabilities exited %d:\n%s", rc, out);
  TESTNET_CHECK(strstr(out, "ipv4                     full-datagram\n") &&
                    strstr(out, "ipv6-local-source        "
                                "kernel-rebuilt-ipv6-header\n") &&
                    strstr(out, "ipv6-any-source          full-datagram\n") &&
                    strstr(out, "ipv4-route-selected      full-datagram\n") &&
                    strstr(out, "ipv6-route-selected      full-datagram\n"),
                "--capabilities printed:\n%s", out);
  printf("ok --capabilities:\n%s", out);
}

int
main(int argc, char **argv)
{
  TESTNET_CHECK(argc == 2, "usage: %s /path/to/mctx-raw-send", argv[0]);
  prog = argv[1];
  rawtest_pair pair;
  rawtest_pair_setup(&pair);
  amt_case(&pair, "232.77.6.1", "198.51.100.9", 5106, "amt-v4-payload",
           "--interface rv0", pair.local_index);
  amt_case(&pair, "ff3e::77:6", "2001:db8:77::9", 5106, "amt-v6-payload",
           "--interface rv0", pair.local_index);
  testnet_sh_ok("ip route add 232.77.7.0/24 dev rv0");
  testnet_sh_ok("ip -6 route add ff3e::77:7/128 dev rv0 table local");
  amt_case(&pair, "232.77.7.1", "198.51.100.9", 5107, "amt-v4-routed",
           "--route-selected", 0);
  amt_case(&pair, "ff3e::77:7", "2001:db8:77::9", 5107, "amt-v6-routed",
           "--route-selected", pair.local_index);
  usage_errors();
  capabilities_case();
  printf("PASS\n");
  return 0;
}
