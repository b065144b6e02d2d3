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

#if defined(__MINGW32__)
/* mingw's printf family is its own C99 one (__USE_MINGW_ANSI_STDIO, set by
 * meson.build), which knows %zu; gcc's "printf" there means msvcrt's. */
#  define MCTX_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#elif defined(__GNUC__)
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
#define MCTX__VALUE(text) mctx__value_len(text), (text), mctx__value_more(text)
int mctx__value_len(const char *text);
const char *mctx__value_more(const char *text);

/* ---- addresses (addr.c) -------------------------------------------------- */

/* Checks the syntax of an interface name held in a buffer of `size` bytes
 * (like mctx_interface.name): NUL-terminated within the buffer and shorter
 * than MCTX_INTERFACE_NAME_MAX, non-empty, no whitespace, '/' or ':' (Linux
 * refuses those). MCTX_E_INVALID_INTERFACE_NAME naming it otherwise. */
int mctx__interface_name_check(const char *name, size_t size, mctx_error *err);

/* ---- the platform (posix/iface.c, win32/winsock.c) ------------------------ */

/* Starts the platform's socket library for one user (a context, or a
 * publication opened outside one) and stops it when the last user is gone:
 * WSAStartup / WSACleanup on Windows, nothing on POSIX. */
int mctx__platform_acquire(mctx_error *err);
void mctx__platform_release(void);

/* ---- interface discovery (iface.c; posix/iface.c, win32/iface.c) ------- */

/* The platform's lookup behind both: the index of the single interface
 * that carries exactly addr. what says whose address it is ("source
 * address", "interface address") and subject the same for mctx_error, so
 * that a caller holding both can tell which one was wrong. */
int mctx__iface_index_of(const mctx_ip *addr, const char *what,
                         mctx_subject subject, uint32_t *index,
                         mctx_error *err);

/* Index of the single interface that carries exactly this address
 * (getifaddrs). MCTX_E_INTERFACE_DISCOVERY_FAILED when no interface has it or
 * when two different interfaces do ("ambiguous"). */
int mctx__iface_index_of_addr(const mctx_ip *addr, uint32_t *index,
                              mctx_error *err);

/* Checks that an interface index exists. MCTX_E_INTERFACE_NOT_FOUND with
 * subject (whose index it is) if not. */
int mctx__iface_index_exists(uint32_t index, mctx_subject subject,
                             mctx_error *err);

/* The index of the interface called name, 0 when there is none: POSIX's
 * if_nametoindex; on Windows the adapter's friendly name, else the name
 * if_nametoindex knows ("ethernet_4"). */
uint32_t mctx__iface_name_to_index(const char *name);

/* Resolves any selector to an index: ADDRESS via mctx__iface_index_of,
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
                                  mctx_raw_validation mode,
                                  mctx_raw_datagram_info *info,
                                  mctx_error *err);

/* A raw config's family: given, or that of its bind address or interface
 * address. */
mctx_family mctx__raw_family(const mctx_raw_config *cfg);

/* The egress of a raw config as mctx-core selects it: the interface index
 * (interface and bind address must agree) and the address to bind (the
 * bind address; for IPv4 without one, the interface address or the
 * interface's first IPv4 address). */
int mctx__raw_egress(const mctx_raw_config *cfg, uint32_t *ifindex,
                     mctx_ip *egress, mctx_error *err);

/* ---- route-selected raw IPv6 egress (posix/raw_route.c, Linux) ----------- */

/* The routes of one raw publication: a cache of route lookups per
 * (destination, source), forgotten when rtnetlink reports a route or link
 * change. Used by one thread at a time, like its publication. */
typedef struct mctx__raw_routes mctx__raw_routes;

/* Where a route sends a datagram. */
typedef struct mctx__raw_hop {
  uint32_t ifindex;
  uint16_t link_type; /* ARPHRD_* of the interface */
} mctx__raw_hop;

