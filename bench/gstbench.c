/* mctx-bench-gst: datagrams per second through udpsink or mctxsink.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 *   --mode single  fakesrc sizetype=fixed sizemax=SIZE filltype=zero ! SINK
 *                  (one new buffer per datagram, as most elements produce)
 *   --mode list    a source of its own that pushes one GstBufferList of
 *                  --list-len reused buffers per iteration ! SINK (what RTP
 *                  payloaders and rtpbin produce). It writes a sequence
 *                  number into each datagram (payload.h) before pushing.
 *   --mode list-alloc  the same source, but every datagram is a new buffer
 *                  in a new list, allocated and written (pattern and
 *                  sequence number) before the push, as payloaders do.
 *
 * --sink fakesink measures what the source and GStreamer cost alone (the
 * composite limit of bench/report.py adds the bare loop's cost to it).
 * --sink sendsink is the cheapest sink that sends: a GstBaseSink of this
 * file whose render maps the buffer, calls send() on a connected socket
 * and unmaps it, nothing else (no counters, no error handling beyond a
 * count): the measured ceiling for one system call per buffer, which the
 * composite limit's sum of two separate costs is not (docs/performance.md).
 * Its render_list maps the list and sends it with one sendmmsg of GSO
 * runs: the same ceiling for lists.
 *
 * The sink keeps GStreamer's defaults except the destination and interface
 * (udpsink host/port/multicast-iface, mctxsink group/port/interface) and any
 * --set PROP=VALUE. Counting never touches the streaming thread: single mode
 * asks fakesrc for its byte position, list mode reads the source's counter.
 *
 * Duration mode: plays, waits --warmup, measures --duration, then sends EOS
 * and waits for it. Count mode (--count N): N datagrams then EOS, no timing
 * (for callgrind). Prints one line of key=value pairs.
 */
#include "payload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gst/base/gstbasesink.h>
#include <gst/base/gstbasesrc.h>
#include <gst/gst.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#  define UDP_SEGMENT 103 /* <linux/udp.h>; older libc headers lack it */
#endif

/* ------------------------------------------------------------------------ */
/* The buffer-list source                                                   */
/* ------------------------------------------------------------------------ */

#define BENCH_TYPE_LIST_SRC (bench_list_src_get_type())
G_DECLARE_FINAL_TYPE(BenchListSrc, bench_list_src, BENCH, LIST_SRC, GstBaseSrc)

struct _BenchListSrc {
  GstBaseSrc parent;
  gsize size;
  guint list_len;
  guint64 max_lists;    /* 0: until asked to stop */
  gboolean allocate;    /* a new list of new buffers per push */
  gint stop;            /* atomic: set by the main thread */
  guint64 lists_pushed; /* written by the streaming thread only */
  guint8 *block;        /* list_len datagrams back to back */
  GstBufferList *list;
};

G_DEFINE_TYPE(BenchListSrc, bench_list_src, GST_TYPE_BASE_SRC)

static gboolean
bench_list_src_start(GstBaseSrc *base)
{
  BenchListSrc *self = BENCH_LIST_SRC(base);
  self->block = g_malloc(self->size * self->list_len);
  self->list = gst_buffer_list_new_sized(self->list_len);
  for (guint i = 0; i < self->list_len; i++) {
    guint8 *datagram = self->block + (gsize) i * self->size;
    bench_fill_pattern(datagram, self->size);
    gst_buffer_list_add(self->list,
                        gst_buffer_new_wrapped_full(0, datagram, self->size, 0,
                                                    self->size, NULL, NULL));
  }
  self->lists_pushed = 0;
  return TRUE;
}

static gboolean
bench_list_src_stop(GstBaseSrc *base)
{
  BenchListSrc *self = BENCH_LIST_SRC(base);
  g_clear_pointer(&self->list, gst_buffer_list_unref);
  g_clear_pointer(&self->block, g_free);
  return TRUE;
}

