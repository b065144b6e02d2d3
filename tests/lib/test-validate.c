/* Publication config: defaults, with_bind_addr, every validation error (code
 * and the bad value in the message), mctx-core's order, equality.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx.h"
#include "testnet.h"
#include "expect-error.h"

#include <stdio.h>
#include <string.h>

static mctx_publication_config
config_for(const char *group, uint16_t port)
{
  mctx_publication_config cfg;
  mctx_error err;
  int rc = mctx_publication_config_init_group(&cfg, group, port, &err);
  TESTNET_CHECK(rc == MCTX_OK, "init_group %s: %s", group, err.message);
  return cfg;
}

static mctx_interface
interface_of(const char *text)
{
  mctx_interface itf;
  mctx_error err;
  TESTNET_CHECK(mctx_interface_parse(text, &itf, &err) == MCTX_OK, "%s: %s",
                text, err.message);
  return itf;
}

static void
expect_valid(const mctx_publication_config *cfg, const char *what)
{
  mctx_error err;
  memset(&err, 0x5a, sizeof err);
  int rc = mctx_publication_config_validate(cfg, &err);
  TESTNET_CHECK(rc == MCTX_OK, "%s: %s %s", what, mctx_code_name(rc),
                err.message);
  EXPECT_OK(rc, &err);
  TESTNET_CHECK(mctx_publication_config_validate(cfg, NULL) == MCTX_OK,
                "%s without err", what);
}

#define EXPECT_INVALID(cfg, code, subject)                                 \
  do {                                                                     \
    mctx_error err_;                                                       \
    EXPECT_ERROR(mctx_publication_config_validate((cfg), &err_), &err_,    \
                 (code), (subject));                                       \
    TESTNET_CHECK(mctx_publication_config_validate((cfg), NULL) == (code), \
                  "without err");                                          \
  } while (0)

static void
test_defaults(void)
{
  mctx_publication_config cfg;
  memset(&cfg, 0x77, sizeof cfg);
  mctx_publication_config_init(&cfg);
  TESTNET_CHECK(cfg.group.family == MCTX_FAMILY_UNSPEC, "no group");
  TESTNET_CHECK(cfg.dst_port == 0, "port 0");
  TESTNET_CHECK(cfg.source_addr.family == MCTX_FAMILY_UNSPEC, "no source");
  TESTNET_CHECK(!cfg.has_source_port && cfg.source_port == 0, "no source port");
  TESTNET_CHECK(cfg.interface.kind == MCTX_INTERFACE_NONE, "no interface");
  TESTNET_CHECK(cfg.ttl == 1, "ttl 1");
  TESTNET_CHECK(cfg.loopback, "loopback on");
  TESTNET_CHECK(cfg.dscp == -1, "dscp -1");
  TESTNET_CHECK(cfg.send_buffer_size == 0, "sndbuf 0");
  TESTNET_CHECK(cfg.report_local_drops, "report drops");

  /* The default config is invalid for the first reason: no port. */
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_DESTINATION_PORT,
                 MCTX_SUBJECT_DESTINATION_PORT);

  mctx_publication_config g = config_for("239.1.2.3", 5000);
  TESTNET_CHECK(g.dst_port == 5000 && g.ttl == 1 && g.dscp == -1, "init_group");
  mctx_ip want = ip_of("239.1.2.3");
  TESTNET_CHECK(mctx_ip_equal(&g.group, &want), "group set");
  expect_valid(&g, "239.1.2.3:5000");

  mctx_error err;
  EXPECT_ERROR(mctx_publication_config_init_group(&g, "239.1.2", 5000, &err),
               &err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT);
  EXPECT_ERROR(
      mctx_publication_config_init_group(NULL, "239.1.2.3", 5000, &err), &err,
      MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT);
}

