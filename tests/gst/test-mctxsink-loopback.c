/* mctxsink on loopback, IPv4: real receivers (udpsrc, a plain socket) check
 * the payload bytes, the source address seen, order, and the counters.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * As root the test runs in a private network namespace; otherwise in the
 * current one. Either way every datagram leaves through lo.
 */
#include "mctxsink-test.h"
#include "testnet.h"

#include <gst/app/gstappsink.h>
#include <gst/net/gstnetaddressmeta.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define GROUP "239.255.42.1"

/* udpsrc with retrieve-sender-address: what a GStreamer receiver sees. */
GST_START_TEST (test_ipv4_to_udpsrc_payload_and_source)
{
  GstElement *rx;
  GstElement *out;
  MstSender tx;
  GError *err = NULL;
  guint64 bytes = 0;
  const int count = 5;

  rx = gst_parse_launch ("udpsrc address=" GROUP " port=5701 "
      "multicast-iface=lo retrieve-sender-address=true ! "
      "appsink name=out sync=false max-buffers=100", &err);
  fail_unless (rx != NULL, "%s", err ? err->message : "?");
  out = gst_bin_get_by_name (GST_BIN (rx), "out");
  fail_if (gst_element_set_state (rx, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);

  mst_sender_start (&tx, "group=" GROUP " port=5701 interface=lo "
      "source-addr=127.0.0.1 source-port=45701");
  for (int i = 0; i < count; i++) {
    gchar *text = g_strdup_printf ("datagram %d of the udpsrc test", i);
    bytes += strlen (text);
    mst_sender_push (&tx, gst_buffer_new_wrapped (text, strlen (text)));
  }
  mst_sender_finish (&tx);

  for (int i = 0; i < count; i++) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (out),
        5 * GST_SECOND);
    GstBuffer *buffer;
    GstNetAddressMeta *meta;
    GInetAddress *from;
    gchar *expect, *from_text;
    GstMapInfo map;

    fail_unless (sample != NULL, "datagram %d did not arrive", i);
    buffer = gst_sample_get_buffer (sample);
    expect = g_strdup_printf ("datagram %d of the udpsrc test", i);
    fail_unless (gst_buffer_map (buffer, &map, GST_MAP_READ));
    fail_unless_equals_int (map.size, strlen (expect));
    fail_unless (memcmp (map.data, expect, map.size) == 0);
    gst_buffer_unmap (buffer, &map);

    meta = gst_buffer_get_net_address_meta (buffer);
    fail_unless (meta != NULL, "no sender address");
    from = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS
        (meta->addr));
    from_text = g_inet_address_to_string (from);
    fail_unless_equals_string (from_text, "127.0.0.1");
    fail_unless_equals_int (g_inet_socket_address_get_port
        (G_INET_SOCKET_ADDRESS (meta->addr)), 45701);
    g_free (from_text);
    g_free (expect);
    gst_sample_unref (sample);
  }

  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), count);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "bytes-sent"), bytes);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), 0);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "send-errors"), 0);
  mst_sender_free (&tx);

  gst_element_set_state (rx, GST_STATE_NULL);
  gst_object_unref (out);
  gst_object_unref (rx);
}

GST_END_TEST;

static void
expect_datagram (GPtrArray * got, guint index, const char *text)
{
  gsize len;
  const char *data;

  fail_unless (index < got->len, "datagram %u (%s) missing: got %u", index,
      text, got->len);
  data = g_bytes_get_data (g_ptr_array_index (got, index), &len);
  fail_unless (len == strlen (text) && memcmp (data, text, len) == 0,
      "datagram %u is '%.*s', expected '%s'", index, (int) len, data, text);
}

/* Multi-memory buffers, lists (equal and mixed sizes, more than one batch)
 * and single buffers arrive intact, whole and in order. */
