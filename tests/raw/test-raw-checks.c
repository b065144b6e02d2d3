/* Raw datagram checks and raw config validation, case by case. Touches no
 * network: runs everywhere, unprivileged.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rawtest.h"

#include <stdio.h>
#include <string.h>

/* rc and err are code and subject (test-messages.c pins the words). */
static void
expect(int rc, const mctx_error *err, int code, mctx_subject subject,
       const char *label)
{
  TESTNET_CHECK(rc == code, "%s: got %s (%s), expected %s", label,
                mctx_code_name(rc), err->message, mctx_code_name(code));
  TESTNET_CHECK(err->code == code, "%s: err.code %d", label, err->code);
  TESTNET_CHECK(err->subject == subject, "%s: subject %s, expected %s", label,
                mctx_subject_name(err->subject), mctx_subject_name(subject));
  printf("ok %s: %s\n", label, code == MCTX_OK ? "accepted" : err->message);
}

static void
check_datagram(const uint8_t *d, size_t len, int code, mctx_subject subject,
               const char *label)
{
  mctx_error err;
  mctx_raw_datagram_info info;
  expect(mctx_raw_datagram_check(d, len, &info, &err), &err, code, subject,
         label);
}

static void
datagram_cases(void)
{
  uint8_t v4[64], v6[128], d[128];
  size_t n4 = rawtest_ipv4_udp(v4, "198.51.100.7", "239.77.1.1", 1, 7, 4000,
                               5000, "abcd", 4);
  size_t n6 = rawtest_ipv6_udp(v6, "2001:db8::7", "ff3e::77:1", 0, 0, 1, false,
                               4000, 5000, "abcd", 4);
  mctx_error err;

  expect(mctx_raw_datagram_check(NULL, 4, NULL, &err), &err,
         MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, "NULL datagram");
  check_datagram(v4, 0, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                 "empty");

  memcpy(d, v4, n4);
  d[0] = 0x55;
  check_datagram(d, n4, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                 "version 5");
  d[0] = 0x05;
  check_datagram(d, n4, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                 "version 0");

  check_datagram(v4, 19, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                 "IPv4 truncated header");
  check_datagram(v4, 1, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                 "IPv4 one byte");
  memcpy(d, v4, n4);
  d[0] = 0x44;
  check_datagram(d, n4, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                 "IHL 4");
  d[0] = 0x40;
  check_datagram(d, n4, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                 "IHL 0");
  d[0] = 0x4f;
  check_datagram(d, n4, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                 "IHL beyond buffer");
  check_datagram(v4, n4 - 1, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                 "IPv4 truncated payload");
  memcpy(d, v4, n4);
  d[3] += 1;
  check_datagram(d, n4, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                 "IPv4 total length too big");
  memcpy(d, v4, n4);
  d[16] = 10;
  check_datagram(d, n4, MCTX_E_INVALID_RAW_MULTICAST_DESTINATION,
                 MCTX_SUBJECT_DATAGRAM, "IPv4 unicast destination");
  d[16] = 255;
  d[17] = 255;
  d[18] = 255;
  d[19] = 255;
  check_datagram(d, n4, MCTX_E_INVALID_RAW_MULTICAST_DESTINATION,
                 MCTX_SUBJECT_DATAGRAM, "IPv4 broadcast destination");

  /* Valid IPv4 with 4 bytes of options (IHL 6). */
  uint8_t opt[64];
  memcpy(opt, v4, 20);
  opt[0] = 0x46;
  memset(opt + 20, 1, 4); /* NOP options */
  memcpy(opt + 24, v4 + 20, n4 - 20);
  opt[3] = (uint8_t) (n4 + 4);
  mctx_raw_datagram_info info;
  expect(mctx_raw_datagram_check(opt, n4 + 4, &info, &err), &err, MCTX_OK,
         MCTX_SUBJECT_NONE, "IPv4 with options");
  char text[MCTX_IP_STRLEN];
  TESTNET_CHECK(info.family == MCTX_FAMILY_IPV4, "family %d", info.family);
  TESTNET_CHECK(info.header_len == 24, "header_len %zu", info.header_len);
  TESTNET_CHECK(info.protocol == 17, "protocol %u", info.protocol);
  TESTNET_CHECK(strcmp(mctx_ip_format(&info.source, text, sizeof text),
                       "198.51.100.7") == 0,
                "source %s", text);
  TESTNET_CHECK(strcmp(mctx_ip_format(&info.destination, text, sizeof text),
                       "239.77.1.1") == 0,
                "destination %s", text);
  expect(mctx_raw_datagram_check(v4, n4, NULL, &err), &err, MCTX_OK,
         MCTX_SUBJECT_NONE, "IPv4 info NULL");

  check_datagram(v6, 39, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                 "IPv6 truncated header");
  check_datagram(v6, n6 - 2, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                 "IPv6 truncated payload");
  memcpy(d, v6, n6);
  d[5] = 0;
  check_datagram(d, n6, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                 "IPv6 payload length 0");
  memcpy(d, v6, n6);
  d[24] = 0x20;
  d[25] = 0x01;
  check_datagram(d, n6, MCTX_E_INVALID_RAW_MULTICAST_DESTINATION,
                 MCTX_SUBJECT_DATAGRAM, "IPv6 unicast destination");

  uint8_t ext[128];
  size_t next = rawtest_ipv6_udp(ext, "fd77::1", "ff15::77:1", 0x2e, 0xabcde, 9,
                                 true, 1, 2, "xy", 2);
  expect(mctx_raw_datagram_check(ext, next, &info, &err), &err, MCTX_OK,
         MCTX_SUBJECT_NONE, "IPv6 with destination options");
  TESTNET_CHECK(info.family == MCTX_FAMILY_IPV6, "family %d", info.family);
  TESTNET_CHECK(info.header_len == 40, "header_len %zu", info.header_len);
  TESTNET_CHECK(info.protocol == 60, "next header %u", info.protocol);
  TESTNET_CHECK(
      strcmp(mctx_ip_format(&info.source, text, sizeof text), "fd77::1") == 0,
      "source %s", text);
  TESTNET_CHECK(strcmp(mctx_ip_format(&info.destination, text, sizeof text),
                       "ff15::77:1") == 0,
                "destination %s", text);
}

