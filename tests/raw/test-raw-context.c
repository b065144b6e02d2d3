/* Raw contexts on the wire: a publication filed under an id sends through
 * the context; replace swaps its egress under the same id and the next
 * datagram leaves by the new interface; a replace that fails leaves the old
 * publication sending. Two veths into the same peer namespace.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rawtest.h"

#include <stdio.h>
#include <string.h>

static mctx_raw_config
config_on(const char *itf)
{
  mctx_raw_config cfg;
  mctx_raw_config_init(&cfg);
  mctx_error err;
  cfg.family = MCTX_FAMILY_IPV4;
  TESTNET_CHECK(mctx_interface_parse(itf, &cfg.interface, &err) == MCTX_OK,
                "%s", err.message);
  return cfg;
}

static size_t
datagram(uint8_t *d, const char *marker)
{
  return rawtest_ipv4_udp(d, "198.51.100.7", "232.77.5.1", 4, 0x1111, 4000,
                          5004, marker, strlen(marker));
}

static void
send_ok(mctx_raw_context *ctx, mctx_publication_id id, const uint8_t *d,
        size_t len, uint32_t ifindex)
{
  mctx_raw_send_report report;
  mctx_error err;
  int rc = mctx_raw_context_send(ctx, id, d, len, &report, &err);
  TESTNET_CHECK(rc == MCTX_OK, "send: %s (%s)", err.message,
                mctx_code_name(rc));
  TESTNET_CHECK(report.interface_index == ifindex, "left by index %u, not %u",
                report.interface_index, ifindex);
}

int
main(void)
{
  rawtest_pair pair;
  rawtest_pair_setup(&pair);
  testnet_veth("rw0", pair.peer, "rw1");
  testnet_sh_ok("ip addr add 10.78.0.1/24 dev rw0");
  uint32_t rw0 = testnet_ifindex("rw0");
  int cap_v = rawtest_capture_open(pair.peer, "rv1");
  int cap_w = rawtest_capture_open(pair.peer, "rw1");

  mctx_raw_context *ctx;
  TESTNET_CHECK(mctx_raw_context_new(&ctx) == MCTX_OK, "raw context");
  mctx_error err;
  mctx_raw_config cfg = config_on("rv0");
  mctx_publication_id id = 0, second = 0;
  TESTNET_CHECK(mctx_raw_context_add(ctx, &cfg, &id, &err) == MCTX_OK,
                "add: %s", err.message);
  TESTNET_CHECK(mctx_raw_context_add(ctx, &cfg, &second, &err) == MCTX_OK,
                "add: %s", err.message);
  TESTNET_CHECK(id == 1 && second == 2, "ids %llu %llu",
                (unsigned long long) id, (unsigned long long) second);

  uint8_t d[256];
  size_t len = datagram(d, "mctx-raw-ctx-before");
  send_ok(ctx, id, d, len, pair.local_index);
  rawtest_expect_only_on(cap_v, cap_w, d, len, "mctx-raw-ctx-before", "rv1");

  mctx_raw_publication *old = mctx_raw_context_get(ctx, id);
  cfg = config_on("rw0");
  TESTNET_CHECK(mctx_raw_context_replace(ctx, id, &cfg, &err) == MCTX_OK,
                "replace: %s", err.message);
  TESTNET_CHECK(mctx_raw_context_contains(ctx, id) &&
                    mctx_raw_context_count(ctx) == 2,
                "the id did not survive the replace");
  TESTNET_CHECK(mctx_raw_context_get(ctx, id) != NULL, "get after replace");
  (void) old;
  len = datagram(d, "mctx-raw-ctx-after");
  send_ok(ctx, id, d, len, rw0);
  rawtest_expect_only_on(cap_w, cap_v, d, len, "mctx-raw-ctx-after", "rw1");

  /* A replace that cannot open keeps the publication as it was. */
  cfg = config_on("nosuch0");
  int rc = mctx_raw_context_replace(ctx, id, &cfg, &err);
  TESTNET_CHECK(rc == MCTX_E_INTERFACE_NOT_FOUND, "bad replace: %s",
                mctx_code_name(rc));
  len = datagram(d, "mctx-raw-ctx-kept");
  send_ok(ctx, id, d, len, rw0);
  rawtest_expect_only_on(cap_w, cap_v, d, len, "mctx-raw-ctx-kept", "rw1");
  printf("ok failed replace (%s) left id %llu on rw0\n", err.message,
         (unsigned long long) id);

  /* The other id was never touched; take hands it over. */
  mctx_raw_publication *taken;
  TESTNET_CHECK(mctx_raw_context_take(ctx, second, &taken) == MCTX_OK &&
                    taken != NULL && mctx_raw_context_count(ctx) == 1,
                "take");
  len = datagram(d, "mctx-raw-ctx-taken");
  mctx_raw_send_report report;
  TESTNET_CHECK(mctx_raw_publication_send(taken, d, len, &report, &err) ==
                    MCTX_OK,
                "taken send: %s", err.message);
  rawtest_expect_only_on(cap_v, cap_w, d, len, "mctx-raw-ctx-taken", "rv1");
  mctx_raw_publication_close(taken);
  TESTNET_CHECK(mctx_raw_context_remove(ctx, id) == MCTX_OK &&
                    mctx_raw_context_count(ctx) == 0,
                "remove");
  mctx_raw_context_free(ctx);
  printf("PASS\n");
  return 0;
}
