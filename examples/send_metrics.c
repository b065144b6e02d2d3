/* Metrics for the mctx-send demo: the MCTX_METRICS_* environment variables
 * as mctx-core's demo sender reads them (same variables and meaning).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * One difference: mctx-core opens its JSONL file at the first row; we open
 * (and lock and check) it before the first send, so a file that belongs to
 * another run stops mctx-send before anything is sent. The header still
 * carries the first row's time as created_at.
 */
#include "send_metrics.h"
#include "cli-common.h"

#include <mctx-jsonl.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_SEC UINT64_C(1000000000)

struct send_metrics {
  const mctx_context *ctx;
  mctx_sampler sampler;
  uint64_t period_ns;      /* 0: only the summary at exit */
  uint64_t deadline_ns;    /* monotonic */
  MctxJsonlWriter *writer; /* NULL: summaries go to stdout */
};

const char send_metrics_usage[] =
    "  MCTX_METRICS_SUMMARY_SECS=<n>     every n seconds (checked after each "
    "send)\n"
    "                                    print a [metrics] summary, or write a "
    "row\n"
    "                                    when a file is set; empty or 0: off\n"
    "  MCTX_METRICS_SUMMARY_FILE=<path>  append Heimdall JSONL "
    "(heimdall-jsonl-v1,\n"
    "                                    artifact mctx-network) to path "
    "instead of\n"
    "                                    printing; a final row is written at "
    "exit\n"
    "  MCTX_METRICS_NODE_ID=<id>         the file header's node_id (default: "
    "the\n"
    "                                    file's parent directory, else its "
    "stem)\n"
    "  MCTX_METRICS_FLAGS_JSON=<object>  extra header flags as a JSON object;\n"
    "                                    built-in flags win on a conflict\n"
    "  With either of the first two set, a final summary is emitted at exit.\n";

/* The variable's value with surrounding whitespace removed, or NULL when it
 * is unset or blank. Free with free(). */
static char *
env_trimmed(const char *name)
{
  const char *value = getenv(name);
  if (value == NULL)
    return NULL;
  while (isspace((unsigned char) *value))
    value++;
  size_t len = strlen(value);
  while (len > 0 && isspace((unsigned char) value[len - 1]))
    len--;
  if (len == 0)
    return NULL;
  return strndup(value, len);
}

static int
parse_summary_secs(uint64_t *period_ns)
{
  char *text = env_trimmed("MCTX_METRICS_SUMMARY_SECS");
  int rc = 0;

  *period_ns = 0;
  if (text == NULL)
    return 0;
  bool digits = true;
  for (const char *p = text; *p; p++)
    digits = digits && isdigit((unsigned char) *p);
  errno = 0;
  unsigned long long secs = digits ? strtoull(text, NULL, 10) : 0;
  if (!digits) {
    fprintf(stderr,
            "mctx-send: MCTX_METRICS_SUMMARY_SECS must be a whole "
            "number of seconds (0 = off), not '" CLI_VALUE_FMT "'\n",
            CLI_VALUE(text));
    rc = -1;
  } else if (errno == ERANGE || secs > UINT64_MAX / NS_PER_SEC) {
    fprintf(stderr,
            "mctx-send: MCTX_METRICS_SUMMARY_SECS " CLI_VALUE_FMT
            " is too large\n",
            CLI_VALUE(text));
    rc = -1;
  } else {
    *period_ns = (uint64_t) secs * NS_PER_SEC;
  }
  free(text);
  return rc;
}

