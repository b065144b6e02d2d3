/* What lib/win32/'s files share: Winsock's headers, and its error codes
 * turned into libmctx's errno values and texts. Not installed.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_WIN32_WINSOCK_H
#define MCTX_WIN32_WINSOCK_H

#include "mctx-private.h"
#include "mctx-net.h"

/* libmctx keeps sockets in an int, as GLib's GSocket does: a SOCKET is a
 * kernel handle, and Windows documents that only its low 32 bits are
 * significant (handles are shared with 32-bit processes). */
#define MCTX__SOCKET(fd) ((SOCKET) (intptr_t) (fd))

/* The errno value for a Winsock error, where errno.h has one
 * (WSAEWOULDBLOCK -> EWOULDBLOCK, WSAENOBUFS -> ENOBUFS, ...), so that
 * mctx_error.sys_errno and the transient codes mean the same on every
 * platform; other codes stay Winsock's (10000 and up). */
int mctx__win32_errno(int wsa_error);

/* The last Winsock error as mctx__win32_errno gives it, and its text (from
 * the system's message table, "Winsock error N" without one) in buf. */
int mctx__win32_last_error(char *buf, size_t size);

/* The text of a Winsock error code. */
const char *mctx__win32_error_text(int wsa_error, char *buf, size_t size);

#endif /* MCTX_WIN32_WINSOCK_H */
