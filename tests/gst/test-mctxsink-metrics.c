/* mctxsink metrics: the mctx-metrics element messages (idle, streaming,
 * final), the stats property, and the Heimdall JSONL file the element
 * writes, read back and checked against the format's rules.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * As root the test runs in a private network namespace; otherwise in the
 * current one. Either way every datagram leaves through lo.
 */
#include "mctxsink-test.h"
#include "testnet.h"

#include <mctx-jsonl.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define GROUP "239.255.47.1"
#define INTERVAL_MS 50
#define INTERVAL_PROP "metrics-interval=50000000"

/* ------------------------------------------------------------------------ */
/* Recording the messages                                                   */
/* ------------------------------------------------------------------------ */

/* Copies every mctx-metrics message from a bus sync handler, so that nothing
 * that pops the bus (mst_sender_finish) can lose one. */
typedef struct
{
  GMutex lock;
  GCond cond;
  GPtrArray *messages;          /* GstStructure copies */
} Recorder;

static GstBusSyncReply
record_message (GstBus * bus, GstMessage * msg, gpointer data)
{
  Recorder *r = data;
  const GstStructure *s = gst_message_get_structure (msg);

  (void) bus;
  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT
      || !gst_structure_has_name (s, "mctx-metrics"))
    return GST_BUS_PASS;
  g_mutex_lock (&r->lock);
  g_ptr_array_add (r->messages, gst_structure_copy (s));
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);
  return GST_BUS_PASS;
}

static void
recorder_attach (Recorder * r, GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);

  memset (r, 0, sizeof *r);
  g_mutex_init (&r->lock);
  g_cond_init (&r->cond);
  r->messages = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);
  gst_bus_set_sync_handler (bus, record_message, r, NULL);
  gst_object_unref (bus);
}

static void
recorder_clear (Recorder * r)
{
  g_ptr_array_unref (r->messages);
  g_mutex_clear (&r->lock);
  g_cond_clear (&r->cond);
}

static guint
recorder_count (Recorder * r)
{
  guint n;

  g_mutex_lock (&r->lock);
  n = r->messages->len;
  g_mutex_unlock (&r->lock);
  return n;
}

/* Waits (at most timeout_ms in all) until at least n messages arrived. */
static gboolean
recorder_wait (Recorder * r, guint n, int timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;
  gboolean ok;

  g_mutex_lock (&r->lock);
  while (r->messages->len < n)
    if (!g_cond_wait_until (&r->cond, &r->lock, deadline))
      break;
  ok = r->messages->len >= n;
  g_mutex_unlock (&r->lock);
  return ok;
}

static const GstStructure *
recorder_get (Recorder * r, guint i)
{
  const GstStructure *s;

  g_mutex_lock (&r->lock);
  fail_unless (i < r->messages->len);
  s = g_ptr_array_index (r->messages, i);
  g_mutex_unlock (&r->lock);
  return s;
}

static guint64
u64 (const GstStructure * s, const char *field)
{
  guint64 v = 0;

  fail_unless (gst_structure_get_uint64 (s, field, &v),
      "no guint64 %s in %" GST_PTR_FORMAT, field, s);
  return v;
}

static gboolean
is_final (const GstStructure * s)
{
  gboolean v = FALSE;

  fail_unless (gst_structure_get_boolean (s, "final", &v));
  return v;
}

static guint
count_finals (Recorder * r)
{
  guint finals = 0;

  g_mutex_lock (&r->lock);
  for (guint i = 0; i < r->messages->len; i++)
    if (is_final (g_ptr_array_index (r->messages, i)))
      finals++;
  g_mutex_unlock (&r->lock);
  return finals;
}