static GstFlowReturn
bench_list_src_create(GstBaseSrc *base, guint64 offset, guint length,
                      GstBuffer **buf)
{
  BenchListSrc *self = BENCH_LIST_SRC(base);
  (void) offset;
  (void) length;
  if (g_atomic_int_get(&self->stop) ||
      (self->max_lists && self->lists_pushed >= self->max_lists))
    return GST_FLOW_EOS;
  /* The previous push has returned, so the sink is done with these bytes
   * (a sync sink without a queue renders inside the push). */
  guint64 seq = self->lists_pushed * self->list_len;
  if (self->allocate) {
    GstBufferList *list = gst_buffer_list_new_sized(self->list_len);
    for (guint i = 0; i < self->list_len; i++) {
      GstBuffer *b = gst_buffer_new_allocate(NULL, self->size, NULL);
      GstMapInfo map;
      if (!b || !gst_buffer_map(b, &map, GST_MAP_WRITE)) {
        gst_buffer_list_unref(list);
        return GST_FLOW_ERROR;
      }
      memcpy(map.data, self->block, self->size);
      bench_put_seq(map.data, seq + i);
      gst_buffer_unmap(b, &map);
      gst_buffer_list_add(list, b);
    }
    gst_base_src_submit_buffer_list(base, list);
  } else {
    for (guint i = 0; i < self->list_len; i++)
      bench_put_seq(self->block + (gsize) i * self->size, seq + i);
    gst_base_src_submit_buffer_list(base, gst_buffer_list_ref(self->list));
  }
  __atomic_store_n(&self->lists_pushed, self->lists_pushed + 1,
                   __ATOMIC_RELAXED);
  *buf = NULL;
  return GST_FLOW_OK;
}

static void
bench_list_src_class_init(BenchListSrcClass *klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseSrcClass *base_class = GST_BASE_SRC_CLASS(klass);
  static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
      "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "Benchmark list source",
                                        "Source", "Pushes reused buffer lists",
                                        "mctx");
  base_class->start = bench_list_src_start;
  base_class->stop = bench_list_src_stop;
  base_class->create = bench_list_src_create;
}

static void
bench_list_src_init(BenchListSrc *self)
{
  self->list_len = 64;
  self->size = 1316;
}

static guint64
bench_list_src_datagrams(BenchListSrc *self)
{
  return __atomic_load_n(&self->lists_pushed, __ATOMIC_RELAXED) *
         self->list_len;
}

/* ------------------------------------------------------------------------ */
/* The minimal sending sink                                                 */
/* ------------------------------------------------------------------------ */

#define BENCH_TYPE_SEND_SINK (bench_send_sink_get_type())
G_DECLARE_FINAL_TYPE(BenchSendSink, bench_send_sink, BENCH, SEND_SINK,
                     GstBaseSink)

#define BENCH_SEND_LIST_MAX 256
#define BENCH_GSO_MAX_BYTES 65507

typedef union {
  char buf[CMSG_SPACE(sizeof(uint16_t))];
  struct cmsghdr align;
} bench_gso_control;

struct _BenchSendSink {
  GstBaseSink parent;
  const char *group; /* set before the pipeline starts */
  const char *iface;
  int port;
  int fd;
  guint64 failed; /* sends that did not take the whole buffer */
  /* render_list's room: mapped buffers, their iovecs, one message per run */
  GstMapInfo maps[BENCH_SEND_LIST_MAX];
  struct iovec iov[BENCH_SEND_LIST_MAX];
  struct mmsghdr msgs[BENCH_SEND_LIST_MAX];
  bench_gso_control controls[BENCH_SEND_LIST_MAX];
};

G_DEFINE_TYPE(BenchSendSink, bench_send_sink, GST_TYPE_BASE_SINK)

/* A UDP socket connected to the group, its multicast interface set: what
 * every multicast sender does before its first datagram. */
static gboolean
bench_send_sink_start(GstBaseSink *base)
{
  BenchSendSink *self = BENCH_SEND_SINK(base);
  unsigned index = if_nametoindex(self->iface);
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  int family, ok;
  struct sockaddr_in *v4 = (struct sockaddr_in *) &ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *) &ss;
  if (inet_pton(AF_INET, self->group, &v4->sin_addr) == 1) {
    family = v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t) self->port);
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, self->group, &v6->sin6_addr) == 1) {
    family = v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t) self->port);
    len = sizeof *v6;
  } else {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, (NULL),
                      ("bad group %s", self->group));
    return FALSE;
  }
  self->fd = socket(family, SOCK_DGRAM, 0);
  if (family == AF_INET) {
    struct ip_mreqn m = {.imr_ifindex = (int) index};
    ok = setsockopt(self->fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m);
  } else {
    ok = setsockopt(self->fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index,
                    sizeof index);
  }
  if (self->fd < 0 || index == 0 || ok != 0 ||
      connect(self->fd, (struct sockaddr *) &ss, len) != 0) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, (NULL),
                      ("socket to %s via %s: %s", self->group, self->iface,
                       g_strerror(errno)));
    return FALSE;
  }
  return TRUE;
}

