/* Raw publications: complete IP datagrams put on the wire as given.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * IPv4: one IP_HDRINCL raw socket; the datagram leaves as given, its source
 * included, local or not.
 * IPv6, chosen per datagram by its source:
 *  - an address of this host: a raw IPv6 socket per next-header value (opened
 *    lazily, cached); the kernel builds the 40-byte base header from the
 *    source (IPV6_PKTINFO), traffic class (IPV6_TCLASS) and hop limit
 *    (IPV6_HOPLIMIT) given per datagram, so the flow label is the kernel's;
 *    local receivers get a copy when loopback is on.
 *  - any other source (an AMT gateway re-emitting a far source): an AF_PACKET
 *    socket on the Ethernet interface, the datagram byte for byte to the
 *    group's MAC (33:33 + its last four bytes); the local stack never sees it.
 * Route-selected egress: IPv4 leaves the HDRINCL socket unbound and the
 * kernel routes each send; IPv6 takes the same two ways on the interface a
 * route lookup gives per datagram (raw_route.c), named per message
 * (IPV6_PKTINFO, sockaddr_ll) on sockets bound to no interface.
 * Every socket a config certainly needs is opened at open time, so a missing
 * CAP_NET_RAW shows there; the send path makes one system call per datagram
 * and never allocates or copies the datagram: a datagram in several buffers
 * goes out as an iovec array, and a TTL / hop-limit override sends a patched
 * copy of the header alone (on the stack) followed by the rest untouched.
 * A raw publication is used by one thread at a time; metrics snapshots may
 * be taken from any thread.
 */
#include "mctx-private.h"

#if defined(__linux__)

#  include <errno.h>
#  include <ifaddrs.h>
#  include <limits.h>
#  include <linux/filter.h>
#  include <linux/if_ether.h>
#  include <linux/if_packet.h>
#  include <net/if.h>
#  include <net/if_arp.h>
#  include <netinet/in.h>
#  include <stdio.h>
#  include <stdlib.h>
#  include <string.h>
#  include <sys/socket.h>
#  include <sys/uio.h>
#  include <unistd.h>

/* mctx_buf arrays go to the kernel as iovec arrays, never copied. */
_Static_assert(sizeof(mctx_buf) == sizeof(struct iovec),
               "mctx_buf must have the size of struct iovec");
_Static_assert(offsetof(mctx_buf, base) == offsetof(struct iovec, iov_base),
               "mctx_buf.base must sit where iovec.iov_base does");
_Static_assert(offsetof(mctx_buf, len) == offsetof(struct iovec, iov_len),
               "mctx_buf.len must sit where iovec.iov_len does");

/* The kernel takes at most IOV_MAX iovecs per call; one is kept for a
 * patched header in front of the caller's buffers. */
#  define RAW_MAX_BUFFERS (IOV_MAX - 1)
/* Distinct next-header values one IPv6 publication keeps sockets for; in
 * practice UDP alone, sometimes ICMPv6. Beyond that the oldest is replaced. */
#  define RAW6_SOCKETS_MAX 8
/* Datagrams per sendmmsg of a batch. */
#  define RAW_BATCH 32

#  define PERMISSION_HINT \
    "raw sockets need CAP_NET_RAW (run as root or grant the capability)"

typedef struct raw6_socket {
  int fd;
  uint8_t protocol;
} raw6_socket;

/* An IPv6 source of this host; ifindex is the interface of a link-local
 * one (0 for the others, which do on any interface). */
typedef struct local_ipv6 {
  uint8_t addr[16];
  uint32_t ifindex;
} local_ipv6;

/* Room for one datagram's message: its address, a patched header and the
 * control messages of the kernel way. A single send uses one on the stack,
 * a batch one per datagram in the publication. */
typedef struct raw_slot {
  union {
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
    struct sockaddr_ll ll;
  } to;
  uint8_t header[MCTX__RAW_HEAD_MAX];
  union {
    /* CMSG_SPACE(sizeof(struct in6_pktinfo)) + 2 * CMSG_SPACE(sizeof(int))
     * is 88 on Linux; a literal, since clang does not take CMSG_SPACE as a
     * constant inside a struct. */
    char buf[96];
    size_t align; /* struct cmsghdr's alignment (it ends in a flexible array) */
  } control;
  size_t len; /* the whole datagram, for the counters */
  mctx_raw_datagram_info info;
  mctx__raw_hop hop; /* the egress: routed or given (route-selected IPv4: 0) */
} raw_slot;

struct mctx_raw_publication {
  mctx_raw_config config;
  mctx_family family; /* effective: given or inferred */
  uint32_t ifindex;
  char ifname[IF_NAMESIZE];
  mctx_ip egress; /* IPv4 bind address; IPv6: UNSPEC or bind */

  int fd4; /* IPv4 HDRINCL, -1 for IPv6 */

  int packet_fd;            /* IPv6 link-layer way, -1 for IPv4 */
  mctx__raw_hop hop;        /* explicit egress: interface, IPv6 link type */
  mctx__raw_routes *routes; /* IPv6 route-selected egress, else NULL */
  local_ipv6 *local6;       /* this host's IPv6 sources, read at open */
  size_t local6_count;
  /* A stream has one source: the last one looked up (on its interface)
   * and whether it is local, so the list is not scanned every datagram. */
  bool last6_known;
  bool last6_local;
  uint8_t last6_source[16];
  uint32_t last6_ifindex;
  raw6_socket raw6[RAW6_SOCKETS_MAX];
  size_t raw6_count;
  size_t raw6_oldest;

  mctx_metrics_cell metrics;
  /* The datagram's buffers re-cut when a patched header replaces the start
   * or the kernel way leaves the base header out; a batch shares it. */
  struct iovec iov[RAW_MAX_BUFFERS + 1];
  /* The messages of one batch run and their room (raw_slot, below). */
  struct mmsghdr msgs[RAW_BATCH];
  raw_slot *slots;
};

static const char *
family_name(mctx_family family)
{
  return family == MCTX_FAMILY_IPV4 ? "IPv4" : "IPv6";
}