/* Opens the netlink sockets (one for lookups, one subscribed to IPv6 route
 * and link events). */
int mctx__raw_routes_open(mctx__raw_routes **out, mctx_error *err);
void mctx__raw_routes_close(mctx__raw_routes *routes);

/* Reads the pending events without blocking, at most once a millisecond
 * (the clock is read, no system call otherwise); any event forgets the
 * cache. Called before each send or batch. */
void mctx__raw_routes_poll(mctx__raw_routes *routes);

/* Forgets every lookup (a send found the interface gone). */
void mctx__raw_routes_forget(mctx__raw_routes *routes);

/* The hop of an IPv6 datagram from source to destination: cached, or looked
 * up (RTM_GETROUTE; for a multicast group the kernel only answers with the
 * automatic ff00::/8 route of some interface, the main table decides).
 * No route: MCTX_E_SEND_FAILED (ENETUNREACH or the kernel's errno, subject
 * MCTX_SUBJECT_DATAGRAM) naming the destination, also cached. */
int mctx__raw_routes_lookup(mctx__raw_routes *routes,
                            const mctx_ip *destination, const mctx_ip *source,
                            mctx__raw_hop *hop, mctx_error *err);

/* ---- egress qdisc (qdisc_linux.c; qdisc_none.c elsewhere) ----------------- */

