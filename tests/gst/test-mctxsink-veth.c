/* mctxsink over a veth pair between two network namespaces (root only):
 * IPv6 SSM to a receiver joined for (S,G), and a slow link (a tbf qdisc)
 * that pushes back: with block=true nothing is lost, across a pause too,
 * and a state change to NULL interrupts a blocked send at once; with
 * block=false the drops are counted.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctxsink-test.h"
#include "testnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GROUP6 "ff3e::8000:1234"
#define SOURCE6 "fd00:5::1"
#define RECEIVER6 "fd00:5::2"
#define TX_IF "mgs0"
#define RX_IF "mgr0"

static const char *peer;

/* A socket in the peer namespace, joined for (source, group) on RX_IF. */
static int
ssm_receiver (const char *group, const char *source, uint16_t port)
{
  return mst_ssm_receiver (peer, RX_IF, group, source, port);
}

GST_START_TEST (test_ipv6_ssm_over_veth)
{
  int fd = ssm_receiver (GROUP6, SOURCE6, 5801);
  /* Joined for another source: must get nothing. */
  int other = ssm_receiver (GROUP6, "fd00:5::99", 5801);
  MstSender tx;
  const int count = 10;
  char buf[256], from[INET6_ADDRSTRLEN];

  mst_sender_start (&tx, "group=" GROUP6 " port=5801 source-addr=" SOURCE6
      " interface=" TX_IF);
  for (int i = 0; i < count; i++) {
    gchar *text = g_strdup_printf ("ssm datagram %d", i);
    mst_sender_push (&tx, gst_buffer_new_wrapped (text, strlen (text)));
  }
  mst_sender_finish (&tx);

  for (int i = 0; i < count; i++) {
    gchar *expect = g_strdup_printf ("ssm datagram %d", i);
    ssize_t n = mcast_recv_within (fd, buf, sizeof buf, 0, from, sizeof from,
        NULL, 3000);

    fail_unless (n >= 0, "datagram %d did not arrive", i);
    fail_unless (n == (ssize_t) strlen (expect)
        && memcmp (buf, expect, n) == 0, "datagram %d is '%.*s'", i, (int) n,
        buf);
    fail_unless_equals_string (from, SOURCE6);
    g_free (expect);
  }
  fail_unless (mcast_recv_within (other, buf, sizeof buf, 0, NULL, 0, NULL,
          200) < 0, "a receiver joined for another source got a datagram");
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), count);
  mst_sender_free (&tx);
  close (fd);
  close (other);
}

GST_END_TEST;

/* Installs the slow link for one test and removes it after. */
static void
slow_link (gboolean on)
{
  if (on)
    testnet_sh_ok ("tc qdisc replace dev " TX_IF " root tbf rate 100kbit "
        "burst 1600 limit 3000");
  else
    testnet_sh ("tc qdisc del dev " TX_IF " root");
}

/* Polls a stat until it reaches at least `value` (bounded). */
static void
wait_stat_at_least (GstElement * sink, const char *field, guint64 value)
{
  for (int i = 0; i < 500 && mst_stat (sink, field) < value; i++)
    g_usleep (10 * 1000);
  fail_unless (mst_stat (sink, field) >= value, "%s stayed below %"
      G_GUINT64_FORMAT, field, value);
}

/* block=true through a slow link, paused and played again on the way:
 * every buffer arrives, in order, none twice. */
GST_START_TEST (test_slow_link_block_loses_nothing_across_pause)
{
  const int count = 40;
  const gsize size = 400;
  int fd = ssm_receiver (GROUP6, SOURCE6, 5802);
  MstCollector *collector;
  GPtrArray *got;
  MstSender tx;
  guint64 before, after;
  double t0, t1;

  slow_link (TRUE);
  collector = mst_collector_start (fd);
  mst_sender_start (&tx, "group=" GROUP6 " port=5802 source-addr=" SOURCE6
      " interface=" TX_IF " block=true");
  for (int i = 0; i < count; i++)
    mst_sender_push (&tx, mst_numbered_buffer (i, size));

  wait_stat_at_least (tx.sink, "packets-sent", 8);
  /* The link pushed back (the qdisc is full): the sink is waiting now. */
  wait_stat_at_least (tx.sink, "send-errors", 1);

  t0 = mst_now_ms ();
  fail_if (gst_element_set_state (tx.pipeline, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE);
  t1 = mst_now_ms ();
  GST_INFO ("PLAYING -> PAUSED took %.1f ms", t1 - t0);
  fail_unless (t1 - t0 < 1000, "pausing took %.0f ms", t1 - t0);

  before = mst_stat (tx.sink, "packets-sent");
  g_usleep (300 * 1000);
  after = mst_stat (tx.sink, "packets-sent");
  fail_unless_equals_uint64 (after, before);    /* paused means paused */
  fail_unless (after < (guint64) count, "everything went out before the "
      "pause: the link was not slow");

  fail_if (gst_element_set_state (tx.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  mst_sender_finish (&tx);

  got = mst_collector_finish (collector, count, 3000);
  mst_check_numbered (got, count, size);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), count);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), 0);
  fail_unless (mst_stat (tx.sink, "send-errors") > 0);

  mst_sender_free (&tx);
  g_ptr_array_unref (got);
  close (fd);
  slow_link (FALSE);
}

