/* Sends on Windows: send, WSASend with gathered buffers, batches as a loop.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Windows has no sendmmsg and no UDP GSO of Linux's kind (USO with
 * UDP_SEND_MSG_SIZE exists from Windows 10 2004 but wine lacks it, so it
 * is not probed: the batch path is one WSASend per datagram, config.gso
 * has no effect). The socket is connected, so no address goes with a send.
 */
#include "win32/winsock.h"

#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>

/* Buffers of one gathered send, as WSABUFs on the stack (mctx_buf has
 * iovec's layout, not WSABUF's). Linux's IOV_MAX. */
#define GATHER_MAX 1024

static bool
is_would_block(int e)
{
  return e == EWOULDBLOCK;
}

static int
send_failure(mctx_publication *pub, int e, const char *text, mctx_error *err)
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
                    e, "send to %s failed: %s", dest, text);
}

/* One datagram of nbufs buffers with one WSASend. Returns the bytes sent,
 * or -1 with *e (errno value) and text filled. */
static long long
send_gathered(int fd, const mctx_buf *bufs, size_t nbufs, int *e, char *text,
              size_t size)
{
  WSABUF wsabufs[GATHER_MAX];
  if (nbufs > GATHER_MAX) {
    *e = EMSGSIZE;
    snprintf(text, size, "more than %d buffers", GATHER_MAX);
    return -1;
  }
  for (size_t i = 0; i < nbufs; i++) {
    if (bufs[i].len > ULONG_MAX) {
      *e = EMSGSIZE;
      snprintf(text, size, "buffer larger than 4 GiB");
      return -1;
    }
    wsabufs[i].buf = bufs[i].base;
    wsabufs[i].len = (ULONG) bufs[i].len;
  }
  DWORD sent = 0;
  if (WSASend(MCTX__SOCKET(fd), wsabufs, (DWORD) nbufs, &sent, 0, NULL, NULL) !=
      0) {
    *e = mctx__win32_last_error(text, size);
    return -1;
  }
  return (long long) sent;
}

static int
finish_one(mctx_publication *pub, long long n, int e, const char *text,
           mctx_send_report *report, mctx_error *err)
{
  if (n >= 0)
    mctx__metrics_record(&pub->metrics, 1, 1, (uint64_t) n, 0, 0);
  else
    mctx__metrics_record(&pub->metrics, 1, 0, 0, 1, is_would_block(e) ? 1 : 0);
  if (n < 0)
    return send_failure(pub, e, text, err);
  if (report != NULL) {
    report->publication_id = pub->id;
    report->destination = pub->destination;
    if (pub->has_local)
      report->local = pub->local;
    else
      memset(&report->local, 0, sizeof report->local);
    report->bytes_sent = (size_t) n;
  }
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
  char text[128] = "";
  int e = 0;
  long long n;
  if (len > INT_MAX) {
    n = -1;
    e = EMSGSIZE;
    snprintf(text, sizeof text, "datagram larger than 2 GiB");
  } else {
    n = send(MCTX__SOCKET(pub->fd), data, (int) len, 0);
    if (n < 0)
      e = mctx__win32_last_error(text, sizeof text);
  }
  return finish_one(pub, n, e, text, report, err);
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
  char text[128] = "";
  int e = 0;
  long long n = send_gathered(pub->fd, bufs, nbufs, &e, text, sizeof text);
  return finish_one(pub, n, e, text, report, err);
}

/* A batch is a loop: Windows has no sendmmsg and no GSO. */
int
mctx__send_batch_now(mctx_publication *pub, const mctx_datagram *datagrams,
                     size_t count, bool paced, size_t *sent, mctx_error *err)
{
  (void) paced; /* no GSO here: every cut is datagrams of their own */
  size_t done = 0;
  uint64_t bytes = 0;
  int error = 0;
  char text[128] = "";
  for (; done < count; done++) {
    long long n =
        send_gathered(pub->fd, datagrams[done].bufs, datagrams[done].nbufs,
                      &error, text, sizeof text);
    if (n < 0)
      break;
    bytes += (uint64_t) n;
  }
  bool failed = done < count;
  mctx__metrics_record(&pub->metrics, done + (failed ? 1 : 0), done, bytes,
                       failed ? 1 : 0, failed && is_would_block(error) ? 1 : 0);
  *sent = done;
  if (failed)
    return send_failure(pub, error, text, err);
  return mctx__ok(err);
}

/* Windows has no error queue (no IP_RECVERR): nothing to drain. */
int
mctx_publication_drain_errors(mctx_publication *pub)
{
  (void) pub;
  return 0;
}
