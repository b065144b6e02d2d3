/* mctx-demo: streams a test video as RTP/JPEG through mctxsink to a multicast
 * group on the loopback interface, receives it back with udpsrc in the same
 * run, and says what arrived: packets, frames decoded, the source address
 * seen. Needs no root; nothing leaves the machine.
 *
 *   mctx-demo [--frames N] [--group ADDR] [--port N]
 *
 * Exit status: 0 when frames arrived and were decoded, 1 otherwise, 2 for a
 * command line it does not understand.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <gst/gst.h>
#include <gst/net/gstnetaddressmeta.h>

#include <stdlib.h>
#include <string.h>

#define SOURCE "127.0.0.1"
#define INTERFACE "lo"
#define RTP_JPEG_CAPS "application/x-rtp,media=video,clock-rate=90000," \
  "encoding-name=JPEG,payload=26"

typedef struct
{
  GMainLoop *loop;
  GstElement *sender;
  GstElement *receiver;
  GstElement *sink;             /* mctxsink */

  /* Updated by the receiver's streaming threads. */
  GMutex lock;
  guint64 packets;
  guint64 bytes;
  guint64 frames;
  gchar *seen_from;

  guint64 packets_at_last_check;
  guint idle_checks;
  guint checks;
  gboolean failed;
} Demo;

static GstPadProbeReturn
on_packet (G_GNUC_UNUSED GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  Demo *demo = data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstNetAddressMeta *meta = gst_buffer_get_net_address_meta (buffer);

  g_mutex_lock (&demo->lock);
  demo->packets++;
  demo->bytes += gst_buffer_get_size (buffer);
  if (meta && demo->seen_from == NULL) {
    GInetSocketAddress *sa = G_INET_SOCKET_ADDRESS (meta->addr);
    gchar *ip = g_inet_address_to_string (g_inet_socket_address_get_address
        (sa));
    demo->seen_from = g_strdup_printf ("%s:%u", ip,
        g_inet_socket_address_get_port (sa));
    g_free (ip);
  }
  g_mutex_unlock (&demo->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_frame (G_GNUC_UNUSED GstPad * pad, G_GNUC_UNUSED GstPadProbeInfo * info,
    gpointer data)
{
  Demo *demo = data;

  g_mutex_lock (&demo->lock);
  demo->frames++;
  g_mutex_unlock (&demo->lock);
  return GST_PAD_PROBE_OK;
}

static void
add_probe (GstElement * pipeline, const char *element, const char *pad_name,
    GstPadProbeCallback callback, Demo * demo)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), element);
  GstPad *pad = gst_element_get_static_pad (e, pad_name);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, callback, demo, NULL);
  gst_object_unref (pad);
  gst_object_unref (e);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* After the sender's EOS: wait until nothing more arrives (bounded). */
