/* Interface discovery against real interfaces, inside a private network
 * namespace (skipped without root): address → index (exact, ambiguous, not
 * assigned, link-local with scope, IPv4 alias labels), index and name
 * existence, first IPv4 address of an interface.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx.h"
#include "mctx-private.h"
#include "testnet.h"
#include "expect-error.h"

#include <net/if.h>
#include <stdio.h>
#include <string.h>

static uint32_t
index_of(const char *addr_text)
{
  mctx_ip ip = ip_of(addr_text);
  uint32_t index = 0;
  mctx_error err;
  EXPECT_OK(mctx__iface_index_of_addr(&ip, &index, &err), &err);
  return index;
}

static void
expect_index_error(const char *addr_text, int code, mctx_subject subject)
{
  mctx_ip ip = ip_of(addr_text);
  uint32_t index = 4242;
  mctx_error err;
  EXPECT_ERROR(mctx__iface_index_of_addr(&ip, &index, &err), &err, code,
               subject);
  TESTNET_CHECK(index == 4242, "%s: index written on failure", addr_text);
}

/* Two veth pairs with both ends here: va0/va1 share addresses (to make them
 * ambiguous), vb0/vb1 carry no IPv4 address. */
static void
make_interfaces(void)
{
  testnet_sh_ok("ip link add va0 type veth peer name va1");
  testnet_sh_ok("ip link add vb0 type veth peer name vb1");
  testnet_sh_ok("ip link set va0 up && ip link set va1 up");
  testnet_sh_ok("ip link set vb0 up && ip link set vb1 up");
  testnet_sh_ok("ip addr add 10.77.0.1/24 dev va0");
  testnet_sh_ok("ip addr add 10.77.0.1/24 dev va1");
  testnet_sh_ok("ip addr add 10.77.2.1/24 dev va1");
  testnet_sh_ok("ip addr add 10.77.1.1/24 dev va0 label va0:7");
  testnet_sh_ok("ip -6 addr add fe80::77/64 dev va0 nodad");
  testnet_sh_ok("ip -6 addr add fe80::77/64 dev va1 nodad");
  testnet_sh_ok("ip -6 addr add fd00:77::1/64 dev va0 nodad");
  testnet_sh_ok("ip -6 addr add fd00:77::2/64 dev vb0 nodad");
}

static void
test_address_to_index(uint32_t lo, uint32_t va0, uint32_t va1, uint32_t vb0)
{
  TESTNET_CHECK(index_of("127.0.0.1") == lo, "127.0.0.1 is on lo");
  TESTNET_CHECK(index_of("::1") == lo, "::1 is on lo");
  TESTNET_CHECK(index_of("10.77.2.1") == va1, "10.77.2.1 is on va1");
  TESTNET_CHECK(index_of("fd00:77::1") == va0, "fd00:77::1 is on va0");
  TESTNET_CHECK(index_of("fd00:77::2") == vb0, "fd00:77::2 is on vb0");
  /* An alias label ("va0:7") names the device before the colon. */
  TESTNET_CHECK(index_of("10.77.1.1") == va0, "alias label on va0");

  expect_index_error("10.9.9.9", MCTX_E_INTERFACE_DISCOVERY_FAILED,
                     MCTX_SUBJECT_SOURCE_ADDRESS);
  expect_index_error("fd00:99::1", MCTX_E_INTERFACE_DISCOVERY_FAILED,
                     MCTX_SUBJECT_SOURCE_ADDRESS);
  /* 127.0.0.2 is routed to lo but not assigned: exact match only. */
  expect_index_error("127.0.0.2", MCTX_E_INTERFACE_DISCOVERY_FAILED,
                     MCTX_SUBJECT_SOURCE_ADDRESS);

  expect_index_error("10.77.0.1", MCTX_E_INTERFACE_DISCOVERY_FAILED,
                     MCTX_SUBJECT_SOURCE_ADDRESS);
  mctx_ip dup = ip_of("10.77.0.1");
  uint32_t index;
  mctx_error err;
  mctx__iface_index_of_addr(&dup, &index, &err);
  TESTNET_CHECK(strstr(err.message, "va0") && strstr(err.message, "va1"),
                "names both: %s", err.message);

  /* A link-local address on two links: ambiguous without a scope, and the
   * scope picks the link. */
  expect_index_error("fe80::77", MCTX_E_INTERFACE_DISCOVERY_FAILED,
                     MCTX_SUBJECT_SOURCE_ADDRESS);
  TESTNET_CHECK(index_of("fe80::77%va0") == va0, "fe80::77%%va0");
  TESTNET_CHECK(index_of("fe80::77%va1") == va1, "fe80::77%%va1");
  char text[64];
  snprintf(text, sizeof text, "fe80::77%%%u", (unsigned) va1);
  TESTNET_CHECK(index_of(text) == va1, "numeric scope");
  expect_index_error("fe80::77%vb0", MCTX_E_INTERFACE_DISCOVERY_FAILED,
                     MCTX_SUBJECT_SOURCE_ADDRESS);
}

