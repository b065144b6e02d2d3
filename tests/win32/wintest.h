/* What the Windows tests (run under wine) share: testnet.h's checks and
 * skips without its Linux namespaces, a Winsock receiver on loopback, and
 * libmctx helpers. (testnet.h's printf checks are msvcrt's under mingw:
 * no %zu in messages.)
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Network rule: these tests send only to multicast groups with the
 * outgoing interface set to loopback (127.0.0.1 / lo). scripts/test-wine.sh
 * runs them inside a private network namespace when it can.
 */
#ifndef MCTX_TEST_WINTEST_H
#define MCTX_TEST_WINTEST_H

#include "mctx.h"
#include "testnet.h"

#include <winsock2.h>
#include <ws2tcpip.h>
/* objbase.h's COM keyword; libmctx's configs have a field of that name. */
#undef interface

/* WSAStartup for the test's own sockets; fails the test otherwise. */
void wintest_start(void);

/* A UDP socket bound to the group's port and joined to the group on
 * loopback (IPv4: 127.0.0.1; IPv6: interface index lo_index); skips the
 * test with the reason when wine or the system refuses. */
SOCKET wintest_receiver(const char *group, uint16_t port, uint32_t lo_index);

/* Receives one datagram within timeout_ms into buf; returns its length,
 * or -1 on timeout. from gets the sender's address text. */
int wintest_receive(SOCKET s, void *buf, int size, int timeout_ms, char *from,
                    size_t from_size);

/* A config for group:port sent out of interface itf ("127.0.0.1", "lo"). */
void wintest_config(mctx_publication_config *cfg, const char *group,
                    uint16_t port, const char *itf);

#endif
