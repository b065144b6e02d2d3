/* SPDX-License-Identifier: BSD-2-Clause */
#include "ipbuild.h"

#include <string.h>

#define IPPROTO_UDP_NUMBER 17
#define IPV6_DEST_OPTS_NUMBER 60

/* The Internet checksum (RFC 1071): a ones' complement sum of 16-bit words,
 * accumulated by sum16 and finished by fold. */
static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += (uint32_t) ((p[i] << 8) | p[i + 1]);
  if (len & 1)
    sum += (uint32_t) (p[len - 1] << 8);
  return sum;
}

static uint16_t
fold(uint32_t sum)
{
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t) ~sum;
}

static void
put16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) (v >> 8);
  p[1] = (uint8_t) v;
}

uint16_t
ipbuild_ipv4_header_checksum(const uint8_t *header, size_t len)
{
  uint32_t sum = sum16(0, header, 10);
  return fold(sum16(sum, header + 12, len - 12));
}

/* Writes the UDP header and payload at out, with the checksum over them and
 * the pseudo-header sum already taken. A computed 0 is sent as 0xffff (0
 * means "no checksum"). */
static size_t
put_udp(uint8_t *out, const ipbuild_udp *udp, uint32_t pseudo_sum)
{
  size_t udp_len = IPBUILD_UDP_HEADER + udp->payload_len;
  put16(out, udp->source_port);
  put16(out + 2, udp->dest_port);
  put16(out + 4, (uint16_t) udp_len);
  put16(out + 6, 0);
  memcpy(out + IPBUILD_UDP_HEADER, udp->payload, udp->payload_len);
  uint16_t check = fold(sum16(pseudo_sum, out, udp_len));
  put16(out + 6, check ? check : 0xffff);
  return udp_len;
}

size_t
ipbuild_udp4(uint8_t *out, const uint8_t src[4], const uint8_t dst[4],
             uint8_t ttl, uint16_t id, const ipbuild_udp *udp)
{
  size_t udp_len = IPBUILD_UDP_HEADER + udp->payload_len;
  memset(out, 0, IPBUILD_IPV4_HEADER);
  out[0] = 0x45; /* version 4, 5 words of header */
  put16(out + 2, (uint16_t) (IPBUILD_IPV4_HEADER + udp_len));
  put16(out + 4, id);
  out[8] = ttl;
  out[9] = IPPROTO_UDP_NUMBER;
  memcpy(out + 12, src, 4);
  memcpy(out + 16, dst, 4);
  put16(out + 10, ipbuild_ipv4_header_checksum(out, IPBUILD_IPV4_HEADER));

  /* Pseudo-header: addresses, zero, protocol, UDP length. */
  uint8_t tail[4] = {0, IPPROTO_UDP_NUMBER, 0, 0};
  put16(tail + 2, (uint16_t) udp_len);
  uint32_t pseudo = sum16(sum16(0, out + 12, 8), tail, sizeof tail);
  return IPBUILD_IPV4_HEADER + put_udp(out + IPBUILD_IPV4_HEADER, udp, pseudo);
}

size_t
ipbuild_udp6(uint8_t *out, const uint8_t src[16], const uint8_t dst[16],
             uint8_t tclass, uint32_t flow_label, uint8_t hop_limit,
             bool dest_opts, const ipbuild_udp *udp)
{
  size_t ext = dest_opts ? IPBUILD_IPV6_DEST_OPTS : 0;
  size_t udp_len = IPBUILD_UDP_HEADER + udp->payload_len;
  memset(out, 0, IPBUILD_IPV6_HEADER + ext);
  uint32_t first =
      (6u << 28) | ((uint32_t) tclass << 20) | (flow_label & 0xfffff);
  put16(out, (uint16_t) (first >> 16));
  put16(out + 2, (uint16_t) first);
  put16(out + 4, (uint16_t) (ext + udp_len));
  out[6] = dest_opts ? IPV6_DEST_OPTS_NUMBER : IPPROTO_UDP_NUMBER;
  out[7] = hop_limit;
  memcpy(out + 8, src, 16);
  memcpy(out + 24, dst, 16);
  if (dest_opts) {
    uint8_t *opts = out + IPBUILD_IPV6_HEADER;
    opts[0] = IPPROTO_UDP_NUMBER; /* next header */
    opts[1] = 0;                  /* length: 8 bytes */
    opts[2] = 1;                  /* PadN */
    opts[3] = 4;                  /* of 4 bytes */
  }

  /* Pseudo-header: addresses, 32-bit UDP length, zeros, next header. */
  uint8_t tail[8] = {0};
  put16(tail + 2, (uint16_t) udp_len);
  tail[7] = IPPROTO_UDP_NUMBER;
  uint32_t pseudo = sum16(sum16(0, out + 8, 32), tail, sizeof tail);
  return IPBUILD_IPV6_HEADER + ext +
         put_udp(out + IPBUILD_IPV6_HEADER + ext, udp, pseudo);
}

size_t
ipbuild_icmp4_frag_needed(uint8_t *out, const uint8_t src[4],
                          const uint8_t dst[4], uint16_t id, uint16_t mtu,
                          const uint8_t *invoking, size_t inv_len)
{
  size_t icmp_len = 8 + inv_len, len = 20 + icmp_len;
  memset(out, 0, 28);
  out[0] = 0x45;
  put16(out + 2, (uint16_t) len);
  put16(out + 4, id);
  out[8] = 64;
  out[9] = 1; /* ICMP */
  memcpy(out + 12, src, 4);
  memcpy(out + 16, dst, 4);
  put16(out + 10, ipbuild_ipv4_header_checksum(out, 20));
  uint8_t *icmp = out + 20;
  icmp[0] = 3;
  icmp[1] = 4;
  put16(icmp + 6, mtu);
  memcpy(icmp + 8, invoking, inv_len);
  put16(icmp + 2, fold(sum16(0, icmp, icmp_len)));
  return len;
}

size_t
ipbuild_icmp6_packet_too_big(uint8_t *out, const uint8_t src[16],
                             const uint8_t dst[16], uint32_t mtu,
                             const uint8_t *invoking, size_t inv_len)
{
  size_t icmp_len = 8 + inv_len;
  memset(out, 0, 48);
  out[0] = 0x60;
  put16(out + 4, (uint16_t) icmp_len);
  out[6] = 58; /* ICMPv6 */
  out[7] = 64;
  memcpy(out + 8, src, 16);
  memcpy(out + 24, dst, 16);
  uint8_t *icmp = out + 40;
  icmp[0] = 2;
  put16(icmp + 4, (uint16_t) (mtu >> 16));
  put16(icmp + 6, (uint16_t) mtu);
  memcpy(icmp + 8, invoking, inv_len);
  uint8_t pseudo_tail[8] = {
      0, 0, (uint8_t) (icmp_len >> 8), (uint8_t) icmp_len, 0, 0, 0, 58};
  uint32_t sum = sum16(0, out + 8, 32);
  sum = sum16(sum, pseudo_tail, sizeof pseudo_tail);
  put16(icmp + 2, fold(sum16(sum, icmp, icmp_len)));
  return 40 + icmp_len;
}
