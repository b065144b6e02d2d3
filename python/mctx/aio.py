"""asyncio sending: wait for writability after a would-block, in order."""
# SPDX-License-Identifier: BSD-2-Clause

import asyncio
import math
import os

__all__ = ["AsyncPublication"]


class AsyncPublication:
    """Sends on a publication from asyncio code.

    send() tries the publication first; only after a would-block
    (BlockingIOError) does it wait until the socket is writable, with the
    loop's add_writer on a dup() of the socket (so a publication removed
    meanwhile leaves nothing registered), waking at least every
    poll_interval seconds. Loops without add_writer (Windows' proactor) just
    sleep poll_interval. Sends complete in the order they were called: once
    one waits, later ones queue behind it.
    """

    def __init__(self, publication, *, loop=None, poll_interval=0.001):
        if not (isinstance(poll_interval, (int, float))
                and math.isfinite(poll_interval) and poll_interval > 0):
            raise ValueError("poll_interval must be a finite number > 0")
        self._publication = publication
        self._loop = loop
        self._poll_interval = poll_interval
        self._order = asyncio.Lock()

    @property
    def publication(self):
        return self._publication

    async def send(self, payload):
        """Sends one datagram; returns its SendReport."""
        if not self._order.locked():
            try:
                return self._publication.send(payload)
            except BlockingIOError:
                pass
        async with self._order:
            while True:
                try:
                    return self._publication.send(payload)
                except BlockingIOError:
                    await self._writable()

    async def send_batch(self, payloads):
        """Sends every payload (bytes-like, not copied), waiting whenever
        the socket is full; returns how many were sent (all of them)."""
        payloads = payloads if isinstance(payloads, (list, tuple)) \
            else list(payloads)
        done = 0
        if not self._order.locked():
            try:
                return self._publication.send_batch(payloads)
            except BlockingIOError as e:
                done = e.sent
        async with self._order:
            while done < len(payloads):
                try:
                    done += self._publication.send_batch(payloads[done:])
                except BlockingIOError as e:
                    done += e.sent
                    await self._writable()
        return done

    async def _writable(self):
        loop = self._loop or asyncio.get_running_loop()
        try:
            fd = os.dup(self._publication.fileno())
        except OSError:
            await asyncio.sleep(self._poll_interval)
            return
        ready = loop.create_future()
        try:
            loop.add_writer(fd, _set_done, ready)
        except NotImplementedError:
            os.close(fd)
            await asyncio.sleep(self._poll_interval)
            return
        try:
            await asyncio.wait([ready], timeout=self._poll_interval)
        finally:
            loop.remove_writer(fd)
            os.close(fd)


def _set_done(future):
    if not future.done():
        future.set_result(None)
