/* Socket setup on Windows: the plan of socket_plan.c applied with Winsock,
 * in mctx-core's order: non-blocking, IPV6_V6ONLY (new IPv6 sockets),
 * bind, multicast interface, loopback, TTL / hops, DSCP, SO_SNDBUF,
 * connect. The group is never joined.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Differences from posix/socket.c: IP_MULTICAST_IF takes an address, or
 * an index written as the address 0.0.0.x (there is no ip_mreqn);
 * IP_RECVERR does not exist (report_local_drops is ignored: a full queue
 * shows as WSAENOBUFS anyway); the blocking mode of a caller's socket
 * cannot be read, so a failed adopt leaves it non-blocking.
 */
#include "win32/winsock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int
option_failed(mctx_error *err, mctx_subject subject, const char *option,
              const char *value)
{
  char text[128];
  int e = mctx__win32_last_error(text, sizeof text);
  return mctx__fail(err, MCTX_E_SOCKET_OPTION_FAILED, subject, e,
                    "%s %s failed: %s", option, value, text);
}

/* Winsock's integer options are DWORDs. */
static int
set_dword_option(int fd, int level, int name, DWORD value, const char *option,
                 const char *value_text, mctx_subject subject, mctx_error *err)
{
  if (setsockopt(MCTX__SOCKET(fd), level, name, (const char *) &value,
                 sizeof value) == 0)
    return MCTX_OK;
  char text[16];
  if (value_text == NULL) {
    snprintf(text, sizeof text, "%lu", (unsigned long) value);
    value_text = text;
  }
  return option_failed(err, subject, option, value_text);
}

static int
set_non_blocking(int fd, mctx_error *err)
{
  u_long on = 1;
  if (ioctlsocket(MCTX__SOCKET(fd), FIONBIO, &on) != 0)
    return option_failed(err, MCTX_SUBJECT_SOCKET, "FIONBIO", "on");
  return MCTX_OK;
}

static int
bind_endpoint(int fd, const mctx__socket_plan *plan, mctx_error *err)
{
  const mctx_endpoint *ep = &plan->bind_to;
  struct sockaddr_storage ss;
  int len = (int) mctx__sockaddr_from_endpoint(ep, &ss);
  if (bind(MCTX__SOCKET(fd), (struct sockaddr *) &ss, len) == 0)
    return MCTX_OK;
  char text[128], where[MCTX_ENDPOINT_STRLEN];
  int e = mctx__win32_last_error(text, sizeof text);
  mctx_endpoint_format(ep, where, sizeof where);
  if (e == EADDRNOTAVAIL && !mctx_ip_is_unspecified(&ep->ip))
    return mctx__fail(err, MCTX_E_SOCKET_BIND_FAILED, plan->bind_subject, e,
                      "%s %s is not an address of this host (bind: %s)",
                      plan->bind_role, mctx__ip_text(&ep->ip, where), text);
  mctx_subject subject = e == EADDRINUSE && ep->port != 0
                             ? MCTX_SUBJECT_SOURCE_PORT
                             : plan->bind_subject;
  return mctx__fail(err, MCTX_E_SOCKET_BIND_FAILED, subject, e,
                    "bind to %s failed: %s", where, text);
}

