/* Building UDP-in-IP datagrams by hand, as a raw publication takes them:
 * the IP header (IPv4 with its header checksum, or IPv6), the UDP header and
 * the UDP checksum over the pseudo-header. Shared by mctx-raw-send and the
 * raw tests.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_EXAMPLES_IPBUILD_H
#define MCTX_EXAMPLES_IPBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPBUILD_IPV4_HEADER 20
#define IPBUILD_IPV6_HEADER 40
#define IPBUILD_UDP_HEADER 8
/* The IPv6 destination-options header ipbuild_udp6 can add (PadN only). */
#define IPBUILD_IPV6_DEST_OPTS 8

/* The UDP ports and payload of a datagram. */
typedef struct ipbuild_udp {
  uint16_t source_port;
  uint16_t dest_port;
  const void *payload;
  size_t payload_len;
} ipbuild_udp;

/* Writes UDP-in-IPv4 (IHL 5, no options, don't-fragment clear) from src to
 * dst (network order, 4 bytes each) into out; returns the datagram length,
 * IPBUILD_IPV4_HEADER + IPBUILD_UDP_HEADER + payload_len. */
size_t ipbuild_udp4(uint8_t *out, const uint8_t src[4], const uint8_t dst[4],
                    uint8_t ttl, uint16_t id, const ipbuild_udp *udp);

/* Writes UDP-in-IPv6 from src to dst (16 bytes each) into out; with dest_opts
 * an 8-byte destination-options header (PadN) sits between the base header
 * and UDP. Returns the datagram length. */
size_t ipbuild_udp6(uint8_t *out, const uint8_t src[16], const uint8_t dst[16],
                    uint8_t tclass, uint32_t flow_label, uint8_t hop_limit,
                    bool dest_opts, const ipbuild_udp *udp);

/* IPv4 from src to dst (ttl 64, the given id) carrying an ICMP
 * destination-unreachable / fragmentation-needed (type 3 code 4) with
 * next-hop MTU mtu, quoting invoking whole; both checksums right. Returns
 * the datagram length, 28 + inv_len. */
size_t ipbuild_icmp4_frag_needed(uint8_t *out, const uint8_t src[4],
                                 const uint8_t dst[4], uint16_t id,
                                 uint16_t mtu, const uint8_t *invoking,
                                 size_t inv_len);

/* IPv6 from src to dst (hop limit 64) carrying an ICMPv6 packet-too-big
 * with mtu, quoting invoking whole; checksum over the pseudo-header.
 * Returns the datagram length, 48 + inv_len. */
size_t ipbuild_icmp6_packet_too_big(uint8_t *out, const uint8_t src[16],
                                    const uint8_t dst[16], uint32_t mtu,
                                    const uint8_t *invoking, size_t inv_len);

/* The checksum an IPv4 header of len bytes should carry (its own checksum
 * field taken as zero). */
uint16_t ipbuild_ipv4_header_checksum(const uint8_t *header, size_t len);

#endif
