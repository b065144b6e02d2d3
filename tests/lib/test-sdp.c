/* libmctx: SDP session lines and SAP packets (sdp.c). No network.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx.h"
#include "testnet.h"

#include <stdio.h>
#include <string.h>

static mctx_ip
ip(const char *text)
{
  mctx_ip out;
  mctx_error err;
  TESTNET_CHECK(mctx_ip_parse(text, &out, &err) == MCTX_OK, "%s", err.message);
  return out;
}

static mctx_sdp_session
session(const char *group, const char *source, uint32_t ttl)
{
  mctx_sdp_session s;

  mctx_sdp_session_init(&s);
  s.group = ip(group);
  if (source != NULL)
    s.source = ip(source);
  s.ttl = ttl;
  return s;
}

static void
expect_session(const char *group, const char *source, uint32_t ttl,
               const char *name, const char *expected)
{
  mctx_sdp_session s = session(group, source, ttl);
  char buf[MCTX_SDP_SESSION_MAX];
  size_t len = 0;
  mctx_error err;

  s.session_id = 3917000000u;
  s.session_version = 2;
  s.name = name;
  TESTNET_CHECK(mctx_sdp_format_session(&s, buf, sizeof buf, &len, &err) ==
                    MCTX_OK,
                "%s", err.message);
  TESTNET_CHECK(strcmp(buf, expected) == 0, "got\n%s\nexpected\n%s", buf,
                expected);
  TESTNET_CHECK(len == strlen(expected), "len %zu", len);
}

static void
expect_session_refused(const char *group, const char *source, uint32_t ttl,
                       mctx_subject subject, const char *message)
{
  mctx_sdp_session s = session(group, source, ttl);
  char buf[MCTX_SDP_SESSION_MAX];
  mctx_error err;

  TESTNET_CHECK(mctx_sdp_format_session(&s, buf, sizeof buf, NULL, &err) ==
                    MCTX_E_INVALID_ARGUMENT,
                "%s accepted", group);
  TESTNET_CHECK(err.subject == subject, "subject %s",
                mctx_subject_name(err.subject));
  TESTNET_CHECK(strcmp(err.message, message) == 0, "message '%s'", err.message);
}

static void
test_sessions(void)
{
  expect_session("239.255.12.50", "127.0.0.1", 4, "H.264",
                 "v=0\r\n"
                 "o=- 3917000000 2 IN IP4 127.0.0.1\r\n"
                 "s=H.264\r\n"
                 "c=IN IP4 239.255.12.50/4\r\n"
                 "t=0 0\r\n"
                 "a=source-filter: incl IN IP4 239.255.12.50 127.0.0.1\r\n");
  expect_session("239.255.12.50", NULL, 1, NULL,
                 "v=0\r\n"
                 "o=- 3917000000 2 IN IP4 0.0.0.0\r\n"
                 "s=-\r\n"
                 "c=IN IP4 239.255.12.50/1\r\n"
                 "t=0 0\r\n");
  expect_session("ff3e::8000:1", "fd00::1", 1, "six",
                 "v=0\r\n"
                 "o=- 3917000000 2 IN IP6 fd00::1\r\n"
                 "s=six\r\n"
                 "c=IN IP6 ff3e::8000:1\r\n"
                 "t=0 0\r\n"
                 "a=source-filter: incl IN IP6 ff3e::8000:1 fd00::1\r\n");
  /* An SDP has no zones. */
  expect_session("ff12::1%1", "fe80::1%1", 1, "",
                 "v=0\r\n"
                 "o=- 3917000000 2 IN IP6 fe80::1\r\n"
                 "s=-\r\n"
                 "c=IN IP6 ff12::1\r\n"
                 "t=0 0\r\n"
                 "a=source-filter: incl IN IP6 ff12::1 fe80::1\r\n");

  /* any_source: no filter for ASM, still one for SSM. */
  mctx_sdp_session asm_s;
  char asm_buf[MCTX_SDP_SESSION_MAX];
  mctx_sdp_session_init(&asm_s);
  asm_s.group = ip("239.255.1.1");
  asm_s.source = ip("127.0.0.1");
  asm_s.any_source = true;
  TESTNET_CHECK(mctx_sdp_format_session(&asm_s, asm_buf, sizeof asm_buf, NULL,
                                        NULL) == MCTX_OK,
                "asm");
  TESTNET_CHECK(strstr(asm_buf, "a=source-filter") == NULL &&
                    strstr(asm_buf, "IN IP4 127.0.0.1\r\n") != NULL,
                "%s", asm_buf);
  asm_s.group = ip("232.1.1.1");
  TESTNET_CHECK(mctx_sdp_format_session(&asm_s, asm_buf, sizeof asm_buf, NULL,
                                        NULL) == MCTX_OK,
                "ssm");
  TESTNET_CHECK(strstr(asm_buf, "a=source-filter: incl IN IP4 232.1.1.1 "
                                "127.0.0.1\r\n") != NULL,
                "%s", asm_buf);

  expect_session_refused("10.0.0.1", NULL, 1, MCTX_SUBJECT_GROUP,
                         "group 10.0.0.1 is not a multicast address");
  expect_session_refused("232.1.2.3", NULL, 1, MCTX_SUBJECT_SOURCE_ADDRESS,
                         "SSM group 232.1.2.3 needs a source in its SDP");
  expect_session_refused("232.1.2.3", "fd00::1", 1, MCTX_SUBJECT_SOURCE_ADDRESS,
                         "source fd00::1 cannot send to group 232.1.2.3");
  expect_session_refused("239.1.2.3", NULL, 256, MCTX_SUBJECT_TTL,
                         "ttl 256 is out of range 0..255");

  /* A time-based id; the version follows it. */
  mctx_sdp_session s;
  char buf[MCTX_SDP_SESSION_MAX];
  unsigned long long id, version;
  mctx_sdp_session_init(&s);
  s.group = ip("239.1.2.3");
  TESTNET_CHECK(mctx_sdp_format_session(&s, buf, sizeof buf, NULL, NULL) ==
                    MCTX_OK,
                "time-based");
  TESTNET_CHECK(sscanf(buf, "v=0\r\no=- %llu %llu", &id, &version) == 2, "%s",
                buf);
  TESTNET_CHECK(id > 3900000000ull && version == id, "id %llu version %llu", id,
                version);

  s.name = "two\nlines";
  TESTNET_CHECK(mctx_sdp_format_session(&s, buf, sizeof buf, NULL, NULL) ==
                    MCTX_E_INVALID_ARGUMENT,
                "line break accepted");
  s.name = NULL;
  TESTNET_CHECK(mctx_sdp_format_session(&s, buf, 40, NULL, NULL) ==
                    MCTX_E_INVALID_ARGUMENT,
                "small buffer accepted");
}

