/* Without CAP_NET_RAW, opening a raw publication fails with
 * MCTX_E_RAW_PERMISSION_DENIED and says what is needed. The test runs itself
 * again with the capability dropped (setpriv, else capsh).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "rawtest.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_FLAG "--without-cap-net-raw"

static void
expect_denied(mctx_family family, bool routed, const char *label)
{
  mctx_raw_config cfg;
  mctx_raw_config_init(&cfg);
  cfg.family = family;
  mctx_error err;
  if (routed)
    cfg.egress = MCTX_RAW_EGRESS_ROUTE_SELECTED;
  else
    TESTNET_CHECK(mctx_interface_parse("lo", &cfg.interface, &err) == MCTX_OK,
                  "%s", err.message);
  mctx_raw_publication *pub = NULL;
  int rc = mctx_raw_publication_open(&cfg, &pub, &err);
  TESTNET_CHECK(rc == MCTX_E_RAW_PERMISSION_DENIED, "%s: got %s: %s", label,
                mctx_code_name(rc), err.message);
  TESTNET_CHECK(pub == NULL, "%s: a publication came back", label);
  TESTNET_CHECK(err.subject == MCTX_SUBJECT_SOCKET, "%s: subject %s", label,
                mctx_subject_name(err.subject));
  TESTNET_CHECK(err.sys_errno == EPERM || err.sys_errno == EACCES,
                "%s: errno %d", label, err.sys_errno);
  printf("ok %s: %s\n", label, err.message);
}

static int
child(void)
{
  if (testnet_have_cap_net_raw())
    testnet_skip("dropping CAP_NET_RAW did not take effect");
  expect_denied(MCTX_FAMILY_IPV4, false, "IPv4");
  expect_denied(MCTX_FAMILY_IPV6, false, "IPv6");
  expect_denied(MCTX_FAMILY_IPV4, true, "IPv4 route-selected");
  expect_denied(MCTX_FAMILY_IPV6, true, "IPv6 route-selected");
  /* The capability answers agree with the refusals above. */
  mctx_raw_capabilities caps;
  mctx_error err;
  TESTNET_CHECK(mctx_raw_capabilities_probe(&caps, &err) == MCTX_OK, "%s",
                err.message);
  TESTNET_CHECK(caps.ipv4 == MCTX_RAW_CAPABILITY_UNSUPPORTED &&
                    caps.ipv6_local_source == MCTX_RAW_CAPABILITY_UNSUPPORTED &&
                    caps.ipv6_any_source == MCTX_RAW_CAPABILITY_UNSUPPORTED &&
                    caps.ipv4_route_selected ==
                        MCTX_RAW_CAPABILITY_UNSUPPORTED &&
                    caps.ipv6_route_selected == MCTX_RAW_CAPABILITY_UNSUPPORTED,
                "capabilities without CAP_NET_RAW: %s %s %s %s %s",
                mctx_raw_capability_name(caps.ipv4),
                mctx_raw_capability_name(caps.ipv6_local_source),
                mctx_raw_capability_name(caps.ipv6_any_source),
                mctx_raw_capability_name(caps.ipv4_route_selected),
                mctx_raw_capability_name(caps.ipv6_route_selected));
  TESTNET_CHECK(
      caps.ipv4_errno == EPERM && caps.ipv6_local_source_errno == EPERM &&
          caps.ipv6_any_source_errno == EPERM &&
          caps.ipv6_route_selected_errno == EPERM,
      "probe errnos %d %d %d %d", caps.ipv4_errno, caps.ipv6_local_source_errno,
      caps.ipv6_any_source_errno, caps.ipv6_route_selected_errno);
  printf("ok capabilities: all unsupported (EPERM)\n");
  return 0;
}

int
main(int argc, char **argv)
{
  if (argc > 1 && strcmp(argv[1], CHILD_FLAG) == 0)
    return child();

  testnet_private_netns_or_skip();
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  TESTNET_CHECK(n > 0, "readlink /proc/self/exe: %s", strerror(errno));
  self[n] = '\0';

  const char *how;
  char cmd[PATH_MAX + 128];
  if (system("command -v setpriv >/dev/null 2>&1") == 0) {
    how = "setpriv";
    snprintf(cmd, sizeof cmd,
             "setpriv --inh-caps=-all --bounding-set=-net_raw '%s' " CHILD_FLAG,
             self);
  } else if (system("command -v capsh >/dev/null 2>&1") == 0) {
    how = "capsh";
    snprintf(cmd, sizeof cmd,
             "capsh --drop=cap_net_raw -- -c \"exec '%s' " CHILD_FLAG "\"",
             self);
  } else {
    testnet_skip("neither setpriv nor capsh is installed to drop CAP_NET_RAW");
  }
  fflush(stdout);
  int status = system(cmd);
  TESTNET_CHECK(status != -1 && WIFEXITED(status), "`%s` did not run", cmd);
  int rc = WEXITSTATUS(status);
  if (rc == TESTNET_SKIP)
    testnet_skip("the child (%s) could not drop CAP_NET_RAW", how);
  TESTNET_CHECK(rc == 0, "the child under %s failed (exit %d)", how, rc);
  printf("PASS (CAP_NET_RAW dropped with %s)\n", how);
  return 0;
}