/* Every field the message (and stats) must have, with its type. */
static void
check_fields (const GstStructure * s)
{
  static const char *u64_fields[] = { "packets-sent", "bytes-sent",
    "send-calls", "send-errors", "would-block", "packets-dropped",
    "queue-drops", "interval", "running-time", "paced-packets"
  };
  static const char *double_fields[] = { "packets-per-sec", "bytes-per-sec",
    "pacing-late-mean-us", "pacing-late-max-us"
  };
  static const char *string_fields[] = { "group", "source", "qdisc" };

  for (guint i = 0; i < G_N_ELEMENTS (u64_fields); i++)
    fail_unless (gst_structure_has_field_typed (s, u64_fields[i],
            G_TYPE_UINT64), "%s missing in %" GST_PTR_FORMAT, u64_fields[i], s);
  for (guint i = 0; i < G_N_ELEMENTS (double_fields); i++)
    fail_unless (gst_structure_has_field_typed (s, double_fields[i],
            G_TYPE_DOUBLE), "%s missing", double_fields[i]);
  for (guint i = 0; i < G_N_ELEMENTS (string_fields); i++)
    fail_unless (gst_structure_has_field_typed (s, string_fields[i],
            G_TYPE_STRING), "%s missing", string_fields[i]);
  fail_unless (gst_structure_has_field_typed (s, "port", G_TYPE_INT));
  fail_unless (gst_structure_has_field_typed (s, "final", G_TYPE_BOOLEAN));
  fail_unless_equals_int (gst_structure_n_fields (s), 19);
}

/* A time-stamped buffer of `size` bytes, number i at 10 ms per buffer. */
static GstBuffer *
numbered_buffer (guint i, gsize size)
{
  GstBuffer *b = gst_buffer_new_allocate (NULL, size, NULL);

  gst_buffer_memset (b, 0, (guint8) i, size);
  GST_BUFFER_PTS (b) = i * 10 * GST_MSECOND;
  GST_BUFFER_DURATION (b) = 10 * GST_MSECOND;
  return b;
}

/* mst_sender_start with a TIME appsrc (set before it starts), so that
 * buffers have running times. */