static mctx_raw_config
config_with(mctx_family family, const char *bind, const char *itf)
{
  mctx_raw_config cfg;
  mctx_raw_config_init(&cfg);
  cfg.family = family;
  mctx_error err;
  if (bind != NULL)
    TESTNET_CHECK(mctx_ip_parse(bind, &cfg.bind_addr, &err) == MCTX_OK,
                  "parse %s: %s", bind, err.message);
  if (itf != NULL)
    TESTNET_CHECK(mctx_interface_parse(itf, &cfg.interface, &err) == MCTX_OK,
                  "parse %s: %s", itf, err.message);
  return cfg;
}

static void
check_config(mctx_raw_config cfg, int code, mctx_subject subject,
             const char *label)
{
  mctx_error err;
  expect(mctx_raw_config_validate(&cfg, &err), &err, code, subject, label);
  if (code != MCTX_OK) {
    /* Opening refuses the same way, before touching the system. */
    mctx_raw_publication *pub = (mctx_raw_publication *) &cfg;
    int rc = mctx_raw_publication_open(&cfg, &pub, &err);
    TESTNET_CHECK(rc == code && pub == NULL, "%s: open gave %s", label,
                  mctx_code_name(rc));
  }
}

static void
config_cases(void)
{
  mctx_raw_config cfg;
  mctx_raw_config_init(&cfg);
  TESTNET_CHECK(cfg.family == MCTX_FAMILY_UNSPEC && cfg.ttl == -1 &&
                    cfg.loopback && cfg.interface.kind == MCTX_INTERFACE_NONE &&
                    cfg.bind_addr.family == MCTX_FAMILY_UNSPEC,
                "defaults");
  mctx_error err;
  expect(mctx_raw_config_validate(NULL, &err), &err, MCTX_E_INVALID_ARGUMENT,
         MCTX_SUBJECT_ARGUMENT, "NULL config");

  check_config(config_with(MCTX_FAMILY_IPV4, NULL, NULL),
               MCTX_E_RAW_INTERFACE_REQUIRED, MCTX_SUBJECT_INTERFACE,
               "no bind, no interface");
  check_config(config_with(MCTX_FAMILY_UNSPEC, NULL, NULL),
               MCTX_E_RAW_INTERFACE_REQUIRED, MCTX_SUBJECT_INTERFACE,
               "nothing at all");
  check_config(config_with(MCTX_FAMILY_IPV4, "239.1.1.1", NULL),
               MCTX_E_INVALID_RAW_BIND_ADDRESS, MCTX_SUBJECT_SOURCE_ADDRESS,
               "bind multicast v4");
  check_config(config_with(MCTX_FAMILY_IPV6, "ff15::1", "lo"),
               MCTX_E_INVALID_RAW_BIND_ADDRESS, MCTX_SUBJECT_SOURCE_ADDRESS,
               "bind multicast v6");
  check_config(config_with(MCTX_FAMILY_IPV4, "0.0.0.0", NULL),
               MCTX_E_INVALID_RAW_BIND_ADDRESS, MCTX_SUBJECT_SOURCE_ADDRESS,
               "bind unspecified v4");
  check_config(config_with(MCTX_FAMILY_UNSPEC, "::", NULL),
               MCTX_E_INVALID_RAW_BIND_ADDRESS, MCTX_SUBJECT_SOURCE_ADDRESS,
               "bind unspecified v6");
  check_config(config_with(MCTX_FAMILY_IPV6, "10.0.0.1", NULL),
               MCTX_E_RAW_BIND_ADDRESS_FAMILY_MISMATCH,
               MCTX_SUBJECT_SOURCE_ADDRESS, "bind family mismatch");
  check_config(config_with(MCTX_FAMILY_IPV4, NULL, "239.1.1.1"),
               MCTX_E_INVALID_INTERFACE_ADDRESS, MCTX_SUBJECT_INTERFACE,
               "interface multicast");
  check_config(config_with(MCTX_FAMILY_IPV4, NULL, "fd00::1"),
               MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH,
               MCTX_SUBJECT_INTERFACE, "interface family vs family");
  check_config(config_with(MCTX_FAMILY_UNSPEC, "10.0.0.1", "fd00::1"),
               MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH,
               MCTX_SUBJECT_INTERFACE, "interface family vs bind");

  cfg = config_with(MCTX_FAMILY_IPV6, NULL, NULL);
  cfg.interface.kind = MCTX_INTERFACE_INDEX;
  cfg.interface.index = 0;
  check_config(cfg, MCTX_E_INVALID_IPV6_INTERFACE_INDEX, MCTX_SUBJECT_INTERFACE,
               "interface index 0");
  cfg = config_with(MCTX_FAMILY_IPV4, NULL, NULL);
  cfg.interface.kind = MCTX_INTERFACE_NAME;
  check_config(cfg, MCTX_E_INVALID_INTERFACE_NAME, MCTX_SUBJECT_INTERFACE,
               "empty name");

  cfg = config_with(MCTX_FAMILY_IPV4, NULL, "lo");
  cfg.ttl = 256;
  check_config(cfg, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_TTL, "ttl 256");
  cfg.ttl = -2;
  check_config(cfg, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_TTL, "ttl -2");
  cfg.ttl = 0;
  check_config(cfg, MCTX_OK, MCTX_SUBJECT_NONE, "ttl 0");
  cfg.ttl = 255;
  check_config(cfg, MCTX_OK, MCTX_SUBJECT_NONE, "ttl 255");

  cfg = config_with(MCTX_FAMILY_UNSPEC, NULL, "lo");
  check_config(cfg, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_FAMILY,
               "name, no family");
  cfg.family = (mctx_family) 5;
  check_config(cfg, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_FAMILY, "family 5");

  check_config(config_with(MCTX_FAMILY_UNSPEC, "10.0.0.1", NULL), MCTX_OK,
               MCTX_SUBJECT_NONE, "bind only (family inferred)");
  check_config(config_with(MCTX_FAMILY_UNSPEC, NULL, "fd00::1"), MCTX_OK,
               MCTX_SUBJECT_NONE, "interface address only (family inferred)");
  check_config(config_with(MCTX_FAMILY_IPV6, NULL, "7"), MCTX_OK,
               MCTX_SUBJECT_NONE, "index with family");
  check_config(config_with(MCTX_FAMILY_IPV4, "10.0.0.1", "eth0"), MCTX_OK,
               MCTX_SUBJECT_NONE, "bind and name");

  /* Resolution fails cleanly for an interface that does not exist. */
  cfg = config_with(MCTX_FAMILY_IPV4, NULL, "nosuch0");
  mctx_raw_publication *pub = NULL;
  expect(mctx_raw_publication_open(&cfg, &pub, &err), &err,
         MCTX_E_INTERFACE_NOT_FOUND, MCTX_SUBJECT_INTERFACE,
         "unknown interface");
  TESTNET_CHECK(pub == NULL, "no publication on failure");
  cfg = config_with(MCTX_FAMILY_IPV4, "192.0.2.55", NULL);
  expect(mctx_raw_publication_open(&cfg, &pub, &err), &err,
         MCTX_E_INTERFACE_DISCOVERY_FAILED, MCTX_SUBJECT_SOURCE_ADDRESS,
         "non-local bind");
  TESTNET_CHECK(pub == NULL, "no publication on failure");

  expect(mctx_raw_publication_send(NULL, "x", 1, NULL, &err), &err,
         MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT,
         "send without publication");
  mctx_metrics m;
  mctx_raw_publication_metrics_snapshot(NULL, &m);
  TESTNET_CHECK(m.send_calls == 0, "NULL snapshot is zero");
  TESTNET_CHECK(mctx_raw_publication_get_config(NULL) == NULL, "NULL config");
}