static int
socket_create_error(const char *what, int e, mctx_error *err)
{
  if (e == EPERM || e == EACCES)
    return mctx__fail(err, MCTX_E_RAW_PERMISSION_DENIED, MCTX_SUBJECT_SOCKET, e,
                      "cannot open %s: " PERMISSION_HINT, what);
  return mctx__fail(err, MCTX_E_SOCKET_CREATE_FAILED, MCTX_SUBJECT_SOCKET, e,
                    "cannot open %s: %s", what, strerror(e));
}

static int
set_int_option(int fd, int level, int name, int value, const char *label,
               mctx_subject subject, mctx_error *err)
{
  if (setsockopt(fd, level, name, &value, sizeof value) != 0)
    return mctx__fail(err, MCTX_E_SOCKET_OPTION_FAILED, subject, errno,
                      "cannot set %s to %d on a raw socket: %s", label, value,
                      strerror(errno));
  return MCTX_OK;
}

/* ---- opening ------------------------------------------------------------ */

/* The egress (portable), and the interface's name for messages. */
static int
resolve_egress(mctx_raw_publication *pub, mctx_error *err)
{
  int rc = mctx__raw_egress(&pub->config, &pub->ifindex, &pub->egress, err);
  if (rc != MCTX_OK)
    return rc;
  if (if_indextoname(pub->ifindex, pub->ifname) == NULL)
    return mctx__fail(err, MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_INTERFACE,
                      errno, "interface index %u does not exist",
                      (unsigned) pub->ifindex);
  return MCTX_OK;
}

/* No egress to resolve: IPv6 opens its route lookups; messages name the
 * routing table, or for IPv6 the interface a lookup gave. */
static int
open_route_selected(mctx_raw_publication *pub, mctx_error *err)
{
  snprintf(pub->ifname, sizeof pub->ifname, "%s", "(routed)");
  if (pub->family == MCTX_FAMILY_IPV6)
    return mctx__raw_routes_open(&pub->routes, err);
  return MCTX_OK;
}

static int
open_ipv4(mctx_raw_publication *pub, mctx_error *err)
{
  int fd =
      socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
  if (fd < 0)
    return socket_create_error("a raw IPv4 socket", errno, err);
  pub->fd4 = fd;

  int rc = set_int_option(fd, IPPROTO_IP, IP_HDRINCL, 1, "IP_HDRINCL",
                          MCTX_SUBJECT_SOCKET, err);
  if (rc != MCTX_OK)
    return rc;
  /* Unbound, no IP_MULTICAST_IF: the routing table picks each egress. */
  if (pub->config.egress == MCTX_RAW_EGRESS_ROUTE_SELECTED)
    goto loopback;

  struct sockaddr_in local = {.sin_family = AF_INET};
  memcpy(&local.sin_addr, pub->egress.bytes, 4);
  if (bind(fd, (struct sockaddr *) &local, sizeof local) != 0) {
    char text[MCTX_IP_STRLEN];
    mctx_ip_format(&pub->egress, text, sizeof text);
    return mctx__fail(
        err, MCTX_E_SOCKET_BIND_FAILED, MCTX_SUBJECT_SOURCE_ADDRESS, errno,
        "cannot bind the raw IPv4 socket to %s: %s", text, strerror(errno));
  }

  struct ip_mreqn mreq = {.imr_ifindex = (int) pub->ifindex};
  memcpy(&mreq.imr_address, pub->egress.bytes, 4);
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) != 0)
    return mctx__fail(err, MCTX_E_SOCKET_OPTION_FAILED, MCTX_SUBJECT_INTERFACE,
                      errno,
                      "cannot set IP_MULTICAST_IF to %s on a raw socket: %s",
                      pub->ifname, strerror(errno));
loopback:
  rc = set_int_option(fd, IPPROTO_IP, IP_MULTICAST_LOOP,
                      pub->config.loopback ? 1 : 0, "IP_MULTICAST_LOOP",
                      MCTX_SUBJECT_LOOPBACK, err);
  if (rc != MCTX_OK)
    return rc;
  /* Without it the kernel reports a datagram the local queue dropped as
   * sent (a raw IPv4 socket hides ENOBUFS unless asked); with it the drop
   * comes back as MCTX_E_QUEUE_FULL, as on UDP and raw IPv6 sockets. */
  return set_int_option(fd, IPPROTO_IP, IP_RECVERR, 1, "IP_RECVERR",
                        MCTX_SUBJECT_SOCKET, err);
}

/* The sources this host may put in a kernel-built IPv6 header: every
 * non-link-local address, and the link-local ones on the interface they
 * belong to (another interface's link-local address is meaningless there).
 * Read once: an address added later is treated as not local. */
static int
load_local_ipv6(mctx_raw_publication *pub, mctx_error *err)
{
  struct ifaddrs *list;
  if (getifaddrs(&list) != 0)
    return mctx__fail(
        err, MCTX_E_INTERFACE_DISCOVERY_FAILED, MCTX_SUBJECT_INTERFACE, errno,
        "cannot list this host's IPv6 addresses: %s", strerror(errno));
  size_t count = 0;
  for (int pass = 0; pass < 2; pass++) {
    size_t n = 0;
    for (const struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
      if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET6)
        continue;
      const struct sockaddr_in6 *sin6 =
          (const struct sockaddr_in6 *) (const void *) ifa->ifa_addr;
      if (pass == 1 && n < count) {
        memcpy(pub->local6[n].addr, &sin6->sin6_addr, 16);
        pub->local6[n].ifindex =
            IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) ? sin6->sin6_scope_id : 0;
      }
      n++;
    }
    if (pass == 0) {
      count = n;
      pub->local6 = calloc(count ? count : 1, sizeof *pub->local6);
      if (pub->local6 == NULL) {
        freeifaddrs(list);
        return mctx__fail(err, MCTX_E_NO_MEMORY, MCTX_SUBJECT_NONE, ENOMEM,
                          "no memory for %zu IPv6 addresses", count);
      }
    }
  }
  pub->local6_count = count;
  freeifaddrs(list);
  return MCTX_OK;
}

