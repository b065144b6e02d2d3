/* Route-selected raw IPv6 egress (Linux): the interface of each datagram
 * from a route lookup, cached per (destination, source) and forgotten on
 * rtnetlink route and link events.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A lookup asks the kernel (RTM_GETROUTE for destination and source, so
 * policy rules and every table count). For a multicast group the kernel
 * answers with the automatic "multicast ff00::/8" route that every IPv6
 * interface has in the local table, unless a longer route matches first
 * (ip -6 route add ff3e::/16 dev eth1 table local); that answer names
 * whichever interface comes first, so then the main table decides, as in
 * mctx-core: longest prefix, then lowest metric (a default route counts).
 * Lookups happen only on a cache miss, answers "no route" included; the
 * event socket is read without blocking at most once a millisecond, so a
 * steady stream makes no system call for its routes.
 */
#include "mctx-private.h"

#if defined(__linux__)

#  include <errno.h>
#  include <linux/netlink.h>
#  include <linux/rtnetlink.h>
#  include <net/if.h>
#  include <stdlib.h>
#  include <string.h>
#  include <sys/socket.h>
#  include <time.h>
#  include <unistd.h>

/* Distinct (destination, source) pairs remembered; a power of two. An AMT
 * gateway re-emits a few (S,G); a collision only costs a lookup. */
#  define ROUTE_CACHE_SIZE 64
#  define ROUTE_POLL_NS 1000000
/* Bound of one event drain. */
#  define EVENT_READS_MAX 256

typedef enum route_answer {
  ROUTE_FOUND = 0,
  ROUTE_REFUSED,  /* the kernel's lookup failed with errno */
  ROUTE_NO_GROUP, /* multicast: only the automatic ff00::/8 routes match */
} route_answer;

typedef struct route_entry {
  uint8_t destination[16];
  uint8_t source[16];
  uint64_t generation; /* valid while equal to the cache's */
  route_answer answer;
  int sys_errno;
  mctx__raw_hop hop;
} route_entry;

struct mctx__raw_routes {
  int request_fd;
  int event_fd;
  uint32_t seq;
  uint64_t generation; /* from 1: a zeroed entry is never valid */
  int64_t next_poll_ns;
  route_entry entries[ROUTE_CACHE_SIZE];
  /* One netlink answer; a dump comes in parts of at most 32 KiB. */
  char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
};

