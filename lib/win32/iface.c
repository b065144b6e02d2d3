/* Interface discovery on Windows: GetAdaptersAddresses.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * An adapter is named by its friendly name ("Ethernet 2", under wine the
 * Linux name "lo") or by the name if_nametoindex knows ("ethernet_4");
 * its GUID (AdapterName) is longer than MCTX_INTERFACE_NAME_MAX, so such
 * an adapter is given by index. GetAdaptersAddresses needs no WSAStartup.
 */
#include "win32/winsock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Adapters with their unicast addresses; free() the result. NULL with
 * *error set (a Win32 error code) on failure. */
static IP_ADAPTER_ADDRESSES *
list_adapters(ULONG *error)
{
  ULONG flags = GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST |
                GAA_FLAG_SKIP_DNS_SERVER;
  ULONG size = 16384;
  /* The list may grow between the size query and the call: a few tries. */
  for (int attempt = 0; attempt < 4; attempt++) {
    IP_ADAPTER_ADDRESSES *list = malloc(size);
    if (list == NULL) {
      *error = ERROR_NOT_ENOUGH_MEMORY;
      return NULL;
    }
    *error = GetAdaptersAddresses(AF_UNSPEC, flags, NULL, list, &size);
    if (*error == ERROR_SUCCESS)
      return list;
    free(list);
    if (*error != ERROR_BUFFER_OVERFLOW)
      return NULL;
  }
  return NULL;
}

/* The index an address family uses; Windows gives IPv6 its own, which
 * wine leaves 0 (the same interface then). */
static uint32_t
adapter_index(const IP_ADAPTER_ADDRESSES *a, int family)
{
  if (family == AF_INET6 && a->Ipv6IfIndex != 0)
    return a->Ipv6IfIndex;
  return a->IfIndex != 0 ? a->IfIndex : a->Ipv6IfIndex;
}

static void
friendly_name(const IP_ADAPTER_ADDRESSES *a, char *buf, size_t size)
{
  if (a->FriendlyName == NULL ||
      WideCharToMultiByte(CP_UTF8, 0, a->FriendlyName, -1, buf, (int) size,
                          NULL, NULL) == 0)
    snprintf(buf, size, "%s", a->AdapterName ? a->AdapterName : "?");
}

static bool
has_index(const IP_ADAPTER_ADDRESSES *a, uint32_t index)
{
  return index != 0 && (a->IfIndex == index || a->Ipv6IfIndex == index);
}

static bool
unicast_is(const SOCKET_ADDRESS *sa, const mctx_ip *addr)
{
  const struct sockaddr *s = sa->lpSockaddr;
  if (s == NULL)
    return false;
  if (s->sa_family == AF_INET && addr->family == MCTX_FAMILY_IPV4)
    return memcmp(&((const struct sockaddr_in *) (const void *) s)->sin_addr,
                  addr->bytes, 4) == 0;
  if (s->sa_family == AF_INET6 && addr->family == MCTX_FAMILY_IPV6) {
    const struct sockaddr_in6 *sin6 =
        (const struct sockaddr_in6 *) (const void *) s;
    if (memcmp(&sin6->sin6_addr, addr->bytes, 16) != 0)
      return false;
    if (addr->scope_id != 0 && mctx_ip_is_link_local_unicast(addr))
      return sin6->sin6_scope_id == addr->scope_id;
    return true;
  }
  return false;
}