GST_END_TEST;

static GstPadProbeReturn
count_buffers (G_GNUC_UNUSED GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  gint *counter = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    g_atomic_int_inc (counter);
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    g_atomic_int_add (counter,
        gst_buffer_list_length (GST_PAD_PROBE_INFO_BUFFER_LIST (info)));
  return GST_PAD_PROBE_OK;
}

/* A send blocked on the slow link does not hold up a state change to NULL
 * (the issue: within 100 ms), and what was rendered is all accounted for:
 * received by the sink = packets-sent + packets-dropped. */
GST_START_TEST (test_slow_link_null_interrupts_blocked_send)
{
  const int count = 400;
  int fd = ssm_receiver (GROUP6, SOURCE6, 5803);
  MstSender tx;
  GstPad *pad;
  gint rendered = 0;
  double t0, t1;
  GstStateChangeReturn ret;

  slow_link (TRUE);
  mst_sender_start (&tx, "group=" GROUP6 " port=5803 source-addr=" SOURCE6
      " interface=" TX_IF " block=true");
  pad = gst_element_get_static_pad (tx.sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, count_buffers, &rendered, NULL);
  gst_object_unref (pad);
  for (int i = 0; i < count; i++)
    mst_sender_push (&tx, mst_numbered_buffer (i, 1000));

  wait_stat_at_least (tx.sink, "packets-sent", 3);
  wait_stat_at_least (tx.sink, "send-errors", 1);
  g_usleep (50 * 1000);

  t0 = mst_now_ms ();
  ret = gst_element_set_state (tx.pipeline, GST_STATE_NULL);
  t1 = mst_now_ms ();
  fail_unless_equals_int (ret, GST_STATE_CHANGE_SUCCESS);
  GST_INFO ("PLAYING -> NULL with a blocked send took %.1f ms", t1 - t0);
  g_print ("PLAYING -> NULL with a blocked send took %.1f ms\n", t1 - t0);
  /* The bound. Measured here: well under 1 ms (the wait ends as
   * soon as unlock() flushes the poll); a wait that unlock() did not
   * interrupt would take seconds on this link. */
  fail_unless (t1 - t0 < 100, "the state change took %.0f ms", t1 - t0);

  fail_unless (g_atomic_int_get (&rendered) < count);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent")
      + mst_stat (tx.sink, "packets-dropped"),
      (guint64) g_atomic_int_get (&rendered));

  gst_object_unref (tx.pipeline);
  close (fd);
  slow_link (FALSE);
}

GST_END_TEST;

/* block=false through the slow link: what does not fit is dropped and
 * counted, and what was counted as sent is what arrived. */
GST_START_TEST (test_slow_link_no_block_counts_drops)
{
  const int count = 200;
  const gsize size = 1000;
  int fd = ssm_receiver (GROUP6, SOURCE6, 5804);
  MstCollector *collector;
  GPtrArray *got;
  MstSender tx;
  guint64 sent, dropped;

  slow_link (TRUE);
  collector = mst_collector_start (fd);
  mst_sender_start (&tx, "group=" GROUP6 " port=5804 source-addr=" SOURCE6
      " interface=" TX_IF " block=false");
  for (int i = 0; i < count; i++)
    mst_sender_push (&tx, mst_numbered_buffer (i, size));
  mst_sender_finish (&tx);

  sent = mst_stat (tx.sink, "packets-sent");
  dropped = mst_stat (tx.sink, "packets-dropped");
  GST_INFO ("sent %" G_GUINT64_FORMAT ", dropped %" G_GUINT64_FORMAT, sent,
      dropped);
  fail_unless_equals_uint64 (sent + dropped, count);
  fail_unless (dropped > 0, "nothing dropped: the link was not slow");

  /* 100 kbit/s: what was sent drains within a few seconds. */
  got = mst_collector_finish (collector, sent, 5000);
  fail_unless_equals_uint64 (got->len, sent);

  mst_sender_free (&tx);
  g_ptr_array_unref (got);
  close (fd);
  slow_link (FALSE);
}

GST_END_TEST;

static Suite *
mctxsink_veth_suite (void)
{
  Suite *s = suite_create ("mctxsink-veth");
  TCase *tc = tcase_create ("veth");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_ipv6_ssm_over_veth);
  tcase_add_test (tc, test_slow_link_block_loses_nothing_across_pause);
  tcase_add_test (tc, test_slow_link_null_interrupts_blocked_send);
  tcase_add_test (tc, test_slow_link_no_block_counts_drops);
  return s;
}

int
main (int argc, char **argv)
{
  peer = mst_veth_link_or_skip ("gst-rx", TX_IF, SOURCE6, RX_IF, RECEIVER6);

  gst_check_init (&argc, &argv);
  return gst_check_run_suite (mctxsink_veth_suite (), "mctxsink-veth",
      __FILE__);
}
