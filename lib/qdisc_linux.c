/* The egress interface's root qdisc, read with rtnetlink (Linux only).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * One RTM_GETQDISC dump of the interface (no privilege needed) gives the
 * root qdisc's kind, its statistics (TCA_STATS2: drops, overlimits,
 * requeues, backlog) and, for mq, the kinds of its children. The kind
 * decides whether gso = MCTX_GSO_AUTO builds GSO packets (docs/gso.md);
 * the drops are the interface-wide counter behind mctx_metrics.queue_drops.
 * Never called on the send path: at open, at a metrics snapshot, and after
 * a run of ENOBUFS.
 */
#include "mctx-private.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/gen_stats.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

/* Bound of the reads of one exchange with the kernel. */
#define NL_READS_MAX 4096

/* The qdiscs measured to queue or drop a GSO packet whole (docs/gso.md,
 * "Shaping qdiscs"). Everything else, known shapers and AQMs included, is
 * treated as one that may split it. */
static bool
kind_keeps_gso_whole(const char *kind)
{
  static const char *const whole[] = {"noqueue", "pfifo_fast", "pfifo", "bfifo",
                                      "pfifo_head_drop"};
  for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++)
    if (strcmp(kind, whole[i]) == 0)
      return true;
  return false;
}

typedef struct dump_state {
  uint32_t ifindex;
  bool children_whole; /* every qdisc below the root keeps GSO
                                  packets whole */
  bool has_children;
  mctx__qdisc_info *out;
} dump_state;

static void
parse_stats2(const struct rtattr *stats2, mctx__qdisc_info *out)
{
  int len = (int) RTA_PAYLOAD(stats2);
  for (const struct rtattr *a = RTA_DATA(stats2); RTA_OK(a, len);
       a = RTA_NEXT(a, len)) {
    if (a->rta_type == TCA_STATS_QUEUE &&
        RTA_PAYLOAD(a) >= sizeof(struct gnet_stats_queue)) {
      struct gnet_stats_queue q;
      memcpy(&q, RTA_DATA(a), sizeof q);
      out->drops = q.drops;
      out->overlimits = q.overlimits;
      out->requeues = q.requeues;
      out->backlog = q.backlog;
      out->has_stats = true;
    }
  }
}

static void
take_qdisc(const struct nlmsghdr *h, dump_state *st)
{
  const struct tcmsg *tc = NLMSG_DATA(h);
  if ((uint32_t) tc->tcm_ifindex != st->ifindex)
    return;
  char kind[MCTX_QDISC_KIND_MAX] = "";
  const struct rtattr *stats2 = NULL;
  int len = (int) (h->nlmsg_len - NLMSG_LENGTH(sizeof *tc));
  for (const struct rtattr *a = (const struct rtattr *) (tc + 1);
       RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == TCA_KIND) {
      size_t n = RTA_PAYLOAD(a);
      if (n >= sizeof kind)
        n = sizeof kind - 1;
      memcpy(kind, RTA_DATA(a), n);
      kind[n] = '\0';
    } else if (a->rta_type == TCA_STATS2) {
      stats2 = a;
    }
  }
  if (tc->tcm_parent == TC_H_ROOT) {
    memcpy(st->out->kind, kind, sizeof kind);
    if (stats2 != NULL)
      parse_stats2(stats2, st->out);
  } else if (tc->tcm_parent != TC_H_INGRESS &&
             TC_H_MAJ(tc->tcm_handle) != TC_H_MAJ(TC_H_INGRESS) &&
             TC_H_MAJ(tc->tcm_handle) != TC_H_MAJ(TC_H_CLSACT)) {
    /* Any egress qdisc below the root (mq's per-queue ones, htb's leaves):
     * one that may split GSO packets anywhere spoils the whole tree. */
    st->has_children = true;
    if (!kind_keeps_gso_whole(kind))
      st->children_whole = false;
  }
}

