/* mctxsink's one debug category, "mctxsink", shared by its files
 * (gstmctxsinkdebug.c defines it; class_init registers it, once).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef GST_MCTX_SINK_DEBUG_H
#define GST_MCTX_SINK_DEBUG_H

#include <gst/gst.h>

GST_DEBUG_CATEGORY_EXTERN (gst_mctx_sink_debug);

#endif /* GST_MCTX_SINK_DEBUG_H */
