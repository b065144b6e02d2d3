/* Receivers and assertions for the publication tests: real sockets, joined
 * like a user's receiver would join, reads bounded by poll timeouts.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_TEST_PUB_NET_H
#define MCTX_TEST_PUB_NET_H

#include "mctx.h"
#include "testnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHECK TESTNET_CHECK

/* How long a receiver waits for a datagram that must come, and for one that
 * must not (the latter bounds the "gets none" checks). */
#define PUB_WAIT_MS 2000
#define PUB_SILENCE_MS 300

#define CHECK_RC(rc, err, want)                                              \
  CHECK ((rc) == (want) && (err).code == (want),                             \
      "expected %s, got %s: %s", mctx_code_name (want), mctx_code_name (rc), \
      (err).message)

#define CHECK_OK(rc, err) CHECK_RC (rc, err, MCTX_OK)

/* rc is code and the message names `needle`. */
#define CHECK_ERR(rc, err, want, needle)                                     \
  do {                                                                       \
    CHECK_RC (rc, err, want);                                                \
    CHECK (strstr ((err).message, (needle)) != NULL,                         \
        "message \"%s\" does not name \"%s\"", (err).message, (needle));     \
  } while (0)

static inline mctx_ip
ip_of (const char *text)
{
  mctx_ip ip;
  mctx_error err;
  int rc = mctx_ip_parse (text, &ip, &err);
  CHECK (rc == MCTX_OK, "parse %s: %s", text, err.message);
  return ip;
}

static inline void
cfg_init (mctx_publication_config *cfg, const char *group, uint16_t port)
{
  mctx_error err;
  int rc = mctx_config_init_group (cfg, group, port, &err);
  CHECK (rc == MCTX_OK, "group %s: %s", group, err.message);
}

static inline void
cfg_interface (mctx_publication_config *cfg, const char *text)
{
  mctx_error err;
  int rc = mctx_interface_parse (text, &cfg->interface, &err);
  CHECK (rc == MCTX_OK, "interface %s: %s", text, err.message);
}

static inline void
cfg_source (mctx_publication_config *cfg, const char *text)
{
  cfg->source_addr = ip_of (text);
}

static inline const char *
ip_str (const mctx_ip *ip, char buf[MCTX_IP_STRLEN])
{
  return mctx_ip_format (ip, buf, MCTX_IP_STRLEN);
}

/* A UDP receiver bound to the wildcard address and `port`, in ns (NULL: the
 * current namespace), with room for bursts. */
static inline int
recv_socket (const char *ns, int family, uint16_t port)
{
  int fd = ns ? testnet_socket_in (ns, family, SOCK_DGRAM, 0)
              : socket (family, SOCK_DGRAM, 0);
  CHECK (fd >= 0, "receiver socket: %s", strerror (errno));
  int one = 1, big = 8 << 20;
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  if (family == AF_INET) {
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons (port) };
    CHECK (bind (fd, (struct sockaddr *) &sin, sizeof sin) == 0, "bind: %s",
        strerror (errno));
    setsockopt (fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
    setsockopt (fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof one);
  } else {
    struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
      .sin6_port = htons (port) };
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    CHECK (bind (fd, (struct sockaddr *) &sin6, sizeof sin6) == 0, "bind: %s",
        strerror (errno));
    setsockopt (fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one);
    setsockopt (fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof one);
  }
  return fd;
}

/* IPv4 any-source join on the interface with this index. */
static inline void
join4 (int fd, const char *group, uint32_t ifindex)
{
  struct ip_mreqn m;
  memset (&m, 0, sizeof m);
  inet_pton (AF_INET, group, &m.imr_multiaddr);
  m.imr_ifindex = (int) ifindex;
  CHECK (setsockopt (fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) == 0,
      "IP_ADD_MEMBERSHIP %s: %s", group, strerror (errno));
}

/* IPv4 source-specific join (S,G) on the interface that has `local`. */
static inline void
join4_ssm (int fd, const char *group, const char *source, const char *local)
{
  struct ip_mreq_source m;
  memset (&m, 0, sizeof m);
  inet_pton (AF_INET, group, &m.imr_multiaddr);
  inet_pton (AF_INET, source, &m.imr_sourceaddr);
  inet_pton (AF_INET, local, &m.imr_interface);
  CHECK (setsockopt (fd, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &m, sizeof m) == 0,
      "IP_ADD_SOURCE_MEMBERSHIP (%s,%s): %s", source, group, strerror (errno));
}

