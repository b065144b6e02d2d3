/* SPDX-License-Identifier: BSD-2-Clause */
#include "wintest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
testnet_skip(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("SKIP: ", stdout);
  vprintf(fmt, ap);
  fputc('\n', stdout);
  va_end(ap);
  fflush(stdout);
  exit(TESTNET_SKIP);
}

void
testnet_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "FAIL: %s:%d: (%s) ", file, line, cond);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  fflush(stderr);
  exit(1);
}

void
wintest_start(void)
{
  WSADATA data;
  TESTNET_CHECK(WSAStartup(MAKEWORD(2, 2), &data) == 0, "WSAStartup");
}

SOCKET
wintest_receiver(const char *group, uint16_t port, uint32_t lo_index)
{
  mctx_ip ip;
  mctx_error err;
  TESTNET_CHECK(mctx_ip_parse(group, &ip, &err) == MCTX_OK, "%s", err.message);
  bool v6 = ip.family == MCTX_FAMILY_IPV6;
  SOCKET s = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  TESTNET_CHECK(s != INVALID_SOCKET, "socket: %d", WSAGetLastError());
  BOOL on = TRUE;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (const char *) &on, sizeof on);
  int rc;
  if (v6) {
    struct sockaddr_in6 any = {.sin6_family = AF_INET6,
                               .sin6_port = htons(port)};
    rc = bind(s, (struct sockaddr *) &any, sizeof any);
    TESTNET_CHECK(rc == 0, "bind [::]:%u: %d", port, WSAGetLastError());
    struct ipv6_mreq mreq;
    memset(&mreq, 0, sizeof mreq);
    memcpy(&mreq.ipv6mr_multiaddr, ip.bytes, 16);
    mreq.ipv6mr_interface = lo_index;
    rc = setsockopt(s, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, (const char *) &mreq,
                    sizeof mreq);
  } else {
    struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons(port)};
    rc = bind(s, (struct sockaddr *) &any, sizeof any);
    TESTNET_CHECK(rc == 0, "bind 0.0.0.0:%u: %d", port, WSAGetLastError());
    struct ip_mreq mreq;
    memcpy(&mreq.imr_multiaddr, ip.bytes, 4);
    mreq.imr_interface.s_addr = htonl(INADDR_LOOPBACK);
    rc = setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, (const char *) &mreq,
                    sizeof mreq);
  }
  if (rc != 0)
    testnet_skip("cannot join %s on loopback: Winsock error %d", group,
                 WSAGetLastError());
  return s;
}

int
wintest_receive(SOCKET s, void *buf, int size, int timeout_ms, char *from,
                size_t from_size)
{
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(s, &readable);
  struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  if (select(0, &readable, NULL, NULL, &tv) != 1)
    return -1;
  struct sockaddr_storage ss;
  int len = sizeof ss;
  int n = recvfrom(s, buf, size, 0, (struct sockaddr *) &ss, &len);
  TESTNET_CHECK(n >= 0, "recvfrom: %d", WSAGetLastError());
  mctx_endpoint ep;
  memset(&ep, 0, sizeof ep);
  if (ss.ss_family == AF_INET) {
    ep.ip.family = MCTX_FAMILY_IPV4;
    memcpy(ep.ip.bytes, &((struct sockaddr_in *) &ss)->sin_addr, 4);
    ep.port = ntohs(((struct sockaddr_in *) &ss)->sin_port);
  } else {
    ep.ip.family = MCTX_FAMILY_IPV6;
    memcpy(ep.ip.bytes, &((struct sockaddr_in6 *) &ss)->sin6_addr, 16);
    ep.port = ntohs(((struct sockaddr_in6 *) &ss)->sin6_port);
  }
  mctx_endpoint_format(&ep, from, from_size);
  return n;
}

void
wintest_config(mctx_publication_config *cfg, const char *group, uint16_t port,
               const char *itf)
{
  mctx_error err;
  TESTNET_CHECK(mctx_publication_config_init_group(cfg, group, port, &err) ==
                    MCTX_OK,
                "group %s: %s", group, err.message);
  TESTNET_CHECK(mctx_interface_parse(itf, &cfg->interface, &err) == MCTX_OK,
                "interface %s: %s", itf, err.message);
}
