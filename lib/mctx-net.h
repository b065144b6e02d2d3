/* The system's socket headers, for libmctx's files that are portable but
 * need socket types or address conversions (addr.c, socket_plan.c). Not
 * installed.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MCTX_NET_H
#define MCTX_NET_H

#if defined(_WIN32)
/* Vista's API: inet_pton, inet_ntop, if_nametoindex, WSASendMsg. */
#  if !defined(_WIN32_WINNT) || _WIN32_WINNT < 0x0600
#    undef _WIN32_WINNT
#    define _WIN32_WINNT 0x0600
#  endif
#  include <winsock2.h>
#  include <ws2tcpip.h>
#  include <iphlpapi.h>
/* objbase.h's COM keyword; mctx's configs have a field of that name. */
#  undef interface
#else
#  include <arpa/inet.h>
#  include <net/if.h>
#  include <netinet/in.h>
#  include <sys/socket.h>
#endif

#endif /* MCTX_NET_H */