/* The root qdisc of an interface as rtnetlink shows it. */
typedef struct mctx__qdisc_info {
  char kind[MCTX_QDISC_KIND_MAX]; /* "" unknown */
  bool gso_whole;                 /* measured to keep GSO packets whole */
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

#if defined(__linux__)
struct nlmsghdr;
typedef void (*mctx__nl_take)(const struct nlmsghdr *h, void *state);

/* The one rtnetlink exchange (qdisc_linux.c; posix/raw_route.c uses it
 * too): sends req on fd and hands every answer of type want that carries
 * req's sequence number to take: the first for a request, all up to
 * NLMSG_DONE for a dump. buf holds one read (a dump comes in parts). 0, or
 * the errno of the kernel's refusal or of the exchange. */
int mctx__nl_ask(int fd, struct nlmsghdr *req, uint16_t want,
                 mctx__nl_take take, void *state, void *buf, size_t buf_size);
#endif

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
void mctx__metrics_read(const mctx_metrics_cell *cell, mctx_metrics *out);

/* The same without the clocks (timestamps 0): for sums over many cells,
 * such as the context's totals under its mutex. */
void mctx__metrics_read_counters(const mctx_metrics_cell *cell,
                                 mctx_metrics *out);

/* ---- pacing (pacer.c; the clock and the wait in pacer_posix.c) --------- */

#define MCTX__PACING_BURST_DEFAULT 2u

/* The schedule of a paced publication, written only by the thread sending
 * on it (paced sends come from one thread at a time). Times are
 * CLOCK_MONOTONIC nanoseconds; the functions below take the time as an
 * argument so that tests drive them with their own clock. */
typedef struct mctx__pacer {
  uint64_t rate_bps;      /* 0: not paced */
  uint32_t burst;         /* >= 1 */
  unsigned header_bytes;  /* UDP + IP header bytes added per datagram */
  uint64_t next_due_ns;   /* due time of the next datagram before the
                                burst limit pulls it forward */
  uint64_t next_due_frac; /* fraction of a nanosecond, in 1/rate_bps */
  uint64_t last_due_ns;   /* due time of the last datagram that left */
  uint64_t last_bits;     /* its wire size, for a rate change */
  uint64_t ideal_due_ns;  /* the schedule from the call's start without
                                the burst limit: what lateness is against */
  /* When the last group left (0: none yet). */
  uint64_t last_sent_ns;
  /* An idle sender's call started then: the schedule before it is not
   * caught up. */
  uint64_t restart_ns;
  /* After a group that left behind schedule, the next leaves no earlier. */
  uint64_t group_not_before_ns;
  /* How late a sleep tends to end: the wait asks to be woken this much
   * before the due time. */
  uint64_t wake_cost_ns;
} mctx__pacer;

/* Lateness over one paced call: departures, their summed and largest
 * lateness. */
typedef struct mctx__pacing_lateness {
  uint64_t departures;
  uint64_t sum_ns;
  uint64_t max_ns;
} mctx__pacing_lateness;

/* A datagram's payload bytes: the sum of its buffers (pacer.c; the batch
 * path uses it too). */
size_t mctx__datagram_size(const mctx_datagram *d);

/* MCTX_E_INVALID_ARGUMENT (subject PACING) for a rate with burst 0. */
int mctx__pacing_check(uint64_t rate_bps, uint32_t burst, mctx_error *err);

/* A new schedule: nothing sent yet, so the first datagram is due at once. */
void mctx__pacer_init(mctx__pacer *p, uint64_t rate_bps, uint32_t burst,
                      unsigned header_bytes);

/* A new rate or burst: the next datagram is due one wire time at the new
 * rate after the last one's due time. */
void mctx__pacer_set(mctx__pacer *p, uint64_t rate_bps, uint32_t burst);

/* Nanoseconds a datagram of payload bytes takes on the wire at the rate
 * (rounded down; the schedule keeps the fraction). */
uint64_t mctx__pacer_wire_ns(const mctx__pacer *p, size_t payload);

/* A send call starts at now. If the sender was idle since the last group
 * left (a late buffer), the schedule starts again from now (at most burst
 * datagrams due at once) and lateness counts from here at the earliest;
 * if it came straight back, the schedule is kept and a pacer that fell
 * behind catches up (see mctx__pacer_take). */
void mctx__pacer_begin(mctx__pacer *p, uint64_t now_ns);

/* How many of the count datagrams (their sizes from payload[] or, when
 * payload is NULL, from datagrams[]) are due at now_ns: they leave
 * together (a group, at most burst), and the schedule moves past them. 0
 * when the first may not leave yet: *wait_until_ns then says when it may.
 * A pacer behind its schedule keeps it: groups of up to burst datagrams,
 * 1/MCTX__PACER_CATCHUP_SHARE faster than the rate, until it is on time
 * again (it forgives a debt of more than MCTX__PACER_CATCHUP_NS). late
 * collects their lateness. */
size_t mctx__pacer_take(mctx__pacer *p, const mctx_datagram *datagrams,
                        const size_t *payload, size_t count, uint64_t now_ns,
                        uint64_t *wait_until_ns, mctx__pacing_lateness *late);

/* The publication's side: when pacing is on, waits until a datagram of
 * payload bytes is due (MCTX_OK) or is interrupted (MCTX_E_INTERRUPTED,
 * nothing sent); sends, sendv. */
bool mctx__pacing_on(const mctx_publication *pub);
int mctx__pace_one(mctx_publication *pub, size_t payload, mctx_error *err);

/* A paced batch: waits for each group of datagrams due together and sends
 * it with mctx__send_batch_now. Same contract as send_batch. */
int mctx__paced_batch(mctx_publication *pub, const mctx_datagram *datagrams,
                      size_t count, size_t *sent, mctx_error *err);

/* mctx_publications_send_batch with a paced publication: leader's schedule
 * cuts the batch where due times part, each cut goes to every publication
 * (unpaced, mctx__send_batch_now) before the next wait, so that a datagram
 * leaves all of them together. A publication that fails is out for the
 * rest of the call; an interrupted wait (the leader's interrupt) gives
 * every one still going MCTX_E_INTERRUPTED. The lateness counters are the
 * leader's. Returns the first failed publication's code. */
int mctx__paced_batch_all(mctx_publication *leader,
                          mctx_publication *const *pubs, size_t npubs,
                          const mctx_datagram *datagrams, size_t count,
                          mctx_send_result *results, mctx_error *errs);

/* Adds the publication's pacing counters to a snapshot taken at
 * out->captured_mono_ns. */
void mctx__pacing_read(const mctx_publication *pub, mctx_metrics *out);

/* The most a pacer behind its schedule catches up: beyond it the
 * schedule starts again (the receiver's buffer has lost it anyway). */
#define MCTX__PACER_CATCHUP_NS 50000000ull
/* A pacer behind its schedule sends 1/MCTX__PACER_CATCHUP_SHARE faster
 * than its rate until it is on time (docs/pacing.md). */
#define MCTX__PACER_CATCHUP_SHARE 32u
/* Catching up, a group holds one datagram more (up to burst) for every
 * this many wire times the pacer is behind. */
#define MCTX__PACER_GROUP_DEBT_WIRES 8u
/* The longest a wait busy-polls the clock instead of sleeping: the
 * estimated wake-up cost is capped at it, plus MCTX__PACER_SPIN_NS. */
#define MCTX__PACER_WAKE_COST_MAX_NS 50000ull
#define MCTX__PACER_SPIN_NS 5000ull

/* How to wait from now until due: returns 0 to busy-poll the clock (the
 * wait is shorter than a sleep's wake-up cost plus MCTX__PACER_SPIN_NS),
 * else the time to sleep until (the wake-up cost before due). */
uint64_t mctx__pacer_sleep_until(const mctx__pacer *p, uint64_t now_ns,
                                 uint64_t due_ns);

/* A sleep asked to end at asked_ns ended at woke_ns: learn the wake-up
 * cost (a low quantile of the lateness of wake-ups, capped). */
void mctx__pacer_woke(mctx__pacer *p, uint64_t asked_ns, uint64_t woke_ns);

/* pacer_posix.c: the wait until an absolute CLOCK_MONOTONIC time (the
 * clock of mctx_monotonic_ns) that mctx_publication_interrupt cuts short (0 when
 * the time came, MCTX_E_INTERRUPTED otherwise). wake makes a waiting
 * thread look at *interrupted at once. */
int mctx__pacer_wait(_Atomic uint32_t *interrupted, uint64_t due_ns);
/* The calling thread's timer slack lowered for a paced call's sleeps (the
 * value to put back, 0 when nothing was changed), and put back. */
unsigned long mctx__pacer_slack_lower(void);
void mctx__pacer_slack_restore(unsigned long was);
void mctx__pacer_wake(_Atomic uint32_t *interrupted);

/* posix/send.c, win32/send.c: the batch send without waiting (send_batch
 * without pacing). A paced cut (paced true) leaves as datagrams of their
 * own in one sendmmsg, never as a UDP GSO packet: a queue on the way (a
 * shaping qdisc; tbf emulating a switch port) then takes each datagram as
 * the wire carries it, not a packet the size of the cut (docs/pacing.md). */
int mctx__send_batch_now(mctx_publication *pub, const mctx_datagram *datagrams,
                         size_t count, bool paced, size_t *sent,
                         mctx_error *err);

/* ---- publication internals used by context.c --------------------------- */

/* Set by context.c when it adopts / releases a publication. */
void mctx__publication_set_id(mctx_publication *pub, mctx_publication_id id);

/* The publication object (publication.c owns its life cycle; posix/send.c
 * reads it on the send path without a call per field). Everything the send
 * path needs is computed once at open: no lookup per datagram. A later fast
 * path (UDP GSO probing) adds its per-publication state here. */
struct mctx_publication {
  mctx_publication_id id; /* 0 outside a context */
  int fd;
  mctx_publication_config config;   /* copy; live setters keep it current */
  mctx_endpoint destination;        /* connected peer, IPv6 scope id used */
  _Atomic uint32_t interface_index; /* IPV6_MULTICAST_IF / ip_mreqn, 0
                                        none; a followed interface
                                        changes it (iface_follow.c) */
  bool has_local;                   /* local holds getsockname from open;
                                      both read-only after open, because
                                      threads may send concurrently (but
                                      for a followed interface, see
                                      iface_follow.c) */
  mctx_endpoint local;
  mctx_metrics_cell metrics;

  /* UDP GSO state of the batch path (posix/send.c, docs/gso.md). Zero at
   * open means "not probed yet"; the first batch probes once; config.gso
   * false starts it at MCTX__GSO_OFF. Atomic because two threads may send
   * on one publication (relaxed: each value stands alone, a stale read
   * only costs one refused call). */
  _Atomic int gso_state;            /* an mctx__gso_state */
  _Atomic unsigned gso_max_segment; /* largest datagram sent as a GSO
                                        segment: path MTU less headers,
                                        lowered when the kernel refuses */
  _Atomic unsigned gso_refusals;    /* GSO calls refused and resent */
  _Atomic uint64_t gso_calls;       /* GSO messages (runs) that went out
                                        (for tests) */

  /* Pacing (pacer.c). The setter stores the wanted rate and burst; the
   * sending thread copies them into its schedule at its next call. The
   * lateness counters are written by that thread only; the largest
   * lateness is kept per second of the monotonic clock (this one and the
   * one before), so a snapshot reads a recent maximum without resetting
   * anything. */
  _Atomic uint64_t pacing_rate_bps;
  _Atomic uint32_t pacing_burst;
  _Atomic uint32_t interrupted; /* a futex word on Linux */
  mctx__pacer pacer;
  _Atomic uint64_t paced_packets;
  _Atomic uint64_t pacing_late_sum_ns;
  _Atomic uint64_t pacing_late_max_ns;      /* in second late_second */
  _Atomic uint64_t pacing_late_max_prev_ns; /* in second late_second - 1 */
  _Atomic uint64_t pacing_late_second;

  /* The egress qdisc (config.gso == MCTX_GSO_AUTO, queue_drops). Read off
   * the send path only; the send path reads gso_qdisc_whole alone. */
  uint32_t egress_index;         /* interface whose qdisc is read: the
                                        configured one, else the route's;
                                        0 unknown */
  _Atomic bool gso_qdisc_whole;  /* the cached MCTX_GSO_AUTO decision */
  _Atomic unsigned enobufs_run;  /* ENOBUFS since the last refresh */
  pthread_mutex_t qdisc_lock;    /* guards the rest, for snapshots from
                                        any thread */
  mctx__qdisc_info qdisc;        /* last read */
  mctx__qdisc_info qdisc_base;   /* counters at open (or at a qdisc
                                        replacement, folded below) */
  mctx__qdisc_info qdisc_folded; /* deltas of qdiscs replaced since */

  /* Following an interface given by name or address that came back with
   * a new index (iface_follow.c). Only failed sends look, at most once a
   * second: follow_last_ns is the monotonic time of the last look, taken
   * by compare-and-swap so that one thread looks. */
  _Atomic uint64_t follow_last_ns;
  _Atomic uint64_t follows;    /* sockets moved to a new index (for tests) */
  _Atomic bool follow_pending; /* a move failed: look on any failure */
};

/* A send on pub failed with errno e (posix/send.c, win32/send.c call it
 * for every failed send). When e says the interface is gone (ENODEV,
 * ENXIO, ENETUNREACH, EADDRNOTAVAIL) and the publication's interface was
 * given by name or address, looks it up again (at most once a second) and,
 * when it is back under a new index, moves the socket there. No system
 * call otherwise. */
void mctx__iface_follow(mctx_publication *pub, int e);

/* Reads the egress qdisc into pub (under qdisc_lock, or skipped when
 * another thread holds it and `wait` is false) and updates the cached GSO
 * decision. out (may be NULL) gets the stats as mctx_queue_stats. */
void mctx__publication_qdisc_refresh(mctx_publication *pub, bool wait,
                                     mctx_queue_stats *out);

/* What the batch path knows about UDP GSO on a publication. */
typedef enum mctx__gso_state {
  MCTX__GSO_UNPROBED = 0,
  MCTX__GSO_ON,
  MCTX__GSO_OFF /* not supported, refused too often, or forced off */
} mctx__gso_state;

/* ---- sockets (socket_plan.c, posix/socket.c, win32/socket.c) ------------ */

/* What socket setup produced: a non-blocking, configured, connected socket. */
typedef struct mctx__socket_setup {
  int fd;
  mctx_endpoint destination; /* with the IPv6 scope id used */
  uint32_t interface_index;  /* 0 when none was set by index */
  bool has_local;            /* getsockname after connect succeeded */
  mctx_endpoint local;
} mctx__socket_setup;

/* What socket setup will do, computed from a validated config before any
 * socket changes (socket_plan.c, portable); each platform's socket.c
 * applies it. */
typedef struct mctx__socket_plan {
  mctx_family family;
  bool bind; /* bind to bind_to */
  mctx_endpoint bind_to;
  const char *bind_role;     /* whose address bind_to is, for messages */
  mctx_subject bind_subject; /* the same for mctx_error.subject */
  bool v4_if_by_address;     /* IP_MULTICAST_IF with struct in_addr */
  uint32_t interface_index;  /* ip_mreqn / IPV6_MULTICAST_IF, 0 none */
  mctx_endpoint destination;
  bool scoped_without_interface; /* raised where mctx-core raises it */
} mctx__socket_plan;

/* Resolves interfaces and applies mctx-core's IPv6 rules. */
int mctx__socket_plan_make(const mctx_publication_config *cfg,
                           mctx__socket_plan *plan, mctx_error *err);

/* MCTX_E_IPV6_SCOPED_MULTICAST_REQUIRES_INTERFACE where mctx-core raises
 * it (just before connect); needs no socket. */
int mctx__socket_check_scope(const mctx_publication_config *cfg,
                             const mctx__socket_plan *plan, mctx_error *err);

/* What the platform says a caller's socket is (its address family, type
 * and protocol, e.g. SO_DOMAIN, SO_TYPE, SO_PROTOCOL) against the config:
 * UDP (protocol 0 too: what some kernels report for a socket made with
 * 0), of the group's family. A raw socket would take a datagram's first 8
 * bytes as the UDP header, a TCP socket would be bound before connect
 * fails: MCTX_E_EXISTING_SOCKET_NOT_UDP naming what it is, or
 * MCTX_E_EXISTING_SOCKET_FAMILY_MISMATCH. */
int mctx__socket_check_kind(int domain, int type, int protocol,
                            const mctx_publication_config *cfg,
                            mctx_error *err);

/* Everything about a caller's socket that only reads it, so that a refused
 * config leaves it as it was: mctx-core's checks (family, bound address
 * and port), the plan, the bound address against the plan's bind, the
 * scope. *is_bound says whether the socket is bound already. */
int mctx__socket_adopt_plan(const mctx_publication_config *cfg, int fd,
                            mctx__socket_plan *plan, bool *is_bound,
                            mctx_error *err);

/* Texts for messages: an address (buf of MCTX_IP_STRLEN), and "3 (eth0)"
 * or "3" when the interface has no name. */
const char *mctx__ip_text(const mctx_ip *ip, char *buf);
const char *mctx__index_text(uint32_t index, char *buf, size_t size);

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

/* Moves a publication's connected socket to the interface the plan names
 * now (made again from the config after the interface came back): what
 * connect derived from the old interface is forgotten (the source address
 * unless bound, IPv6's device binding of a scoped group, the cached
 * route), the bound port is kept, the multicast interface set again, and
 * the socket connected again. local gets the socket's address after. */
int mctx__socket_follow(int fd, const mctx_publication_config *cfg,
                        const mctx__socket_plan *plan, mctx_endpoint *local,
                        mctx_error *err);

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
int mctx__endpoint_from_sockaddr(const struct sockaddr *sa, mctx_endpoint *out);

#endif /* MCTX_PRIVATE_H */
