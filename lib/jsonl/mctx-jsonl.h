/* libmctx-jsonl: Heimdall JSONL ("heimdall-jsonl-v1") metrics files.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A file holds one header line, then one row per sample:
 *
 *   {"artifact_type":"mctx-network","created_at":1779999999.123,"flags":{...},
 *    "node_id":"sender-0001","producer":"mctx/mctx-send","schema":"heimdall-jsonl-v1"}
 *   {"active_publications":1,"bytes_per_sec":495.0,...,"ts":1779999999.123}
 *
 * (one line each). Every object is written compact with its keys in
 * lexicographic byte order; integers print without a decimal point and
 * doubles always with one ("1.0"), as mctx-core's serde_json output. The rules
 * a file must follow (checked when a writer opens an existing file):
 *
 *  - the first non-blank line is the header: an object whose "schema" is
 *    "heimdall-jsonl-v1", whose "artifact_type", "node_id" and "producer" are
 *    strings that are not blank, whose "created_at" is a finite number and
 *    whose "flags" is an object;
 *  - every further non-blank line is a row: an object without any of the
 *    header's keys "schema", "artifact_type", "node_id", "producer", "flags"
 *    (so there is exactly one header), with "ts" a finite number and
 *    "interval_secs" a finite number >= 0.
 *
 * Kept apart from libmctx so that the send core depends on libc alone. Uses
 * json-glib: headers, flags and rows are JsonObjects. Failures are GErrors in
 * the MCTX_JSONL_ERROR domain whose message says what is wrong and where.
 */
#ifndef MCTX_JSONL_H
#define MCTX_JSONL_H

#include <json-glib/json-glib.h>
#include <mctx.h>

G_BEGIN_DECLS

#if defined(__GNUC__)
#  define MCTX_JSONL_API __attribute__((visibility("default")))
#else
#  define MCTX_JSONL_API
#endif

#define MCTX_JSONL_SCHEMA "heimdall-jsonl-v1"
/* The artifact type of a sender's network metrics (mctx-send, mctxsink). */
#define MCTX_JSONL_NETWORK_ARTIFACT_TYPE "mctx-network"
/* The artifact type of process hardware samples (a Heimdall convention shared
 * with mcrx-core; nothing here writes it). */
#define MCTX_JSONL_HARDWARE_ARTIFACT_TYPE "process-hardware"

/* Producer strings of our programs. mctx-core's demo writes
 * "mctx-core/mctx_send"; ours says which implementation wrote the file. */
#define MCTX_JSONL_PRODUCER_MCTX_SEND "mctx/mctx-send"
#define MCTX_JSONL_PRODUCER_MCTXSINK "mctx/mctxsink"

#define MCTX_JSONL_ERROR (mctx_jsonl_error_quark())

typedef enum {
  /* What the caller asked for is wrong (a bad header, row or flags text);
   * no file was touched. */
  MCTX_JSONL_ERROR_INVALID_INPUT,
  /* The existing file breaks the format or its header does not match. */
  MCTX_JSONL_ERROR_INVALID_DATA,
  /* Another writer holds the file's lock. */
  MCTX_JSONL_ERROR_LOCKED,
  /* A system call failed (the message carries strerror). */
  MCTX_JSONL_ERROR_IO
} MctxJsonlError;

MCTX_JSONL_API GQuark mctx_jsonl_error_quark(void);

/* ---- values ------------------------------------------------------------- */

/* The node id a file's path implies, following Heimdall's
 * "<output_dir>/<node_id>/<artifact>.jsonl" layout: the name of the file's
 * parent directory, else the file's stem ("network" for "network.jsonl"),
 * else "unknown". "results/sender-0001/network.jsonl" gives "sender-0001".
 * Names that are "."/".." or blank, or not UTF-8, are skipped. Free with
 * g_free(). */
MCTX_JSONL_API gchar *mctx_jsonl_infer_node_id(const gchar *path);

/* The header flags: the members of the JSON object in user_json, then every
 * member of builtin (may be NULL) on top, so built-in keys win. user_json
 * NULL or blank means no user flags. Returns a new object (unref with
 * json_object_unref()), or NULL with MCTX_JSONL_ERROR_INVALID_INPUT when
 * user_json does not parse or is not an object ("flags must be a JSON object,
 * not an array"). */
MCTX_JSONL_API JsonObject *mctx_jsonl_flags_merge(JsonObject *builtin,
                                                  const gchar *user_json,
                                                  GError **error);

/* A header object: schema, artifact_type, node_id, producer, created_at and
 * flags (NULL: an empty object; otherwise a copy is stored). Not validated
 * here: mctx_jsonl_header_validate() and mctx_jsonl_writer_open() do that. */
MCTX_JSONL_API JsonObject *mctx_jsonl_header_new(const gchar *artifact_type,
                                                 const gchar *producer,
                                                 const gchar *node_id,
                                                 gdouble created_at,
                                                 JsonObject *flags);

/* Checks a header against the rules above; the error names the member. */
MCTX_JSONL_API gboolean mctx_jsonl_header_validate(JsonObject *header,
                                                   GError **error);