static void
test_valid_configs(void)
{
  mctx_publication_config cfg = config_for("239.1.2.3", 5000);
  cfg.source_addr = ip_of("127.0.0.1"); /* loopback sources are allowed */
  cfg.has_source_port = true;
  cfg.source_port = 6000;
  cfg.interface = interface_of("127.0.0.1");
  cfg.ttl = 255;
  cfg.dscp = 63;
  cfg.send_buffer_size = 1 << 20;
  expect_valid(&cfg, "full IPv4");

  /* Ours: index and name selectors are fine for IPv4 groups too. */
  cfg.interface = interface_of("3");
  expect_valid(&cfg, "IPv4 + index");
  cfg.interface = interface_of("eth0");
  expect_valid(&cfg, "IPv4 + name");
  cfg.dscp = 0;
  expect_valid(&cfg, "dscp 0");

  mctx_publication_config v6 = config_for("ff3e::8000:1234", 5000);
  v6.source_addr = ip_of("fd00::1");
  v6.interface = interface_of("fd00::1");
  expect_valid(&v6, "full IPv6");
  v6.interface = interface_of("fe80::1%7");
  expect_valid(&v6, "IPv6 + scoped link-local interface address");
  v6.interface = interface_of("7");
  expect_valid(&v6, "IPv6 + index");
  v6.interface = interface_of("nosuch0"); /* existence is checked at open */
  expect_valid(&v6, "IPv6 + name");
  /* Link-local group without interface: checked later, at open. */
  mctx_publication_config ll = config_for("ff32::1", 5000);
  expect_valid(&ll, "ff32::1 without interface");
}

/* A config for group:5000 with at most one source or interface address,
 * refused with code and subject (test-messages.c pins the words). */
typedef struct address_case {
  const char *group;
  const char *source;    /* NULL: none */
  const char *interface; /* NULL: none */
  int code;
  mctx_subject subject;
} address_case;

static const address_case address_cases[] = {
    /* 2. group */
    {"10.1.2.3", NULL, NULL, MCTX_E_INVALID_MULTICAST_GROUP,
     MCTX_SUBJECT_GROUP},
    {"2001:db8::1", NULL, NULL, MCTX_E_INVALID_MULTICAST_GROUP,
     MCTX_SUBJECT_GROUP},
    {"240.0.0.1", NULL, NULL, MCTX_E_INVALID_MULTICAST_GROUP,
     MCTX_SUBJECT_GROUP},

    /* 4. source address, then its family */
    {"239.1.2.3", "239.1.1.1", NULL, MCTX_E_INVALID_SOURCE_ADDRESS,
     MCTX_SUBJECT_SOURCE_ADDRESS},
    {"239.1.2.3", "0.0.0.0", NULL, MCTX_E_INVALID_SOURCE_ADDRESS,
     MCTX_SUBJECT_SOURCE_ADDRESS},
    {"ff3e::1", "::", NULL, MCTX_E_INVALID_SOURCE_ADDRESS,
     MCTX_SUBJECT_SOURCE_ADDRESS},
    {"ff3e::1", "ff02::1", NULL, MCTX_E_INVALID_SOURCE_ADDRESS,
     MCTX_SUBJECT_SOURCE_ADDRESS},
    {"239.1.2.3", "::1", NULL, MCTX_E_SOURCE_ADDRESS_FAMILY_MISMATCH,
     MCTX_SUBJECT_SOURCE_ADDRESS},
    {"ff31::8000:1234", "127.0.0.1", NULL,
     MCTX_E_SOURCE_ADDRESS_FAMILY_MISMATCH, MCTX_SUBJECT_SOURCE_ADDRESS},

    /* 5. interface address, family, index */
    {"239.1.2.3", NULL, "224.0.0.1", MCTX_E_INVALID_INTERFACE_ADDRESS,
     MCTX_SUBJECT_INTERFACE},
    {"239.1.2.3", NULL, "0.0.0.0", MCTX_E_INVALID_INTERFACE_ADDRESS,
     MCTX_SUBJECT_INTERFACE},
    {"ff3e::1", NULL, "ff02::2", MCTX_E_INVALID_INTERFACE_ADDRESS,
     MCTX_SUBJECT_INTERFACE},
    {"ff3e::1", NULL, "::", MCTX_E_INVALID_INTERFACE_ADDRESS,
     MCTX_SUBJECT_INTERFACE},
    {"239.1.2.3", NULL, "fe80::1%7", MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH,
     MCTX_SUBJECT_INTERFACE},
    {"ff3e::1", NULL, "10.0.0.1", MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH,
     MCTX_SUBJECT_INTERFACE},
    /* A multicast address of the other family is a family mismatch. */
    {"ff3e::1", NULL, "224.0.0.1", MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH,
     MCTX_SUBJECT_INTERFACE},
    {"ff3e::1", NULL, "0", MCTX_E_INVALID_IPV6_INTERFACE_INDEX,
     MCTX_SUBJECT_INTERFACE},
    {"239.1.2.3", NULL, "0", MCTX_E_INVALID_IPV6_INTERFACE_INDEX,
     MCTX_SUBJECT_INTERFACE},
};

