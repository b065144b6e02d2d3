/* Address, endpoint and interface parsing/formatting; SSM and scope helpers;
 * error codes and messages. No privilege needed: the only system lookup is
 * the name "lo", which every Linux namespace has (and wine reports as the
 * friendly name of Linux's lo: this test also runs under wine).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx.h"
#include "mctx-private.h"
#include "testnet.h"
#include "expect-error.h"

#include <stdio.h>
#include <string.h>

/* Parses, formats and compares with the expected text. */
static void
check_ip_round_trip(const char *text, mctx_family family, uint32_t scope,
                    const char *formatted)
{
  mctx_ip ip;
  mctx_error err;
  memset(&err, 0x5a, sizeof err); /* success must reset it */
  EXPECT_OK(mctx_ip_parse(text, &ip, &err), &err);
  TESTNET_CHECK(ip.family == family, "%s: family %d", text, (int) ip.family);
  TESTNET_CHECK(ip.scope_id == scope, "%s: scope %u, want %u", text,
                (unsigned) ip.scope_id, (unsigned) scope);
  char buf[MCTX_IP_STRLEN];
  TESTNET_CHECK(mctx_ip_format(&ip, buf, sizeof buf) == buf, "returns buf");
  TESTNET_CHECK(strcmp(buf, formatted) == 0, "%s formats as %s, want %s", text,
                buf, formatted);
  /* The formatted text parses back to the same address. */
  mctx_ip again;
  EXPECT_OK(mctx_ip_parse(buf, &again, &err), &err);
  TESTNET_CHECK(mctx_ip_equal(&ip, &again), "%s round trip", text);
}

static void
check_ip_bad(const char *text, int code, mctx_subject subject)
{
  mctx_ip ip;
  memset(&ip, 0xa5, sizeof ip);
  mctx_ip before = ip;
  mctx_error err;
  EXPECT_ERROR(mctx_ip_parse(text, &ip, &err), &err, code, subject);
  TESTNET_CHECK(memcmp(&ip, &before, sizeof ip) == 0,
                "%s: result written on failure", text);
  /* A NULL error is allowed and gives the same code. */
  TESTNET_CHECK(mctx_ip_parse(text, &ip, NULL) == code, "%s without err", text);
}

