/* metrics-watch: prints every mctx-metrics message of an mctxsink, and at
 * the end compares the final counts with what a receiver on this host got.
 *
 *   metrics-watch [--buffers N] [--interval-ms N] [--group ADDR] [--port N]
 *
 * The sender is "audiotestsrc ! rtpL16pay ! mctxsink interface=lo" (sent in
 * real time, 50 buffers a second); the receiver is "udpsrc ! fakesink" in a
 * second pipeline. Nothing leaves the machine: the group is sent out of lo.
 * Exit status 0 when the final message's packets-sent and bytes-sent equal
 * what the receiver counted, 1 otherwise, 2 for a bad command line.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <gst/gst.h>

#include <stdlib.h>

typedef struct
{
  GMainLoop *loop;
  GstElement *sender;
  GstElement *receiver;

  /* Counted by the receiver's streaming thread. */
  GMutex lock;
  guint64 received_packets;
  guint64 received_bytes;

  guint64 final_packets;
  guint64 final_bytes;
  gboolean have_final;
  gboolean failed;
} Watch;

/* One line per message: the counters, the rates over the interval, and the
 * last rendered buffer's running time. */
static void
print_metrics (const GstStructure * s)
{
  guint64 packets = 0, bytes = 0, dropped = 0, errors = 0, interval = 0;
  guint64 running_time = GST_CLOCK_TIME_NONE;
  gdouble pps = 0, bps = 0;
  gboolean final = FALSE;
  gint port = 0;

  gst_structure_get (s,
      "packets-sent", G_TYPE_UINT64, &packets,
      "bytes-sent", G_TYPE_UINT64, &bytes,
      "packets-dropped", G_TYPE_UINT64, &dropped,
      "send-errors", G_TYPE_UINT64, &errors,
      "interval", G_TYPE_UINT64, &interval,
      "packets-per-sec", G_TYPE_DOUBLE, &pps,
      "bytes-per-sec", G_TYPE_DOUBLE, &bps,
      "running-time", G_TYPE_UINT64, &running_time,
      "port", G_TYPE_INT, &port, "final", G_TYPE_BOOLEAN, &final, NULL);

  g_print ("%s %s -> %s:%d  packets %" G_GUINT64_FORMAT "  bytes %"
      G_GUINT64_FORMAT "  dropped %" G_GUINT64_FORMAT "  errors %"
      G_GUINT64_FORMAT "  %.1f pkt/s  %.1f B/s over %.3f s  at %"
      GST_TIME_FORMAT "\n", final ? "final " : "metrics",
      gst_structure_get_string (s, "source"),
      gst_structure_get_string (s, "group"), port, packets, bytes, dropped,
      errors, pps, bps, (gdouble) interval / GST_SECOND,
      GST_TIME_ARGS (running_time));
}

static GstPadProbeReturn
on_received (G_GNUC_UNUSED GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Watch *w = data;

  g_mutex_lock (&w->lock);
  w->received_packets++;
  w->received_bytes += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  g_mutex_unlock (&w->lock);
  return GST_PAD_PROBE_OK;
}

