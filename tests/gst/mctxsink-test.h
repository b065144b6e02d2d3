/* Helpers for the mctxsink tests: real receivers (sockets, udpsrc) and an
 * "appsrc ! mctxsink" sender.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTXSINK_TEST_H
#define MCTXSINK_TEST_H

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsrc.h>
#include <gio/gio.h>

#include "mcast-recv.h"
#include "testnet.h"

#include <stdint.h>
#include <sys/types.h>

/* Number of open descriptors of this process. */
int mst_count_fds (void);

/* An IPv4 UDP socket bound to group:port, with a large receive buffer, and
 * joined to the group on the interface ifname. Fails the test on error.
 * Other receivers and mcast_recv_within come from mcast-recv.h. */
int mst_udp4_receiver (const char *group, uint16_t port, const char *ifname);

/* Collects datagrams from a socket on its own thread, so the socket's
 * receive buffer never overflows while the test pushes. */
typedef struct MstCollector MstCollector;
MstCollector *mst_collector_start (int fd);
/* Waits until `count` datagrams arrived or timeout_ms passed without one,
 * stops the thread and returns them (GBytes each; free with
 * g_ptr_array_unref). The socket stays open. */
GPtrArray *mst_collector_finish (MstCollector * c, guint count,
    int timeout_ms);
/* Datagrams so far (any thread). */
guint mst_collector_count (MstCollector * c);

/* "appsrc ! mctxsink <props>", PLAYING. */
typedef struct
{
  GstElement *pipeline;
  GstElement *src;
  GstElement *sink;
} MstSender;

void mst_sender_start (MstSender * s, const char *sink_props);
void mst_sender_push (MstSender * s, GstBuffer * buffer);
void mst_sender_push_list (MstSender * s, GstBufferList * list);
/* EOS, then waits (bounded) for it to come out; fails on an error. Leaves the
 * pipeline PLAYING so stats can be read; mst_sender_free sets it NULL. */
void mst_sender_finish (MstSender * s);
void mst_sender_free (MstSender * s);

/* Gets the guint64 field of mctxsink's send-stats. */
guint64 mst_stat (GstElement * sink, const char *field);

/* Starts a lone mctxsink configured by props (gst_util_set_object_arg
 * "name=value" pairs separated by spaces) and returns the text of the error
 * it posted (g_free), or NULL if it started. */
gchar *mst_start_error (const char *props);

/* Sets "name=value name=value ..." on an object. */
void mst_set_props (GstElement * e, const char *props);

/* A buffer whose memories are the given strings (NULL-terminated list). */
GstBuffer *mst_buffer_of_strings (const char *first, ...) G_GNUC_NULL_TERMINATED;

/* A test's main: as root in a private network namespace, else in the
 * current one (sending through lo only); runs the suite that make_suite
 * returns (gst_check_run_suite) and gives the exit status. */
int mst_main_private_netns (int *argc, char ***argv,
    Suite * (*make_suite) (void), const char *name, const char *file);

/* Monotonic milliseconds. */
double mst_now_ms (void);

/* For the veth tests (call before gst_check_init): a private namespace, a
 * peer namespace "name" and a veth pair tx_if (here, with source6) to rx_if
 * (there, with receiver6), IPv6 addresses without DAD. Skips (exit 77, with
 * the reason) without root or without `tc`. Returns the peer's name. */
const char *mst_veth_link_or_skip (const char *name, const char *tx_if,
    const char *source6, const char *rx_if, const char *receiver6);

/* A socket in namespace ns joined for (source, group) on rx_if there, with a
 * large receive buffer. */
int mst_ssm_receiver (const char *ns, const char *rx_if, const char *group,
    const char *source, uint16_t port);

/* A buffer of size bytes that starts with its number i ("%06d"). */
GstBuffer *mst_numbered_buffer (int i, gsize size);

/* got (from mst_collector_finish) is exactly count datagrams of size bytes,
 * numbered 0..count-1 in order. */
void mst_check_numbered (GPtrArray * got, int count, gsize size);
/* The same, numbered first..first+count-1. */
void mst_check_numbered_from (GPtrArray * got, int first, int count,
    gsize size);

#endif
