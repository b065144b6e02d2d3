/* mctxsink: one multicast UDP datagram per buffer, through libmctx.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */

/**
 * SECTION:element-mctxsink
 * @title: mctxsink
 * @see_also: udpsink, multiudpsink, udpsrc
 *
 * mctxsink sends every buffer it receives as one UDP datagram to an IPv4 or
 * IPv6 multicast group, from exactly the source and through exactly the
 * interface it is told. A #GstBufferList goes out in as few system calls as
 * the kernel allows: runs of datagrams of one size as UDP GSO sends (one
 * sendmsg each, see `gso`), the rest together through sendmmsg. A buffer
 * made of several memories is sent without copying it.
 * All socket work is done by libmctx: the element validates and resolves its
 * settings through it, opens one connected, non-blocking socket when it
 * starts, and closes it when it stops.
 *
 * ## How it differs from udpsink
 *
 * - **A real outgoing interface.** `interface` (a name such as `eth0`, a local
 *   address or an interface index) sets IP_MULTICAST_IF / IPV6_MULTICAST_IF on
 *   the sending socket. udpsink's `multicast-iface` only names the interface
 *   used to join a group, and the datagrams follow the routing table.
 * - **Errors instead of silence.** A bad setting (a group that is not a
 *   multicast address, an interface that does not exist, a source that is not
 *   an address of this host, a caller socket bound elsewhere…) makes the
 *   element fail to start with an error that names the property and the value.
 *   Nothing falls back to a default. While streaming, send errors are counted
 *   and reported as warnings (at most one a second per kind of error, saying
 *   how many happened). The socket has IP_RECVERR / IPV6_RECVERR set, so
 *   datagrams that the local queue (a qdisc) drops come back as ENOBUFS
 *   instead of vanishing.
 * - **No join on the sending side.** udpsink joins the group it sends to
 *   (`auto-multicast`); mctxsink never does: a sender has no business being a
 *   member.
 * - **Source and interface are kept apart.** `source-addr` is the exact source
 *   address of the datagrams (the S of a source-specific (S,G) channel);
 *   `interface` is the link they leave by. Either may be set without the
 *   other; for IPv6 libmctx checks that they agree.
 *
 * ## Examples
 *
 * IPv4, a test video as RTP/JPEG to a group on the loopback interface (never
 * leaves the machine):
 * |[
 * gst-launch-1.0 videotestsrc ! jpegenc ! rtpjpegpay ! \
 *     mctxsink group=239.255.12.42 port=5004 interface=lo
 * ]|
 * and to receive it:
 * |[
 * gst-launch-1.0 udpsrc address=239.255.12.42 port=5004 multicast-iface=lo \
 *     caps="application/x-rtp,media=video,encoding-name=JPEG,clock-rate=90000,payload=26" ! \
 *     rtpjpegdepay ! jpegdec ! autovideosink
 * ]|
 *
 * IPv6 source-specific multicast: the receivers join (fd00::1, ff3e::8000:1234),
 * so the datagrams must come from exactly fd00::1, out of eth0:
 * |[
 * gst-launch-1.0 audiotestsrc ! audioconvert ! rtpL16pay ! \
 *     mctxsink group=ff3e::8000:1234 port=5004 source-addr=fd00::1 interface=eth0
 * ]|
 *
 * IPv6 link-local scope (ff32::/16 needs an interface, and a link-local
 * source; the scope of `source-addr` names the interface too):
 * |[
 * gst-launch-1.0 videotestsrc ! jpegenc ! rtpjpegpay ! \
 *     mctxsink group=ff32::8000:1 port=5004 source-addr=fe80::1%eth0
 * ]|
 *
 * The same settings as a URI (`gst-launch-1.0 ... ! mctxsink` can be replaced
 * by any element that accepts `mctx://` URIs, or used with
 * gst_element_make_from_uri()):
 * |[
 * mctx://[fd00::1]@[ff3e::8000:1234]:5004?interface=eth0&ttl=8
 * ]|
 * `mctx://[source@]group:port?property=value&...`: IPv6 addresses in
 * brackets, a zone written `%25` (`[fe80::1%25eth0]`). The query takes
 * source-port, interface, ttl, loop, qos-dscp, buffer-size, block, gso,
 * gather and gather-latency, and nothing else (any other key, raw, the
 * metrics properties and basesink's included, is refused with a
 * #GST_URI_ERROR that names it). Setting a URI resets source-addr and all
 * of these to their defaults first, so that the URI says the whole
 * configuration; get_uri writes every one that is not at its default, so a
 * URI read back sets the same.
 *
 * ## Raw mode
 *
 * With `raw=true` every buffer is one complete IPv4 or IPv6 datagram (IP
 * header, transport header, payload) to a multicast group, and it leaves as
 * given, its source address included, also when that source is not an
 * address of this host. This is what an AMT gateway (RFC 7450) needs to put
 * tunnelled (S,G) traffic on its LAN so that SSM receivers accept it. It
 * needs CAP_NET_RAW (root, or `setcap cap_net_raw+ep`); without it the
 * element fails to start with a #GST_RESOURCE_ERROR_NOT_AUTHORIZED error
 * saying "raw mode needs CAP_NET_RAW".
 *
 * `interface` (name, address or index) and/or `source-addr` (a local
 * address, never written into the datagrams: it only selects the egress)
 * choose the link; one of them is required. `group` and `port` are not used;
 * `source-port`, `qos-dscp`, `buffer-size` and `socket` do not apply and are
 * refused at start when set. `ttl` overrides each datagram's TTL / hop limit
 * (the IPv4 header checksum is recomputed) unless it is -1, so set ttl=-1 to
 * keep them as given: the default, 1, applies here too. `loop` applies
 * (except to IPv6 datagrams with a foreign source, which are injected on the
 * link and never loop back). ttl and loop are taken at start in raw mode.
 *
 * The family of the datagrams is that of `source-addr` or of an interface
 * given as an address; with an interface given by name or index the element
 * opens an IPv4 and an IPv6 raw publication at start (so a missing privilege
 * shows there) and sends each datagram by its IP version (an interface
 * without an IPv4 address, or without IPv6, gets only the other one, with a
 * warning). IPv4 datagrams go out through an IP_HDRINCL socket; IPv6 ones
 * with a local source through a raw IPv6 socket (the kernel writes the base
 * header, the flow label is lost), with a foreign source byte for byte over
 * AF_PACKET (Ethernet links only). See docs/raw.md.
 *
 * A datagram that fails libmctx's checks (not version 4 or 6, lengths that
 * do not match the buffer, a family the element does not send, and above
 * all a destination that is not multicast: nothing else is ever sent) is
 * dropped, counted in packets-dropped and send-errors, and warned about
 * like any send error; the stream goes on. A buffer of several memories is
 * sent from its mappings without a copy; a #GstBufferList is sent datagram
 * by datagram. When a raw
 * socket is full, block=true retries after the same short backoff as for
 * ENOBUFS (raw sockets have no descriptor to wait on); block=false drops.
 * stats counts the raw publications' datagrams.
 *
 * Re-emitting captured multicast datagrams on a LAN (the
 * `examples/gst/raw-replay` program reads a pcap file and pushes each IP
 * datagram into `appsrc ! mctxsink raw=true`):
 * |[
 * raw-replay capture.pcap interface=eth1 ttl=-1
 * ]|
 * and from an application, whose appsrc pushes one datagram per buffer:
 * |[
 * appsrc name=tunnel format=time ! mctxsink raw=true interface=eth1 ttl=-1
 * ]|
 *
 * ## Properties
 *
 * - `group`: the IPv4 or IPv6 multicast group. Required.
 * - `port` (1..65535, default 5004): the destination UDP port.
 * - `source-addr`: the exact local address to send from; it must be an
 *   address of this host. Unset: the kernel chooses.
 * - `source-port` (0..65535, default 0): a fixed source port; 0 lets the
 *   kernel pick one.
 * - `interface`: the outgoing interface, as a name (`eth0`), a local address
 *   or an index. Unset: the routing table decides.
 * - `ttl` (-1..255, default 1): the multicast TTL / hop limit. -1 leaves it
 *   as it is: the kernel's default (1 on Linux) on a socket the element
 *   opens, the caller's own value on a `socket` given to it, each
 *   datagram's own in raw mode.
 * - `loop` (default true): whether local receivers get a copy
 *   (IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP).
 * - `qos-dscp` (-1..63, default -1): the DiffServ code point; -1 leaves it.
 * - `buffer-size` (default 0): SO_SNDBUF in bytes; 0 keeps the system default.
 * - `block` (default true): when the socket cannot take a datagram, wait until
 *   it can (nothing is lost; a slow link slows the pipeline down). false drops
 *   the datagram and counts it in packets-dropped.
 * - `socket`: a #GSocket to send with instead of a new one. It is checked like
 *   libmctx checks any caller socket (family, bound address and port against
 *   the settings). The element uses a duplicate of its descriptor, which it
 *   closes when it stops; the caller keeps (and closes) the #GSocket. Since a
 *   duplicate shares the socket, the caller's socket ends up non-blocking and
 *   connected to the group.
 * - `raw` (default false): every buffer is a complete IPv4 or IPv6 multicast
 *   datagram, sent as given (see "Raw mode" above). Needs CAP_NET_RAW.
 * - `gso` (default true): send a batch's runs of equal-sized datagrams
 *   (buffer lists, gathered buffers) as UDP GSO sends where the kernel has
 *   it: one system call and one trip through the stack per run, split into
 *   the same datagrams further down. Set it to false when the egress has a
 *   shaping qdisc: tbf with a burst smaller than a batch splits a GSO packet
 *   itself and drops the segments that do not fit without telling the
 *   sender, so they are lost even with block=true. Without GSO each
 *   datagram is its own packet, every drop comes back as ENOBUFS and
 *   block=true sends it again. No effect in raw mode.
 * - `gather` (1..64, default 1): send up to this many single buffers
 *   together, as one batch (one system call with UDP GSO), instead of one
 *   system call each. 1 (the default) sends every buffer as it arrives.
 *   A buffer then waits until the batch is full, its first buffer has waited
 *   `gather-latency`, a buffer list or EOS arrives, a buffer with a
 *   timestamp arrives while `sync` is true (basesink may wait on the clock
 *   for it, so what waits goes out first), or the element stops (what the
 *   socket cannot take at that moment is dropped and counted). For streams
 *   that push single buffers faster than one system call each can send
 *   (MPEG-TS over UDP at high rates, with sync=false or buffers without
 *   timestamps: with sync=true and timestamps every buffer is sent before
 *   the next one's clock wait, so nothing is gathered); a stream slower than
 *   the batch fills gains nothing and each datagram is delayed by up to
 *   `gather-latency`.
 * - `gather-latency` (guint64 nanoseconds, 0..1 s, default 1 ms): the
 *   longest a gathered buffer waits for the ones after it.
 * - `metrics-interval` (guint64 nanoseconds, default 1 second): post an
 *   `mctx-metrics` element message this often (see "Metrics" below); 0 posts
 *   only the final one. Applies at once, also while running.
 * - `metrics-file`: append every metrics message as a Heimdall JSONL row
 *   (`heimdall-jsonl-v1`, artifact `mctx-network`) to this file. Unset: none.
 * - `metrics-node-id`: the `node_id` of the file's header. Unset: the name of
 *   the file's parent directory, else the file's stem, else `unknown`.
 * - `metrics-flags`: a JSON object of extra header flags, merged with the
 *   element's own (which win on a conflict).
 * - `stats` (read-only): a #GstStructure named `mctx-stats` with the same
 *   fields as the `mctx-metrics` message, counters since the element last
 *   started (kept after it stops). Every buffer the element renders ends up
 *   in exactly one of packets-sent and packets-dropped. Its `interval` and
 *   rates run from the previous message to the moment stats is read; after
 *   stop they are the final message's; `final` is whether this stream's
 *   final message is out.
 *
 * group, port, source-addr, source-port, interface, buffer-size, socket, raw,
 * gso, gather, gather-latency, metrics-file, metrics-node-id and
 * metrics-flags take effect when the element starts (NULL to READY: the socket is open
 * from READY on); changing them
 * while it is not in the NULL state is refused with a warning. ttl, loop,
 * qos-dscp and metrics-interval apply at once, also while running; block is
 * read for every buffer.
 *
 * ## Metrics
 *
 * While the element is PAUSED or PLAYING (or on its way there: a sink still
 * waiting for its first buffer reports too), it posts an element message
 * named `mctx-metrics` every #GstMctxSink:metrics-interval, also when no
 * buffer arrives (a stalled stream reports zero rates). The messages come from
 * a thread of the element's own, not from the streaming thread, and cost the
 * send path nothing: the counters are libmctx's lock-free snapshots and one
 * atomic. The structure contains these fields:
 *
 * * #guint64 `packets-sent`: datagrams sent since the element started.
 * * #guint64 `bytes-sent`: their bytes (UDP payload; in raw mode the whole IP
 *   datagram).
 * * #guint64 `send-calls`: datagrams tried (sent + failed attempts).
 * * #guint64 `send-errors`: failed attempts, would-blocks and ENOBUFS that
 *   were retried included.
 * * #guint64 `would-block`: attempts that found the socket buffer full.
 * * #guint64 `packets-dropped`: buffers the element gave up on (send errors,
 *   a full socket with `block=false`, a buffer it could not read).
 * * #guint64 `interval`: nanoseconds since the previous message (the first
 *   one: since the element started), on the monotonic clock.
 * * #gdouble `packets-per-sec`: packets-sent over that interval.
 * * #gdouble `bytes-per-sec`: bytes-sent over that interval.
 * * #GstClockTime `running-time`: the running time of the last buffer
 *   rendered (from basesink's last-sample, so %GST_CLOCK_TIME_NONE when
 *   #GstBaseSink:enable-last-sample is off, when no buffer had a timestamp,
 *   or before the first buffer).
 * * #gchararray `group`: the group sent to.
 * * #gint `port`: the destination port.
 * * #gchararray `source`: the effective source address, the one the kernel
 *   chose when `source-addr` is not set (in raw mode `group` and `source`
 *   are empty and `port` is 0: each datagram carries its own).
 * * #gboolean `final`: %TRUE on the last message of a stream.
 *
 * Every stream gets exactly one final message: at EOS (posted before the EOS
 * message reaches the bus, with every buffer counted), or, when the element
 * stops (READY to NULL) without an EOS first, at stop. After the final message
 * no other is posted until a new stream begins (a STREAM_START or FLUSH_STOP
 * event), so a final message at EOS is not followed by another at stop.
 *
 * With `metrics-file` set, each message is also appended to that file as one
 * row of a Heimdall `heimdall-jsonl-v1` file (producer `mctx/mctxsink`, the
 * fields of mctx-send's rows plus `packets_dropped_total`, `_delta` and
 * `_per_sec`), see docs/metrics.md. The file is opened, locked and checked at
 * start: a metrics-flags that is not a JSON object, or a file that belongs to
 * another run (another header), or that another writer holds, fails the start
 * with an error that says why.
 *
 * |[
 * gst-launch-1.0 -m audiotestsrc num-buffers=100 ! audioconvert ! rtpL16pay ! \
 *     mctxsink group=239.255.12.44 port=5006 interface=lo \
 *     metrics-interval=500000000
 * ]|
 * prints a `mctx-metrics` message every half second and a final one before
 * the EOS. examples/gst/metrics-watch.c is an application that reads them.
 *
 * ## Full socket, send errors
 *
 * When the socket buffer is full, with `block=true` the streaming thread waits
 * until the socket is writable, in a wait that a state change or a flush
 * interrupts at once. After a pause, the datagram that was waiting is sent
 * when the pipeline plays again, so pausing loses nothing. A datagram refused
 * with ENOBUFS (the local queue of a slow link is full) is sent again after a
 * short backoff (1 ms doubling up to 20 ms) that is interrupted the same way.
 * When the queue has refused every datagram for more than a second (a link
 * that is down or shaped to a standstill), a #GST_MESSAGE_WARNING says so,
 * again at most once a second while it lasts; the element keeps resending.
 * With `block=false` both are dropped and counted.
 *
 * Other send errors (ENETUNREACH, EPERM from a firewall, EMSGSIZE for a buffer
 * larger than the path allows, ...) lose that datagram: it is counted in
 * packets-dropped and send-errors, a #GST_MESSAGE_WARNING saying how many
 * datagrams failed with that error is posted at most once a second per error
 * (failures not reported yet are reported at EOS and when the element stops),
 * and the stream goes on.
 */

