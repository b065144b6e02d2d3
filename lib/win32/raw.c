/* Raw publications on Windows: IPv4 with IP_HDRINCL, as mctx-core does.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The datagram leaves as given (Windows fills a zero source and
 * identification, and the checksum), bound to the egress address and sent
 * to the group with WSASendTo. Raw sockets need an administrator.
 * IPv6 is refused at open: a Windows raw IPv6 socket has no IPV6_HDRINCL,
 * so a complete IPv6 datagram cannot go out as given, and there is no
 * AF_PACKET for the link-layer way either.
 */
#include "win32/winsock.h"

#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Buffers of one datagram plus a patched header in front. */
#define RAW_MAX_BUFFERS 1023

struct mctx_raw_publication {
  mctx_raw_config config;
  uint32_t ifindex;
  mctx_ip egress;
  SOCKET socket;
  mctx_metrics_cell metrics;
  WSABUF wsabufs[RAW_MAX_BUFFERS + 1];
};

static int
socket_failed(const char *what, mctx_error *err)
{
  char text[128];
  int e = mctx__win32_last_error(text, sizeof text);
  if (e == EACCES)
    return mctx__fail(err, MCTX_E_RAW_PERMISSION_DENIED, MCTX_SUBJECT_SOCKET, e,
                      "cannot open %s: raw sockets need an administrator",
                      what);
  return mctx__fail(err, MCTX_E_SOCKET_CREATE_FAILED, MCTX_SUBJECT_SOCKET, e,
                    "cannot open %s: %s", what, text);
}

static int
set_option(SOCKET s, int level, int name, DWORD value, const char *label,
           mctx_subject subject, mctx_error *err)
{
  if (setsockopt(s, level, name, (const char *) &value, sizeof value) == 0)
    return MCTX_OK;
  char text[128];
  int e = mctx__win32_last_error(text, sizeof text);
  return mctx__fail(err, MCTX_E_SOCKET_OPTION_FAILED, subject, e,
                    "cannot set %s to %lu on a raw socket: %s", label,
                    (unsigned long) value, text);
}

static int
open_ipv4(mctx_raw_publication *pub, mctx_error *err)
{
  pub->socket = WSASocketW(AF_INET, SOCK_RAW, IPPROTO_RAW, NULL, 0,
                           WSA_FLAG_NO_HANDLE_INHERIT);
  if (pub->socket == INVALID_SOCKET)
    return socket_failed("a raw IPv4 socket", err);
  u_long on = 1;
  if (ioctlsocket(pub->socket, FIONBIO, &on) != 0)
    return socket_failed("a non-blocking raw IPv4 socket", err);
  int rc = set_option(pub->socket, IPPROTO_IP, IP_HDRINCL, 1, "IP_HDRINCL",
                      MCTX_SUBJECT_SOCKET, err);
  if (rc != MCTX_OK)
    return rc;

  struct sockaddr_in local;
  memset(&local, 0, sizeof local);
  local.sin_family = AF_INET;
  memcpy(&local.sin_addr, pub->egress.bytes, 4);
  if (bind(pub->socket, (struct sockaddr *) &local, sizeof local) != 0) {
    char addr[MCTX_IP_STRLEN], text[128];
    int e = mctx__win32_last_error(text, sizeof text);
    return mctx__fail(err, MCTX_E_SOCKET_BIND_FAILED,
                      MCTX_SUBJECT_SOURCE_ADDRESS, e,
                      "cannot bind the raw IPv4 socket to %s: %s",
                      mctx__ip_text(&pub->egress, addr), text);
  }
  DWORD itf;
  memcpy(&itf, pub->egress.bytes, 4);
  rc = set_option(pub->socket, IPPROTO_IP, IP_MULTICAST_IF, itf,
                  "IP_MULTICAST_IF", MCTX_SUBJECT_INTERFACE, err);
  if (rc == MCTX_OK)
    rc = set_option(pub->socket, IPPROTO_IP, IP_MULTICAST_LOOP,
                    pub->config.loopback ? 1 : 0, "IP_MULTICAST_LOOP",
                    MCTX_SUBJECT_LOOPBACK, err);
  return rc;
}