static void
test_index_and_name(uint32_t lo, uint32_t va0)
{
  mctx_error err;
  EXPECT_OK(mctx__iface_index_exists(lo, MCTX_SUBJECT_INTERFACE, &err), &err);
  EXPECT_ERROR(mctx__iface_index_exists(99, MCTX_SUBJECT_INTERFACE, &err), &err,
               MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_INTERFACE);
  EXPECT_ERROR(mctx__iface_index_exists(0, MCTX_SUBJECT_SOURCE_ADDRESS, &err),
               &err, MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_SOURCE_ADDRESS);

  mctx_interface itf;
  uint32_t index = 4242;
  memset(&itf, 0, sizeof itf);
  EXPECT_OK(mctx__iface_resolve(&itf, &index, &err), &err);
  TESTNET_CHECK(index == 0, "NONE resolves to 0");

  EXPECT_OK(mctx_interface_parse("va0", &itf, &err), &err);
  EXPECT_OK(mctx__iface_resolve(&itf, &index, &err), &err);
  TESTNET_CHECK(index == va0, "va0 by name");

  EXPECT_OK(mctx_interface_parse("nosuch0", &itf, &err), &err);
  EXPECT_ERROR(mctx__iface_resolve(&itf, &index, &err), &err,
               MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_INTERFACE);

  EXPECT_OK(mctx_interface_parse("99", &itf, &err), &err);
  EXPECT_ERROR(mctx__iface_resolve(&itf, &index, &err), &err,
               MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_INTERFACE);
  char lo_text[16];
  snprintf(lo_text, sizeof lo_text, "%u", (unsigned) lo);
  EXPECT_OK(mctx_interface_parse(lo_text, &itf, &err), &err);
  EXPECT_OK(mctx__iface_resolve(&itf, &index, &err), &err);
  TESTNET_CHECK(index == lo, "lo by index");

  EXPECT_OK(mctx_interface_parse("10.77.1.1", &itf, &err), &err);
  EXPECT_OK(mctx__iface_resolve(&itf, &index, &err), &err);
  TESTNET_CHECK(index == va0, "va0 by address");
  EXPECT_OK(mctx_interface_parse("10.9.9.9", &itf, &err), &err);
  EXPECT_ERROR(mctx__iface_resolve(&itf, &index, &err), &err,
               MCTX_E_INTERFACE_DISCOVERY_FAILED, MCTX_SUBJECT_INTERFACE);
  /* The message says whose address it is: here the interface's. */
  EXPECT_OK(mctx_interface_parse("10.77.0.1", &itf, &err), &err);
  EXPECT_ERROR(mctx__iface_resolve(&itf, &index, &err), &err,
               MCTX_E_INTERFACE_DISCOVERY_FAILED, MCTX_SUBJECT_INTERFACE);

  /* A name filled by hand without NUL is refused before any lookup. */
  itf.kind = MCTX_INTERFACE_NAME;
  memset(itf.name, 'q', sizeof itf.name);
  EXPECT_ERROR(mctx__iface_resolve(&itf, &index, &err), &err,
               MCTX_E_INVALID_INTERFACE_NAME, MCTX_SUBJECT_INTERFACE);

  /* Public name lookup and scope names see this namespace's interfaces. */
  EXPECT_OK(mctx_interface_name_to_index("va0", &index, &err), &err);
  TESTNET_CHECK(index == va0, "name_to_index va0");
  EXPECT_ERROR(mctx_interface_name_to_index("eth0", &index, &err), &err,
               MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_INTERFACE);
  mctx_ip scoped = ip_of("fe80::1%va0");
  TESTNET_CHECK(scoped.scope_id == va0, "scope name resolved");
  mctx_ip bad;
  EXPECT_ERROR(mctx_ip_parse("fe80::1%eth0", &bad, &err), &err,
               MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_INTERFACE);
}

static void
test_first_ipv4(uint32_t lo, uint32_t va1, uint32_t vb0)
{
  mctx_ip ip;
  mctx_error err;
  char text[MCTX_IP_STRLEN];
  EXPECT_OK(mctx__iface_first_ipv4(lo, &ip, &err), &err);
  TESTNET_CHECK(strcmp(mctx_ip_format(&ip, text, sizeof text), "127.0.0.1") ==
                    0,
                "lo: %s", text);
  EXPECT_OK(mctx__iface_first_ipv4(va1, &ip, &err), &err);
  mctx_ip_format(&ip, text, sizeof text);
  TESTNET_CHECK(strcmp(text, "10.77.0.1") == 0 ||
                    strcmp(text, "10.77.2.1") == 0,
                "va1: %s", text);
  EXPECT_ERROR(mctx__iface_first_ipv4(vb0, &ip, &err), &err,
               MCTX_E_INTERFACE_DISCOVERY_FAILED, MCTX_SUBJECT_INTERFACE);
  EXPECT_ERROR(mctx__iface_first_ipv4(99, &ip, &err), &err,
               MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_INTERFACE);
}

int
main(void)
{
  testnet_private_netns_or_skip();
  make_interfaces();

  uint32_t lo = testnet_ifindex("lo"), va0 = testnet_ifindex("va0"),
           va1 = testnet_ifindex("va1"), vb0 = testnet_ifindex("vb0");
  TESTNET_CHECK(lo && va0 && va1 && vb0, "interfaces exist");
  /* 99 must be free for the not-found cases. */
  char name[IF_NAMESIZE];
  TESTNET_CHECK(if_indextoname(99, name) == NULL, "index 99 is free");

  test_address_to_index(lo, va0, va1, vb0);
  test_index_and_name(lo, va0);
  test_first_ipv4(lo, va1, vb0);
  printf("test-iface: all checks passed\n");
  return 0;
}
