/* Metrics for the mctx-send demo, driven by the MCTX_METRICS_* environment
 * variables as mctx-core's demo sender reads them (same variables and meaning).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_SEND_METRICS_H
#define MCTX_SEND_METRICS_H

#include <mctx.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct send_metrics send_metrics;

/* What mctx-send was asked to do; becomes the header's built-in flags. */
typedef struct send_metrics_info {
  const char *group; /* as given */
  uint16_t port;
  const char *source;    /* configured source IP text, NULL = "default" */
  const char *interface; /* interface text, NULL = none */
  bool has_interface_index;
  uint32_t interface_index;
  bool has_source_port;
  uint16_t source_port;
  uint64_t interval_ms;
  size_t payload_bytes;
  bool loopback;
  uint32_t ttl;
} send_metrics_info;

/* Reads MCTX_METRICS_SUMMARY_SECS, _SUMMARY_FILE, _NODE_ID, _FLAGS_JSON.
 * Returns 0 with *out NULL when metrics are off, 0 with *out set when on
 * (the baseline sample is taken now, right after the publication was added),
 * and -1 after printing "mctx-send: <reason>" to stderr for a bad value. */
int send_metrics_from_env(const send_metrics_info *info, mctx_context *ctx,
                          send_metrics **out);

/* Called after each send: emits a summary when the period has elapsed.
 * Returns -1 (message printed) when writing the file failed. m may be NULL. */
int send_metrics_after_send(send_metrics *m);

/* Emits the final summary / row and frees m. m may be NULL. Returns -1 on
 * a write failure (message printed). */
int send_metrics_finish(send_metrics *m);

/* Lines describing the variables, for --help. */
extern const char send_metrics_usage[];

#endif
