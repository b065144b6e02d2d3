/* libmctx internals shared between the library's own files. Not installed.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_PRIVATE_H
#define MCTX_PRIVATE_H

#include "mctx.h"

#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>

#if defined(__GNUC__)
#  define MCTX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#  define MCTX_PRINTF(f, a)
#endif

/* ---- errors (error.c) ---------------------------------------------------- */

/* Fills err (when not NULL) and returns code, so callers can write
 * `return mctx__fail(err, MCTX_E_..., MCTX_SUBJECT_GROUP, 0, "group %s is
 * ...", text);`. */
int mctx__fail(mctx_error *err, int code, mctx_subject subject, int sys_errno,
               const char *fmt, ...) MCTX_PRINTF(5, 6);

/* The same with a fixed text of size bytes (NUL included): no formatting,
 * for the failures a busy sender meets at packet rate. */
int mctx__fail_text(mctx_error *err, int code, mctx_subject subject,
                    int sys_errno, const char *text, size_t size);

/* The transient failure errno e of a send stands for: MCTX_E_WOULD_BLOCK
 * (EAGAIN) or MCTX_E_QUEUE_FULL (ENOBUFS), err filled with a fixed text;
 * MCTX_OK when e is no transient failure. Formats nothing: it comes at
 * packet rate. */
int mctx__send_transient(mctx_error *err, int e);

/* Resets err to MCTX_OK (when not NULL); returns MCTX_OK. */
int mctx__ok(mctx_error *err);

/* A caller's text as a message repeats it: whole when it is at most
 * MCTX_ERROR_VALUE_MAX bytes, otherwise its start and "...". Use as
 * mctx__fail(..., "'" MCTX__VALUE_FMT "' is ...", MCTX__VALUE(text)). */
#define MCTX__VALUE_FMT "%.*s%s"
#define MCTX__VALUE(text) \
  mctx__value_len(text), (text), mctx__value_more(text)
int mctx__value_len(const char *text);
const char *mctx__value_more(const char *text);

/* ---- addresses (addr.c) -------------------------------------------------- */

/* Checks the syntax of an interface name held in a buffer of `size` bytes
 * (like mctx_interface.name): NUL-terminated within the buffer and shorter
 * than MCTX_INTERFACE_NAME_MAX, non-empty, no whitespace, '/' or ':' (Linux
 * refuses those). MCTX_E_INVALID_INTERFACE_NAME naming it otherwise. */
int mctx__interface_name_check(const char *name, size_t size, mctx_error *err);

/* ---- interface discovery (iface_posix.c) --------------------------------- */

/* Index of the single interface that carries exactly this address
 * (getifaddrs). MCTX_E_INTERFACE_DISCOVERY_FAILED when no interface has it or
 * when two different interfaces do ("ambiguous"). */
int mctx__iface_index_of_addr(const mctx_ip *addr, uint32_t *index,
                              mctx_error *err);

/* Checks that an interface index exists. MCTX_E_INTERFACE_NOT_FOUND with
 * subject (whose index it is) if not. */
int mctx__iface_index_exists(uint32_t index, mctx_subject subject,
                             mctx_error *err);

/* Resolves any selector to an index: ADDRESS via mctx__iface_index_of_addr,
 * INDEX checked for existence, NAME via if_nametoindex. NONE gives 0. */
int mctx__iface_resolve(const mctx_interface *itf, uint32_t *index,
                        mctx_error *err);

/* The first IPv4 address of an interface (for IP_MULTICAST_IF by address
 * where ip_mreqn is missing, and for raw IPv4 binding). */
int mctx__iface_first_ipv4(uint32_t index, mctx_ip *out, mctx_error *err);

/* ---- raw datagrams (raw_datagram.c) -------------------------------------- */

/* The most of a datagram its checks read: an IPv4 header with options. */
#define MCTX__RAW_HEAD_MAX 60

/* mctx_raw_datagram_check for a datagram of len bytes of which head holds
 * the first min(len, MCTX__RAW_HEAD_MAX) (head may be NULL when len is 0):
 * how a datagram given in several buffers is checked without gathering. */
