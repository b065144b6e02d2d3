/* libmctx: SDP session lines and SAP packets (sdp.c). No network.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx.h"
#include "testnet.h"

#include <math.h>
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
  /* A lone small announcement: 8 * 500 / 4000 = 1 s, raised to 5 s; the
   * offset may lengthen it (+1/3) but not shorten it below 5 s. */
  TESTNET_CHECK(mctx_sap_interval_secs(500, 1, 0, 0.5) == 5.0, "floor");
  TESTNET_CHECK(mctx_sap_interval_secs(500, 1, 0, 0.0) == 5.0, "floor low");
  double high = mctx_sap_interval_secs(500, 1, 0, 1.0);
  TESTNET_CHECK(high > 6.66 && high < 6.67, "floor high %f", high);
  /* Between the bounds: 8 * 10 * 1000 / 4000 = 20 s, -1/3..+1/3. */
  TESTNET_CHECK(mctx_sap_interval_secs(1000, 10, 0, 0.5) == 20.0, "20");
  double low = mctx_sap_interval_secs(1000, 10, 0, 0.0);
  high = mctx_sap_interval_secs(1000, 10, 0, 1.0);
  TESTNET_CHECK(low > 13.33 && low < 13.34, "low %f", low);
  TESTNET_CHECK(high > 26.66 && high < 26.67, "high %f", high);
  /* Exactly at the floor: 8 * 5 * 500 / 4000 = 5 s. */
  TESTNET_CHECK(mctx_sap_interval_secs(500, 5, 0, 0.5) == 5.0, "at 5");
  /* A crowded group: 8 * 100 * 2000 / 4000 = 400 s, capped at 300 s; the
   * offset may shorten it (-1/3) but not lengthen it past 300 s. */
  TESTNET_CHECK(mctx_sap_interval_secs(2000, 100, 0, 0.5) == 300.0, "cap");
  TESTNET_CHECK(mctx_sap_interval_secs(2000, 100, 0, 1.0) == 300.0, "cap high");
  TESTNET_CHECK(mctx_sap_interval_secs(2000, 100, 0, 0.0) == 200.0, "cap low");
  /* Exactly at the cap: 8 * 75 * 2000 / 4000 = 300 s. */
  TESTNET_CHECK(mctx_sap_interval_secs(2000, 75, 0, 0.5) == 300.0, "at 300");
  /* A higher or lower limit, and 0 announcements counting as one:
   * 8 * 10000 / 8000 = 10 s, 8 * 10000 / 1000 = 80 s. */
  TESTNET_CHECK(mctx_sap_interval_secs(10000, 0, 8000, 0.5) == 10.0,
                "limit 8000");
  TESTNET_CHECK(mctx_sap_interval_secs(10000, 0, 1000, 0.5) == 80.0,
                "limit 1000");
  /* A jitter out of 0..1 (or NaN) is taken as its nearest bound. */
  TESTNET_CHECK(mctx_sap_interval_secs(1000, 10, 0, -1.0) == low, "jitter<0");
  TESTNET_CHECK(mctx_sap_interval_secs(1000, 10, 0, NAN) == low, "jitter NaN");
  TESTNET_CHECK(mctx_sap_interval_secs(1000, 10, 0, 2.0) == high, "jitter>1");
}

static void
expect_dup_leg(mctx_sdp_session *leg, size_t index, const char *expected)
{
  char buf[MCTX_SDP_SESSION_MAX];
  size_t len = 0;
  mctx_error err;

  TESTNET_CHECK(mctx_sdp_format_dup_leg(leg, index, buf, sizeof buf, &len,
                                        &err) == MCTX_OK,
                "%s", err.message);
  TESTNET_CHECK(strcmp(buf, expected) == 0, "got\n%s\nexpected\n%s", buf,
                expected);
  TESTNET_CHECK(len == strlen(expected), "len %zu", len);
}

