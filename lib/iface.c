/* Interface selectors resolved to indexes: the portable half of interface
 * discovery, on top of the platform's lookups (posix/iface.c,
 * win32/iface.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mctx-private.h"

#include <errno.h>
#include <string.h>

/* Its callers (the IPv6 source, the raw bind address) look up a source;
 * mctx__iface_resolve looks up an interface given as an address. */
int
mctx__iface_index_of_addr(const mctx_ip *addr, uint32_t *index, mctx_error *err)
{
  return mctx__iface_index_of(addr, "source address",
                              MCTX_SUBJECT_SOURCE_ADDRESS, index, err);
}

int
mctx__iface_resolve(const mctx_interface *itf, uint32_t *index, mctx_error *err)
{
  if (itf == NULL || index == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no interface or result given");

  switch (itf->kind) {
    case MCTX_INTERFACE_NONE:
      *index = 0;
      return mctx__ok(err);
    case MCTX_INTERFACE_ADDRESS:
      return mctx__iface_index_of(&itf->address, "interface address",
                                  MCTX_SUBJECT_INTERFACE, index, err);
    case MCTX_INTERFACE_INDEX: {
      int rc =
          mctx__iface_index_exists(itf->index, MCTX_SUBJECT_INTERFACE, err);
      if (rc == MCTX_OK)
        *index = itf->index;
      return rc;
    }
    case MCTX_INTERFACE_NAME: {
      int rc = mctx__interface_name_check(itf->name, sizeof itf->name, err);
      if (rc != MCTX_OK)
        return rc;
      /* if_nametoindex's errno says why on POSIX; Windows leaves it 0. */
      errno = 0;
      uint32_t idx = mctx__iface_name_to_index(itf->name);
      if (idx == 0)
        return mctx__fail(err, MCTX_E_INTERFACE_NOT_FOUND,
                          MCTX_SUBJECT_INTERFACE, errno,
                          "interface '%s' does not exist", itf->name);
      *index = idx;
      return mctx__ok(err);
    }
    default:
      return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                        "interface kind %d is not valid", (int) itf->kind);
  }
}

int
mctx_interface_name_to_index(const char *name, uint32_t *index, mctx_error *err)
{
  if (name == NULL || index == NULL)
    return mctx__fail(err, MCTX_E_INVALID_ARGUMENT, MCTX_SUBJECT_ARGUMENT, 0,
                      "no interface name or result given");
  int rc = mctx__interface_name_check(name, strlen(name) + 1, err);
  if (rc != MCTX_OK)
    return rc;
  mctx_interface itf;
  memset(&itf, 0, sizeof itf);
  itf.kind = MCTX_INTERFACE_NAME;
  memcpy(itf.name, name, strlen(name) + 1);
  return mctx__iface_resolve(&itf, index, err);
}
