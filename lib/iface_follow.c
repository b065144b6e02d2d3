/* Following an interface that comes back: a VPN or VLAN recreated, a USB
 * NIC replugged. The new interface has the old name (and often the old
 * address) but a new index, and the socket still names the old index, so
 * every send fails until the publication looks the interface up again.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Only an interface given by name or by address is followed: both say
 * which interface is meant whatever its index. An index is the identity of
 * one interface; a recreated one gets another index, so a publication
 * given an index keeps failing (every datagram counted) rather than send
 * out of whatever interface now has some property of the old one.
 *
 * The look happens on the failure path alone (send_failure in send.c),
 * at most once a second of the monotonic clock: a send that succeeds costs
 * nothing, and a stream into a missing interface costs one lookup a
 * second. Portable: the platform's socket.c moves the socket.
 */
#include "mctx-private.h"

#include <errno.h>
#include <string.h>

#define FOLLOW_INTERVAL_NS 1000000000ull

/* What a send into an interface that is gone (or gone and back with
 * another index) fails with: ENETUNREACH while it is missing (and for an
 * IPv6 socket naming the old index after it is back), ENODEV for an IPv4
 * socket naming the old index after it is back; ENXIO and EADDRNOTAVAIL
 * for a device or address that vanished under other paths. */
static bool
interface_gone(int e)
{
  switch (e) {
#ifdef ENODEV
    case ENODEV:
#endif
#ifdef ENXIO
    case ENXIO:
#endif
#ifdef ENETUNREACH
    case ENETUNREACH:
#endif
#ifdef EADDRNOTAVAIL
    case EADDRNOTAVAIL:
#endif
      return true;
    default:
      return false;
  }
}

/* True when this thread may look now: the last look was a second ago or
 * more (or never), and no other thread took this second first. */
static bool
claim_look(mctx_publication *pub)
{
  uint64_t now = mctx_monotonic_ns();
  uint64_t last =
      atomic_load_explicit(&pub->follow_last_ns, memory_order_relaxed);
  if (last != 0 && now - last < FOLLOW_INTERVAL_NS)
    return false;
  return atomic_compare_exchange_strong_explicit(&pub->follow_last_ns, &last,
                                                 now, memory_order_relaxed,
                                                 memory_order_relaxed);
}

/* The qdisc statistics follow the interface: the old qdisc's counts since
 * open are kept (folded), the new one's count from zero. Under qdisc_lock,
 * which snapshots from other threads take. */
static void
repoint_egress(mctx_publication *pub, uint32_t index)
{
  pthread_mutex_lock(&pub->qdisc_lock);
  mctx__qdisc_info *b = &pub->qdisc_base, *f = &pub->qdisc_folded;
  const mctx__qdisc_info *last = &pub->qdisc;
  f->drops += last->drops - b->drops;
  f->overlimits += last->overlimits - b->overlimits;
  f->requeues += last->requeues - b->requeues;
  memset(b, 0, sizeof *b);
  memset(&pub->qdisc, 0, sizeof pub->qdisc);
  pub->egress_index = index;
  pthread_mutex_unlock(&pub->qdisc_lock);
  /* The new interface's qdisc decides MCTX_GSO_AUTO from here on. */
  mctx__publication_qdisc_refresh(pub, true, NULL);
}

void
mctx__iface_follow(mctx_publication *pub, int e)
{
  int kind = pub->config.interface.kind;
  bool pending =
      atomic_load_explicit(&pub->follow_pending, memory_order_relaxed);
  if ((kind != MCTX_INTERFACE_NAME && kind != MCTX_INTERFACE_ADDRESS) ||
      !(pending || interface_gone(e)) || !claim_look(pub))
    return;

  /* The plan of open, made again: it resolves the name or address (and
   * fails while the interface is missing: the next look is a second on). */
  mctx__socket_plan plan;
  if (mctx__socket_plan_make(&pub->config, &plan, NULL) != MCTX_OK)
    return;
  uint32_t index = plan.interface_index;
  if (index == 0 &&
      mctx__iface_resolve(&pub->config.interface, &index, NULL) != MCTX_OK)
    return;

  pthread_mutex_lock(&pub->qdisc_lock);
  bool moved = index != pub->egress_index;
  pthread_mutex_unlock(&pub->qdisc_lock);
  if (!moved)
    return; /* the same interface, down or unrouted: nothing to follow */
  /* An IPv4 interface is followed once it has an address again (ip, ifup
   * and NetworkManager add it before it goes up): the source a socket
   * picks when it connects is the one it keeps. */
  mctx_ip first;
  if (pub->config.group.family == MCTX_FAMILY_IPV4 &&
      kind == MCTX_INTERFACE_NAME &&
      mctx__iface_first_ipv4(index, &first, NULL) != MCTX_OK)
    return;

  mctx_endpoint local;
  if (mctx__socket_follow(pub->fd, &pub->config, &plan, &local, NULL) !=
      MCTX_OK) {
    /* Perhaps left unconnected half-way (its sends then fail with
     * EDESTADDRREQ): any failure looks again, a second on. */
    atomic_store_explicit(&pub->follow_pending, true, memory_order_relaxed);
    return;
  }
  atomic_store_explicit(&pub->follow_pending, false, memory_order_relaxed);

  /* Written by the one thread that claimed this look. A second thread
   * sending on the publication at this moment may copy a report that
   * mixes the old and the new address; its own send fails or goes out
   * of the new interface either way. */
  atomic_store(&pub->interface_index, plan.interface_index);
  pub->destination = plan.destination;
  pub->local = local;
  pub->has_local = true;
  /* The new path may have another MTU: GSO probes it again. */
  int on = MCTX__GSO_ON;
  atomic_compare_exchange_strong_explicit(
      &pub->gso_state, &on, MCTX__GSO_UNPROBED, memory_order_relaxed,
      memory_order_relaxed);
  repoint_egress(pub, index);
  atomic_fetch_add_explicit(&pub->follows, 1, memory_order_relaxed);
}