static bool
is_local_ipv6(mctx_raw_publication *pub, const uint8_t addr[16],
              uint32_t ifindex)
{
  if (pub->last6_known && pub->last6_ifindex == ifindex &&
      memcmp(pub->last6_source, addr, 16) == 0)
    return pub->last6_local;
  bool local = false;
  for (size_t i = 0; i < pub->local6_count && !local; i++)
    local = memcmp(pub->local6[i].addr, addr, 16) == 0 &&
            (pub->local6[i].ifindex == 0 || pub->local6[i].ifindex == ifindex);
  memcpy(pub->last6_source, addr, 16);
  pub->last6_ifindex = ifindex;
  pub->last6_local = local;
  pub->last6_known = true;
  return local;
}

/* A raw IPv6 socket of protocol P receives a copy of every incoming packet
 * with next header P; ours only send, so a filter drops those before they
 * are queued. */
static int
drop_all_input(int fd, mctx_error *err)
{
  struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
  struct sock_fprog prog = {.len = 1, .filter = &drop};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
    return mctx__fail(err, MCTX_E_SOCKET_OPTION_FAILED, MCTX_SUBJECT_SOCKET,
                      errno,
                      "cannot attach a drop-all filter to a raw IPv6 "
                      "socket: %s",
                      strerror(errno));
  return MCTX_OK;
}

static int
open_raw6(const mctx_raw_publication *pub, uint8_t protocol, int *out,
          mctx_error *err)
{
  int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    char what[64];
    snprintf(what, sizeof what, "a raw IPv6 socket for next header %u",
             (unsigned) protocol);
    return socket_create_error(what, errno, err);
  }
  int rc =
      set_int_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, (int) pub->ifindex,
                     "IPV6_MULTICAST_IF", MCTX_SUBJECT_INTERFACE, err);
  if (rc == MCTX_OK)
    rc = set_int_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP,
                        pub->config.loopback ? 1 : 0, "IPV6_MULTICAST_LOOP",
                        MCTX_SUBJECT_LOOPBACK, err);
  if (rc == MCTX_OK)
    rc = drop_all_input(fd, err);
  if (rc != MCTX_OK) {
    close(fd);
    return rc;
  }
  *out = fd;
  return MCTX_OK;
}

/* The socket for one next-header value: cached, opened on first use. */
static int
raw6_socket_for(mctx_raw_publication *pub, uint8_t protocol, int *fd,
                mctx_error *err)
{
  for (size_t i = 0; i < pub->raw6_count; i++)
    if (pub->raw6[i].protocol == protocol) {
      *fd = pub->raw6[i].fd;
      return MCTX_OK;
    }
  int opened = -1;
  int rc = open_raw6(pub, protocol, &opened, err);
  if (rc != MCTX_OK)
    return rc;
  size_t slot;
  if (pub->raw6_count < RAW6_SOCKETS_MAX) {
    slot = pub->raw6_count++;
  } else {
    slot = pub->raw6_oldest;
    pub->raw6_oldest = (pub->raw6_oldest + 1) % RAW6_SOCKETS_MAX;
    close(pub->raw6[slot].fd);
  }
  pub->raw6[slot] = (raw6_socket){.fd = opened, .protocol = protocol};
  *fd = opened;
  return MCTX_OK;
}

static int
open_packet(mctx_raw_publication *pub, mctx_error *err)
{
  /* Protocol 0: this socket receives nothing; each send names the
   * ethertype. */
  int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return socket_create_error("a link-layer (AF_PACKET) socket", errno, err);
  pub->packet_fd = fd;
  /* Routed: each message names its interface. */
  if (pub->routes != NULL)
    return MCTX_OK;
  struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                            .sll_ifindex = (int) pub->ifindex};
  if (bind(fd, (struct sockaddr *) &sll, sizeof sll) != 0)
    return mctx__fail(err, MCTX_E_SOCKET_BIND_FAILED, MCTX_SUBJECT_INTERFACE,
                      errno,
                      "cannot bind a link-layer socket to interface %s: %s",
                      pub->ifname, strerror(errno));
  socklen_t len = sizeof sll;
  if (getsockname(fd, (struct sockaddr *) &sll, &len) != 0)
    return mctx__fail(err, MCTX_E_SOCKET_LOCAL_ADDR_FAILED, MCTX_SUBJECT_SOCKET,
                      errno, "cannot read the link type of interface %s: %s",
                      pub->ifname, strerror(errno));
  pub->hop =
      (mctx__raw_hop){.ifindex = pub->ifindex, .link_type = sll.sll_hatype};
  return MCTX_OK;
}

static int
open_ipv6(mctx_raw_publication *pub, mctx_error *err)
{
  int rc = load_local_ipv6(pub, err);
  if (rc != MCTX_OK)
    return rc;
  /* UDP is what nearly every raw IPv6 datagram carries; opening its socket
   * now also surfaces a missing privilege now. */
  int fd;
  rc = raw6_socket_for(pub, IPPROTO_UDP, &fd, err);
  if (rc != MCTX_OK)
    return rc;
  return open_packet(pub, err);
}

