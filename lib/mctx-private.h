/* libmctx internals shared between the library's own files. Not installed.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_PRIVATE_H
#define MCTX_PRIVATE_H

#include "mctx.h"

#include <stdarg.h>
#include <stdatomic.h>

#if defined(__GNUC__)
#  define MCTX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#  define MCTX_PRINTF(f, a)
#endif

/* ---- errors (error.c) ---------------------------------------------------- */

/* Fills err (when not NULL) and returns code, so callers can write
 * `return mctx__fail(err, MCTX_E_..., 0, "group %s is ...", text);`. */
int mctx__fail(mctx_error *err, int code, int sys_errno, const char *fmt, ...)
    MCTX_PRINTF(4, 5);

/* Resets err to MCTX_OK (when not NULL); returns MCTX_OK. */
int mctx__ok(mctx_error *err);

/* ---- interface discovery (iface_posix.c) --------------------------------- */

/* Index of the single interface that carries exactly this address
 * (getifaddrs). MCTX_E_INTERFACE_DISCOVERY_FAILED when no interface has it or
 * when two different interfaces do ("ambiguous"). */
int mctx__iface_index_of_addr(const mctx_ip *addr, uint32_t *index,
                              mctx_error *err);

/* Checks that an interface index exists. MCTX_E_INTERFACE_NOT_FOUND if not. */
int mctx__iface_index_exists(uint32_t index, mctx_error *err);

/* Resolves any selector to an index: ADDRESS via mctx__iface_index_of_addr,
 * INDEX checked for existence, NAME via if_nametoindex. NONE gives 0. */
int mctx__iface_resolve(const mctx_interface *itf, uint32_t *index,
                        mctx_error *err);

/* The first IPv4 address of an interface (for IP_MULTICAST_IF by address
 * where ip_mreqn is missing, and for raw IPv4 binding). */
int mctx__iface_first_ipv4(uint32_t index, mctx_ip *out, mctx_error *err);

/* ---- metrics (metrics.c) -------------------------------------------------- */

/* Counters updated by the send path without a lock: a writer makes the
 * sequence odd (compare-and-swap, so concurrent writers serialise), updates,
 * and makes it even again; readers retry until they see one even value
 * before and after. */
typedef struct mctx_metrics_cell {
  _Atomic uint64_t seq;
  _Atomic uint64_t send_calls;
  _Atomic uint64_t packets_sent;
  _Atomic uint64_t bytes_sent;
  _Atomic uint64_t send_errors;
  _Atomic uint64_t would_block;
} mctx_metrics_cell;

void mctx__metrics_cell_init(mctx_metrics_cell *cell);

/* Adds one send call's worth (or a batch's) in one coherent step. */
void mctx__metrics_record(mctx_metrics_cell *cell, uint64_t calls,
                          uint64_t packets, uint64_t bytes, uint64_t errors,
                          uint64_t would_block);

/* Coherent read of the five counters (timestamps filled too). */
void mctx__metrics_read(const mctx_metrics_cell *cell,
                        mctx_publication_metrics *out);

/* ---- publication internals used by context.c and metrics.c ---------------- */

/* Set by context.c when it adopts / releases a publication. */
void mctx__publication_set_id(mctx_publication *pub, mctx_publication_id id);
const mctx_metrics_cell *mctx__publication_metrics(const mctx_publication *pub);

/* ---- context internals used by metrics.c --------------------------------- */

/* Fills the counters of *out (added, removed, active and the send totals,
 * removed publications included) under the context's mutex; leaves the
 * timestamps to the caller. */
void mctx__context_totals(const mctx_context *ctx, mctx_context_metrics *out);

#endif /* MCTX_PRIVATE_H */
