/* mctxsink: the element errors for settings that libmctx refused, each
 * naming the property and value at fault (gstmctxsinkerror.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef GST_MCTX_SINK_ERROR_H
#define GST_MCTX_SINK_ERROR_H

#include "gstmctxsinksettings.h"

#include <mctx.h>

G_BEGIN_DECLS

/* The element, as far as its messages go (GST_ELEMENT_ERROR takes any
 * GstElement); the type itself is gstmctxsink.h's. */
typedef struct _GstMctxSink GstMctxSink;

/* Posts the error for a setting that libmctx could not parse. */
void gst_mctx_sink_post_parse_error (GstMctxSink * sink,
    const gchar * property, const gchar * value, int rc,
    const mctx_error * err);

/* Posts the GST_ELEMENT_ERROR for a configuration that libmctx refused (rc,
 * err), naming the property and value at fault. The settings are those the
 * publication was opened with. */
void gst_mctx_sink_post_config_error (GstMctxSink * sink,
    const GstMctxSinkSettings * settings, int rc, const mctx_error * err);

G_END_DECLS

#endif /* GST_MCTX_SINK_ERROR_H */
