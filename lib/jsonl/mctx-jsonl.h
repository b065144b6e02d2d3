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
 *    "interval_secs" a finite number >= 0;
 *  - every line is strict RFC 8259 JSON (UTF-8; no NUL bytes, comments,
 *    single quotes, hex numbers, escapes of unpaired UTF-16 surrogates, or
 *    text after the object), at most
 *    MCTX_JSONL_MAX_LINE_BYTES long and nested at most MCTX_JSONL_MAX_DEPTH
 *    deep; blank lines hold only spaces, tabs or a '\r'.
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

/* The longest line (without its newline) a file may hold, in bytes: the
 * check of an existing file reads one line at a time into a buffer of this
 * size, whatever the file's size. */
#define MCTX_JSONL_MAX_LINE_BYTES 65536

/* How deep objects and arrays may nest in a line, the line's own object
 * counting as 1 (so flags, inside the header, may nest 63 deep). Checked
 * before anything is parsed or written. */
#define MCTX_JSONL_MAX_DEPTH 64

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
 * user_json is not strict JSON ("flags are not valid JSON: ..."), nests more
 * than MCTX_JSONL_MAX_DEPTH - 1 deep ("flags have objects and arrays nested
 * deeper than 63 levels ...") or is not an object ("flags must be a JSON
 * object, not an array"). */
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

/* Checks a header against the rules above (its flags nested at most
 * MCTX_JSONL_MAX_DEPTH deep, the header counting as 1); the error names the
 * member. */
MCTX_JSONL_API gboolean mctx_jsonl_header_validate(JsonObject *header,
                                                   GError **error);

/* Checks a row against the rules above (nested at most MCTX_JSONL_MAX_DEPTH
 * deep); the error names the member. */
MCTX_JSONL_API gboolean mctx_jsonl_row_validate(JsonObject *row,
                                                GError **error);

/* The object as one compact line without the newline: keys sorted, integers
 * without and doubles with a decimal point, non-finite doubles as null,
 * locale-independent; names and strings that are not UTF-8 are made valid
 * (names sorted as printed, the first of two that print alike kept).
 * Objects and arrays nested deeper than
 * MCTX_JSONL_MAX_DEPTH print as null (validated headers and rows never are).
 * Free with g_free(). */
MCTX_JSONL_API gchar *mctx_jsonl_to_string(JsonObject *object);

/* ---- rows --------------------------------------------------------------- */

/* A row holding "ts" and "interval_secs" (doubles); add the rest with
 * json_object_set_*_member() or the helpers below. */
MCTX_JSONL_API JsonObject *mctx_jsonl_row_new(gdouble ts,
                                              gdouble interval_secs);

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

/* A paced stream's fields (docs/pacing.md), set only when paced_total > 0
 * so that unpaced rows keep mctx-core's fields: paced_packets_total and
 * _delta, pacing_late_mean_us (the interval's summed lateness over its
 * paced departures, 0.0 without any) and pacing_late_max_us (the
 * largest lateness of the last one to two seconds). */
MCTX_JSONL_API void mctx_jsonl_row_set_pacing(JsonObject *row,
                                              guint64 paced_total,
                                              guint64 paced_delta,
                                              guint64 late_sum_delta_ns,
                                              guint64 late_max_ns);

/* Sets queue_drops_total, queue_drops_delta, queue_drops_per_sec (the
 * egress qdisc's drops, mctx_metrics.queue_drops), queue_drops_scope
 * "interface" (they count every sender on the interface) and, when qdisc
 * is not NULL, qdisc (its kind, "" when unknown). */
MCTX_JSONL_API void mctx_jsonl_row_set_queue_drops(JsonObject *row,
                                                   guint64 total, guint64 delta,
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
 * send_errors), and the pacing fields of mctx_jsonl_row_set_pacing when a
 * publication was paced. delta NULL gives zero deltas and rates over
 * interval 0. A context has no one egress queue: a publication's row adds
 * mctx_jsonl_row_set_queue_drops. */
MCTX_JSONL_API JsonObject *
mctx_jsonl_network_row_new(const mctx_metrics *now,
                           const mctx_metrics_delta *delta);

/* ---- writer ------------------------------------------------------------- */

typedef struct _MctxJsonlWriter MctxJsonlWriter;

/* Opens path for appending rows under header:
 *  1. validates header (MCTX_JSONL_ERROR_INVALID_INPUT; nothing is created);
 *     a path that exists but is not a regular file (a directory, /dev/zero,
 *     a FIFO) is MCTX_JSONL_ERROR_INVALID_INPUT too ("'/dev/zero' is a
 *     character device; a metrics file must be a regular file");
 *  2. creates the parent directories and the file;
 *  3. takes an exclusive, non-blocking advisory lock (flock) held until
 *     mctx_jsonl_writer_close(); MCTX_JSONL_ERROR_LOCKED when another writer
 *     (another process, or another writer in this one) holds it;
 *  4. reads the existing content line by line, in memory bounded by
 *     MCTX_JSONL_MAX_LINE_BYTES whatever the file's size, and checks it
 *     against the rules above (MCTX_JSONL_ERROR_INVALID_DATA naming the
 *     line): a file with a header must have a compatible one, i.e. equal
 *     schema, artifact_type, node_id, producer and flags (created_at is not
 *     compared); a file with content but no header, or with a second header,
 *     is refused;
 *  5. repairs a last line that lacks its newline and is JSON cut short (what
 *     a crash or a full disk mid-write leaves): the file is cut back to the
 *     end of the line before, and mctx_jsonl_writer_get_warning() says so.
 *     A last line without a newline that is complete stays; the next row
 *     then starts on a new line.
 * A new or empty file gets its header with the first row, its created_at set
 * to that row's ts. The header is referenced, not copied. */
MCTX_JSONL_API MctxJsonlWriter *
mctx_jsonl_writer_open(const gchar *path, JsonObject *header, GError **error);

/* Validates row (MCTX_JSONL_ERROR_INVALID_INPUT, also when its line would be
 * longer than MCTX_JSONL_MAX_LINE_BYTES) and appends it as one line with one
 * write(); the header first when the file has none yet. The row is in the
 * file whole or not at all: when the write fails midway (ENOSPC on a full
 * disk), the file is cut back to its size before, and the error
 * (MCTX_JSONL_ERROR_IO) says "the row was not written"; a later row may
 * succeed once there is room. */
MCTX_JSONL_API gboolean mctx_jsonl_writer_append_row(MctxJsonlWriter *writer,
                                                     JsonObject *row,
                                                     GError **error);

/* What mctx_jsonl_writer_open() repaired, for the caller to show ("'path'
 * line 19 was cut short (by a crash or a full disk?); its 120 bytes were
 * removed"), or NULL. Owned by the writer. */
MCTX_JSONL_API const gchar *
mctx_jsonl_writer_get_warning(MctxJsonlWriter *writer);

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
