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
rawtest_pair_setup (rawtest_pair *pair)
{
  testnet_private_netns_or_skip ();
  pair->peer = testnet_peer_create ("raw");
  testnet_veth ("rv0", pair->peer, "rv1");
  const char *p = pair->peer;
  testnet_sh_ok ("ip addr add 10.77.0.1/24 dev rv0");
  testnet_sh_ok ("ip addr add fd77::1/64 dev rv0 nodad");
  testnet_sh_ok ("ip -n %s addr add 10.77.0.2/24 dev rv1", p);
  testnet_sh_ok ("ip -n %s addr add fd77::2/64 dev rv1 nodad", p);
  /* Datagrams from far sources (the AMT case) must be accepted there. */
  testnet_sh_ok ("ip netns exec %s sh -c 'for f in all default rv1; do "
                 "sysctl -qw net.ipv4.conf.$f.rp_filter=0; done'", p);
  testnet_sh_ok ("ip -n %s route add default dev rv1", p);
  testnet_sh_ok ("ip -n %s -6 route add default dev rv1", p);
  testnet_wait_ipv6_ready (p, 3000);
  pair->local_index = testnet_ifindex ("rv0");
  pair->peer_index = testnet_ifindex_in (p, "rv1");
  TESTNET_CHECK (pair->local_index > 0 && pair->peer_index > 0,
                 "veth indexes %u %u", pair->local_index, pair->peer_index);
}

static uint32_t
sum16 (uint32_t sum, const uint8_t *p, size_t len)
{
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += (uint32_t) ((p[i] << 8) | p[i + 1]);
  if (len & 1)
    sum += (uint32_t) (p[len - 1] << 8);
  return sum;
}

static uint16_t
fold (uint32_t sum)
{
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t) ~sum;
}

static void
put16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) (v >> 8);
  p[1] = (uint8_t) v;
}

uint16_t
rawtest_ipv4_header_checksum (const uint8_t *header, size_t len)
{
  uint32_t sum = sum16 (0, header, 10);
  return fold (sum16 (sum, header + 12, len - 12));
}

static void
put_udp (uint8_t *udp, uint16_t sport, uint16_t dport, const void *payload,
         size_t len, uint32_t pseudo_sum)
{
  size_t udp_len = 8 + len;
  put16 (udp, sport);
  put16 (udp + 2, dport);
  put16 (udp + 4, (uint16_t) udp_len);
  put16 (udp + 6, 0);
  memcpy (udp + 8, payload, len);
  uint16_t check = fold (sum16 (pseudo_sum, udp, udp_len));
  put16 (udp + 6, check ? check : 0xffff);
}

static void
pton (int af, const char *text, void *out)
{
  TESTNET_CHECK (inet_pton (af, text, out) == 1, "bad address %s", text);
}

size_t
rawtest_ipv4_udp (uint8_t *out, const char *src, const char *dst, uint8_t ttl,
                  uint16_t id, uint16_t sport, uint16_t dport,
                  const void *payload, size_t len)
{
  size_t total = 20 + 8 + len;
  memset (out, 0, 20);
  out[0] = 0x45;
  put16 (out + 2, (uint16_t) total);
  put16 (out + 4, id);
  out[8] = ttl;
  out[9] = 17;
  pton (AF_INET, src, out + 12);
  pton (AF_INET, dst, out + 16);
  put16 (out + 10, rawtest_ipv4_header_checksum (out, 20));
  uint8_t tail[4] = { 0, 17, 0, 0 };
  put16 (tail + 2, (uint16_t) (8 + len));
  uint32_t pseudo = sum16 (sum16 (0, out + 12, 8), tail, 4);
  put_udp (out + 20, sport, dport, payload, len, pseudo);
  return total;
}

size_t
rawtest_ipv6_udp (uint8_t *out, const char *src, const char *dst,
                  uint8_t tclass, uint32_t flow_label, uint8_t hops,
                  bool dest_opts, uint16_t sport, uint16_t dport,
                  const void *payload, size_t len)
{
  size_t ext = dest_opts ? 8 : 0;
  size_t udp_len = 8 + len;
  memset (out, 0, 40 + ext);
  uint32_t first = (6u << 28) | ((uint32_t) tclass << 20) | (flow_label & 0xfffff);
  out[0] = (uint8_t) (first >> 24);
  out[1] = (uint8_t) (first >> 16);
  out[2] = (uint8_t) (first >> 8);
  out[3] = (uint8_t) first;
  put16 (out + 4, (uint16_t) (ext + udp_len));
  out[6] = dest_opts ? 60 : 17;
  out[7] = hops;
  pton (AF_INET6, src, out + 8);
  pton (AF_INET6, dst, out + 24);
  if (dest_opts) {
    out[40] = 17;  /* next header */
    out[41] = 0;   /* length: 8 bytes */
    out[42] = 1;   /* PadN */
    out[43] = 4;
  }
  uint8_t tail[8] = { 0 };
  put16 (tail + 2, (uint16_t) udp_len);
  tail[7] = 17;
  uint32_t pseudo = sum16 (sum16 (0, out + 8, 32), tail, 8);
  put_udp (out + 40 + ext, sport, dport, payload, len, pseudo);
  return 40 + ext + udp_len;
}

int
rawtest_capture_open (const char *ns, const char *ifname)
{
  int fd = testnet_socket_in (ns, AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC,
                              htons (ETH_P_ALL));
  TESTNET_CHECK (fd >= 0, "AF_PACKET socket in %s: %s", ns, strerror (errno));
  struct sockaddr_ll sll = { .sll_family = AF_PACKET,
                             .sll_protocol = htons (ETH_P_ALL),
                             .sll_ifindex = (int) testnet_ifindex_in (ns, ifname) };
  TESTNET_CHECK (bind (fd, (struct sockaddr *) &sll, sizeof sll) == 0,
                 "bind capture to %s: %s", ifname, strerror (errno));
  return fd;
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
rawtest_capture_find (int fd, const char *marker, uint8_t *buf, size_t cap,
                      int timeout_ms)
{
  int64_t deadline = now_ms () + timeout_ms;
  size_t mlen = strlen (marker);
  /* Bounded in time by the deadline and in count by this cap. */
  for (int frames = 0; frames < 10000; frames++) {
    int64_t left = deadline - now_ms ();
    if (left <= 0)
      return -1;
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    int n = poll (&pfd, 1, (int) left);
    if (n <= 0)
      return -1;
    struct sockaddr_ll from;
    socklen_t flen = sizeof from;
    ssize_t len = recvfrom (fd, buf, cap, MSG_DONTWAIT,
                            (struct sockaddr *) &from, &flen);
    if (len <= 0)
      continue;
    if (from.sll_pkttype == PACKET_OUTGOING)
      continue;
    uint16_t proto = ntohs (from.sll_protocol);
    if (proto != ETH_P_IP && proto != ETH_P_IPV6)
      continue;
    if (memmem (buf, (size_t) len, marker, mlen) != NULL)
      return (int) len;
  }
  return -1;
}