static void
test_ip_parse_format(void)
{
  char lo_scope[32];
  uint32_t lo = mctx__iface_name_to_index("lo");
  TESTNET_CHECK(lo != 0, "lo exists");
  snprintf(lo_scope, sizeof lo_scope, "fe80::1%%%u", (unsigned) lo);

  check_ip_round_trip("10.0.0.1", MCTX_FAMILY_IPV4, 0, "10.0.0.1");
  check_ip_round_trip("239.255.0.1", MCTX_FAMILY_IPV4, 0, "239.255.0.1");
  check_ip_round_trip("ff3e::8000:1234", MCTX_FAMILY_IPV6, 0,
                      "ff3e::8000:1234");
  check_ip_round_trip("FF3E:0:0::1", MCTX_FAMILY_IPV6, 0, "ff3e::1");
  check_ip_round_trip("::1", MCTX_FAMILY_IPV6, 0, "::1");
  check_ip_round_trip("fe80::1%7", MCTX_FAMILY_IPV6, 7, "fe80::1%7");
  check_ip_round_trip("fe80::1%lo", MCTX_FAMILY_IPV6, lo, lo_scope);
  check_ip_round_trip("ff31::8000:1234%1", MCTX_FAMILY_IPV6, 1,
                      "ff31::8000:1234%1");
  /* A zero scope means none and is not printed. */
  check_ip_round_trip("fe80::1%0", MCTX_FAMILY_IPV6, 0, "fe80::1");

  mctx_ip v4 = ip_of("192.0.2.33");
  const uint8_t want[4] = {192, 0, 2, 33};
  TESTNET_CHECK(memcmp(v4.bytes, want, 4) == 0, "network byte order");

  check_ip_bad("10.0.0.1%eth0", MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT);
  check_ip_bad("10.0.0.1%1", MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT);
  check_ip_bad("fe80::1%nosuch0", MCTX_E_INTERFACE_NOT_FOUND,
               MCTX_SUBJECT_INTERFACE);
  check_ip_bad("fe80::1%", MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT);
  check_ip_bad("fe80::1%99999999999", MCTX_E_INVALID_ARGUMENT,
               MCTX_SUBJECT_ARGUMENT);
  check_ip_bad("fe80::1%bad name", MCTX_E_INVALID_ARGUMENT,
               MCTX_SUBJECT_ARGUMENT);
  check_ip_bad("999.1.1.1", MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT);
  check_ip_bad("hello", MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT);
  check_ip_bad("", MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT);
  check_ip_bad("ff3e::1::2", MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT);
  check_ip_bad(" 10.0.0.1", MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT);
  char longer[200];
  memset(longer, '1', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  check_ip_bad(longer, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT);

  mctx_error err;
  mctx_ip ip;
  EXPECT_ERROR(mctx_ip_parse(NULL, &ip, &err), &err, MCTX_E_INVALID_ARGUMENT,
               MCTX_SUBJECT_ARGUMENT);
  EXPECT_ERROR(mctx_ip_parse("1.2.3.4", NULL, &err), &err,
               MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT);

  /* Formatting the unset address and into short buffers. */
  mctx_ip unset;
  memset(&unset, 0, sizeof unset);
  char buf[MCTX_IP_STRLEN];
  TESTNET_CHECK(
      strcmp(mctx_ip_format(&unset, buf, sizeof buf), "unspecified") == 0,
      "unspec: %s", buf);
  char small[4];
  mctx_ip_format(&v4, small, sizeof small);
  TESTNET_CHECK(strcmp(small, "192") == 0, "truncated: %s", small);
  TESTNET_CHECK(mctx_ip_format(&v4, NULL, 0) == NULL, "NULL buffer");
}

static void
check_endpoint_round_trip(const char *text, const char *formatted,
                          uint16_t port)
{
  mctx_endpoint ep;
  mctx_error err;
  EXPECT_OK(mctx_endpoint_parse(text, &ep, &err), &err);
  TESTNET_CHECK(ep.port == port, "%s: port %u", text, (unsigned) ep.port);
  char buf[MCTX_ENDPOINT_STRLEN];
  mctx_endpoint_format(&ep, buf, sizeof buf);
  TESTNET_CHECK(strcmp(buf, formatted) == 0, "%s formats as %s, want %s", text,
                buf, formatted);
  mctx_endpoint again;
  EXPECT_OK(mctx_endpoint_parse(buf, &again, &err), &err);
  TESTNET_CHECK(mctx_ip_equal(&ep.ip, &again.ip) && ep.port == again.port,
                "%s round trip", text);
}

static void
check_endpoint_bad(const char *text)
{
  mctx_endpoint ep;
  memset(&ep, 0xa5, sizeof ep);
  mctx_endpoint before = ep;
  mctx_error err;
  EXPECT_ERROR(mctx_endpoint_parse(text, &ep, &err), &err,
               MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT);
  TESTNET_CHECK(memcmp(&ep, &before, sizeof ep) == 0,
                "%s: result written on failure", text);
}

static void
test_endpoint_parse_format(void)
{
  char lo_text[64];
  snprintf(lo_text, sizeof lo_text, "[fe80::1%%%u]:5001",
           (unsigned) mctx__iface_name_to_index("lo"));

  check_endpoint_round_trip("239.1.2.3:5000", "239.1.2.3:5000", 5000);
  check_endpoint_round_trip("[ff3e::8000:1234]:5000", "[ff3e::8000:1234]:5000",
                            5000);
  check_endpoint_round_trip("[ff31::8000:1234%1]:5000",
                            "[ff31::8000:1234%1]:5000", 5000);
  check_endpoint_round_trip("[fe80::1%lo]:5001", lo_text, 5001);
  check_endpoint_round_trip("10.0.0.1:65535", "10.0.0.1:65535", 65535);
  /* Port 0 parses; validation decides what it means. */
  check_endpoint_round_trip("239.1.2.3:0", "239.1.2.3:0", 0);

  check_endpoint_bad("239.1.2.3");
  check_endpoint_bad("239.1.2.3:70000");
  check_endpoint_bad("239.1.2.3:");
  check_endpoint_bad("239.1.2.3:-1");
  check_endpoint_bad("239.1.2.3: 5");
  check_endpoint_bad("239.1.2.3:5x");
  check_endpoint_bad("ff3e::1:5000");
  check_endpoint_bad("[10.0.0.1]:5000");
  check_endpoint_bad("[ff3e::1]5000");
  check_endpoint_bad("[ff3e::1");
  check_endpoint_bad("[ff3e::1]:");
  check_endpoint_bad("nohost:5000");
  check_endpoint_bad("10.0.0.1%1:5000");

  mctx_endpoint ep;
  mctx_error err;
  EXPECT_ERROR(mctx_endpoint_parse("[fe80::1%nosuch0]:5000", &ep, &err), &err,
               MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_INTERFACE);
}

static void
test_predicates(void)
{
  mctx_ip a = ip_of("fe80::1%7"), b = ip_of("fe80::1%8"),
          c = ip_of("fe80::1%7");
  TESTNET_CHECK(mctx_ip_equal(&a, &c), "same scope equal");
  TESTNET_CHECK(!mctx_ip_equal(&a, &b), "scope differs");
  mctx_ip v4a = ip_of("10.0.0.1"), v4b = ip_of("10.0.0.1");
  memset(v4b.bytes + 4, 0xee, 12); /* bytes beyond IPv4 do not count */
  TESTNET_CHECK(mctx_ip_equal(&v4a, &v4b), "IPv4 compares 4 bytes");
  mctx_ip mapped = ip_of("::ffff:10.0.0.1");
  TESTNET_CHECK(!mctx_ip_equal(&v4a, &mapped), "family counts");

  TESTNET_CHECK(mctx_ip_is_multicast(&(mctx_ip){0}) == false, "unset");
  mctx_ip m4 = ip_of("224.0.0.1"), m4b = ip_of("239.255.255.255"),
          u4 = ip_of("223.255.255.255"), u4b = ip_of("240.0.0.1");
  TESTNET_CHECK(mctx_ip_is_multicast(&m4) && mctx_ip_is_multicast(&m4b),
                "224/4");
  TESTNET_CHECK(!mctx_ip_is_multicast(&u4) && !mctx_ip_is_multicast(&u4b),
                "outside 224/4");
  mctx_ip m6 = ip_of("ff02::1"), u6 = ip_of("fe80::1");
  TESTNET_CHECK(mctx_ip_is_multicast(&m6) && !mctx_ip_is_multicast(&u6), "v6");

  mctx_ip z4 = ip_of("0.0.0.0"), z6 = ip_of("::"), one6 = ip_of("::1");
  TESTNET_CHECK(mctx_ip_is_unspecified(&z4) && mctx_ip_is_unspecified(&z6),
                "unspecified");
  TESTNET_CHECK(!mctx_ip_is_unspecified(&one6) && !mctx_ip_is_unspecified(&v4a),
                "specified");
  TESTNET_CHECK(!mctx_ip_is_unspecified(&(mctx_ip){0}), "unset is not ::");

  mctx_ip ll = ip_of("fe80::1"), ll2 = ip_of("febf::1"),
          notll = ip_of("fec0::1");
  TESTNET_CHECK(mctx_ip_is_link_local_unicast(&ll) &&
                    mctx_ip_is_link_local_unicast(&ll2),
                "fe80::/10");
  TESTNET_CHECK(!mctx_ip_is_link_local_unicast(&notll) &&
                    !mctx_ip_is_link_local_unicast(&m6) &&
                    !mctx_ip_is_link_local_unicast(&v4a),
                "outside fe80::/10");
}

static void
test_ssm_and_scope(void)
{
  struct {
    const char *group;
    bool ssm;
    int scope;
  } cases[] = {
      {"ff3e::8000:1234", true, 14},
      {"ff3e:1::1", false, 14},   /* flags 3 but not ff3x::/32 */
      {"ff3e:100::1", false, 14}, /* byte 2 non-zero */
      {"ff3e:0:1::1", true, 14},  /* inside ff3e::/32 */
      {"ff32::1", true, 2},
      {"ff31::8000:1234", true, 1},
      {"ff35::1", true, 5},
      {"ff12::1", false, 2}, /* ASM, transient */
      {"ff02::1", false, 2},
      {"ff05::1:3", false, 5},
      {"ff08::1", false, 8},
      {"ff2e::1", false, 14},
      {"232.1.1.1", true, -1},
      {"232.0.0.0", true, -1},
      {"232.255.255.255", true, -1},
      {"239.1.1.1", false, -1},
      {"233.1.1.1", false, -1},
      {"10.0.0.1", false, -1},
      {"fe80::1", false, -1},
      {"2001:db8::1", false, -1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    mctx_ip ip = ip_of(cases[i].group);
    TESTNET_CHECK(mctx_ip_is_ssm_group(&ip) == cases[i].ssm, "%s ssm %d",
                  cases[i].group, (int) mctx_ip_is_ssm_group(&ip));
    bool v4 = ip.family == MCTX_FAMILY_IPV4;
    TESTNET_CHECK(mctx_ipv4_is_ssm_group(&ip) == (v4 && cases[i].ssm),
                  "%s ipv4 ssm", cases[i].group);
    TESTNET_CHECK(mctx_ipv6_is_ssm_group(&ip) == (!v4 && cases[i].ssm),
                  "%s ipv6 ssm", cases[i].group);
    TESTNET_CHECK(mctx_ipv6_multicast_scope(&ip) == cases[i].scope,
                  "%s scope %d, want %d", cases[i].group,
                  mctx_ipv6_multicast_scope(&ip), cases[i].scope);
  }
  TESTNET_CHECK(!mctx_ip_is_ssm_group(NULL), "NULL");
  TESTNET_CHECK(mctx_ipv6_multicast_scope(NULL) == -1, "NULL scope");
}

static void
check_interface(const char *text, mctx_interface_kind kind,
                const char *formatted)
{
  mctx_interface itf;
  mctx_error err;
  EXPECT_OK(mctx_interface_parse(text, &itf, &err), &err);
  TESTNET_CHECK(itf.kind == kind, "%s: kind %d", text, (int) itf.kind);
  char buf[MCTX_IP_STRLEN];
  mctx_interface_format(&itf, buf, sizeof buf);
  TESTNET_CHECK(strcmp(buf, formatted) == 0, "%s formats as %s, want %s", text,
                buf, formatted);
}

static void
check_interface_bad(const char *text, int code, mctx_subject subject)
{
  mctx_interface itf;
  memset(&itf, 0xa5, sizeof itf);
  mctx_interface before = itf;
  mctx_error err;
  EXPECT_ERROR(mctx_interface_parse(text, &itf, &err), &err, code, subject);
  TESTNET_CHECK(memcmp(&itf, &before, sizeof itf) == 0,
                "%s: result written on failure", text);
}

static void
test_interface_parse_format(void)
{
  uint32_t lo = mctx__iface_name_to_index("lo");
  char lo_scoped[64];
  snprintf(lo_scoped, sizeof lo_scoped, "fe80::1%%%u", (unsigned) lo);

  check_interface("10.0.0.1", MCTX_INTERFACE_ADDRESS, "10.0.0.1");
  check_interface("fd00::1", MCTX_INTERFACE_ADDRESS, "fd00::1");
  check_interface("fe80::1%7", MCTX_INTERFACE_ADDRESS, "fe80::1%7");
  check_interface("fe80::1%lo", MCTX_INTERFACE_ADDRESS, lo_scoped);
  check_interface("7", MCTX_INTERFACE_INDEX, "7");
  check_interface("4294967295", MCTX_INTERFACE_INDEX, "4294967295");
  check_interface("0", MCTX_INTERFACE_INDEX, "0"); /* validation refuses */
  check_interface("eth0", MCTX_INTERFACE_NAME, "eth0");
  check_interface("eth0.100", MCTX_INTERFACE_NAME, "eth0.100");
  check_interface("lo", MCTX_INTERFACE_NAME, "lo");
  check_interface("nosuch0", MCTX_INTERFACE_NAME, "nosuch0"); /* syntax only */
  check_interface("fifteen-bytes-x", MCTX_INTERFACE_NAME, "fifteen-bytes-x");

  mctx_interface itf;
  mctx_error err;
  EXPECT_OK(mctx_interface_parse("fe80::1%lo", &itf, &err), &err);
  TESTNET_CHECK(itf.address.scope_id == lo, "scope is lo's index");
  EXPECT_OK(mctx_interface_parse("12", &itf, &err), &err);
  TESTNET_CHECK(itf.index == 12, "index 12");
  EXPECT_OK(mctx_interface_parse("veth-a", &itf, &err), &err);
  TESTNET_CHECK(strcmp(itf.name, "veth-a") == 0, "name stored");

  check_interface_bad("", MCTX_E_INVALID_INTERFACE_NAME,
                      MCTX_SUBJECT_INTERFACE);
  check_interface_bad("sixteen-bytes-xx", MCTX_E_INVALID_INTERFACE_NAME,
                      MCTX_SUBJECT_INTERFACE);
  check_interface_bad("eth 0", MCTX_E_INVALID_INTERFACE_NAME,
                      MCTX_SUBJECT_INTERFACE);
  check_interface_bad("a/b", MCTX_E_INVALID_INTERFACE_NAME,
                      MCTX_SUBJECT_INTERFACE);
  check_interface_bad("fe80::zz", MCTX_E_INVALID_ARGUMENT,
                      MCTX_SUBJECT_ARGUMENT);
  check_interface_bad("10.0.0.1%1", MCTX_E_INVALID_ARGUMENT,
                      MCTX_SUBJECT_ARGUMENT);
  check_interface_bad("fe80::1%nosuch0", MCTX_E_INTERFACE_NOT_FOUND,
                      MCTX_SUBJECT_INTERFACE);
  check_interface_bad("4294967296", MCTX_E_INVALID_IPV6_INTERFACE_INDEX,
                      MCTX_SUBJECT_INTERFACE);

  mctx_interface none;
  memset(&none, 0, sizeof none);
  char buf[MCTX_IP_STRLEN];
  TESTNET_CHECK(
      strcmp(mctx_interface_format(&none, buf, sizeof buf), "default") == 0,
      "NONE: %s", buf);
  /* A hand-filled name without NUL is printed without overrunning. */
  mctx_interface raw;
  memset(&raw, 0, sizeof raw);
  raw.kind = MCTX_INTERFACE_NAME;
  memset(raw.name, 'x', sizeof raw.name);
  mctx_interface_format(&raw, buf, sizeof buf);
  TESTNET_CHECK(strlen(buf) == sizeof raw.name, "bounded name: %s", buf);
}

static void
test_name_to_index(void)
{
  uint32_t index = 0;
  mctx_error err;
  EXPECT_OK(mctx_interface_name_to_index("lo", &index, &err), &err);
  TESTNET_CHECK(index == mctx__iface_name_to_index("lo"), "lo index %u",
                (unsigned) index);

  index = 12345;
  EXPECT_ERROR(mctx_interface_name_to_index("nosuch0", &index, &err), &err,
               MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_INTERFACE);
  TESTNET_CHECK(index == 12345, "index untouched on failure");
  EXPECT_ERROR(mctx_interface_name_to_index("", &index, &err), &err,
               MCTX_E_INVALID_INTERFACE_NAME, MCTX_SUBJECT_INTERFACE);
  EXPECT_ERROR(
      mctx_interface_name_to_index("much-too-long-name0", &index, &err), &err,
      MCTX_E_INVALID_INTERFACE_NAME, MCTX_SUBJECT_INTERFACE);
  EXPECT_ERROR(mctx_interface_name_to_index(NULL, &index, &err), &err,
               MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT);
}

static void
test_codes(void)
{
  const int all[] = {
      MCTX_OK,
      MCTX_E_INVALID_ARGUMENT,
      MCTX_E_NO_MEMORY,
      MCTX_E_INVALID_DESTINATION_PORT,
      MCTX_E_INVALID_MULTICAST_GROUP,
      MCTX_E_INVALID_SOURCE_PORT,
      MCTX_E_INVALID_SOURCE_ADDRESS,
      MCTX_E_SOURCE_ADDRESS_FAMILY_MISMATCH,
      MCTX_E_INVALID_INTERFACE_ADDRESS,
      MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH,
      MCTX_E_INVALID_IPV6_INTERFACE_INDEX,
      MCTX_E_INVALID_INTERFACE_NAME,
      MCTX_E_INTERFACE_NOT_FOUND,
      MCTX_E_INTERFACE_DISCOVERY_FAILED,
      MCTX_E_IPV6_SOURCE_INTERFACE_MISMATCH,
      MCTX_E_IPV6_SCOPED_MULTICAST_REQUIRES_INTERFACE,
      MCTX_E_DUPLICATE_PUBLICATION,
      MCTX_E_PUBLICATION_NOT_FOUND,
      MCTX_E_SOCKET_CREATE_FAILED,
      MCTX_E_SOCKET_OPTION_FAILED,
      MCTX_E_SOCKET_BIND_FAILED,
      MCTX_E_SOCKET_CONNECT_FAILED,
      MCTX_E_SOCKET_LOCAL_ADDR_FAILED,
      MCTX_E_SEND_FAILED,
      MCTX_E_WOULD_BLOCK,
      MCTX_E_QUEUE_FULL,
      MCTX_E_EXISTING_SOCKET_FAMILY_MISMATCH,
      MCTX_E_EXISTING_SOCKET_PORT_MISMATCH,
      MCTX_E_EXISTING_SOCKET_ADDRESS_MISMATCH,
      MCTX_E_RAW_INTERFACE_REQUIRED,
      MCTX_E_INVALID_RAW_BIND_ADDRESS,
      MCTX_E_RAW_BIND_ADDRESS_FAMILY_MISMATCH,
      MCTX_E_RAW_PERMISSION_DENIED,
      MCTX_E_INVALID_RAW_DATAGRAM,
      MCTX_E_INVALID_RAW_MULTICAST_DESTINATION,
      MCTX_E_RAW_UNSUPPORTED_LINK_TYPE,
      MCTX_E_RAW_UNSUPPORTED,
  };
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    const char *name = mctx_code_name(all[i]);
    const char *text = mctx_strerror(all[i]);
    TESTNET_CHECK(strncmp(name, "MCTX_", 5) == 0 &&
                      strcmp(name, "MCTX_E_UNKNOWN") != 0,
                  "code %d: %s", all[i], name);
    TESTNET_CHECK(strcmp(text, "unknown error") != 0 && text[0] != '\0',
                  "code %d has a description", all[i]);
    for (size_t j = 0; j < i; j++)
      TESTNET_CHECK(strcmp(mctx_strerror(all[j]), text) != 0,
                    "%s and %s share a description", name,
                    mctx_code_name(all[j]));
  }
  TESTNET_CHECK(strcmp(mctx_code_name(MCTX_E_INTERFACE_NOT_FOUND),
                       "MCTX_E_INTERFACE_NOT_FOUND") == 0,
                "name");
  TESTNET_CHECK(strcmp(mctx_strerror(MCTX_E_INTERFACE_NOT_FOUND),
                       "interface not found") == 0,
                "description");
  TESTNET_CHECK(strcmp(mctx_strerror(-12345), "unknown error") == 0, "unknown");
  TESTNET_CHECK(mctx_code_name(-12345) != NULL, "unknown name");

  /* mctx__fail: returns the code, fills err, truncates long messages. */
  mctx_error err;
  char big[400];
  memset(big, 'v', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  TESTNET_CHECK(mctx__fail(&err, MCTX_E_SEND_FAILED, MCTX_SUBJECT_SOCKET, 105,
                           "value %s", big) == MCTX_E_SEND_FAILED,
                "returns code");
  TESTNET_CHECK(err.code == MCTX_E_SEND_FAILED && err.sys_errno == 105 &&
                    err.subject == MCTX_SUBJECT_SOCKET,
                "fields");
  TESTNET_CHECK(strlen(err.message) == MCTX_ERROR_MESSAGE_MAX - 1, "truncated");
  TESTNET_CHECK(mctx__fail(NULL, MCTX_E_NO_MEMORY, MCTX_SUBJECT_NONE, 0, "x") ==
                    MCTX_E_NO_MEMORY,
                "NULL err");
  TESTNET_CHECK(mctx__ok(&err) == MCTX_OK && err.code == 0 &&
                    err.sys_errno == 0 && err.subject == MCTX_SUBJECT_NONE &&
                    err.message[0] == '\0',
                "ok resets");

  /* Transient codes: the retry classes, and nothing else. */
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    TESTNET_CHECK(
        mctx_error_is_transient(all[i]) ==
            (all[i] == MCTX_E_WOULD_BLOCK || all[i] == MCTX_E_QUEUE_FULL),
        "%s transient", mctx_code_name(all[i]));

  /* Subjects have names; unknown ones too. */
  for (int s = MCTX_SUBJECT_NONE; s <= MCTX_SUBJECT_ARGUMENT; s++)
    TESTNET_CHECK(strncmp(mctx_subject_name((mctx_subject) s), "MCTX_SUBJECT_",
                          13) == 0 &&
                      strcmp(mctx_subject_name((mctx_subject) s),
                             "MCTX_SUBJECT_UNKNOWN") != 0,
                  "subject %d named", s);
  TESTNET_CHECK(strcmp(mctx_subject_name((mctx_subject) 999),
                       "MCTX_SUBJECT_UNKNOWN") == 0,
                "unknown subject");
}

int
main(void)
{
  test_ip_parse_format();
  test_endpoint_parse_format();
  test_predicates();
  test_ssm_and_scope();
  test_interface_parse_format();
  test_name_to_index();
  test_codes();
  printf("test-addr: all checks passed\n");
  return 0;
}
