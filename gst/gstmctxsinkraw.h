/* mctxsink raw mode: every buffer is one complete IPv4 or IPv6 datagram,
 * sent through libmctx raw publications (gstmctxsinkraw.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef GST_MCTX_SINK_RAW_H
#define GST_MCTX_SINK_RAW_H

#include "gstmctxsinksettings.h"

#include <mctx.h>

G_BEGIN_DECLS

typedef struct _GstMctxSinkRaw GstMctxSinkRaw;

/* Opens the raw publications the settings call for, with source-addr and
 * interface as parsed (each used when set). On failure posts the
 * GST_ELEMENT_ERROR (RESOURCE, NOT_AUTHORIZED without CAP_NET_RAW) on
 * element and returns NULL. describe (at least MCTX_ENDPOINT_STRLEN bytes)
 * gets the text warnings use for where the datagrams go. */
GstMctxSinkRaw *gst_mctx_sink_raw_open (GstElement * element,
    const GstMctxSinkSettings * settings, const mctx_ip * source,
    const mctx_interface * iface, gchar * describe, gsize size);

void gst_mctx_sink_raw_close (GstMctxSinkRaw * raw);

/* The values of the raw-validation property: libmctx's
 * mctx_raw_validation. */
#define GST_TYPE_MCTX_SINK_RAW_VALIDATION \
  (gst_mctx_sink_raw_validation_get_type ())
GType gst_mctx_sink_raw_validation_get_type (void);

/* Sends d[0] and the datagrams after it of the same IP version (each in
 * one buffer or several, never gathered) as one libmctx batch through the
 * publication of that version, or the only one (which then refuses them,
 * like any datagram that fails libmctx's checks, and counts it). *sent
 * gets how many went; MCTX_OK with *sent < count when the version
 * changes, else the code of d[*sent]. Streaming thread only. */
int gst_mctx_sink_raw_send (GstMctxSinkRaw * raw, const mctx_datagram * d,
    gsize count, size_t * sent, mctx_error * err);

/* The counters of the publications added up. Any thread, with raw kept
 * alive by the caller (the sender's lock). */
void gst_mctx_sink_raw_metrics (const GstMctxSinkRaw * raw,
    mctx_metrics * out);

G_END_DECLS

#endif /* GST_MCTX_SINK_RAW_H */
