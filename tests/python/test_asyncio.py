# AsyncPublication: back-pressure from a real full socket buffer, every
# datagram delivered once and in order.
#
# SPDX-License-Identifier: BSD-2-Clause

import asyncio
import struct

import pytest

import mctx
from conftest import sh

COUNT = 300
SIZE = 1000


def test_poll_interval_must_be_positive():
    ctx = mctx.Context()
    pub = ctx.get_publication(ctx.add_publication("239.255.12.36", 5000,
                                                  interface="lo"))
    for bad in (0, -1, float("inf"), float("nan"), "1"):
        with pytest.raises(ValueError):
            mctx.AsyncPublication(pub, poll_interval=bad)


def test_send_without_back_pressure():
    ctx = mctx.Context()
    pub = ctx.get_publication(ctx.add_publication("239.255.12.36", 5000,
                                                  interface="lo"))
    apub = mctx.AsyncPublication(pub)
    assert apub.publication is pub

    async def main():
        report = await apub.send(b"async")
        sent = await apub.send_batch([b"a", b"b"])
        return report, sent

    report, sent = asyncio.run(main())
    assert report.bytes_sent == 5 and sent == 2


def payload(seq):
    return struct.pack("!I", seq) + bytes(SIZE - 4)


@pytest.fixture
def slow_link(netns):
    """A veth to a peer namespace, its queue drained at 8 Mbit/s: a
    publication with a tiny send buffer would-blocks after a few datagrams
    and becomes writable again as the queue drains."""
    ns = netns.peer("aio")
    netns.veth("aioa", ns, "aiob")
    sh("ip addr add 10.53.0.1/24 dev aioa")
    sh(f"ip -n {ns} addr add 10.53.0.2/24 dev aiob")
    if sh("tc qdisc add dev aioa root tbf rate 8mbit burst 3000 "
          "limit 10000000", check=False) != 0:
        pytest.skip("cannot add a tbf qdisc (sch_tbf missing?)")
    return netns, ns


def check_in_order(datagrams, count):
    seqs = [struct.unpack("!I", head[:4])[0] for _, n, head in datagrams]
    assert all(n == SIZE for _, n, _ in datagrams)
    assert seqs == list(range(count))


def test_back_pressure_delivers_all_in_order(slow_link):
    netns, ns = slow_link
    group, port = "239.53.0.1", 46501
    receiver = netns.receive(ns, 2 * COUNT, timeout=20, group=group,
                             port=port, interface="aiob")
    ctx = mctx.Context()
    pub = ctx.get_publication(ctx.add_publication(
        group, port, interface="aioa", send_buffer_size=4096))
    apub = mctx.AsyncPublication(pub)

    async def main():
        # Many tasks at once: whoever comes after a waiting send queues
        # behind it, so the wire order is the order of the calls.
        reports = await asyncio.gather(*(apub.send(payload(i))
                                         for i in range(COUNT)))
        batch = await apub.send_batch([payload(i)
                                       for i in range(COUNT, 2 * COUNT)])
        return reports, batch

    reports, batch = asyncio.run(asyncio.wait_for(main(), 60))
    assert [r.bytes_sent for r in reports] == [SIZE] * COUNT
    assert batch == COUNT
    metrics = pub.metrics_snapshot()
    assert metrics["packets_sent"] == 2 * COUNT
    assert metrics["would_block"] > 0, "the link never pushed back"
    check_in_order(receiver.datagrams(), 2 * COUNT)


def test_a_removed_publication_ends_the_wait(slow_link):
    # 8 kbit/s: the socket stays full for the whole test.
    sh("tc qdisc change dev aioa root tbf rate 8kbit burst 1600 "
       "limit 10000000")
    ctx = mctx.Context()
    pub_id = ctx.add_publication("239.53.0.2", 46502, interface="aioa",
                                 send_buffer_size=4096)
    pub = ctx.get_publication(pub_id)
    apub = mctx.AsyncPublication(pub, poll_interval=0.01)

    async def main():
        with pytest.raises(BlockingIOError):
            for i in range(1000):
                pub.send(payload(i))
        waiting = asyncio.ensure_future(apub.send(payload(0)))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        ctx.remove_publication(pub_id)
        with pytest.raises(mctx.PublicationNotFoundError):
            await asyncio.wait_for(waiting, 5)

    asyncio.run(main())
