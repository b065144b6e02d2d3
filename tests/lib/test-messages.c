/* libmctx's messages, word for word: the one place that pins them. Every
 * other test asserts the code and the subject of an error; the words a
 * user reads are checked here, so a change of wording is one edit.
 * Sends nothing; the messages that need interfaces and routes run in a
 * private network namespace (root) and are left out without it.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "expect-error.h"
#include "mctx-private.h"
#include "testnet.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum call {
  PARSE_IP,        /* mctx_ip_parse (a) */
  PARSE_ENDPOINT,  /* mctx_endpoint_parse (a) */
  PARSE_INTERFACE, /* mctx_interface_parse (a) */
  NAME_TO_INDEX,   /* mctx_interface_name_to_index (a) */
  VALIDATE,        /* group a, port 5000, source b, interface c */
  VALIDATE_FIELD,  /* group a, port 5000, then the field b set to c */
  RAW_VALIDATE,    /* raw config: bind address a, interface b, ttl c */
  RAW_DATAGRAM,    /* mctx_raw_datagram_check on the hex bytes a */
} call;

typedef struct message_case {
  call call;
  const char *a, *b, *c;
  int code;
  mctx_subject subject;
  const char *message;
} message_case;

static const message_case cases[] = {
    /* Address text */
    {PARSE_IP, "999.1.1.1", NULL, NULL, MCTX_E_INVALID_ARGUMENT,
     MCTX_SUBJECT_ARGUMENT, "'999.1.1.1' is not an IPv4 or IPv6 address"},
    {PARSE_IP, "10.0.0.1%1", NULL, NULL, MCTX_E_INVALID_ARGUMENT,
     MCTX_SUBJECT_ARGUMENT,
     "'10.0.0.1%1': a scope is only allowed on IPv6 addresses"},
    {PARSE_IP, "fe80::1%", NULL, NULL, MCTX_E_INVALID_ARGUMENT,
     MCTX_SUBJECT_ARGUMENT, "'fe80::1%' has an empty scope after '%'"},
    {PARSE_IP, "fe80::1%99999999999", NULL, NULL, MCTX_E_INVALID_ARGUMENT,
     MCTX_SUBJECT_ARGUMENT,
     "scope '99999999999' of 'fe80::1%99999999999' is not a valid interface "
     "index"},
    {PARSE_IP, "fe80::1%nosuch0", NULL, NULL, MCTX_E_INTERFACE_NOT_FOUND,
     MCTX_SUBJECT_INTERFACE,
     "interface 'nosuch0' (the scope of 'fe80::1%nosuch0') does not exist"},
    {PARSE_ENDPOINT, "239.1.2.3", NULL, NULL, MCTX_E_INVALID_ARGUMENT,
     MCTX_SUBJECT_ARGUMENT, "'239.1.2.3' has no port (expected ADDRESS:PORT)"},
    {PARSE_ENDPOINT, "239.1.2.3:70000", NULL, NULL, MCTX_E_INVALID_ARGUMENT,
     MCTX_SUBJECT_ARGUMENT,
     "port '70000' of '239.1.2.3:70000' is not a number in 0..65535"},
    {PARSE_ENDPOINT, "ff3e::1:5000", NULL, NULL, MCTX_E_INVALID_ARGUMENT,
     MCTX_SUBJECT_ARGUMENT,
     "'ff3e::1:5000': an IPv6 endpoint needs brackets, like [ff3e::1]:5000"},
    {PARSE_ENDPOINT, "[10.0.0.1]:5000", NULL, NULL, MCTX_E_INVALID_ARGUMENT,
     MCTX_SUBJECT_ARGUMENT,
     "'[10.0.0.1]:5000': brackets are only for IPv6 addresses"},

    /* Interface text */
    {PARSE_INTERFACE, "", NULL, NULL, MCTX_E_INVALID_INTERFACE_NAME,
     MCTX_SUBJECT_INTERFACE, "interface name is empty"},
    {PARSE_INTERFACE, "sixteen-bytes-xx", NULL, NULL,
     MCTX_E_INVALID_INTERFACE_NAME, MCTX_SUBJECT_INTERFACE,
     "interface name 'sixteen-bytes-xx' is too long (at most 15 bytes)"},
    {PARSE_INTERFACE, "eth 0", NULL, NULL, MCTX_E_INVALID_INTERFACE_NAME,
     MCTX_SUBJECT_INTERFACE,
     "interface name 'eth 0' contains a character not allowed in interface "
     "names"},
    {PARSE_INTERFACE, "4294967296", NULL, NULL,
     MCTX_E_INVALID_IPV6_INTERFACE_INDEX, MCTX_SUBJECT_INTERFACE,
     "interface index 4294967296 is out of range"},
    {NAME_TO_INDEX, "nosuch0", NULL, NULL, MCTX_E_INTERFACE_NOT_FOUND,
     MCTX_SUBJECT_INTERFACE, "interface 'nosuch0' does not exist"},

    /* Publication config, in mctx-core's order */
    {VALIDATE_FIELD, "239.1.2.3", "dst_port", "0",
     MCTX_E_INVALID_DESTINATION_PORT, MCTX_SUBJECT_DESTINATION_PORT,
     "destination port 0 is not valid (1..65535)"},
    {VALIDATE_FIELD, NULL, "group", NULL, MCTX_E_INVALID_MULTICAST_GROUP,
     MCTX_SUBJECT_GROUP, "group is not set (unspecified)"},
    {VALIDATE, "10.1.2.3", NULL, NULL, MCTX_E_INVALID_MULTICAST_GROUP,
     MCTX_SUBJECT_GROUP, "group 10.1.2.3 is not a multicast address"},
    {VALIDATE, "2001:db8::1", NULL, NULL, MCTX_E_INVALID_MULTICAST_GROUP,
     MCTX_SUBJECT_GROUP, "group 2001:db8::1 is not a multicast address"},
    {VALIDATE, "240.0.0.1", NULL, NULL, MCTX_E_INVALID_MULTICAST_GROUP,
     MCTX_SUBJECT_GROUP, "group 240.0.0.1 is not a multicast address"},
    {VALIDATE, "239.1.2.3", "239.1.1.1", NULL, MCTX_E_INVALID_SOURCE_ADDRESS,
     MCTX_SUBJECT_SOURCE_ADDRESS, "source address 239.1.1.1 is multicast"},
    {VALIDATE, "239.1.2.3", "0.0.0.0", NULL, MCTX_E_INVALID_SOURCE_ADDRESS,
     MCTX_SUBJECT_SOURCE_ADDRESS, "source address 0.0.0.0 is unspecified"},
    {VALIDATE, "ff3e::1", "::", NULL, MCTX_E_INVALID_SOURCE_ADDRESS,
     MCTX_SUBJECT_SOURCE_ADDRESS, "source address :: is unspecified"},
    {VALIDATE, "ff3e::1", "ff02::1", NULL, MCTX_E_INVALID_SOURCE_ADDRESS,
     MCTX_SUBJECT_SOURCE_ADDRESS, "source address ff02::1 is multicast"},
    {VALIDATE, "239.1.2.3", "::1", NULL, MCTX_E_SOURCE_ADDRESS_FAMILY_MISMATCH,
     MCTX_SUBJECT_SOURCE_ADDRESS,
     "source address ::1 is IPv6 but group 239.1.2.3 is IPv4"},
    {VALIDATE, "ff31::8000:1234", "127.0.0.1", NULL,
     MCTX_E_SOURCE_ADDRESS_FAMILY_MISMATCH, MCTX_SUBJECT_SOURCE_ADDRESS,
     "source address 127.0.0.1 is IPv4 but group ff31::8000:1234 is IPv6"},
    {VALIDATE, "239.1.2.3", NULL, "224.0.0.1", MCTX_E_INVALID_INTERFACE_ADDRESS,
     MCTX_SUBJECT_INTERFACE, "interface address 224.0.0.1 is multicast"},
    {VALIDATE, "239.1.2.3", NULL, "0.0.0.0", MCTX_E_INVALID_INTERFACE_ADDRESS,
     MCTX_SUBJECT_INTERFACE, "interface address 0.0.0.0 is unspecified"},
    {VALIDATE, "ff3e::1", NULL, "ff02::2", MCTX_E_INVALID_INTERFACE_ADDRESS,
     MCTX_SUBJECT_INTERFACE, "interface address ff02::2 is multicast"},
    {VALIDATE, "ff3e::1", NULL, "::", MCTX_E_INVALID_INTERFACE_ADDRESS,
     MCTX_SUBJECT_INTERFACE, "interface address :: is unspecified"},
    {VALIDATE, "239.1.2.3", NULL, "fe80::1%7",
     MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH, MCTX_SUBJECT_INTERFACE,
     "interface address fe80::1%7 is IPv6 but group 239.1.2.3 is IPv4"},
    {VALIDATE, "ff3e::1", NULL, "10.0.0.1",
     MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH, MCTX_SUBJECT_INTERFACE,
     "interface address 10.0.0.1 is IPv4 but group ff3e::1 is IPv6"},
    {VALIDATE, "ff3e::1", NULL, "224.0.0.1",
     MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH, MCTX_SUBJECT_INTERFACE,
     "interface address 224.0.0.1 is IPv4 but group ff3e::1 is IPv6"},
    {VALIDATE, "ff3e::1", NULL, "0", MCTX_E_INVALID_IPV6_INTERFACE_INDEX,
     MCTX_SUBJECT_INTERFACE, "interface index 0 is not valid (must be > 0)"},
    {VALIDATE, "239.1.2.3", NULL, "0", MCTX_E_INVALID_IPV6_INTERFACE_INDEX,
     MCTX_SUBJECT_INTERFACE, "interface index 0 is not valid (must be > 0)"},
    {VALIDATE_FIELD, "239.1.2.3", "source_port", "0",
     MCTX_E_INVALID_SOURCE_PORT, MCTX_SUBJECT_SOURCE_PORT,
     "source port 0 is not valid (1..65535)"},
    {VALIDATE_FIELD, "239.1.2.3", "ttl", "256", MCTX_E_INVALID_ARGUMENT,
     MCTX_SUBJECT_TTL, "ttl 256 is not valid for IPv4 (0..255)"},
    {VALIDATE_FIELD, "239.1.2.3", "dscp", "64", MCTX_E_INVALID_ARGUMENT,
     MCTX_SUBJECT_DSCP, "dscp 64 is not valid (0..63, or -1 to leave it)"},
    {VALIDATE_FIELD, "239.1.2.3", "send_buffer_size", "-4096",
     MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_SEND_BUFFER_SIZE,
     "send buffer size -4096 is not valid (0 leaves it as is)"},

    /* Raw config and datagrams */
    {RAW_VALIDATE, NULL, NULL, "-1", MCTX_E_RAW_INTERFACE_REQUIRED,
     MCTX_SUBJECT_INTERFACE,
     "a raw publication needs a bind address or an outgoing interface"},
    {RAW_VALIDATE, "127.0.0.1", NULL, "300", MCTX_E_INVALID_ARGUMENT,
     MCTX_SUBJECT_TTL, "raw TTL override 300 is outside 0..255 (-1 for none)"},
    {RAW_VALIDATE, "239.1.1.1", NULL, "-1", MCTX_E_INVALID_RAW_BIND_ADDRESS,
     MCTX_SUBJECT_SOURCE_ADDRESS,
     "raw bind address 239.1.1.1 is a multicast address"},
    {RAW_DATAGRAM, "", NULL, NULL, MCTX_E_INVALID_RAW_DATAGRAM,
     MCTX_SUBJECT_DATAGRAM, "raw datagram is empty"},
    {RAW_DATAGRAM, "50", NULL, NULL, MCTX_E_INVALID_RAW_DATAGRAM,
     MCTX_SUBJECT_DATAGRAM, "IP version 5 is not supported (only 4 and 6)"},
    /* IPv4, 20 bytes, UDP, 10.0.0.1 -> 10.0.0.2 */
    {RAW_DATAGRAM, "4500001400004000401100000a0000010a000002", NULL, NULL,
     MCTX_E_INVALID_RAW_MULTICAST_DESTINATION, MCTX_SUBJECT_DATAGRAM,
     "raw datagram destination 10.0.0.2 is not a multicast address; raw "
     "datagrams go to multicast groups only"},
};

