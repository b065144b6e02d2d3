/* mctxsink gather=N: single buffers gathered into batches reach a real
 * receiver intact and in order; EOS, a stall, a buffer list and stopping
 * send what waits; the counters stay exact.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * As root the test runs in a private network namespace; otherwise in the
 * current one. Either way every datagram leaves through lo.
 */
#include "mctxsink-test.h"
#include "testnet.h"

#include <string.h>
#include <unistd.h>

#define GROUP "239.255.42.7"

static GstBuffer *
numbered (guint i)
{
  gchar *text = g_strdup_printf ("gathered datagram %05u", i);

  return gst_buffer_new_wrapped (text, strlen (text));
}

static void
check_numbered (GPtrArray * got, guint first, guint count)
{
  fail_unless_equals_int (got->len, count);
  for (guint i = 0; i < count; i++) {
    gchar *expect = g_strdup_printf ("gathered datagram %05u", first + i);
    gsize size;
    const gchar *data = g_bytes_get_data (g_ptr_array_index (got, i), &size);

    fail_unless_equals_int (size, strlen (expect));
    fail_unless (memcmp (data, expect, size) == 0, "datagram %u is not %s",
        i, expect);
    g_free (expect);
  }
}

/* More buffers than a batch holds, a tail that never fills one: all arrive,
 * in order, and EOS sends the tail. */
GST_START_TEST (test_every_buffer_in_order_and_eos_sends_the_tail)
{
  int fd = mst_udp4_receiver (GROUP, 5761, "lo");
  MstCollector *rx = mst_collector_start (fd);
  const guint count = 203;      /* 12 batches of 16 and 11 left */
  MstSender tx;
  GPtrArray *got;
  guint gather = 0;

  /* A budget far longer than the test: only count and EOS send. */
  mst_sender_start (&tx, "group=" GROUP " port=5761 interface=lo "
      "gather=16 gather-latency=1000000000");
  g_object_get (tx.sink, "gather", &gather, NULL);
  fail_unless_equals_int (gather, 16);
  for (guint i = 0; i < count; i++)
    mst_sender_push (&tx, numbered (i));
  mst_sender_finish (&tx);

  got = mst_collector_finish (rx, count, 3000);
  check_numbered (got, 0, count);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), count);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), 0);
  g_ptr_array_unref (got);
  mst_sender_free (&tx);
  close (fd);
}

GST_END_TEST;

/* Fewer buffers than a batch and no EOS: the latency budget sends them. */
GST_START_TEST (test_a_stall_sends_after_the_latency_budget)
{
  int fd = mst_udp4_receiver (GROUP, 5762, "lo");
  MstCollector *rx = mst_collector_start (fd);
  MstSender tx;
  GPtrArray *got;

  mst_sender_start (&tx, "group=" GROUP " port=5762 interface=lo "
      "gather=64 gather-latency=20000000");
  for (guint i = 0; i < 5; i++)
    mst_sender_push (&tx, numbered (i));

  /* Bounded: five datagrams, or 5 s without one. */
  got = mst_collector_finish (rx, 5, 5000);
  check_numbered (got, 0, 5);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), 5);
  g_ptr_array_unref (got);

  mst_sender_finish (&tx);
  mst_sender_free (&tx);
  close (fd);
}

GST_END_TEST;

/* A buffer list after gathered buffers goes out after them. */
GST_START_TEST (test_a_list_after_gathered_buffers_keeps_order)
{
  int fd = mst_udp4_receiver (GROUP, 5763, "lo");
  MstCollector *rx = mst_collector_start (fd);
  GstBufferList *list = gst_buffer_list_new ();
  MstSender tx;
  GPtrArray *got;

  mst_sender_start (&tx, "group=" GROUP " port=5763 interface=lo "
      "gather=32 gather-latency=1000000000");
  for (guint i = 0; i < 3; i++)
    mst_sender_push (&tx, numbered (i));
  for (guint i = 3; i < 10; i++)
    gst_buffer_list_add (list, numbered (i));
  mst_sender_push_list (&tx, list);
  mst_sender_push (&tx, numbered (10));
  mst_sender_finish (&tx);

  got = mst_collector_finish (rx, 11, 3000);
  check_numbered (got, 0, 11);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), 11);
  g_ptr_array_unref (got);
  mst_sender_free (&tx);
  close (fd);
}

GST_END_TEST;

/* PAUSED, then NULL, with buffers waiting and no EOS: nothing is lost
 * uncounted (here, nothing is lost: lo takes them all). */
