"""mctx: multicast UDP senders (libmctx) for Python.

The API follows mctx-core-py: Context, Publication, SendReport and
AsyncPublication, plus send_batch() (bytes-like payloads, never copied) and
metrics_snapshot(). See docs/python.md.
"""
# SPDX-License-Identifier: BSD-2-Clause

from ._errors import (
    ConfigError,
    Error,
    InterfaceError,
    PublicationNotFoundError,
    QueueFullError,
    SocketError,
    WouldBlockError,
)
from ._mctx import *  # noqa: F401,F403 (Context, Publication, SendReport, E_*)
from ._mctx import Context, Publication, SendReport, libmctx_version
from .aio import AsyncPublication

__version__ = libmctx_version
