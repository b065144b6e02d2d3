# Multicast receivers for the Python tests: joins by interface index, for
# any-source (MCAST_JOIN_GROUP) or one source (MCAST_JOIN_SOURCE_GROUP),
# IPv4 or IPv6.
#
# SPDX-License-Identifier: BSD-2-Clause

import socket
import struct

MCAST_JOIN_GROUP = 42
MCAST_JOIN_SOURCE_GROUP = 46
_SOCKADDR_STORAGE = 128


def _sockaddr(family, addr):
    if family == socket.AF_INET:
        raw = struct.pack("=H2x4s", socket.AF_INET,
                          socket.inet_pton(socket.AF_INET, addr))
    else:
        raw = struct.pack("=H2xI16sI", socket.AF_INET6, 0,
                          socket.inet_pton(socket.AF_INET6, addr), 0)
    return raw.ljust(_SOCKADDR_STORAGE, b"\0")


def receiver(group, interface, source=None, port=0, rcvbuf=None):
    """A UDP socket bound to group:port (0: any free port) and joined on
    interface (a name); with source, only that source's datagrams arrive.
    Returns (socket, port)."""
    family = socket.AF_INET6 if ":" in group else socket.AF_INET
    level = socket.IPPROTO_IPV6 if family == socket.AF_INET6 else socket.IPPROTO_IP
    sock = socket.socket(family, socket.SOCK_DGRAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, 33, rcvbuf)  # SO_RCVBUFFORCE
    # An IPv6 group of small scope cannot be bound without a scope id.
    sock.bind((group if family == socket.AF_INET else "::", port))
    index = socket.if_nametoindex(interface)
    # struct group_req / group_source_req: the index, padding to 8, then
    # sockaddr_storage(s).
    req = struct.pack("=I4x", index) + _sockaddr(family, group)
    if source is None:
        sock.setsockopt(level, MCAST_JOIN_GROUP, req)
    else:
        sock.setsockopt(level, MCAST_JOIN_SOURCE_GROUP,
                        req + _sockaddr(family, source))
    return sock, sock.getsockname()[1]
