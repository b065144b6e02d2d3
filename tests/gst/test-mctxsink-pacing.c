/* mctxsink's pacing (docs/pacing.md): frames as buffer lists and single
 * buffers, with sync=true and sync=false, all delivered in order and all
 * counted as paced; unlock() (a state change) ending a pacing wait of
 * hours at once; a live change of pacing-rate; the warning when
 * max-bitrate is set too. No timing is asserted: a wait that is not cut
 * short would hang, and the only bound is a 5 s hang guard.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * As root the test runs in a private network namespace; otherwise in the
 * current one, where it only ever sends through lo.
 */
#include "mctxsink-test.h"

#include <string.h>
#include <unistd.h>

#define GROUP "239.255.43.1"
#define PORT_LISTS 46631
#define PORT_UNLOCK 46632
#define PORT_LIVE 46633
#define PORT_WARN 46634

#define SIZE 1316
#define FRAME_DATAGRAMS 20
#define FRAMES 6

#define HANG_GUARD_MS 5000.0

static GstBufferList *
frame_list (int frame)
{
  GstBufferList *list = gst_buffer_list_new_sized (FRAME_DATAGRAMS);

  for (int i = 0; i < FRAME_DATAGRAMS; i++)
    gst_buffer_list_add (list,
        mst_numbered_buffer (frame * FRAME_DATAGRAMS + i, SIZE));
  /* basesink syncs a list on its first buffer's time. */
  GST_BUFFER_PTS (gst_buffer_list_get (list, 0)) = frame * GST_SECOND / 30;
  return list;
}

static void
run_frames (const char *sync, gboolean lists, guint16 port)
{
  int fd = mst_udp4_receiver (GROUP, port, "lo");
  MstCollector *c = mst_collector_start (fd);
  gchar *desc = g_strdup_printf ("appsrc name=src format=time ! mctxsink "
      "name=sink group=" GROUP " port=%u interface=lo pacing-rate=20000000 "
      "sync=%s", port, sync);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *src, *sink;
  int total = FRAMES * FRAME_DATAGRAMS;

  fail_unless (pipeline != NULL);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      != GST_STATE_CHANGE_FAILURE);
  for (int f = 0; f < FRAMES; f++) {
    GstBufferList *list = frame_list (f);

    if (lists) {
      fail_unless_equals_int (gst_app_src_push_buffer_list (GST_APP_SRC (src),
              list), GST_FLOW_OK);
      continue;
    }
    for (guint i = 0; i < gst_buffer_list_length (list); i++) {
      GstBuffer *b = gst_buffer_copy (gst_buffer_list_get (list, i));

      if (i > 0)
        GST_BUFFER_PTS (b) = f * GST_SECOND / 30;
      fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (src), b),
          GST_FLOW_OK);
    }
    gst_buffer_list_unref (list);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  {
    GstBus *bus = gst_element_get_bus (pipeline);
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

    fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
        "no EOS (sync=%s)", sync);
    gst_message_unref (msg);
    gst_object_unref (bus);
  }
  mst_check_numbered (mst_collector_finish (c, total, 2000), total, SIZE);
  fail_unless_equals_uint64 (mst_stat (sink, "paced-packets"), total);
  fail_unless_equals_uint64 (mst_stat (sink, "packets-dropped"), 0);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);
  close (fd);
}

GST_START_TEST (test_lists_sync_true)
{
  run_frames ("true", TRUE, PORT_LISTS);
}

GST_END_TEST;

GST_START_TEST (test_lists_sync_false)
{
  run_frames ("false", TRUE, PORT_LISTS);
}

GST_END_TEST;

GST_START_TEST (test_buffers_sync_true)
{
  run_frames ("true", FALSE, PORT_LISTS);
}

GST_END_TEST;

GST_START_TEST (test_buffers_sync_false)
{
  run_frames ("false", FALSE, PORT_LISTS);
}

GST_END_TEST;

/* At 1 bit/s a 1316-byte datagram takes three hours: after the burst the
 * streaming thread waits. Going to NULL calls unlock(), which must end the
 * wait, so the state change returns. */
