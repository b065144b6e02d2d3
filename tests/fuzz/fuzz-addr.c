/* libFuzzer target: address, endpoint and interface parsing (lib/addr.c).
 * The input, cut at its first NUL, goes to each parser; whatever parses
 * must format and parse back to the same value.
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
  char *text = strndup((const char *) data, size);
  char buf[MCTX_ENDPOINT_STRLEN];
  mctx_error err;
  mctx_ip ip, ip_again;
  mctx_endpoint ep, ep_again;
  mctx_interface itf;

  if (text == NULL)
    return 0;
  if (mctx_ip_parse(text, &ip, &err) == MCTX_OK) {
    mctx_ip_format(&ip, buf, sizeof buf);
    if (mctx_ip_parse(buf, &ip_again, &err) != MCTX_OK ||
        !mctx_ip_equal(&ip, &ip_again))
      abort(); /* formatted text that does not read back */
  }
  if (mctx_endpoint_parse(text, &ep, &err) == MCTX_OK) {
    mctx_endpoint_format(&ep, buf, sizeof buf);
    if (mctx_endpoint_parse(buf, &ep_again, &err) != MCTX_OK ||
        !mctx_ip_equal(&ep.ip, &ep_again.ip) || ep.port != ep_again.port)
      abort();
  }
  if (mctx_interface_parse(text, &itf, &err) == MCTX_OK)
    mctx_interface_format(&itf, buf, sizeof buf);
  free(text);
  return 0;
}
