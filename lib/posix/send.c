/* Sending: one datagram, one gathered datagram, batches, the error queue.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The socket is connected and non-blocking, so a send is one system call
 * with no address and no flags. Nothing here allocates, locks or looks up
 * anything per datagram; error messages are formatted only on a real
 * failure (would-block and a full local queue get a fixed text).
 * A batch goes out with sendmmsg, 64 messages per call: runs of
 * equal-size datagrams as UDP GSO messages where the kernel has it
 * (docs/gso.md), everything else one datagram per message.
 */
#include "mctx-private.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* mctx_buf arrays go to the kernel as iovec arrays, never copied. */
_Static_assert(sizeof(mctx_buf) == sizeof(struct iovec),
               "mctx_buf must have the size of struct iovec");
_Static_assert(offsetof(mctx_buf, base) == offsetof(struct iovec, iov_base),
               "mctx_buf.base must sit where iovec.iov_base does");
_Static_assert(offsetof(mctx_buf, len) == offsetof(struct iovec, iov_len),
               "mctx_buf.len must sit where iovec.iov_len does");

/* Messages per sendmmsg call; the on-stack headers of one call. */
#define BATCH_CHUNK 64

/* Drained error-queue entries per call, so a flood cannot keep us here. */
#define DRAIN_MAX 256

static inline struct iovec *
as_iovec(const mctx_buf *bufs)
{
  /* The kernel only reads the buffers; iovec just is not const-qualified. */
  return (struct iovec *) (uintptr_t) bufs;
}

static bool
is_would_block(int e)
{
  return e == EAGAIN || e == EWOULDBLOCK;
}

static int
send_failure(mctx_publication *pub, int e, mctx_error *err)
{
  mctx__iface_follow(pub, e);
  int transient = mctx__send_transient(err, e);
  if (transient != MCTX_OK)
    return transient;
  if (err == NULL)
    return MCTX_E_SEND_FAILED;
  char dest[MCTX_ENDPOINT_STRLEN];
  mctx_endpoint_format(&pub->destination, dest, sizeof dest);
  return mctx__fail(err, MCTX_E_SEND_FAILED,
                    e == EMSGSIZE ? MCTX_SUBJECT_DATAGRAM : MCTX_SUBJECT_SOCKET,
                    e, "send to %s failed: %s", dest, strerror(e));
}

static void
record_one(mctx_publication *pub, ssize_t n, int e)
{
  if (n >= 0)
    mctx__metrics_record(&pub->metrics, 1, 1, (uint64_t) n, 0, 0);
  else
    mctx__metrics_record(&pub->metrics, 1, 0, 0, 1, is_would_block(e) ? 1 : 0);
}

/* Reads only what open computed: several threads may send at once. */
static void
fill_report(const mctx_publication *pub, size_t n, mctx_send_report *report)
{
  report->publication_id = pub->id;
  report->destination = pub->destination;
  if (pub->has_local)
    report->local = pub->local;
  else
    memset(&report->local, 0, sizeof report->local);
  report->bytes_sent = n;
}

static int
finish_one(mctx_publication *pub, ssize_t n, int e, mctx_send_report *report,
           mctx_error *err)
{
  record_one(pub, n, e);
  if (n < 0)
    return send_failure(pub, e, err);
  if (report != NULL)
    fill_report(pub, (size_t) n, report);
  return mctx__ok(err);
}

int
mctx_publication_send(mctx_publication *pub, const void *data, size_t len,
                      mctx_send_report *report, mctx_error *err)
{
  if (pub == NULL || (data == NULL && len > 0))
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "publication and data must not be NULL");
  if (mctx__pacing_on(pub)) {
    int rc = mctx__pace_one(pub, len, err);
    if (rc != MCTX_OK)
      return rc;
  }
  ssize_t n;
  do
    n = send(pub->fd, data, len, 0);
  while (n < 0 && errno == EINTR);
  return finish_one(pub, n, n < 0 ? errno : 0, report, err);
}

