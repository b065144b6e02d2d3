# The exceptions of the mctx module, one class per kind of failure.
#
# SPDX-License-Identifier: BSD-2-Clause
#
# Each class also derives from the builtin exception mctx-core-py raises for
# the same failure (ValueError, LookupError, RuntimeError, OSError,
# BlockingIOError), so code written against it keeps catching them. The C
# part calls make_error() with libmctx's code, subject, errno and message.

import errno as _errno

__all__ = [
    "Error",
    "ConfigError",
    "InterfaceError",
    "PublicationNotFoundError",
    "SocketError",
    "WouldBlockError",
    "QueueFullError",
]

_SUBJECT_PREFIX = "MCTX_SUBJECT_"


class Error(Exception):
    """A failure libmctx reports.

    code: the mctx_code (a negative int; compare with mctx.E_*).
    subject: what it is about, libmctx's subject in lower case ("group",
        "destination_port", "source_address", "interface", "socket", ...).
    message: libmctx's text, naming the offending value (for people).
    sys_errno: errno of the failing system call, 0 if none.
    sent: for send_batch, how many datagrams went out before this one;
        None otherwise.
    """

    def __init__(self, code, subject, message, sys_errno=0, sent=None):
        self.code = code
        self.subject = subject
        self.message = message
        self.sys_errno = sys_errno
        self.sent = sent
        super().__init__(*self._builtin_args())

    def _builtin_args(self):
        return (self.message,)

    @property
    def code_name(self):
        """The symbolic name of the code ("E_INTERFACE_NOT_FOUND")."""
        from . import _mctx

        for name in dir(_mctx):
            if name.startswith("E_") and getattr(_mctx, name) == self.code:
                return name
        return "E_UNKNOWN"


class ConfigError(Error, ValueError):
    """The settings are wrong: a value, a combination, a duplicate."""


class InterfaceError(Error, RuntimeError):
    """The outgoing interface (or the interface of an address) was not
    found, or not found unambiguously."""


class PublicationNotFoundError(Error, LookupError):
    """No publication with that id (never added, removed or taken)."""


class SocketError(Error, OSError):
    """The system refused: a socket call or a send failed. errno is set."""

    def _builtin_args(self):
        return (self.sys_errno, self.message)


class WouldBlockError(SocketError, BlockingIOError):
    """The socket's send buffer is full; nothing was queued. Wait until
    fileno() is writable and send again (mctx.aio does)."""


class QueueFullError(SocketError):
    """The local queue (a qdisc) refused the datagram (ENOBUFS); nothing was
    sent. Send again later or drop it."""


class _OutOfMemoryError(Error, MemoryError):
    pass


def _class_for(code):
    from . import _mctx as m

    if code == m.E_WOULD_BLOCK:
        return WouldBlockError
    if code == m.E_QUEUE_FULL:
        return QueueFullError
    if code == m.E_PUBLICATION_NOT_FOUND:
        return PublicationNotFoundError
    if code in (m.E_INTERFACE_NOT_FOUND, m.E_INTERFACE_DISCOVERY_FAILED):
        return InterfaceError
    if code == m.E_NO_MEMORY:
        return _OutOfMemoryError
    if m.E_SEND_FAILED <= code <= m.E_SOCKET_CREATE_FAILED or code in (
        m.E_RAW_PERMISSION_DENIED,
        m.E_RAW_UNSUPPORTED_LINK_TYPE,
        m.E_RAW_UNSUPPORTED,
    ):
        return SocketError
    return ConfigError


def make_error(code, subject_name, message, sys_errno, sent):
    """The exception for libmctx's error details (called from C)."""
    subject = subject_name
    if subject.startswith(_SUBJECT_PREFIX):
        subject = subject[len(_SUBJECT_PREFIX):].lower()
    cls = _class_for(code)
    if cls is QueueFullError and sys_errno == 0:
        sys_errno = _errno.ENOBUFS
    return cls(code, subject, message, sys_errno, sent)
