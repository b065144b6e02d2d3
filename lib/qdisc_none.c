/* The egress qdisc where there is no rtnetlink: unknown, so
 * MCTX_GSO_AUTO sends without GSO and queue_drops stays 0.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx-private.h"

#include <string.h>

int
mctx__qdisc_read(uint32_t ifindex, mctx__qdisc_info *out)
{
  (void) ifindex;
  memset(out, 0, sizeof *out);
  return -1;
}

int
mctx__route_egress(const mctx_ip *destination, uint32_t *index)
{
  (void) destination;
  *index = 0;
  return -1;
}