GST_START_TEST (test_unlock_interrupts_pacing_wait)
{
  int fd = mst_udp4_receiver (GROUP, PORT_UNLOCK, "lo");
  MstCollector *c = mst_collector_start (fd);
  MstSender s;
  GPtrArray *got;
  double before;

  mst_sender_start (&s, "group=" GROUP " port=46632 interface=lo "
      "pacing-rate=1 pacing-burst=1");
  for (int i = 0; i < 3; i++)
    mst_sender_push (&s, mst_numbered_buffer (i, SIZE));
  /* Let the streaming thread reach the wait. */
  g_usleep (300 * 1000);
  before = mst_now_ms ();
  gst_element_set_state (s.pipeline, GST_STATE_NULL);
  fail_unless (mst_now_ms () - before < HANG_GUARD_MS,
      "the state change waited for the pacer (%.0f ms)",
      mst_now_ms () - before);
  got = mst_collector_finish (c, 3, 500);
  fail_unless (got->len >= 1 && got->len <= 2,
      "%u datagrams arrived, want the first (and at most one more)", got->len);
  mst_check_numbered (got, got->len, SIZE);
  mst_sender_free (&s);
  close (fd);
}

GST_END_TEST;

/* A rate of 1 bit/s changed to 100 Mbit/s while playing: the next buffers
 * go out (they would wait for hours otherwise) and the property reads the
 * new value. */
GST_START_TEST (test_live_pacing_rate)
{
  int fd = mst_udp4_receiver (GROUP, PORT_LIVE, "lo");
  MstCollector *c = mst_collector_start (fd);
  MstSender s;
  guint64 rate = 0;
  int total = 40;

  mst_sender_start (&s, "group=" GROUP " port=46633 interface=lo "
      "pacing-rate=1 pacing-burst=1");
  mst_sender_push (&s, mst_numbered_buffer (0, SIZE));
  g_object_set (s.sink, "pacing-rate", (guint64) 100000000, "pacing-burst",
      4, NULL);
  for (int i = 1; i < total; i++)
    mst_sender_push (&s, mst_numbered_buffer (i, SIZE));
  mst_sender_finish (&s);
  mst_check_numbered (mst_collector_finish (c, total, 2000), total, SIZE);
  g_object_get (s.sink, "pacing-rate", &rate, NULL);
  fail_unless_equals_uint64 (rate, 100000000);
  fail_unless_equals_uint64 (mst_stat (s.sink, "paced-packets"), total);
  mst_sender_free (&s);
  close (fd);
}

GST_END_TEST;

/* max-bitrate and pacing-rate together: a warning at start says which to
 * keep. pacing-burst 0 is refused by name. */
GST_START_TEST (test_max_bitrate_warns_and_burst_range)
{
  GstElement *sink = gst_element_factory_make ("mctxsink", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *error;

  gst_element_set_bus (sink, bus);
  g_object_set (sink, "group", GROUP, "port", PORT_WARN, "interface", "lo",
      "pacing-rate", (guint64) 20000000, "max-bitrate", (guint64) 20000000,
      NULL);
  fail_unless (gst_element_set_state (sink, GST_STATE_READY)
      == GST_STATE_CHANGE_SUCCESS);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning for max-bitrate with pacing-rate");
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (strstr (err->message, "max-bitrate") != NULL
      && strstr (err->message, "pacing-rate") != NULL, "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_element_set_bus (sink, NULL);
  gst_object_unref (bus);
  gst_object_unref (sink);

  error = mst_start_error ("group=" GROUP " port=46634 interface=lo "
      "pacing-rate=1000 pacing-burst=0");
  fail_unless (error && strstr (error, "pacing-burst 0 is out of range"),
      "%s", error ? error : "started");
  g_free (error);
}

GST_END_TEST;

static Suite *
mctxsink_pacing_suite (void)
{
  Suite *s = suite_create ("mctxsink-pacing");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_lists_sync_true);
  tcase_add_test (tc, test_lists_sync_false);
  tcase_add_test (tc, test_buffers_sync_true);
  tcase_add_test (tc, test_buffers_sync_false);
  tcase_add_test (tc, test_unlock_interrupts_pacing_wait);
  tcase_add_test (tc, test_live_pacing_rate);
  tcase_add_test (tc, test_max_bitrate_warns_and_burst_range);
  return s;
}

int
main (int argc, char **argv)
{
  return mst_main_private_netns (&argc, &argv, mctxsink_pacing_suite,
      "mctxsink-pacing", __FILE__);
}