int
mctx_raw_publication_open(const mctx_raw_config *cfg,
                          mctx_raw_publication **out, mctx_error *err)
{
  if (out == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no place for the raw publication given");
  *out = NULL;
  int rc = mctx_raw_config_validate(cfg, err);
  if (rc != MCTX_OK)
    return rc;

  mctx_raw_publication *pub = malloc(sizeof *pub);
  if (pub == NULL)
    return mctx__fail(err, MCTX_E_NO_MEMORY, MCTX_SUBJECT_NONE, ENOMEM,
                      "no memory for a raw publication");
  memset(pub, 0, offsetof(mctx_raw_publication, iov));
  pub->slots = calloc(RAW_BATCH, sizeof *pub->slots);
  if (pub->slots == NULL) {
    free(pub);
    return mctx__fail(err, MCTX_E_NO_MEMORY, MCTX_SUBJECT_NONE, ENOMEM,
                      "no memory for a raw publication");
  }
  pub->config = *cfg;
  pub->family = mctx__raw_family(cfg);
  pub->fd4 = -1;
  pub->packet_fd = -1;
  mctx__metrics_cell_init(&pub->metrics);

  rc = cfg->egress == MCTX_RAW_EGRESS_ROUTE_SELECTED
           ? open_route_selected(pub, err)
           : resolve_egress(pub, err);
  pub->hop.ifindex = pub->ifindex;
  if (rc == MCTX_OK)
    rc = pub->family == MCTX_FAMILY_IPV4 ? open_ipv4(pub, err)
                                         : open_ipv6(pub, err);
  if (rc != MCTX_OK) {
    mctx_raw_publication_close(pub);
    return rc;
  }
  *out = pub;
  return mctx__ok(err);
}

void
mctx_raw_publication_close(mctx_raw_publication *pub)
{
  if (pub == NULL)
    return;
  if (pub->fd4 >= 0)
    close(pub->fd4);
  if (pub->packet_fd >= 0)
    close(pub->packet_fd);
  for (size_t i = 0; i < pub->raw6_count; i++)
    close(pub->raw6[i].fd);
  mctx__raw_routes_close(pub->routes);
  free(pub->local6);
  free(pub->slots);
  free(pub);
}

const mctx_raw_config *
mctx_raw_publication_get_config(const mctx_raw_publication *pub)
{
  return pub ? &pub->config : NULL;
}

void
mctx_raw_publication_metrics_snapshot(const mctx_raw_publication *pub,
                                      mctx_metrics *out)
{
  mctx__metrics_read(pub != NULL ? &pub->metrics : NULL, out);
}

/* ---- sending ------------------------------------------------------------ */

/* mctx-core's family check of a datagram against the config: the code
 * names what the family was taken from. */
static int
check_family(const mctx_raw_publication *pub,
             const mctx_raw_datagram_info *info, mctx_error *err)
{
  if (info->family == pub->family)
    return MCTX_OK;
  const mctx_raw_config *cfg = &pub->config;
  char text[MCTX_IP_STRLEN];
  if (cfg->family == MCTX_FAMILY_UNSPEC &&
      cfg->bind_addr.family != MCTX_FAMILY_UNSPEC) {
    mctx_ip_format(&cfg->bind_addr, text, sizeof text);
    return mctx__fail(err, MCTX_E_RAW_BIND_ADDRESS_FAMILY_MISMATCH,
                      MCTX_SUBJECT_SOURCE_ADDRESS, 0,
                      "%s datagram does not match the raw bind address %s",
                      family_name(info->family), text);
  }
  if (cfg->family == MCTX_FAMILY_UNSPEC) {
    mctx_ip_format(&cfg->interface.address, text, sizeof text);
    return mctx__fail(err, MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH,
                      MCTX_SUBJECT_INTERFACE, 0,
                      "%s datagram does not match the interface address %s",
                      family_name(info->family), text);
  }
  return mctx__fail(err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM, 0,
                    "%s datagram given to an %s raw publication",
                    family_name(info->family), family_name(pub->family));
}

/* The name of a datagram's egress for messages: the publication's, or
 * the interface a route gave (looked up again: an error path only). */
static const char *
egress_name(const mctx_raw_publication *pub, const raw_slot *slot,
            char name[IF_NAMESIZE + 16])
{
  if (pub->routes == NULL || slot->hop.ifindex == 0)
    return pub->ifname;
  if (if_indextoname(slot->hop.ifindex, name) == NULL)
    snprintf(name, IF_NAMESIZE + 16, "interface index %u (gone)",
             (unsigned) slot->hop.ifindex);
  return name;
}

static int
send_error(mctx_raw_publication *pub, const raw_slot *slot, int e,
           mctx_error *err)
{
  /* The routed interface is gone or down, or the kernel no longer routes
   * there: look the route up again. */
  if (pub->routes != NULL && (e == ENXIO || e == ENODEV || e == ENETDOWN ||
                              e == ENETUNREACH || e == EHOSTUNREACH))
    mctx__raw_routes_forget(pub->routes);
  int transient = mctx__send_transient(err, e);
  if (transient != MCTX_OK)
    return transient;
  if (err == NULL)
    return MCTX_E_SEND_FAILED;
  char dst[MCTX_IP_STRLEN], name[IF_NAMESIZE + 16];
  mctx_ip_format(&slot->info.destination, dst, sizeof dst);
  return mctx__fail(err, MCTX_E_SEND_FAILED,
                    e == EMSGSIZE ? MCTX_SUBJECT_DATAGRAM : MCTX_SUBJECT_SOCKET,
                    e,
                    "cannot send a raw %s datagram of %zu bytes to %s on "
                    "%s: %s",
                    family_name(slot->info.family), slot->len, dst,
                    egress_name(pub, slot, name), strerror(e));
}

static void
ipv4_fix_checksum(uint8_t *header, size_t header_len)
{
  header[10] = header[11] = 0;
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < header_len; i += 2)
    sum += (uint32_t) ((header[i] << 8) | header[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  uint16_t check = (uint16_t) ~sum;
  header[10] = (uint8_t) (check >> 8);
  header[11] = (uint8_t) check;
}

static struct iovec *
as_iovec(const mctx_buf *bufs)
{
  /* The kernel only reads the buffers; iovec just is not const-qualified. */
  return (struct iovec *) (void *) bufs;
}

/* The datagram's bytes from offset on, as iovecs written from iov[0] (empty
 * buffers left out); returns how many. */
static size_t
iov_from(struct iovec *iov, const mctx_buf *bufs, size_t nbufs, size_t offset)
{
  size_t n = 0;
  for (size_t i = 0; i < nbufs; i++) {
    if (offset >= bufs[i].len) {
      offset -= bufs[i].len;
      continue;
    }
    iov[n].iov_base = (uint8_t *) bufs[i].base + offset;
    iov[n].iov_len = bufs[i].len - offset;
    offset = 0;
    n++;
  }
  return n;
}

/* The message for the datagram as given, or, with a patched header, the
 * header followed by the rest of the datagram (iovecs written to iov). */
static void
set_payload(struct iovec *iov, struct msghdr *msg, const mctx_buf *bufs,
            size_t nbufs, uint8_t *header, size_t header_len)
{
  if (header == NULL) {
    msg->msg_iov = as_iovec(bufs);
    msg->msg_iovlen = nbufs;
    return;
  }
  iov[0] = (struct iovec){.iov_base = header, .iov_len = header_len};
  msg->msg_iov = iov;
  msg->msg_iovlen = 1 + iov_from(iov + 1, bufs, nbufs, header_len);
}

static void
prepare_ipv4(mctx_raw_publication *pub, const mctx_buf *bufs, size_t nbufs,
             const uint8_t *head, raw_slot *slot, struct iovec *iov,
             struct msghdr *msg)
{
  const mctx_raw_datagram_info *info = &slot->info;
  uint8_t *patched = NULL;
  int ttl = pub->config.ttl;
  if (ttl >= 0 && head[8] != ttl) {
    memcpy(slot->header, head, info->header_len);
    slot->header[8] = (uint8_t) ttl;
    ipv4_fix_checksum(slot->header, info->header_len);
    patched = slot->header;
  }
  slot->to.in = (struct sockaddr_in){.sin_family = AF_INET};
  memcpy(&slot->to.in.sin_addr, info->destination.bytes, 4);
  *msg = (struct msghdr){.msg_name = &slot->to.in,
                         .msg_namelen = sizeof slot->to.in};
  set_payload(iov, msg, bufs, nbufs, patched, info->header_len);
}

static int
check_kernel_header(const mctx_raw_datagram_info *info, mctx_error *err)
{
  if (info->protocol == IPPROTO_RAW)
    return mctx__fail(err, MCTX_E_RAW_UNSUPPORTED, MCTX_SUBJECT_NONE, 0,
                      "IPv6 next header 255 cannot be sent with a kernel-"
                      "built header");
  return MCTX_OK;
}

static void
prepare_ipv6_kernel_header(mctx_raw_publication *pub, const mctx_buf *bufs,
                           size_t nbufs, const uint8_t *head, raw_slot *slot,
                           struct iovec *iov, struct msghdr *msg)
{
  const mctx_raw_datagram_info *info = &slot->info;
  slot->to.in6 = (struct sockaddr_in6){.sin6_family = AF_INET6,
                                       .sin6_scope_id = slot->hop.ifindex};
  memcpy(&slot->to.in6.sin6_addr, info->destination.bytes, 16);
  memset(&slot->control, 0, sizeof slot->control);
  /* The kernel writes the base header: everything after it goes out. */
  *msg = (struct msghdr){.msg_name = &slot->to.in6,
                         .msg_namelen = sizeof slot->to.in6,
                         .msg_iov = iov,
                         .msg_iovlen = iov_from(iov, bufs, nbufs, 40),
                         .msg_control = slot->control.buf,
                         .msg_controllen = sizeof slot->control.buf};

  struct cmsghdr *cm = CMSG_FIRSTHDR(msg);
  struct in6_pktinfo pktinfo = {.ipi6_ifindex = slot->hop.ifindex};
  memcpy(&pktinfo.ipi6_addr, info->source.bytes, 16);
  cm->cmsg_level = IPPROTO_IPV6;
  cm->cmsg_type = IPV6_PKTINFO;
  cm->cmsg_len = CMSG_LEN(sizeof pktinfo);
  memcpy(CMSG_DATA(cm), &pktinfo, sizeof pktinfo);

  int hops = pub->config.ttl >= 0 ? pub->config.ttl : head[7];
  cm = CMSG_NXTHDR(msg, cm);
  cm->cmsg_level = IPPROTO_IPV6;
  cm->cmsg_type = IPV6_HOPLIMIT;
  cm->cmsg_len = CMSG_LEN(sizeof hops);
  memcpy(CMSG_DATA(cm), &hops, sizeof hops);

  int tclass = ((head[0] & 0x0f) << 4) | (head[1] >> 4);
  cm = CMSG_NXTHDR(msg, cm);
  cm->cmsg_level = IPPROTO_IPV6;
  cm->cmsg_type = IPV6_TCLASS;
  cm->cmsg_len = CMSG_LEN(sizeof tclass);
  memcpy(CMSG_DATA(cm), &tclass, sizeof tclass);
}

static int
check_link_layer(const mctx_raw_publication *pub, const raw_slot *slot,
                 mctx_error *err)
{
  const mctx_raw_datagram_info *info = &slot->info;
  if (slot->hop.link_type != ARPHRD_ETHER) {
    char src[MCTX_IP_STRLEN], name[IF_NAMESIZE + 16];
    mctx_ip_format(&info->source, src, sizeof src);
    return mctx__fail(
        err, MCTX_E_RAW_UNSUPPORTED_LINK_TYPE, MCTX_SUBJECT_INTERFACE, 0,
        "interface %s has link type %u; only Ethernet is "
        "supported (needed for the non-local source %s)",
        egress_name(pub, slot, name), (unsigned) slot->hop.link_type, src);
  }
  /* The frame's MAC comes from the group; a unicast destination would need
   * a neighbour lookup the link-layer way cannot make. */
  if (!mctx_ip_is_multicast(&info->destination)) {
    char dst[MCTX_IP_STRLEN];
    mctx_ip_format(&info->destination, dst, sizeof dst);
    return mctx__fail(err, MCTX_E_RAW_UNSUPPORTED, MCTX_SUBJECT_DATAGRAM, 0,
                      "unicast IPv6 destination %s with a non-local source "
                      "cannot be sent (link-layer injection needs a "
                      "multicast group)",
                      dst);
  }
  return MCTX_OK;
}

static void
prepare_ipv6_link_layer(mctx_raw_publication *pub, const mctx_buf *bufs,
                        size_t nbufs, const uint8_t *head, raw_slot *slot,
                        struct iovec *iov, struct msghdr *msg)
{
  const mctx_raw_datagram_info *info = &slot->info;
  uint8_t *patched = NULL;
  int hops = pub->config.ttl;
  if (hops >= 0 && head[7] != hops) {
    memcpy(slot->header, head, 40);
    slot->header[7] = (uint8_t) hops;
    patched = slot->header;
  }
  slot->to.ll = (struct sockaddr_ll){.sll_family = AF_PACKET,
                                     .sll_protocol = htons(ETH_P_IPV6),
                                     .sll_ifindex = (int) slot->hop.ifindex,
                                     .sll_halen = 6,
                                     .sll_addr = {0x33, 0x33}};
  memcpy(slot->to.ll.sll_addr + 2, info->destination.bytes + 12, 4);
  *msg = (struct msghdr){.msg_name = &slot->to.ll,
                         .msg_namelen = sizeof slot->to.ll};
  set_payload(iov, msg, bufs, nbufs, patched, 40);
}

/* The datagram's length, and its first min(len, MCTX__RAW_HEAD_MAX) bytes
 * for the checks: in place when the first buffer holds them, else gathered
 * into copy. */
static int
read_head(const mctx_buf *bufs, size_t nbufs, size_t *len, const uint8_t **head,
          uint8_t copy[MCTX__RAW_HEAD_MAX], mctx_error *err)
{
  if (bufs == NULL && nbufs != 0)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no raw datagram given (NULL with %zu buffers)", nbufs);
  if (nbufs > RAW_MAX_BUFFERS)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "raw datagram in %zu buffers; at most %d can be sent "
                      "at once",
                      nbufs, RAW_MAX_BUFFERS);
  size_t total = 0;
  for (size_t i = 0; i < nbufs; i++) {
    if (bufs[i].base == NULL && bufs[i].len != 0)
      return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                        "no raw datagram given (buffer %zu of %zu is NULL "
                        "with length %zu)",
                        i + 1, nbufs, bufs[i].len);
    if (bufs[i].len > SIZE_MAX - total)
      return mctx__fail(err, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                        0, "raw datagram buffers add up to more than %zu bytes",
                        (size_t) SIZE_MAX);
    total += bufs[i].len;
  }
  *len = total;

  size_t want = total < MCTX__RAW_HEAD_MAX ? total : MCTX__RAW_HEAD_MAX;
  if (nbufs == 0 || bufs[0].len >= want) {
    *head = nbufs > 0 ? bufs[0].base : NULL;
    return MCTX_OK;
  }
  size_t have = 0;
  for (size_t i = 0; have < want; i++) {
    size_t n = bufs[i].len < want - have ? bufs[i].len : want - have;
    if (n > 0)
      memcpy(copy + have, bufs[i].base, n);
    have += n;
  }
  *head = copy;
  return MCTX_OK;
}