#include "gstmctxsink.h"
#include "gstmctxsinkraw.h"
#include "gstmctxsinkmetrics.h"
#include "gstmctxsinkgather.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

GST_DEBUG_CATEGORY_STATIC (gst_mctx_sink_debug);
#define GST_CAT_DEFAULT gst_mctx_sink_debug

#define DEFAULT_GROUP           NULL
#define DEFAULT_PORT            5004
#define DEFAULT_SOURCE_ADDR     NULL
#define DEFAULT_SOURCE_PORT     0
#define DEFAULT_INTERFACE       NULL
#define DEFAULT_TTL             1
#define DEFAULT_LOOP            TRUE
#define DEFAULT_QOS_DSCP        (-1)
#define DEFAULT_BUFFER_SIZE     0
#define DEFAULT_BLOCK           TRUE
#define DEFAULT_SOCKET          NULL
#define DEFAULT_RAW             FALSE
#define DEFAULT_GSO             TRUE
#define DEFAULT_GATHER          1
#define DEFAULT_GATHER_LATENCY  (1 * GST_MSECOND)
/* A GSO call carries at most 64 datagrams (docs/gso.md). */
#define GATHER_MAX              64

/* ttl=-1: leave the socket's TTL as it is (set live: back to the kernel's
 * default). */
