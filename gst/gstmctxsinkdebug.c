/* mctxsink's debug category: defined here, below every file that logs, so
 * that none of them reaches up to the element for it.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "gstmctxsinkdebug.h"

GST_DEBUG_CATEGORY (gst_mctx_sink_debug);