int mctx__raw_datagram_check_head(const uint8_t *head, size_t len,
                                  mctx_raw_datagram_info *info,
                                  mctx_error *err);

/* ---- egress qdisc (qdisc_linux.c; qdisc_none.c elsewhere) ----------------- */

/* The root qdisc of an interface as rtnetlink shows it. */
typedef struct mctx__qdisc_info {
  char kind[MCTX_QDISC_KIND_MAX];  /* "" unknown */
  bool gso_whole;                  /* measured to keep GSO packets whole */
  bool has_stats;
  uint64_t drops, overlimits, requeues, backlog;
} mctx__qdisc_info;

/* Reads the root qdisc of ifindex (one RTM_GETQDISC dump). -1 with *out
 * zeroed when it cannot be read (no interface, no netlink). */
int mctx__qdisc_read(uint32_t ifindex, mctx__qdisc_info *out);

/* The interface the routing table sends destination out of (RTM_GETROUTE),
 * for a publication whose interface the routing decides. -1, *index 0,
 * when unknown. */
int mctx__route_egress(const mctx_ip *destination, uint32_t *index);

/* ---- metrics (metrics.c) -------------------------------------------------- */

/* Counters updated by the send path without a lock: a writer makes the
 * sequence odd (compare-and-swap, so concurrent writers serialise), updates,
 * and makes it even again; readers retry until they see one even value
 * before and after. */
typedef struct mctx_metrics_cell {
  _Atomic uint64_t seq;
  _Atomic uint64_t send_calls;
  _Atomic uint64_t packets_sent;
  _Atomic uint64_t bytes_sent;
  _Atomic uint64_t send_errors;
  _Atomic uint64_t would_block;
} mctx_metrics_cell;

void mctx__metrics_cell_init(mctx_metrics_cell *cell);

/* Adds one send call's worth (or a batch's) in one coherent step. */
void mctx__metrics_record(mctx_metrics_cell *cell, uint64_t calls,
                          uint64_t packets, uint64_t bytes, uint64_t errors,
                          uint64_t would_block);

/* Coherent read of the five counters (timestamps filled too): an object's
 * snapshot. A NULL cell (no object) gives zeros; a NULL out does nothing. */
void mctx__metrics_read(const mctx_metrics_cell *cell,
                        mctx_metrics *out);

/* The same without the clocks (timestamps 0): for sums over many cells,
 * such as the context's totals under its mutex. */
void mctx__metrics_read_counters(const mctx_metrics_cell *cell,
                                 mctx_metrics *out);

/* ---- publication internals used by context.c --------------------------- */

/* Set by context.c when it adopts / releases a publication. */
void mctx__publication_set_id(mctx_publication *pub, mctx_publication_id id);

/* The publication object (publication.c owns its life cycle; send_posix.c
 * reads it on the send path without a call per field). Everything the send
 * path needs is computed once at open: no lookup per datagram. A later fast
 * path (UDP GSO probing) adds its per-publication state here. */
struct mctx_publication {
  mctx_publication_id id;          /* 0 outside a context */
  int fd;
  mctx_publication_config config;  /* copy; live setters keep it current */
  mctx_endpoint destination;       /* connected peer, IPv6 scope id used */
  uint32_t interface_index;        /* IPV6_MULTICAST_IF / ip_mreqn, 0 none */
  bool has_local;                  /* local holds getsockname from open;
                                      both read-only after open, because
                                      threads may send concurrently */
  mctx_endpoint local;
  mctx_metrics_cell metrics;

  /* UDP GSO state of the batch path (send_posix.c, docs/gso.md). Zero at
   * open means "not probed yet"; the first batch probes once; config.gso
   * false starts it at MCTX__GSO_OFF. Atomic because two threads may send
   * on one publication (relaxed: each value stands alone, a stale read
   * only costs one refused call). */
  _Atomic int gso_state;             /* an mctx__gso_state */
  _Atomic unsigned gso_max_segment;  /* largest datagram sent as a GSO
                                        segment: path MTU less headers,
                                        lowered when the kernel refuses */
  _Atomic unsigned gso_refusals;     /* GSO calls refused and resent */
  _Atomic uint64_t gso_calls;        /* GSO calls that went out (for tests) */