static gboolean
bench_send_sink_stop(GstBaseSink *base)
{
  BenchSendSink *self = BENCH_SEND_SINK(base);
  if (self->fd >= 0)
    close(self->fd);
  self->fd = -1;
  return TRUE;
}

static GstFlowReturn
bench_send_sink_render(GstBaseSink *base, GstBuffer *buffer)
{
  BenchSendSink *self = (BenchSendSink *) base;
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ))
    return GST_FLOW_ERROR;
  if (send(self->fd, map.data, map.size, 0) != (ssize_t) map.size)
    self->failed++;
  gst_buffer_unmap(buffer, &map);
  return GST_FLOW_OK;
}

/* A list as the cheapest GSO sender would send it: every buffer mapped,
 * runs of at most 65507 bytes (IPv4's bound, which IPv6 also meets) each
 * one message with its UDP_SEGMENT, all in one sendmmsg, then unmapped.
 * It assumes the bench's lists: buffers of one size and one memory each,
 * at most BENCH_SEND_LIST_MAX. */
static GstFlowReturn
bench_send_sink_render_list(GstBaseSink *base, GstBufferList *list)
{
  BenchSendSink *self = (BenchSendSink *) base;
  GstMapInfo *maps = self->maps;
  struct iovec *iov = self->iov;
  struct mmsghdr *msgs = self->msgs;
  bench_gso_control *controls = self->controls;
  guint n = gst_buffer_list_length(list);
  if (n == 0 || n > BENCH_SEND_LIST_MAX)
    return GST_FLOW_ERROR;
  for (guint i = 0; i < n; i++) {
    if (!gst_buffer_map(gst_buffer_list_get(list, i), &maps[i], GST_MAP_READ)) {
      while (i-- > 0)
        gst_buffer_unmap(gst_buffer_list_get(list, i), &maps[i]);
      return GST_FLOW_ERROR;
    }
    iov[i] = (struct iovec){maps[i].data, maps[i].size};
  }
  size_t size = maps[0].size;
  guint per_run = size ? BENCH_GSO_MAX_BYTES / size : 1;
  if (per_run > 64)
    per_run = 64;
  guint m = 0;
  for (guint at = 0; at < n; at += per_run, m++) {
    guint count = n - at < per_run ? n - at : per_run;
    struct msghdr *h = &msgs[m].msg_hdr;
    *h = (struct msghdr){.msg_iov = &iov[at], .msg_iovlen = count};
    if (count > 1) {
      struct cmsghdr *c = &controls[m].align;
      c->cmsg_level = IPPROTO_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t segment = (uint16_t) size;
      memcpy(CMSG_DATA(c), &segment, sizeof segment);
      h->msg_control = controls[m].buf;
      h->msg_controllen = sizeof controls[m].buf;
    }
  }
  if (sendmmsg(self->fd, msgs, m, 0) != (int) m)
    self->failed++;
  for (guint i = 0; i < n; i++)
    gst_buffer_unmap(gst_buffer_list_get(list, i), &maps[i]);
  return GST_FLOW_OK;
}

static void
bench_send_sink_class_init(BenchSendSinkClass *klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseSinkClass *base_class = GST_BASE_SINK_CLASS(klass);
  static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
      "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(
      element_class, "Benchmark sending sink", "Sink/Network",
      "One send() per buffer, nothing else", "mctx");
  base_class->start = bench_send_sink_start;
  base_class->stop = bench_send_sink_stop;
  base_class->render = bench_send_sink_render;
  base_class->render_list = bench_send_sink_render_list;
}

static void
bench_send_sink_init(BenchSendSink *self)
{
  self->fd = -1;
}

