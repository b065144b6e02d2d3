/* mctx-send's metrics when libmctx-jsonl is not built (no json-glib):
 * asking for metrics is an error that says why, never silently ignored.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "send_metrics.h"

#include <stdio.h>
#include <stdlib.h>

const char send_metrics_usage[] =
    "Metrics (MCTX_METRICS_*) are not available: this mctx-send was built\n"
    "without libmctx-jsonl (json-glib).\n";

int
send_metrics_from_env(const send_metrics_info *info, mctx_context *ctx,
                      send_metrics **out)
{
  static const char *const vars[] = {
      "MCTX_METRICS_SUMMARY_SECS",
      "MCTX_METRICS_SUMMARY_FILE",
      "MCTX_METRICS_NODE_ID",
      "MCTX_METRICS_FLAGS_JSON",
  };
  (void) info;
  (void) ctx;
  *out = NULL;
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    const char *value = getenv(vars[i]);
    if (value != NULL && value[0] != '\0') {
      fprintf(stderr,
              "mctx-send: %s is set, but this build has no metrics "
              "support (configure with json-glib installed)\n",
              vars[i]);
      return -1;
    }
  }
  return 0;
}

int
send_metrics_after_send(send_metrics *m)
{
  (void) m;
  return 0;
}

int
send_metrics_finish(send_metrics *m)
{
  (void) m;
  return 0;
}