/* One test per code, each asserting the code and the bad value. */
static void
test_every_error(void)
{
  mctx_publication_config cfg;

  /* 1. destination port */
  cfg = config_for("239.1.2.3", 0);
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_DESTINATION_PORT,
                 MCTX_SUBJECT_DESTINATION_PORT);

  /* 2. group; 4. source address, then its family; 5. interface address,
   * family, index (address_cases) */
  for (size_t i = 0; i < sizeof address_cases / sizeof address_cases[0]; i++) {
    const address_case *c = &address_cases[i];
    cfg = config_for(c->group, 5000);
    if (c->source != NULL)
      cfg.source_addr = ip_of(c->source);
    if (c->interface != NULL)
      cfg.interface = interface_of(c->interface);
    EXPECT_INVALID(&cfg, c->code, c->subject);
  }
  mctx_publication_config_init(&cfg);
  cfg.dst_port = 5000;
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_MULTICAST_GROUP, MCTX_SUBJECT_GROUP);

  /* 3. source port */
  cfg = config_for("239.1.2.3", 5000);
  cfg.has_source_port = true;
  cfg.source_port = 0;
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_SOURCE_PORT, MCTX_SUBJECT_SOURCE_PORT);

  /* 5. an address selector with no address in it, and names */
  cfg = config_for("ff3e::1", 5000);
  cfg.interface.kind = MCTX_INTERFACE_ADDRESS;
  memset(&cfg.interface.address, 0, sizeof cfg.interface.address);
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_INTERFACE_ADDRESS,
                 MCTX_SUBJECT_INTERFACE);

  cfg = config_for("239.1.2.3", 5000);
  cfg.interface.kind = MCTX_INTERFACE_NAME;
  cfg.interface.name[0] = '\0';
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_INTERFACE_NAME, MCTX_SUBJECT_INTERFACE);
  snprintf(cfg.interface.name, sizeof cfg.interface.name, "eth 0");
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_INTERFACE_NAME, MCTX_SUBJECT_INTERFACE);
  snprintf(cfg.interface.name, sizeof cfg.interface.name, "br/0");
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_INTERFACE_NAME, MCTX_SUBJECT_INTERFACE);
  /* Filled by hand without a terminating NUL: refused, never overrun. */
  memset(cfg.interface.name, 'n', sizeof cfg.interface.name);
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_INTERFACE_NAME, MCTX_SUBJECT_INTERFACE);
  cfg = config_for("ff3e::1", 5000);
  cfg.interface.kind = MCTX_INTERFACE_NAME;
  snprintf(cfg.interface.name, sizeof cfg.interface.name, "tab\tname");
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_INTERFACE_NAME, MCTX_SUBJECT_INTERFACE);

  /* 6. ours, last: TTL range for IPv4, dscp, send buffer, kind */
  cfg = config_for("239.1.2.3", 5000);
  cfg.ttl = 256;
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_TTL);
  cfg.ttl = 1;
  cfg.dscp = 64;
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_DSCP);
  cfg.dscp = -2;
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_DSCP);
  cfg = config_for("ff3e::1", 5000);
  cfg.dscp = 100;
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_DSCP);
  cfg.dscp = -1;
  cfg.send_buffer_size = -4096;
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_SEND_BUFFER_SIZE);
  cfg.send_buffer_size = 0;
  cfg.interface.kind = (mctx_interface_kind) 42;
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_INTERFACE);
  EXPECT_INVALID(NULL, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT);
}

/* A config with every fault reports them one at a time in mctx-core's order
 * as they are fixed. */
