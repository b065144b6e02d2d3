/* mctx-send to IPv4 and IPv6 SSM groups from an explicit source, across a
 * veth pair into a second network namespace, where receivers joined for
 * (S,G) get the payload and receivers joined for another source of the same
 * host get nothing. Issue 2's "done when" for the CLI.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "cli-recv.h"
#include "cli-run.h"
#include "testnet.h"

#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What the other source's receiver waits before concluding nothing came. */
#define NOTHING_WAIT_MS 300

static const char *program;
static const char *peer;
static cli_result res;

static void
run_ok(const char *what, const char *const *args)
{
  cli_run_ok(what, program, args, &res);
}

static void
expect_lines(const char *what, const char *line, int count)
{
  cli_expect_lines(what, &res, line, count);
}

static int
peer_socket(int family, uint16_t port)
{
  return mcast_recv_socket(peer, family, NULL, port);
}

static void
setup_network(void)
{
  peer = testnet_peer_create("cli-ssm");
  testnet_veth("mcli0", peer, "mcli1");
  testnet_sh_ok("ip addr add 10.78.0.1/24 dev mcli0");
  testnet_sh_ok("ip addr add 10.78.0.3/24 dev mcli0");
  testnet_sh_ok("ip -n %s addr add 10.78.0.2/24 dev mcli1", peer);
  testnet_sh_ok("ip -6 addr add fd00:78::1/64 dev mcli0 nodad");
  testnet_sh_ok("ip -6 addr add fd00:78::3/64 dev mcli0 nodad");
  testnet_sh_ok("ip -6 addr add fe80::78:1/64 dev mcli0 nodad");
  testnet_sh_ok("ip -n %s -6 addr add fd00:78::2/64 dev mcli1 nodad", peer);
  testnet_wait_ipv6_ready(peer, 3000);
}

static void
ipv4_ssm(void)
{
  const char *group = "232.78.1.1";
  int from_s = peer_socket(AF_INET, 47101);
  int from_other = peer_socket(AF_INET, 47101);
  mcast_join_ssm_v4(from_s, group, "10.78.0.1", "10.78.0.2");
  mcast_join_ssm_v4(from_other, group, "10.78.0.3", "10.78.0.2");

  const char *args[] = {group,       "47101",       "ssm-v4", "2", "--source",
                        "10.78.0.1", "--interface", "mcli0",  NULL};
  run_ok("IPv4 SSM from 10.78.0.1", args);
  expect_lines("IPv4 SSM from 10.78.0.1",
               "sent 6 bytes to 232.78.1.1:47101 from 10.78.0.1", 2);
  cli_recv_expect(from_s, 2, "ssm-v4", "10.78.0.1", 0);
  cli_recv_expect_none(from_other, NOTHING_WAIT_MS);

  /* The same group from the host's other address reaches only the receiver
   * joined for that source: the source, not the interface, is what counts. */
  const char *other_args[] = {group,       "47101",     "other",
                              "--source",  "10.78.0.3", "--interface",
                              "10.78.0.3", NULL};
  run_ok("IPv4 SSM from 10.78.0.3", other_args);
  expect_lines("IPv4 SSM from 10.78.0.3",
               "sent 5 bytes to 232.78.1.1:47101 from 10.78.0.3", 1);
  cli_recv_expect(from_other, 1, "other", "10.78.0.3", 0);
  cli_recv_expect_none(from_s, NOTHING_WAIT_MS);
  close(from_s);
  close(from_other);
}

static void
ipv6_ssm(void)
{
  const char *group = "ff3e::78:1";
  uint32_t peer_if = testnet_ifindex_in(peer, "mcli1");
  int from_s = peer_socket(AF_INET6, 47102);
  int from_other = peer_socket(AF_INET6, 47102);
  mcast_join_ssm_v6(from_s, group, "fd00:78::1", peer_if);
  mcast_join_ssm_v6(from_other, group, "fd00:78::3", peer_if);

  /* Only the source is given: libmctx finds its interface (mcli0), and the
   * global scope carries no scope id. */
  const char *args[] = {group,      "47102",      "ssm-v6", "2",
                        "--source", "fd00:78::1", NULL};
  run_ok("IPv6 SSM from fd00:78::1", args);
  expect_lines("IPv6 SSM from fd00:78::1",
               "sent 6 bytes to [ff3e::78:1]:47102 from fd00:78::1", 2);
  cli_recv_expect(from_s, 2, "ssm-v6", "fd00:78::1", 0);
  cli_recv_expect_none(from_other, NOTHING_WAIT_MS);

  /* An interface address alone becomes the source (mctx-core's auto-bind). */
  const char *auto_bind[] = {group,         "47102",      "auto",
                             "--interface", "fd00:78::3", NULL};
  run_ok("IPv6 SSM --interface fd00:78::3", auto_bind);
  expect_lines("IPv6 SSM --interface fd00:78::3",
               "sent 4 bytes to [ff3e::78:1]:47102 from fd00:78::3", 1);
  cli_recv_expect(from_other, 1, "auto", "fd00:78::3", 0);
  cli_recv_expect_none(from_s, NOTHING_WAIT_MS);
  close(from_s);
  close(from_other);
}

