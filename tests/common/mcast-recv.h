/* Multicast receivers for the tests: a bound UDP socket, the four kinds of
 * join (any-source and source-specific, IPv4 and IPv6), and reads bounded by
 * a poll timeout. Every setup step that fails fails the test (TESTNET_CHECK).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_MCAST_RECV_H
#define MCTX_MCAST_RECV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Sets SO_REUSEADDR (several receivers may share the port; IPv6 ones are
 * IPv6-only) on fd, an AF_INET or AF_INET6 UDP socket made by the caller
 * (possibly inside a peer namespace), and binds it to bind_addr (NULL: the
 * wildcard address) and port. */
void mcast_recv_bind(int fd, int family, const char *bind_addr, uint16_t port);

/* A UDP socket made in ns (NULL: the current namespace) and bound as by
 * mcast_recv_bind. */
int mcast_recv_socket(const char *ns, int family, const char *bind_addr,
                      uint16_t port);

/* Any-source join of an IPv4 group on the interface with this index. */
void mcast_join_v4(int fd, const char *group, uint32_t ifindex);
/* Source-specific join (IP_ADD_SOURCE_MEMBERSHIP) of (source, group) on the
 * interface whose local address is iface_addr. */
void mcast_join_ssm_v4(int fd, const char *group, const char *source,
                       const char *iface_addr);
/* Any-source join of an IPv6 group (IPV6_JOIN_GROUP). */
void mcast_join_v6(int fd, const char *group, uint32_t ifindex);
/* Source-specific join (MCAST_JOIN_SOURCE_GROUP) of an IPv6 (source, group). */
void mcast_join_ssm_v6(int fd, const char *group, const char *source,
                       uint32_t ifindex);

/* A receiver as a user would set one up: a UDP socket in ns (NULL: here)
 * bound to the wildcard address and port, joined to group (IPv4 or IPv6, by
 * its text) on the interface with index ifindex; with source given, a
 * source-specific join of (source, group) instead, for which an IPv4
 * interface is named by its address iface_addr. */
int mcast_receiver(const char *ns, const char *group, uint16_t port,
                   uint32_t ifindex, const char *iface_addr,
                   const char *source);

/* The sender's address as text and its port. */
void mcast_format_sender(const struct sockaddr_storage *ss, char *ip,
                         size_t ip_size, uint16_t *port);

/* Waits up to timeout_ms for one datagram and receives it (recvfrom with
 * flags | MSG_DONTWAIT; an error fails the test). Returns its length (the
 * whole length with MSG_TRUNC), or -1 when nothing came; with from not NULL
 * the sender's address and, with from_port not NULL, its port are set. */
ssize_t mcast_recv_within(int fd, void *buf, size_t cap, int flags, char *from,
                          size_t from_size, uint16_t *from_port,
                          int timeout_ms);

#endif