static void
test_order(void)
{
  mctx_publication_config cfg = config_for("10.1.2.3", 0);
  cfg.has_source_port = true;
  cfg.source_port = 0;
  cfg.source_addr = ip_of("239.1.1.1");
  cfg.interface = interface_of("224.0.0.1");
  cfg.ttl = 300;
  cfg.dscp = 99;

  EXPECT_INVALID(&cfg, MCTX_E_INVALID_DESTINATION_PORT,
                 MCTX_SUBJECT_DESTINATION_PORT);
  cfg.dst_port = 5000;
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_MULTICAST_GROUP, MCTX_SUBJECT_GROUP);
  cfg.group = ip_of("239.1.2.3");
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_SOURCE_PORT, MCTX_SUBJECT_SOURCE_PORT);
  cfg.source_port = 6000;
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_SOURCE_ADDRESS,
                 MCTX_SUBJECT_SOURCE_ADDRESS);
  /* Multicast of the wrong family is an invalid address first. */
  cfg.source_addr = ip_of("ff02::1");
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_SOURCE_ADDRESS,
                 MCTX_SUBJECT_SOURCE_ADDRESS);
  cfg.source_addr = ip_of("::1");
  EXPECT_INVALID(&cfg, MCTX_E_SOURCE_ADDRESS_FAMILY_MISMATCH,
                 MCTX_SUBJECT_SOURCE_ADDRESS);
  cfg.source_addr = ip_of("10.0.0.1");
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_INTERFACE_ADDRESS,
                 MCTX_SUBJECT_INTERFACE);
  cfg.interface = interface_of("fd00::1");
  EXPECT_INVALID(&cfg, MCTX_E_OUTGOING_INTERFACE_FAMILY_MISMATCH,
                 MCTX_SUBJECT_INTERFACE);
  cfg.interface = interface_of("0");
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_IPV6_INTERFACE_INDEX,
                 MCTX_SUBJECT_INTERFACE);
  cfg.interface.kind = MCTX_INTERFACE_NAME;
  snprintf(cfg.interface.name, sizeof cfg.interface.name, "a b");
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_INTERFACE_NAME, MCTX_SUBJECT_INTERFACE);
  cfg.interface = interface_of("10.0.0.1");
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_TTL);
  cfg.ttl = 64;
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_DSCP);
  cfg.dscp = 46;
  expect_valid(&cfg, "all fixed");

  /* IPv6 hop limits are left to the kernel, as mctx-core does. */
  mctx_publication_config v6 = config_for("ff3e::1", 5000);
  v6.ttl = 300;
  expect_valid(&v6, "IPv6 hops not range-checked here");
}

static void
test_set_bind(void)
{
  mctx_publication_config cfg = config_for("ff3e::8000:1234", 5000);
  cfg.interface = interface_of("eth0");
  mctx_endpoint ep;
  mctx_error err;
  EXPECT_OK(mctx_endpoint_parse("[fe80::1234%7]:5001", &ep, &err), &err);
  mctx_publication_config_set_bind(&cfg, &ep);
  mctx_ip want = ip_of("fe80::1234");
  TESTNET_CHECK(mctx_ip_equal(&cfg.source_addr, &want), "source without scope");
  TESTNET_CHECK(cfg.has_source_port && cfg.source_port == 5001, "port 5001");
  TESTNET_CHECK(cfg.interface.kind == MCTX_INTERFACE_INDEX &&
                    cfg.interface.index == 7,
                "scope overrides the interface");
  expect_valid(&cfg, "scoped bind");

  /* Without a scope the interface stays as it was. */
  cfg = config_for("239.1.2.3", 5000);
  cfg.interface = interface_of("127.0.0.1");
  EXPECT_OK(mctx_endpoint_parse("127.0.0.1:6000", &ep, &err), &err);
  mctx_publication_config_set_bind(&cfg, &ep);
  want = ip_of("127.0.0.1");
  TESTNET_CHECK(mctx_ip_equal(&cfg.source_addr, &want) &&
                    cfg.source_port == 6000,
                "IPv4 bind");
  TESTNET_CHECK(cfg.interface.kind == MCTX_INTERFACE_ADDRESS, "interface kept");
  expect_valid(&cfg, "IPv4 bind");

  /* Port 0 sets a source port of 0, which validation refuses (as
   * mctx-core's with_bind_addr does). */
  EXPECT_OK(mctx_endpoint_parse("127.0.0.1:0", &ep, &err), &err);
  mctx_publication_config_set_bind(&cfg, &ep);
  TESTNET_CHECK(cfg.has_source_port && cfg.source_port == 0, "port 0 kept");
  EXPECT_INVALID(&cfg, MCTX_E_INVALID_SOURCE_PORT, MCTX_SUBJECT_SOURCE_PORT);

  /* A later explicit interface wins again (last writer). */
  cfg = config_for("ff3e::1", 5000);
  EXPECT_OK(mctx_endpoint_parse("[fe80::1%9]:7000", &ep, &err), &err);
  mctx_publication_config_set_bind(&cfg, &ep);
  cfg.interface = interface_of("11");
  TESTNET_CHECK(cfg.interface.index == 11, "last writer wins");

  mctx_publication_config_set_bind(NULL, &ep);
  mctx_publication_config_set_bind(&cfg, NULL);
}

