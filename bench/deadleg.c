/* mctx-bench-deadleg: what a dead leg costs the good one. mctxsink with
 * destinations, block=true: the good leg alone, against the good leg and
 * a leg whose queue refuses everything (pfifo limit 0), alternating rounds
 * in one run; prints the good leg's datagrams/s in each and their ratio
 * (issue 19's target: at least 0.9).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Runs in a private network namespace it creates (root only), with two
 * veth pairs whose far ends have no listener, so the datagrams go no
 * further; the namespace goes with the process. Loads mctxsink by name
 * (GST_PLUGIN_PATH=build/gst). Buffer lists of 64 x 1316 bytes go through
 * "appsrc ! mctxsink" as fast as the sink takes them.
 *
 *   mctx-bench-deadleg [--rounds N] [--secs S]   (6 rounds of 2 x 2 s)
 */
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <sched.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST 64
#define SIZE 1316
#define GOOD "mctx://10.98.1.1@232.98.1.1:5000?interface=bdl0a"
#define DEAD "mctx://10.98.2.1@232.98.2.1:5000?interface=bdl0b"

/* The good leg's (legs[0]) packets-sent of send-stats. */
static guint64
good_leg_sent(GstElement *sink)
{
  GstStructure *stats = NULL;
  guint64 sent = 0;
  g_object_get(sink, "send-stats", &stats, NULL);
  const GValue *legs = gst_structure_get_value(stats, "legs");
  if (legs != NULL && gst_value_array_get_size(legs) > 0)
    gst_structure_get_uint64(
        gst_value_get_structure(gst_value_array_get_value(legs, 0)),
        "packets-sent", &sent);
  gst_structure_free(stats);
  return sent;
}

/* This process's CPU time (user + system), in microseconds. */
static double
cpu_us(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec +
         ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
}

/* Datagrams/s the good leg sent over secs seconds; *cpu_ns: the process's
 * CPU time per datagram of the good leg (what a busy machine leaves
 * alone better than wall time). */
static double
run(const char *destinations, double secs, double *cpu_ns)
{
  gchar *desc = g_strdup_printf(
      "appsrc name=src max-buffers=4 block=true ! mctxsink name=sink "
      "sync=false block=true gso=false destinations=%s",
      destinations);
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch(desc, &error);
  if (pipeline == NULL) {
    fprintf(stderr, "pipeline: %s\n", error->message);
    exit(1);
  }
  g_free(desc);
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    fprintf(stderr, "pipeline did not start (GST_PLUGIN_PATH?)\n");
    exit(1);
  }

  /* One payload, shared read-only by every buffer: the sink's cost only. */
  static guint8 payload[SIZE];
  double cpu0 = cpu_us();
  gint64 start = g_get_monotonic_time();
  gint64 end = start + (gint64) (secs * G_USEC_PER_SEC);
  while (g_get_monotonic_time() < end) {
    GstBufferList *list = gst_buffer_list_new_sized(LIST);
    for (int i = 0; i < LIST; i++)
      gst_buffer_list_add(
          list, gst_buffer_new_wrapped_full(GST_MEMORY_FLAG_READONLY, payload,
                                            SIZE, 0, SIZE, NULL, NULL));
    if (gst_app_src_push_buffer_list(GST_APP_SRC(src), list) != GST_FLOW_OK)
      break;
  }
  gst_app_src_end_of_stream(GST_APP_SRC(src));
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      bus, 10 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  double elapsed = (g_get_monotonic_time() - start) / (double) G_USEC_PER_SEC;
  guint64 sent = good_leg_sent(sink);
  double rate = sent / elapsed;
  *cpu_ns = sent ? (cpu_us() - cpu0) * 1000.0 / sent : 0;
  if (msg == NULL || GST_MESSAGE_TYPE(msg) != GST_MESSAGE_EOS) {
    fprintf(stderr, "no EOS within 10 s (the stream stalled)\n");
    exit(1);
  }
  gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(src);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  return rate;
}

static int
compare_doubles(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
  int rounds = 6;
  double secs = 2.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--rounds") == 0)
      rounds = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--secs") == 0)
      secs = atof(argv[i + 1]);
  }
  if (unshare(CLONE_NEWNET) != 0) {
    perror("unshare (root needed)");
    return 77;
  }
  if (system("ip link set lo up && "
             "ip link add bdl0a type veth peer name bdl1a && "
             "ip link add bdl0b type veth peer name bdl1b && "
             "ip link set bdl0a up && ip link set bdl1a up && "
             "ip link set bdl0b up && ip link set bdl1b up && "
             "ip addr add 10.98.1.1/24 dev bdl0a && "
             "ip addr add 10.98.2.1/24 dev bdl0b && "
             "tc qdisc replace dev bdl0b root pfifo limit 0") != 0)
    return 1;
  gst_init(&argc, &argv);

  double cpu_single, cpu_dead, cpu_sum_single = 0, cpu_sum_dead = 0;
  run(GOOD, 1.0, &cpu_single); /* warm-up: caches, the plugin's load */
  double sum_single = 0, sum_dead = 0;
  double *ratios = g_new(double, rounds);
  for (int r = 0; r < rounds; r++) {
    double single = run(GOOD, secs, &cpu_single);
    double dead = run(GOOD "," DEAD, secs, &cpu_dead);
    cpu_sum_single += cpu_single;
    cpu_sum_dead += cpu_dead;
    sum_single += single;
    sum_dead += dead;
    ratios[r] = dead / single;
    printf("round=%d single_leg_dps=%.0f with_dead_leg_dps=%.0f ratio=%.3f "
           "cpu_ns_per_datagram=%.0f/%.0f\n",
           r, single, dead, dead / single, cpu_single, cpu_dead);
  }
  /* A shared machine's slow moments hit single rounds: the median of the
   * rounds' ratios decides, as in run.sh. */
  qsort(ratios, (size_t) rounds, sizeof *ratios, compare_doubles);
  double median = rounds % 2
                      ? ratios[rounds / 2]
                      : (ratios[rounds / 2 - 1] + ratios[rounds / 2]) / 2;
  printf("mean single_leg_dps=%.0f with_dead_leg_dps=%.0f ratio=%.3f; "
         "median round ratio=%.3f (target >= 0.9)\n",
         sum_single / rounds, sum_dead / rounds, sum_dead / sum_single, median);
  printf("cpu_ns_per_datagram single_leg=%.0f with_dead_leg=%.0f "
         "ratio=%.3f (the throughput a CPU-bound sender keeps)\n",
         cpu_sum_single / rounds, cpu_sum_dead / rounds,
         cpu_sum_single / cpu_sum_dead);
  g_free(ratios);
  return 0;
}