/* ------------------------------------------------------------------------ */
/* Options                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct options {
  const char *sink;
  const char *mode;
  const char *group;
  const char *iface;
  int port;
  int size;
  int list_len;
  double duration;
  double warmup;
  gint64 count;
  gchar **sets;
} options;

static void
parse_options(int *argc, char ***argv, options *o)
{
  *o = (options){
      .port = 0, .size = 1316, .list_len = 64, .duration = 1.0, .warmup = 0.2};
  const GOptionEntry entries[] = {
      {"sink", 0, 0, G_OPTION_ARG_STRING, &o->sink,
       "udpsink, mctxsink, fakesink or sendsink", "NAME"},
      {"mode", 0, 0, G_OPTION_ARG_STRING, &o->mode,
       "single, list or list-alloc", "MODE"},
      {"group", 0, 0, G_OPTION_ARG_STRING, &o->group, "multicast group",
       "ADDR"},
      {"port", 0, 0, G_OPTION_ARG_INT, &o->port, "destination port", "N"},
      {"iface", 0, 0, G_OPTION_ARG_STRING, &o->iface, "outgoing interface name",
       "NAME"},
      {"size", 0, 0, G_OPTION_ARG_INT, &o->size, "datagram size (1316)",
       "BYTES"},
      {"list-len", 0, 0, G_OPTION_ARG_INT, &o->list_len,
       "buffers per list (64)", "N"},
      {"duration", 0, 0, G_OPTION_ARG_DOUBLE, &o->duration,
       "measured seconds (1)", "S"},
      {"warmup", 0, 0, G_OPTION_ARG_DOUBLE, &o->warmup,
       "seconds before measuring (0.2)", "S"},
      {"count", 0, 0, G_OPTION_ARG_INT64, &o->count,
       "send N datagrams, no timing", "N"},
      {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->sets, "extra sink property",
       "PROP=VALUE"},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  GOptionContext *ctx = g_option_context_new("- multicast sink throughput");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_add_group(ctx, gst_init_get_option_group());
  GError *error = NULL;
  if (!g_option_context_parse(ctx, argc, argv, &error)) {
    g_printerr("%s\n", error->message);
    exit(2);
  }
  g_option_context_free(ctx);
  if (!o->sink ||
      (strcmp(o->sink, "udpsink") != 0 && strcmp(o->sink, "mctxsink") != 0 &&
       strcmp(o->sink, "fakesink") != 0 && strcmp(o->sink, "sendsink") != 0)) {
    g_printerr("--sink must be udpsink, mctxsink, fakesink or sendsink\n");
    exit(2);
  }
  if (!o->mode ||
      (strcmp(o->mode, "single") != 0 && strcmp(o->mode, "list") != 0 &&
       strcmp(o->mode, "list-alloc") != 0)) {
    g_printerr("--mode must be single, list or list-alloc\n");
    exit(2);
  }
  if (!o->group || !o->iface || o->port < 1 || o->port > 65535) {
    g_printerr("--group, --iface and --port (1..65535) are required\n");
    exit(2);
  }
  if (o->size < BENCH_MIN_SIZE || o->size > BENCH_MAX_SIZE) {
    g_printerr("size %d is outside %d..%d\n", o->size, BENCH_MIN_SIZE,
               BENCH_MAX_SIZE);
    exit(2);
  }
  if (o->list_len < 1 || o->list_len > 1024) {
    g_printerr("list-len %d is outside 1..1024\n", o->list_len);
    exit(2);
  }
  if (o->duration <= 0 || o->duration > 600 || o->warmup < 0 ||
      o->warmup > 60) {
    g_printerr("duration must be in (0, 600] s, warmup in [0, 60] s\n");
    exit(2);
  }
  if (o->count < 0 ||
      (o->count && strcmp(o->mode, "single") != 0 && o->count % o->list_len)) {
    g_printerr(
        "count must be >= 0 and, in list mode, a multiple of list-len\n");
    exit(2);
  }
}

/* ------------------------------------------------------------------------ */
/* Pipeline                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct bench {
  const options *o;
  GstElement *pipeline;
  GstElement *src;
  GstElement *sink;
  gboolean list_mode;
} bench;

static GstElement *
make_sink(const options *o)
{
  if (strcmp(o->sink, "sendsink") == 0) {
    if (o->sets) {
      g_printerr("--set: sendsink has no properties\n");
      exit(2);
    }
    BenchSendSink *send_sink =
        g_object_new(BENCH_TYPE_SEND_SINK, "name", "sink", NULL);
    send_sink->group = o->group;
    send_sink->iface = o->iface;
    send_sink->port = o->port;
    return GST_ELEMENT(send_sink);
  }
  GstElement *sink = gst_element_factory_make(o->sink, "sink");
  if (!sink) {
    g_printerr(
        "element %s not found (is GST_PLUGIN_PATH set to the build's gst/?)\n",
        o->sink);
    exit(3);
  }
  if (strcmp(o->sink, "fakesink") == 0)
    g_object_set(sink, "silent", TRUE, NULL);
  else if (strcmp(o->sink, "udpsink") == 0)
    g_object_set(sink, "host", o->group, "port", o->port, "multicast-iface",
                 o->iface, NULL);
  else
    g_object_set(sink, "group", o->group, "port", o->port, "interface",
                 o->iface, NULL);
  for (gchar **s = o->sets; s && *s; s++) {
    gchar **kv = g_strsplit(*s, "=", 2);
    if (!kv[0] || !kv[1] ||
        !g_object_class_find_property(G_OBJECT_GET_CLASS(sink), kv[0])) {
      g_printerr("--set '%s': %s has no such property\n", *s, o->sink);
      exit(2);
    }
    gst_util_set_object_arg(G_OBJECT(sink), kv[0], kv[1]);
    g_strfreev(kv);
  }
  return sink;
}

static void
build(bench *b)
{
  const options *o = b->o;
  b->list_mode = strcmp(o->mode, "single") != 0;
  b->pipeline = gst_pipeline_new("bench");
  if (b->list_mode) {
    BenchListSrc *src = g_object_new(BENCH_TYPE_LIST_SRC, "name", "src", NULL);
    src->size = (gsize) o->size;
    src->list_len = (guint) o->list_len;
    src->max_lists = (guint64) (o->count / o->list_len);
    src->allocate = strcmp(o->mode, "list-alloc") == 0;
    b->src = GST_ELEMENT(src);
  } else {
    b->src = gst_element_factory_make("fakesrc", "src");
    if (!b->src) {
      g_printerr("element fakesrc not found\n");
      exit(3);
    }
    gst_util_set_object_arg(G_OBJECT(b->src), "sizetype", "fixed");
    gst_util_set_object_arg(G_OBJECT(b->src), "filltype", "zero");
    g_object_set(b->src, "sizemax", o->size, "num-buffers",
                 o->count ? (gint) o->count : -1, NULL);
  }
  b->sink = make_sink(o);
  gst_bin_add_many(GST_BIN(b->pipeline), b->src, b->sink, NULL);
  if (!gst_element_link(b->src, b->sink)) {
    g_printerr("could not link the source to %s\n", o->sink);
    exit(1);
  }
}

/* Datagrams handed to the sink so far. */
static guint64
pushed(const bench *b)
{
  if (b->list_mode)
    return bench_list_src_datagrams(BENCH_LIST_SRC(b->src));
  gint64 bytes = 0;
  if (!gst_element_query_position(b->src, GST_FORMAT_BYTES, &bytes) ||
      bytes < 0)
    return 0;
  return (guint64) bytes / (guint64) b->o->size;
}

