/* mctx-bench-bare: the kernel's limit for one sending thread, without
 * GStreamer or libmctx in the way.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 *   --mode send  one send() per datagram on a connected socket
 *   --mode gso   one sendmsg() per run of datagrams with a UDP_SEGMENT control
 *                message (up to 128 segments and 65507 bytes per call)
 *
 * Every datagram carries a sequence number (payload.h) for the receiver.
 * Runs for --warmup + --duration seconds (or until --max-count datagrams),
 * prints one line of key=value pairs; the rate is that of the window after
 * the warm-up.
 */
#include "payload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#  define UDP_SEGMENT 103
#endif

#define GSO_MAX_SEGMENTS 128 /* UDP_MAX_SEGMENTS in the kernel */

typedef struct options {
  const char *mode;
  const char *group;
  const char *iface;
  unsigned port;
  size_t size;
  double duration;
  double warmup;
  uint64_t max_count;
  unsigned max_segments;
} options;

static void
usage(void)
{
  fprintf(stderr,
          "usage: mctx-bench-bare --mode send|gso --group ADDR --port N "
          "--iface NAME\n"
          "                       --size BYTES [--duration S] [--warmup S]\n"
          "                       [--max-count N] [--segments N]\n");
  exit(2);
}

static void
parse_options(int argc, char **argv, options *o)
{
  static const struct option longopts[] = {
      {"mode", required_argument, NULL, 'm'},
      {"group", required_argument, NULL, 'g'},
      {"port", required_argument, NULL, 'p'},
      {"iface", required_argument, NULL, 'i'},
      {"size", required_argument, NULL, 's'},
      {"duration", required_argument, NULL, 'd'},
      {"warmup", required_argument, NULL, 'w'},
      {"max-count", required_argument, NULL, 'c'},
      {"segments", required_argument, NULL, 'S'},
      {NULL, 0, NULL, 0},
  };
  *o = (options){.duration = 1.0,
                 .warmup = 0.1,
                 .max_count = 1000000000ULL,
                 .max_segments = GSO_MAX_SEGMENTS};
  int c;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
      case 'm':
        o->mode = optarg;
        break;
      case 'g':
        o->group = optarg;
        break;
      case 'p':
        o->port = (unsigned) strtoul(optarg, NULL, 10);
        break;
      case 'i':
        o->iface = optarg;
        break;
      case 's':
        o->size = strtoul(optarg, NULL, 10);
        break;
      case 'd':
        o->duration = strtod(optarg, NULL);
        break;
      case 'w':
        o->warmup = strtod(optarg, NULL);
        break;
      case 'c':
        o->max_count = strtoull(optarg, NULL, 10);
        break;
      case 'S':
        o->max_segments = (unsigned) strtoul(optarg, NULL, 10);
        break;
      default:
        usage();
    }
  }
  if (!o->mode || !o->group || !o->iface || o->port == 0 || o->port > 65535)
    usage();
  if (strcmp(o->mode, "send") != 0 && strcmp(o->mode, "gso") != 0) {
    fprintf(stderr, "mode '%s' is neither send nor gso\n", o->mode);
    exit(2);
  }
  if (o->size < BENCH_MIN_SIZE || o->size > BENCH_MAX_SIZE) {
    fprintf(stderr, "size %zu is outside %d..%d\n", o->size, BENCH_MIN_SIZE,
            BENCH_MAX_SIZE);
    exit(2);
  }
  if (o->duration <= 0 || o->duration > 600 || o->warmup < 0 ||
      o->warmup > 60) {
    fprintf(stderr, "duration must be in (0, 600] s, warmup in [0, 60] s\n");
    exit(2);
  }
  if (o->max_segments < 1 || o->max_segments > GSO_MAX_SEGMENTS) {
    fprintf(stderr, "segments %u is outside 1..%d\n", o->max_segments,
            GSO_MAX_SEGMENTS);
    exit(2);
  }
}

