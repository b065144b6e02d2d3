/* Real receivers for the mctx-send tests: a bound UDP socket joined to the
 * group, and a check of what arrived.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_CLI_RECV_H
#define MCTX_CLI_RECV_H

#include <stdint.h>

/* Binds fd (AF_INET or AF_INET6 UDP, made by the caller, possibly inside a
 * peer namespace) to the wildcard address and port, with SO_REUSEADDR so
 * several receivers can share the port. */
void cli_recv_bind (int fd, int family, uint16_t port);

/* Any-source join of an IPv4 group on the interface with this index. */
void cli_recv_join_v4 (int fd, const char *group, uint32_t ifindex);
/* Source-specific join (IP_ADD_SOURCE_MEMBERSHIP) of (source, group) on the
 * interface whose local address is iface_addr. */
void cli_recv_join_ssm_v4 (int fd, const char *group, const char *source,
                           const char *iface_addr);
/* Any-source join of an IPv6 group (IPV6_JOIN_GROUP). */
void cli_recv_join_v6 (int fd, const char *group, uint32_t ifindex);
/* Source-specific join (MCAST_JOIN_SOURCE_GROUP) of an IPv6 (source, group). */
void cli_recv_join_ssm_v6 (int fd, const char *group, const char *source,
                           uint32_t ifindex);

/* Receives `count` datagrams within 2 s each and checks each one's payload
 * and the sender's address (unless source is NULL) and port (unless port is
 * 0). Fails the test
 * with what arrived otherwise. */
void cli_recv_expect (int fd, int count, const char *payload, const char *source,
                      uint16_t port);

/* Fails the test if any datagram arrives within ms. */
void cli_recv_expect_none (int fd, int ms);

#endif
