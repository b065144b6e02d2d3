/* A Linux receiver for scripts/test-wine.sh's check of the Windows
 * mctx-send.exe: joins group on lo (127.0.0.1), prints "ready", then the
 * first datagram as "<payload> from <address>:<port>". Exits 1 when none
 * arrives within timeout_ms.
 *
 * Usage: lo-receive GROUP PORT TIMEOUT_MS
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
  if (argc != 4) {
    fprintf(stderr, "usage: lo-receive GROUP PORT TIMEOUT_MS\n");
    return 2;
  }
  struct ip_mreq mreq;
  if (inet_pton(AF_INET, argv[1], &mreq.imr_multiaddr) != 1) {
    fprintf(stderr, "lo-receive: %s is no IPv4 address\n", argv[1]);
    return 2;
  }
  mreq.imr_interface.s_addr = htonl(INADDR_LOOPBACK);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  int on = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in any = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t) atoi(argv[2]))};
  if (bind(s, (struct sockaddr *) &any, sizeof any) != 0 ||
      setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
    perror("lo-receive");
    return 2;
  }
  printf("ready\n");
  fflush(stdout);

  struct pollfd p = {.fd = s, .events = POLLIN};
  if (poll(&p, 1, atoi(argv[3])) != 1) {
    printf("nothing received\n");
    return 1;
  }
  char buf[2048], from[INET_ADDRSTRLEN];
  struct sockaddr_in src;
  socklen_t len = sizeof src;
  ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *) &src, &len);
  if (n < 0) {
    perror("lo-receive: recvfrom");
    return 2;
  }
  inet_ntop(AF_INET, &src.sin_addr, from, sizeof from);
  printf("%.*s from %s:%u\n", (int) n, buf, from,
         (unsigned) ntohs(src.sin_port));
  close(s);
  return 0;
}