static gboolean
check_receiver_done (gpointer data)
{
  Demo *demo = data;
  guint64 packets;

  g_mutex_lock (&demo->lock);
  packets = demo->packets;
  g_mutex_unlock (&demo->lock);

  demo->idle_checks = packets == demo->packets_at_last_check ?
      demo->idle_checks + 1 : 0;
  demo->packets_at_last_check = packets;
  if (demo->idle_checks >= 5 || ++demo->checks >= 50) {
    g_main_loop_quit (demo->loop);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_message (G_GNUC_UNUSED GstBus * bus, GstMessage * msg, gpointer data)
{
  Demo *demo = data;
  GError *err = NULL;
  gchar *debug = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, &debug);
      g_printerr ("mctx-demo: error from %s: %s\n",
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
      if (debug)
        g_printerr ("mctx-demo:   (%s)\n", debug);
      demo->failed = TRUE;
      g_main_loop_quit (demo->loop);
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &err, &debug);
      g_printerr ("mctx-demo: warning from %s: %s\n",
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
      break;
    case GST_MESSAGE_EOS:
      /* Only the sender ends; the receiver is live and never does. */
      g_timeout_add (100, check_receiver_done, demo);
      break;
    default:
      break;
  }
  g_clear_error (&err);
  g_free (debug);
  return TRUE;
}

static gboolean
parse_args (int argc, char **argv, gint * frames, gchar ** group, gint * port)
{
  GOptionEntry entries[] = {
    {"frames", 'n', 0, G_OPTION_ARG_INT, frames, "Video frames to send "
          "(default 100)", "N"},
    {"group", 'g', 0, G_OPTION_ARG_STRING, group, "Multicast group "
          "(default 239.255.77.2; traffic stays on " INTERFACE ")", "ADDR"},
    {"port", 'p', 0, G_OPTION_ARG_INT, port, "UDP port (default 5978)", "N"},
    {NULL, 0, 0, 0, NULL, NULL, NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- mctxsink to udpsrc on "
      "loopback, in one run");
  GError *err = NULL;
  gboolean ok;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  ok = g_option_context_parse (ctx, &argc, &argv, &err);
  if (!ok)
    g_printerr ("mctx-demo: %s\n", err->message);
  else if (*frames <= 0 || *port <= 0 || *port > 65535) {
    g_printerr ("mctx-demo: --frames must be > 0 and --port 1..65535\n");
    ok = FALSE;
  }
  g_clear_error (&err);
  g_option_context_free (ctx);
  return ok;
}

static guint64
stat_of (GstElement * sink, const char *field)
{
  GstStructure *stats = NULL;
  guint64 v = 0;

  g_object_get (sink, "send-stats", &stats, NULL);
  if (stats) {
    gst_structure_get_uint64 (stats, field, &v);
    gst_structure_free (stats);
  }
  return v;
}

int
main (int argc, char **argv)
{
  Demo demo = { 0 };
  gint frames = 100, port = 5978;
  gchar *group = NULL, *launch;
  GError *err = NULL;
  GstElementFactory *factory;
  GstBus *bus;
  guint rx_watch, tx_watch;
  int status;

  if (!parse_args (argc, argv, &frames, &group, &port))
    return 2;
  if (group == NULL)
    group = g_strdup ("239.255.77.2");

  factory = gst_element_factory_find ("mctxsink");
  if (factory == NULL) {
    g_printerr ("mctx-demo: the mctxsink element is not found. Run from the "
        "build tree with `meson devenv -C build`, or set "
        "GST_PLUGIN_PATH=build/gst.\n");
    return 1;
  }
  gst_object_unref (factory);

  g_mutex_init (&demo.lock);
  demo.loop = g_main_loop_new (NULL, FALSE);

  launch = g_strdup_printf ("udpsrc name=rx address=%s port=%d "
      "multicast-iface=" INTERFACE " retrieve-sender-address=true "
      "caps=\"" RTP_JPEG_CAPS "\" ! rtpjpegdepay ! jpegdec ! "
      "fakesink name=frames sync=false", group, port);
  demo.receiver = gst_parse_launch (launch, &err);
  g_free (launch);
  if (demo.receiver == NULL)
    goto launch_failed;

  launch = g_strdup_printf ("videotestsrc num-buffers=%d ! "
      "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
      "jpegenc ! "
      "rtpjpegpay ! mctxsink name=tx group=%s port=%d interface=" INTERFACE
      " source-addr=" SOURCE, frames, group, port);
  demo.sender = gst_parse_launch (launch, &err);
  g_free (launch);
  if (demo.sender == NULL)
    goto launch_failed;
  demo.sink = gst_bin_get_by_name (GST_BIN (demo.sender), "tx");

  add_probe (demo.receiver, "rx", "src", on_packet, &demo);
  add_probe (demo.receiver, "frames", "sink", on_frame, &demo);

  bus = gst_element_get_bus (demo.receiver);
  rx_watch = gst_bus_add_watch (bus, on_message, &demo);
  gst_object_unref (bus);
  bus = gst_element_get_bus (demo.sender);
  tx_watch = gst_bus_add_watch (bus, on_message, &demo);
  gst_object_unref (bus);

  g_print ("mctx-demo: sending %d frames of test video as RTP/JPEG through "
      "mctxsink to %s:%d from " SOURCE " via " INTERFACE
      ", receiving with udpsrc\n", frames, group, port);

  /* The receiver joins the group when it starts: before the first packet. */
  if (gst_element_set_state (demo.receiver, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE
      || gst_element_set_state (demo.sender, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    /* The error message on the bus says why. */
    g_timeout_add (200, quit_loop, demo.loop);
    demo.failed = TRUE;
  }
  g_main_loop_run (demo.loop);

  g_print ("mctx-demo: mctxsink sent %" G_GUINT64_FORMAT " packets (%"
      G_GUINT64_FORMAT " bytes), dropped %" G_GUINT64_FORMAT "\n",
      stat_of (demo.sink, "packets-sent"), stat_of (demo.sink, "bytes-sent"),
      stat_of (demo.sink, "packets-dropped"));

  gst_element_set_state (demo.sender, GST_STATE_NULL);
  gst_element_set_state (demo.receiver, GST_STATE_NULL);

  g_print ("mctx-demo: udpsrc received %" G_GUINT64_FORMAT " packets (%"
      G_GUINT64_FORMAT " bytes), decoded %" G_GUINT64_FORMAT " of %d frames, "
      "source address seen: %s\n", demo.packets, demo.bytes, demo.frames,
      frames, demo.seen_from ? demo.seen_from : "none");

  status = (!demo.failed && demo.frames > 0) ? 0 : 1;
  if (status != 0)
    g_printerr ("mctx-demo: no frames arrived\n");

  g_source_remove (rx_watch);
  g_source_remove (tx_watch);
  gst_object_unref (demo.sink);
  gst_object_unref (demo.sender);
  gst_object_unref (demo.receiver);
  g_main_loop_unref (demo.loop);
  g_mutex_clear (&demo.lock);
  g_free (demo.seen_from);
  g_free (group);
  return status;

launch_failed:
  g_printerr ("mctx-demo: %s\n", err->message);
  g_clear_error (&err);
  return 1;
}
