/* Sending: one datagram, one gathered datagram, batches, the error queue.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The socket is connected and non-blocking, so a send is one system call
 * with no address and no flags. Nothing here allocates, locks or looks up
 * anything per datagram; error messages are formatted only on a real
 * failure (would-block and a full local queue get a fixed text).
 * Batches send runs of equal-size datagrams with UDP GSO where the kernel
 * has it (docs/gso.md), everything else with sendmmsg.
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

/* Datagrams per sendmmsg call; the on-stack headers of one chunk. */
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
send_failure(const mctx_publication *pub, int e, mctx_error *err)
{
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
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = as_iovec(bufs);
  msg.msg_iovlen = nbufs;
  ssize_t n;
  do
    n = sendmsg(pub->fd, &msg, 0);
  while (n < 0 && errno == EINTR);
  return finish_one(pub, n, n < 0 ? errno : 0, report, err);
}

/* Sends up to BATCH_CHUNK datagrams with one sendmmsg. Returns how many went
 * out (adding their bytes to *bytes); when that is fewer than count, *error
 * holds the errno of the first one that did not (0 when the kernel stopped
 * early without saying why: the caller simply goes on from there). */
static size_t
send_chunk_mmsg(int fd, const mctx_datagram *datagrams, size_t count,
                uint64_t *bytes, int *error)
{
  struct mmsghdr msgs[BATCH_CHUNK];
  if (count > BATCH_CHUNK)
    count = BATCH_CHUNK;
  memset(msgs, 0, count * sizeof msgs[0]);
  for (size_t i = 0; i < count; i++) {
    msgs[i].msg_hdr.msg_iov = as_iovec(datagrams[i].bufs);
    msgs[i].msg_hdr.msg_iovlen = datagrams[i].nbufs;
  }
  int n;
  do
    n = sendmmsg(fd, msgs, (unsigned) count, 0);
  while (n < 0 && errno == EINTR);
  *error = 0;
  if (n < 0) {
    *error = errno;
    return 0;
  }
  for (int i = 0; i < n; i++)
    *bytes += msgs[i].msg_len;
  return (size_t) n;
}

/* ---- UDP GSO (docs/gso.md) ------------------------------------------------
 *
 * A run of datagrams of one size (the last may be shorter) leaves in ONE
 * sendmsg() carrying a UDP_SEGMENT control message; the kernel cuts it into
 * the original datagrams, in order, each with its own UDP and IP header.
 * Receivers cannot tell the difference. The iovecs of the run are gathered
 * into one array on the stack: the payload is never copied. */

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