int
mctx_publication_sendv(mctx_publication *pub, const mctx_buf *bufs,
                       size_t nbufs, mctx_send_report *report, mctx_error *err)
{
  if (pub == NULL || (bufs == NULL && nbufs > 0))
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "publication and buffers must not be NULL");
  if (mctx__pacing_on(pub)) {
    mctx_datagram d = {bufs, nbufs};
    int rc = mctx__pace_one(pub, mctx__datagram_size(&d), err);
    if (rc != MCTX_OK)
      return rc;
  }
  ssize_t n;
  if (nbufs == 1) {
    /* The usual datagram of one buffer: send() spares the kernel the
     * msghdr and iovec copies (about 2% of a buffer's whole cost in
     * mctxsink, docs/performance.md). */
    do
      n = send(pub->fd, bufs[0].base, bufs[0].len, 0);
    while (n < 0 && errno == EINTR);
    return finish_one(pub, n, n < 0 ? errno : 0, report, err);
  }
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = as_iovec(bufs);
  msg.msg_iovlen = nbufs;
  do
    n = sendmsg(pub->fd, &msg, 0);
  while (n < 0 && errno == EINTR);
  return finish_one(pub, n, n < 0 ? errno : 0, report, err);
}

/* ---- UDP GSO (docs/gso.md) ------------------------------------------------
 *
 * A run of datagrams of one size (the last may be shorter) leaves as ONE
 * message carrying a UDP_SEGMENT control message; the kernel cuts it into
 * the original datagrams, in order, each with its own UDP and IP header.
 * Receivers cannot tell the difference. Several runs share one sendmmsg,
 * each with its own control message. The payload is never copied. */

#if defined(__linux__)
#  include <netinet/udp.h>
#  ifndef UDP_SEGMENT
#    define UDP_SEGMENT 103 /* <linux/udp.h>; older libc headers lack it */
#  endif
#  define HAVE_UDP_GSO 1
#else
#  define HAVE_UDP_GSO 0
#endif

/* Segments per call. The kernel's UDP_MAX_SEGMENTS was 64 from Linux 4.18
 * (the first with UDP GSO) and is 128 in recent kernels; 64 is accepted by
 * all of them, and at 1316 bytes the byte limit (49 segments) binds first. */
#define GSO_MAX_SEGMENTS 64

/* Payload of one call: the whole GSO datagram must still fit the 16-bit
 * length fields. IPv4: 65535 - 20 (IP header) - 8 (UDP header). IPv6: the
 * payload length excludes the IPv6 header: 65535 - 8 (UDP header). */
#define GSO_MAX_PAYLOAD_IPV4 65507u
#define GSO_MAX_PAYLOAD_IPV6 65527u

/* Headers in front of each segment, for the largest segment the path MTU
 * allows (no IP options or extension headers are set by libmctx). */
#define GSO_HEADERS_IPV4 (20u + 8u)
#define GSO_HEADERS_IPV6 (40u + 8u)

/* iovecs of one call: 64 datagrams of up to 4 buffers (an RTP header, a
 * payload header, the payload...). A run stops where the next datagram's
 * buffers would not fit; a longer datagram goes through sendmmsg. */
#define GSO_MAX_IOV 256

/* Refused calls (each resent through sendmmsg) before GSO is switched off
 * for the publication: bounds the cost of a kernel that refuses for a
 * reason that does not depend on the segment size. */
#define GSO_MAX_REFUSALS 4

/* iovecs of the GSO runs of one call (below): room for two runs of
 * GSO_MAX_IOV, so a list of 64 datagrams of up to 4 buffers each goes out
 * in one call. */
#define POOL_IOV (2 * GSO_MAX_IOV)

typedef struct gso_run {
  size_t count;      /* datagrams in the run; 1 = no run here */
  size_t segment;    /* size of every datagram but a possibly shorter last */
  size_t bytes;      /* payload of the whole run */
  struct iovec *iov; /* the datagrams' own buffers, or their copy */
  size_t niov;
} gso_run;

/* Decides once per publication whether GSO is worth trying and up to which
 * segment size: the kernel knows UDP_SEGMENT (getsockopt gives the socket's
 * default segment size, 0, instead of ENOPROTOOPT) and the connected route's
 * MTU bounds the segments. Two threads may both probe: same result. */