static int
open_netlink(int *out, uint32_t groups, mctx_error *err)
{
  int fd =
      socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | (groups ? SOCK_NONBLOCK : 0),
             NETLINK_ROUTE);
  if (fd < 0)
    return mctx__fail(err, MCTX_E_SOCKET_CREATE_FAILED, MCTX_SUBJECT_SOCKET,
                      errno, "cannot open a route (netlink) socket: %s",
                      strerror(errno));
  *out = fd;
  struct sockaddr_nl local = {.nl_family = AF_NETLINK, .nl_groups = groups};
  if (bind(fd, (struct sockaddr *) &local, sizeof local) != 0)
    return mctx__fail(
        err, MCTX_E_SOCKET_BIND_FAILED, MCTX_SUBJECT_SOCKET, errno,
        "cannot subscribe to IPv6 route and link events: %s", strerror(errno));
  if (groups == 0) {
    /* A lookup never hangs a send on the kernel. */
    struct timeval tv = {1, 0};
    (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  return MCTX_OK;
}

int
mctx__raw_routes_open(mctx__raw_routes **out, mctx_error *err)
{
  mctx__raw_routes *r = calloc(1, sizeof *r);
  if (r == NULL)
    return mctx__fail(err, MCTX_E_NO_MEMORY, MCTX_SUBJECT_NONE, ENOMEM,
                      "no memory for a route cache");
  r->request_fd = r->event_fd = -1;
  r->generation = 1;
  int rc = open_netlink(&r->event_fd, RTMGRP_IPV6_ROUTE | RTMGRP_LINK, err);
  if (rc == MCTX_OK)
    rc = open_netlink(&r->request_fd, 0, err);
  if (rc != MCTX_OK) {
    mctx__raw_routes_close(r);
    return rc;
  }
  *out = r;
  return MCTX_OK;
}

void
mctx__raw_routes_close(mctx__raw_routes *r)
{
  if (r == NULL)
    return;
  if (r->event_fd >= 0)
    close(r->event_fd);
  if (r->request_fd >= 0)
    close(r->request_fd);
  free(r);
}

void
mctx__raw_routes_forget(mctx__raw_routes *r)
{
  r->generation++;
}

static int64_t
monotonic_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
mctx__raw_routes_poll(mctx__raw_routes *r)
{
  int64_t now = monotonic_ns();
  if (now < r->next_poll_ns)
    return;
  r->next_poll_ns = now + ROUTE_POLL_NS;
  /* Every event counts, so none is parsed: MSG_TRUNC drops the rest. */
  char head[64];
  bool changed = false;
  int reads = 0;
  for (; reads < EVENT_READS_MAX; reads++) {
    ssize_t n = recv(r->event_fd, head, sizeof head, MSG_DONTWAIT | MSG_TRUNC);
    if (n > 0 || (n < 0 && errno == ENOBUFS)) /* ENOBUFS: events lost */
      changed = true;
    else if (!(n < 0 && errno == EINTR))
      break;
  }
  if (changed || reads == EVENT_READS_MAX)
    mctx__raw_routes_forget(r);
}

/* ---- talking to the kernel ---------------------------------------------- */

/* One exchange on the lookup socket (mctx__nl_ask); answers to an earlier
 * request that timed out carry another sequence number and are skipped. */
static int
nl_ask(mctx__raw_routes *r, struct nlmsghdr *req, uint16_t want,
       mctx__nl_take take, void *state)
{
  req->nlmsg_seq = ++r->seq;
  return mctx__nl_ask(r->request_fd, req, want, take, state, r->buf,
                      sizeof r->buf);
}

/* The header of a zeroed request whose body of body bytes follows it. */
static void
start_request(struct nlmsghdr *h, size_t body, uint16_t type, uint16_t flags)
{
  h->nlmsg_len = NLMSG_LENGTH(body);
  h->nlmsg_type = type;
  h->nlmsg_flags = NLM_F_REQUEST | flags;
}

static void
add_attr(struct nlmsghdr *h, unsigned short type, const void *data, size_t len)
{
  struct rtattr *a = (struct rtattr *) ((char *) h + NLMSG_ALIGN(h->nlmsg_len));
  a->rta_type = type;
  a->rta_len = (unsigned short) RTA_LENGTH(len);
  memcpy(RTA_DATA(a), data, len);
  h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

typedef struct route_reply {
  const struct rtmsg *rt;
  uint32_t table;
  uint32_t oif;
  uint32_t priority;
  const uint8_t *dst; /* NULL: the default route (prefix 0) */
  const uint8_t *src;
} route_reply;

static void
parse_route(const struct nlmsghdr *h, route_reply *out)
{
  memset(out, 0, sizeof *out);
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof *out->rt))
    return;
  out->rt = NLMSG_DATA(h);
  out->table = out->rt->rtm_table;
  int len = (int) (h->nlmsg_len - NLMSG_LENGTH(sizeof *out->rt));
  for (const struct rtattr *a = RTM_RTA(out->rt); RTA_OK(a, len);
       a = RTA_NEXT(a, len)) {
    size_t size = RTA_PAYLOAD(a);
    if (a->rta_type == RTA_TABLE && size >= 4)
      memcpy(&out->table, RTA_DATA(a), 4);
    else if (a->rta_type == RTA_OIF && size >= 4)
      memcpy(&out->oif, RTA_DATA(a), 4);
    else if (a->rta_type == RTA_PRIORITY && size >= 4)
      memcpy(&out->priority, RTA_DATA(a), 4);
    else if (a->rta_type == RTA_DST && size >= 16)
      out->dst = RTA_DATA(a);
    else if (a->rta_type == RTA_SRC && size >= 16)
      out->src = RTA_DATA(a);
    else if (a->rta_type == RTA_MULTIPATH && out->oif == 0 &&
             size >= sizeof(struct rtnexthop))
      out->oif = (uint32_t) ((const struct rtnexthop *) RTA_DATA(a))
                     ->rtnh_ifindex; /* the first of several next hops */
  }
}

/* ---- the kernel's lookup ------------------------------------------------ */

typedef struct kernel_answer {
  bool taken;
  bool automatic; /* the local table's multicast ff00::/8 of an interface */
  uint32_t oif;
} kernel_answer;