static inline void
join6 (int fd, const char *group, uint32_t ifindex)
{
  struct ipv6_mreq m;
  memset (&m, 0, sizeof m);
  inet_pton (AF_INET6, group, &m.ipv6mr_multiaddr);
  m.ipv6mr_interface = ifindex;
  CHECK (setsockopt (fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m) == 0,
      "IPV6_JOIN_GROUP %s: %s", group, strerror (errno));
}

/* Source-specific join, protocol independent (MCAST_JOIN_SOURCE_GROUP). */
static inline void
join6_ssm (int fd, const char *group, const char *source, uint32_t ifindex)
{
  struct group_source_req r;
  memset (&r, 0, sizeof r);
  r.gsr_interface = ifindex;
  struct sockaddr_in6 *g = (struct sockaddr_in6 *) &r.gsr_group;
  struct sockaddr_in6 *s = (struct sockaddr_in6 *) &r.gsr_source;
  g->sin6_family = s->sin6_family = AF_INET6;
  inet_pton (AF_INET6, group, &g->sin6_addr);
  inet_pton (AF_INET6, source, &s->sin6_addr);
  CHECK (setsockopt (fd, IPPROTO_IPV6, MCAST_JOIN_SOURCE_GROUP, &r, sizeof r) == 0,
      "MCAST_JOIN_SOURCE_GROUP (%s,%s): %s", source, group, strerror (errno));
}

/* One received datagram: payload, sender, TTL / hop limit and TOS / traffic
 * class (-1 unknown). */
typedef struct received {
  char data[2048];
  size_t len;
  char from[INET6_ADDRSTRLEN];
  uint16_t from_port;
  int ttl;
  int tos;
} received;

/* Waits up to ms for one datagram. Returns false on timeout. */
static inline bool
recv_within (int fd, int ms, received *out)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };
  if (poll (&p, 1, ms) <= 0)
    return false;
  struct sockaddr_storage ss;
  char control[256];
  struct iovec iov = { out->data, sizeof out->data };
  struct msghdr msg = { .msg_name = &ss, .msg_namelen = sizeof ss,
    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
    .msg_controllen = sizeof control };
  ssize_t n = recvmsg (fd, &msg, MSG_DONTWAIT);
  CHECK (n >= 0, "recvmsg: %s", strerror (errno));
  out->len = (size_t) n;
  out->ttl = -1;
  out->tos = -1;
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *) &ss;
    inet_ntop (AF_INET, &sin->sin_addr, out->from, sizeof out->from);
    out->from_port = ntohs (sin->sin_port);
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;
    inet_ntop (AF_INET6, &sin6->sin6_addr, out->from, sizeof out->from);
    out->from_port = ntohs (sin6->sin6_port);
  }
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c)) {
    if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
        (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT))
      memcpy (&out->ttl, CMSG_DATA (c), sizeof out->ttl);
    else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)
      out->tos = *(unsigned char *) CMSG_DATA (c);
    else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS)
      memcpy (&out->tos, CMSG_DATA (c), sizeof out->tos);
  }
  return true;
}

/* A datagram with exactly this payload arrives within PUB_WAIT_MS. */
static inline void
expect_datagram (int fd, const char *payload, received *out)
{
  received r;
  if (out == NULL)
    out = &r;
  CHECK (recv_within (fd, PUB_WAIT_MS, out), "no datagram \"%s\" within %d ms",
      payload, PUB_WAIT_MS);
  CHECK (out->len == strlen (payload) && memcmp (out->data, payload, out->len) == 0,
      "got %zu bytes \"%.*s\", expected \"%s\"", out->len, (int) out->len,
      out->data, payload);
}

/* Nothing arrives within PUB_SILENCE_MS. */
static inline void
expect_silence (int fd, const char *why)
{
  received r;
  CHECK (!recv_within (fd, PUB_SILENCE_MS, &r), "%s: got \"%.*s\" from %s",
      why, (int) r.len, r.data, r.from);
}

/* Reads and forgets whatever is queued (bounded). */
static inline void
drain_receiver (int fd)
{
  received r;
  for (int i = 0; i < 10000 && recv_within (fd, 0, &r); i++) {
  }
}

static inline void
send_text (mctx_publication *pub, const char *payload, mctx_send_report *report)
{
  mctx_error err;
  int rc = mctx_publication_send (pub, payload, strlen (payload), report, &err);
  CHECK_OK (rc, err);
}

#endif