static void
test_equal(void)
{
  mctx_publication_config a = config_for("239.1.2.3", 5000);
  mctx_publication_config b = config_for("239.1.2.3", 5000);
  TESTNET_CHECK(mctx_publication_config_equal(&a, &b), "same");

  /* An unused source port does not count. */
  b.source_port = 1234;
  TESTNET_CHECK(mctx_publication_config_equal(&a, &b), "unused source port");
  b.has_source_port = true;
  TESTNET_CHECK(!mctx_publication_config_equal(&a, &b), "source port set");
  a.has_source_port = true;
  a.source_port = 1234;
  TESTNET_CHECK(mctx_publication_config_equal(&a, &b), "same source port");

  /* Only the selected interface field counts. */
  a.interface = interface_of("eth0");
  b.interface = interface_of("eth0");
  b.interface.index = 99;
  b.interface.address = ip_of("10.0.0.1");
  TESTNET_CHECK(mctx_publication_config_equal(&a, &b), "interface by name");
  b.interface = interface_of("eth1");
  TESTNET_CHECK(!mctx_publication_config_equal(&a, &b), "other name");
  b.interface = interface_of("3");
  TESTNET_CHECK(!mctx_publication_config_equal(&a, &b), "other kind");
  a.interface = interface_of("3");
  TESTNET_CHECK(mctx_publication_config_equal(&a, &b), "same index");

  /* Every other field distinguishes. */
  mctx_publication_config c;
  c = a;
  c.group = ip_of("239.1.2.4");
  TESTNET_CHECK(!mctx_publication_config_equal(&a, &c), "group");
  c = a;
  c.dst_port = 5001;
  TESTNET_CHECK(!mctx_publication_config_equal(&a, &c), "dst_port");
  c = a;
  c.source_addr = ip_of("10.0.0.1");
  TESTNET_CHECK(!mctx_publication_config_equal(&a, &c), "source_addr");
  c = a;
  c.source_port = 1235;
  TESTNET_CHECK(!mctx_publication_config_equal(&a, &c), "source_port");
  c = a;
  c.ttl = 2;
  TESTNET_CHECK(!mctx_publication_config_equal(&a, &c), "ttl");
  c = a;
  c.loopback = false;
  TESTNET_CHECK(!mctx_publication_config_equal(&a, &c), "loopback");
  c = a;
  c.dscp = 46;
  TESTNET_CHECK(!mctx_publication_config_equal(&a, &c), "dscp");
  c = a;
  c.send_buffer_size = 65536;
  TESTNET_CHECK(!mctx_publication_config_equal(&a, &c), "send_buffer_size");
  c = a;
  c.report_local_drops = false;
  TESTNET_CHECK(!mctx_publication_config_equal(&a, &c), "report_local_drops");
  c = a;
  c.interface = interface_of("fe80::1%7");
  mctx_publication_config d = c;
  d.interface.address.scope_id = 8;
  TESTNET_CHECK(!mctx_publication_config_equal(&c, &d),
                "interface address scope");

  TESTNET_CHECK(mctx_publication_config_equal(NULL, NULL), "NULL, NULL");
  TESTNET_CHECK(!mctx_publication_config_equal(&a, NULL), "a, NULL");
}

int
main(void)
{
  test_defaults();
  test_valid_configs();
  test_every_error();
  test_order();
  test_set_bind();
  test_equal();
  printf("test-validate: all checks passed\n");
  return 0;
}