int
mctx__nl_ask(int fd, struct nlmsghdr *req, uint16_t want, mctx__nl_take take,
             void *state, void *buf, size_t buf_size)
{
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *) &kernel,
             sizeof kernel) < 0)
    return errno;
  bool dump = (req->nlmsg_flags & NLM_F_DUMP) != 0;
  for (int reads = 0; reads < NL_READS_MAX; reads++) {
    ssize_t n = recv(fd, buf, buf_size, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n < 0 ? errno : EIO;
    /* NLMSG_OK compares the message's __u32 length with this int. */
    unsigned int left = (unsigned int) n;
    for (const struct nlmsghdr *h = (const struct nlmsghdr *) buf;
         NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_seq != req->nlmsg_seq)
        continue;
      if (h->nlmsg_type == NLMSG_DONE)
        return 0;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof *e))
          return EIO;
        return e->error < 0 ? -e->error : EIO;
      }
      if (h->nlmsg_type == want) {
        take(h, state);
        if (!dump)
          return 0;
      }
    }
  }
  return EIO;
}

/* One request on a socket of its own (a snapshot from any thread), bounded
 * by a receive timeout. 0 when the exchange completed. */
static int
nl_exchange(struct nlmsghdr *req, uint16_t want, mctx__nl_take take,
            void *state)
{
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return -1;
  struct timeval tv = {1, 0}; /* never hang a snapshot on the kernel */
  (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
  int rc = mctx__nl_ask(fd, req, want, take, state, buf, sizeof buf);
  close(fd);
  return rc == 0 ? 0 : -1;
}

static void
take_qdisc_cb(const struct nlmsghdr *h, void *state)
{
  if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct tcmsg)))
    take_qdisc(h, state);
}

int
mctx__qdisc_read(uint32_t ifindex, mctx__qdisc_info *out)
{
  memset(out, 0, sizeof *out);
  if (ifindex == 0)
    return -1;
  struct {
    struct nlmsghdr h;
    struct tcmsg tc;
  } req;
  memset(&req, 0, sizeof req);
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof req.tc);
  req.h.nlmsg_type = RTM_GETQDISC;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = 1;
  req.tc.tcm_family = AF_UNSPEC;
  req.tc.tcm_ifindex = (int) ifindex; /* newer kernels filter on it */
  dump_state st = {ifindex, true, false, out};
  int rc = nl_exchange(&req.h, RTM_NEWQDISC, take_qdisc_cb, &st);
  if (rc != 0 || out->kind[0] == '\0') {
    memset(out, 0, sizeof *out);
    return -1;
  }
  /* mq only spreads packets over its per-queue qdiscs; htb was measured
   * to pass a GSO packet whole to its leaf (docs/gso.md), whose own kind
   * then decides (a leaf htb created itself is a pfifo the dump omits). */
  if (strcmp(out->kind, "mq") == 0)
    out->gso_whole = st.has_children && st.children_whole;
  else if (strcmp(out->kind, "htb") == 0)
    out->gso_whole = st.children_whole;
  else
    out->gso_whole = kind_keeps_gso_whole(out->kind) && st.children_whole;
  return 0;
}

static void
take_route(const struct nlmsghdr *h, void *state)
{
  const struct rtmsg *rt = NLMSG_DATA(h);
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof *rt))
    return;
  int len = (int) (h->nlmsg_len - NLMSG_LENGTH(sizeof *rt));
  for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len);
       a = RTA_NEXT(a, len))
    if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= sizeof(uint32_t))
      memcpy(state, RTA_DATA(a), sizeof(uint32_t));
}

int
mctx__route_egress(const mctx_ip *destination, uint32_t *index)
{
  *index = 0;
  bool v6 = destination->family == MCTX_FAMILY_IPV6;
  struct {
    struct nlmsghdr h;
    struct rtmsg rt;
    char attrs[RTA_SPACE(16)];
  } req;
  memset(&req, 0, sizeof req);
  size_t alen = v6 ? 16 : 4;
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof req.rt) + RTA_SPACE(alen);
  req.h.nlmsg_type = RTM_GETROUTE;
  req.h.nlmsg_flags = NLM_F_REQUEST;
  req.h.nlmsg_seq = 1;
  req.rt.rtm_family = v6 ? AF_INET6 : AF_INET;
  req.rt.rtm_dst_len = (unsigned char) (alen * 8);
  struct rtattr *dst = (struct rtattr *) req.attrs;
  dst->rta_type = RTA_DST;
  dst->rta_len = RTA_LENGTH(alen);
  memcpy(RTA_DATA(dst), destination->bytes, alen);
  uint32_t oif = 0;
  if (nl_exchange(&req.h, RTM_NEWROUTE, take_route, &oif) != 0 || oif == 0)
    return -1;
  *index = oif;
  return 0;
}