/* A connected UDP socket whose multicast goes out of iface. */
static int
open_socket(const options *o)
{
  unsigned ifindex = if_nametoindex(o->iface);
  if (ifindex == 0) {
    fprintf(stderr, "interface '%s' does not exist\n", o->iface);
    exit(1);
  }
  struct sockaddr_storage dst;
  socklen_t dst_len;
  memset(&dst, 0, sizeof dst);
  struct sockaddr_in *d4 = (struct sockaddr_in *) &dst;
  struct sockaddr_in6 *d6 = (struct sockaddr_in6 *) &dst;
  int fd;
  if (inet_pton(AF_INET, o->group, &d4->sin_addr) == 1) {
    d4->sin_family = AF_INET;
    d4->sin_port = htons((uint16_t) o->port);
    dst_len = sizeof *d4;
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct ip_mreqn mreq = {.imr_ifindex = (int) ifindex};
    if (fd < 0 ||
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) < 0) {
      perror("IPv4 socket / IP_MULTICAST_IF");
      exit(1);
    }
  } else if (inet_pton(AF_INET6, o->group, &d6->sin6_addr) == 1) {
    d6->sin6_family = AF_INET6;
    d6->sin6_port = htons((uint16_t) o->port);
    d6->sin6_scope_id = ifindex;
    dst_len = sizeof *d6;
    fd = socket(AF_INET6, SOCK_DGRAM, 0);
    int idx = (int) ifindex;
    if (fd < 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx) < 0) {
      perror("IPv6 socket / IPV6_MULTICAST_IF");
      exit(1);
    }
  } else {
    fprintf(stderr, "group '%s' is not an IP address\n", o->group);
    exit(2);
  }
  if (connect(fd, (struct sockaddr *) &dst, dst_len) < 0) {
    fprintf(stderr, "connect to %s port %u: %s\n", o->group, o->port,
            strerror(errno));
    exit(1);
  }
  return fd;
}

typedef struct progress {
  uint64_t sent;
  uint64_t calls;
  uint64_t errors;
  uint64_t window_start_count;
  double window_start;
  bool in_window;
} progress;

/* Returns false when the run is over (time or count). */
static bool
tick(progress *p, const options *o, double start)
{
  double now = bench_now();
  if (!p->in_window && now - start >= o->warmup) {
    p->in_window = true;
    p->window_start = now;
    p->window_start_count = p->sent;
  }
  return now - start < o->warmup + o->duration && p->sent < o->max_count;
}

static void
run_send(int fd, const options *o, progress *p)
{
  uint8_t *datagram = malloc(o->size);
  if (!datagram)
    exit(1);
  bench_fill_pattern(datagram, o->size);
  double start = bench_now();
  bool go = true;
  while (go) {
    /* The clock is read every 256 datagrams: cheap and still fine-grained. */
    for (int i = 0; i < 256 && p->sent < o->max_count; i++) {
      bench_put_seq(datagram, p->sent);
      p->calls++;
      if (send(fd, datagram, o->size, 0) == (ssize_t) o->size)
        p->sent++;
      else
        p->errors++;
    }
    go = tick(p, o, start) && p->errors < 1000000;
  }
  free(datagram);
}

static void
run_gso(int fd, const options *o, progress *p)
{
  size_t per_call = BENCH_MAX_SIZE / o->size;
  if (per_call > o->max_segments)
    per_call = o->max_segments;
  uint8_t *block = malloc(per_call * o->size);
  if (!block)
    exit(1);
  for (size_t s = 0; s < per_call; s++)
    bench_fill_pattern(block + s * o->size, o->size);

  union {
    char buf[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {.iov_base = block};
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof control.buf};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_UDP;
  cm->cmsg_type = UDP_SEGMENT;
  cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
  uint16_t gso_size = (uint16_t) o->size;
  memcpy(CMSG_DATA(cm), &gso_size, sizeof gso_size);

  double start = bench_now();
  bool go = true;
  while (go) {
    for (int i = 0; i < 16 && p->sent < o->max_count; i++) {
      size_t n = per_call;
      if (o->max_count - p->sent < n)
        n = (size_t) (o->max_count - p->sent);
      for (size_t s = 0; s < n; s++)
        bench_put_seq(block + s * o->size, p->sent + s);
      iov.iov_len = n * o->size;
      p->calls++;
      ssize_t r = sendmsg(fd, &msg, 0);
      if (r == (ssize_t) iov.iov_len) {
        p->sent += n;
      } else {
        if (p->errors == 0)
          fprintf(stderr, "sendmsg with UDP_SEGMENT %u x %zu: %s\n", gso_size,
                  n, r < 0 ? strerror(errno) : "short send");
        p->errors++;
      }
    }
    go = tick(p, o, start) && p->errors < 100000;
  }
  free(block);
}

int
main(int argc, char **argv)
{
  options o;
  parse_options(argc, argv, &o);
  int fd = open_socket(&o);
  progress p = {0};
  if (strcmp(o.mode, "send") == 0)
    run_send(fd, &o, &p);
  else
    run_gso(fd, &o, &p);
  double end = bench_now();
  close(fd);
  if (!p.in_window) {
    p.window_start = end;
    p.window_start_count = p.sent;
  }
  double secs = end - p.window_start;
  uint64_t counted = p.sent - p.window_start_count;
  printf("sent=%llu calls=%llu errors=%llu window_count=%llu window_secs=%.6f "
         "rate=%.0f\n",
         (unsigned long long) p.sent, (unsigned long long) p.calls,
         (unsigned long long) p.errors, (unsigned long long) counted, secs,
         secs > 0 ? (double) counted / secs : 0.0);
  return p.sent > 0 ? 0 : 1;
}