static void
time_sender_start (MstSender * s, const char *sink_props)
{
  s->pipeline = gst_pipeline_new (NULL);
  s->src = gst_element_factory_make ("appsrc", NULL);
  s->sink = gst_element_factory_make ("mctxsink", NULL);
  fail_unless (s->src && s->sink);
  g_object_set (s->src, "format", GST_FORMAT_TIME, NULL);
  g_object_set (s->sink, "sync", FALSE, NULL);
  mst_set_props (s->sink, sink_props);
  gst_bin_add_many (GST_BIN (s->pipeline), s->src, s->sink, NULL);
  fail_unless (gst_element_link (s->src, s->sink));
  fail_unless (gst_element_set_state (s->pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE, "sender did not start (%s)", sink_props);
}

/* ------------------------------------------------------------------------ */
/* Messages                                                                 */
/* ------------------------------------------------------------------------ */

/* No buffer at all: the sink never prerolls, and still reports (zeros). */
GST_START_TEST (test_idle_messages_report_zeros)
{
  Recorder r;
  MstSender tx;
  const guint want = 4;

  mst_sender_start (&tx, "group=" GROUP " port=5791 interface=lo "
      INTERVAL_PROP);
  recorder_attach (&r, tx.pipeline);

  fail_unless (recorder_wait (&r, want, 10000),
      "only %u mctx-metrics messages while idle", recorder_count (&r));
  for (guint i = 0; i < want; i++) {
    const GstStructure *s = recorder_get (&r, i);
    gdouble rate = -1;
    gint port = 0;

    check_fields (s);
    fail_if (is_final (s));
    fail_unless_equals_uint64 (u64 (s, "packets-sent"), 0);
    fail_unless_equals_uint64 (u64 (s, "bytes-sent"), 0);
    fail_unless_equals_uint64 (u64 (s, "send-calls"), 0);
    fail_unless_equals_uint64 (u64 (s, "packets-dropped"), 0);
    fail_unless (u64 (s, "interval") > 0);
    fail_unless (gst_structure_get_double (s, "packets-per-sec", &rate));
    fail_unless (rate == 0.0);
    fail_unless_equals_uint64 (u64 (s, "running-time"), GST_CLOCK_TIME_NONE);
    fail_unless_equals_string (gst_structure_get_string (s, "group"), GROUP);
    fail_unless (gst_structure_get_int (s, "port", &port));
    fail_unless_equals_int (port, 5791);
    fail_unless_equals_string (gst_structure_get_string (s, "source"),
        "127.0.0.1");
  }

  /* Stop without EOS: one final message, posted by stop(). */
  gst_element_set_state (tx.pipeline, GST_STATE_NULL);
  fail_unless_equals_int (count_finals (&r), 1);
  fail_unless (is_final (recorder_get (&r, recorder_count (&r) - 1)));

  mst_sender_free (&tx);
  recorder_clear (&r);
}

GST_END_TEST;

/* Interval messages while buffers flow; the final one (at EOS) counts
 * exactly what was pushed and what a receiver got; stop adds none. */
GST_START_TEST (test_streaming_and_final_counts)
{
  const guint count = 120, size = 700;
  int fd = mst_udp4_receiver (GROUP, 5792, "lo");
  MstCollector *collector = mst_collector_start (fd);
  GPtrArray *got;
  Recorder r;
  MstSender tx;
  const GstStructure *last;
  guint64 received_bytes = 0;
  gboolean saw_streaming = FALSE;
  gdouble rate = 0;

  time_sender_start (&tx, "group=" GROUP " port=5792 interface=lo "
      INTERVAL_PROP);
  recorder_attach (&r, tx.pipeline);

  /* In three parts, each followed by an interval message that has seen it
   * (bounded: at most 5 s each). */
  for (guint part = 0; part < 3; part++) {
    guint first = part * count / 3, end = (part + 1) * count / 3;
    guint64 pushed = end;

    for (guint i = first; i < end; i++)
      mst_sender_push (&tx, numbered_buffer (i, size));
    for (gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;;) {
      guint n = recorder_count (&r);
      const GstStructure *s = n ? recorder_get (&r, n - 1) : NULL;

      if (s && u64 (s, "packets-sent") == pushed) {
        saw_streaming = TRUE;
        fail_if (is_final (s));
        check_fields (s);
        break;
      }
      fail_unless (g_get_monotonic_time () < deadline,
          "no interval message counted %" G_GUINT64_FORMAT " packets", pushed);
      recorder_wait (&r, n + 1, 1000);
    }
  }
  fail_unless (saw_streaming);

  mst_sender_finish (&tx);
  /* The final message is posted before EOS reaches the bus. */
  fail_unless_equals_int (count_finals (&r), 1);
  last = recorder_get (&r, recorder_count (&r) - 1);
  fail_unless (is_final (last));
  check_fields (last);
  fail_unless_equals_uint64 (u64 (last, "packets-sent"), count);
  fail_unless_equals_uint64 (u64 (last, "bytes-sent"), (guint64) count * size);
  fail_unless_equals_uint64 (u64 (last, "send-calls"), count);
  fail_unless_equals_uint64 (u64 (last, "send-errors"), 0);
  fail_unless_equals_uint64 (u64 (last, "packets-dropped"), 0);
  /* The last buffer's PTS in a segment starting at 0. */
  fail_unless_equals_uint64 (u64 (last, "running-time"),
      (count - 1) * 10 * GST_MSECOND);
  fail_unless (gst_structure_get_double (last, "bytes-per-sec", &rate));
  fail_unless (rate >= 0.0);

  got = mst_collector_finish (collector, count, 5000);
  fail_unless_equals_int (got->len, count);
  for (guint i = 0; i < got->len; i++)
    received_bytes += g_bytes_get_size (g_ptr_array_index (got, i));
  fail_unless_equals_uint64 (received_bytes, u64 (last, "bytes-sent"));
  g_ptr_array_unref (got);

  /* Still PLAYING after EOS: no interval message follows the final one. */
  {
    guint n = recorder_count (&r);
    fail_if (recorder_wait (&r, n + 1, 4 * INTERVAL_MS),
        "a message after the final one");
  }

  /* stats: the same fields, final TRUE. */
  {
    GstStructure *stats = NULL;
    gboolean final = FALSE;

    g_object_get (tx.sink, "send-stats", &stats, NULL);
    check_fields (stats);
    fail_unless_equals_uint64 (u64 (stats, "packets-sent"), count);
    fail_unless (gst_structure_get_boolean (stats, "final", &final) && final);
    gst_structure_free (stats);
  }

  /* stop: exactly one final message per stream, so none here. */
  gst_element_set_state (tx.pipeline, GST_STATE_NULL);
  fail_unless_equals_int (count_finals (&r), 1);

  mst_sender_free (&tx);
  recorder_clear (&r);
  close (fd);
}

GST_END_TEST;

/* metrics-interval=0: no interval messages, only the final one. */
GST_START_TEST (test_interval_zero_only_final)
{
  Recorder r;
  MstSender tx;

  mst_sender_start (&tx, "group=" GROUP " port=5793 interface=lo "
      "metrics-interval=0");
  recorder_attach (&r, tx.pipeline);
  mst_sender_push (&tx, mst_buffer_of_strings ("only", " one", NULL));
  fail_if (recorder_wait (&r, 1, 300), "an interval message with interval 0");
  mst_sender_finish (&tx);
  fail_unless_equals_int (recorder_count (&r), 1);
  fail_unless (is_final (recorder_get (&r, 0)));
  fail_unless_equals_uint64 (u64 (recorder_get (&r, 0), "bytes-sent"), 8);
  mst_sender_free (&tx);
  recorder_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_stats_fields)
{
  GstElement *sink = gst_element_factory_make ("mctxsink", NULL);
  GstStructure *stats = NULL;
  MstSender tx;

  /* Before the first start: the same fields, zeros. */
  g_object_get (sink, "send-stats", &stats, NULL);
  fail_unless (gst_structure_has_name (stats, "mctx-stats"));
  check_fields (stats);
  fail_unless_equals_uint64 (u64 (stats, "packets-sent"), 0);
  gst_structure_free (stats);
  gst_object_unref (sink);

  mst_sender_start (&tx, "group=" GROUP " port=5794 interface=lo");
  mst_sender_push (&tx, mst_buffer_of_strings ("abc", NULL));
  mst_sender_push (&tx, mst_buffer_of_strings ("defg", NULL));
  for (int i = 0; i < 100 && mst_stat (tx.sink, "packets-sent") < 2; i++)
    g_usleep (20 * 1000);
  g_object_get (tx.sink, "send-stats", &stats, NULL);
  check_fields (stats);
  fail_unless_equals_uint64 (u64 (stats, "packets-sent"), 2);
  fail_unless_equals_uint64 (u64 (stats, "bytes-sent"), 7);
  fail_unless_equals_string (gst_structure_get_string (stats, "group"), GROUP);
  fail_unless_equals_string (gst_structure_get_string (stats, "source"),
      "127.0.0.1");
  gst_structure_free (stats);
  mst_sender_free (&tx);
}

GST_END_TEST;

/* ------------------------------------------------------------------------ */
/* The JSONL file                                                           */
/* ------------------------------------------------------------------------ */

static JsonObject *
parse_object (const gchar * line)
{
  JsonParser *parser = json_parser_new ();
  GError *error = NULL;
  JsonObject *o;

  fail_unless (json_parser_load_from_data (parser, line, -1, &error),
      "not JSON: %s", line);
  fail_unless (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  o = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  g_object_unref (parser);
  return o;
}

/* The non-blank lines of a file. */
static gchar **
read_lines (const gchar * path, guint * n)
{
  gchar *content = NULL;
  gchar **lines;
  guint kept = 0;

  fail_unless (g_file_get_contents (path, &content, NULL, NULL),
      "cannot read %s", path);
  lines = g_strsplit (content, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    if (g_strstrip (lines[i])[0] == '\0') {
      g_free (lines[i]);
      continue;
    }
    lines[kept++] = lines[i];
  }
  lines[kept] = NULL;
  g_free (content);
  *n = kept;
  return lines;
}

static gchar *
temp_dir (void)
{
  GError *error = NULL;
  gchar *dir = g_dir_make_tmp ("mctxsink-metrics-XXXXXX", &error);

  fail_unless (dir != NULL, "%s", error ? error->message : "?");
  return dir;
}

static void
remove_tree (const gchar * path)
{
  testnet_sh ("rm -rf '%s'", path);
}

GST_START_TEST (test_jsonl_file_validates)
{
  const guint count = 40, size = 300;
  gchar *dir = temp_dir ();
  gchar *path = g_build_filename (dir, "sender-0042", "network.jsonl", NULL);
  gchar *props = g_strdup_printf ("group=" GROUP " port=5795 interface=lo "
      INTERVAL_PROP " metrics-file=%s metrics-flags="
      "{\"experiment\":\"metrics-test\",\"ttl_or_hops\":99}", path);
  Recorder r;
  MstSender tx;
  gchar **lines;
  guint n;
  JsonObject *header, *flags, *row = NULL;

  mst_sender_start (&tx, props);
  recorder_attach (&r, tx.pipeline);
  for (guint i = 0; i < count; i++)
    mst_sender_push (&tx, numbered_buffer (i, size));
  /* At least one interval row besides the final one. */
  fail_unless (recorder_wait (&r, 2, 10000));
  mst_sender_finish (&tx);
  gst_element_set_state (tx.pipeline, GST_STATE_NULL);

  lines = read_lines (path, &n);
  /* One header, then one row per message. */
  fail_unless_equals_int (n, 1 + recorder_count (&r));

  header = parse_object (lines[0]);
  fail_unless (mctx_jsonl_header_validate (header, NULL));
  fail_unless_equals_string (json_object_get_string_member (header, "schema"),
      "heimdall-jsonl-v1");
  fail_unless_equals_string (json_object_get_string_member (header,
          "artifact_type"), "mctx-network");
  fail_unless_equals_string (json_object_get_string_member (header,
          "producer"), "mctx/mctxsink");
  fail_unless_equals_string (json_object_get_string_member (header,
          "node_id"), "sender-0042");
  flags = json_object_get_object_member (header, "flags");
  fail_unless_equals_string (json_object_get_string_member (flags,
          "transport"), "udp-multicast");
  fail_unless_equals_string (json_object_get_string_member (flags, "role"),
      "sender");
  fail_unless_equals_string (json_object_get_string_member (flags,
          "multicast_group"), GROUP);
  fail_unless_equals_int (json_object_get_int_member (flags,
          "multicast_port"), 5795);
  fail_unless_equals_string (json_object_get_string_member (flags,
          "multicast_interface"), "lo");
  fail_unless_equals_string (json_object_get_string_member (flags,
          "multicast_source"), "default");
  fail_unless_equals_string (json_object_get_string_member (flags, "pacing"),
      "none");
  fail_unless (json_object_get_boolean_member (flags, "loopback_enabled"));
  fail_unless (json_object_get_boolean_member (flags, "gso_enabled"));
  /* The user's flag is there; the built-in ttl_or_hops won. */
  fail_unless_equals_string (json_object_get_string_member (flags,
          "experiment"), "metrics-test");
  fail_unless_equals_int (json_object_get_int_member (flags, "ttl_or_hops"), 1);

  for (guint i = 1; i < n; i++) {
    GError *error = NULL;

    if (row)
      json_object_unref (row);
    row = parse_object (lines[i]);
    fail_unless (mctx_jsonl_row_validate (row, &error), "row %u: %s", i,
        error ? error->message : "?");
    fail_unless_equals_int (json_object_get_int_member (row,
            "active_publications"), 1);
    fail_unless (json_object_has_member (row, "packets_dropped_total"));
    fail_unless (json_object_has_member (row, "would_block_per_sec"));
    if (i == 1)
      fail_unless (json_object_get_double_member (header, "created_at") ==
          json_object_get_double_member (row, "ts"));
  }
  /* The final row. */
  fail_unless_equals_int (json_object_get_int_member (row,
          "packets_sent_total"), count);
  fail_unless_equals_int (json_object_get_int_member (row,
          "bytes_sent_total"), count * size);
  fail_unless_equals_int (json_object_get_int_member (row,
          "send_calls_total"), count);

  json_object_unref (row);
  json_object_unref (header);
  g_strfreev (lines);
  mst_sender_free (&tx);
  recorder_clear (&r);

  /* The same settings again: rows are appended under the same header. */
  mst_sender_start (&tx, props);
  mst_sender_push (&tx, numbered_buffer (0, size));
  mst_sender_finish (&tx);
  mst_sender_free (&tx);
  lines = read_lines (path, &n);
  fail_unless (n > 2);
  for (guint i = 1; i < n; i++) {
    JsonObject *o = parse_object (lines[i]);
    fail_unless (mctx_jsonl_row_validate (o, NULL), "row %u after reopening",
        i);
    json_object_unref (o);
  }
  g_strfreev (lines);

  remove_tree (dir);
  g_free (props);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_jsonl_node_id_property)
{
  gchar *dir = temp_dir ();
  gchar *path = g_build_filename (dir, "network.jsonl", NULL);
  gchar *props = g_strdup_printf ("group=" GROUP " port=5796 interface=lo "
      "metrics-file=%s metrics-node-id=lab-node-7", path);
  MstSender tx;
  gchar **lines;
  guint n;
  JsonObject *header;

  mst_sender_start (&tx, props);
  mst_sender_finish (&tx);
  mst_sender_free (&tx);

  lines = read_lines (path, &n);
  fail_unless_equals_int (n, 2);
  header = parse_object (lines[0]);
  fail_unless_equals_string (json_object_get_string_member (header,
          "node_id"), "lab-node-7");
  json_object_unref (header);
  g_strfreev (lines);
  remove_tree (dir);
  g_free (props);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

/* The header says what the element was told: gso=false, and ttl=-1 as -1
 * (left as it is), not a TTL the element does not know. */
GST_START_TEST (test_jsonl_flags_gso_and_ttl_left_as_is)
{
  gchar *dir = temp_dir ();
  gchar *path = g_build_filename (dir, "network.jsonl", NULL);
  gchar *props = g_strdup_printf ("group=" GROUP " port=5799 interface=lo "
      "ttl=-1 gso=false metrics-file=%s", path);
  MstSender tx;
  gchar **lines;
  guint n;
  JsonObject *header, *flags;

  mst_sender_start (&tx, props);
  mst_sender_push (&tx, numbered_buffer (0, 100));
  mst_sender_finish (&tx);
  mst_sender_free (&tx);

  lines = read_lines (path, &n);
  fail_unless (n >= 2);
  header = parse_object (lines[0]);
  fail_unless (mctx_jsonl_header_validate (header, NULL));
  flags = json_object_get_object_member (header, "flags");
  fail_unless_equals_int (json_object_get_int_member (flags, "ttl_or_hops"),
      -1);
  fail_unless (json_object_has_member (flags, "gso_enabled"));
  fail_if (json_object_get_boolean_member (flags, "gso_enabled"));
  fail_unless (json_object_get_boolean_member (flags, "batch_send_enabled"));
  fail_unless_equals_string (json_object_get_string_member (flags,
          "transport"), "udp-multicast");
  json_object_unref (header);
  g_strfreev (lines);
  remove_tree (dir);
  g_free (props);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

/* Starts a lone mctxsink whose metrics-flags is flags (not split on spaces,
 * unlike mst_start_error). Returns the error text or NULL. */
static gchar *
start_error_with_flags (const char *props, const char *flags)
{
  GstElement *sink = gst_element_factory_make ("mctxsink", NULL);
  GstBus *bus = gst_bus_new ();
  gchar *text = NULL;

  gst_element_set_bus (sink, bus);
  mst_set_props (sink, props);
  g_object_set (sink, "metrics-flags", flags, NULL);
  if (gst_element_set_state (sink, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE) {
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    GError *err = NULL;

    fail_unless (msg != NULL, "no error message");
    gst_message_parse_error (msg, &err, NULL);
    text = g_strdup (err->message);
    g_error_free (err);
    gst_message_unref (msg);
  }
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_element_set_bus (sink, NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);
  return text;
}

GST_START_TEST (test_bad_metrics_flags_refused)
{
  gchar *text;

  text = start_error_with_flags ("group=" GROUP " port=5797 interface=lo",
      "[1,2]");
  fail_unless (text != NULL, "started with metrics-flags [1,2]");
  fail_unless (strstr (text, "metrics-flags") != NULL, "%s", text);
  fail_unless (strstr (text, "must be a JSON object, not an array") != NULL,
      "%s", text);
  g_free (text);

  text = start_error_with_flags ("group=" GROUP " port=5797 interface=lo",
      "not json");
  fail_unless (text != NULL, "started with metrics-flags 'not json'");
  fail_unless (strstr (text, "metrics-flags") != NULL, "%s", text);
  fail_unless (strstr (text, "not valid JSON") != NULL, "%s", text);
  fail_unless (strstr (text, "not json") != NULL, "%s", text);
  g_free (text);

  /* Nested 60,000 deep: an error, not a stack overflow. */
  GString *deep = g_string_new ("{\"a\":");
  for (guint i = 0; i < 60000; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 60000; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  text = start_error_with_flags ("group=" GROUP " port=5797 interface=lo",
      deep->str);
  g_string_free (deep, TRUE);
  fail_unless (text != NULL, "started with metrics-flags 60,000 deep");
  fail_unless (strstr (text, "metrics-flags is not usable: flags have objects "
          "and arrays nested deeper than 63 levels") != NULL, "%s", text);
  g_free (text);

  /* An object is fine. */
  text = start_error_with_flags ("group=" GROUP " port=5797 interface=lo",
      "{\"run\": 3}");
  fail_unless (text == NULL, "%s", text);
}

GST_END_TEST;

GST_START_TEST (test_incompatible_or_locked_file_refused)
{
  gchar *dir = temp_dir ();
  gchar *path = g_build_filename (dir, "node-a", "network.jsonl", NULL);
  gchar *props = g_strdup_printf ("group=" GROUP " port=5798 interface=lo "
      "metrics-file=%s", path);
  JsonObject *header, *row;
  MctxJsonlWriter *writer;
  GError *error = NULL;
  gchar *text;

  /* Another program's file at that path. */
  header = mctx_jsonl_header_new (MCTX_JSONL_NETWORK_ARTIFACT_TYPE,
      MCTX_JSONL_PRODUCER_MCTX_SEND, "node-a", 1.0, NULL);
  row = mctx_jsonl_row_new (1.0, 0.0);
  fail_unless (mctx_jsonl_append_row (path, header, row, &error), "%s",
      error ? error->message : "?");
  text = mst_start_error (props);
  fail_unless (text != NULL, "started on an incompatible file");
  fail_unless (strstr (text, "metrics-file") != NULL, "%s", text);
  fail_unless (strstr (text, "does not match") != NULL, "%s", text);
  fail_unless (strstr (text, "producer") != NULL, "%s", text);
  g_free (text);

  /* A file without a header. */
  fail_unless (g_file_set_contents (path, "{\"ts\":1.0}\n", -1, NULL));
  text = mst_start_error (props);
  fail_unless (text != NULL, "started on a file without a header");
  fail_unless (strstr (text, "no heimdall-jsonl-v1 header") != NULL, "%s",
      text);
  g_free (text);

  /* Locked by another writer (this process's, with the element's own
   * header so that only the lock is in the way). */
  fail_unless (unlink (path) == 0);
  json_object_unref (header);
  header = mctx_jsonl_header_new (MCTX_JSONL_NETWORK_ARTIFACT_TYPE,
      MCTX_JSONL_PRODUCER_MCTXSINK, "node-a", 1.0, NULL);
  writer = mctx_jsonl_writer_open (path, header, &error);
  fail_unless (writer != NULL, "%s", error ? error->message : "?");
  text = mst_start_error (props);
  fail_unless (text != NULL, "started on a locked file");
  fail_unless (strstr (text, "locked by another writer") != NULL, "%s", text);
  g_free (text);
  mctx_jsonl_writer_close (writer);

  /* Not a regular file: refused at once (reading /dev/zero never ended). */
  text = mst_start_error ("group=" GROUP " port=5798 interface=lo "
      "metrics-file=/dev/zero");
  fail_unless (text != NULL, "started on /dev/zero");
  fail_unless (strstr (text, "Cannot write metrics-file '/dev/zero': "
          "'/dev/zero' is a character device; a metrics file must be a "
          "regular file") != NULL, "%s", text);
  g_free (text);

  json_object_unref (row);
  json_object_unref (header);
  remove_tree (dir);
  g_free (props);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

static Suite *
mctxsink_metrics_suite (void)
{
  Suite *s = suite_create ("mctxsink-metrics");
  TCase *messages = tcase_create ("messages");
  TCase *file = tcase_create ("file");

  tcase_set_timeout (messages, 60);
  tcase_set_timeout (file, 60);
  suite_add_tcase (s, messages);
  suite_add_tcase (s, file);
  tcase_add_test (messages, test_idle_messages_report_zeros);
  tcase_add_test (messages, test_streaming_and_final_counts);
  tcase_add_test (messages, test_interval_zero_only_final);
  tcase_add_test (messages, test_stats_fields);
  tcase_add_test (file, test_jsonl_file_validates);
  tcase_add_test (file, test_jsonl_node_id_property);
  tcase_add_test (file, test_jsonl_flags_gso_and_ttl_left_as_is);
  tcase_add_test (file, test_bad_metrics_flags_refused);
  tcase_add_test (file, test_incompatible_or_locked_file_refused);
  return s;
}

int
main (int argc, char **argv)
{
  if (geteuid () == 0)
    testnet_private_netns_or_skip ();
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (mctxsink_metrics_suite (), "mctxsink-metrics",
      __FILE__);
}