/* After the sender's EOS, datagrams still on their way get a moment. */
static gboolean
stop_soon (gpointer data)
{
  g_main_loop_quit (((Watch *) data)->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_sender_message (G_GNUC_UNUSED GstBus * bus, GstMessage * msg, gpointer data)
{
  Watch *w = data;
  const GstStructure *s = gst_message_get_structure (msg);
  GError *error = NULL;
  gchar *debug = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      if (!gst_structure_has_name (s, "mctx-metrics"))
        break;
      print_metrics (s);
      if (!w->have_final
          && gst_structure_get_boolean (s, "final", &w->have_final)
          && w->have_final)
        gst_structure_get (s, "packets-sent", G_TYPE_UINT64,
            &w->final_packets, "bytes-sent", G_TYPE_UINT64, &w->final_bytes,
            NULL);
      break;
    case GST_MESSAGE_EOS:
      g_timeout_add (300, stop_soon, w);
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &error, &debug);
      g_printerr ("error from %s: %s\n%s\n", GST_OBJECT_NAME (msg->src),
          error->message, debug ? debug : "");
      g_clear_error (&error);
      g_free (debug);
      w->failed = TRUE;
      g_main_loop_quit (w->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  gint buffers = 150, interval_ms = 500, port = 5006;
  gchar *group = NULL;
  GOptionEntry entries[] = {
    {"buffers", 'n', 0, G_OPTION_ARG_INT, &buffers,
        "Buffers (datagrams) to send, 50 a second (150)", "N"},
    {"interval-ms", 'i', 0, G_OPTION_ARG_INT, &interval_ms,
          "metrics-interval in milliseconds, 0: only the final message (500)",
        "N"},
    {"group", 'g', 0, G_OPTION_ARG_STRING, &group,
        "IPv4 multicast group, sent out of lo (239.255.12.44)", "ADDR"},
    {"port", 'p', 0, G_OPTION_ARG_INT, &port, "UDP port (5006)", "N"},
    G_OPTION_ENTRY_NULL
  };
  GOptionContext *options = g_option_context_new ("- watch mctxsink's "
      "metrics messages");
  GError *error = NULL;
  Watch w = { 0 };
  GstElement *fakesink;
  GstPad *pad;
  GstBus *bus;
  gchar *text;
  int status;

  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_add_group (options, gst_init_get_option_group ());
  if (!g_option_context_parse (options, &argc, &argv, &error)
      || buffers < 0 || interval_ms < 0 || port < 1 || port > 65535) {
    g_printerr ("%s\n", error ? error->message : "bad value");
    return 2;
  }
  g_option_context_free (options);
  if (group == NULL)
    group = g_strdup ("239.255.12.44");

  g_mutex_init (&w.lock);
  w.loop = g_main_loop_new (NULL, FALSE);

  /* The receiver first, so that it has joined before the first datagram. */
  text = g_strdup_printf ("udpsrc address=%s port=%d multicast-iface=lo ! "
      "fakesink name=rx sync=false", group, port);
  w.receiver = gst_parse_launch (text, &error);
  g_free (text);
  if (w.receiver == NULL)
    goto parse_failed;
  fakesink = gst_bin_get_by_name (GST_BIN (w.receiver), "rx");
  pad = gst_element_get_static_pad (fakesink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_received, &w, NULL);
  gst_object_unref (pad);
  gst_object_unref (fakesink);
  gst_element_set_state (w.receiver, GST_STATE_PLAYING);

  /* 20 ms buffers of 48 kHz stereo L16 (3840 bytes), which rtpL16pay cuts
   * into datagrams of at most 1400 bytes. */
  text = g_strdup_printf ("audiotestsrc num-buffers=%d samplesperbuffer=960 ! "
      "audio/x-raw,rate=48000,channels=2 ! audioconvert ! rtpL16pay ! "
      "mctxsink group=%s port=%d interface=lo metrics-interval=%"
      G_GUINT64_FORMAT, buffers, group, port,
      (guint64) interval_ms * GST_MSECOND);
  w.sender = gst_parse_launch (text, &error);
  g_free (text);
  if (w.sender == NULL)
    goto parse_failed;
  bus = gst_element_get_bus (w.sender);
  gst_bus_add_watch (bus, on_sender_message, &w);
  gst_object_unref (bus);
  gst_element_set_state (w.sender, GST_STATE_PLAYING);

  g_main_loop_run (w.loop);

  gst_element_set_state (w.sender, GST_STATE_NULL);
  gst_element_set_state (w.receiver, GST_STATE_NULL);

  g_mutex_lock (&w.lock);
  g_print ("receiver: %" G_GUINT64_FORMAT " datagrams, %" G_GUINT64_FORMAT
      " bytes\n", w.received_packets, w.received_bytes);
  status = !w.failed && w.have_final
      && w.final_packets == w.received_packets
      && w.final_bytes == w.received_bytes ? 0 : 1;
  g_mutex_unlock (&w.lock);
  g_print ("%s\n", status == 0 ? "the final counts match what arrived"
      : "the final counts do NOT match what arrived");

  gst_object_unref (w.sender);
  gst_object_unref (w.receiver);
  g_main_loop_unref (w.loop);
  g_mutex_clear (&w.lock);
  g_free (group);
  return status;

parse_failed:
  {
    g_printerr ("cannot build the pipeline: %s\n", error->message);
    g_clear_error (&error);
    return 1;
  }
}
