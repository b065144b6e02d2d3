/* mctx-bench-recv: joins a group on an interface, counts and checks every
 * datagram, and says what arrived.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 *   --check seq   bytes 0..7 a big-endian sequence number from 0, the rest
 *                 the pattern offset & 0xff (payload.h): finds lost,
 *                 reordered and corrupted datagrams
 *   --check zero  every byte zero (fakesrc filltype=zero)
 * Every datagram must be exactly --size bytes.
 *
 * Prints "ready" once joined. SIGUSR1, SIGINT or SIGTERM ask it to finish:
 * it keeps reading until the socket has been idle for --idle-ms (at most
 * --drain-secs), then prints one line of key=value pairs. --max-secs bounds
 * the whole run.
 */
#include "payload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
/* Room for about a second of a fast sender, so a receiver that a busy machine
 * deschedules for a moment catches up instead of losing datagrams. */
#define RCVBUF_BYTES (256 * 1024 * 1024)

static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
  (void) sig;
  stop_requested = 1;
}

typedef struct options {
  const char *group;
  const char *iface;
  const char *check;
  unsigned port;
  size_t size;
  int idle_ms;
  double drain_secs;
  double max_secs;
} options;

typedef struct tally {
  uint64_t received;
  uint64_t bad_size;
  uint64_t bad_payload;
  uint64_t next_seq;     /* highest sequence number seen + 1 */
  uint64_t gaps;         /* times a sequence number was skipped */
  uint64_t skipped;      /* sequence numbers skipped over (lost or late) */
  uint64_t late;         /* arrived after a higher one (reordered/duplicate) */
  uint32_t kernel_drops; /* SO_RXQ_OVFL: dropped at this socket's queue */
} tally;

static void
usage(void)
{
  fprintf(
      stderr,
      "usage: mctx-bench-recv --group ADDR --port N --iface NAME --size BYTES\n"
      "                       --check seq|zero [--idle-ms MS] [--drain-secs "
      "S]\n"
      "                       [--max-secs S]\n");
  exit(2);
}

static void
parse_options(int argc, char **argv, options *o)
{
  static const struct option longopts[] = {
      {"group", required_argument, NULL, 'g'},
      {"port", required_argument, NULL, 'p'},
      {"iface", required_argument, NULL, 'i'},
      {"size", required_argument, NULL, 's'},
      {"check", required_argument, NULL, 'c'},
      {"idle-ms", required_argument, NULL, 'I'},
      {"drain-secs", required_argument, NULL, 'D'},
      {"max-secs", required_argument, NULL, 'M'},
      {NULL, 0, NULL, 0},
  };
  *o = (options){.idle_ms = 200, .drain_secs = 5.0, .max_secs = 120.0};
  int c;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
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
      case 'c':
        o->check = optarg;
        break;
      case 'I':
        o->idle_ms = atoi(optarg);
        break;
      case 'D':
        o->drain_secs = strtod(optarg, NULL);
        break;
      case 'M':
        o->max_secs = strtod(optarg, NULL);
        break;
      default:
        usage();
    }
  }
  if (!o->group || !o->iface || !o->check || o->port == 0 || o->port > 65535)
    usage();
  if (strcmp(o->check, "seq") != 0 && strcmp(o->check, "zero") != 0) {
    fprintf(stderr, "check '%s' is neither seq nor zero\n", o->check);
    exit(2);
  }
  if (o->size < BENCH_MIN_SIZE || o->size > BENCH_MAX_SIZE) {
    fprintf(stderr, "size %zu is outside %d..%d\n", o->size, BENCH_MIN_SIZE,
            BENCH_MAX_SIZE);
    exit(2);
  }
  if (o->idle_ms < 10 || o->idle_ms > 10000 || o->max_secs <= 0 ||
      o->max_secs > 3600 || o->drain_secs <= 0 || o->drain_secs > 60) {
    fprintf(
        stderr,
        "idle-ms must be 10..10000, drain-secs (0, 60], max-secs (0, 3600]\n");
    exit(2);
  }
}