static int
gso_probe(mctx_publication *pub)
{
#if HAVE_UDP_GSO
  int value = 0;
  socklen_t len = sizeof value;
  if (getsockopt(pub->fd, IPPROTO_UDP, UDP_SEGMENT, &value, &len) != 0) {
    atomic_store_explicit(&pub->gso_state, MCTX__GSO_OFF, memory_order_relaxed);
    return MCTX__GSO_OFF;
  }
  bool v6 = pub->destination.ip.family == MCTX_FAMILY_IPV6;
  unsigned max = v6 ? GSO_MAX_PAYLOAD_IPV6 : GSO_MAX_PAYLOAD_IPV4;
  unsigned headers = v6 ? GSO_HEADERS_IPV6 : GSO_HEADERS_IPV4;
  int mtu = 0;
  len = sizeof mtu;
  /* Without it (not connected yet?), a segment too large for the path is
   * refused with EINVAL and the limit is learnt from that. */
  if (getsockopt(pub->fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
                 v6 ? IPV6_MTU : IP_MTU, &mtu, &len) == 0 &&
      mtu > (int) headers && (unsigned) mtu - headers < max)
    max = (unsigned) mtu - headers;
  atomic_store_explicit(&pub->gso_max_segment, max, memory_order_relaxed);
  atomic_store_explicit(&pub->gso_state, MCTX__GSO_ON, memory_order_relaxed);
  return MCTX__GSO_ON;
#else
  atomic_store_explicit(&pub->gso_state, MCTX__GSO_OFF, memory_order_relaxed);
  return MCTX__GSO_OFF;
#endif
}

static size_t
buffers_size(const mctx_buf *bufs, size_t nbufs)
{
  size_t size = 0;
  for (size_t k = 0; k < nbufs; k++)
    size += bufs[k].len;
  return size;
}

/* A run's iovecs as they are written: a buffer that starts where the
 * previous one ends joins it. The kernel walks a message's iovecs one by
 * one and each costs it far more than the bytes (docs/performance.md: 49
 * iovecs for 49 datagrams made the same GSO send 0.7 as fast as one
 * iovec); buffers sliced from one block, as a caller that writes a list
 * into one memory makes them, become a single iovec. */
typedef struct joiner {
  struct iovec *iov;
  size_t n;
  const char *end; /* where iov[n - 1] ends; NULL before the first */
} joiner;

static inline void
join_buf(joiner *j, const mctx_buf *b)
{
  if (b->len == 0)
    return;
  const char *base = (const char *) b->base;
  /* j->n first: a caller's NULL base (the kernel's EFAULT) must not
   * match the NULL end before the first iovec. */
  if (j->n > 0 && base == j->end) {
    j->iov[j->n - 1].iov_len += b->len;
  } else {
    j->iov[j->n].iov_base = b->base;
    j->iov[j->n].iov_len = b->len;
    j->n++;
  }
  j->end = base + b->len;
}

/* Finds the longest run at the start of d[0..count) that one GSO message
 * can carry: same size (the last may be shorter, never empty), at most
 * GSO_MAX_SEGMENTS, within max_payload and pool_room buffers, and the
 * size at most max_segment. Returns run->count; 1 means "no run here".
 * The run's iovecs are written to pool, touching buffers joined; the
 * payload is never copied. A datagram of one buffer (the usual case)
 * takes a path without loops: this runs once per datagram of a list. */
static inline size_t
gso_gather(const mctx_datagram *d, size_t count, size_t max_segment,
           size_t max_payload, struct iovec *pool, size_t pool_room,
           gso_run *run)
{
  run->count = 1;
  if (count < 2 || d[0].nbufs > pool_room)
    return 1;
  size_t segment = buffers_size(d[0].bufs, d[0].nbufs);
  if (segment == 0 || segment > max_segment)
    return 1;
  /* Every datagram is at most `segment` long, so this bounds the bytes. */
  size_t limit = max_payload / segment;
  if (limit > GSO_MAX_SEGMENTS)
    limit = GSO_MAX_SEGMENTS;
  if (limit > count)
    limit = count;

  joiner j = {pool, 0, NULL};
  size_t n = 1;
  size_t nbufs = d[0].nbufs; /* before joining: bounds the pool's use */
  size_t bytes = segment;
  for (size_t k = 0; k < d[0].nbufs; k++)
    join_buf(&j, &d[0].bufs[k]);
  while (n < limit) {
    const mctx_datagram *x = &d[n];
    if (nbufs + x->nbufs > pool_room)
      break;
    size_t size =
        x->nbufs == 1 ? x->bufs[0].len : buffers_size(x->bufs, x->nbufs);
    /* Empty or longer: not in this run. Shorter: the run's last. */
    if (size != segment && size - 1 >= segment)
      break;
    if (x->nbufs == 1) {
      join_buf(&j, x->bufs);
    } else {
      for (size_t k = 0; k < x->nbufs; k++)
        join_buf(&j, &x->bufs[k]);
    }
    nbufs += x->nbufs;
    bytes += size;
    n++;
    if (size != segment)
      break;
  }
  if (n < 2)
    return 1;
  run->count = n;
  run->segment = segment;
  run->bytes = bytes;
  run->iov = pool;
  run->niov = j.n;
  return n;
}