/* The interface an IPv6 datagram leaves by: the publication's, or the one
 * the routes give its destination and source. A zone (link- or
 * interface-local group, link-local unicast) says nothing to a route. */
static int
ipv6_hop(mctx_raw_publication *pub, raw_slot *slot, mctx_error *err)
{
  if (pub->routes == NULL) {
    slot->hop = pub->hop;
    return MCTX_OK;
  }
  const mctx_ip *dst = &slot->info.destination;
  bool zoned = mctx_ip_is_multicast(dst)
                   ? mctx_ipv6_multicast_scope(dst) <= 2
                   : dst->bytes[0] == 0xfe && (dst->bytes[1] & 0xc0) == 0x80;
  if (zoned) {
    char text[MCTX_IP_STRLEN];
    mctx_ip_format(dst, text, sizeof text);
    return mctx__fail(err, MCTX_E_IPV6_SCOPED_MULTICAST_REQUIRES_INTERFACE,
                      MCTX_SUBJECT_DATAGRAM, 0,
                      "IPv6 destination %s is link- or interface-local: no "
                      "route can pick its interface; give the publication "
                      "an interface",
                      text);
  }
  return mctx__raw_routes_lookup(pub->routes, dst, &slot->info.source,
                                 &slot->hop, err);
}

/* Reads and checks one datagram and picks its way: slot->info and
 * slot->len filled, *path set, and for the kernel way the next header in
 * *protocol (its socket is looked up by prepare_datagram). */