static void
test_dup(void)
{
  mctx_sdp_session first = session("239.255.12.50", "10.1.0.1", 8);
  char buf[MCTX_SDP_SESSION_MAX];
  size_t len = 0;
  mctx_error err;

  first.session_id = 3917000000u;
  first.session_version = 3;
  first.name = "two legs";
  TESTNET_CHECK(mctx_sdp_format_dup_session(&first, 2, buf, sizeof buf, &len,
                                            &err) == MCTX_OK,
                "%s", err.message);
  TESTNET_CHECK(strcmp(buf, "v=0\r\n"
                            "o=- 3917000000 3 IN IP4 10.1.0.1\r\n"
                            "s=two legs\r\n"
                            "t=0 0\r\n"
                            "a=group:DUP leg1 leg2\r\n") == 0,
                "%s", buf);
  TESTNET_CHECK(len == strlen(buf), "len");

  /* Each leg: its c=, its filter, its mid. */
  expect_dup_leg(&first, 0,
                 "c=IN IP4 239.255.12.50/8\r\n"
                 "a=source-filter: incl IN IP4 239.255.12.50 10.1.0.1\r\n"
                 "a=mid:leg1\r\n");
  mctx_sdp_session six = session("ff3e::8000:2", "fd00::2", 1);
  expect_dup_leg(&six, 1,
                 "c=IN IP6 ff3e::8000:2\r\n"
                 "a=source-filter: incl IN IP6 ff3e::8000:2 fd00::2\r\n"
                 "a=mid:leg2\r\n");
  /* A source the kernel chose: no filter for ASM, one for SSM. */
  mctx_sdp_session chosen = session("239.255.12.51", "10.2.0.1", 1);
  chosen.any_source = true;
  expect_dup_leg(&chosen, 2, "c=IN IP4 239.255.12.51/1\r\na=mid:leg3\r\n");
  chosen.group = ip("232.0.12.51");
  expect_dup_leg(&chosen, 2,
                 "c=IN IP4 232.0.12.51/1\r\n"
                 "a=source-filter: incl IN IP4 232.0.12.51 10.2.0.1\r\n"
                 "a=mid:leg3\r\n");
  /* A leg not open yet, on an SSM group: no source known, no filter. */
  mctx_sdp_session unknown = session("232.0.12.52", NULL, 2);
  expect_dup_leg(&unknown, 9, "c=IN IP4 232.0.12.52/2\r\na=mid:leg10\r\n");
  /* ... and as the first leg, o= has no address to name. */
  TESTNET_CHECK(mctx_sdp_format_dup_session(&unknown, 1, buf, sizeof buf, NULL,
                                            &err) == MCTX_OK &&
                    strstr(buf, " IN IP4 0.0.0.0\r\n") != NULL,
                "%s", buf);

  /* Refusals. */
  TESTNET_CHECK(mctx_sdp_format_dup_session(&first, 0, buf, sizeof buf, NULL,
                                            &err) == MCTX_E_INVALID_ARGUMENT &&
                    strstr(err.message, "at least one leg") != NULL,
                "0 legs: %s", err.message);
  mctx_sdp_session bad = session("10.0.0.1", NULL, 1);
  TESTNET_CHECK(mctx_sdp_format_dup_leg(&bad, 0, buf, sizeof buf, NULL, &err) ==
                        MCTX_E_INVALID_ARGUMENT &&
                    err.subject == MCTX_SUBJECT_GROUP,
                "unicast group");
  bad = session("239.255.1.1", "fd00::1", 1);
  TESTNET_CHECK(mctx_sdp_format_dup_leg(&bad, 0, buf, sizeof buf, NULL, &err) ==
                        MCTX_E_INVALID_ARGUMENT &&
                    err.subject == MCTX_SUBJECT_SOURCE_ADDRESS,
                "family");
  TESTNET_CHECK(mctx_sdp_format_dup_leg(&first, 0, buf, 20, NULL, &err) ==
                        MCTX_E_INVALID_ARGUMENT &&
                    strstr(err.message, "too small") != NULL,
                "small: %s", err.message);
  TESTNET_CHECK(mctx_sdp_format_dup_session(&first, 100, buf, 40, NULL, &err) ==
                    MCTX_E_INVALID_ARGUMENT,
                "small session");
}

int
main(void)
{
  test_sessions();
  test_sap_groups();
  test_sap_packets();
  test_intervals();
  test_dup();
  printf("test-sdp: ok\n");
  return 0;
}
