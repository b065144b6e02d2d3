/* SPDX-License-Identifier: BSD-2-Clause */
#include "cli-recv.h"

#include "testnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#define RECV_TIMEOUT_MS 2000

void
cli_recv_expect(int fd, int count, const char *payload, const char *source,
                uint16_t port)
{
  for (int i = 0; i < count; i++) {
    char buf[2048];
    char ip[INET6_ADDRSTRLEN];
    uint16_t from_port;
    ssize_t n = mcast_recv_within(fd, buf, sizeof buf - 1, 0, ip, sizeof ip,
                                  &from_port, RECV_TIMEOUT_MS);
    TESTNET_CHECK(n >= 0,
                  "datagram %d of %d (\"%s\" from %s) did not arrive "
                  "within %d ms",
                  i + 1, count, payload, source ? source : "any source",
                  RECV_TIMEOUT_MS);
    buf[n] = '\0';
    TESTNET_CHECK((size_t) n == strlen(payload) &&
                      memcmp(buf, payload, (size_t) n) == 0,
                  "datagram %d: got \"%s\" (%zd bytes), want \"%s\"", i + 1,
                  buf, n, payload);
    TESTNET_CHECK(source == NULL || strcmp(ip, source) == 0,
                  "datagram %d came from %s, want %s", i + 1, ip, source);
    TESTNET_CHECK(port == 0 || from_port == port,
                  "datagram %d came from port %u, want %u", i + 1, from_port,
                  port);
  }
}

void
cli_recv_expect_none(int fd, int ms)
{
  char buf[2048];
  char ip[INET6_ADDRSTRLEN] = "?";
  uint16_t from_port = 0;
  ssize_t n =
      mcast_recv_within(fd, buf, sizeof buf, 0, ip, sizeof ip, &from_port, ms);
  if (n >= 0)
    testnet_fail(__FILE__, __LINE__, "no datagram",
                 "a datagram (%zd bytes) from "
                 "%s:%u arrived where none should",
                 n, ip, from_port);
}