/* Waits up to timeout for EOS (TRUE) or an error (exits). Warnings are
 * printed and waited through. */
static gboolean
wait_bus(bench *b, GstClockTime timeout, gboolean want_eos)
{
  GstBus *bus = gst_element_get_bus(b->pipeline);
  gint64 deadline = g_get_monotonic_time() + (gint64) (timeout / GST_USECOND);
  gboolean eos = FALSE;
  for (;;) {
    gint64 left = deadline - g_get_monotonic_time();
    if (left <= 0)
      break;
    GstMessage *msg = gst_bus_timed_pop_filtered(
        bus, (GstClockTime) left * GST_USECOND,
        GST_MESSAGE_ERROR | GST_MESSAGE_WARNING | GST_MESSAGE_EOS);
    if (!msg)
      break;
    GError *error = NULL;
    gchar *debug = NULL;
    switch (GST_MESSAGE_TYPE(msg)) {
      case GST_MESSAGE_EOS:
        eos = TRUE;
        break;
      case GST_MESSAGE_ERROR:
        gst_message_parse_error(msg, &error, &debug);
        g_printerr("error from %s: %s (%s)\n",
                   GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), error->message,
                   debug ? debug : "");
        exit(1);
      default:
        gst_message_parse_warning(msg, &error, &debug);
        g_printerr("warning from %s: %s\n",
                   GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), error->message);
        g_clear_error(&error);
        g_free(debug);
        break;
    }
    gst_message_unref(msg);
    if (eos && want_eos)
      break;
  }
  gst_object_unref(bus);
  return eos;
}