/* Errors by which the kernel refuses GSO itself, not the datagrams: the
 * same datagrams can still go out one by one. EINVAL: a segment does not
 * fit the path MTU, too many segments, or checksums are off on the socket;
 * EMSGSIZE: the whole is too large (IP options, extension headers); EIO:
 * the device cannot checksum, or IPsec; ENOPROTOOPT / EOPNOTSUPP: no GSO. */
static bool
gso_refused(int e)
{
  switch (e) {
    case EINVAL:
    case EMSGSIZE:
    case EIO:
    case ENOPROTOOPT:
    case EOPNOTSUPP:
#if defined(ENOTSUP) && ENOTSUP != EOPNOTSUPP
    case ENOTSUP:
#endif
      return true;
    default:
      return false;
  }
}

/* Remembers a refusal: a size-dependent one stops GSO for this segment size
 * and larger, any other (or one too many) stops it for the publication. */
static void
gso_note_refusal(mctx_publication *pub, size_t segment, int e)
{
  unsigned refusals =
      atomic_fetch_add_explicit(&pub->gso_refusals, 1, memory_order_relaxed) +
      1;
  if (e == EMSGSIZE) {
    /* With IP_RECVERR the kernel also queued this as a local error: it
     * concerns an attempt the caller never sees, so do not leave it for
     * the caller's poll to report. */
    mctx_publication_drain_errors(pub);
  }
  bool size_dependent = e == EINVAL || e == EMSGSIZE;
  if (size_dependent && refusals < GSO_MAX_REFUSALS && segment > 1) {
    unsigned below = (unsigned) segment - 1;
    if (below <
        atomic_load_explicit(&pub->gso_max_segment, memory_order_relaxed))
      atomic_store_explicit(&pub->gso_max_segment, below, memory_order_relaxed);
    return;
  }
  atomic_store_explicit(&pub->gso_state, MCTX__GSO_OFF, memory_order_relaxed);
}

/* A run of ENOBUFS says the egress queue is not what it was, perhaps: the
 * qdisc is read again (the MCTX_GSO_AUTO decision follows it). Only on this
 * failure path, and only when no other thread is reading it already. */
#define ENOBUFS_RUN_REFRESH 64

static void
note_queue_full(mctx_publication *pub)
{
  unsigned run =
      atomic_fetch_add_explicit(&pub->enobufs_run, 1, memory_order_relaxed);
  if (run + 1 >= ENOBUFS_RUN_REFRESH)
    mctx__publication_qdisc_refresh(pub, false, NULL);
}

/* One sendmmsg: up to BATCH_CHUNK messages, each a GSO run with its own
 * UDP_SEGMENT control message or a datagram on its own. For every message
 * the kernel builds what one sendmsg would (a GSO run is queued whole or
 * not at all), and it stops at the first message that fails: a list of 64
 * datagrams of 1316 bytes (runs of 49 and 15) is one system call. */
typedef union gso_control {
  char buf[CMSG_SPACE(sizeof(uint16_t))];
  struct cmsghdr align;
} gso_control;

typedef struct batch_call {
  struct mmsghdr msgs[BATCH_CHUNK];
  size_t datagrams[BATCH_CHUNK]; /* datagrams of each message */
  size_t segment[BATCH_CHUNK];   /* its GSO segment size, 0 without GSO */
  gso_control control[BATCH_CHUNK];
  struct iovec pool[POOL_IOV]; /* iovecs of the runs, adjacent ones joined */
} batch_call;

static void
set_gso_control(gso_control *control, size_t segment)
{
#if HAVE_UDP_GSO
  memset(control, 0, sizeof *control);
  struct cmsghdr *c = &control->align;
  c->cmsg_level = IPPROTO_UDP; /* SOL_UDP */
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
  uint16_t value = (uint16_t) segment;
  memcpy(CMSG_DATA(c), &value, sizeof value);
#else
  (void) control;
  (void) segment;
#endif
}

/* Fills call with messages for d[0..count): GSO runs when gso is on and
 * from datagram plain_until on (the ones before it were just refused as a
 * run), other datagrams one message each. Returns the messages. */
