/* mctxsink gso=false over a shaped veth link (root only): a tbf qdisc whose
 * burst is smaller than a batch would split GSO packets and drop segments
 * without telling the sender; with gso=false every datagram is its own
 * packet, each drop comes back as ENOBUFS and block=true sends it again, so
 * buffer lists and gathered buffers all arrive. And a queue that refuses
 * everything for over a second is warned about while the sink keeps
 * resending.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctxsink-test.h"
#include "testnet.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GROUP6 "ff3e::8000:1236"
#define SOURCE6 "fd00:6::1"
#define RECEIVER6 "fd00:6::2"
#define TX_IF "mgso0"
#define RX_IF "mgsr0"
#define SIZE 1000

static const char *peer;

/* A socket in the peer namespace, joined for (SOURCE6, GROUP6) on RX_IF. */
static int
receiver (uint16_t port)
{
  return mst_ssm_receiver (peer, RX_IF, GROUP6, SOURCE6, port);
}

/* 1 Mbit/s with a burst of about one datagram: a 40-datagram GSO packet
 * would be cut down to what fits the 3000-byte queue. */
static void
shaped_link (gboolean on)
{
  if (on)
    testnet_sh_ok ("tc qdisc replace dev " TX_IF " root tbf rate 1mbit "
        "burst 1600 limit 3000");
  else
    testnet_sh ("tc qdisc del dev " TX_IF " root");
}

/* Buffer lists of 40 x 1000 bytes, gso=false, block=true: every datagram
 * arrives, in order, none dropped. */
GST_START_TEST (test_lists_without_gso_lose_nothing)
{
  const int lists = 3, per_list = 40, count = lists * per_list;
  int fd = receiver (5811);
  MstCollector *collector;
  GPtrArray *got;
  MstSender tx;

  shaped_link (TRUE);
  collector = mst_collector_start (fd);
  mst_sender_start (&tx, "group=" GROUP6 " port=5811 source-addr=" SOURCE6
      " interface=" TX_IF " block=true gso=false");
  for (int l = 0; l < lists; l++) {
    GstBufferList *list = gst_buffer_list_new_sized (per_list);

    for (int i = 0; i < per_list; i++)
      gst_buffer_list_add (list, mst_numbered_buffer (l * per_list + i, SIZE));
    mst_sender_push_list (&tx, list);
  }
  /* About 1 s of traffic at 1 Mbit/s; bounded by 30 s. */
  mst_sender_finish (&tx);

  got = mst_collector_finish (collector, count, 5000);
  mst_check_numbered (got, count, SIZE);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), count);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), 0);
  /* The link pushed back: the test went through the resend path. */
  fail_unless (mst_stat (tx.sink, "send-errors") > 0,
      "no send error: the link did not push back");

  mst_sender_free (&tx);
  g_ptr_array_unref (got);
  close (fd);
  shaped_link (FALSE);
}

GST_END_TEST;

/* Single buffers gathered 40 at a time through the same link, gso=false:
 * all arrive, in order. */
GST_START_TEST (test_gather_without_gso_loses_nothing)
{
  const int count = 80;
  int fd = receiver (5812);
  MstCollector *collector;
  GPtrArray *got;
  MstSender tx;

  shaped_link (TRUE);
  collector = mst_collector_start (fd);
  mst_sender_start (&tx, "group=" GROUP6 " port=5812 source-addr=" SOURCE6
      " interface=" TX_IF " block=true gso=false gather=40 "
      "gather-latency=1000000000");
  for (int i = 0; i < count; i++)
    mst_sender_push (&tx, mst_numbered_buffer (i, SIZE));
  mst_sender_finish (&tx);

  got = mst_collector_finish (collector, count, 5000);
  mst_check_numbered (got, count, SIZE);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), count);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), 0);

  mst_sender_free (&tx);
  g_ptr_array_unref (got);
  close (fd);
  shaped_link (FALSE);
}

GST_END_TEST;

/* A queue that takes nothing (pfifo limit 0: every datagram refused with
 * ENOBUFS): with block=true the sink keeps resending and says so in a
 * warning; once the queue takes datagrams again, all of them arrive. */
GST_START_TEST (test_a_queue_that_refuses_everything_is_warned_about)
{
  const int count = 3;
  int fd = receiver (5813);
  MstCollector *collector;
  GPtrArray *got;
  MstSender tx;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;

  testnet_sh_ok ("tc qdisc replace dev " TX_IF " root pfifo limit 0");
  collector = mst_collector_start (fd);
  mst_sender_start (&tx, "group=" GROUP6 " port=5813 source-addr=" SOURCE6
      " interface=" TX_IF " block=true");
  for (int i = 0; i < count; i++)
    mst_sender_push (&tx, mst_numbered_buffer (i, SIZE));

  /* After a second of refusals; bounded by 10 s. The qdisc also drops the
   * kernel's own packets on this link (IPv6 neighbour and MLD traffic),
   * which the interface-wide queue-drop warning reports: not this one. */
  bus = gst_element_get_bus (tx.pipeline);
  for (gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;;) {
    gint64 left = end - g_get_monotonic_time ();
    msg = left > 0 ? gst_bus_timed_pop_filtered (bus, left * GST_USECOND,
        GST_MESSAGE_WARNING | GST_MESSAGE_ERROR) : NULL;
    fail_unless (msg != NULL, "no warning within 10 s of ENOBUFS");
    fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_WARNING);
    gst_message_parse_warning (msg, &err, NULL);
    if (strstr (err->message, "no send failure reported") == NULL)
      break;
    g_clear_error (&err);
    gst_message_unref (msg);
  }
  GST_INFO ("warning: %s", err->message);
  fail_unless (strstr (err->message, "refused every datagram") != NULL
      && strstr (err->message, "still resending") != NULL, "warning: %s",
      err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  gst_object_unref (bus);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), 0);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), 0);

  /* The queue is opened in place, not deleted or replaced: swapping the
   * root qdisc deactivates the device for a moment, and the kernel's noop
   * qdisc then drops what the sink resends while sendmsg() reports success
   * (NET_XMIT_CN, only the interface's tx_dropped counts it). Under load
   * that moment is long enough to swallow all three. */
  testnet_sh_ok ("tc qdisc change dev " TX_IF " root pfifo limit 1000");
  mst_sender_finish (&tx);
  got = mst_collector_finish (collector, count, 3000);
  mst_check_numbered (got, count, SIZE);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), count);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), 0);

  mst_sender_free (&tx);
  g_ptr_array_unref (got);
  close (fd);
  testnet_sh_ok ("tc qdisc del dev " TX_IF " root");
}

GST_END_TEST;

static Suite *
mctxsink_gso_suite (void)
{
  Suite *s = suite_create ("mctxsink-gso");
  TCase *tc = tcase_create ("gso");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_lists_without_gso_lose_nothing);
  tcase_add_test (tc, test_gather_without_gso_loses_nothing);
  tcase_add_test (tc, test_a_queue_that_refuses_everything_is_warned_about);
  return s;
}

int
main (int argc, char **argv)
{
  peer = mst_veth_link_or_skip ("gst-gso", TX_IF, SOURCE6, RX_IF, RECEIVER6);

  gst_check_init (&argc, &argv);
  return gst_check_run_suite (mctxsink_gso_suite (), "mctxsink-gso", __FILE__);
}