/* Checks a row against the rules above; the error names the member. */
MCTX_JSONL_API gboolean mctx_jsonl_row_validate(JsonObject *row, GError **error);

/* The object as one compact line without the newline: keys sorted, integers
 * without and doubles with a decimal point, non-finite doubles as null,
 * locale-independent. Free with g_free(). */
MCTX_JSONL_API gchar *mctx_jsonl_to_string(JsonObject *object);

/* ---- rows --------------------------------------------------------------- */

/* A row holding "ts" and "interval_secs" (doubles); add the rest with
 * json_object_set_*_member() or the helpers below. */
MCTX_JSONL_API JsonObject *mctx_jsonl_row_new(gdouble ts, gdouble interval_secs);

/* Sets an unsigned integer member (clamped to G_MAXINT64, JSON's usual range). */
MCTX_JSONL_API void mctx_jsonl_row_set_uint(JsonObject *row, const gchar *name,
                                            guint64 value);

/* Sets "<name>_total", "<name>_delta" (integers) and "<rate_name>_per_sec"
 * (delta / interval_secs, 0.0 when interval_secs <= 0). rate_name NULL means
 * name: ("send_calls", NULL) gives send_calls_per_sec, ("packets_sent",
 * "packets") gives packets_per_sec. */
MCTX_JSONL_API void mctx_jsonl_row_set_counter(JsonObject *row,
                                               const gchar *name,
                                               const gchar *rate_name,
                                               guint64 total, guint64 delta,
                                               gdouble interval_secs);

/* Sets queue_drops_total, queue_drops_delta, queue_drops_per_sec (the
 * egress qdisc's drops, mctx_metrics.queue_drops), queue_drops_scope
 * "interface" (they count every sender on the interface) and, when qdisc
 * is not NULL, qdisc (its kind, "" when unknown). */
MCTX_JSONL_API void mctx_jsonl_row_set_queue_drops(JsonObject *row,
                                                   guint64 total,
                                                   guint64 delta,
                                                   gdouble interval_secs,
                                                   const gchar *qdisc);

/* The "mctx-network" row of a context sample, every field mctx-core's
 * mctx_send writes: ts (now->captured_at), interval_secs,
 * active_publications, publications_added_total/_delta,
 * publications_removed_total/_delta, send_calls_total/_delta,
 * packets_sent_total/_delta, bytes_sent_total/_delta,
 * send_errors_total/_delta, send_calls_per_sec, packets_per_sec,
 * bytes_per_sec, send_errors_per_sec; and ours: would_block_total,
 * would_block_delta, would_block_per_sec (would-blocks are also counted in
 * send_errors). delta NULL gives zero deltas and rates over interval 0.
 * A context has no one egress queue: a publication's row adds
 * mctx_jsonl_row_set_queue_drops. */
MCTX_JSONL_API JsonObject *
mctx_jsonl_network_row_new(const mctx_metrics *now,
                           const mctx_metrics_delta *delta);

/* ---- writer ------------------------------------------------------------- */

typedef struct _MctxJsonlWriter MctxJsonlWriter;

/* Opens path for appending rows under header:
 *  1. validates header (MCTX_JSONL_ERROR_INVALID_INPUT; nothing is created);
 *  2. creates the parent directories and the file;
 *  3. takes an exclusive, non-blocking advisory lock (flock) held until
 *     mctx_jsonl_writer_close(); MCTX_JSONL_ERROR_LOCKED when another writer
 *     (another process, or another writer in this one) holds it;
 *  4. reads the existing content and checks it against the rules above
 *     (MCTX_JSONL_ERROR_INVALID_DATA naming the line): a file with a header
 *     must have a compatible one, i.e. equal schema, artifact_type, node_id,
 *     producer and flags (created_at is not compared); a file with content
 *     but no header, or with a second header, is refused.
 * A new or empty file gets its header with the first row, its created_at set
 * to that row's ts. The header is referenced, not copied. */
MCTX_JSONL_API MctxJsonlWriter *mctx_jsonl_writer_open(const gchar *path,
                                                       JsonObject *header,
                                                       GError **error);

/* Validates row (MCTX_JSONL_ERROR_INVALID_INPUT) and appends it as one line
 * with one write(); the header first when the file has none yet. */
MCTX_JSONL_API gboolean mctx_jsonl_writer_append_row(MctxJsonlWriter *writer,
                                                     JsonObject *row,
                                                     GError **error);

/* The path given to mctx_jsonl_writer_open(). */
MCTX_JSONL_API const gchar *mctx_jsonl_writer_get_path(MctxJsonlWriter *writer);

/* Releases the lock, closes the file and frees. NULL is fine. */
MCTX_JSONL_API void mctx_jsonl_writer_close(MctxJsonlWriter *writer);

/* Opens, appends one row and closes: for occasional rows. */
MCTX_JSONL_API gboolean mctx_jsonl_append_row(const gchar *path,
                                              JsonObject *header,
                                              JsonObject *row, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MctxJsonlWriter, mctx_jsonl_writer_close)

G_END_DECLS

#endif /* MCTX_JSONL_H */