static int
discovery_failed(mctx_error *err, mctx_subject subject, ULONG error,
                 const char *what)
{
  char text[128];
  return mctx__fail(err, MCTX_E_INTERFACE_DISCOVERY_FAILED, subject,
                    (int) error, "cannot list interfaces to find %s: %s", what,
                    mctx__win32_error_text((int) error, text, sizeof text));
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

  ULONG error;
  IP_ADAPTER_ADDRESSES *list = list_adapters(&error);
  if (list == NULL)
    return discovery_failed(err, subject, error, addr_text);

  int family = addr->family == MCTX_FAMILY_IPV4 ? AF_INET : AF_INET6;
  int rc = MCTX_OK;
  uint32_t found = 0;
  char found_name[128] = "", name[128];
  for (const IP_ADAPTER_ADDRESSES *a = list; a != NULL && rc == MCTX_OK;
       a = a->Next) {
    bool here = false;
    for (const IP_ADAPTER_UNICAST_ADDRESS *u = a->FirstUnicastAddress;
         u != NULL && !here; u = u->Next)
      here = unicast_is(&u->Address, addr);
    if (!here)
      continue;
    uint32_t idx = adapter_index(a, family);
    friendly_name(a, name, sizeof name);
    if (found == 0) {
      found = idx;
      memcpy(found_name, name, sizeof found_name);
    } else if (idx != found) {
      rc = mctx__fail(err, MCTX_E_INTERFACE_DISCOVERY_FAILED, subject, 0,
                      "%s %s is ambiguous: on %s and %s", what, addr_text,
                      found_name, name);
    }
  }
  free(list);
  if (rc != MCTX_OK)
    return rc;
  if (found == 0)
    return mctx__fail(err, MCTX_E_INTERFACE_DISCOVERY_FAILED, subject, 0,
                      "%s %s is not assigned to any interface", what,
                      addr_text);
  *index = found;
  return mctx__ok(err);
}

/* Is there an adapter with this index (either family's)? */
static bool
adapter_exists(uint32_t index)
{
  ULONG error;
  IP_ADAPTER_ADDRESSES *list = list_adapters(&error);
  bool found = false;
  for (const IP_ADAPTER_ADDRESSES *a = list; a != NULL && !found; a = a->Next)
    found = has_index(a, index);
  free(list);
  return found;
}

int
mctx__iface_index_exists(uint32_t index, mctx_subject subject, mctx_error *err)
{
  if (index == 0 || !adapter_exists(index))
    return mctx__fail(err, MCTX_E_INTERFACE_NOT_FOUND, subject, 0,
                      "interface index %u does not exist", (unsigned) index);
  return mctx__ok(err);
}

uint32_t
mctx__iface_name_to_index(const char *name)
{
  ULONG error;
  IP_ADAPTER_ADDRESSES *list = list_adapters(&error);
  uint32_t index = 0;
  char friendly[256];
  for (const IP_ADAPTER_ADDRESSES *a = list; a != NULL && index == 0;
       a = a->Next) {
    friendly_name(a, friendly, sizeof friendly);
    if (strcmp(friendly, name) == 0 ||
        (a->AdapterName != NULL && strcmp(a->AdapterName, name) == 0))
      index = adapter_index(a, AF_INET);
  }
  free(list);
  return index != 0 ? index : (uint32_t) if_nametoindex(name);
}

int
mctx__iface_first_ipv4(uint32_t index, mctx_ip *out, mctx_error *err)
{
  if (out == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no result given");
  ULONG error;
  IP_ADAPTER_ADDRESSES *list = list_adapters(&error);
  if (list == NULL)
    return discovery_failed(err, MCTX_SUBJECT_INTERFACE, error,
                            "an IPv4 address");
  bool exists = false, found = false;
  for (const IP_ADAPTER_ADDRESSES *a = list; a != NULL && !found; a = a->Next) {
    if (!has_index(a, index))
      continue;
    exists = true;
    for (const IP_ADAPTER_UNICAST_ADDRESS *u = a->FirstUnicastAddress;
         u != NULL && !found; u = u->Next) {
      const struct sockaddr *s = u->Address.lpSockaddr;
      if (s == NULL || s->sa_family != AF_INET)
        continue;
      memset(out, 0, sizeof *out);
      out->family = MCTX_FAMILY_IPV4;
      memcpy(out->bytes,
             &((const struct sockaddr_in *) (const void *) s)->sin_addr, 4);
      found = true;
    }
  }
  free(list);
  if (!exists)
    return mctx__fail(err, MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_INTERFACE,
                      0, "interface index %u does not exist", (unsigned) index);
  if (!found)
    return mctx__fail(
        err, MCTX_E_INTERFACE_DISCOVERY_FAILED, MCTX_SUBJECT_INTERFACE, 0,
        "interface index %u has no IPv4 address", (unsigned) index);
  return mctx__ok(err);
}