static int
set_multicast_interface(int fd, const mctx_publication_config *cfg,
                        const mctx__socket_plan *plan, mctx_error *err)
{
  char text[MCTX_IP_STRLEN];
  if (plan->family == MCTX_FAMILY_IPV6) {
    if (plan->interface_index == 0)
      return MCTX_OK;
    return set_dword_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF,
                            plan->interface_index, "IPV6_MULTICAST_IF", NULL,
                            MCTX_SUBJECT_INTERFACE, err);
  }
  DWORD value;
  if (plan->v4_if_by_address) {
    memcpy(&value, cfg->interface.address.bytes, 4);
    mctx__ip_text(&cfg->interface.address, text);
  } else if (plan->interface_index != 0) {
    /* An index travels as the address 0.0.0.index (network order). */
    value = htonl(plan->interface_index);
    mctx__index_text(plan->interface_index, text, sizeof text);
  } else {
    return MCTX_OK;
  }
  if (setsockopt(MCTX__SOCKET(fd), IPPROTO_IP, IP_MULTICAST_IF,
                 (const char *) &value, sizeof value) == 0)
    return MCTX_OK;
  char why[128];
  int e = mctx__win32_last_error(why, sizeof why);
  /* Windows reads 0.0.0.x as an index since XP; wine passes it to Linux as
   * an address, which refuses it (EINVAL). The interface's first IPv4
   * address names the same interface on both. */
  mctx_ip first;
  if (!plan->v4_if_by_address && e == EINVAL &&
      mctx__iface_first_ipv4(plan->interface_index, &first, NULL) == MCTX_OK) {
    memcpy(&value, first.bytes, 4);
    if (setsockopt(MCTX__SOCKET(fd), IPPROTO_IP, IP_MULTICAST_IF,
                   (const char *) &value, sizeof value) == 0)
      return MCTX_OK;
    e = mctx__win32_last_error(why, sizeof why);
  }
  if (plan->v4_if_by_address && e == EADDRNOTAVAIL)
    return mctx__fail(err, MCTX_E_SOCKET_OPTION_FAILED, MCTX_SUBJECT_INTERFACE,
                      e,
                      "interface address %s is not an address of this "
                      "host (IP_MULTICAST_IF: %s)",
                      text, why);
  return mctx__fail(err, MCTX_E_SOCKET_OPTION_FAILED, MCTX_SUBJECT_INTERFACE, e,
                    "IP_MULTICAST_IF %s failed: %s", text, why);
}

int
mctx__socket_set_ttl(int fd, mctx_family family, uint32_t ttl, mctx_error *err)
{
  bool v6 = family == MCTX_FAMILY_IPV6;
  const char *option = v6 ? "IPV6_MULTICAST_HOPS" : "IP_MULTICAST_TTL";
  /* Windows has no "back to the default" value: its default is 1. */
  DWORD value = ttl == MCTX_TTL_UNCHANGED ? 1 : ttl;
  if (ttl > 255 && ttl != MCTX_TTL_UNCHANGED) {
    char text[16];
    snprintf(text, sizeof text, "%u", (unsigned) ttl);
    return mctx__fail(err, MCTX_E_SOCKET_OPTION_FAILED, MCTX_SUBJECT_TTL,
                      EINVAL, "%s %s failed: not in 0..255", option, text);
  }
  return set_dword_option(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
                          v6 ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL, value,
                          option, NULL, MCTX_SUBJECT_TTL, err);
}

int
mctx__socket_set_loopback(int fd, mctx_family family, bool on, mctx_error *err)
{
  bool v6 = family == MCTX_FAMILY_IPV6;
  return set_dword_option(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
                          v6 ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP,
                          on ? 1 : 0,
                          v6 ? "IPV6_MULTICAST_LOOP" : "IP_MULTICAST_LOOP",
                          NULL, MCTX_SUBJECT_LOOPBACK, err);
}

/* Windows accepts IP_TOS / IPV6_TCLASS but marks packets only where a
 * policy (qWAVE, group policy) allows; the option is still set so that a
 * refusal is reported. */
int
mctx__socket_set_dscp(int fd, mctx_family family, int dscp, mctx_error *err)
{
  bool v6 = family == MCTX_FAMILY_IPV6;
  DWORD tos = dscp < 0 ? 0 : (DWORD) dscp << 2;
  return set_dword_option(
      fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_TCLASS : IP_TOS, tos,
      v6 ? "IPV6_TCLASS" : "IP_TOS", NULL, MCTX_SUBJECT_DSCP, err);
}