static int
check_datagram(mctx_raw_publication *pub, const mctx_buf *bufs, size_t nbufs,
               uint8_t copy[MCTX__RAW_HEAD_MAX], const uint8_t **head,
               raw_slot *slot, mctx_raw_path *path, mctx_error *err)
{
  int rc = read_head(bufs, nbufs, &slot->len, head, copy, err);
  if (rc == MCTX_OK)
    rc = mctx__raw_datagram_check_head(*head, slot->len, pub->config.validation,
                                       &slot->info, err);
  if (rc == MCTX_OK)
    rc = check_family(pub, &slot->info, err);
  if (rc != MCTX_OK)
    return rc;
  if (slot->info.family == MCTX_FAMILY_IPV4) {
    slot->hop = pub->hop;
    *path = MCTX_RAW_PATH_IPV4_HDRINCL;
    return MCTX_OK;
  }
  rc = ipv6_hop(pub, slot, err);
  if (rc != MCTX_OK)
    return rc;
  if (is_local_ipv6(pub, slot->info.source.bytes, slot->hop.ifindex)) {
    *path = MCTX_RAW_PATH_IPV6_KERNEL_HEADER;
    return check_kernel_header(&slot->info, err);
  }
  *path = MCTX_RAW_PATH_IPV6_LINK_LAYER;
  return check_link_layer(pub, slot, err);
}

/* The socket of a checked datagram's way and its message, built in slot
 * with iovecs written to iov (at most nbufs + 1). */