int
mctx_raw_publication_open(const mctx_raw_config *cfg,
                          mctx_raw_publication **out, mctx_error *err)
{
  if (out == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no place for the raw publication given");
  *out = NULL;
  int rc = mctx_raw_config_validate(cfg, err);
  if (rc != MCTX_OK)
    return rc;
  if (cfg->egress == MCTX_RAW_EGRESS_ROUTE_SELECTED)
    return mctx__fail(err, MCTX_E_RAW_UNSUPPORTED, MCTX_SUBJECT_ARGUMENT, 0,
                      "route-selected raw egress is not implemented on "
                      "Windows; give an interface or a bind address");
  if (mctx__raw_family(cfg) == MCTX_FAMILY_IPV6)
    return mctx__fail(err, MCTX_E_RAW_UNSUPPORTED, MCTX_SUBJECT_FAMILY, 0,
                      "raw IPv6 is not supported on Windows: its raw IPv6 "
                      "sockets have no IPV6_HDRINCL and it has no AF_PACKET, "
                      "so a complete IPv6 datagram cannot be sent as given");

  mctx_raw_publication *pub = calloc(1, sizeof *pub);
  if (pub == NULL)
    return mctx__fail(err, MCTX_E_NO_MEMORY, MCTX_SUBJECT_NONE, ENOMEM,
                      "no memory for a raw publication");
  pub->config = *cfg;
  pub->socket = INVALID_SOCKET;
  mctx__metrics_cell_init(&pub->metrics);
  rc = mctx__platform_acquire(err);
  if (rc != MCTX_OK) {
    free(pub);
    return rc;
  }
  rc = mctx__raw_egress(&pub->config, &pub->ifindex, &pub->egress, err);
  if (rc == MCTX_OK)
    rc = open_ipv4(pub, err);
  if (rc != MCTX_OK) {
    mctx_raw_publication_close(pub);
    return rc;
  }
  *out = pub;
  return mctx__ok(err);
}

void
mctx_raw_publication_close(mctx_raw_publication *pub)
{
  if (pub == NULL)
    return;
  if (pub->socket != INVALID_SOCKET)
    closesocket(pub->socket);
  mctx__platform_release();
  free(pub);
}

const mctx_raw_config *
mctx_raw_publication_get_config(const mctx_raw_publication *pub)
{
  return pub ? &pub->config : NULL;
}

void
mctx_raw_publication_metrics_snapshot(const mctx_raw_publication *pub,
                                      mctx_metrics *out)
{
  mctx__metrics_read(pub != NULL ? &pub->metrics : NULL, out);
}

static void
ipv4_fix_checksum(uint8_t *header, size_t header_len)
{
  header[10] = header[11] = 0;
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < header_len; i += 2)
    sum += (uint32_t) ((header[i] << 8) | header[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  uint16_t check = (uint16_t) ~sum;
  header[10] = (uint8_t) (check >> 8);
  header[11] = (uint8_t) check;
}

/* The datagram as WSABUFs, its first header_len bytes replaced by header
 * when it is not NULL. Returns how many. */
static DWORD
cut_buffers(mctx_raw_publication *pub, const mctx_buf *bufs, size_t nbufs,
            uint8_t *header, size_t header_len)
{
  DWORD n = 0;
  size_t skip = 0;
  if (header != NULL) {
    pub->wsabufs[n].buf = (char *) header;
    pub->wsabufs[n++].len = (ULONG) header_len;
    skip = header_len;
  }
  for (size_t i = 0; i < nbufs; i++) {
    if (skip >= bufs[i].len) {
      skip -= bufs[i].len;
      continue;
    }
    pub->wsabufs[n].buf = (char *) bufs[i].base + skip;
    pub->wsabufs[n++].len = (ULONG) (bufs[i].len - skip);
    skip = 0;
  }
  return n;
}

int
mctx_raw_publication_sendv(mctx_raw_publication *pub, const mctx_buf *bufs,
                           size_t nbufs, mctx_raw_send_report *report,
                           mctx_error *err)
{
  if (pub == NULL || (bufs == NULL && nbufs != 0))
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no raw publication or datagram given");
  if (nbufs > RAW_MAX_BUFFERS)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "raw datagram in %u buffers; at most %d can be sent "
                      "at once",
                      (unsigned) nbufs, RAW_MAX_BUFFERS);
  /* The checks read the head; gathered when the first buffer is short. */
  uint8_t head[MCTX__RAW_HEAD_MAX];
  size_t len = 0, have = 0;
  for (size_t i = 0; i < nbufs; i++) {
    size_t n = bufs[i].len;
    if (have < sizeof head) {
      size_t take = n < sizeof head - have ? n : sizeof head - have;
      memcpy(head + have, bufs[i].base, take);
      have += take;
    }
    len += n;
  }
  mctx_raw_datagram_info info;
  int rc = mctx__raw_datagram_check_head(head, len, pub->config.validation,
                                         &info, err);
  if (rc == MCTX_OK && info.family != MCTX_FAMILY_IPV4)
    rc = mctx__fail(err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM, 0,
                    "IPv6 datagram given to an IPv4 raw publication");
  if (rc == MCTX_OK && len > ULONG_MAX)
    rc = mctx__fail(err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM, 0,
                    "raw datagram larger than 4 GiB");
  if (rc == MCTX_OK) {
    uint8_t *patched = NULL;
    if (pub->config.ttl >= 0 && head[8] != pub->config.ttl) {
      head[8] = (uint8_t) pub->config.ttl;
      ipv4_fix_checksum(head, info.header_len);
      patched = head;
    }
    DWORD n = cut_buffers(pub, bufs, nbufs, patched, info.header_len);
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    memcpy(&to.sin_addr, info.destination.bytes, 4);
    DWORD sent = 0;
    if (WSASendTo(pub->socket, pub->wsabufs, n, &sent, 0,
                  (struct sockaddr *) &to, sizeof to, NULL, NULL) != 0) {
      char text[128], dst[MCTX_IP_STRLEN];
      int e = mctx__win32_last_error(text, sizeof text);
      rc = mctx__send_transient(err, e);
      if (rc == MCTX_OK)
        rc = mctx__fail(
            err, MCTX_E_SEND_FAILED,
            e == EMSGSIZE ? MCTX_SUBJECT_DATAGRAM : MCTX_SUBJECT_SOCKET, e,
            "cannot send a raw IPv4 datagram of %u bytes to %s: "
            "%s",
            (unsigned) len, mctx__ip_text(&info.destination, dst), text);
    }
  }
  if (rc != MCTX_OK) {
    mctx__metrics_record(&pub->metrics, 1, 0, 0, 1,
                         rc == MCTX_E_WOULD_BLOCK ? 1 : 0);
    return rc;
  }
  mctx__metrics_record(&pub->metrics, 1, 1, len, 0, 0);
  if (report != NULL) {
    report->datagram = info;
    report->path = MCTX_RAW_PATH_IPV4_HDRINCL;
    report->interface_index = pub->ifindex;
    report->bytes_sent = len;
  }
  return mctx__ok(err);
}

int
mctx_raw_publication_send(mctx_raw_publication *pub, const void *datagram,
                          size_t len, mctx_raw_send_report *report,
                          mctx_error *err)
{
  mctx_buf buf = {(void *) datagram, len};
  return mctx_raw_publication_sendv(pub, &buf, 1, report, err);
}

/* The socket open_ipv4 opens, opened and closed again; raw IPv6 is never
 * possible here (see mctx_raw_publication_open). */
int
mctx_raw_capabilities_probe(mctx_raw_capabilities *out, mctx_error *err)
{
  if (out == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no place for the raw capabilities given");
  memset(out, 0, sizeof *out);
  int rc = mctx__platform_acquire(err);
  if (rc != MCTX_OK)
    return rc;
  SOCKET s = WSASocketW(AF_INET, SOCK_RAW, IPPROTO_RAW, NULL, 0,
                        WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) {
    out->ipv4_errno = mctx__win32_errno(WSAGetLastError());
  } else {
    closesocket(s);
    out->ipv4 = MCTX_RAW_CAPABILITY_FULL_DATAGRAM;
  }
  mctx__platform_release();
  return mctx__ok(err);
}

/* Windows has no sendmmsg: one WSASendTo per datagram, same contract. */
int
mctx_raw_publication_send_batch(mctx_raw_publication *pub,
                                const mctx_datagram *datagrams, size_t count,
                                size_t *sent, mctx_error *err)
{
  size_t done = 0;
  int rc = MCTX_OK;
  if (pub == NULL || (datagrams == NULL && count != 0))
    rc = mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                    "no raw publication or datagrams given");
  while (rc == MCTX_OK && done < count) {
    rc = mctx_raw_publication_sendv(pub, datagrams[done].bufs,
                                    datagrams[done].nbufs, NULL, err);
    if (rc == MCTX_OK)
      done++;
  }
  if (sent != NULL)
    *sent = done;
  return rc;
}