static int
set_extras(int fd, const mctx_publication_config *cfg, mctx_family family,
           mctx_error *err)
{
  int rc;
  if (cfg->dscp >= 0) {
    rc = mctx__socket_set_dscp(fd, family, cfg->dscp, err);
    if (rc != MCTX_OK)
      return rc;
  }
  if (cfg->send_buffer_size > 0) {
    rc = set_dword_option(fd, SOL_SOCKET, SO_SNDBUF,
                          (DWORD) cfg->send_buffer_size, "SO_SNDBUF", NULL,
                          MCTX_SUBJECT_SEND_BUFFER_SIZE, err);
    if (rc != MCTX_OK)
      return rc;
  }
  return MCTX_OK;
}

static int
configure_and_connect(int fd, const mctx_publication_config *cfg,
                      const mctx__socket_plan *plan, mctx_error *err)
{
  int rc = set_multicast_interface(fd, cfg, plan, err);
  if (rc == MCTX_OK)
    rc = mctx__socket_set_loopback(fd, plan->family, cfg->loopback, err);
  if (rc == MCTX_OK && cfg->ttl != MCTX_TTL_UNCHANGED)
    rc = mctx__socket_set_ttl(fd, plan->family, cfg->ttl, err);
  if (rc == MCTX_OK)
    rc = set_extras(fd, cfg, plan->family, err);
  if (rc == MCTX_OK)
    rc = mctx__socket_check_scope(cfg, plan, err);
  if (rc != MCTX_OK)
    return rc;

  struct sockaddr_storage ss;
  int len = (int) mctx__sockaddr_from_endpoint(&plan->destination, &ss);
  if (connect(MCTX__SOCKET(fd), (struct sockaddr *) &ss, len) != 0) {
    char text[MCTX_ENDPOINT_STRLEN], why[128];
    int e = mctx__win32_last_error(why, sizeof why);
    return mctx__fail(
        err, MCTX_E_SOCKET_CONNECT_FAILED, MCTX_SUBJECT_GROUP, e,
        "connect to %s failed: %s",
        mctx_endpoint_format(&plan->destination, text, sizeof text), why);
  }
  return MCTX_OK;
}

static void
fill_setup(int fd, const mctx__socket_plan *plan, mctx__socket_setup *out)
{
  out->fd = fd;
  out->destination = plan->destination;
  out->interface_index = plan->interface_index;
  out->has_local = mctx__socket_local(fd, &out->local, NULL) == MCTX_OK;
}

int
mctx__socket_open(const mctx_publication_config *cfg, mctx__socket_setup *out,
                  mctx_error *err)
{
  mctx__socket_plan plan;
  int rc = mctx__socket_plan_make(cfg, &plan, err);
  if (rc != MCTX_OK)
    return rc;

  bool v6 = plan.family == MCTX_FAMILY_IPV6;
  /* Not inheritable by child processes, as SOCK_CLOEXEC on POSIX. */
  SOCKET s = WSASocketW(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, IPPROTO_UDP, NULL,
                        0, WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) {
    char text[128];
    int e = mctx__win32_last_error(text, sizeof text);
    return mctx__fail(err, MCTX_E_SOCKET_CREATE_FAILED, MCTX_SUBJECT_SOCKET, e,
                      "socket(%s, SOCK_DGRAM) failed: %s",
                      v6 ? "AF_INET6" : "AF_INET", text);
  }
  int fd = (int) s;

  rc = set_non_blocking(fd, err);
  if (rc == MCTX_OK && v6)
    rc = set_dword_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY", NULL,
                          MCTX_SUBJECT_SOCKET, err);
  if (rc == MCTX_OK && plan.bind)
    rc = bind_endpoint(fd, &plan, err);
  if (rc == MCTX_OK)
    rc = configure_and_connect(fd, cfg, &plan, err);
  if (rc != MCTX_OK) {
    closesocket(s);
    return rc;
  }
  fill_setup(fd, &plan, out);
  return MCTX_OK;
}

/* The caller's socket is UDP of the group's family, asked of Winsock
 * (SO_PROTOCOL_INFOW) before anything else reads or changes it, as
 * posix/socket.c does with SO_DOMAIN, SO_TYPE and SO_PROTOCOL. */
