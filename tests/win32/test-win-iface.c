/* Interface discovery on Windows against what the system (here wine)
 * reports through GetAdaptersAddresses: names, indexes, addresses.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "wintest.h"
#include "mctx-private.h"
#include "expect-error.h"

#include <iphlpapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static IP_ADAPTER_ADDRESSES *
adapters(void)
{
  ULONG size = 65536;
  IP_ADAPTER_ADDRESSES *list = malloc(size);
  TESTNET_CHECK(list != NULL, "memory");
  ULONG rc = GetAdaptersAddresses(
      AF_UNSPEC, GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST, NULL, list,
      &size);
  TESTNET_CHECK(rc == ERROR_SUCCESS, "GetAdaptersAddresses: %lu", rc);
  return list;
}

/* How many adapters carry this IPv4 address (an address on two is
 * ambiguous, which libmctx refuses). */
static int
carriers(const IP_ADAPTER_ADDRESSES *list, const struct sockaddr *sa)
{
  int n = 0;
  for (const IP_ADAPTER_ADDRESSES *a = list; a; a = a->Next)
    for (const IP_ADAPTER_UNICAST_ADDRESS *u = a->FirstUnicastAddress; u;
         u = u->Next)
      if (u->Address.lpSockaddr->sa_family == sa->sa_family &&
          sa->sa_family == AF_INET &&
          memcmp(&((struct sockaddr_in *) u->Address.lpSockaddr)->sin_addr,
                 &((const struct sockaddr_in *) sa)->sin_addr, 4) == 0)
        n++;
  return n;
}

static bool
usable_name(const char *name)
{
  size_t len = strlen(name);
  if (len == 0 || len >= MCTX_INTERFACE_NAME_MAX)
    return false;
  return strpbrk(name, " \t/:") == NULL;
}

int
main(void)
{
  IP_ADAPTER_ADDRESSES *list = adapters();
  mctx_error err;
  int names = 0, addresses = 0;
  uint32_t max_index = 0, lo = 0;

  for (const IP_ADAPTER_ADDRESSES *a = list; a; a = a->Next) {
    uint32_t index = a->IfIndex;
    if (index > max_index)
      max_index = index;
    EXPECT_OK(mctx__iface_index_exists(index, MCTX_SUBJECT_INTERFACE, &err),
              &err);

    /* The friendly name, as the user sees it. */
    char name[256];
    WideCharToMultiByte(CP_UTF8, 0, a->FriendlyName, -1, name, sizeof name,
                        NULL, NULL);
    if (usable_name(name)) {
      uint32_t got = 0;
      EXPECT_OK(mctx_interface_name_to_index(name, &got, &err), &err);
      TESTNET_CHECK(got == index, "%s: index %u, GetAdaptersAddresses says %u",
                    name, (unsigned) got, (unsigned) index);
      names++;
    }
    /* The name if_nametoindex knows ("loopback_1"). */
    char sysname[IF_NAMESIZE];
    if (if_indextoname(index, sysname) != NULL && usable_name(sysname)) {
      uint32_t got = 0;
      EXPECT_OK(mctx_interface_name_to_index(sysname, &got, &err), &err);
      TESTNET_CHECK(got == index, "%s: index %u, want %u", sysname,
                    (unsigned) got, (unsigned) index);
    }

    for (const IP_ADAPTER_UNICAST_ADDRESS *u = a->FirstUnicastAddress; u;
         u = u->Next) {
      const struct sockaddr *sa = u->Address.lpSockaddr;
      if (sa->sa_family != AF_INET || carriers(list, sa) != 1)
        continue;
      mctx_interface itf;
      memset(&itf, 0, sizeof itf);
      itf.kind = MCTX_INTERFACE_ADDRESS;
      itf.address.family = MCTX_FAMILY_IPV4;
      memcpy(itf.address.bytes, &((const struct sockaddr_in *) sa)->sin_addr,
             4);
      uint32_t got = 0;
      EXPECT_OK(mctx__iface_resolve(&itf, &got, &err), &err);
      char text[MCTX_IP_STRLEN];
      TESTNET_CHECK(got == index, "%s: index %u, want %u",
                    mctx_ip_format(&itf.address, text, sizeof text),
                    (unsigned) got, (unsigned) index);
      if (itf.address.bytes[0] == 127)
        lo = index;
      addresses++;
    }
  }
  free(list);
  TESTNET_CHECK(names > 0, "no adapter name could be checked");
  TESTNET_CHECK(addresses > 0, "no adapter address could be checked");
  TESTNET_CHECK(lo != 0, "127.0.0.1 is on no adapter");

  /* The loopback adapter's first IPv4 address is 127.0.0.1. */
  mctx_ip first;
  EXPECT_OK(mctx__iface_first_ipv4(lo, &first, &err), &err);
  TESTNET_CHECK(first.bytes[0] == 127 && first.bytes[3] == 1,
                "first IPv4 address of loopback");

  /* What does not exist. */
  uint32_t got = 0;
  EXPECT_ERROR(mctx_interface_name_to_index("mctx-nonesuch", &got, &err), &err,
               MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_INTERFACE);
  EXPECT_ERROR(
      mctx__iface_index_exists(max_index + 1000, MCTX_SUBJECT_INTERFACE, &err),
      &err, MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_INTERFACE);
  mctx_interface nowhere;
  TESTNET_CHECK(mctx_interface_parse("192.0.2.254", &nowhere, &err) == MCTX_OK,
                "parse");
  EXPECT_ERROR(mctx__iface_resolve(&nowhere, &got, &err), &err,
               MCTX_E_INTERFACE_DISCOVERY_FAILED, MCTX_SUBJECT_INTERFACE);

  printf("ok: %d names and %d addresses as GetAdaptersAddresses reports, "
         "loopback index %u\n",
         names, addresses, (unsigned) lo);
  return 0;
}