static void
check_mode(const uint8_t *d, size_t len, mctx_raw_validation mode, int code,
           const char *label)
{
  mctx_error err;
  expect(mctx_raw_datagram_check_mode(d, len, mode, NULL, &err), &err, code,
         code == MCTX_OK ? MCTX_SUBJECT_NONE : MCTX_SUBJECT_DATAGRAM, label);
}

/* Sources no host can have are refused in every mode; unicast destinations
 * only when the mode allows them; raw-ip verifies the header checksum. */
static void
source_and_mode_cases(void)
{
  static const char *bad_v4[] = {"224.0.0.1", "0.0.0.0", "255.255.255.255"};
  uint8_t d[128];
  for (size_t i = 0; i < 3; i++) {
    size_t n = rawtest_ipv4_udp(d, bad_v4[i], "239.77.1.1", 1, 7, 4000, 5000,
                                "abcd", 4);
    char label[64];
    for (int mode = 0; mode <= MCTX_RAW_VALIDATION_IP_DATAGRAM; mode++) {
      snprintf(label, sizeof label, "IPv4 source %s, mode %d", bad_v4[i], mode);
      check_mode(d, n, (mctx_raw_validation) mode, MCTX_E_INVALID_RAW_DATAGRAM,
                 label);
    }
  }
  static const char *bad_v6[] = {"ff02::1", "::"};
  for (size_t i = 0; i < 2; i++) {
    size_t n = rawtest_ipv6_udp(d, bad_v6[i], "ff3e::77:1", 0, 0, 1, false,
                                4000, 5000, "abcd", 4);
    char label[64];
    snprintf(label, sizeof label, "IPv6 source %s", bad_v6[i]);
    check_datagram(d, n, MCTX_E_INVALID_RAW_DATAGRAM, MCTX_SUBJECT_DATAGRAM,
                   label);
  }

  size_t n = rawtest_ipv4_udp(d, "10.77.0.1", "10.77.0.2", 1, 7, 4000, 5000,
                              "abcd", 4);
  check_mode(d, n, MCTX_RAW_VALIDATION_STRICT_MULTICAST,
             MCTX_E_INVALID_RAW_MULTICAST_DESTINATION,
             "IPv4 unicast destination, strict");
  check_mode(d, n, MCTX_RAW_VALIDATION_ANY_DESTINATION, MCTX_OK,
             "IPv4 unicast destination, any destination");
  check_mode(d, n, MCTX_RAW_VALIDATION_IP_DATAGRAM, MCTX_OK,
             "IPv4 unicast destination, raw-ip");
  d[10] ^= 0x01;
  check_mode(d, n, MCTX_RAW_VALIDATION_ANY_DESTINATION, MCTX_OK,
             "IPv4 bad header checksum, any destination (not verified)");
  check_mode(d, n, MCTX_RAW_VALIDATION_IP_DATAGRAM, MCTX_E_INVALID_RAW_DATAGRAM,
             "IPv4 bad header checksum, raw-ip");
  static const char *bad_dst[] = {"0.0.0.0", "255.255.255.255"};
  for (size_t i = 0; i < 2; i++) {
    n = rawtest_ipv4_udp(d, "10.77.0.1", bad_dst[i], 1, 7, 4000, 5000, "abcd",
                         4);
    char label[64];
    snprintf(label, sizeof label, "IPv4 destination %s, any destination",
             bad_dst[i]);
    check_mode(d, n, MCTX_RAW_VALIDATION_ANY_DESTINATION,
               MCTX_E_INVALID_RAW_DATAGRAM, label);
  }
  n = rawtest_ipv6_udp(d, "fd77::1", "fd77::2", 0, 0, 1, false, 4000, 5000,
                       "abcd", 4);
  check_mode(d, n, MCTX_RAW_VALIDATION_ANY_DESTINATION, MCTX_OK,
             "IPv6 unicast destination, any destination");
  mctx_error err;
  expect(
      mctx_raw_datagram_check_mode(d, n, (mctx_raw_validation) 9, NULL, &err),
      &err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT,
      "validation mode 9");
}