GST_START_TEST (test_lists_and_multi_memory_in_order)
{
  int fd = mst_udp4_receiver (GROUP, 5702, "lo");
  MstCollector *collector = mst_collector_start (fd);
  GPtrArray *expected = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *got;
  GstBufferList *list;
  MstSender tx;
  guint64 pushed = 0;

  mst_sender_start (&tx, "group=" GROUP " port=5702 interface=lo "
      "source-addr=127.0.0.1");

  mst_sender_push (&tx, mst_buffer_of_strings ("abc", "defgh", "ij", NULL));
  g_ptr_array_add (expected, g_strdup ("abcdefghij"));
  pushed++;

  /* Equal sizes, two memories each. */
  list = gst_buffer_list_new ();
  for (int i = 0; i < 50; i++) {
    gchar head[16];
    g_snprintf (head, sizeof head, "eq-%03d|", i);
    gst_buffer_list_add (list, mst_buffer_of_strings (head, "tail", NULL));
    g_ptr_array_add (expected, g_strdup_printf ("%stail", head));
  }
  mst_sender_push_list (&tx, list);
  pushed += 50;

  /* Mixed sizes and memory counts, more than one sendmmsg. */
  list = gst_buffer_list_new ();
  for (int i = 0; i < 300; i++) {
    gchar *a = g_strdup_printf ("mix-%d", i);
    gchar *b = g_strnfill (i % 7, 'x');
    gchar *c = g_strdup_printf ("|%d", i * 3);
    GstBuffer *buffer;

    /* Some middle memories are empty (i % 7 == 0). */
    if (i % 3 == 0)
      buffer = mst_buffer_of_strings (a, NULL);
    else if (i % 3 == 1)
      buffer = mst_buffer_of_strings (a, b, NULL);
    else
      buffer = mst_buffer_of_strings (a, b, c, NULL);
    gst_buffer_list_add (list, buffer);
    g_ptr_array_add (expected, i % 3 == 0 ? g_strdup (a) : i % 3 == 1 ?
        g_strconcat (a, b, NULL) : g_strconcat (a, b, c, NULL));
    g_free (a);
    g_free (b);
    g_free (c);
  }
  mst_sender_push_list (&tx, list);
  pushed += 300;

  for (int i = 0; i < 10; i++) {
    gchar *text = g_strdup_printf ("single-%d", i);
    mst_sender_push (&tx, gst_buffer_new_wrapped (g_strdup (text),
            strlen (text)));
    g_ptr_array_add (expected, text);
  }
  pushed += 10;
  mst_sender_finish (&tx);

  got = mst_collector_finish (collector, expected->len, 3000);
  fail_unless_equals_int (got->len, expected->len);
  for (guint i = 0; i < expected->len; i++)
    expect_datagram (got, i, g_ptr_array_index (expected, i));

  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), pushed);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), 0);
  mst_sender_free (&tx);
  g_ptr_array_unref (got);
  g_ptr_array_unref (expected);
  close (fd);
}

GST_END_TEST;

/* A datagram larger than UDP allows fails with EMSGSIZE: it is counted as
 * dropped, warnings say how many, and the stream goes on. */
GST_START_TEST (test_send_error_is_counted_and_warned)
{
  int fd = mst_udp4_receiver (GROUP, 5703, "lo");
  MstSender tx;
  GstBus *bus;
  GstMessage *msg;
  gchar buf[64];
  gsize big = 70000;
  guint64 warned = 0;
  int warnings = 0;

  mst_sender_start (&tx, "group=" GROUP " port=5703 interface=lo "
      "source-addr=127.0.0.1");
  for (int i = 0; i < 3; i++)
    mst_sender_push (&tx, gst_buffer_new_wrapped (g_malloc0 (big), big));
  mst_sender_push (&tx, gst_buffer_new_wrapped (g_strdup ("after"), 5));
  fail_unless_equals_int (gst_app_src_end_of_stream (GST_APP_SRC (tx.src)),
      GST_FLOW_OK);

  bus = gst_element_get_bus (tx.pipeline);
  /* Warnings until EOS: the first at once, what is left at EOS. */
  for (gboolean eos = FALSE, stopped = FALSE; !stopped;) {
    msg = gst_bus_timed_pop_filtered (bus, eos ? 0 : 10 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_WARNING | GST_MESSAGE_ERROR);
    if (msg == NULL && eos) {
      stopped = TRUE;
      continue;
    }
    fail_unless (msg != NULL, "no EOS");
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      eos = TRUE;
      fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), 1);
      fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), 3);
      fail_unless_equals_uint64 (mst_stat (tx.sink, "send-errors"), 3);
    } else {
      GError *err = NULL;
      guint64 n;

      gst_message_parse_warning (msg, &err, NULL);
      GST_INFO ("warning: %s", err->message);
      fail_unless (strstr (err->message, GROUP ":5703") != NULL, "%s",
          err->message);
      fail_unless (strstr (err->message, g_strerror (EMSGSIZE)) != NULL,
          "%s", err->message);
      n = g_ascii_strtoull (err->message, NULL, 10);
      fail_unless (n > 0, "%s", err->message);
      warned += n;
      warnings++;
      g_error_free (err);
    }
    if (msg)
      gst_message_unref (msg);
  }
  gst_object_unref (bus);
  fail_unless_equals_uint64 (warned, 3);
  /* At most one a second: the three quick failures cannot each have one. */
  fail_unless (warnings < 3, "%d warnings for 3 errors", warnings);

  fail_unless_equals_int (mcast_recv_within (fd, buf, sizeof buf, 0, NULL, 0,
          NULL, 2000), 5);
  fail_unless (memcmp (buf, "after", 5) == 0);
  /* The counters stay readable after stop. */
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-dropped"), 3);
  fail_unless_equals_uint64 (mst_stat (tx.sink, "packets-sent"), 1);

  mst_sender_free (&tx);
  close (fd);
}

GST_END_TEST;

static Suite *
mctxsink_loopback_suite (void)
{
  Suite *s = suite_create ("mctxsink-loopback");
  TCase *tc = tcase_create ("ipv4");

  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_ipv4_to_udpsrc_payload_and_source);
  tcase_add_test (tc, test_lists_and_multi_memory_in_order);
  tcase_add_test (tc, test_send_error_is_counted_and_warned);
  return s;
}

int
main (int argc, char **argv)
{
  if (geteuid () == 0)
    testnet_private_netns_or_skip ();
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (mctxsink_loopback_suite (), "mctxsink-loopback",
      __FILE__);
}