static int
prepare_datagram(mctx_raw_publication *pub, const mctx_buf *bufs, size_t nbufs,
                 const uint8_t *head, mctx_raw_path path, raw_slot *slot,
                 struct iovec *iov, struct msghdr *msg, int *fd,
                 mctx_error *err)
{
  switch (path) {
    case MCTX_RAW_PATH_IPV4_HDRINCL:
      *fd = pub->fd4;
      prepare_ipv4(pub, bufs, nbufs, head, slot, iov, msg);
      return MCTX_OK;
    case MCTX_RAW_PATH_IPV6_KERNEL_HEADER: {
      int rc = raw6_socket_for(pub, slot->info.protocol, fd, err);
      if (rc != MCTX_OK)
        return rc;
      prepare_ipv6_kernel_header(pub, bufs, nbufs, head, slot, iov, msg);
      return MCTX_OK;
    }
    case MCTX_RAW_PATH_IPV6_LINK_LAYER:
    default:
      *fd = pub->packet_fd;
      prepare_ipv6_link_layer(pub, bufs, nbufs, head, slot, iov, msg);
      return MCTX_OK;
  }
}

static void
fill_report(const raw_slot *slot, mctx_raw_path path,
            mctx_raw_send_report *report)
{
  if (report == NULL)
    return;
  report->datagram = slot->info;
  if (slot->info.family == MCTX_FAMILY_IPV6 &&
      mctx_ipv6_multicast_scope(&slot->info.destination) <= 2)
    report->datagram.destination.scope_id = slot->hop.ifindex;
  report->path = path;
  report->interface_index = slot->hop.ifindex;
  report->bytes_sent = slot->len;
}

static int
record_failure(mctx_raw_publication *pub, int rc)
{
  mctx__metrics_record(&pub->metrics, 1, 0, 0, 1,
                       rc == MCTX_E_WOULD_BLOCK ? 1 : 0);
  return rc;
}