/* Ids, lookups and a replace that fails, all without a socket: the configs
 * are refused by validation. */
static void
context_cases(void)
{
  mctx_raw_context *ctx;
  TESTNET_CHECK(mctx_raw_context_new(&ctx) == MCTX_OK, "raw context");
  mctx_raw_config cfg;
  mctx_raw_config_init(&cfg);
  mctx_error err;
  mctx_publication_id id = 99;
  expect(mctx_raw_context_add(ctx, &cfg, &id, &err), &err,
         MCTX_E_RAW_INTERFACE_REQUIRED, MCTX_SUBJECT_INTERFACE,
         "context add without egress");
  TESTNET_CHECK(mctx_raw_context_count(ctx) == 0, "nothing added");
  TESTNET_CHECK(!mctx_raw_context_contains(ctx, 1), "no id 1");
  TESTNET_CHECK(mctx_raw_context_get(ctx, 1) == NULL, "get of unknown");
  expect(mctx_raw_context_replace(ctx, 1, &cfg, &err), &err,
         MCTX_E_PUBLICATION_NOT_FOUND, MCTX_SUBJECT_PUBLICATION,
         "replace of unknown id");
  expect(mctx_raw_context_send(ctx, 1, "x", 1, NULL, &err), &err,
         MCTX_E_PUBLICATION_NOT_FOUND, MCTX_SUBJECT_PUBLICATION,
         "send through unknown id");
  TESTNET_CHECK(mctx_raw_context_remove(ctx, 1) == MCTX_E_PUBLICATION_NOT_FOUND,
                "remove of unknown");
  mctx_raw_publication *taken = (mctx_raw_publication *) &cfg;
  TESTNET_CHECK(mctx_raw_context_take(ctx, 1, &taken) ==
                        MCTX_E_PUBLICATION_NOT_FOUND &&
                    taken == NULL,
                "take of unknown");
  cfg.validation = (mctx_raw_validation) 7;
  cfg.interface.kind = MCTX_INTERFACE_INDEX;
  cfg.interface.index = 1;
  cfg.family = MCTX_FAMILY_IPV4;
  expect(mctx_raw_config_validate(&cfg, &err), &err, MCTX_E_INVALID_ARGUMENT,
         MCTX_SUBJECT_ARGUMENT, "config validation mode 7");
  mctx_raw_context_free(ctx);
  mctx_raw_context_free(NULL);
  printf("ok raw context lookups of unknown ids\n");
}

int
main(void)
{
  datagram_cases();
  source_and_mode_cases();
  context_cases();
  config_cases();
  printf("PASS\n");
  return 0;
}