static void
set_field(mctx_publication_config *cfg, const char *field, const char *value)
{
  if (strcmp(field, "group") == 0)
    cfg->group.family = MCTX_FAMILY_UNSPEC;
  else if (strcmp(field, "dst_port") == 0)
    cfg->dst_port = (uint16_t) atoi(value);
  else if (strcmp(field, "source_port") == 0) {
    cfg->has_source_port = true;
    cfg->source_port = (uint16_t) atoi(value);
  } else if (strcmp(field, "ttl") == 0)
    cfg->ttl = (uint32_t) atoi(value);
  else if (strcmp(field, "dscp") == 0)
    cfg->dscp = atoi(value);
  else if (strcmp(field, "send_buffer_size") == 0)
    cfg->send_buffer_size = atoi(value);
  else
    TESTNET_CHECK(false, "unknown field %s", field);
}

static size_t
from_hex(const char *hex, uint8_t *out, size_t size)
{
  size_t n = 0;
  for (; hex[0] != '\0' && hex[1] != '\0' && n < size; hex += 2) {
    unsigned byte;
    TESTNET_CHECK(sscanf(hex, "%2x", &byte) == 1, "hex %s", hex);
    out[n++] = (uint8_t) byte;
  }
  return n;
}

static int
run(const message_case *c, mctx_error *err)
{
  union {
    mctx_ip ip;
    mctx_endpoint ep;
    mctx_interface itf;
    uint32_t index;
  } out;
  mctx_publication_config cfg;
  mctx_raw_config raw;
  uint8_t datagram[64];

  switch (c->call) {
    case PARSE_IP:
      return mctx_ip_parse(c->a, &out.ip, err);
    case PARSE_ENDPOINT:
      return mctx_endpoint_parse(c->a, &out.ep, err);
    case PARSE_INTERFACE:
      return mctx_interface_parse(c->a, &out.itf, err);
    case NAME_TO_INDEX:
      return mctx_interface_name_to_index(c->a, &out.index, err);
    case VALIDATE:
    case VALIDATE_FIELD:
      mctx_publication_config_init(&cfg);
      cfg.dst_port = 5000;
      if (c->a != NULL)
        cfg.group = ip_of(c->a);
      if (c->call == VALIDATE_FIELD) {
        set_field(&cfg, c->b, c->c);
      } else {
        if (c->b != NULL)
          cfg.source_addr = ip_of(c->b);
        if (c->c != NULL)
          TESTNET_CHECK(mctx_interface_parse(c->c, &cfg.interface, NULL) ==
                            MCTX_OK,
                        "interface %s", c->c);
      }
      return mctx_publication_config_validate(&cfg, err);
    case RAW_VALIDATE:
      mctx_raw_config_init(&raw);
      if (c->a != NULL)
        raw.bind_addr = ip_of(c->a);
      if (c->b != NULL)
        TESTNET_CHECK(mctx_interface_parse(c->b, &raw.interface, NULL) ==
                          MCTX_OK,
                      "interface %s", c->b);
      raw.ttl = atoi(c->c);
      return mctx_raw_config_validate(&raw, err);
    case RAW_DATAGRAM: {
      size_t len = from_hex(c->a, datagram, sizeof datagram);
      return mctx_raw_datagram_check(datagram, len, NULL, err);
    }
  }
  return MCTX_OK;
}

