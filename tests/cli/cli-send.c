/* mctx-send sends for real: to receivers on loopback inside a private network
 * namespace, IPv4 and IPv6, checking what a user sees (the printed line) and
 * what a receiver gets (payload, sender address and port).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "cli-recv.h"
#include "cli-run.h"
#include "testnet.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *program;
static cli_result res;

/* A successful run says nothing on stderr. */
static void
run_ok(const char *what, const char *const *args)
{
  cli_run_ok(what, program, args, &res);
  TESTNET_CHECK(res.err[0] == '\0', "%s: unexpected stderr: %s", what, res.err);
}

static void
expect_lines(const char *what, const char *line, int count)
{
  cli_expect_lines(what, &res, line, count);
}

/* A receiver joined on lo; IPv6 ones are IPv6-only. */
static int
lo_receiver(const char *group, uint16_t port)
{
  return mcast_receiver(NULL, group, port, testnet_ifindex("lo"), NULL, NULL);
}

static void
ipv4_interface_address(void)
{
  int fd = lo_receiver("239.77.1.1", 47001);
  const char *args[] = {"239.77.1.1",  "47001",     "hello-cli", "3",
                        "--interface", "127.0.0.1", NULL};
  run_ok("IPv4 --interface 127.0.0.1", args);
  expect_lines("IPv4 --interface 127.0.0.1",
               "sent 9 bytes to 239.77.1.1:47001 from 127.0.0.1", 3);
  cli_recv_expect(fd, 3, "hello-cli", "127.0.0.1", 0);
  close(fd);
}

/* The source the line printed, e.g. "127.0.0.1" from "sent ... from 127.0.0.1". */
static const char *
printed_source(char *buf, size_t size)
{
  const char *from = strstr(res.out, " from ");
  TESTNET_CHECK(from != NULL, "no \" from \" in: %s", res.out);
  from += 6;
  size_t len = strcspn(from, "\n");
  TESTNET_CHECK(len < size, "source too long in: %s", res.out);
  memcpy(buf, from, len);
  buf[len] = '\0';
  return buf;
}

static void
ipv4_interface_name(void)
{
  /* IP_MULTICAST_IF by index leaves the source to the kernel, which for lo
   * (127.0.0.1 is host-scoped) may pick 0.0.0.0: the line must say whatever
   * the receiver then sees. */
  int fd = lo_receiver("239.77.1.2", 47002);
  const char *args[] = {"239.77.1.2",  "47002", "by-name", "2", "5",
                        "--interface", "lo",    "--ttl",   "3", NULL};
  run_ok("IPv4 --interface lo", args);
  char source[64], line[128];
  printed_source(source, sizeof source);
  snprintf(line, sizeof line, "sent 7 bytes to 239.77.1.2:47002 from %s",
           source);
  expect_lines("IPv4 --interface lo", line, 2);
  cli_recv_expect(fd, 2, "by-name", source, 0);
  close(fd);
}

static void
ipv4_quiet(void)
{
  int fd = lo_receiver("239.77.1.3", 47003);
  const char *args[] = {"239.77.1.3",  "47003", "shh",     "2",
                        "--interface", "lo",    "--quiet", NULL};
  run_ok("IPv4 --quiet", args);
  TESTNET_CHECK(res.out[0] == '\0', "--quiet printed: %s", res.out);
  cli_recv_expect(fd, 2, "shh", NULL, 0);
  close(fd);
}

static void
ipv4_bind_and_source_port(void)
{
  int fd = lo_receiver("239.77.1.4", 47004);
  const char *bind_args[] = {
      "239.77.1.4",      "47004",       "bound", "--bind",
      "127.0.0.1:47014", "--interface", "lo",    NULL};
  run_ok("IPv4 --bind", bind_args);
  expect_lines("IPv4 --bind", "sent 5 bytes to 239.77.1.4:47004 from 127.0.0.1",
               1);
  cli_recv_expect(fd, 1, "bound", "127.0.0.1", 47014);

  const char *port_args[] = {
      "239.77.1.4",    "47004", "sport",       "--source",  "127.0.0.1",
      "--source-port", "47024", "--interface", "127.0.0.1", NULL};
  run_ok("IPv4 --source --source-port", port_args);
  expect_lines("IPv4 --source --source-port",
               "sent 5 bytes to 239.77.1.4:47004 from 127.0.0.1", 1);
  cli_recv_expect(fd, 1, "sport", "127.0.0.1", 47024);
  close(fd);
}