static unsigned
build_call(batch_call *call, const mctx_datagram *d, size_t count, bool gso,
           size_t plain_until, size_t max_segment, size_t max_payload)
{
  unsigned m = 0;
  size_t at = 0;
  size_t pool_used = 0;
  while (m < BATCH_CHUNK && at < count) {
    struct mmsghdr *msg = &call->msgs[m];
    gso_run run = {.count = 1};
    if (gso && at >= plain_until) {
      /* A run's iovecs need room in the pool: else the next call (a
       * datagram with more buffers than a run may hold goes alone). */
      size_t room = POOL_IOV - pool_used;
      if (room > GSO_MAX_IOV)
        room = GSO_MAX_IOV;
      if (room < d[at].nbufs && pool_used > 0)
        break;
      gso_gather(d + at, count - at, max_segment, max_payload,
                 call->pool + pool_used, room, &run);
    }
    if (run.count >= 2) {
      set_gso_control(&call->control[m], run.segment);
      *msg = (struct mmsghdr){
          .msg_hdr = {.msg_iov = run.iov,
                      .msg_iovlen = run.niov,
                      .msg_control = call->control[m].buf,
                      .msg_controllen = sizeof call->control[m].buf}};
      pool_used += run.niov;
      call->segment[m] = run.segment;
    } else {
      *msg = (struct mmsghdr){.msg_hdr = {.msg_iov = as_iovec(d[at].bufs),
                                          .msg_iovlen = d[at].nbufs}};
      call->segment[m] = 0;
    }
    call->datagrams[m] = run.count;
    at += run.count;
    m++;
  }
  return m;
}

int
mctx__send_batch_now(mctx_publication *pub, const mctx_datagram *datagrams,
                     size_t count, bool paced, size_t *sent, mctx_error *err)
{
  int gso = MCTX__GSO_OFF;
  if (count > 1 && !paced &&
      (pub->config.gso != MCTX_GSO_AUTO ||
       atomic_load_explicit(&pub->gso_qdisc_whole, memory_order_relaxed))) {
    gso = atomic_load_explicit(&pub->gso_state, memory_order_relaxed);
    if (gso == MCTX__GSO_UNPROBED)
      gso = gso_probe(pub);
  }
  size_t max_segment =
      atomic_load_explicit(&pub->gso_max_segment, memory_order_relaxed);
  size_t max_payload = pub->destination.ip.family == MCTX_FAMILY_IPV6
                           ? GSO_MAX_PAYLOAD_IPV6
                           : GSO_MAX_PAYLOAD_IPV4;
  batch_call call;

  size_t done = 0;
  size_t plain_until = 0; /* a refused run's datagrams go out without GSO */
  uint64_t bytes = 0;
  int error = 0;
  while (done < count) {
    unsigned m = build_call(
        &call, datagrams + done, count - done, gso == MCTX__GSO_ON,
        plain_until > done ? plain_until - done : 0, max_segment, max_payload);
    int n;
    do
      n = sendmmsg(pub->fd, call.msgs, m, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
      /* Nothing of this call went out; message 0 says why. */
      int e = errno;
      if (call.segment[0] != 0 && gso_refused(e)) {
        /* The run goes out again without GSO, the next runs use what was
         * learnt. */
        gso_note_refusal(pub, call.segment[0], e);
        gso = atomic_load_explicit(&pub->gso_state, memory_order_relaxed);
        max_segment =
            atomic_load_explicit(&pub->gso_max_segment, memory_order_relaxed);
        plain_until = done + call.datagrams[0];
        continue;
      }
      error = e;
      break;
    }
    /* A zero count without an error would not progress; the kernel does
     * not do that, but never spin on it. */
    if (n == 0) {
      error = EIO;
      break;
    }
    unsigned runs = 0;
    for (int i = 0; i < n; i++) {
      done += call.datagrams[i];
      bytes += call.msgs[i].msg_len;
      runs += call.segment[i] != 0;
    }
    if (runs > 0)
      atomic_fetch_add_explicit(&pub->gso_calls, runs, memory_order_relaxed);
    /* A short count: the next call reports the reason for message n, or
     * sends it. */
  }

  bool failed = done < count;
  mctx__metrics_record(&pub->metrics, done + (failed ? 1 : 0), done, bytes,
                       failed ? 1 : 0, failed && is_would_block(error) ? 1 : 0);
  *sent = done;
  if (failed) {
    if (error == ENOBUFS)
      note_queue_full(pub);
    return send_failure(pub, error, err);
  }
  return mctx__ok(err);
}

int
mctx_publication_drain_errors(mctx_publication *pub)
{
  if (pub == NULL)
    return 0;
  int drained = 0;
  while (drained < DRAIN_MAX) {
    /* The payload and the extended error are not needed, only their
     * removal; a truncated read still dequeues the entry. */
    char data[1];
    char control[256];
    struct iovec iov = {data, sizeof data};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(pub->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    drained++;
  }
  return drained;
}