static void
take_kernel_route(const struct nlmsghdr *h, void *state)
{
  kernel_answer *k = state;
  route_reply rr;
  parse_route(h, &rr);
  if (rr.rt == NULL)
    return;
  k->taken = true;
  k->oif = rr.oif;
  k->automatic = rr.rt->rtm_type == RTN_MULTICAST &&
                 rr.rt->rtm_protocol == RTPROT_KERNEL &&
                 rr.table == RT_TABLE_LOCAL;
}

static int
ask_kernel(mctx__raw_routes *r, const uint8_t destination[16],
           const uint8_t source[16], kernel_answer *k)
{
  struct {
    struct nlmsghdr h;
    struct rtmsg rt;
    char attrs[2 * RTA_SPACE(16)];
  } req;
  memset(&req, 0, sizeof req);
  start_request(&req.h, sizeof req.rt, RTM_GETROUTE, 0);
  req.rt.rtm_family = AF_INET6;
  req.rt.rtm_dst_len = 128;
  req.rt.rtm_src_len = 128;
  add_attr(&req.h, RTA_DST, destination, 16);
  add_attr(&req.h, RTA_SRC, source, 16);
  memset(k, 0, sizeof *k);
  int e = nl_ask(r, &req.h, RTM_NEWROUTE, take_kernel_route, k);
  if (e == 0 && (!k->taken || k->oif == 0))
    e = ENETUNREACH;
  return e;
}

/* ---- the main table (mctx-core's way, for multicast groups) ------------- */

static bool
prefix_matches(const uint8_t *prefix, unsigned bits, const uint8_t addr[16])
{
  if (bits == 0)
    return true;
  if (prefix == NULL || bits > 128)
    return false;
  unsigned whole = bits / 8, rest = bits % 8;
  if (memcmp(prefix, addr, whole) != 0)
    return false;
  uint8_t mask = (uint8_t) (0xff << (8 - rest));
  return rest == 0 || ((prefix[whole] ^ addr[whole]) & mask) == 0;
}

typedef struct table_search {
  const uint8_t *destination;
  const uint8_t *source;
  bool found;
  unsigned dst_len;
  uint32_t priority;
  unsigned char type;
  uint32_t oif;
} table_search;

static void
take_table_route(const struct nlmsghdr *h, void *state)
{
  table_search *s = state;
  route_reply rr;
  parse_route(h, &rr);
  if (rr.rt == NULL || rr.rt->rtm_family != AF_INET6 ||
      rr.table != RT_TABLE_MAIN || (rr.rt->rtm_flags & RTM_F_CLONED) ||
      !prefix_matches(rr.dst, rr.rt->rtm_dst_len, s->destination) ||
      !prefix_matches(rr.src, rr.rt->rtm_src_len, s->source))
    return;
  if (s->found &&
      (rr.rt->rtm_dst_len < s->dst_len ||
       (rr.rt->rtm_dst_len == s->dst_len && rr.priority >= s->priority)))
    return;
  s->found = true;
  s->dst_len = rr.rt->rtm_dst_len;
  s->priority = rr.priority;
  s->type = rr.rt->rtm_type;
  s->oif = rr.oif;
}

/* 0 with *oif, ENETUNREACH when nothing (or an unreachable, blackhole or
 * prohibit route) matches, or the exchange's errno. */
static int
search_main_table(mctx__raw_routes *r, const uint8_t destination[16],
                  const uint8_t source[16], uint32_t *oif)
{
  struct {
    struct nlmsghdr h;
    struct rtmsg rt;
  } req;
  memset(&req, 0, sizeof req);
  start_request(&req.h, sizeof req.rt, RTM_GETROUTE, NLM_F_DUMP);
  req.rt.rtm_family = AF_INET6;
  req.rt.rtm_table = RT_TABLE_MAIN; /* newer kernels filter on it */
  table_search s = {.destination = destination, .source = source};
  int e = nl_ask(r, &req.h, RTM_NEWROUTE, take_table_route, &s);
  if (e != 0)
    return e;
  if (!s.found || s.type != RTN_UNICAST || s.oif == 0)
    return ENETUNREACH;
  *oif = s.oif;
  return 0;
}

/* ---- the interface ------------------------------------------------------ */

static void
take_link(const struct nlmsghdr *h, void *state)
{
  if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifinfomsg)))
    *(uint16_t *) state = ((const struct ifinfomsg *) NLMSG_DATA(h))->ifi_type;
}