static void
test_table(void)
{
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const message_case *c = &cases[i];
    mctx_error err;
    EXPECT_ERROR(run(c, &err), &err, c->code, c->subject);
    TESTNET_CHECK(strcmp(err.message, c->message) == 0,
                  "case %zu (%s): \"%s\", want \"%s\"", i, c->a ? c->a : "-",
                  err.message, c->message);
    TESTNET_CHECK(run(c, NULL) == c->code, "case %zu without err", i);
  }
  printf("ok %zu messages word for word\n", sizeof cases / sizeof cases[0]);
}

/* A caller's value is repeated up to MCTX_ERROR_VALUE_MAX bytes, then cut
 * with "...": a 10 MB string does not fill the message. */
static void
test_long_values_are_cut(void)
{
  size_t size = 10 * 1024 * 1024;
  char *huge = malloc(size + 1);
  TESTNET_CHECK(huge != NULL, "malloc");
  memset(huge, '7', size);
  huge[size] = '\0';

  char want[MCTX_ERROR_MESSAGE_MAX];
  snprintf(want, sizeof want, "'%.*s...' is not an IPv4 or IPv6 address",
           MCTX_ERROR_VALUE_MAX - 3, huge);
  mctx_ip ip;
  mctx_error err;
  EXPECT_ERROR(mctx_ip_parse(huge, &ip, &err), &err, MCTX_E_INVALID_ARGUMENT,
               MCTX_SUBJECT_ARGUMENT);
  TESTNET_CHECK(strcmp(err.message, want) == 0, "\"%s\", want \"%s\"",
                err.message, want);

  /* Exactly MCTX_ERROR_VALUE_MAX bytes: repeated whole. */
  huge[MCTX_ERROR_VALUE_MAX] = '\0';
  snprintf(want, sizeof want, "'%s' is not an IPv4 or IPv6 address", huge);
  EXPECT_ERROR(mctx_ip_parse(huge, &ip, &err), &err, MCTX_E_INVALID_ARGUMENT,
               MCTX_SUBJECT_ARGUMENT);
  TESTNET_CHECK(strcmp(err.message, want) == 0, "\"%s\", want \"%s\"",
                err.message, want);
  free(huge);
  printf("ok long values are cut at %d bytes\n", MCTX_ERROR_VALUE_MAX);
}