static void
ipv6_interface_local(void)
{
  /* mctx-core's same-host SSM-style smoke test: ff31:: from ::1. The
   * interface-local scope keeps the scope id, which the line shows. */
  int fd = lo_receiver("ff31::77:1", 47005);
  char line[128];
  snprintf(line, sizeof line, "sent 8 bytes to [ff31::77:1%%%u]:47005 from ::1",
           testnet_ifindex("lo"));
  const char *args[] = {"ff31::77:1",  "47005",    "hello-v6",
                        "2",           "--source", "::1",
                        "--interface", "::1",      NULL};
  run_ok("IPv6 ff31 --source ::1", args);
  expect_lines("IPv6 ff31 --source ::1", line, 2);
  cli_recv_expect(fd, 2, "hello-v6", "::1", 0);

  const char *name_args[] = {"ff31::77:1",  "47005", "v6-by-name",
                             "--interface", "lo",    NULL};
  run_ok("IPv6 ff31 --interface lo", name_args);
  snprintf(line, sizeof line,
           "sent 10 bytes to [ff31::77:1%%%u]:47005 from ::1",
           testnet_ifindex("lo"));
  expect_lines("IPv6 ff31 --interface lo", line, 1);
  cli_recv_expect(fd, 1, "v6-by-name", "::1", 0);
  close(fd);
}

/* A refused setting: exit 1, nothing on stdout, stderr exactly text. */
static void
expect_error(const char *what, const char *text)
{
  TESTNET_CHECK(res.exit_status == 1 && res.out[0] == '\0' &&
                    strcmp(res.err, text) == 0,
                "%s: exit %d, stderr \"%s\", want \"%s\"", what,
                res.exit_status, res.err, text);
}

static void
errors_from_the_library(void)
{
  /* Resolution happens before anything is sent: an unknown interface and a
   * source that is not local both end the run with the value named. */
  const char *nosuch[] = {"239.77.1.5",  "47006",   "x",
                          "--interface", "nosuch0", NULL};
  cli_run(program, nosuch, &res);
  TESTNET_CHECK(res.exit_status == 1 && cli_contains(res.err, "mctx-send: ") &&
                    cli_contains(res.err, "nosuch0") && res.out[0] == '\0',
                "--interface nosuch0: exit %d, stderr: %s", res.exit_status,
                res.err);

  const char *foreign[] = {"ff31::77:2",  "47007",       "x",  "--source",
                           "fd00:77::99", "--interface", "lo", NULL};
  cli_run(program, foreign, &res);
  TESTNET_CHECK(res.exit_status == 1 && cli_contains(res.err, "fd00:77::99") &&
                    res.out[0] == '\0',
                "non-local IPv6 source: exit %d, stderr: %s", res.exit_status,
                res.err);
  expect_error("non-local IPv6 source",
               "mctx-send: source address "
               "fd00:77::99 is not assigned to any interface\n");

  /* What the walkthrough of a new user met, said plainly. */
  const char *ipv4_source[] = {"239.77.1.6", "47008",    "x",
                               "--source",   "10.9.9.9", NULL};
  cli_run(program, ipv4_source, &res);
  expect_error("non-local IPv4 source",
               "mctx-send: source address 10.9.9.9 "
               "is not an address of this host (bind: Cannot assign requested "
               "address)\n");
  const char *ipv4_interface[] = {"239.77.1.6",  "47008",       "x",
                                  "--interface", "10.99.99.99", NULL};
  cli_run(program, ipv4_interface, &res);
  expect_error(
      "non-local IPv4 interface",
      "mctx-send: interface address "
      "10.99.99.99 is not an address of this host (IP_MULTICAST_IF: Cannot "
      "assign requested address)\n");

  testnet_sh_ok("ip -6 route del local ff00::/8 dev lo table local");
  const char *no_route[] = {"ff31::8000:1234", "5000", "hi", "--source", "::1",
                            "--interface",     "::1",  NULL};
  cli_run(program, no_route, &res);
  testnet_sh_ok("ip -6 route add local ff00::/8 dev lo table local");
  char want[256];
  snprintf(
      want, sizeof want,
      "mctx-send: connect to [ff31::8000:1234%%%u]:"
      "5000 failed: Network is unreachable (no route for the group out of "
      "interface %u (lo); for IPv6 multicast on lo add one: ip -6 route add "
      "local ff00::/8 dev lo table local)\n",
      (unsigned) testnet_ifindex("lo"), (unsigned) testnet_ifindex("lo"));
  expect_error("IPv6 on lo without its route", want);
}

int
main(int argc, char **argv)
{
  TESTNET_CHECK(argc == 2, "usage: %s <path to mctx-send>", argv[0]);
  program = argv[1];
  testnet_private_netns_or_skip();

  ipv4_interface_address();
  ipv4_interface_name();
  ipv4_quiet();
  ipv4_bind_and_source_port();
  ipv6_interface_local();
  errors_from_the_library();
  printf("mctx-send delivered to loopback receivers (IPv4 and IPv6)\n");
  return 0;
}