#define TTL_FROM_PROPERTY(ttl) ((ttl) < 0 ? MCTX_TTL_UNCHANGED : (uint32_t) (ttl))

#define BACKOFF_MIN (1 * GST_MSECOND)
#define BACKOFF_MAX (20 * GST_MSECOND)

enum
{
  PROP_0,
  PROP_GROUP,
  PROP_PORT,
  PROP_SOURCE_ADDR,
  PROP_SOURCE_PORT,
  PROP_INTERFACE,
  PROP_TTL,
  PROP_LOOP,
  PROP_QOS_DSCP,
  PROP_BUFFER_SIZE,
  PROP_BLOCK,
  PROP_SOCKET,
  PROP_RAW,
  PROP_STATS,
  PROP_GATHER,
  PROP_GATHER_LATENCY,
  PROP_GSO,
  /* metrics-interval, metrics-file, metrics-node-id, metrics-flags */
  PROP_METRICS_FIRST,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

static void gst_mctx_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_mctx_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_mctx_sink_finalize (GObject * object);

static gboolean gst_mctx_sink_start (GstBaseSink * bsink);
static gboolean gst_mctx_sink_stop (GstBaseSink * bsink);
static gboolean gst_mctx_sink_unlock (GstBaseSink * bsink);
static gboolean gst_mctx_sink_unlock_stop (GstBaseSink * bsink);
static GstFlowReturn gst_mctx_sink_render (GstBaseSink * bsink,
    GstBuffer * buffer);
static GstFlowReturn gst_mctx_sink_render_list (GstBaseSink * bsink,
    GstBufferList * list);
static gboolean gst_mctx_sink_event (GstBaseSink * bsink, GstEvent * event);
static GstFlowReturn gst_mctx_sink_prepare (GstBaseSink * bsink,
    GstBuffer * buffer);

#define gst_mctx_sink_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstMctxSink, gst_mctx_sink, GST_TYPE_BASE_SINK,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER,
        gst_mctx_sink_uri_handler_init);
    GST_DEBUG_CATEGORY_INIT (gst_mctx_sink_debug, "mctxsink", 0,
        "multicast sink on libmctx"));
GST_ELEMENT_REGISTER_DEFINE (mctxsink, "mctxsink", GST_RANK_NONE,
    GST_TYPE_MCTX_SINK);