int
mctx_raw_publication_sendv(mctx_raw_publication *pub, const mctx_buf *bufs,
                           size_t nbufs, mctx_raw_send_report *report,
                           mctx_error *err)
{
  if (pub == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no raw publication given");
  uint8_t copy[MCTX__RAW_HEAD_MAX];
  const uint8_t *head = NULL;
  raw_slot slot;
  mctx_raw_path path;
  struct msghdr msg;
  int fd = -1;
  if (pub->routes != NULL)
    mctx__raw_routes_poll(pub->routes);
  int rc = check_datagram(pub, bufs, nbufs, copy, &head, &slot, &path, err);
  if (rc == MCTX_OK)
    rc = prepare_datagram(pub, bufs, nbufs, head, path, &slot, pub->iov, &msg,
                          &fd, err);
  if (rc == MCTX_OK && sendmsg(fd, &msg, 0) < 0)
    rc = send_error(pub, &slot, errno, err);
  if (rc != MCTX_OK)
    return record_failure(pub, rc);
  mctx__metrics_record(&pub->metrics, 1, 1, slot.len, 0, 0);
  fill_report(&slot, path, report);
  return mctx__ok(err);
}

/* ---- batches -------------------------------------------------------------
 *
 * A run of datagrams that take the same socket leaves in one sendmmsg; the
 * messages are built in the publication's slots and iovec pool, so a batch
 * allocates nothing. A run ends at RAW_BATCH datagrams, at a datagram of
 * another way (or, for the kernel way, another next header: fetching its
 * socket could evict the run's), or where the iovec pool is full. */

/* The next run of datagrams[0..count): checked and prepared into
 * pub->msgs. Returns how many (0 with rc set when the first is refused),
 * their socket in *fd. */
static size_t
prepare_run(mctx_raw_publication *pub, const mctx_datagram *datagrams,
            size_t count, int *fd, int *rc, mctx_error *err)
{
  size_t n = 0, iov_used = 0;
  mctx_raw_path run_path = MCTX_RAW_PATH_IPV4_HDRINCL;
  uint8_t run_protocol = 0;
  *rc = MCTX_OK;
  while (n < count && n < RAW_BATCH) {
    const mctx_datagram *d = &datagrams[n];
    uint8_t copy[MCTX__RAW_HEAD_MAX];
    const uint8_t *head = NULL;
    mctx_raw_path path;
    raw_slot *slot = &pub->slots[n];
    /* A refusal after the first only ends the run: it is reported when
     * the next run starts with it. */
    mctx_error *run_err = n == 0 ? err : NULL;
    int checked = check_datagram(pub, d->bufs, d->nbufs, copy, &head, slot,
                                 &path, run_err);
    if (checked != MCTX_OK) {
      if (n == 0)
        *rc = checked;
      break;
    }
    if (n > 0 &&
        (path != run_path || (path == MCTX_RAW_PATH_IPV6_KERNEL_HEADER &&
                              slot->info.protocol != run_protocol)))
      break;
    if (iov_used + d->nbufs + 1 > RAW_MAX_BUFFERS + 1)
      break;
    int way_fd = -1;
    int prepared = prepare_datagram(pub, d->bufs, d->nbufs, head, path, slot,
                                    pub->iov + iov_used, &pub->msgs[n].msg_hdr,
                                    &way_fd, run_err);
    if (prepared != MCTX_OK) {
      if (n == 0)
        *rc = prepared;
      break;
    }
    struct msghdr *msg = &pub->msgs[n].msg_hdr;
    if (msg->msg_iov != as_iovec(d->bufs))
      iov_used += msg->msg_iovlen;
    run_path = path;
    run_protocol = slot->info.protocol;
    *fd = way_fd;
    n++;
  }
  return n;
}

int
mctx_raw_publication_send_batch(mctx_raw_publication *pub,
                                const mctx_datagram *datagrams, size_t count,
                                size_t *sent, mctx_error *err)
{
  size_t done = 0;
  if (sent != NULL)
    *sent = 0;
  if (pub == NULL || (datagrams == NULL && count != 0))
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no raw publication or datagrams given");
  int rc = MCTX_OK;
  if (pub->routes != NULL)
    mctx__raw_routes_poll(pub->routes);
  /* Bounded: every pass sends at least one datagram or returns. */
  while (done < count) {
    int fd = -1;
    size_t n = prepare_run(pub, datagrams + done, count - done, &fd, &rc, err);
    if (n == 0) {
      record_failure(pub, rc);
      break;
    }
    int went;
    do
      went = sendmmsg(fd, pub->msgs, (unsigned) n, 0);
    while (went < 0 && errno == EINTR);
    if (went < 0) {
      rc = record_failure(pub, send_error(pub, &pub->slots[0], errno, err));
      break;
    }
    uint64_t bytes = 0;
    for (int i = 0; i < went; i++)
      bytes += pub->slots[i].len;
    mctx__metrics_record(&pub->metrics, (uint64_t) went, (uint64_t) went, bytes,
                         0, 0);
    done += (size_t) went;
  }
  if (sent != NULL)
    *sent = done;
  return rc == MCTX_OK ? mctx__ok(err) : rc;
}

/* ---- capabilities ------------------------------------------------------- */

/* The sockets open_ipv4, open_raw6 and open_packet open, opened and closed
 * again: whatever refuses them refuses a publication too. */
static mctx_raw_capability
probe_socket(int domain, int type, int protocol, mctx_raw_capability yes,
             int *sys_errno)
{
  int fd = socket(domain, type | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    *sys_errno = errno;
    return MCTX_RAW_CAPABILITY_UNSUPPORTED;
  }
  close(fd);
  *sys_errno = 0;
  return yes;
}

static void
probe_linux(mctx_raw_capabilities *out)
{
  out->ipv4 = probe_socket(AF_INET, SOCK_RAW, IPPROTO_RAW,
                           MCTX_RAW_CAPABILITY_FULL_DATAGRAM, &out->ipv4_errno);
  out->ipv6_local_source =
      probe_socket(AF_INET6, SOCK_RAW, IPPROTO_UDP,
                   MCTX_RAW_CAPABILITY_KERNEL_REBUILT_IPV6_HEADER,
                   &out->ipv6_local_source_errno);
  out->ipv6_any_source =
      probe_socket(AF_PACKET, SOCK_DGRAM, 0, MCTX_RAW_CAPABILITY_FULL_DATAGRAM,
                   &out->ipv6_any_source_errno);
  out->ipv4_route_selected = out->ipv4; /* the same socket, unbound */
  /* The explicit sockets (an open needs both) and the route lookups. */
  int *e6 = &out->ipv6_route_selected_errno;
  if (out->ipv6_local_source == MCTX_RAW_CAPABILITY_UNSUPPORTED)
    *e6 = out->ipv6_local_source_errno;
  else if (out->ipv6_any_source == MCTX_RAW_CAPABILITY_UNSUPPORTED)
    *e6 = out->ipv6_any_source_errno;
  else {
    mctx__raw_routes *routes;
    mctx_error err;
    if (mctx__raw_routes_open(&routes, &err) == MCTX_OK)
      mctx__raw_routes_close(routes);
    else
      *e6 = err.sys_errno != 0 ? err.sys_errno : EPROTONOSUPPORT;
  }
  out->ipv6_route_selected = *e6 == 0 ? MCTX_RAW_CAPABILITY_FULL_DATAGRAM
                                      : MCTX_RAW_CAPABILITY_UNSUPPORTED;
}

#else /* !__linux__ */

/* Link-layer injection and IP_HDRINCL semantics differ per system; until a
 * port exists, raw publications are refused rather than half working. */
struct mctx_raw_publication {
  mctx_raw_config config;
};

int
mctx_raw_publication_open(const mctx_raw_config *cfg,
                          mctx_raw_publication **out, mctx_error *err)
{
  if (out != NULL)
    *out = NULL;
  int rc = mctx_raw_config_validate(cfg, err);
  if (rc != MCTX_OK)
    return rc;
  return mctx__fail(err, MCTX_E_RAW_UNSUPPORTED, MCTX_SUBJECT_NONE, 0,
                    "raw publications are only implemented on Linux");
}

void
mctx_raw_publication_close(mctx_raw_publication *pub)
{
  (void) pub;
}

const mctx_raw_config *
mctx_raw_publication_get_config(const mctx_raw_publication *pub)
{
  return pub ? &pub->config : NULL;
}

int
mctx_raw_publication_sendv(mctx_raw_publication *pub, const mctx_buf *bufs,
                           size_t nbufs, mctx_raw_send_report *report,
                           mctx_error *err)
{
  (void) pub;
  (void) bufs;
  (void) nbufs;
  (void) report;
  return mctx__fail(err, MCTX_E_RAW_UNSUPPORTED, MCTX_SUBJECT_NONE, 0,
                    "raw publications are only implemented on Linux");
}

void
mctx_raw_publication_metrics_snapshot(const mctx_raw_publication *pub,
                                      mctx_metrics *out)
{
  (void) pub;
  if (out != NULL)
    *out = (mctx_metrics){0};
}

int
mctx_raw_publication_send_batch(mctx_raw_publication *pub,
                                const mctx_datagram *datagrams, size_t count,
                                size_t *sent, mctx_error *err)
{
  (void) pub;
  (void) datagrams;
  (void) count;
  if (sent != NULL)
    *sent = 0;
  return mctx__fail(err, MCTX_E_RAW_UNSUPPORTED, MCTX_SUBJECT_NONE, 0,
                    "raw publications are only implemented on Linux");
}

#endif

/* Elsewhere every answer is UNSUPPORTED, as the opens are. */
int
mctx_raw_capabilities_probe(mctx_raw_capabilities *out, mctx_error *err)
{
  if (out == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no place for the raw capabilities given");
  memset(out, 0, sizeof *out);
#if defined(__linux__)
  probe_linux(out);
#endif
  return mctx__ok(err);
}

/* One datagram in one buffer: the same path as several. */
int
mctx_raw_publication_send(mctx_raw_publication *pub, const void *datagram,
                          size_t len, mctx_raw_send_report *report,
                          mctx_error *err)
{
  mctx_buf buf = {.base = (void *) datagram, .len = len};
  return mctx_raw_publication_sendv(pub, &buf, 1, report, err);
}