static void
expect_sap_group(const char *group, const char *expected)
{
  mctx_ip g = ip(group), sap;
  char text[MCTX_IP_STRLEN];
  mctx_error err;

  if (expected == NULL) {
    TESTNET_CHECK(mctx_sap_group(&g, &sap, &err) ==
                      MCTX_E_INVALID_MULTICAST_GROUP,
                  "%s has a SAP group", group);
    TESTNET_CHECK(strstr(err.message, group) != NULL, "%s", err.message);
    return;
  }
  TESTNET_CHECK(mctx_sap_group(&g, &sap, &err) == MCTX_OK, "%s", err.message);
  mctx_ip_format(&sap, text, sizeof text);
  TESTNET_CHECK(strcmp(text, expected) == 0, "%s: %s, not %s", group, text,
                expected);
}

static void
test_sap_groups(void)
{
  expect_sap_group("224.0.1.20", "224.2.127.254");
  expect_sap_group("232.0.12.50", "224.2.127.254");
  expect_sap_group("238.255.255.255", "224.2.127.254");
  expect_sap_group("239.255.12.50", "239.255.255.255");
  expect_sap_group("239.192.0.1", "239.195.255.255");
  expect_sap_group("239.195.1.1", "239.195.255.255");
  expect_sap_group("239.1.2.3", NULL);
  expect_sap_group("224.0.0.251", NULL);
  expect_sap_group("ff3e::8000:1", "ff0e::2:7ffe");
  expect_sap_group("ff15::1", "ff05::2:7ffe");
  expect_sap_group("ff12::1%1", "ff02::2:7ffe%1");
  expect_sap_group("10.0.0.1", NULL);
}

