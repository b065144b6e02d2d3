/* SPDX-License-Identifier: BSD-2-Clause */
#include "rawtest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void
rawtest_pair_setup(rawtest_pair *pair)
{
  testnet_private_netns_or_skip();
  pair->peer = testnet_peer_create("raw");
  testnet_veth("rv0", pair->peer, "rv1");
  const char *p = pair->peer;
  testnet_sh_ok("ip addr add 10.77.0.1/24 dev rv0");
  testnet_sh_ok("ip addr add fd77::1/64 dev rv0 nodad");
  testnet_sh_ok("ip -n %s addr add 10.77.0.2/24 dev rv1", p);
  testnet_sh_ok("ip -n %s addr add fd77::2/64 dev rv1 nodad", p);
  /* Datagrams from far sources (the AMT case) must be accepted there. */
  testnet_sh_ok("ip netns exec %s sh -c 'for f in all default rv1; do "
                "sysctl -qw net.ipv4.conf.$f.rp_filter=0; done'",
                p);
  testnet_sh_ok("ip -n %s route add default dev rv1", p);
  testnet_sh_ok("ip -n %s -6 route add default dev rv1", p);
  testnet_wait_ipv6_ready(p, 3000);
  pair->local_index = testnet_ifindex("rv0");
  pair->peer_index = testnet_ifindex_in(p, "rv1");
  TESTNET_CHECK(pair->local_index > 0 && pair->peer_index > 0,
                "veth indexes %u %u", pair->local_index, pair->peer_index);
}

static mctx_raw_publication *
open_config(mctx_family family, const char *bind, const char *itf, int ttl,
            mctx_raw_validation mode)
{
  mctx_raw_config cfg;
  mctx_raw_config_init(&cfg);
  mctx_error err;
  if (bind != NULL)
    TESTNET_CHECK(mctx_ip_parse(bind, &cfg.bind_addr, &err) == MCTX_OK, "%s",
                  err.message);
  if (itf != NULL)
    TESTNET_CHECK(mctx_interface_parse(itf, &cfg.interface, &err) == MCTX_OK,
                  "%s", err.message);
  cfg.family = family;
  cfg.ttl = ttl;
  cfg.validation = mode;
  mctx_raw_publication *pub;
  int rc = mctx_raw_publication_open(&cfg, &pub, &err);
  TESTNET_CHECK(rc == MCTX_OK, "open: %s (%s)", err.message,
                mctx_code_name(rc));
  return pub;
}

mctx_raw_publication *
rawtest_open(mctx_family family, const char *bind, const char *itf, int ttl)
{
  return open_config(family, bind, itf, ttl,
                     MCTX_RAW_VALIDATION_STRICT_MULTICAST);
}

mctx_raw_publication *
rawtest_open_validated(mctx_family family, const char *itf,
                       mctx_raw_validation mode)
{
  return open_config(family, NULL, itf, -1, mode);
}

mctx_raw_publication *
rawtest_open_routed(mctx_family family)
{
  mctx_raw_config cfg;
  mctx_raw_config_init(&cfg);
  cfg.family = family;
  cfg.egress = MCTX_RAW_EGRESS_ROUTE_SELECTED;
  mctx_raw_publication *pub;
  mctx_error err;
  int rc = mctx_raw_publication_open(&cfg, &pub, &err);
  TESTNET_CHECK(rc == MCTX_OK, "open route-selected: %s (%s)", err.message,
                mctx_code_name(rc));
  return pub;
}

static void
pton(int af, const char *text, void *out)
{
  TESTNET_CHECK(inet_pton(af, text, out) == 1, "bad address %s", text);
}

size_t
rawtest_ipv4_udp(uint8_t *out, const char *src, const char *dst, uint8_t ttl,
                 uint16_t id, uint16_t sport, uint16_t dport,
                 const void *payload, size_t len)
{
  uint8_t s[4], d[4];
  pton(AF_INET, src, s);
  pton(AF_INET, dst, d);
  ipbuild_udp udp = {sport, dport, payload, len};
  return ipbuild_udp4(out, s, d, ttl, id, &udp);
}

size_t
rawtest_ipv6_udp(uint8_t *out, const char *src, const char *dst, uint8_t tclass,
                 uint32_t flow_label, uint8_t hops, bool dest_opts,
                 uint16_t sport, uint16_t dport, const void *payload,
                 size_t len)
{
  uint8_t s[16], d[16];
  pton(AF_INET6, src, s);
  pton(AF_INET6, dst, d);
  ipbuild_udp udp = {sport, dport, payload, len};
  return ipbuild_udp6(out, s, d, tclass, flow_label, hops, dest_opts, &udp);
}

int
rawtest_capture_open(const char *ns, const char *ifname)
{
  int fd = testnet_socket_in(ns, AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC,
                             htons(ETH_P_ALL));
  TESTNET_CHECK(fd >= 0, "AF_PACKET socket in %s: %s", ns, strerror(errno));
  struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                            .sll_protocol = htons(ETH_P_ALL),
                            .sll_ifindex =
                                (int) testnet_ifindex_in(ns, ifname)};
  TESTNET_CHECK(bind(fd, (struct sockaddr *) &sll, sizeof sll) == 0,
                "bind capture to %s: %s", ifname, strerror(errno));
  return fd;
}

static int64_t
now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
rawtest_capture_find(int fd, const char *marker, uint8_t *buf, size_t cap,
                     int timeout_ms)
{
  int64_t deadline = now_ms() + timeout_ms;
  size_t mlen = strlen(marker);
  /* Bounded in time by the deadline and in count by this cap. */
  for (int frames = 0; frames < 10000; frames++) {
    int64_t left = deadline - now_ms();
    if (left <= 0)
      return -1;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int n = poll(&pfd, 1, (int) left);
    if (n <= 0)
      return -1;
    struct sockaddr_ll from;
    socklen_t flen = sizeof from;
    ssize_t len =
        recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *) &from, &flen);
    if (len <= 0)
      continue;
    if (from.sll_pkttype == PACKET_OUTGOING)
      continue;
    uint16_t proto = ntohs(from.sll_protocol);
    if (proto != ETH_P_IP && proto != ETH_P_IPV6)
      continue;
    if (memmem(buf, (size_t) len, marker, mlen) != NULL)
      return (int) len;
  }
  return -1;
}

void
rawtest_expect_only_on(int want, int other, const uint8_t *d, size_t len,
                       const char *marker, const char *where)
{
  uint8_t got[2048];
  int n = rawtest_capture_find(want, marker, got, sizeof got, 3000);
  TESTNET_CHECK(n >= 0 && (size_t) n == len && memcmp(got, d, len) == 0,
                "%s did not arrive on %s byte for byte (%d bytes of %zu)",
                marker, where, n, len);
  if (other >= 0) {
    n = rawtest_capture_find(other, marker, got, sizeof got, 300);
    TESTNET_CHECK(n < 0, "%s also arrived on the other link", marker);
  }
  printf("ok %s: on %s only, byte for byte\n", marker, where);
}