  /* The egress qdisc (config.gso == MCTX_GSO_AUTO, queue_drops). Read off
   * the send path only; the send path reads gso_qdisc_whole alone. */
  uint32_t egress_index;             /* interface whose qdisc is read: the
                                        configured one, else the route's;
                                        0 unknown */
  _Atomic bool gso_qdisc_whole;      /* the cached MCTX_GSO_AUTO decision */
  _Atomic unsigned enobufs_run;      /* ENOBUFS since the last refresh */
  pthread_mutex_t qdisc_lock;        /* guards the rest, for snapshots from
                                        any thread */
  mctx__qdisc_info qdisc;            /* last read */
  mctx__qdisc_info qdisc_base;       /* counters at open (or at a qdisc
                                        replacement, folded below) */
  mctx__qdisc_info qdisc_folded;     /* deltas of qdiscs replaced since */
};

/* Reads the egress qdisc into pub (under qdisc_lock, or skipped when
 * another thread holds it and `wait` is false) and updates the cached GSO
 * decision. out (may be NULL) gets the stats as mctx_queue_stats. */
void mctx__publication_qdisc_refresh(mctx_publication *pub, bool wait,
                                     mctx_queue_stats *out);

/* What the batch path knows about UDP GSO on a publication. */
typedef enum mctx__gso_state {
  MCTX__GSO_UNPROBED = 0,
  MCTX__GSO_ON,
  MCTX__GSO_OFF       /* not supported, refused too often, or forced off */
} mctx__gso_state;

/* ---- sockets (socket_posix.c) --------------------------------------------- */

/* What socket setup produced: a non-blocking, configured, connected socket. */
typedef struct mctx__socket_setup {
  int fd;
  mctx_endpoint destination;   /* with the IPv6 scope id used */
  uint32_t interface_index;    /* 0 when none was set by index */
  bool has_local;              /* getsockname after connect succeeded */
  mctx_endpoint local;
} mctx__socket_setup;

/* Creates and sets up a socket for a validated config in mctx-core's order
 * (its socket options and IPv6 interface rules). On failure nothing stays
 * open. */
int mctx__socket_open(const mctx_publication_config *cfg,
                      mctx__socket_setup *out, mctx_error *err);

/* Checks a caller's socket against a validated config (as mctx-core checks
 * an existing socket) and sets
 * it up the same way, IPV6_V6ONLY untouched, bound only when unbound. Never
 * closes fd. */
int mctx__socket_adopt(const mctx_publication_config *cfg, int fd,
                       mctx__socket_setup *out, mctx_error *err);

/* getsockname as an endpoint. MCTX_E_SOCKET_LOCAL_ADDR_FAILED on failure. */
int mctx__socket_local(int fd, mctx_endpoint *out, mctx_error *err);

/* Live options; family is MCTX_FAMILY_IPV4 or MCTX_FAMILY_IPV6. A dscp of -1
 * restores the kernel default (0). MCTX_E_SOCKET_OPTION_FAILED naming the
 * option and value on failure. */
int mctx__socket_set_ttl(int fd, mctx_family family, uint32_t ttl,
                         mctx_error *err);
int mctx__socket_set_loopback(int fd, mctx_family family, bool on,
                              mctx_error *err);
int mctx__socket_set_dscp(int fd, mctx_family family, int dscp,
                          mctx_error *err);

void mctx__socket_close(int fd);

/* Conversions between endpoints and socket addresses (struct sockaddr_in /
 * sockaddr_in6 in a sockaddr_storage). from_sockaddr fails (-1) for a
 * non-IP family. */
struct sockaddr;
struct sockaddr_storage;
unsigned mctx__sockaddr_from_endpoint(const mctx_endpoint *ep,
                                      struct sockaddr_storage *ss);
int mctx__endpoint_from_sockaddr(const struct sockaddr *sa,
                                 mctx_endpoint *out);

#endif /* MCTX_PRIVATE_H */