/* Messages of mctx_publication_open that need this host's interfaces and
 * routes: run in a private network namespace (root), rows in order, each
 * with its own setup and teardown commands. The message is a format: "%u"
 * is the index of interface index_of, "%%" a '%'. */
typedef struct open_case {
  const char *setup, *teardown;
  const char *group, *source, *interface;
  int code;
  mctx_subject subject;
  const char *message;
  const char *index_of;
} open_case;

static const open_case open_cases[] = {
    {NULL, NULL, "239.1.2.3", NULL, "nosuch0", MCTX_E_INTERFACE_NOT_FOUND,
     MCTX_SUBJECT_INTERFACE, "interface 'nosuch0' does not exist", NULL},
    {NULL, NULL, "ff3e::1", NULL, "nosuch0", MCTX_E_INTERFACE_NOT_FOUND,
     MCTX_SUBJECT_INTERFACE, "interface 'nosuch0' does not exist", NULL},
    {NULL, NULL, "ff3e::1", NULL, "9999", MCTX_E_INTERFACE_NOT_FOUND,
     MCTX_SUBJECT_INTERFACE, "interface index 9999 does not exist", NULL},
    {NULL, NULL, "239.1.2.3", NULL, "9999", MCTX_E_INTERFACE_NOT_FOUND,
     MCTX_SUBJECT_INTERFACE, "interface index 9999 does not exist", NULL},
    /* Not local: IPv4 fails at bind (as mctx-core), IPv6 at the lookup. */
    {NULL, NULL, "239.1.2.3", "10.9.9.9", NULL, MCTX_E_SOCKET_BIND_FAILED,
     MCTX_SUBJECT_SOURCE_ADDRESS,
     "source address 10.9.9.9 is not an address "
     "of this host (bind: Cannot assign requested address)",
     NULL},
    {NULL, NULL, "239.1.2.3", NULL, "10.9.9.9", MCTX_E_SOCKET_OPTION_FAILED,
     MCTX_SUBJECT_INTERFACE,
     "interface address 10.9.9.9 is not an address "
     "of this host (IP_MULTICAST_IF: Cannot assign requested address)",
     NULL},
    {NULL, NULL, "ff3e::1", "fd00:99::1", NULL,
     MCTX_E_INTERFACE_DISCOVERY_FAILED, MCTX_SUBJECT_SOURCE_ADDRESS,
     "source address fd00:99::1 is not assigned to any interface", NULL},
    /* With both set, the subject says which of the two is not local. */
    {NULL, NULL, "ff3e::1", "fd00:99::1", "lo",
     MCTX_E_INTERFACE_DISCOVERY_FAILED, MCTX_SUBJECT_SOURCE_ADDRESS,
     "source address fd00:99::1 is not assigned to any interface", NULL},
    {NULL, NULL, "ff3e::1", "::1", "fd00:99::1",
     MCTX_E_INTERFACE_DISCOVERY_FAILED, MCTX_SUBJECT_INTERFACE,
     "interface address fd00:99::1 is not assigned to any interface", NULL},
    /* A link-local source is bound on the outgoing interface's link. */
    {NULL, NULL, "ff12::1", "fe80::99", "lo", MCTX_E_SOCKET_BIND_FAILED,
     MCTX_SUBJECT_SOURCE_ADDRESS,
     "source address fe80::99 is not an address "
     "of interface lo (bind: Cannot assign requested address)",
     NULL},

    /* connect's ENETUNREACH says which route is missing: IPv6 multicast on
   * lo (with the command that adds it), none set at all, an interface that
   * is down, one without a multicast route. */
    {"ip -6 route del local ff00::/8 dev lo table local",
     "ip -6 route add local ff00::/8 dev lo table local", "ff31::8000:1234",
     "::1", "::1", MCTX_E_SOCKET_CONNECT_FAILED, MCTX_SUBJECT_GROUP,
     "connect to [ff31::8000:1234%%%u]:46110 failed: "
     "Network is unreachable (no route for the group out of interface %u "
     "(lo); for IPv6 multicast on lo add one: ip -6 route add local ff00::/8 "
     "dev lo table local)",
     "lo"},
    /* This namespace has no IPv4 route off lo. */
    {NULL, NULL, "239.1.2.3", NULL, NULL, MCTX_E_SOCKET_CONNECT_FAILED,
     MCTX_SUBJECT_GROUP,
     "connect to 239.1.2.3:46110 failed: Network is "
     "unreachable (no route for the group and no interface is set: set one, "
     "or add a route for the group)",
     NULL},
    {"ip link add errtx0 type veth peer name errtx1", NULL, "ff3e::1", NULL,
     "errtx0", MCTX_E_SOCKET_CONNECT_FAILED, MCTX_SUBJECT_GROUP,
     "connect to [ff3e::1]:46110 failed: Network is unreachable (no route "
     "for the group out of interface %u (errtx0), which is down)",
     "errtx0"},
    /* An address on a link that is down stays tentative: assigned, but bind
   * refuses it. */
    {"ip -6 addr add fd00:e77::1/64 dev errtx0", NULL, "ff3e::1", "fd00:e77::1",
     NULL, MCTX_E_SOCKET_BIND_FAILED, MCTX_SUBJECT_SOURCE_ADDRESS,
     "source address fd00:e77::1 cannot be used "
     "yet (bind: Cannot assign requested address): duplicate address "
     "detection has not finished (is interface %u (errtx0) up?) or found the "
     "address in use",
     "errtx0"},
    {NULL, NULL, "ff3e::1", NULL, "fd00:e77::1", MCTX_E_SOCKET_BIND_FAILED,
     MCTX_SUBJECT_INTERFACE,
     "interface address fd00:e77::1 cannot be used "
     "yet (bind: Cannot assign requested address): duplicate address "
     "detection has not finished (is interface %u (errtx0) up?) or found the "
     "address in use",
     "errtx0"},
    /* Up, but without the multicast route the kernel adds. */
    {"ip link set errtx1 up && ip link set errtx0 up && "
     "ip -6 route del multicast ff00::/8 dev errtx0 table local",
     "ip link del errtx0", "ff3e::1", NULL, "errtx0",
     MCTX_E_SOCKET_CONNECT_FAILED, MCTX_SUBJECT_GROUP,
     "connect to [ff3e::1]:46110 failed: Network is unreachable (no route "
     "for the group out of interface %u (errtx0))",
     "errtx0"},
};

