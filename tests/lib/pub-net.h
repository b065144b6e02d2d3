/* Receivers and assertions for the publication tests: real sockets, joined
 * like a user's receiver would join, reads bounded by poll timeouts.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_TEST_PUB_NET_H
#define MCTX_TEST_PUB_NET_H

#include "mctx.h"
#include "mcast-recv.h"
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

#define CHECK_RC(rc, err, want)                                            \
  CHECK((rc) == (want) && (err).code == (want), "expected %s, got %s: %s", \
        mctx_code_name(want), mctx_code_name(rc), (err).message)

#define CHECK_OK(rc, err) CHECK_RC(rc, err, MCTX_OK)

/* rc is code and the error's subject is `about` (test-messages.c pins the
 * words). */
#define CHECK_ERR(rc, err, want, about)                               \
  do {                                                                \
    CHECK_RC(rc, err, want);                                          \
    CHECK((err).subject == (about), "subject %s, want %s: %s",        \
          mctx_subject_name((err).subject), mctx_subject_name(about), \
          (err).message);                                             \
  } while (0)

static inline mctx_ip
ip_of(const char *text)
{
  mctx_ip ip;
  mctx_error err;
  int rc = mctx_ip_parse(text, &ip, &err);
  CHECK(rc == MCTX_OK, "parse %s: %s", text, err.message);
  return ip;
}

static inline void
cfg_init(mctx_publication_config *cfg, const char *group, uint16_t port)
{
  mctx_error err;
  int rc = mctx_publication_config_init_group(cfg, group, port, &err);
  CHECK(rc == MCTX_OK, "group %s: %s", group, err.message);
}

static inline void
cfg_interface(mctx_publication_config *cfg, const char *text)
{
  mctx_error err;
  int rc = mctx_interface_parse(text, &cfg->interface, &err);
  CHECK(rc == MCTX_OK, "interface %s: %s", text, err.message);
}

static inline void
cfg_source(mctx_publication_config *cfg, const char *text)
{
  cfg->source_addr = ip_of(text);
}

static inline const char *
ip_str(const mctx_ip *ip, char buf[MCTX_IP_STRLEN])
{
  return mctx_ip_format(ip, buf, MCTX_IP_STRLEN);
}

/* A UDP receiver bound to the wildcard address and `port`, in ns (NULL: the
 * current namespace), with room for bursts, reporting TTL and TOS. Joins are
 * mcast_join_v4, mcast_join_ssm_v4, mcast_join_v6 and mcast_join_ssm_v6. */
static inline int
recv_socket(const char *ns, int family, uint16_t port)
{
  int fd = mcast_recv_socket(ns, family, NULL, port);
  int one = 1, big = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  if (family == AF_INET) {
    setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
    setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof one);
  } else {
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof one);
  }
  return fd;
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
recv_within(int fd, int ms, received *out)
{
  struct pollfd p = {.fd = fd, .events = POLLIN};
  if (poll(&p, 1, ms) <= 0)
    return false;
  struct sockaddr_storage ss;
  char control[256];
  struct iovec iov = {out->data, sizeof out->data};
  struct msghdr msg = {.msg_name = &ss,
                       .msg_namelen = sizeof ss,
                       .msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control,
                       .msg_controllen = sizeof control};
  ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
  CHECK(n >= 0, "recvmsg: %s", strerror(errno));
  out->len = (size_t) n;
  out->ttl = -1;
  out->tos = -1;
  mcast_format_sender(&ss, out->from, sizeof out->from, &out->from_port);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
        (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT))
      memcpy(&out->ttl, CMSG_DATA(c), sizeof out->ttl);
    else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)
      out->tos = *(unsigned char *) CMSG_DATA(c);
    else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS)
      memcpy(&out->tos, CMSG_DATA(c), sizeof out->tos);
  }
  return true;
}

/* A datagram with exactly this payload arrives within PUB_WAIT_MS. */
static inline void
expect_datagram(int fd, const char *payload, received *out)
{
  received r;
  if (out == NULL)
    out = &r;
  CHECK(recv_within(fd, PUB_WAIT_MS, out), "no datagram \"%s\" within %d ms",
        payload, PUB_WAIT_MS);
  CHECK(out->len == strlen(payload) &&
            memcmp(out->data, payload, out->len) == 0,
        "got %zu bytes \"%.*s\", expected \"%s\"", out->len, (int) out->len,
        out->data, payload);
}

/* Nothing arrives within PUB_SILENCE_MS. */
static inline void
expect_silence(int fd, const char *why)
{
  received r;
  CHECK(!recv_within(fd, PUB_SILENCE_MS, &r), "%s: got \"%.*s\" from %s", why,
        (int) r.len, r.data, r.from);
}

/* Reads and forgets whatever is queued (bounded). */
static inline void
drain_receiver(int fd)
{
  received r;
  for (int i = 0; i < 10000 && recv_within(fd, 0, &r); i++) {
  }
}

static inline void
send_text(mctx_publication *pub, const char *payload, mctx_send_report *report)
{
  mctx_error err;
  int rc = mctx_publication_send(pub, payload, strlen(payload), report, &err);
  CHECK_OK(rc, err);
}

#endif
