/* Raw datagram checks and raw config validation, case by case. Touches no
 * network: runs everywhere, unprivileged.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rawtest.h"

#include <stdio.h>
#include <string.h>

static void
expect (int rc, const mctx_error *err, int code, const char *text,
        const char *label)
{
  TESTNET_CHECK (rc == code, "%s: got %s (%s), expected %s", label,
                 mctx_code_name (rc), err->message, mctx_code_name (code));
  TESTNET_CHECK (err->code == code, "%s: err.code %d", label, err->code);
  if (text != NULL)
    TESTNET_CHECK (strstr (err->message, text) != NULL,
                   "%s: message '%s' lacks '%s'", label, err->message, text);
  printf ("ok %s: %s\n", label, code == MCTX_OK ? "accepted" : err->message);
}

static void
check_datagram (const uint8_t *d, size_t len, int code, const char *text,
                const char *label)
{
  mctx_error err;
  mctx_raw_datagram_info info;
  expect (mctx_raw_datagram_check (d, len, &info, &err), &err, code, text,
          label);
}

static void
datagram_cases (void)
{
  uint8_t v4[64], v6[128], d[128];
  size_t n4 = rawtest_ipv4_udp (v4, "198.51.100.7", "239.77.1.1", 1, 7, 4000,
                                5000, "abcd", 4);
  size_t n6 = rawtest_ipv6_udp (v6, "2001:db8::7", "ff3e::77:1", 0, 0, 1,
                                false, 4000, 5000, "abcd", 4);
  mctx_error err;

  expect (mctx_raw_datagram_check (NULL, 4, NULL, &err), &err,
          MCTX_E_INVALID_ARGUMENT, "NULL", "NULL datagram");
  check_datagram (v4, 0, MCTX_E_INVALID_RAW_DATAGRAM, "empty", "empty");

  memcpy (d, v4, n4);
  d[0] = 0x55;
  check_datagram (d, n4, MCTX_E_INVALID_RAW_DATAGRAM,
                  "IP version 5 is not supported", "version 5");
  d[0] = 0x05;
  check_datagram (d, n4, MCTX_E_INVALID_RAW_DATAGRAM, "IP version 0",
                  "version 0");

  check_datagram (v4, 19, MCTX_E_INVALID_RAW_DATAGRAM,
                  "19 bytes is shorter than the 20-byte", "IPv4 truncated header");
  check_datagram (v4, 1, MCTX_E_INVALID_RAW_DATAGRAM, "1 bytes",
                  "IPv4 one byte");
  memcpy (d, v4, n4);
  d[0] = 0x44;
  check_datagram (d, n4, MCTX_E_INVALID_RAW_DATAGRAM, "IHL 4", "IHL 4");
  d[0] = 0x40;
  check_datagram (d, n4, MCTX_E_INVALID_RAW_DATAGRAM, "IHL 0", "IHL 0");
  d[0] = 0x4f;
  check_datagram (d, n4, MCTX_E_INVALID_RAW_DATAGRAM,
                  "header length 60 exceeds the datagram's 32 bytes",
                  "IHL beyond buffer");
  check_datagram (v4, n4 - 1, MCTX_E_INVALID_RAW_DATAGRAM,
                  "total length field 32 does not match the datagram's 31",
                  "IPv4 truncated payload");
  memcpy (d, v4, n4);
  d[3] += 1;
  check_datagram (d, n4, MCTX_E_INVALID_RAW_DATAGRAM,
                  "total length field 33", "IPv4 total length too big");
  memcpy (d, v4, n4);
  d[16] = 10;
  check_datagram (d, n4, MCTX_E_INVALID_RAW_MULTICAST_DESTINATION,
                  "destination 10.77.1.1 is not a multicast address",
                  "IPv4 unicast destination");
  d[16] = 255; d[17] = 255; d[18] = 255; d[19] = 255;
  check_datagram (d, n4, MCTX_E_INVALID_RAW_MULTICAST_DESTINATION,
                  "255.255.255.255", "IPv4 broadcast destination");

  /* Valid IPv4 with 4 bytes of options (IHL 6). */
  uint8_t opt[64];
  memcpy (opt, v4, 20);
  opt[0] = 0x46;
  memset (opt + 20, 1, 4); /* NOP options */
  memcpy (opt + 24, v4 + 20, n4 - 20);
  opt[3] = (uint8_t) (n4 + 4);
  mctx_raw_datagram_info info;
  expect (mctx_raw_datagram_check (opt, n4 + 4, &info, &err), &err, MCTX_OK,
          NULL, "IPv4 with options");
  char text[MCTX_IP_STRLEN];
  TESTNET_CHECK (info.family == MCTX_FAMILY_IPV4, "family %d", info.family);
  TESTNET_CHECK (info.header_len == 24, "header_len %zu", info.header_len);
  TESTNET_CHECK (info.protocol == 17, "protocol %u", info.protocol);
  TESTNET_CHECK (strcmp (mctx_ip_format (&info.source, text, sizeof text),
                         "198.51.100.7") == 0, "source %s", text);
  TESTNET_CHECK (strcmp (mctx_ip_format (&info.destination, text, sizeof text),
                         "239.77.1.1") == 0, "destination %s", text);
  expect (mctx_raw_datagram_check (v4, n4, NULL, &err), &err, MCTX_OK, NULL,
          "IPv4 info NULL");

  check_datagram (v6, 39, MCTX_E_INVALID_RAW_DATAGRAM,
                  "39 bytes is shorter than the 40-byte", "IPv6 truncated header");
  check_datagram (v6, n6 - 2, MCTX_E_INVALID_RAW_DATAGRAM,
                  "payload length field 12 plus the 40-byte header does not "
                  "match the datagram's 50 bytes",
                  "IPv6 truncated payload");
  memcpy (d, v6, n6);
  d[5] = 0;
  check_datagram (d, n6, MCTX_E_INVALID_RAW_DATAGRAM, "payload length field 0",
                  "IPv6 payload length 0");
  memcpy (d, v6, n6);
  d[24] = 0x20;
  d[25] = 0x01;
  check_datagram (d, n6, MCTX_E_INVALID_RAW_MULTICAST_DESTINATION,
                  "destination 2001::77:1 is not a multicast address",
                  "IPv6 unicast destination");

  uint8_t ext[128];
  size_t next = rawtest_ipv6_udp (ext, "fd77::1", "ff15::77:1", 0x2e, 0xabcde,
                                  9, true, 1, 2, "xy", 2);
  expect (mctx_raw_datagram_check (ext, next, &info, &err), &err, MCTX_OK,
          NULL, "IPv6 with destination options");
  TESTNET_CHECK (info.family == MCTX_FAMILY_IPV6, "family %d", info.family);
  TESTNET_CHECK (info.header_len == 40, "header_len %zu", info.header_len);
  TESTNET_CHECK (info.protocol == 60, "next header %u", info.protocol);
  TESTNET_CHECK (strcmp (mctx_ip_format (&info.source, text, sizeof text),
                         "fd77::1") == 0, "source %s", text);
  TESTNET_CHECK (strcmp (mctx_ip_format (&info.destination, text, sizeof text),
                         "ff15::77:1") == 0, "destination %s", text);
}

