/* libFuzzer target: the checks of a caller's raw IPv4/IPv6 datagram
 * (lib/raw_datagram.c), on any bytes of any length.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mctx.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* A copy of exactly size bytes, so that ASan sees any read past the end. */
  uint8_t *datagram = malloc(size ? size : 1);
  mctx_raw_datagram_info info;
  mctx_error err;

  if (datagram == NULL)
    return 0;
  memcpy(datagram, data, size);
  if (mctx_raw_datagram_check(datagram, size, &info, &err) == MCTX_OK &&
      info.header_len > size)
    abort(); /* a header longer than the datagram passed the checks */
  free(datagram);
  return 0;
}
