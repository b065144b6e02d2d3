/* mctx-bench-raw: raw lists in batches against raw single sends.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Needs root: it moves itself into a fresh network namespace and makes a
 * veth pair there (rb0, rb1), so nothing leaves it. For each way a raw
 * publication can take -- IPv4 as given (IP_HDRINCL), IPv6 from a far source
 * (AF_PACKET), IPv6 from an address of this host (kernel-built header) --
 * it sends --count datagrams of --size bytes in lists of --list, once with
 * mctx_raw_publication_sendv per datagram and once with
 * mctx_raw_publication_send_batch per list, and prints one line of
 * key=value pairs per run (rate in datagrams per second).
 */
#include "ipbuild.h"

#include <mctx.h>

#include <arpa/inet.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIST_MAX 256

static double
now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct way {
  const char *name;
  mctx_family family;
  const char *source;
  const char *group;
} way;

static uint8_t storage[LIST_MAX][2048];
static mctx_buf bufs[LIST_MAX];
static mctx_datagram list[LIST_MAX];

static size_t
build(const way *w, size_t i, size_t size)
{
  static uint8_t payload[2048];
  memset(payload, 'r', sizeof payload);
  uint8_t src[16], dst[16];
  int af = w->family == MCTX_FAMILY_IPV4 ? AF_INET : AF_INET6;
  if (inet_pton(af, w->source, src) != 1 || inet_pton(af, w->group, dst) != 1)
    exit(2);
  ipbuild_udp udp = {4000, 5004, payload, 0};
  if (w->family == MCTX_FAMILY_IPV4) {
    udp.payload_len = size - 28;
    return ipbuild_udp4(storage[i], src, dst, 1, (uint16_t) (i + 1), &udp);
  }
  udp.payload_len = size - 48;
  return ipbuild_udp6(storage[i], src, dst, 0, 0, 1, false, &udp);
}

/* Sends count datagrams; returns the rate, or -1 on an error. Would-block
 * and queue-full datagrams are counted, not retried: the rate is of what
 * the kernel took. */
static double
run(mctx_raw_publication *pub, size_t count, size_t list_len, bool batch,
    unsigned long long *lost)
{
  double start = now_s();
  *lost = 0;
  for (size_t done = 0; done < count; done += list_len) {
    if (batch) {
      size_t at = 0;
      /* Bounded: each pass sends or skips at least one datagram. */
      while (at < list_len) {
        size_t sent = 0;
        mctx_error err;
        int rc = mctx_raw_publication_send_batch(pub, list + at, list_len - at,
                                                 &sent, &err);
        at += sent;
        if (rc == MCTX_OK)
          break;
        if (!mctx_error_is_transient(rc)) {
          fprintf(stderr, "batch: %s\n", err.message);
          return -1;
        }
        (*lost)++;
        at++;
      }
    } else {
      for (size_t i = 0; i < list_len; i++) {
        mctx_error err;
        int rc = mctx_raw_publication_sendv(pub, list[i].bufs, list[i].nbufs,
                                            NULL, &err);
        if (rc != MCTX_OK && !mctx_error_is_transient(rc)) {
          fprintf(stderr, "sendv: %s\n", err.message);
          return -1;
        }
        if (rc != MCTX_OK)
          (*lost)++;
      }
    }
  }
  return (double) count / (now_s() - start);
}

int
main(int argc, char **argv)
{
  size_t count = 200000, size = 1316, list_len = 32;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--count") == 0)
      count = strtoul(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--size") == 0)
      size = strtoul(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--list") == 0)
      list_len = strtoul(argv[i + 1], NULL, 10);
  }
  if (list_len == 0 || list_len > LIST_MAX || size < 64 || size > 1500 ||
      count < list_len) {
    fprintf(stderr,
            "usage: mctx-bench-raw [--count N] [--size 64..1500] "
            "[--list 1..%d]\n",
            LIST_MAX);
    return 2;
  }
  count -= count % list_len;
  if (unshare(CLONE_NEWNET) != 0) {
    perror("unshare(CLONE_NEWNET) (run as root)");
    return 77;
  }
  if (system("ip link add rb0 type veth peer name rb1 && ip link set rb0 up"
             " && ip link set rb1 up && ip addr add 10.88.0.1/24 dev rb0"
             " && ip -6 addr add fd88::1/64 dev rb0 nodad") != 0) {
    fprintf(stderr, "cannot set up the veth pair\n");
    return 1;
  }
  static const way ways[] = {
      {"ipv4-hdrincl", MCTX_FAMILY_IPV4, "198.51.100.7", "232.88.0.1"},
      {"ipv6-link-layer", MCTX_FAMILY_IPV6, "2001:db8::7", "ff3e::88:1"},
      {"ipv6-kernel-header", MCTX_FAMILY_IPV6, "fd88::1", "ff3e::88:1"},
  };
  for (size_t w = 0; w < sizeof ways / sizeof ways[0]; w++) {
    for (size_t i = 0; i < list_len; i++) {
      bufs[i] = (mctx_buf){storage[i], build(&ways[w], i, size)};
      list[i] = (mctx_datagram){&bufs[i], 1};
    }
    mctx_raw_config cfg;
    mctx_raw_config_init(&cfg);
    cfg.family = ways[w].family;
    mctx_error err;
    mctx_raw_publication *pub;
    if (mctx_interface_parse("rb0", &cfg.interface, &err) != MCTX_OK ||
        mctx_raw_publication_open(&cfg, &pub, &err) != MCTX_OK) {
      fprintf(stderr, "%s: %s\n", ways[w].name, err.message);
      return 1;
    }
    for (int batch = 0; batch <= 1; batch++) {
      unsigned long long lost;
      double rate = run(pub, count, list_len, batch, &lost);
      if (rate < 0)
        return 1;
      printf("way=%s mode=%s size=%zu list=%zu count=%zu rate=%.0f "
             "not_taken=%llu\n",
             ways[w].name, batch ? "batch" : "single", size, list_len, count,
             rate, lost);
      fflush(stdout);
    }
    mctx_raw_publication_close(pub);
  }
  return 0;
}
