/* SPDX-License-Identifier: BSD-2-Clause */
#include "cli-recv.h"

#include "testnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RECV_TIMEOUT_MS 2000

void
cli_recv_bind (int fd, int family, uint16_t port)
{
  TESTNET_CHECK (fd >= 0, "receiver socket: %s", strerror (errno));
  int on = 1;
  TESTNET_CHECK (setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0,
      "SO_REUSEADDR: %s", strerror (errno));
  struct sockaddr_storage ss = { 0 };
  socklen_t len;
  if (family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *) &ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons (port);
    len = sizeof *sin;
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons (port);
    len = sizeof *sin6;
  }
  TESTNET_CHECK (bind (fd, (struct sockaddr *) &ss, len) == 0, "bind port %u: %s",
      port, strerror (errno));
}

static struct in_addr
v4 (const char *text)
{
  struct in_addr a;
  TESTNET_CHECK (inet_pton (AF_INET, text, &a) == 1, "bad IPv4 literal %s", text);
  return a;
}

static struct sockaddr_in6
v6 (const char *text)
{
  struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
  TESTNET_CHECK (inet_pton (AF_INET6, text, &sin6.sin6_addr) == 1,
      "bad IPv6 literal %s", text);
  return sin6;
}

void
cli_recv_join_v4 (int fd, const char *group, uint32_t ifindex)
{
  struct ip_mreqn mreq = { .imr_multiaddr = v4 (group), .imr_ifindex = (int) ifindex };
  TESTNET_CHECK (setsockopt (fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) == 0,
      "join %s on ifindex %u: %s", group, ifindex, strerror (errno));
}

void
cli_recv_join_ssm_v4 (int fd, const char *group, const char *source,
    const char *iface_addr)
{
  struct ip_mreq_source mreq = {
    .imr_multiaddr = v4 (group),
    .imr_interface = v4 (iface_addr),
    .imr_sourceaddr = v4 (source),
  };
  TESTNET_CHECK (setsockopt (fd, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &mreq,
          sizeof mreq) == 0,
      "join (%s, %s) on %s: %s", source, group, iface_addr, strerror (errno));
}

void
cli_recv_join_v6 (int fd, const char *group, uint32_t ifindex)
{
  struct ipv6_mreq mreq = { .ipv6mr_multiaddr = v6 (group).sin6_addr,
    .ipv6mr_interface = ifindex };
  TESTNET_CHECK (setsockopt (fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq) == 0,
      "join %s on ifindex %u: %s", group, ifindex, strerror (errno));
}

void
cli_recv_join_ssm_v6 (int fd, const char *group, const char *source, uint32_t ifindex)
{
  struct group_source_req req = { .gsr_interface = ifindex };
  struct sockaddr_in6 g = v6 (group), s = v6 (source);
  memcpy (&req.gsr_group, &g, sizeof g);
  memcpy (&req.gsr_source, &s, sizeof s);
  TESTNET_CHECK (setsockopt (fd, IPPROTO_IPV6, MCAST_JOIN_SOURCE_GROUP, &req,
          sizeof req) == 0,
      "join (%s, %s) on ifindex %u: %s", source, group, ifindex, strerror (errno));
}

static void
format_sender (const struct sockaddr_storage *ss, char *ip, size_t size,
    uint16_t *port)
{
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *) ss;
    inet_ntop (AF_INET, &sin->sin_addr, ip, (socklen_t) size);
    *port = ntohs (sin->sin_port);
  } else {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) ss;
    inet_ntop (AF_INET6, &sin6->sin6_addr, ip, (socklen_t) size);
    *port = ntohs (sin6->sin6_port);
  }
}

void
cli_recv_expect (int fd, int count, const char *payload, const char *source,
    uint16_t port)
{
  for (int i = 0; i < count; i++) {
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    int ready = poll (&pfd, 1, RECV_TIMEOUT_MS);
    TESTNET_CHECK (ready == 1, "datagram %d of %d (\"%s\" from %s) did not arrive "
        "within %d ms", i + 1, count, payload, source ? source : "any source",
        RECV_TIMEOUT_MS);
    char buf[2048];
    struct sockaddr_storage from;
    socklen_t fromlen = sizeof from;
    ssize_t n = recvfrom (fd, buf, sizeof buf - 1, 0, (struct sockaddr *) &from,
        &fromlen);
    TESTNET_CHECK (n >= 0, "recvfrom: %s", strerror (errno));
    buf[n] = '\0';
    char ip[INET6_ADDRSTRLEN];
    uint16_t from_port;
    format_sender (&from, ip, sizeof ip, &from_port);
    TESTNET_CHECK ((size_t) n == strlen (payload) && memcmp (buf, payload, (size_t) n) == 0,
        "datagram %d: got \"%s\" (%zd bytes), want \"%s\"", i + 1, buf, n, payload);
    TESTNET_CHECK (source == NULL || strcmp (ip, source) == 0,
        "datagram %d came from %s, want %s", i + 1, ip, source);
    TESTNET_CHECK (port == 0 || from_port == port,
        "datagram %d came from port %u, want %u", i + 1, from_port, port);
  }
}

void
cli_recv_expect_none (int fd, int ms)
{
  struct pollfd pfd = { .fd = fd, .events = POLLIN };
  int ready = poll (&pfd, 1, ms);
  if (ready == 1) {
    char buf[2048];
    struct sockaddr_storage from;
    socklen_t fromlen = sizeof from;
    ssize_t n = recvfrom (fd, buf, sizeof buf - 1, 0, (struct sockaddr *) &from,
        &fromlen);
    char ip[INET6_ADDRSTRLEN] = "?";
    uint16_t from_port = 0;
    if (n >= 0)
      format_sender (&from, ip, sizeof ip, &from_port);
    testnet_fail (__FILE__, __LINE__, "no datagram", "a datagram (%zd bytes) from "
        "%s:%u arrived where none should", n, ip, from_port);
  }
}
