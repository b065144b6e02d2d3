/* Helpers of the raw tests: a namespace pair joined by a veth, datagram
 * builders with correct checksums, and a capture on the receiving side.
 * Receivers come from mcast-recv.h.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_RAWTEST_H
#define MCTX_RAWTEST_H

#include "ipbuild.h"
#include "mcast-recv.h"
#include "testnet.h"

#include <mctx.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Local side "rv0" (10.77.0.1/24, fd77::1/64) in the test's private
 * namespace, peer side "rv1" (10.77.0.2/24, fd77::2/64) in peer namespace
 * `peer`, which accepts packets from any source (rp_filter off, default
 * routes on rv1). Skips without privilege. */
typedef struct rawtest_pair {
  const char *peer;
  uint32_t local_index; /* rv0 */
  uint32_t peer_index;  /* rv1, inside peer */
} rawtest_pair;

void rawtest_pair_setup(rawtest_pair *pair);

/* Opens a raw publication of family with bind address and interface (text,
 * NULL: none) and TTL override (-1: none); failure fails the test. */
mctx_raw_publication *rawtest_open(mctx_family family, const char *bind,
                                   const char *itf, int ttl);

/* The builders of examples/ipbuild.h with addresses as text (a bad one
 * fails the test). */

/* UDP-in-IPv4, IHL 5: returns the datagram length. */
size_t rawtest_ipv4_udp(uint8_t *out, const char *src, const char *dst,
                        uint8_t ttl, uint16_t id, uint16_t sport,
                        uint16_t dport, const void *payload, size_t len);

/* UDP-in-IPv6; with dest_opts an 8-byte destination-options header (PadN)
 * sits between the base header and UDP. */
size_t rawtest_ipv6_udp(uint8_t *out, const char *src, const char *dst,
                        uint8_t tclass, uint32_t flow_label, uint8_t hops,
                        bool dest_opts, uint16_t sport, uint16_t dport,
                        const void *payload, size_t len);

/* An AF_PACKET socket in ns capturing everything interface ifname receives
 * (IP datagrams without the link header). */
int rawtest_capture_open(const char *ns, const char *ifname);

/* Waits up to timeout_ms for an incoming IPv4/IPv6 datagram containing
 * marker; copies it to buf and returns its length, or -1 when none came. */
int rawtest_capture_find(int fd, const char *marker, uint8_t *buf, size_t cap,
                         int timeout_ms);

/* The datagram d (len bytes, carrying marker) arrives byte for byte on
 * capture want (where names it) and not on capture other (-1: none). */
void rawtest_expect_only_on(int want, int other, const uint8_t *d, size_t len,
                            const char *marker, const char *where);

/* rawtest_open with an interface and a validation mode. */
mctx_raw_publication *rawtest_open_validated(mctx_family family,
                                             const char *itf,
                                             mctx_raw_validation mode);

/* A route-selected raw publication of family (no interface, no bind
 * address, no TTL override); failure fails the test. */
mctx_raw_publication *rawtest_open_routed(mctx_family family);

#endif
