/* SPDX-License-Identifier: BSD-2-Clause */
#include "mcast-recv.h"

#include "testnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

static void
pton(int family, const char *text, void *out)
{
  TESTNET_CHECK(inet_pton(family, text, out) == 1, "bad %s literal %s",
                family == AF_INET ? "IPv4" : "IPv6", text);
}

void
mcast_recv_bind(int fd, int family, const char *bind_addr, uint16_t port)
{
  TESTNET_CHECK(fd >= 0, "receiver socket: %s", strerror(errno));
  int on = 1;
  TESTNET_CHECK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0,
                "SO_REUSEADDR: %s", strerror(errno));
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  if (family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *) &ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    if (bind_addr != NULL)
      pton(AF_INET, bind_addr, &sin->sin_addr);
    len = sizeof *sin;
  } else {
    TESTNET_CHECK(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) ==
                      0,
                  "IPV6_V6ONLY: %s", strerror(errno));
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    if (bind_addr != NULL)
      pton(AF_INET6, bind_addr, &sin6->sin6_addr);
    len = sizeof *sin6;
  }
  TESTNET_CHECK(bind(fd, (struct sockaddr *) &ss, len) == 0,
                "bind %s port %u: %s", bind_addr ? bind_addr : "any", port,
                strerror(errno));
}

int
mcast_recv_socket(const char *ns, int family, const char *bind_addr,
                  uint16_t port)
{
  int fd = ns ? testnet_socket_in(ns, family, SOCK_DGRAM | SOCK_CLOEXEC, 0)
              : socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  mcast_recv_bind(fd, family, bind_addr, port);
  return fd;
}

void
mcast_join_v4(int fd, const char *group, uint32_t ifindex)
{
  struct ip_mreqn m = {.imr_ifindex = (int) ifindex};
  pton(AF_INET, group, &m.imr_multiaddr);
  TESTNET_CHECK(setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) ==
                    0,
                "IP_ADD_MEMBERSHIP %s on ifindex %u: %s", group, ifindex,
                strerror(errno));
}

void
mcast_join_ssm_v4(int fd, const char *group, const char *source,
                  const char *iface_addr)
{
  struct ip_mreq_source m;
  memset(&m, 0, sizeof m);
  pton(AF_INET, group, &m.imr_multiaddr);
  pton(AF_INET, source, &m.imr_sourceaddr);
  pton(AF_INET, iface_addr, &m.imr_interface);
  TESTNET_CHECK(
      setsockopt(fd, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &m, sizeof m) == 0,
      "IP_ADD_SOURCE_MEMBERSHIP (%s, %s) on %s: %s", source, group, iface_addr,
      strerror(errno));
}

void
mcast_join_v6(int fd, const char *group, uint32_t ifindex)
{
  struct ipv6_mreq m = {.ipv6mr_interface = ifindex};
  pton(AF_INET6, group, &m.ipv6mr_multiaddr);
  TESTNET_CHECK(
      setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m) == 0,
      "IPV6_JOIN_GROUP %s on ifindex %u: %s", group, ifindex, strerror(errno));
}

void
mcast_join_ssm_v6(int fd, const char *group, const char *source,
                  uint32_t ifindex)
{
  struct group_source_req r;
  memset(&r, 0, sizeof r);
  r.gsr_interface = ifindex;
  struct sockaddr_in6 *g = (struct sockaddr_in6 *) &r.gsr_group;
  struct sockaddr_in6 *s = (struct sockaddr_in6 *) &r.gsr_source;
  g->sin6_family = s->sin6_family = AF_INET6;
  pton(AF_INET6, group, &g->sin6_addr);
  pton(AF_INET6, source, &s->sin6_addr);
  TESTNET_CHECK(
      setsockopt(fd, IPPROTO_IPV6, MCAST_JOIN_SOURCE_GROUP, &r, sizeof r) == 0,
      "MCAST_JOIN_SOURCE_GROUP (%s, %s) on ifindex %u: %s", source, group,
      ifindex, strerror(errno));
}

int
mcast_receiver(const char *ns, const char *group, uint16_t port,
               uint32_t ifindex, const char *iface_addr, const char *source)
{
  bool v6 = strchr(group, ':') != NULL;
  int fd = mcast_recv_socket(ns, v6 ? AF_INET6 : AF_INET, NULL, port);
  if (source == NULL && v6)
    mcast_join_v6(fd, group, ifindex);
  else if (source == NULL)
    mcast_join_v4(fd, group, ifindex);
  else if (v6)
    mcast_join_ssm_v6(fd, group, source, ifindex);
  else
    mcast_join_ssm_v4(fd, group, source, iface_addr);
  return fd;
}

void
mcast_format_sender(const struct sockaddr_storage *ss, char *ip, size_t ip_size,
                    uint16_t *port)
{
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *) ss;
    inet_ntop(AF_INET, &sin->sin_addr, ip, (socklen_t) ip_size);
    *port = ntohs(sin->sin_port);
  } else {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) ss;
    inet_ntop(AF_INET6, &sin6->sin6_addr, ip, (socklen_t) ip_size);
    *port = ntohs(sin6->sin6_port);
  }
}

ssize_t
mcast_recv_within(int fd, void *buf, size_t cap, int flags, char *from,
                  size_t from_size, uint16_t *from_port, int timeout_ms)
{
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  if (poll(&pfd, 1, timeout_ms) != 1)
    return -1;
  struct sockaddr_storage ss;
  socklen_t sslen = sizeof ss;
  ssize_t n = recvfrom(fd, buf, cap, flags | MSG_DONTWAIT,
                       (struct sockaddr *) &ss, &sslen);
  TESTNET_CHECK(n >= 0, "recvfrom: %s", strerror(errno));
  if (from != NULL) {
    uint16_t port;
    mcast_format_sender(&ss, from, from_size, &port);
    if (from_port != NULL)
      *from_port = port;
  }
  return n;
}