static int
open_joined_socket(const options *o)
{
  unsigned ifindex = if_nametoindex(o->iface);
  if (ifindex == 0) {
    fprintf(stderr, "interface '%s' does not exist\n", o->iface);
    exit(1);
  }
  struct sockaddr_in a4 = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t) o->port)};
  struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
                            .sin6_port = htons((uint16_t) o->port)};
  bool v4 = inet_pton(AF_INET, o->group, &a4.sin_addr) == 1;
  if (!v4 && inet_pton(AF_INET6, o->group, &a6.sin6_addr) != 1) {
    fprintf(stderr, "group '%s' is not an IP address\n", o->group);
    exit(2);
  }
  int fd = socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0) {
    perror("socket");
    exit(1);
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rcvbuf = RCVBUF_BYTES;
  /* FORCE goes past net.core.rmem_max (root); plain SO_RCVBUF otherwise. */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  struct timeval tv = {.tv_sec = 0, .tv_usec = 20000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  int rc;
  if (v4) {
    rc = bind(fd, (struct sockaddr *) &a4, sizeof a4);
    struct ip_mreqn mreq = {.imr_multiaddr = a4.sin_addr,
                            .imr_ifindex = (int) ifindex};
    if (rc == 0)
      rc = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq);
  } else {
    rc = bind(fd, (struct sockaddr *) &a6, sizeof a6);
    struct ipv6_mreq mreq = {.ipv6mr_multiaddr = a6.sin6_addr,
                             .ipv6mr_interface = ifindex};
    if (rc == 0)
      rc = setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof mreq);
  }
  if (rc < 0) {
    fprintf(stderr, "bind/join %s port %u on %s: %s\n", o->group, o->port,
            o->iface, strerror(errno));
    exit(1);
  }
  return fd;
}

static void
check_datagram(tally *t, const options *o, const uint8_t *expected,
               const uint8_t *d, size_t len, bool truncated)
{
  t->received++;
  if (truncated || len != o->size) {
    t->bad_size++;
    return;
  }
  if (o->check[0] == 'z') {
    if (memcmp(d, expected, len) != 0)
      t->bad_payload++;
    return;
  }
  if (memcmp(d + BENCH_SEQ_BYTES, expected + BENCH_SEQ_BYTES,
             len - BENCH_SEQ_BYTES) != 0) {
    t->bad_payload++;
    return;
  }
  uint64_t seq = bench_get_seq(d);
  if (seq == t->next_seq) {
    t->next_seq++;
  } else if (seq > t->next_seq) {
    t->gaps++;
    t->skipped += seq - t->next_seq;
    t->next_seq = seq + 1;
  } else {
    t->late++;
  }
}

int
main(int argc, char **argv)
{
  options o;
  parse_options(argc, argv, &o);

  struct sigaction sa = {.sa_handler = on_stop};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  int fd = open_joined_socket(&o);

  uint8_t *expected = calloc(1, o.size);
  size_t slot = o.size + 64; /* room to see an oversized datagram */
  uint8_t *bufs = malloc(slot * BATCH);
  if (!expected || !bufs)
    return 1;
  if (o.check[0] == 's')
    bench_fill_pattern(expected, o.size);

  struct mmsghdr msgs[BATCH];
  struct iovec iovs[BATCH];
  union {
    char buf[CMSG_SPACE(sizeof(uint32_t))];
    struct cmsghdr align;
  } controls[BATCH];

  printf("ready\n");
  fflush(stdout);

  tally t = {0};
  double start = bench_now();
  double stop_at = 0; /* when the stop request was seen */
  double last_data = start;
  while (bench_now() - start < o.max_secs) {
    for (int i = 0; i < BATCH; i++) {
      iovs[i] =
          (struct iovec){.iov_base = bufs + (size_t) i * slot, .iov_len = slot};
      msgs[i].msg_hdr =
          (struct msghdr){.msg_iov = &iovs[i],
                          .msg_iovlen = 1,
                          .msg_control = controls[i].buf,
                          .msg_controllen = sizeof controls[i].buf};
    }
    int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
    double now = bench_now();
    if (n > 0) {
      last_data = now;
      for (int i = 0; i < n; i++)
        check_datagram(&t, &o, expected, bufs + (size_t) i * slot,
                       msgs[i].msg_len,
                       (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0);
      struct msghdr *last = &msgs[n - 1].msg_hdr;
      for (struct cmsghdr *cm = CMSG_FIRSTHDR(last); cm;
           cm = CMSG_NXTHDR(last, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL)
          memcpy(&t.kernel_drops, CMSG_DATA(cm), sizeof t.kernel_drops);
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
               errno != EINTR) {
      perror("recvmmsg");
      return 1;
    }
    if (stop_requested) {
      if (stop_at == 0)
        stop_at = now;
      if ((now - last_data) * 1000.0 >= o.idle_ms ||
          now - stop_at >= o.drain_secs)
        break;
    }
  }
  close(fd);
  printf("received=%llu bad_size=%llu bad_payload=%llu next_seq=%llu gaps=%llu "
         "skipped=%llu late=%llu kernel_drops=%u\n",
         (unsigned long long) t.received, (unsigned long long) t.bad_size,
         (unsigned long long) t.bad_payload, (unsigned long long) t.next_seq,
         (unsigned long long) t.gaps, (unsigned long long) t.skipped,
         (unsigned long long) t.late, t.kernel_drops);
  free(expected);
  free(bufs);
  return 0;
}