/* mctxsink's own counters, when it has them: "sink_sent=N sink_dropped=M";
 * sendsink's failed sends as sink_errors. */
static void
print_sink_stats(const bench *b)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE(b->sink, BENCH_TYPE_SEND_SINK)) {
    printf(" sink_errors=%" G_GUINT64_FORMAT, BENCH_SEND_SINK(b->sink)->failed);
    return;
  }
  GParamSpec *pspec =
      g_object_class_find_property(G_OBJECT_GET_CLASS(b->sink), "send-stats");
  if (!pspec || pspec->value_type != GST_TYPE_STRUCTURE)
    return;
  GstStructure *stats = NULL;
  g_object_get(b->sink, "send-stats", &stats, NULL);
  if (!stats)
    return;
  guint64 v;
  if (gst_structure_get_uint64(stats, "packets-sent", &v))
    printf(" sink_sent=%" G_GUINT64_FORMAT, v);
  if (gst_structure_get_uint64(stats, "packets-dropped", &v))
    printf(" sink_dropped=%" G_GUINT64_FORMAT, v);
  if (gst_structure_get_uint64(stats, "send-errors", &v))
    printf(" sink_errors=%" G_GUINT64_FORMAT, v);
  gst_structure_free(stats);
}

int
main(int argc, char **argv)
{
  options o;
  parse_options(&argc, &argv, &o);
  gst_init(&argc, &argv);

  bench b = {.o = &o};
  build(&b);

  if (gst_element_set_state(b.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    wait_bus(&b, 100 * GST_MSECOND, FALSE); /* prints the element's error */
    g_printerr("the pipeline did not start\n");
    return 1;
  }

  double window_secs = 0;
  guint64 window_count = 0;
  if (o.count) {
    if (!wait_bus(&b, 600 * GST_SECOND, TRUE)) {
      g_printerr("no EOS within 600 s\n");
      return 1;
    }
  } else {
    if (gst_element_get_state(b.pipeline, NULL, NULL, 10 * GST_SECOND) !=
        GST_STATE_CHANGE_SUCCESS) {
      wait_bus(&b, 100 * GST_MSECOND, FALSE);
      g_printerr("the pipeline did not reach PLAYING within 10 s\n");
      return 1;
    }
    if (wait_bus(&b, (GstClockTime) (o.warmup * GST_SECOND), TRUE)) {
      g_printerr("EOS before the measurement started\n");
      return 1;
    }
    guint64 c0 = pushed(&b);
    double t0 = bench_now();
    if (wait_bus(&b, (GstClockTime) (o.duration * GST_SECOND), TRUE)) {
      g_printerr("EOS during the measurement\n");
      return 1;
    }
    guint64 c1 = pushed(&b);
    double t1 = bench_now();
    window_count = c1 - c0;
    window_secs = t1 - t0;
    if (b.list_mode)
      g_atomic_int_set(&BENCH_LIST_SRC(b.src)->stop, 1);
    else
      gst_element_send_event(b.src, gst_event_new_eos());
    if (!wait_bus(&b, 10 * GST_SECOND, TRUE)) {
      g_printerr("no EOS within 10 s of asking for it\n");
      return 1;
    }
  }

  printf("sent=%" G_GUINT64_FORMAT " window_count=%" G_GUINT64_FORMAT
         " window_secs=%.6f rate=%.0f",
         pushed(&b), window_count, window_secs,
         window_secs > 0 ? (double) window_count / window_secs : 0.0);
  print_sink_stats(&b);
  printf("\n");

  gst_element_set_state(b.pipeline, GST_STATE_NULL);
  gst_object_unref(b.pipeline);
  g_strfreev(o.sets);
  return 0;
}