static void
gst_mctx_sink_class_init (GstMctxSinkClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseSinkClass *basesink_class = (GstBaseSinkClass *) klass;

  gobject_class->set_property = gst_mctx_sink_set_property;
  gobject_class->get_property = gst_mctx_sink_get_property;
  gobject_class->finalize = gst_mctx_sink_finalize;

  g_object_class_install_property (gobject_class, PROP_GROUP,
      g_param_spec_string ("group", "Group",
          "IPv4 or IPv6 multicast group to send to", DEFAULT_GROUP,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PORT,
      g_param_spec_int ("port", "Port", "Destination UDP port", 1, 65535,
          DEFAULT_PORT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_SOURCE_ADDR,
      g_param_spec_string ("source-addr", "Source address",
          "Exact local address to send from (the S of SSM); NULL lets the "
          "kernel choose", DEFAULT_SOURCE_ADDR,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_SOURCE_PORT,
      g_param_spec_int ("source-port", "Source port",
          "Local UDP port to send from; 0 lets the kernel pick one", 0, 65535,
          DEFAULT_SOURCE_PORT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_INTERFACE,
      g_param_spec_string ("interface", "Interface",
          "Outgoing interface: a name, a local address or an index; NULL "
          "lets the routing table decide", DEFAULT_INTERFACE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_TTL,
      g_param_spec_int ("ttl", "TTL",
          "Multicast TTL / hop limit; -1 leaves it as it is (the kernel's "
          "default on a new socket, the caller's value on 'socket', each "
          "datagram's own in raw mode)", -1, 255,
          DEFAULT_TTL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_LOOP,
      g_param_spec_boolean ("loop", "Loop",
          "Deliver a copy to receivers on this host", DEFAULT_LOOP,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_QOS_DSCP,
      g_param_spec_int ("qos-dscp", "QoS DSCP",
          "DiffServ code point; -1 leaves it as it is", -1, 63,
          DEFAULT_QOS_DSCP, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_BUFFER_SIZE,
      g_param_spec_int ("buffer-size", "Buffer size",
          "Kernel send buffer size (SO_SNDBUF) in bytes; 0 keeps the system "
          "default", 0, G_MAXINT, DEFAULT_BUFFER_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_BLOCK,
      g_param_spec_boolean ("block", "Block",
          "When the socket is full, wait until it can send (true) or drop "
          "the datagram and count it (false)", DEFAULT_BLOCK,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_SOCKET,
      g_param_spec_object ("socket", "Socket",
          "UDP socket to send with (a duplicate of its descriptor is used); "
          "NULL opens a new one", G_TYPE_SOCKET,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Counters since the last start and the other fields of the "
          "mctx-metrics message: packets-sent, bytes-sent, send-calls, "
          "send-errors, would-block, packets-dropped, interval, "
          "packets-per-sec, bytes-per-sec, running-time, group, port, source, "
          "final",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_RAW,
      g_param_spec_boolean ("raw", "Raw",
          "Every buffer is one complete IPv4 or IPv6 multicast datagram, sent "
          "as given (needs CAP_NET_RAW; group and port are not used)",
          DEFAULT_RAW, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_GATHER,
      g_param_spec_uint ("gather", "Gather",
          "Single buffers sent together in one batch (UDP GSO) at most; they "
          "wait until that many arrived, gather-latency passed, a buffer "
          "list, EOS or (sync=true) a timestamped buffer comes, or the "
          "element stops. 1 sends every buffer at once", 1, GATHER_MAX, DEFAULT_GATHER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_GATHER_LATENCY,
      g_param_spec_uint64 ("gather-latency", "Gather latency",
          "With gather > 1: the longest (ns) a buffer waits for the ones "
          "after it", 0, GST_SECOND, DEFAULT_GATHER_LATENCY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_GSO,
      g_param_spec_boolean ("gso", "GSO",
          "Send runs of equal-sized datagrams of a batch as UDP GSO sends "
          "where the kernel has it; false sends each as its own packet, so "
          "that a shaping qdisc (tbf) that drops one reports it (ENOBUFS) "
          "instead of losing GSO segments silently", DEFAULT_GSO,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  gst_mctx_sink_metrics_install_properties (gobject_class, PROP_METRICS_FIRST);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Multicast UDP sink", "Sink/Network",
      "Sends each buffer as one UDP datagram to an IPv4 or IPv6 multicast "
      "group, from an exact source and interface, through libmctx",
      "mctx developers");

  basesink_class->start = GST_DEBUG_FUNCPTR (gst_mctx_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR (gst_mctx_sink_stop);
  basesink_class->unlock = GST_DEBUG_FUNCPTR (gst_mctx_sink_unlock);
  basesink_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_mctx_sink_unlock_stop);
  basesink_class->render = GST_DEBUG_FUNCPTR (gst_mctx_sink_render);
  basesink_class->render_list = GST_DEBUG_FUNCPTR (gst_mctx_sink_render_list);
  basesink_class->event = GST_DEBUG_FUNCPTR (gst_mctx_sink_event);
  basesink_class->prepare = GST_DEBUG_FUNCPTR (gst_mctx_sink_prepare);
}

static void
gst_mctx_sink_init (GstMctxSink * sink)
{
  sink->group = g_strdup (DEFAULT_GROUP);
  sink->port = DEFAULT_PORT;
  sink->source_addr = g_strdup (DEFAULT_SOURCE_ADDR);
  sink->source_port = DEFAULT_SOURCE_PORT;
  sink->interface = g_strdup (DEFAULT_INTERFACE);
  sink->ttl = DEFAULT_TTL;
  sink->loop = DEFAULT_LOOP;
  sink->qos_dscp = DEFAULT_QOS_DSCP;
  sink->buffer_size = DEFAULT_BUFFER_SIZE;
  sink->block = DEFAULT_BLOCK;
  sink->socket = DEFAULT_SOCKET;
  sink->raw = DEFAULT_RAW;
  sink->gso = DEFAULT_GSO;
  sink->gather = DEFAULT_GATHER;
  sink->gather_latency = DEFAULT_GATHER_LATENCY;

  sink->poll = gst_poll_new (TRUE);
  gst_poll_fd_init (&sink->pollfd);
  atomic_init (&sink->packets_dropped, 0);
  sink->metrics = gst_mctx_sink_metrics_new ();
}

static void
gst_mctx_sink_finalize (GObject * object)
{
  GstMctxSink *sink = GST_MCTX_SINK (object);

  g_free (sink->group);
  g_free (sink->source_addr);
  g_free (sink->interface);
  g_clear_object (&sink->socket);
  if (sink->poll)
    gst_poll_free (sink->poll);
  gst_mctx_sink_maps_clear (&sink->maps);
  g_free (sink->datagrams);
  gst_mctx_sink_metrics_free (sink->metrics);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ------------------------------------------------------------------------ */
/* Properties                                                               */
/* ------------------------------------------------------------------------ */

/* Called with the object lock. Settings that shape the socket cannot change
 * under a running publication, nor while start() uses the copy it took;
 * say so instead of ignoring the new value. */
static gboolean
refuse_while_started (GstMctxSink * sink, GParamSpec * pspec)
{
  if (!sink->started && !sink->starting)
    return FALSE;
  GST_WARNING_OBJECT (sink, "refusing to change '%s' while running",
      pspec->name);
  g_warning ("%s: cannot change the '%s' property while the element is "
      "running; set it in the NULL state, before the element starts",
      GST_OBJECT_NAME (sink), pspec->name);
  return TRUE;
}

typedef enum
{
  LIVE_NONE,
  LIVE_TTL,
  LIVE_LOOP,
  LIVE_DSCP,
} LiveChange;

/* Applies ttl, loop or qos-dscp to a running publication. Called with the
 * object lock; returns the libmctx result. */
static int
apply_live_change (GstMctxSink * sink, LiveChange change, mctx_error * err)
{
  if (sink->raw_pub != NULL && change != LIVE_NONE) {
    err->code = MCTX_E_RAW_UNSUPPORTED;
    err->subject = MCTX_SUBJECT_NONE;
    g_strlcpy (err->message, "raw publications take ttl and loop when they "
        "open; the new value applies at the next start", sizeof err->message);
    return MCTX_E_RAW_UNSUPPORTED;
  }
  if (sink->pub == NULL)
    return MCTX_OK;

  switch (change) {
    case LIVE_TTL:
      return mctx_publication_set_ttl (sink->pub, TTL_FROM_PROPERTY (sink->ttl),
          err);
    case LIVE_LOOP:
      return mctx_publication_set_loopback (sink->pub, sink->loop, err);
    case LIVE_DSCP:
      return mctx_publication_set_dscp (sink->pub, sink->qos_dscp, err);
    case LIVE_NONE:
      break;
  }
  return MCTX_OK;
}

static void
post_live_change_warning (GstMctxSink * sink, const gchar * property, int rc,
    const mctx_error * err)
{
  GST_ELEMENT_WARNING (sink, RESOURCE, SETTINGS,
      ("Could not apply %s to the running stream: %s", property,
          err->message), ("%s (errno %d)", mctx_code_name (rc),
          err->sys_errno));
}

/* Called with the object lock, as start() makes its publication the
 * element's: ttl, loop and qos-dscp apply live, so a change made while
 * start() was opening it with the copied values was taken, not refused;
 * it applies now. Returns the first failure and names its property. */
static int
apply_late_changes (GstMctxSink * sink, const GstMctxSinkSettings * s,
    const gchar ** property, mctx_error * err)
{
  int rc = MCTX_OK;

  if (sink->ttl != s->ttl) {
    *property = "ttl";
    rc = apply_live_change (sink, LIVE_TTL, err);
  }
  if (rc == MCTX_OK && sink->loop != s->loop) {
    *property = "loop";
    rc = apply_live_change (sink, LIVE_LOOP, err);
  }
  if (rc == MCTX_OK && sink->qos_dscp != s->qos_dscp) {
    *property = "qos-dscp";
    rc = apply_live_change (sink, LIVE_DSCP, err);
  }
  return rc;
}

static void
gst_mctx_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMctxSink *sink = GST_MCTX_SINK (object);
  LiveChange live = LIVE_NONE;
  mctx_error err = { 0 };
  int rc;

  GST_OBJECT_LOCK (sink);
  switch (prop_id) {
    case PROP_GROUP:
      if (refuse_while_started (sink, pspec))
        break;
      g_free (sink->group);
      sink->group = g_value_dup_string (value);
      break;
    case PROP_PORT:
      if (refuse_while_started (sink, pspec))
        break;
      sink->port = g_value_get_int (value);
      break;
    case PROP_SOURCE_ADDR:
      if (refuse_while_started (sink, pspec))
        break;
      g_free (sink->source_addr);
      sink->source_addr = g_value_dup_string (value);
      break;
    case PROP_SOURCE_PORT:
      if (refuse_while_started (sink, pspec))
        break;
      sink->source_port = g_value_get_int (value);
      break;
    case PROP_INTERFACE:
      if (refuse_while_started (sink, pspec))
        break;
      g_free (sink->interface);
      sink->interface = g_value_dup_string (value);
      break;
    case PROP_BUFFER_SIZE:
      if (refuse_while_started (sink, pspec))
        break;
      sink->buffer_size = g_value_get_int (value);
      break;
    case PROP_SOCKET:
      if (refuse_while_started (sink, pspec))
        break;
      g_clear_object (&sink->socket);
      sink->socket = g_value_dup_object (value);
      break;
    case PROP_RAW:
      if (refuse_while_started (sink, pspec))
        break;
      sink->raw = g_value_get_boolean (value);
      break;
    case PROP_GSO:
      if (refuse_while_started (sink, pspec))
        break;
      sink->gso = g_value_get_boolean (value);
      break;
    case PROP_GATHER:
      if (refuse_while_started (sink, pspec))
        break;
      sink->gather = g_value_get_uint (value);
      break;
    case PROP_GATHER_LATENCY:
      if (refuse_while_started (sink, pspec))
        break;
      sink->gather_latency = g_value_get_uint64 (value);
      break;
    case PROP_METRICS_FIRST + GST_MCTX_SINK_METRICS_PROP_FILE:
    case PROP_METRICS_FIRST + GST_MCTX_SINK_METRICS_PROP_NODE_ID:
    case PROP_METRICS_FIRST + GST_MCTX_SINK_METRICS_PROP_FLAGS:
      if (refuse_while_started (sink, pspec))
        break;
      /* fall through */
    case PROP_METRICS_FIRST + GST_MCTX_SINK_METRICS_PROP_INTERVAL:
      gst_mctx_sink_metrics_set_property (sink, prop_id - PROP_METRICS_FIRST,
          value, pspec);
      break;
    case PROP_TTL:
      sink->ttl = g_value_get_int (value);
      live = LIVE_TTL;
      break;
    case PROP_LOOP:
      sink->loop = g_value_get_boolean (value);
      live = LIVE_LOOP;
      break;
    case PROP_QOS_DSCP:
      sink->qos_dscp = g_value_get_int (value);
      live = LIVE_DSCP;
      break;
    case PROP_BLOCK:
      g_atomic_int_set (&sink->block, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  rc = apply_live_change (sink, live, &err);
  GST_OBJECT_UNLOCK (sink);

  if (rc != MCTX_OK)
    post_live_change_warning (sink, pspec->name, rc, &err);
}

static void
gst_mctx_sink_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstMctxSink *sink = GST_MCTX_SINK (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_mctx_sink_get_stats (sink));
    return;
  }

  GST_OBJECT_LOCK (sink);
  switch (prop_id) {
    case PROP_GROUP:
      g_value_set_string (value, sink->group);
      break;
    case PROP_PORT:
      g_value_set_int (value, sink->port);
      break;
    case PROP_SOURCE_ADDR:
      g_value_set_string (value, sink->source_addr);
      break;
    case PROP_SOURCE_PORT:
      g_value_set_int (value, sink->source_port);
      break;
    case PROP_INTERFACE:
      g_value_set_string (value, sink->interface);
      break;
    case PROP_TTL:
      g_value_set_int (value, sink->ttl);
      break;
    case PROP_LOOP:
      g_value_set_boolean (value, sink->loop);
      break;
    case PROP_QOS_DSCP:
      g_value_set_int (value, sink->qos_dscp);
      break;
    case PROP_BUFFER_SIZE:
      g_value_set_int (value, sink->buffer_size);
      break;
    case PROP_BLOCK:
      g_value_set_boolean (value, g_atomic_int_get (&sink->block));
      break;
    case PROP_SOCKET:
      g_value_set_object (value, sink->socket);
      break;
    case PROP_RAW:
      g_value_set_boolean (value, sink->raw);
      break;
    case PROP_GSO:
      g_value_set_boolean (value, sink->gso);
      break;
    case PROP_GATHER:
      g_value_set_uint (value, sink->gather);
      break;
    case PROP_GATHER_LATENCY:
      g_value_set_uint64 (value, sink->gather_latency);
      break;
    case PROP_METRICS_FIRST + GST_MCTX_SINK_METRICS_PROP_INTERVAL:
    case PROP_METRICS_FIRST + GST_MCTX_SINK_METRICS_PROP_FILE:
    case PROP_METRICS_FIRST + GST_MCTX_SINK_METRICS_PROP_NODE_ID:
    case PROP_METRICS_FIRST + GST_MCTX_SINK_METRICS_PROP_FLAGS:
      gst_mctx_sink_metrics_get_property (sink, prop_id - PROP_METRICS_FIRST,
          value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (sink);
}

/* The stats structure and the metrics messages: gstmctxsinkmetrics.c. */
void
gst_mctx_sink_snapshot (GstMctxSink * sink, mctx_metrics * out)
{
  GST_OBJECT_LOCK (sink);
  if (sink->pub)
    mctx_publication_metrics_snapshot (sink->pub, out);
  else if (sink->raw_pub)
    gst_mctx_sink_raw_metrics (sink->raw_pub, out);
  else
    *out = sink->last_metrics;
  GST_OBJECT_UNLOCK (sink);
}

/* ------------------------------------------------------------------------ */
/* start / stop                                                             */
/* ------------------------------------------------------------------------ */

/* Copies every setting start() uses (strings duplicated) in one section
 * under the object lock, which also marks the element as starting: from
 * then on set_property refuses the start-time settings, so none changes
 * between this copy and the publication it opens. */
static void
take_settings (GstMctxSink * sink, GstMctxSinkSettings * s, GSocket ** socket)
{
  GST_OBJECT_LOCK (sink);
  sink->starting = TRUE;
  s->group = g_strdup (sink->group);
  s->port = sink->port;
  s->source_addr = g_strdup (sink->source_addr);
  s->source_port = sink->source_port;
  s->interface = g_strdup (sink->interface);
  s->ttl = sink->ttl;
  s->loop = sink->loop;
  s->qos_dscp = sink->qos_dscp;
  s->buffer_size = sink->buffer_size;
  s->have_socket = sink->socket != NULL;
  s->raw = sink->raw;
  s->gso = sink->gso;
  s->gather = sink->gather;
  s->gather_latency = sink->gather_latency;
  gst_mctx_sink_metrics_copy_settings (sink, s);
  *socket = sink->socket ? g_object_ref (sink->socket) : NULL;
  GST_OBJECT_UNLOCK (sink);
}

static void
clear_settings (GstMctxSinkSettings * s)
{
  g_free ((gchar *) s->group);
  g_free ((gchar *) s->source_addr);
  g_free ((gchar *) s->interface);
  g_free ((gchar *) s->metrics_file);
  g_free ((gchar *) s->metrics_node_id);
  g_free ((gchar *) s->metrics_flags);
}

gboolean
gst_mctx_sink_is_set (const gchar * s)
{
  return s != NULL && *s != '\0';
}

gboolean
gst_mctx_sink_parse_egress (GstMctxSink * sink, const GstMctxSinkSettings * s,
    mctx_ip * source, mctx_interface * iface)
{
  mctx_error err = { 0 };
  int rc;

  if (gst_mctx_sink_is_set (s->source_addr)) {
    rc = mctx_ip_parse (s->source_addr, source, &err);
    if (rc != MCTX_OK)
      goto bad_source_addr;
  }
  if (gst_mctx_sink_is_set (s->interface)) {
    rc = mctx_interface_parse (s->interface, iface, &err);
    if (rc != MCTX_OK)
      goto bad_interface;
  }
  return TRUE;

bad_source_addr:
  {
    gst_mctx_sink_post_parse_error (sink, "source-addr", s->source_addr, rc,
        &err);
    return FALSE;
  }
bad_interface:
  {
    gst_mctx_sink_post_parse_error (sink, "interface", s->interface, rc,
        &err);
    return FALSE;
  }
}

/* Builds the libmctx config from the settings. On failure the error is
 * posted and FALSE returned. */
static gboolean
build_config (GstMctxSink * sink, const GstMctxSinkSettings * s,
    mctx_publication_config * cfg)
{
  mctx_error err = { 0 };
  int rc;

  mctx_publication_config_init (cfg);

  if (!gst_mctx_sink_is_set (s->group))
    goto no_group;
  rc = mctx_ip_parse (s->group, &cfg->group, &err);
  if (rc != MCTX_OK)
    goto bad_group;
  cfg->dst_port = (uint16_t) s->port;

  if (!gst_mctx_sink_parse_egress (sink, s, &cfg->source_addr,
          &cfg->interface))
    return FALSE;
  if (s->source_port > 0) {
    cfg->has_source_port = true;
    cfg->source_port = (uint16_t) s->source_port;
  }

  cfg->ttl = TTL_FROM_PROPERTY (s->ttl);
  cfg->loopback = s->loop;
  cfg->dscp = s->qos_dscp;
  cfg->send_buffer_size = s->buffer_size;
  cfg->report_local_drops = true;
  cfg->gso = s->gso;
  return TRUE;

no_group:
  {
    GST_ELEMENT_ERROR (sink, RESOURCE, SETTINGS,
        ("No group set: set the 'group' property to an IPv4 or IPv6 "
            "multicast address"), (NULL));
    return FALSE;
  }
bad_group:
  {
    gst_mctx_sink_post_parse_error (sink, "group", s->group, rc, &err);
    return FALSE;
  }
}

/* Opens the publication on a duplicate of the caller's socket, which stays
 * the caller's. */
static int
open_with_caller_socket (const mctx_publication_config * cfg, GSocket * socket,
    mctx_publication ** pub, mctx_error * err)
{
  int fd = fcntl (g_socket_get_fd (socket), F_DUPFD_CLOEXEC, 0);
  int rc;

  if (fd < 0) {
    err->code = MCTX_E_SOCKET_CREATE_FAILED;
    err->subject = MCTX_SUBJECT_SOCKET;
    err->sys_errno = errno;
    g_snprintf (err->message, sizeof err->message,
        "could not duplicate the socket's descriptor: %s", g_strerror (errno));
    return MCTX_E_SOCKET_CREATE_FAILED;
  }
  rc = mctx_publication_open_with_socket (cfg, fd, pub, err);
  if (rc != MCTX_OK)
    close (fd);
  return rc;
}

static void
log_publication (GstMctxSink * sink)
{
  mctx_endpoint local;
  char local_text[MCTX_ENDPOINT_STRLEN] = "unknown";

  if (mctx_publication_get_local (sink->pub, &local, NULL) == MCTX_OK)
    mctx_endpoint_format (&local, local_text, sizeof local_text);
  GST_INFO_OBJECT (sink, "sending to %s from %s, interface index %u",
      sink->destination, local_text,
      mctx_publication_get_interface_index (sink->pub));
}

static gboolean
gst_mctx_sink_start (GstBaseSink * bsink)
{
  GstMctxSink *sink = GST_MCTX_SINK (bsink);
  GstMctxSinkSettings settings = { 0 };
  GSocket *socket = NULL;
  mctx_publication_config cfg;
  mctx_publication *pub = NULL;
  GstMctxSinkRaw *raw = NULL;
  mctx_endpoint destination;
  mctx_error err = { 0 };
  const gchar *late_change = NULL;
  int rc;

  take_settings (sink, &settings, &socket);

  if (!gst_mctx_sink_metrics_open (sink, &settings))
    goto failed;

  if (settings.raw) {
    raw = gst_mctx_sink_raw_open (sink, &settings, sink->destination,
        sizeof sink->destination);
    if (raw == NULL)
      goto failed;
    goto opened;
  }

  if (!build_config (sink, &settings, &cfg))
    goto failed;

  rc = mctx_publication_config_validate (&cfg, &err);
  if (rc != MCTX_OK)
    goto refused;

  if (socket)
    rc = open_with_caller_socket (&cfg, socket, &pub, &err);
  else
    rc = mctx_publication_open (&cfg, &pub, &err);
  if (rc != MCTX_OK)
    goto refused;

  mctx_publication_get_destination (pub, &destination);
  mctx_endpoint_format (&destination, sink->destination,
      sizeof sink->destination);

opened:
  /* A flush-start without its flush-stop must not leave waits failing. */
  gst_poll_set_flushing (sink->poll, FALSE);
  if (pub) {
    sink->pollfd.fd = mctx_publication_get_fd (pub);
    gst_poll_add_fd (sink->poll, &sink->pollfd);
    gst_poll_fd_ctl_write (sink->poll, &sink->pollfd, TRUE);
  }
  sink->backoff = BACKOFF_MIN;
  memset (sink->error_kinds, 0, sizeof sink->error_kinds);
  sink->enobufs_since_us = sink->enobufs_warned_us = 0;
  atomic_store (&sink->packets_dropped, 0);

  GST_OBJECT_LOCK (sink);
  memset (&sink->last_metrics, 0, sizeof sink->last_metrics);
  sink->pub = pub;
  sink->raw_pub = raw;
  sink->started = TRUE;
  sink->starting = FALSE;
  rc = apply_late_changes (sink, &settings, &late_change, &err);
  GST_OBJECT_UNLOCK (sink);
  if (rc != MCTX_OK)
    post_live_change_warning (sink, late_change, rc, &err);

  if (settings.gather > 1)
    sink->gathering = gst_mctx_sink_gather_new (sink, settings.gather,
        settings.gather_latency);
  gst_mctx_sink_metrics_begin (sink, &settings);
  if (pub)
    log_publication (sink);
  clear_settings (&settings);
  g_clear_object (&socket);
  return TRUE;

refused:
  {
    gst_mctx_sink_post_config_error (sink, &settings, rc, &err);
    goto failed;
  }
failed:
  {
    GST_OBJECT_LOCK (sink);
    sink->starting = FALSE;
    GST_OBJECT_UNLOCK (sink);
    gst_mctx_sink_metrics_abort (sink);
    clear_settings (&settings);
    g_clear_object (&socket);
    return FALSE;
  }
}

static void report_pending_errors (GstMctxSink * sink);

static gboolean
gst_mctx_sink_stop (GstBaseSink * bsink)
{
  GstMctxSink *sink = GST_MCTX_SINK (bsink);
  mctx_publication *pub;
  GstMctxSinkRaw *raw;

  /* Gathered buffers go out (or are counted) before the final counts. */
  gst_mctx_sink_gather_free (sink->gathering);
  sink->gathering = NULL;

  /* The final metrics message, while the publication still counts. */
  gst_mctx_sink_metrics_end (sink);

  GST_OBJECT_LOCK (sink);
  pub = sink->pub;
  raw = sink->raw_pub;
  sink->pub = NULL;
  sink->raw_pub = NULL;
  sink->started = FALSE;
  if (pub)
    mctx_publication_metrics_snapshot (pub, &sink->last_metrics);
  else if (raw)
    gst_mctx_sink_raw_metrics (raw, &sink->last_metrics);
  GST_OBJECT_UNLOCK (sink);

  if (pub == NULL && raw == NULL)
    return TRUE;

  report_pending_errors (sink);
  if (pub) {
    gst_poll_remove_fd (sink->poll, &sink->pollfd);
    gst_poll_fd_init (&sink->pollfd);
  }
  mctx_publication_close (pub);
  gst_mctx_sink_raw_close (raw);
  GST_INFO_OBJECT (sink, "stopped sending to %s", sink->destination);
  return TRUE;
}

static gboolean
gst_mctx_sink_unlock (GstBaseSink * bsink)
{
  GstMctxSink *sink = GST_MCTX_SINK (bsink);

  GST_LOG_OBJECT (sink, "interrupting any wait");
  gst_poll_set_flushing (sink->poll, TRUE);
  return TRUE;
}

static gboolean
gst_mctx_sink_unlock_stop (GstBaseSink * bsink)
{
  GstMctxSink *sink = GST_MCTX_SINK (bsink);

  GST_LOG_OBJECT (sink, "waits allowed again");
  gst_poll_set_flushing (sink->poll, FALSE);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Send errors                                                              */
/* ------------------------------------------------------------------------ */

static void
post_error_warning (GstMctxSink * sink, GstMctxSinkErrorKind * kind)
{
  /* IP_RECVERR queued each failure on the socket's error queue too: it is
   * emptied here, once per warning (at most once a second per error), not
   * once per datagram; wait_socket() empties it before every wait too. The
   * kernel bounds the queue by the receive buffer in between. */
  if (sink->pub)
    mctx_publication_drain_errors (sink->pub);
  GST_ELEMENT_WARNING (sink, RESOURCE, WRITE,
      ("%" G_GUINT64_FORMAT " datagram(s) to %s failed: %s", kind->pending,
          sink->destination, kind->sys_errno ? g_strerror (kind->sys_errno) :
          mctx_strerror (kind->code)),
      ("errno %d; the datagrams were dropped and counted in "
          "packets-dropped; at most one warning a second per error",
          kind->sys_errno));
  kind->pending = 0;
}

/* Counts one failed send and warns about it, at most once a second per
 * errno (the warning says how many happened since the previous one). */
static void
note_send_error (GstMctxSink * sink, int sys_errno, int code)
{
  GstMctxSinkErrorKind *kind = NULL, *oldest = &sink->error_kinds[0];
  gint64 now;

  for (guint i = 0; i < GST_MCTX_SINK_ERROR_KINDS; i++) {
    GstMctxSinkErrorKind *k = &sink->error_kinds[i];
    /* Without an errno (a raw datagram refused by the checks), the code
     * is the kind. */
    if (k->sys_errno == sys_errno && k->last_warning_us != 0
        && (sys_errno != 0 || k->code == code)) {
      kind = k;
      break;
    }
    if (k->last_warning_us < oldest->last_warning_us)
      oldest = k;
  }
  if (kind == NULL) {
    kind = oldest;
    if (kind->pending > 0)
      post_error_warning (sink, kind);
    memset (kind, 0, sizeof *kind);
    kind->sys_errno = sys_errno;
  }

  kind->pending++;
  kind->code = code;
  now = g_get_monotonic_time ();
  if (kind->last_warning_us == 0
      || now - kind->last_warning_us >= G_USEC_PER_SEC) {
    post_error_warning (sink, kind);
    kind->last_warning_us = now;
  }
}

/* block=true, and the local queue refused a datagram with ENOBUFS: it is
 * sent again later, but a queue that has refused everything for more than a
 * second (a link down, or shaped to a standstill) is worth a warning, at
 * most one a second. Any datagram that goes out ends it (see
 * gst_mctx_sink_send()). */
static void
note_enobufs (GstMctxSink * sink)
{
  gint64 now = g_get_monotonic_time ();
  gint64 since = sink->enobufs_since_us;

  if (since == 0) {
    sink->enobufs_since_us = now;
    return;
  }
  if (now - since <= G_USEC_PER_SEC
      || now - sink->enobufs_warned_us < G_USEC_PER_SEC)
    return;
  sink->enobufs_warned_us = now;
  GST_ELEMENT_WARNING (sink, RESOURCE, WRITE,
      ("The local queue to %s has refused every datagram for %.1f s (%s); "
          "still resending (block=true)", sink->destination,
          (now - since) / (gdouble) G_USEC_PER_SEC, g_strerror (ENOBUFS)),
      ("ENOBUFS from the qdisc of the outgoing interface: a link that is "
          "down or shaped to a standstill, or a queue limit below one "
          "datagram; block=false would drop and count instead"));
}

/* At stop: errors counted since the last warning are still said. */
static void
report_pending_errors (GstMctxSink * sink)
{
  for (guint i = 0; i < GST_MCTX_SINK_ERROR_KINDS; i++) {
    if (sink->error_kinds[i].pending > 0)
      post_error_warning (sink, &sink->error_kinds[i]);
  }
}

/* ------------------------------------------------------------------------ */
/* Sending                                                                  */
/* ------------------------------------------------------------------------ */

typedef enum
{
  WAIT_DONE,                    /* writable, or the backoff passed */
  WAIT_INTERRUPTED,             /* unlock(): a state change or a flush */
  WAIT_FAILED,
} WaitResult;

/* Waits until the socket is writable (backoff NONE) or the backoff time has
 * passed, whichever is asked; unlock() interrupts either at once. The error
 * queue is drained first: a pending error makes poll() return at once. */
static WaitResult
wait_socket (GstMctxSink * sink, GstClockTime backoff)
{
  gboolean for_write = !GST_CLOCK_TIME_IS_VALID (backoff);
  gint res;

  if (sink->pub) {
    mctx_publication_drain_errors (sink->pub);
    gst_poll_fd_ctl_write (sink->poll, &sink->pollfd, for_write);
  }
  do {
    res = gst_poll_wait (sink->poll, backoff);
  } while (res < 0 && (errno == EINTR || errno == EAGAIN));

  if (res >= 0)
    return WAIT_DONE;
  if (errno == EBUSY)
    return WAIT_INTERRUPTED;
  GST_ERROR_OBJECT (sink, "waiting on the socket failed: %s",
      g_strerror (errno));
  return WAIT_FAILED;
}

void
gst_mctx_sink_count_dropped (GstMctxSink * sink, guint64 n)
{
  atomic_fetch_add (&sink->packets_dropped, n);
}

/* Whether a datagram refused with rc is worth sending again after a wait
 * (block=true): the socket is full or the local queue is (ENOBUFS). */
static gboolean
is_full (int rc)
{
  return mctx_error_is_transient (rc);
}

/* One try from datagrams[0]: *sent of count went out. */
static inline int
send_some (GstMctxSink * sink, const mctx_datagram * datagrams, gsize count,
    size_t * sent, mctx_error * err)
{
  int rc;

  if (sink->raw_pub) {
    rc = gst_mctx_sink_raw_send (sink->raw_pub, datagrams, err);
  } else if (count == 1) {
    rc = mctx_publication_sendv (sink->pub, datagrams->bufs,
        datagrams->nbufs, NULL, err);
  } else {
    return mctx_publication_send_batch (sink->pub, datagrams, count, sent,
        err);
  }
  *sent = rc == MCTX_OK ? 1 : 0;
  return rc;
}

/* The rest of gst_mctx_sink_send() once a try did not send everything:
 * next datagrams are out, rc and err say why the try stopped (MCTX_OK when a
 * raw publication sent one of several). */
static GstFlowReturn
send_rest (GstMctxSink * sink, const mctx_datagram * datagrams, gsize count,
    GstMctxSinkSendMode mode, gsize * done, gsize next, int rc,
    mctx_error * err)
{
  gboolean block = g_atomic_int_get (&sink->block);
  GstFlowReturn ret = GST_FLOW_OK;

  for (;;) {
    WaitResult waited = WAIT_DONE;
    size_t sent = 0;

    if (rc == MCTX_OK) {
      /* nothing to handle */
    } else if (block && mode == GST_MCTX_SINK_SEND_NO_WAIT
        && is_full (rc)) {
      GST_LOG_OBJECT (sink, "socket full, %" G_GSIZE_FORMAT " datagram(s) "
          "left for later", count - next);
      if (rc == MCTX_E_QUEUE_FULL)
        note_enobufs (sink);
      break;
    } else if (rc == MCTX_E_WOULD_BLOCK && block && sink->pub
        && mode == GST_MCTX_SINK_SEND_WAIT) {
      GST_LOG_OBJECT (sink, "socket full, waiting until writable");
      waited = wait_socket (sink, GST_CLOCK_TIME_NONE);
    } else if (block && mode == GST_MCTX_SINK_SEND_WAIT && is_full (rc)) {
      /* Raw sockets have no descriptor to wait on: they back off too. */
      GST_LOG_OBJECT (sink, "%s, retrying in %" GST_TIME_FORMAT,
          rc == MCTX_E_WOULD_BLOCK ? "raw socket full" :
          "local queue full (ENOBUFS)", GST_TIME_ARGS (sink->backoff));
      if (rc == MCTX_E_QUEUE_FULL)
        note_enobufs (sink);
      waited = wait_socket (sink, sink->backoff);
      sink->backoff = MIN (sink->backoff * 2, BACKOFF_MAX);
    } else if (rc == MCTX_E_WOULD_BLOCK) {
      GST_LOG_OBJECT (sink, "socket full, dropping a datagram");
      atomic_fetch_add (&sink->packets_dropped, 1);
      next++;
    } else {
      GST_DEBUG_OBJECT (sink, "send failed: %s", err->message);
      atomic_fetch_add (&sink->packets_dropped, 1);
      note_send_error (sink, err->sys_errno, rc);
      next++;
    }

    if (waited == WAIT_INTERRUPTED) {
      GST_DEBUG_OBJECT (sink, "wait interrupted, waiting for preroll");
      ret = gst_base_sink_wait_preroll (GST_BASE_SINK (sink));
      if (ret != GST_FLOW_OK)
        break;
    } else if (waited == WAIT_FAILED) {
      GST_ELEMENT_ERROR (sink, RESOURCE, WRITE,
          ("Could not wait until the socket to %s can send",
              sink->destination), ("%s", g_strerror (errno)));
      ret = GST_FLOW_ERROR;
      break;
    }

    if (next >= count)
      break;
    rc = send_some (sink, &datagrams[next], count - next, &sent, err);
    next += sent;
    if (sent > 0) {
      sink->backoff = BACKOFF_MIN;
      sink->enobufs_since_us = 0;
    }
  }

  /* Given up on: counted, so that sent + dropped stays what was rendered. */
  if (ret != GST_FLOW_OK) {
    atomic_fetch_add (&sink->packets_dropped, count - next);
    next = count;
  }
  if (done)
    *done = next;
  return ret;
}

/* The first try is all that most calls make; everything else, waits and
 * errors, is in send_rest(). A datagram that waited across a pause is sent
 * when the pipeline plays again (WAIT mode). */
GstFlowReturn
gst_mctx_sink_send (GstMctxSink * sink, const mctx_datagram * datagrams,
    gsize count, GstMctxSinkSendMode mode, gsize * done)
{
  /* libmctx fills it in whenever a call fails; it is read only then. */
  mctx_error err;
  size_t sent = 0;
  int rc;

  if (G_UNLIKELY (count == 0)) {
    if (done)
      *done = 0;
    return GST_FLOW_OK;
  }
  rc = send_some (sink, datagrams, count, &sent, &err);
  if (G_LIKELY (rc == MCTX_OK && sent == count)) {
    sink->backoff = BACKOFF_MIN;
    sink->enobufs_since_us = 0;
    if (done)
      *done = count;
    return GST_FLOW_OK;
  }
  if (sent > 0) {
    sink->backoff = BACKOFF_MIN;
    sink->enobufs_since_us = 0;
  }
  return send_rest (sink, datagrams, count, mode, done, sent, rc, &err);
}

void
gst_mctx_sink_maps_grow (GstMctxSinkMaps * m, gsize n,
    mctx_datagram * datagrams, gsize ndatagrams)
{
  gsize at = 0;

  m->alloc = MAX (n, 2 * m->alloc);
  m->maps = g_renew (GstMapInfo, m->maps, m->alloc);
  m->bufs = g_renew (mctx_buf, m->bufs, m->alloc);
  for (gsize i = 0; i < ndatagrams; i++) {
    datagrams[i].bufs = &m->bufs[at];
    at += datagrams[i].nbufs;
  }
}

void
gst_mctx_sink_maps_clear (GstMctxSinkMaps * m)
{
  g_clear_pointer (&m->maps, g_free);
  g_clear_pointer (&m->bufs, g_free);
  m->alloc = 0;
}

static void
ensure_datagrams (GstMctxSink * sink, gsize n)
{
  if (G_LIKELY (n <= sink->datagrams_alloc))
    return;
  sink->datagrams_alloc = MAX (n, 2 * sink->datagrams_alloc);
  sink->datagrams = g_renew (mctx_datagram, sink->datagrams,
      sink->datagrams_alloc);
}

static void
unmap_bufs (GstMctxSink * sink, gsize n)
{
  for (GstMapInfo * map = sink->maps.maps, *end = map + n; map < end; map++)
    gst_memory_unmap (map->memory, map);
}

/* Serialized with render: at EOS, the gathered buffers go out and the send
 * errors not yet reported are, so the application sees them before it
 * tears the pipeline down. */
static gboolean
gst_mctx_sink_event (GstBaseSink * bsink, GstEvent * event)
{
  GstMctxSink *sink = GST_MCTX_SINK (bsink);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    if (sink->gathering)
      gst_mctx_sink_gather_flush (sink->gathering);
    report_pending_errors (sink);
  }
  gst_mctx_sink_metrics_event (sink, event);
  return GST_BASE_SINK_CLASS (parent_class)->event (bsink, event);
}

/* Whether basesink may wait on the clock before it renders buffer: sync is
 * on, the segment is in time and the buffer has a time (basesink's default
 * get_times takes DTS, else PTS). Whether it will, and how long, also
 * depends on the clock, the base time, the latency, render-delay and
 * ts-offset; rather than redo basesink's sums for every buffer, any buffer
 * it may wait for counts. */
static inline gboolean
sink_may_wait (GstBaseSink * bsink, GstBuffer * buffer)
{
  return bsink->segment.format == GST_FORMAT_TIME
      && GST_CLOCK_TIME_IS_VALID (GST_BUFFER_DTS_OR_PTS (buffer))
      && gst_base_sink_get_sync (bsink);
}

/* Before basesink's clock wait: gathered buffers never sit while the sink
 * waits for a later one. */
static GstFlowReturn
gst_mctx_sink_prepare (GstBaseSink * bsink, GstBuffer * buffer)
{
  GstMctxSink *sink = (GstMctxSink *) bsink;

  if (sink->gathering == NULL
      || !gst_mctx_sink_gather_pending (sink->gathering)
      || !sink_may_wait (bsink, buffer))
    return GST_FLOW_OK;
  GST_LOG_OBJECT (sink, "sending the gathered buffers before a clock wait");
  return gst_mctx_sink_gather_flush (sink->gathering);
}

/* Plain casts on the send path: a checked cast costs more than the rest of
 * the element's work per datagram. */
static GstFlowReturn
gst_mctx_sink_render (GstBaseSink * bsink, GstBuffer * buffer)
{
  GstMctxSink *sink = (GstMctxSink *) bsink;
  guint n, mapped;
  mctx_datagram datagram;
  GstFlowReturn ret;

  if (sink->gathering)
    return gst_mctx_sink_gather_add (sink->gathering, buffer);

  n = gst_buffer_n_memory (buffer);
  if (G_LIKELY (n == 1)) {
    GstMapInfo map;
    mctx_buf buf;

    if (G_UNLIKELY (!gst_memory_map (gst_buffer_peek_memory (buffer, 0), &map,
                GST_MAP_READ))) {
      mapped = 0;
      goto map_failed;
    }
    buf.base = map.data;
    buf.len = map.size;
    datagram.bufs = &buf;
    datagram.nbufs = 1;
    ret = gst_mctx_sink_send (sink, &datagram, 1, GST_MCTX_SINK_SEND_WAIT,
        NULL);
    gst_memory_unmap (map.memory, &map);
    return ret;
  }

  gst_mctx_sink_maps_reserve (&sink->maps, n, NULL, 0);
  for (mapped = 0; mapped < n; mapped++) {
    GstMapInfo *map = &sink->maps.maps[mapped];

    if (!gst_memory_map (gst_buffer_peek_memory (buffer, mapped), map,
            GST_MAP_READ))
      goto map_failed;
    sink->maps.bufs[mapped].base = map->data;
    sink->maps.bufs[mapped].len = map->size;
  }
  datagram.bufs = sink->maps.bufs;
  datagram.nbufs = n;
  ret = gst_mctx_sink_send (sink, &datagram, 1, GST_MCTX_SINK_SEND_WAIT, NULL);
  unmap_bufs (sink, n);
  return ret;

map_failed:
  {
    unmap_bufs (sink, mapped);
    atomic_fetch_add (&sink->packets_dropped, 1);
    GST_ELEMENT_ERROR (sink, RESOURCE, READ, ("Could not read a buffer"),
        ("mapping memory %u of %u failed", mapped, n));
    return GST_FLOW_ERROR;
  }
}

/* One pass maps every memory and builds the datagrams; the arrays are sized
 * for one memory per buffer and grow (rarely, then kept) for more. map and
 * buf run along sink->maps.maps and sink->maps.bufs. */
static GstFlowReturn
gst_mctx_sink_render_list (GstBaseSink * bsink, GstBufferList * list)
{
  GstMctxSink *sink = (GstMctxSink *) bsink;
  guint count = gst_buffer_list_length (list);
  GstMapInfo *map, *map_end;
  mctx_buf *buf;
  mctx_datagram *datagrams;
  gsize mapped;
  GstFlowReturn ret;
  guint i;

  ensure_datagrams (sink, count);
  gst_mctx_sink_maps_reserve (&sink->maps, count, NULL, 0);
  map = sink->maps.maps;
  map_end = map + sink->maps.alloc;
  buf = sink->maps.bufs;
  datagrams = sink->datagrams;

  for (i = 0; i < count; i++) {
    GstBuffer *buffer = gst_buffer_list_get (list, i);
    guint n = gst_buffer_n_memory (buffer);

    if (G_UNLIKELY (n > (gsize) (map_end - map))) {
      mapped = map - sink->maps.maps;
      /* Room for this buffer and one memory for each after it. */
      gst_mctx_sink_maps_grow (&sink->maps, mapped + n + (count - i - 1),
          datagrams, i);
      map = sink->maps.maps + mapped;
      map_end = sink->maps.maps + sink->maps.alloc;
      buf = sink->maps.bufs + mapped;
    }
    datagrams[i].bufs = buf;
    datagrams[i].nbufs = n;
    if (G_LIKELY (n == 1)) {
      if (G_UNLIKELY (!gst_memory_map (gst_buffer_peek_memory (buffer, 0),
                  map, GST_MAP_READ)))
        goto map_failed;
      buf->base = map->data;
      buf->len = map->size;
      map++;
      buf++;
      continue;
    }
    for (guint k = 0; k < n; k++) {
      if (G_UNLIKELY (!gst_memory_map (gst_buffer_peek_memory (buffer, k),
                  map, GST_MAP_READ)))
        goto map_failed;
      buf->base = map->data;
      buf->len = map->size;
      map++;
      buf++;
    }
  }
  mapped = map - sink->maps.maps;

  if (sink->gathering) {
    /* Gathered single buffers came first. */
    ret = gst_mctx_sink_gather_lock_flushed (sink->gathering);
    if (ret == GST_FLOW_OK)
      ret = gst_mctx_sink_send (sink, datagrams, count,
          GST_MCTX_SINK_SEND_WAIT, NULL);
    else
      atomic_fetch_add (&sink->packets_dropped, count);
    gst_mctx_sink_gather_unlock (sink->gathering);
  } else {
    ret = gst_mctx_sink_send (sink, datagrams, count, GST_MCTX_SINK_SEND_WAIT,
        NULL);
  }
  unmap_bufs (sink, mapped);
  return ret;

map_failed:
  {
    unmap_bufs (sink, map - sink->maps.maps);
    atomic_fetch_add (&sink->packets_dropped, count);
    GST_ELEMENT_ERROR (sink, RESOURCE, READ, ("Could not read a buffer"),
        ("mapping buffer %u of a list of %u failed", i, count));
    return GST_FLOW_ERROR;
  }
}
