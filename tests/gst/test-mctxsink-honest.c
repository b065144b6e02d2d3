/* mctxsink with its default properties on egress paths that drop (root
 * only): through a token-bucket shaper (tbf, burst smaller than a batch)
 * and through htb, block=true delivers every datagram and block=false
 * counts every one it gave up on; with gso=on through tbf, which splits
 * GSO packets and drops segments silently, queue-drops equals the qdisc's
 * own drop counter (`tc -s -j qdisc`) and the warning about it comes at
 * most once a second.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctxsink-test.h"
#include "testnet.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GROUP6 "ff3e::8000:1237"
#define SOURCE6 "fd00:7::1"
#define RECEIVER6 "fd00:7::2"
#define TX_IF "mhon0"
#define RX_IF "mhnr0"
#define SIZE 1000
#define LISTS 5
#define PER_LIST 40
#define COUNT (LISTS * PER_LIST)

static const char *peer;

/* The shaper: 4 Mbit/s, a burst of about one datagram, a queue of
 * three: a 40-datagram GSO packet would be cut down to what fits. */
static const char *const TBF =
    "tc qdisc replace dev " TX_IF " root tbf rate 4mbit burst 1600 limit 3000";
/* htb at 1 Mbit/s with a leaf queue of one packet. */
static const char *const HTB =
    "tc qdisc replace dev " TX_IF " root handle 1: htb default 10"
    " && tc class add dev " TX_IF " parent 1: classid 1:10 htb rate 1mbit"
    " burst 1600 && tc qdisc add dev " TX_IF " parent 1:10 pfifo limit 1";

static void
shape (const char *commands)
{
  testnet_sh ("tc qdisc del dev " TX_IF " root");
  testnet_sh_ok ("%s", commands);
}

/* The root qdisc's own drop counter, as `tc -s -j qdisc` shows it (the
 * root comes first in the list). */
static guint64
qdisc_drops (void)
{
  gchar *out = NULL;
  const char *at;
  guint64 drops;

  fail_unless (g_spawn_command_line_sync ("tc -s -j qdisc show dev " TX_IF,
          &out, NULL, NULL, NULL));
  at = out != NULL ? strstr (out, "\"drops\":") : NULL;
  fail_unless (at != NULL, "no drops in tc's output: %s", out);
  drops = g_ascii_strtoull (at + strlen ("\"drops\":"), NULL, 10);
  g_free (out);
  return drops;
}

/* lists buffer lists of PER_LIST numbered datagrams, pause_us apart. */
static void
push_lists (MstSender * tx, int lists, gulong pause_us)
{
  for (int l = 0; l < lists; l++) {
    GstBufferList *list = gst_buffer_list_new_sized (PER_LIST);

    for (int i = 0; i < PER_LIST; i++)
      gst_buffer_list_add (list, mst_numbered_buffer (l * PER_LIST + i, SIZE));
    mst_sender_push_list (tx, list);
    if (pause_us > 0)
      g_usleep (pause_us);
  }
}

/* Shapes the link, sends LISTS lists with the default properties plus
 * extra, and returns what the receiver got (the sender stays for its
 * stats). */
static GPtrArray *
send_through (const char *qdisc, uint16_t port, const char *extra,
    MstSender * tx, int timeout_ms)
{
  int fd = mst_ssm_receiver (peer, RX_IF, GROUP6, SOURCE6, port);
  MstCollector *collector;
  GPtrArray *got;
  gchar *props;

  shape (qdisc);
  collector = mst_collector_start (fd);
  props = g_strdup_printf ("group=" GROUP6 " port=%u source-addr=" SOURCE6
      " interface=" TX_IF " %s", port, extra);
  mst_sender_start (tx, props);
  g_free (props);
  push_lists (tx, LISTS, 0);
  mst_sender_finish (tx);
  got = mst_collector_finish (collector, COUNT, timeout_ms);
  close (fd);
  return got;
}

/* Default properties (block=true, gso=auto): all COUNT arrive in order. */
static void
defaults_lose_nothing (const char *qdisc, uint16_t port)
{
  MstSender tx;
  GPtrArray *got = send_through (qdisc, port, "", &tx, 5000);

  mst_check_numbered (got, COUNT, SIZE);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), COUNT);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), 0);
  mst_sender_free (&tx);
  g_ptr_array_unref (got);
}

GST_START_TEST (test_defaults_through_tbf_lose_nothing)
{
  defaults_lose_nothing (TBF, 5821);
}

GST_END_TEST;

GST_START_TEST (test_defaults_through_htb_lose_nothing)
{
  defaults_lose_nothing (HTB, 5822);
}

GST_END_TEST;

/* block=false: what did not arrive was counted as dropped. */
static void
nonblocking_counts_every_loss (const char *qdisc, uint16_t port)
{
  MstSender tx;
  GPtrArray *got = send_through (qdisc, port, "block=false", &tx, 2000);
  guint64 sent = mst_stat (tx.sink, "packets-sent");
  guint64 dropped = mst_stat (tx.sink, "packets-dropped");

  GST_INFO ("received %u, sent %" G_GUINT64_FORMAT ", dropped %"
      G_GUINT64_FORMAT, got->len, sent, dropped);
  fail_unless_equals_uint64 (sent + dropped, COUNT);
  fail_unless_equals_uint64 (got->len, sent);
  fail_unless (dropped > 0, "the link dropped nothing: no test");
  mst_sender_free (&tx);
  g_ptr_array_unref (got);
}

