/* Winsock's start and stop, and its error codes.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * WSAStartup counts its callers itself, so each user (a context, a
 * publication) starts it and cleans it up once: no global state of ours.
 */
#include "win32/winsock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int
mctx__platform_acquire(mctx_error *err)
{
  WSADATA data;
  int rc = WSAStartup(MAKEWORD(2, 2), &data);
  if (rc != 0) {
    char text[128];
    return mctx__fail(err, MCTX_E_SOCKET_CREATE_FAILED, MCTX_SUBJECT_SOCKET,
                      mctx__win32_errno(rc), "WSAStartup failed: %s",
                      mctx__win32_error_text(rc, text, sizeof text));
  }
  return mctx__ok(err);
}

void
mctx__platform_release(void)
{
  WSACleanup();
}

int
mctx__win32_errno(int wsa_error)
{
  switch (wsa_error) {
    case WSAEWOULDBLOCK:
      return EWOULDBLOCK;
    case WSAENOBUFS:
      return ENOBUFS;
    case WSAEMSGSIZE:
      return EMSGSIZE;
    case WSAEINTR:
      return EINTR;
    case WSAEINVAL:
      return EINVAL;
    case WSAEACCES:
      return EACCES;
    case WSAEADDRINUSE:
      return EADDRINUSE;
    case WSAEADDRNOTAVAIL:
      return EADDRNOTAVAIL;
    case WSAENETUNREACH:
      return ENETUNREACH;
    case WSAEHOSTUNREACH:
      return EHOSTUNREACH;
    case WSAEAFNOSUPPORT:
      return EAFNOSUPPORT;
    case WSAENOTSOCK:
      return ENOTSOCK;
    case WSAENOPROTOOPT:
      return ENOPROTOOPT;
    case WSAEPROTONOSUPPORT:
      return EPROTONOSUPPORT;
    case WSAEOPNOTSUPP:
      return EOPNOTSUPP;
    case WSAECONNREFUSED:
      return ECONNREFUSED;
    case WSAENOTCONN:
      return ENOTCONN;
    default:
      return wsa_error;
  }
}

const char *
mctx__win32_error_text(int wsa_error, char *buf, size_t size)
{
  DWORD n =
      FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                     NULL, (DWORD) wsa_error, 0, buf, (DWORD) size, NULL);
  /* The table's texts end in ".\r\n"; a message goes on after them. */
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
                   buf[n - 1] == '.' || buf[n - 1] == ' '))
    buf[--n] = '\0';
  if (n == 0)
    snprintf(buf, size, "Winsock error %d", wsa_error);
  return buf;
}

int
mctx__win32_last_error(char *buf, size_t size)
{
  int e = WSAGetLastError();
  mctx__win32_error_text(e, buf, size);
  return mctx__win32_errno(e);
}