/* mctx-core's built-in header flags for mctx_send. */
static JsonObject *
builtin_flags(const send_metrics_info *info)
{
  JsonObject *f = json_object_new();
  char index_text[16];

  json_object_set_string_member(f, "transport", "udp-multicast");
  json_object_set_string_member(f, "role", "sender");
  json_object_set_string_member(f, "multicast_group", info->group);
  json_object_set_int_member(f, "multicast_port", info->port);
  json_object_set_string_member(f, "multicast_source",
                                info->source ? info->source : "default");
  if (info->interface != NULL) {
    json_object_set_string_member(f, "multicast_interface", info->interface);
  } else if (info->has_interface_index) {
    snprintf(index_text, sizeof index_text, "%" PRIu32, info->interface_index);
    json_object_set_string_member(f, "multicast_interface", index_text);
  } else {
    json_object_set_string_member(f, "multicast_interface", "default");
  }
  mctx_jsonl_row_set_uint(f, "publish_interval_ms", info->interval_ms);
  mctx_jsonl_row_set_uint(f, "chunk_payload_bytes", info->payload_bytes);
  json_object_set_string_member(
      f, "pacing", info->interval_ms > 0 ? "fixed-interval" : "none");
  json_object_set_boolean_member(f, "batch_send_enabled", FALSE);
  json_object_set_boolean_member(f, "loopback_enabled", info->loopback);
  json_object_set_int_member(f, "ttl_or_hops", info->ttl);
  if (info->has_source_port)
    json_object_set_int_member(f, "multicast_source_port", info->source_port);
  if (info->has_interface_index)
    json_object_set_int_member(f, "multicast_interface_index",
                               info->interface_index);
  return f;
}

static MctxJsonlWriter *
open_file(const send_metrics_info *info, const char *path)
{
  GError *error = NULL;
  char *node_id_env = env_trimmed("MCTX_METRICS_NODE_ID");
  gchar *node_id =
      node_id_env ? g_strdup(node_id_env) : mctx_jsonl_infer_node_id(path);
  JsonObject *builtin = builtin_flags(info);
  JsonObject *flags = mctx_jsonl_flags_merge(
      builtin, getenv("MCTX_METRICS_FLAGS_JSON"), &error);
  MctxJsonlWriter *writer = NULL;

  if (flags == NULL) {
    fprintf(stderr, "mctx-send: MCTX_METRICS_FLAGS_JSON: %s\n", error->message);
    goto out;
  }
  /* created_at is replaced by the first row's ts when the header is written. */
  JsonObject *header = mctx_jsonl_header_new(
      MCTX_JSONL_NETWORK_ARTIFACT_TYPE, MCTX_JSONL_PRODUCER_MCTX_SEND, node_id,
      mctx_unix_time_secs(), flags);
  writer = mctx_jsonl_writer_open(path, header, &error);
  if (writer == NULL)
    fprintf(stderr, "mctx-send: MCTX_METRICS_SUMMARY_FILE: %s\n",
            error->message);
  else if (mctx_jsonl_writer_get_warning(writer) != NULL)
    fprintf(stderr, "mctx-send: warning: MCTX_METRICS_SUMMARY_FILE: %s\n",
            mctx_jsonl_writer_get_warning(writer));
  json_object_unref(header);
  json_object_unref(flags);

out:
  json_object_unref(builtin);
  g_clear_error(&error);
  g_free(node_id);
  free(node_id_env);
  return writer;
}

int
send_metrics_from_env(const send_metrics_info *info, mctx_context *ctx,
                      send_metrics **out)
{
  uint64_t period_ns;
  char *path;
  MctxJsonlWriter *writer = NULL;

  *out = NULL;
  if (parse_summary_secs(&period_ns) != 0)
    return -1;
  path = env_trimmed("MCTX_METRICS_SUMMARY_FILE");
  if (period_ns == 0 && path == NULL)
    return 0;
  if (path != NULL) {
    /* Trimmed only to decide "blank"; the path is used as given. */
    free(path);
    writer = open_file(info, getenv("MCTX_METRICS_SUMMARY_FILE"));
    if (writer == NULL)
      return -1;
  }

  send_metrics *m = calloc(1, sizeof *m);
  if (m == NULL) {
    fprintf(stderr, "mctx-send: out of memory\n");
    mctx_jsonl_writer_close(writer);
    return -1;
  }
  m->ctx = ctx;
  m->period_ns = period_ns;
  m->writer = writer;
  /* The baseline: the first row's deltas count from here, so the add that
   * just happened shows in publications_added_total only. */
  mctx_metrics baseline;
  mctx_sampler_init(&m->sampler);
  mctx_context_metrics_snapshot(ctx, &baseline);
  mctx_sampler_sample(&m->sampler, &baseline, NULL);
  m->deadline_ns = mctx_monotonic_ns() + period_ns;
  *out = m;
  return 0;
}