static int
ask_link_type(mctx__raw_routes *r, uint32_t ifindex, uint16_t *type)
{
  struct {
    struct nlmsghdr h;
    struct ifinfomsg ifi;
  } req;
  memset(&req, 0, sizeof req);
  start_request(&req.h, sizeof req.ifi, RTM_GETLINK, 0);
  req.ifi.ifi_family = AF_UNSPEC;
  req.ifi.ifi_index = (int) ifindex;
  *type = 0xffff;
  int e = nl_ask(r, &req.h, RTM_NEWLINK, take_link, type);
  return e == 0 && *type == 0xffff ? ENODEV : e;
}

/* ---- lookups ------------------------------------------------------------ */

static size_t
slot_of(const uint8_t destination[16], const uint8_t source[16])
{
  uint32_t hash = 2166136261u; /* FNV-1a */
  for (int i = 0; i < 16; i++)
    hash = (hash ^ destination[i]) * 16777619u;
  for (int i = 0; i < 16; i++)
    hash = (hash ^ source[i]) * 16777619u;
  return hash & (ROUTE_CACHE_SIZE - 1);
}

/* Fills e from the kernel. false when the exchange itself failed (*sys_errno
 * set): that says nothing about the route and is not remembered. */
static bool
look_up(mctx__raw_routes *r, route_entry *e, int *sys_errno)
{
  kernel_answer k;
  int fault = ask_kernel(r, e->destination, e->source, &k);
  e->answer = ROUTE_FOUND;
  e->sys_errno = 0;
  e->hop.ifindex = k.oif;
  if (fault == 0 && k.automatic) {
    fault = search_main_table(r, e->destination, e->source, &e->hop.ifindex);
    if (fault == ENETUNREACH) {
      e->answer = ROUTE_NO_GROUP;
      e->sys_errno = fault;
      return true;
    }
  }
  if (fault == 0)
    fault = ask_link_type(r, e->hop.ifindex, &e->hop.link_type);
  if (fault == ENETUNREACH || fault == EHOSTUNREACH || fault == ENETDOWN ||
      fault == ENODEV || fault == EACCES || fault == EINVAL) {
    e->answer = ROUTE_REFUSED;
    e->sys_errno = fault;
    return true;
  }
  *sys_errno = fault;
  return fault == 0;
}

static int
no_route(const route_entry *e, const mctx_ip *destination,
         const mctx_ip *source, mctx_error *err)
{
  if (err == NULL)
    return MCTX_E_SEND_FAILED;
  char dst[MCTX_IP_STRLEN], src[MCTX_IP_STRLEN];
  mctx_ip_format(destination, dst, sizeof dst);
  mctx_ip_format(source, src, sizeof src);
  if (e->answer == ROUTE_NO_GROUP)
    return mctx__fail(err, MCTX_E_SEND_FAILED, MCTX_SUBJECT_DATAGRAM,
                      e->sys_errno,
                      "no route picks an interface for IPv6 group %s (from "
                      "%s): add one, e.g. ip -6 route add %s/128 dev "
                      "<interface> table local",
                      dst, src, dst);
  return mctx__fail(err, MCTX_E_SEND_FAILED, MCTX_SUBJECT_DATAGRAM,
                    e->sys_errno, "no IPv6 route to %s (from %s): %s", dst, src,
                    strerror(e->sys_errno));
}

int
mctx__raw_routes_lookup(mctx__raw_routes *r, const mctx_ip *destination,
                        const mctx_ip *source, mctx__raw_hop *hop,
                        mctx_error *err)
{
  route_entry *e = &r->entries[slot_of(destination->bytes, source->bytes)];
  if (e->generation != r->generation ||
      memcmp(e->destination, destination->bytes, 16) != 0 ||
      memcmp(e->source, source->bytes, 16) != 0) {
    memcpy(e->destination, destination->bytes, 16);
    memcpy(e->source, source->bytes, 16);
    e->generation = 0;
    int fault = 0;
    if (!look_up(r, e, &fault)) {
      char dst[MCTX_IP_STRLEN];
      mctx_ip_format(destination, dst, sizeof dst);
      return mctx__fail(err, MCTX_E_SEND_FAILED, MCTX_SUBJECT_SOCKET, fault,
                        "cannot look up the IPv6 route to %s: %s", dst,
                        strerror(fault));
    }
    e->generation = r->generation;
  }
  if (e->answer != ROUTE_FOUND)
    return no_route(e, destination, source, err);
  *hop = e->hop;
  return MCTX_OK;
}

#endif
