/* Checks of what the mctx-send tests' receivers got. The receivers
 * themselves come from mcast-recv.h.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_CLI_RECV_H
#define MCTX_CLI_RECV_H

#include "mcast-recv.h"

#include <stdint.h>

/* Receives `count` datagrams within 2 s each and checks each one's payload
 * and the sender's address (unless source is NULL) and port (unless port is
 * 0). Fails the test
 * with what arrived otherwise. */
void cli_recv_expect(int fd, int count, const char *payload, const char *source,
                     uint16_t port);

/* Fails the test if any datagram arrives within ms. */
void cli_recv_expect_none(int fd, int ms);

#endif