static void
print_summary(const mctx_metrics *now, const mctx_metrics_delta *d)
{
  double secs = d->interval_secs;

  printf("[metrics]\n"
         "  interval_secs: %.3f\n"
         "  active_publications: %" PRIu64 "\n"
         "  publications_added_total: %" PRIu64 "\n"
         "  publications_added_delta: %" PRIu64 "\n"
         "  publications_removed_total: %" PRIu64 "\n"
         "  publications_removed_delta: %" PRIu64 "\n"
         "  send_calls_total: %" PRIu64 "\n"
         "  send_calls_delta: %" PRIu64 "\n"
         "  packets_sent_total: %" PRIu64 "\n"
         "  packets_sent_delta: %" PRIu64 "\n"
         "  bytes_sent_total: %" PRIu64 "\n"
         "  bytes_sent_delta: %" PRIu64 "\n"
         "  send_errors_total: %" PRIu64 "\n"
         "  send_errors_delta: %" PRIu64 "\n"
         "  would_block_total: %" PRIu64 "\n"
         "  would_block_delta: %" PRIu64 "\n"
         "  send_calls_per_sec: %.3f\n"
         "  packets_per_sec: %.3f\n"
         "  bytes_per_sec: %.3f\n"
         "  send_errors_per_sec: %.3f\n"
         "  would_block_per_sec: %.3f\n",
         secs, now->active_publications, now->publications_added,
         d->publications_added, now->publications_removed,
         d->publications_removed, now->send_calls, d->send_calls,
         now->packets_sent, d->packets_sent, now->bytes_sent, d->bytes_sent,
         now->send_errors, d->send_errors, now->would_block, d->would_block,
         mctx_metrics_rate(d->send_calls, secs),
         mctx_metrics_rate(d->packets_sent, secs),
         mctx_metrics_rate(d->bytes_sent, secs),
         mctx_metrics_rate(d->send_errors, secs),
         mctx_metrics_rate(d->would_block, secs));
  fflush(stdout);
}

static int
emit(send_metrics *m)
{
  mctx_metrics now;
  mctx_metrics_delta delta;

  mctx_context_metrics_snapshot(m->ctx, &now);
  if (!mctx_sampler_sample(&m->sampler, &now, &delta))
    memset(&delta, 0, sizeof delta);
  if (m->writer == NULL) {
    print_summary(&now, &delta);
    return 0;
  }

  GError *error = NULL;
  JsonObject *row = mctx_jsonl_network_row_new(&now, &delta);
  gboolean ok = mctx_jsonl_writer_append_row(m->writer, row, &error);
  json_object_unref(row);
  if (!ok) {
    fprintf(stderr, "mctx-send: cannot write metrics: %s\n", error->message);
    g_error_free(error);
    return -1;
  }
  return 0;
}

int
send_metrics_after_send(send_metrics *m)
{
  if (m == NULL || m->period_ns == 0)
    return 0;
  if (mctx_monotonic_ns() < m->deadline_ns)
    return 0;
  int rc = emit(m);
  /* From now, as mctx-core: a slow send loop makes the periods drift. */
  m->deadline_ns = mctx_monotonic_ns() + m->period_ns;
  return rc;
}

int
send_metrics_finish(send_metrics *m)
{
  if (m == NULL)
    return 0;
  int rc = emit(m);
  mctx_jsonl_writer_close(m->writer);
  free(m);
  return rc;
}
