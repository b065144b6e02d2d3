/* The "mctx" GStreamer plugin.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "gstmctxsink.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (mctxsink, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, mctx,
    "Multicast sending through libmctx", plugin_init, VERSION, GST_LICENSE,
    GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