static void
test_sap_packets(void)
{
  static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n";
  uint8_t buf[256];
  size_t len;
  mctx_sap_packet p;
  mctx_error err;
  mctx_ip origin = ip("127.0.0.1");
  uint16_t hash = mctx_sap_message_id_hash(sdp, strlen(sdp));

  TESTNET_CHECK(hash != 0, "zero hash");
  TESTNET_CHECK(hash != mctx_sap_message_id_hash(sdp, strlen(sdp) - 1),
                "hash does not follow the payload");

  TESTNET_CHECK(mctx_sap_packet_build(MCTX_SAP_ANNOUNCE, hash, &origin, sdp,
                                      strlen(sdp), buf, sizeof buf, &len,
                                      &err) == MCTX_OK,
                "%s", err.message);
  TESTNET_CHECK(len == 4 + 4 + 16 + strlen(sdp), "len %zu", len);
  /* V=1, A=0 (IPv4), R=0, T=0, E=0, C=0; auth len 0. */
  TESTNET_CHECK(buf[0] == 0x20 && buf[1] == 0, "header %02x %02x", buf[0],
                buf[1]);
  TESTNET_CHECK(buf[2] == hash >> 8 && buf[3] == (hash & 0xff), "hash");
  TESTNET_CHECK(memcmp(buf + 4, (uint8_t[]){127, 0, 0, 1}, 4) == 0, "origin");
  TESTNET_CHECK(memcmp(buf + 8, "application/sdp", 16) == 0, "payload type");
  TESTNET_CHECK(mctx_sap_packet_parse(buf, len, &p, &err) == MCTX_OK, "%s",
                err.message);
  TESTNET_CHECK(p.version == 1 && p.type == MCTX_SAP_ANNOUNCE &&
                    p.message_id_hash == hash && !p.encrypted && !p.compressed,
                "parsed header");
  TESTNET_CHECK(mctx_ip_equal(&p.origin, &origin), "parsed origin");
  TESTNET_CHECK(strcmp(p.payload_type, "application/sdp") == 0, "type %s",
                p.payload_type);
  TESTNET_CHECK(p.payload_len == strlen(sdp) &&
                    memcmp(p.payload, sdp, p.payload_len) == 0,
                "payload");

  /* A deletion from an IPv6 origin. */
  origin = ip("fd00::1");
  TESTNET_CHECK(mctx_sap_packet_build(MCTX_SAP_DELETE, hash, &origin, sdp,
                                      strlen(sdp), buf, sizeof buf, &len,
                                      &err) == MCTX_OK,
                "%s", err.message);
  TESTNET_CHECK(buf[0] == 0x34, "header %02x", buf[0]);
  TESTNET_CHECK(mctx_sap_packet_parse(buf, len, &p, &err) == MCTX_OK, "%s",
                err.message);
  TESTNET_CHECK(p.type == MCTX_SAP_DELETE &&
                    mctx_ip_equal(&p.origin, &origin) &&
                    p.payload_len == strlen(sdp),
                "parsed deletion");

  /* Too small, a bad origin, a packet of another version, no payload type
   * NUL, a packet without payload type. */
  TESTNET_CHECK(mctx_sap_packet_build(MCTX_SAP_ANNOUNCE, hash, &origin, sdp,
                                      strlen(sdp), buf, 40, &len,
                                      &err) == MCTX_E_INVALID_ARGUMENT,
                "small buffer");
  mctx_ip none = {0};
  TESTNET_CHECK(mctx_sap_packet_build(MCTX_SAP_ANNOUNCE, hash, &none, sdp,
                                      strlen(sdp), buf, sizeof buf, &len,
                                      &err) == MCTX_E_INVALID_ARGUMENT,
                "no origin");
  uint8_t v2[] = {0x40, 0, 0, 1, 127, 0, 0, 1, 'v', '=', '0'};
  TESTNET_CHECK(mctx_sap_packet_parse(v2, sizeof v2, &p, &err) ==
                        MCTX_E_INVALID_ARGUMENT &&
                    strcmp(err.message, "not a SAP packet: version is not 1") ==
                        0,
                "%s", err.message);
  uint8_t no_nul[] = {0x20, 0, 0, 1, 127, 0, 0, 1, 'a', 'p', 'p'};
  TESTNET_CHECK(mctx_sap_packet_parse(no_nul, sizeof no_nul, &p, &err) ==
                    MCTX_E_INVALID_ARGUMENT,
                "no NUL accepted");
  uint8_t bare[] = {0x20, 0, 0, 1, 127, 0, 0, 1, 'v', '=', '0', '\r', '\n'};
  TESTNET_CHECK(mctx_sap_packet_parse(bare, sizeof bare, &p, &err) == MCTX_OK &&
                    p.payload_type[0] == '\0' && p.payload_len == 5,
                "bare SDP");
  uint8_t authed[] = {0x20, 1, 0, 1, 127, 0, 0, 1, 9, 9, 9, 9, 'x', 0, 'y'};
  TESTNET_CHECK(mctx_sap_packet_parse(authed, sizeof authed, &p, &err) ==
                        MCTX_OK &&
                    strcmp(p.payload_type, "x") == 0 && p.payload_len == 1 &&
                    p.payload[0] == 'y',
                "authentication skipped");
}

static void
test_intervals(void)
{
  /* A lone small announcement: the RFC's floor of 300 s. */
  TESTNET_CHECK(mctx_sap_interval_secs(500, 1, 0, 0.5) == 300.0, "floor");
  /* 8 * 100 * 2000 / 4000 = 400 s; jitter spans -1/3..+1/3. */
  TESTNET_CHECK(mctx_sap_interval_secs(2000, 100, 0, 0.5) == 400.0, "400");
  double low = mctx_sap_interval_secs(2000, 100, 0, 0.0);
  double high = mctx_sap_interval_secs(2000, 100, 0, 1.0);
  TESTNET_CHECK(low > 266.6 && low < 266.7, "low %f", low);
  TESTNET_CHECK(high > 533.3 && high < 533.4, "high %f", high);
  /* A higher limit, and 0 announcements counting as one. */
  TESTNET_CHECK(mctx_sap_interval_secs(100000, 0, 8000, 0.5) == 300.0, "limit");
  TESTNET_CHECK(mctx_sap_interval_secs(100000, 0, 1000, 0.5) == 800.0,
                "limit 1000");
}

int
main(void)
{
  test_sessions();
  test_sap_groups();
  test_sap_packets();
  test_intervals();
  printf("test-sdp: ok\n");
  return 0;
}