GST_START_TEST (test_nonblocking_through_tbf_counts_every_loss)
{
  nonblocking_counts_every_loss (TBF, 5823);
}

GST_END_TEST;

GST_START_TEST (test_nonblocking_through_htb_counts_every_loss)
{
  nonblocking_counts_every_loss (HTB, 5824);
}

GST_END_TEST;

/* EOS, then the sink's warnings about the queue until EOS comes out
 * (bounded); *secs gets the time it took from start. */
static guint
queue_warnings_until_eos (MstSender * s, gint64 started_us, gdouble * secs)
{
  GstBus *bus = gst_element_get_bus (s->pipeline);
  gboolean eos = FALSE;
  guint warnings = 0;

  fail_unless_equals_int (gst_app_src_end_of_stream (GST_APP_SRC (s->src)),
      GST_FLOW_OK);
  for (int i = 0; i < 1000 && !eos; i++) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
    GError *err = NULL;

    fail_unless (msg != NULL, "no EOS within 30 s");
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      gst_message_parse_error (msg, &err, NULL);
      fail ("sender error: %s", err->message);
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      gst_message_parse_warning (msg, &err, NULL);
      GST_INFO ("warning: %s", err->message);
      if (strstr (err->message, "qdisc tbf on interface " TX_IF) != NULL)
        warnings++;
      g_error_free (err);
    } else {
      eos = TRUE;
    }
    gst_message_unref (msg);
  }
  *secs = (g_get_monotonic_time () - started_us) / 1e6;
  gst_object_unref (bus);
  return warnings;
}

/* gso=on through tbf: the shaper splits the GSO packets and drops
 * segments while the sends succeed. queue-drops is the qdisc's own drop
 * delta; the warning names the qdisc and interface, once a second at most
 * although the metrics tick ten times a second and lists keep coming for
 * two seconds. */
GST_START_TEST (test_queue_drops_are_the_qdisc_counter)
{
  const int lists = 20;
  int fd = mst_ssm_receiver (peer, RX_IF, GROUP6, SOURCE6, 5825);
  MstCollector *collector;
  GPtrArray *got;
  MstSender tx;
  guint64 before, after, queue_drops;
  gint64 started;
  gdouble secs;
  guint warnings;
  gchar *qdisc = NULL;
  GstStructure *stats;

  shape (TBF);
  before = qdisc_drops ();
  collector = mst_collector_start (fd);
  started = g_get_monotonic_time ();
  mst_sender_start (&tx, "group=" GROUP6 " port=5825 source-addr=" SOURCE6
      " interface=" TX_IF " gso=on metrics-interval=100000000");
  push_lists (&tx, lists, 100 * 1000);
  warnings = queue_warnings_until_eos (&tx, started, &secs);
  after = qdisc_drops ();

  got = mst_collector_finish (collector, lists * PER_LIST, 2000);
  queue_drops = mst_stat (tx.sink, "queue-drops");
  g_object_get (tx.sink, "send-stats", &stats, NULL);
  qdisc = g_strdup (gst_structure_get_string (stats, "qdisc"));
  gst_structure_free (stats);
  GST_INFO ("received %u of %d, qdisc drops %" G_GUINT64_FORMAT
      ", queue-drops %" G_GUINT64_FORMAT ", %u warnings in %.1f s",
      got->len, lists * PER_LIST, after - before, queue_drops, warnings, secs);
  fail_unless (after > before, "tbf dropped nothing: no test");
  fail_unless_equals_uint64 (queue_drops, after - before);
  fail_unless_equals_string (qdisc, "tbf");
  fail_unless (warnings >= 1, "no warning about %" G_GUINT64_FORMAT
      " drops", queue_drops);
  fail_unless (warnings <= (guint) secs + 1, "%u warnings in %.1f s",
      warnings, secs);
  g_free (qdisc);
  mst_sender_free (&tx);
  g_ptr_array_unref (got);
  close (fd);
}

GST_END_TEST;

static Suite *
mctxsink_honest_suite (void)
{
  Suite *s = suite_create ("mctxsink-honest");
  TCase *tc = tcase_create ("honest");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_defaults_through_tbf_lose_nothing);
  tcase_add_test (tc, test_defaults_through_htb_lose_nothing);
  tcase_add_test (tc, test_nonblocking_through_tbf_counts_every_loss);
  tcase_add_test (tc, test_nonblocking_through_htb_counts_every_loss);
  tcase_add_test (tc, test_queue_drops_are_the_qdisc_counter);
  return s;
}

int
main (int argc, char **argv)
{
  peer = mst_veth_link_or_skip ("gst-honest", TX_IF, SOURCE6, RX_IF, RECEIVER6);

  gst_check_init (&argc, &argv);
  return gst_check_run_suite (mctxsink_honest_suite (), "mctxsink-honest",
      __FILE__);
}
