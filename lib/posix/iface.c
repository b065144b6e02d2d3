/* Interface discovery on POSIX: getifaddrs, if_nametoindex, if_indextoname.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx-private.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* getifaddrs names IPv4 alias addresses by their label ("eth0:1"); the
 * device is the part before the colon (Linux forbids ':' in device names). */
static void
device_name_of(const char *ifa_name, char out[IF_NAMESIZE])
{
  size_t len = strcspn(ifa_name, ":");
  if (len >= IF_NAMESIZE)
    len = IF_NAMESIZE - 1;
  memcpy(out, ifa_name, len);
  out[len] = '\0';
}

/* Does this getifaddrs entry carry exactly addr? A link-local IPv6 address
 * with a scope must also be on the interface the scope names. */
static bool
entry_has_address(const struct ifaddrs *ifa, const mctx_ip *addr)
{
  const struct sockaddr *sa = ifa->ifa_addr;
  if (sa == NULL)
    return false;
  if (sa->sa_family == AF_INET && addr->family == MCTX_FAMILY_IPV4) {
    const struct sockaddr_in *sin =
        (const struct sockaddr_in *) (const void *) sa;
    return memcmp(&sin->sin_addr, addr->bytes, 4) == 0;
  }
  if (sa->sa_family == AF_INET6 && addr->family == MCTX_FAMILY_IPV6) {
    const struct sockaddr_in6 *sin6 =
        (const struct sockaddr_in6 *) (const void *) sa;
    if (memcmp(&sin6->sin6_addr, addr->bytes, 16) != 0)
      return false;
    if (addr->scope_id != 0 && mctx_ip_is_link_local_unicast(addr))
      return sin6->sin6_scope_id == addr->scope_id;
    return true;
  }
  return false;
}

int
mctx__iface_index_of(const mctx_ip *addr, const char *what,
                     mctx_subject subject, uint32_t *index, mctx_error *err)
{
  if (addr == NULL || index == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no address or result given");

  char addr_text[MCTX_IP_STRLEN];
  mctx_ip_format(addr, addr_text, sizeof addr_text);
  if (addr->family != MCTX_FAMILY_IPV4 && addr->family != MCTX_FAMILY_IPV6)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "%s is %s", what, addr_text);

  struct ifaddrs *list;
  if (getifaddrs(&list) != 0)
    return mctx__fail(err, MCTX_E_INTERFACE_DISCOVERY_FAILED, subject, errno,
                      "cannot list interfaces to find %s %s: %s", what,
                      addr_text, strerror(errno));

  int rc = MCTX_OK;
  uint32_t found = 0;
  char found_name[IF_NAMESIZE] = "";
  for (const struct ifaddrs *ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
    if (!entry_has_address(ifa, addr))
      continue;
    char name[IF_NAMESIZE];
    device_name_of(ifa->ifa_name, name);
    uint32_t idx = if_nametoindex(name);
    if (idx == 0) {
      rc = mctx__fail(err, MCTX_E_INTERFACE_DISCOVERY_FAILED, subject, errno,
                      "%s %s is on interface %s, which has no index", what,
                      addr_text, name);
      break;
    }
    if (found == 0) {
      found = idx;
      memcpy(found_name, name, sizeof found_name);
    } else if (idx != found) {
      rc = mctx__fail(err, MCTX_E_INTERFACE_DISCOVERY_FAILED, subject, 0,
                      "%s %s is ambiguous: on %s and %s", what, addr_text,
                      found_name, name);
      break;
    }
  }
  freeifaddrs(list);

  if (rc != MCTX_OK)
    return rc;
  if (found == 0)
    return mctx__fail(err, MCTX_E_INTERFACE_DISCOVERY_FAILED, subject, 0,
                      "%s %s is not assigned to any interface", what,
                      addr_text);
  *index = found;
  return mctx__ok(err);
}

int
mctx__iface_index_exists(uint32_t index, mctx_subject subject, mctx_error *err)
{
  char name[IF_NAMESIZE];
  if (index == 0 || if_indextoname(index, name) == NULL)
    return mctx__fail(err, MCTX_E_INTERFACE_NOT_FOUND, subject,
                      index ? errno : 0, "interface index %u does not exist",
                      (unsigned) index);
  return mctx__ok(err);
}

int
mctx__iface_first_ipv4(uint32_t index, mctx_ip *out, mctx_error *err)
{
  if (out == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no result given");

  char name[IF_NAMESIZE];
  if (index == 0 || if_indextoname(index, name) == NULL)
    return mctx__fail(err, MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_INTERFACE,
                      index ? errno : 0, "interface index %u does not exist",
                      (unsigned) index);

  struct ifaddrs *list;
  if (getifaddrs(&list) != 0)
    return mctx__fail(
        err, MCTX_E_INTERFACE_DISCOVERY_FAILED, MCTX_SUBJECT_INTERFACE, errno,
        "cannot list the addresses of interface %s: %s", name, strerror(errno));

  bool found = false;
  for (const struct ifaddrs *ifa = list; ifa != NULL && !found;
       ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET)
      continue;
    char device[IF_NAMESIZE];
    device_name_of(ifa->ifa_name, device);
    if (strcmp(device, name) != 0)
      continue;
    const struct sockaddr_in *sin =
        (const struct sockaddr_in *) (const void *) ifa->ifa_addr;
    memset(out, 0, sizeof *out);
    out->family = MCTX_FAMILY_IPV4;
    memcpy(out->bytes, &sin->sin_addr, 4);
    found = true;
  }
  freeifaddrs(list);

  if (!found)
    return mctx__fail(
        err, MCTX_E_INTERFACE_DISCOVERY_FAILED, MCTX_SUBJECT_INTERFACE, 0,
        "interface %s (index %u) has no IPv4 address", name, (unsigned) index);
  return mctx__ok(err);
}

uint32_t
mctx__iface_name_to_index(const char *name)
{
  return if_nametoindex(name);
}

/* POSIX sockets need no start. */
int
mctx__platform_acquire(mctx_error *err)
{
  return mctx__ok(err);
}

void
mctx__platform_release(void)
{
}