static void
ipv6_link_local_ssm(void)
{
  /* ff32:: is link-local: sent from an fe80:: source, it carries the
   * interface's scope id. */
  const char *group = "ff32::78:1";
  uint32_t peer_if = testnet_ifindex_in(peer, "mcli1");
  uint32_t local_if = testnet_ifindex("mcli0");
  int from_s = peer_socket(AF_INET6, 47103);
  mcast_join_ssm_v6(from_s, group, "fe80::78:1", peer_if);

  const char *args[] = {group,        "47103",       "ll",    "--source",
                        "fe80::78:1", "--interface", "mcli0", NULL};
  run_ok("IPv6 link-local SSM", args);
  char prefix[128];
  snprintf(prefix, sizeof prefix,
           "sent 2 bytes to [ff32::78:1%%%u]:47103 from fe80::78:1", local_if);
  TESTNET_CHECK(strncmp(res.out, prefix, strlen(prefix)) == 0,
                "IPv6 link-local SSM: want a line starting \"%s\", got:\n%s",
                prefix, res.out);
  cli_recv_expect(from_s, 1, "ll", "fe80::78:1", 0);
  close(from_s);
}

/* A slow link (token bucket on the veth) fills the socket buffer; mctx-send
 * waits for room instead of giving up, so every datagram arrives. */
static void
full_socket_buffer(void)
{
  enum { COUNT = 500, SIZE = 1000 };
  testnet_sh_ok(
      "tc qdisc add dev mcli0 root tbf rate 20mbit burst 16kb limit 8mb");
  int fd = peer_socket(AF_INET, 47104);
  int rcvbuf = 8 * 1024 * 1024;
  TESTNET_CHECK(
      setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) == 0,
      "SO_RCVBUFFORCE: %s", strerror(errno));
  mcast_join_ssm_v4(fd, "232.78.2.1", "10.78.0.1", "10.78.0.2");

  static char payload[SIZE + 1];
  memset(payload, 'x', SIZE);
  char count[16], metrics_file[64];
  snprintf(count, sizeof count, "%d", COUNT);
  snprintf(metrics_file, sizeof metrics_file, "/tmp/mctx-cli-ssm-%d/run.jsonl",
           (int) getpid());
  testnet_sh_ok("mkdir -p /tmp/mctx-cli-ssm-%d", (int) getpid());
  setenv("MCTX_METRICS_SUMMARY_FILE", metrics_file, 1);
  const char *args[] = {"232.78.2.1", "47104",     payload,       count,
                        "--source",   "10.78.0.1", "--interface", "mcli0",
                        "--quiet",    NULL};
  run_ok("full socket buffer", args);
  unsetenv("MCTX_METRICS_SUMMARY_FILE");
  cli_recv_expect(fd, COUNT, payload, "10.78.0.1", 0);
  close(fd);

  /* How often the buffer was full depends on the machine; it is reported,
   * not asserted (send errors here are the would-blocks that were retried). */
  char cmd[160];
  snprintf(cmd, sizeof cmd,
           "tail -n 1 %s | grep -o '\"send_errors_total\":[0-9]*'",
           metrics_file);
  printf("would-blocks waited out, from mctx-send's metrics: ");
  fflush(stdout);
  testnet_sh("%s", cmd);
  testnet_sh("rm -rf /tmp/mctx-cli-ssm-%d", (int) getpid());
  testnet_sh_ok("tc qdisc del dev mcli0 root");
}

int
main(int argc, char **argv)
{
  TESTNET_CHECK(argc == 2, "usage: %s <path to mctx-send>", argv[0]);
  program = argv[1];
  testnet_private_netns_or_skip();
  setup_network();

  ipv4_ssm();
  ipv6_ssm();
  ipv6_link_local_ssm();
  full_socket_buffer();
  printf(
      "mctx-send reached (S,G) receivers over veth (IPv4, IPv6, link-local)\n");
  return 0;
}