static mctx_raw_config
config_with (mctx_family family, const char *bind, const char *itf)
{
  mctx_raw_config cfg;
  mctx_raw_config_init (&cfg);
  cfg.family = family;
  mctx_error err;
  if (bind != NULL)
    TESTNET_CHECK (mctx_ip_parse (bind, &cfg.bind_addr, &err) == MCTX_OK,
                   "parse %s: %s", bind, err.message);
  if (itf != NULL)
    TESTNET_CHECK (mctx_interface_parse (itf, &cfg.interface, &err) == MCTX_OK,
                   "parse %s: %s", itf, err.message);
  return cfg;
}

static void
check_config (mctx_raw_config cfg, int code, const char *text, const char *label)
{
  mctx_error err;
  expect (mctx_raw_config_validate (&cfg, &err), &err, code, text, label);
  if (code != MCTX_OK) {
    /* Opening refuses the same way, before touching the system. */
    mctx_raw_publication *pub = (mctx_raw_publication *) &cfg;
    int rc = mctx_raw_publication_open (&cfg, &pub, &err);
    TESTNET_CHECK (rc == code && pub == NULL, "%s: open gave %s", label,
                   mctx_code_name (rc));
  }
}

static void
config_cases (void)
{
  mctx_raw_config cfg;
  mctx_raw_config_init (&cfg);
  TESTNET_CHECK (cfg.family == MCTX_FAMILY_UNSPEC && cfg.ttl == -1
                     && cfg.loopback && cfg.interface.kind == MCTX_INTERFACE_NONE
                     && cfg.bind_addr.family == MCTX_FAMILY_UNSPEC,
                 "defaults");
  mctx_error err;
  expect (mctx_raw_config_validate (NULL, &err), &err, MCTX_E_INVALID_ARGUMENT,
          NULL, "NULL config");

  check_config (config_with (MCTX_FAMILY_IPV4, NULL, NULL),
                MCTX_E_RAW_INTERFACE_REQUIRED, "bind address or an outgoing",
                "no bind, no interface");
  check_config (config_with (MCTX_FAMILY_UNSPEC, NULL, NULL),
                MCTX_E_RAW_INTERFACE_REQUIRED, NULL, "nothing at all");
  check_config (config_with (MCTX_FAMILY_IPV4, "239.1.1.1", NULL),
                MCTX_E_INVALID_RAW_BIND_ADDRESS,
                "raw bind address 239.1.1.1 is a multicast address",
                "bind multicast v4");
  check_config (config_with (MCTX_FAMILY_IPV6, "ff15::1", "lo"),
                MCTX_E_INVALID_RAW_BIND_ADDRESS, "ff15::1", "bind multicast v6");
  check_config (config_with (MCTX_FAMILY_IPV4, "0.0.0.0", NULL),
                MCTX_E_INVALID_RAW_BIND_ADDRESS, "0.0.0.0 is unspecified",
                "bind unspecified v4");
  check_config (config_with (MCTX_FAMILY_UNSPEC, "::", NULL),
                MCTX_E_INVALID_RAW_BIND_ADDRESS, ":: is unspecified",
                "bind unspecified v6");
  check_config (config_with (MCTX_FAMILY_IPV6, "10.0.0.1", NULL),
                MCTX_E_RAW_BIND_ADDRESS_FAMILY_MISMATCH,
                "raw bind address 10.0.0.1 is IPv4 but the raw publication is IPv6",
                "bind family mismatch");
  check_config (config_with (MCTX_FAMILY_IPV4, NULL, "239.1.1.1"),
                MCTX_E_INVALID_INTERFACE_ADDRESS,
                "interface address 239.1.1.1", "interface multicast");
  check_config (config_with (MCTX_FAMILY_IPV4, NULL, "fd00::1"),
                MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH,
                "interface address fd00::1 is IPv6 but the raw publication is IPv4",
                "interface family vs family");
  check_config (config_with (MCTX_FAMILY_UNSPEC, "10.0.0.1", "fd00::1"),
                MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH,
                "raw bind address 10.0.0.1 is IPv4", "interface family vs bind");

  cfg = config_with (MCTX_FAMILY_IPV6, NULL, NULL);
  cfg.interface.kind = MCTX_INTERFACE_INDEX;
  cfg.interface.index = 0;
  check_config (cfg, MCTX_E_INVALID_IPV6_INTERFACE_INDEX, "index 0",
                "interface index 0");
  cfg = config_with (MCTX_FAMILY_IPV4, NULL, NULL);
  cfg.interface.kind = MCTX_INTERFACE_NAME;
  check_config (cfg, MCTX_E_INVALID_INTERFACE_NAME, NULL, "empty name");

  cfg = config_with (MCTX_FAMILY_IPV4, NULL, "lo");
  cfg.ttl = 256;
  check_config (cfg, MCTX_E_INVALID_ARGUMENT, "TTL override 256", "ttl 256");
  cfg.ttl = -2;
  check_config (cfg, MCTX_E_INVALID_ARGUMENT, "TTL override -2", "ttl -2");
  cfg.ttl = 0;
  check_config (cfg, MCTX_OK, NULL, "ttl 0");
  cfg.ttl = 255;
  check_config (cfg, MCTX_OK, NULL, "ttl 255");

  cfg = config_with (MCTX_FAMILY_UNSPEC, NULL, "lo");
  check_config (cfg, MCTX_E_INVALID_ARGUMENT,
                "family cannot be inferred from interface lo", "name, no family");
  cfg.family = (mctx_family) 5;
  check_config (cfg, MCTX_E_INVALID_ARGUMENT, "raw family 5", "family 5");

  check_config (config_with (MCTX_FAMILY_UNSPEC, "10.0.0.1", NULL), MCTX_OK,
                NULL, "bind only (family inferred)");
  check_config (config_with (MCTX_FAMILY_UNSPEC, NULL, "fd00::1"), MCTX_OK,
                NULL, "interface address only (family inferred)");
  check_config (config_with (MCTX_FAMILY_IPV6, NULL, "7"), MCTX_OK, NULL,
                "index with family");
  check_config (config_with (MCTX_FAMILY_IPV4, "10.0.0.1", "eth0"), MCTX_OK,
                NULL, "bind and name");

  /* Resolution fails cleanly for an interface that does not exist. */
  cfg = config_with (MCTX_FAMILY_IPV4, NULL, "nosuch0");
  mctx_raw_publication *pub = NULL;
  expect (mctx_raw_publication_open (&cfg, &pub, &err), &err,
          MCTX_E_INTERFACE_NOT_FOUND, "'nosuch0' does not exist",
          "unknown interface");
  TESTNET_CHECK (pub == NULL, "no publication on failure");
  cfg = config_with (MCTX_FAMILY_IPV4, "192.0.2.55", NULL);
  expect (mctx_raw_publication_open (&cfg, &pub, &err), &err,
          MCTX_E_INTERFACE_DISCOVERY_FAILED, "192.0.2.55", "non-local bind");
  TESTNET_CHECK (pub == NULL, "no publication on failure");

  expect (mctx_raw_publication_send (NULL, "x", 1, NULL, &err), &err,
          MCTX_E_INVALID_ARGUMENT, NULL, "send without publication");
  mctx_metrics m;
  mctx_raw_publication_metrics_snapshot (NULL, &m);
  TESTNET_CHECK (m.send_calls == 0, "NULL snapshot is zero");
  TESTNET_CHECK (mctx_raw_publication_get_config (NULL) == NULL, "NULL config");
}

int
main (void)
{
  datagram_cases ();
  config_cases ();
  printf ("PASS\n");
  return 0;
}