static int
check_socket_kind(int fd, const mctx_publication_config *cfg, mctx_error *err)
{
  WSAPROTOCOL_INFOW info;
  int len = sizeof info;
  char text[128];
  if (getsockopt(MCTX__SOCKET(fd), SOL_SOCKET, SO_PROTOCOL_INFOW,
                 (char *) &info, &len) != 0) {
    int e = mctx__win32_last_error(text, sizeof text);
    return mctx__fail(err, MCTX_E_EXISTING_SOCKET_NOT_UDP, MCTX_SUBJECT_SOCKET,
                      e, "descriptor %d is not a usable socket: %s", fd, text);
  }
  return mctx__socket_check_kind(info.iAddressFamily, info.iSocketType,
                                 info.iProtocol, cfg, err);
}

int
mctx__socket_adopt(const mctx_publication_config *cfg, int fd,
                   mctx__socket_setup *out, mctx_error *err)
{
  bool is_bound;
  mctx__socket_plan plan;
  int rc = check_socket_kind(fd, cfg, err);
  if (rc == MCTX_OK)
    rc = mctx__socket_adopt_plan(cfg, fd, &plan, &is_bound, err);
  if (rc != MCTX_OK)
    return rc;

  rc = set_non_blocking(fd, err);
  if (rc == MCTX_OK && plan.bind && !is_bound)
    rc = bind_endpoint(fd, &plan, err);
  if (rc == MCTX_OK)
    rc = configure_and_connect(fd, cfg, &plan, err);
  if (rc != MCTX_OK)
    return rc;
  fill_setup(fd, &plan, out);
  return MCTX_OK;
}

/* Winsock connects a UDP socket again in place: the multicast interface
 * set again and a new connect replace what the old interface gave. Not
 * disconnected first as on POSIX: Winsock picks the source per send for
 * an unbound socket. */
int
mctx__socket_follow(int fd, const mctx_publication_config *cfg,
                    const mctx__socket_plan *plan, mctx_endpoint *local,
                    mctx_error *err)
{
  int rc = configure_and_connect(fd, cfg, plan, err);
  if (rc == MCTX_OK)
    rc = mctx__socket_local(fd, local, err);
  return rc;
}

int
mctx__socket_local(int fd, mctx_endpoint *out, mctx_error *err)
{
  struct sockaddr_storage ss;
  int len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (getsockname(MCTX__SOCKET(fd), (struct sockaddr *) &ss, &len) != 0) {
    char text[128];
    int e = mctx__win32_last_error(text, sizeof text);
    return mctx__fail(err, MCTX_E_SOCKET_LOCAL_ADDR_FAILED, MCTX_SUBJECT_SOCKET,
                      e, "getsockname failed: %s", text);
  }
  if (mctx__endpoint_from_sockaddr((struct sockaddr *) &ss, out) != 0)
    return mctx__fail(err, MCTX_E_SOCKET_LOCAL_ADDR_FAILED, MCTX_SUBJECT_SOCKET,
                      0, "socket has address family %d, not IPv4 or IPv6",
                      (int) ss.ss_family);
  return MCTX_OK;
}

void
mctx__socket_close(int fd)
{
  if (fd >= 0)
    closesocket(MCTX__SOCKET(fd));
}

int
mctx_socket_dup(int fd, int *out, mctx_error *err)
{
  if (out == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "out must not be NULL");
  WSAPROTOCOL_INFOW info;
  SOCKET copy = INVALID_SOCKET;
  if (WSADuplicateSocketW(MCTX__SOCKET(fd), GetCurrentProcessId(), &info) == 0)
    copy =
        WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                   &info, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (copy == INVALID_SOCKET) {
    char text[128];
    int e = mctx__win32_last_error(text, sizeof text);
    return mctx__fail(err, MCTX_E_SOCKET_CREATE_FAILED, MCTX_SUBJECT_SOCKET, e,
                      "could not duplicate the socket: %s", text);
  }
  *out = (int) (intptr_t) copy;
  return mctx__ok(err);
}

void
mctx_socket_close(int fd)
{
  mctx__socket_close(fd);
}