GST_START_TEST (test_stopping_with_pending_buffers_counts_them)
{
  int fd = mst_udp4_receiver (GROUP, 5764, "lo");
  MstCollector *rx = mst_collector_start (fd);
  MstSender tx;
  GPtrArray *got;
  guint64 sent, dropped;

  mst_sender_start (&tx, "group=" GROUP " port=5764 interface=lo "
      "gather=64 gather-latency=1000000000");
  for (guint i = 0; i < 7; i++)
    mst_sender_push (&tx, numbered (i));
  /* The buffers were rendered once appsrc's queue is empty. */
  for (int i = 0; i < 500 && gst_app_src_get_current_level_buffers
      (GST_APP_SRC (tx.src)) > 0; i++)
    g_usleep (2000);
  g_usleep (50000);

  fail_unless (gst_element_set_state (tx.pipeline, GST_STATE_PAUSED) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless (gst_element_set_state (tx.pipeline, GST_STATE_NULL) ==
      GST_STATE_CHANGE_SUCCESS);

  sent = mst_stat (tx.sink, "packets-sent");
  dropped = mst_stat (tx.sink, "packets-dropped");
  fail_unless_equals_uint64 (sent + dropped, 7);
  got = mst_collector_finish (rx, (guint) sent, 3000);
  check_numbered (got, 0, (guint) sent);
  fail_unless_equals_uint64 (sent, 7);
  g_ptr_array_unref (got);

  gst_object_unref (tx.pipeline);
  close (fd);
}

GST_END_TEST;

/* sync=true: a gathered buffer does not sit while the sink waits on the
 * clock for the next one, also when ts-offset (not the buffer's timestamp)
 * makes that wait long. Buffer 0 has no timestamp, so it is rendered (and
 * gathered) at once; buffer 1 has PTS 0, due 30 s later by ts-offset.
 * Buffer 0 must arrive while the sink waits for buffer 1, well before the
 * 1 s latency budget would have sent it. */
GST_START_TEST (test_a_clock_wait_sends_what_waits)
{
  int fd = mst_udp4_receiver (GROUP, 5765, "lo");
  GError *err = NULL;
  GstElement *pipeline, *src, *sink;
  GstBuffer *untimed = numbered (0), *timed = numbered (1);
  char buf[64];
  ssize_t n;

  pipeline = gst_parse_launch ("appsrc name=src format=time ! mctxsink "
      "name=sink group=" GROUP " port=5765 interface=lo gather=64 "
      "gather-latency=1000000000 sync=true ts-offset=30000000000", &err);
  fail_unless (pipeline != NULL, "%s", err ? err->message : "?");
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);

  fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (src),
          untimed), GST_FLOW_OK);
  /* Buffer 0 prerolled, so the pipeline is PLAYING: it is being rendered. */
  fail_unless_equals_int (gst_element_get_state (pipeline, NULL, NULL,
          5 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  GST_BUFFER_PTS (timed) = 0;
  fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (src), timed),
      GST_FLOW_OK);

  n = mcast_recv_within (fd, buf, sizeof buf, 0, NULL, 0, NULL, 600);
  fail_unless (n > 0, "the gathered buffer sat while the sink waited on the "
      "clock");
  fail_unless (n == (ssize_t) strlen ("gathered datagram 00000")
      && memcmp (buf, "gathered datagram 00000", n) == 0);
  /* Buffer 1 is still waiting for its time. */
  fail_unless (mcast_recv_within (fd, buf, sizeof buf, 0, NULL, 0, NULL,
          100) < 0);

  /* A state change interrupts the clock wait. */
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  close (fd);
}

GST_END_TEST;

/* The properties: 1 is off, the range is 1..64, and both are refused
 * while running. */
GST_START_TEST (test_properties)
{
  GstElement *sink = gst_element_factory_make ("mctxsink", NULL);
  GParamSpecUInt *spec;
  guint gather;
  guint64 latency;

  g_object_get (sink, "gather", &gather, "gather-latency", &latency, NULL);
  fail_unless_equals_int (gather, 1);
  fail_unless_equals_uint64 (latency, GST_MSECOND);
  spec = G_PARAM_SPEC_UINT (g_object_class_find_property
      (G_OBJECT_GET_CLASS (sink), "gather"));
  fail_unless_equals_int (spec->minimum, 1);
  fail_unless_equals_int (spec->maximum, 64);
  gst_object_unref (sink);
}

GST_END_TEST;

static Suite *
mctxsink_gather_suite (void)
{
  Suite *s = suite_create ("mctxsink-gather");
  TCase *tc = tcase_create ("gather");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_every_buffer_in_order_and_eos_sends_the_tail);
  tcase_add_test (tc, test_a_stall_sends_after_the_latency_budget);
  tcase_add_test (tc, test_a_list_after_gathered_buffers_keeps_order);
  tcase_add_test (tc, test_stopping_with_pending_buffers_counts_them);
  tcase_add_test (tc, test_a_clock_wait_sends_what_waits);
  return s;
}

int
main (int argc, char **argv)
{
  if (geteuid () == 0)
    testnet_private_netns_or_skip ();
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (mctxsink_gather_suite (), "mctxsink-gather",
      __FILE__);
}
