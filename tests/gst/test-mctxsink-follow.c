/* mctxsink streaming out of an interface given by name that is deleted
 * mid-stream and created again with the same name and address (root
 * only): with block=false the stream resumes at the receiver by itself
 * once the interface is back, and every buffer was sent or counted in
 * packets-dropped.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctxsink-test.h"
#include "testnet.h"

#include <string.h>
#include <unistd.h>

#define GROUP "232.1.79.1"
#define PORT 5831
#define TX_IF "mflw0"
#define RX_IF "mflr0"
#define SIZE 500
#define PER_LIST 4
/* Lists pushed PAUSE_US apart: before the deletion, while the interface
 * is gone, and at most while it comes back (the element looks for it
 * once a second; 400 lists are 4 s). */
#define PAUSE_US (10 * 1000)
#define LISTS_BEFORE 10
#define LISTS_GONE 30
#define LISTS_BACK_MAX 400
#define LISTS_AFTER 10

static const char *peer;

static void
link_create (void)
{
  testnet_veth (TX_IF, peer, RX_IF);
  testnet_sh_ok ("ip addr add 10.79.0.1/24 dev " TX_IF);
  testnet_sh_ok ("ip -n %s addr add 10.79.0.9/24 dev " RX_IF, peer);
}

/* Lists of PER_LIST numbered buffers from *next on, PAUSE_US apart; stops
 * early once the receiver has more than `until` datagrams (until < 0:
 * never). Returns whether it stopped early. */
static gboolean
push_lists (MstSender * tx, MstCollector * rx, int lists, int *next, int until)
{
  for (int l = 0; l < lists; l++) {
    GstBufferList *list = gst_buffer_list_new_sized (PER_LIST);

    for (int i = 0; i < PER_LIST; i++)
      gst_buffer_list_add (list, mst_numbered_buffer ((*next)++, SIZE));
    mst_sender_push_list (tx, list);
    g_usleep (PAUSE_US);
    if (until >= 0 && mst_collector_count (rx) > (guint) until)
      return TRUE;
  }
  return FALSE;
}

/* Whether a warning posted so far says that the interface is followed. */
static gboolean
warned_followed (MstSender * tx)
{
  GstBus *bus = gst_element_get_bus (tx->pipeline);
  GstMessage *msg;
  gboolean found = FALSE;

  for (int i = 0; i < 1000
      && (msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING)); i++) {
    GError *err = NULL;

    gst_message_parse_warning (msg, &err, NULL);
    GST_INFO ("warning: %s", err->message);
    if (strstr (err->message, "interface " TX_IF " is gone or down: given by "
            "name or address, it is followed when it comes back"))
      found = TRUE;
    g_error_free (err);
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return found;
}

/* The receiver has at least count datagrams within timeout_ms. */
static void
wait_received (MstCollector * rx, guint count, int timeout_ms)
{
  for (int waited = 0; waited < timeout_ms
      && mst_collector_count (rx) < count; waited += 10)
    g_usleep (10 * 1000);
  fail_unless (mst_collector_count (rx) >= count,
      "%u of %u datagrams arrived", mst_collector_count (rx), count);
}

GST_START_TEST (test_stream_resumes_when_the_interface_comes_back)
{
  int fd = mcast_receiver (peer, GROUP, PORT, testnet_ifindex_in (peer,
          RX_IF), NULL, NULL);
  int rcvbuf = 4 << 20;
  MstCollector *rx;
  MstSender tx;
  GPtrArray *got;
  guint64 sent, dropped;
  guint before;
  int next = 0;
  gboolean resumed;

  setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  rx = mst_collector_start (fd);
  mst_sender_start (&tx, "group=" GROUP " port=5831 interface=" TX_IF
      " block=false");

  push_lists (&tx, rx, LISTS_BEFORE, &next, -1);
  wait_received (rx, LISTS_BEFORE * PER_LIST, 5000);

  /* Gone: the buffers are dropped and counted. */
  testnet_sh_ok ("ip link del " TX_IF);
  push_lists (&tx, rx, LISTS_GONE, &next, -1);
  before = mst_collector_count (rx);
  fail_unless_equals_int (before, LISTS_BEFORE * PER_LIST);

  /* Back, with the same name and address; the receiver joins again on
   * its new interface. */
  link_create ();
  mcast_join_v4 (fd, GROUP, testnet_ifindex_in (peer, RX_IF));
  resumed = push_lists (&tx, rx, LISTS_BACK_MAX, &next, before);
  GST_INFO ("resumed %d after %d buffers", resumed, next);
  fail_unless (resumed, "the stream did not resume after %d buffers", next);
  push_lists (&tx, rx, LISTS_AFTER, &next, -1);
  fail_unless (warned_followed (&tx), "no warning names the interface");
  mst_sender_finish (&tx);

  sent = mst_stat (tx.sink, "packets-sent");
  dropped = mst_stat (tx.sink, "packets-dropped");
  got = mst_collector_finish (rx, (guint) sent, 2000);
  GST_INFO ("pushed %d, sent %" G_GUINT64_FORMAT ", dropped %"
      G_GUINT64_FORMAT ", received %u", next, sent, dropped, got->len);
  fail_unless_equals_uint64 (sent + dropped, next);
  fail_unless (dropped >= LISTS_GONE * PER_LIST,
      "only %" G_GUINT64_FORMAT " dropped", dropped);
  fail_unless_equals_uint64 (got->len, sent);
  fail_unless (got->len >= before + LISTS_AFTER * PER_LIST,
      "%u received", got->len);
  mst_sender_free (&tx);
  g_ptr_array_unref (got);
  close (fd);
}

GST_END_TEST;

static Suite *
mctxsink_follow_suite (void)
{
  Suite *s = suite_create ("mctxsink-follow");
  TCase *tc = tcase_create ("follow");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_stream_resumes_when_the_interface_comes_back);
  return s;
}

int
main (int argc, char **argv)
{
  testnet_private_netns_or_skip ();
  peer = testnet_peer_create ("gst-follow");
  link_create ();

  gst_check_init (&argc, &argv);
  return gst_check_run_suite (mctxsink_follow_suite (), "mctxsink-follow",
      __FILE__);
}