typedef struct gso_run {
  size_t count;   /* datagrams in the run; 1 = no run here */
  size_t segment; /* size of every datagram but a possibly shorter last */
  size_t bytes;   /* payload of the whole run */
  size_t niov;
  struct iovec iov[GSO_MAX_IOV];
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

/* Gathers the longest run at the start of d[0..count) that one call can
 * carry: same size (the last may be shorter, never empty), at most
 * GSO_MAX_SEGMENTS, within max_payload and GSO_MAX_IOV iovecs, and the size
 * at most max_segment. Returns run->count; 1 means "no run here". One pass,
 * each datagram's buffers read once: their sizes summed while their iovecs
 * are copied. */
static size_t
gso_gather(const mctx_datagram *d, size_t count, size_t max_segment,
           size_t max_payload, gso_run *run)
{
  run->count = 1;
  if (count < 2 || d[0].nbufs > GSO_MAX_IOV)
    return 1;
  size_t niov = 0;
  size_t segment = 0;
  for (size_t k = 0; k < d[0].nbufs; k++, niov++) {
    run->iov[niov].iov_base = d[0].bufs[k].base;
    run->iov[niov].iov_len = d[0].bufs[k].len;
    segment += d[0].bufs[k].len;
  }
  if (segment == 0 || segment > max_segment)
    return 1;
  /* Every datagram is at most `segment` long, so this bounds the bytes. */
  size_t limit = max_payload / segment;
  if (limit > GSO_MAX_SEGMENTS)
    limit = GSO_MAX_SEGMENTS;
  if (limit > count)
    limit = count;

  size_t n = 1;
  size_t bytes = segment;
  while (n < limit) {
    const mctx_datagram *x = &d[n];
    if (niov + x->nbufs > GSO_MAX_IOV)
      break;
    size_t size = 0;
    for (size_t k = 0; k < x->nbufs; k++) {
      run->iov[niov + k].iov_base = x->bufs[k].base;
      run->iov[niov + k].iov_len = x->bufs[k].len;
      size += x->bufs[k].len;
    }
    if (size != segment) {
      /* Empty or longer: not in this run. Shorter: the run's last. */
      if (size - 1 >= segment)
        break;
      niov += x->nbufs;
      bytes += size;
      n++;
      break;
    }
    niov += x->nbufs;
    bytes += size;
    n++;
  }
  run->count = n;
  run->segment = segment;
  run->bytes = bytes;
  run->niov = niov;
  return n;
}

/* How many datagrams from d[0] on (at most BATCH_CHUNK) do not start a run,
 * so that they share one sendmmsg. A cheap look at two sizes; gso_gather
 * stays the judge (a misjudged start just sends a run of one). */
static size_t
gso_singles(const mctx_datagram *d, size_t count, size_t max_segment,
            size_t max_payload)
{
  if (count > BATCH_CHUNK)
    count = BATCH_CHUNK;
  size_t i = 0;
  size_t size = count > 0 ? mctx__datagram_size(&d[0]) : 0;
  for (; i + 1 < count; i++) {
    size_t next = mctx__datagram_size(&d[i + 1]);
    if (size != 0 && size <= max_segment && 2 * size <= max_payload &&
        next != 0 && next <= size && d[i].nbufs + d[i + 1].nbufs <= GSO_MAX_IOV)
      return i;
    size = next;
  }
  return count;
}

/* One sendmsg with the run and its segment size. Returns 0 or errno. For
 * one sendmsg the kernel builds one GSO datagram: all of it is queued, or
 * none (would-block, refusal, error). */
static int
gso_send(int fd, gso_run *run)
{
#if HAVE_UDP_GSO
  union {
    char buf[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr msg = {
      .msg_iov = run->iov,
      .msg_iovlen = run->niov,
      .msg_control = control.buf,
      .msg_controllen = sizeof control.buf,
  };
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_UDP; /* SOL_UDP */
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
  uint16_t segment = (uint16_t) run->segment;
  memcpy(CMSG_DATA(c), &segment, sizeof segment);
  ssize_t n;
  do
    n = sendmsg(fd, &msg, 0);
  while (n < 0 && errno == EINTR);
  return n < 0 ? errno : 0;
#else
  (void) fd;
  (void) run;
  return EOPNOTSUPP;
#endif
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
gso_note_refusal(mctx_publication *pub, const gso_run *run, int e)
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
  if (size_dependent && refusals < GSO_MAX_REFUSALS && run->segment > 1) {
    unsigned below = (unsigned) run->segment - 1;
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

int
mctx__send_batch_now(mctx_publication *pub, const mctx_datagram *datagrams,
                     size_t count, size_t *sent, mctx_error *err)
{

  int gso = MCTX__GSO_OFF;
  if (count > 1 &&
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
  gso_run run;

  size_t done = 0;
  uint64_t bytes = 0;
  int error = 0;
  while (done < count) {
    size_t chunk = count - done; /* for sendmmsg, which caps it */
    if (gso == MCTX__GSO_ON) {
      size_t n = gso_gather(datagrams + done, count - done, max_segment,
                            max_payload, &run);
      if (n >= 2) {
        int e = gso_send(pub->fd, &run);
        if (e == 0) {
          atomic_fetch_add_explicit(&pub->gso_calls, 1, memory_order_relaxed);
          done += n;
          bytes += run.bytes;
          continue;
        }
        if (!gso_refused(e)) {
          error = e; /* nothing of the run went out */
          break;
        }
        /* Refused: the same datagrams go out through sendmmsg below, and
         * the next runs use what was learnt. */
        gso_note_refusal(pub, &run, e);
        gso = atomic_load_explicit(&pub->gso_state, memory_order_relaxed);
        max_segment =
            atomic_load_explicit(&pub->gso_max_segment, memory_order_relaxed);
        chunk = n;
      } else {
        chunk = 1 + gso_singles(datagrams + done + 1, count - done - 1,
                                max_segment, max_payload);
      }
    }
    size_t n =
        send_chunk_mmsg(pub->fd, datagrams + done, chunk, &bytes, &error);
    done += n;
    if (error != 0)
      break;
    /* A short count without an error: the next call reports the reason
     * for datagram `done`, or sends it. A zero count without an error would
     * not progress; the kernel does not do that, but never spin on it. */
    if (n == 0) {
      error = EIO;
      break;
    }
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