static void
test_open_messages(void)
{
  for (size_t i = 0; i < sizeof open_cases / sizeof open_cases[0]; i++) {
    const open_case *c = &open_cases[i];
    mctx_publication_config cfg;
    mctx_publication *pub = NULL;
    mctx_error err;

    if (c->setup != NULL)
      testnet_sh_ok("%s", c->setup);
    TESTNET_CHECK(mctx_publication_config_init_group(&cfg, c->group, 46110,
                                                     NULL) == MCTX_OK,
                  "group %s", c->group);
    if (c->source != NULL)
      cfg.source_addr = ip_of(c->source);
    if (c->interface != NULL)
      TESTNET_CHECK(mctx_interface_parse(c->interface, &cfg.interface, NULL) ==
                        MCTX_OK,
                    "interface %s", c->interface);
    unsigned index = c->index_of ? (unsigned) testnet_ifindex(c->index_of) : 0;
    int rc = mctx_publication_open(&cfg, &pub, &err);
    if (c->teardown != NULL)
      testnet_sh_ok("%s", c->teardown);

    char want[MCTX_ERROR_MESSAGE_MAX];
    /* The format is the table's own: every %u is the same index. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(want, sizeof want, c->message, index, index);
#pragma GCC diagnostic pop
    EXPECT_ERROR(rc, &err, c->code, c->subject);
    TESTNET_CHECK(strcmp(err.message, want) == 0,
                  "open case %zu: \"%s\", want \"%s\"", i, err.message, want);
  }
  printf("ok %zu messages of mctx_publication_open word for word\n",
         sizeof open_cases / sizeof open_cases[0]);
}

/* The send path's transient failures (UDP and raw alike): fixed texts. */
static void
test_transient_texts(void)
{
  mctx_error err;
  EXPECT_ERROR(mctx__send_transient(&err, EAGAIN), &err, MCTX_E_WOULD_BLOCK,
               MCTX_SUBJECT_SOCKET);
  TESTNET_CHECK(
      strcmp(err.message, "send would block: the socket buffer is full") == 0,
      "\"%s\"", err.message);
  EXPECT_ERROR(mctx__send_transient(&err, ENOBUFS), &err, MCTX_E_QUEUE_FULL,
               MCTX_SUBJECT_SOCKET);
  TESTNET_CHECK(strcmp(err.message, "send failed: the local queue is full "
                                    "(No buffer space available)") == 0,
                "\"%s\"", err.message);
  TESTNET_CHECK(mctx__send_transient(&err, EMSGSIZE) == MCTX_OK,
                "EMSGSIZE is not transient");
  TESTNET_CHECK(mctx__send_transient(NULL, ENOBUFS) == MCTX_E_QUEUE_FULL,
                "without err");
  printf("ok transient send failures\n");
}

int
main(void)
{
  test_table();
  test_long_values_are_cut();
  test_transient_texts();
  if (geteuid() != 0) {
    printf("skip mctx_publication_open messages: they need root for a "
           "private network namespace\n");
    return 0;
  }
  testnet_private_netns_or_skip();
  test_open_messages();
  printf("test-messages: all checks passed\n");
  return 0;
}
