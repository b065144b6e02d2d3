/* Sending: one datagram, one gathered datagram, batches, the error queue.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The socket is connected and non-blocking, so a send is one system call
 * with no address and no flags. Nothing here allocates, locks or looks up
 * anything per datagram; error messages are formatted only on failure.
 */
#include "mctx-private.h"

#include <errno.h>
#include <stddef.h>
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
send_failure(mctx_publication *pub, int e, mctx_error *err)
{
  /* A caller that drops on would-block asks for no text: format none. */
  if (err == NULL)
    return is_would_block(e) ? MCTX_E_WOULD_BLOCK : MCTX_E_SEND_FAILED;
  char dest[MCTX_ENDPOINT_STRLEN];
  mctx_endpoint_format(&pub->destination, dest, sizeof dest);
  if (is_would_block(e))
    return mctx__fail(err, MCTX_E_WOULD_BLOCK, e,
                      "send to %s would block: the socket buffer is full",
                      dest);
  return mctx__fail(err, MCTX_E_SEND_FAILED, e, "send to %s failed: %s", dest,
                    strerror(e));
}

static void
record_one(mctx_publication *pub, ssize_t n, int e)
{
  if (n >= 0)
    mctx__metrics_record(&pub->metrics, 1, 1, (uint64_t) n, 0, 0);
  else
    mctx__metrics_record(&pub->metrics, 1, 0, 0, 1, is_would_block(e) ? 1 : 0);
}

static void
fill_report(mctx_publication *pub, size_t n, mctx_send_report *report)
{
  report->publication_id = pub->id;
  report->destination = pub->destination;
  /* Cached at open; asked once more only if that lookup had failed. */
  if (!pub->has_local)
    pub->has_local = mctx__socket_local(pub->fd, &pub->local, NULL) == MCTX_OK;
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
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, 0,
                      "publication and data must not be NULL");
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
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, 0,
                      "publication and buffers must not be NULL");
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
 * early without saying why: the caller simply goes on from there).
 * The batch path is built from such "send a run" steps so that a UDP GSO
 * step (runs of equal-size datagrams in one sendmsg) can sit beside it. */
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

int
mctx_publication_send_batch(mctx_publication *pub,
                            const mctx_datagram *datagrams, size_t count,
                            size_t *sent, mctx_error *err)
{
  if (sent != NULL)
    *sent = 0;
  if (pub == NULL || sent == NULL || (datagrams == NULL && count > 0))
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, 0,
                      "publication, datagrams and sent must not be NULL");

  size_t done = 0;
  uint64_t bytes = 0;
  int error = 0;
  while (done < count) {
    size_t n = send_chunk_mmsg(pub->fd, datagrams + done, count - done,
                               &bytes, &error);
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
                       failed ? 1 : 0,
                       failed && is_would_block(error) ? 1 : 0);
  *sent = done;
  if (failed)
    return send_failure(pub, error, err);
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
    struct iovec iov = { data, sizeof data };
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
