/* appsrc-send: an application feeding mctxsink from appsrc, and the bus
 * handling a sender wants: an error (a bad setting at start, with the text
 * that names it) ends the program; warnings (send errors, counted and rate
 * limited by the element) are shown and the stream goes on; EOS means every
 * buffer was handled, and the element's stats say how.
 *
 *   appsrc-send [GROUP [PORT [INTERFACE [SOURCE]]]]
 *
 * Defaults: 239.255.0.10 5004 lo 127.0.0.1, so nothing leaves the machine.
 * Try a bad one: `appsrc-send 10.1.2.3` or `appsrc-send 239.255.0.10 5004
 * nosuch0`.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>

#include <stdlib.h>
#include <string.h>

#define COUNT 10

#define USAGE \
  "usage: appsrc-send [GROUP [PORT [INTERFACE [SOURCE]]]]\n" \
  "Sends " G_STRINGIFY (COUNT) " datagrams through appsrc ! mctxsink and prints the\n" \
  "element's counters. Defaults: 239.255.0.10 5004 lo 127.0.0.1 (nothing\n" \
  "leaves the machine).\n"

/* Returns 0 at EOS, 1 after an error. */
static int
run_bus (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  int status = -1;

  while (status < 0) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_WARNING | GST_MESSAGE_EOS);
    GError *err = NULL;
    gchar *debug = NULL;

    if (msg == NULL) {
      g_printerr ("appsrc-send: nothing happened for 10 s, giving up\n");
      status = 1;
      break;
    }
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_ERROR:
        gst_message_parse_error (msg, &err, &debug);
        g_printerr ("appsrc-send: error from %s: %s\n",
            GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
        status = 1;
        break;
      case GST_MESSAGE_WARNING:
        gst_message_parse_warning (msg, &err, &debug);
        g_printerr ("appsrc-send: warning from %s: %s\n",
            GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
        break;
      case GST_MESSAGE_EOS:
        status = 0;
        break;
      default:
        break;
    }
    g_clear_error (&err);
    g_free (debug);
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return status;
}

int
main (int argc, char **argv)
{
  const char *group, *itf, *source;
  int port;
  GstElement *pipeline, *src, *sink;
  GstStructure *stats = NULL;
  int status;

  /* gst_init takes its own --gst-* options out of argv; what is left are
   * ours, and none of them starts with '-'. */
  gst_init (&argc, &argv);
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--help") == 0) {
      g_print (USAGE);
      return 0;
    }
    if (argv[i][0] == '-') {
      g_printerr ("appsrc-send: unknown option '%s'\n" USAGE, argv[i]);
      return 2;
    }
  }
  if (argc > 5) {
    g_printerr ("appsrc-send: too many arguments\n" USAGE);
    return 2;
  }
  group = argc > 1 ? argv[1] : "239.255.0.10";
  port = argc > 2 ? atoi (argv[2]) : 5004;
  itf = argc > 3 ? argv[3] : "lo";
  source = argc > 4 ? argv[4] : "127.0.0.1";
  if (port < 1 || port > 65535) {
    g_printerr ("appsrc-send: port must be 1..65535\n");
    return 2;
  }

  pipeline = gst_pipeline_new ("sender");
  src = gst_element_factory_make ("appsrc", NULL);
  sink = gst_element_factory_make ("mctxsink", NULL);
  if (src == NULL || sink == NULL) {
    g_printerr ("appsrc-send: appsrc or mctxsink missing (set "
        "GST_PLUGIN_PATH=build/gst or use `meson devenv`)\n");
    return 1;
  }
  g_object_set (sink, "group", group, "port", port, "interface", itf,
      "source-addr", source, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  gst_element_link (src, sink);

  /* A bad setting fails here; the error message on the bus says which. */
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    status = run_bus (pipeline);
    goto done;
  }

  for (int i = 0; i < COUNT; i++) {
    gchar *text = g_strdup_printf ("appsrc-send datagram %d", i);
    gst_app_src_push_buffer (GST_APP_SRC (src),
        gst_buffer_new_wrapped (text, strlen (text)));
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  status = run_bus (pipeline);

  g_object_get (sink, "send-stats", &stats, NULL);
  if (stats) {
    gchar *text = gst_structure_to_string (stats);
    g_print ("appsrc-send: %d buffers to %s:%d via %s: %s\n", COUNT, group,
        port, itf, text);
    g_free (text);
    gst_structure_free (stats);
  }

done:
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return status;
}
