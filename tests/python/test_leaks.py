# No reference or memory leaks over 100,000 sends: successful sends and
# batches, the failing paths (exceptions) and the report's properties.
#
# SPDX-License-Identifier: BSD-2-Clause

import gc
import sys
import tracemalloc

import mctx

SENDS = 100_000


def exercise(ctx, pub_id, pub, payload, batch, rounds):
    for i in range(rounds):
        report = pub.send(payload)
        if i % 10 == 0:
            ctx.send(pub_id, payload).destination  # noqa: B018
            report.local_addr  # noqa: B018
        if i % 100 == 0:
            pub.send_batch(batch)
            try:
                ctx.send(pub_id + 1000, payload)
            except mctx.PublicationNotFoundError:
                pass
            try:
                pub.send_batch([payload, "not bytes"])
            except TypeError:
                pass
            pub.metrics_snapshot()


def test_no_leaks_over_100000_sends():
    ctx = mctx.Context()
    pub_id = ctx.add_publication("239.255.12.37", 5000, interface="lo",
                                 loopback=False)
    pub = ctx.get_publication(pub_id)
    payload = bytes(64)
    batch = [payload, bytearray(32), memoryview(payload)]
    exercise(ctx, pub_id, pub, payload, batch, 1000)  # caches, free lists

    gc.collect()
    payload_refs = sys.getrefcount(payload)
    objects = len(gc.get_objects())
    total_refs = getattr(sys, "gettotalrefcount", lambda: 0)()
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()

    exercise(ctx, pub_id, pub, payload, batch, SENDS)

    gc.collect()
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert sys.getrefcount(payload) == payload_refs
    assert len(gc.get_objects()) - objects < 100
    # One leaked object per send would be megabytes.
    assert after - before < 64 * 1024, f"{after - before} bytes more"
    if hasattr(sys, "gettotalrefcount"):
        assert sys.gettotalrefcount() - total_refs < 100
    assert pub.metrics_snapshot()["packets_sent"] >= SENDS
