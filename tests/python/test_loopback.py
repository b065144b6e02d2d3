# Sends through lo received by real sockets: reports, properties, batches.
#
# SPDX-License-Identifier: BSD-2-Clause

import array
import select
import socket

import pytest

import mctx
from mcast import receiver

GROUP = "239.255.12.34"


def recv(sock, timeout=2.0):
    assert select.select([sock], [], [], timeout)[0], "nothing received"
    return sock.recvfrom(65536)


def test_context_send_is_received_with_the_reported_source():
    sock, port = receiver(GROUP, "lo")
    ctx = mctx.Context()
    pub_id = ctx.add_publication(GROUP, port, interface="lo")
    assert pub_id == 1 and ctx.publication_count() == 1
    assert repr(ctx) == "Context(publication_count=1)"

    report = ctx.send(pub_id, b"hello")
    data, (src, src_port) = recv(sock)
    assert data == b"hello"
    assert report.publication_id == pub_id
    assert report.bytes_sent == 5
    assert report.destination == (GROUP, port)
    assert (report.destination_addr, report.destination_port) == (GROUP, port)
    assert report.destination_scope_id is None
    assert report.local_addr == (src, src_port)
    assert report.source_addr == src

    pub = ctx.get_publication(pub_id)
    assert pub.local_addr() == (src, src_port)
    assert pub.source_addr() == src
    assert pub.announce_tuple() == (src, GROUP, port)


def test_publication_properties():
    ctx = mctx.Context()
    pub = ctx.get_publication(ctx.add_publication(
        GROUP, 40001, source="127.0.0.1", source_port=40002, interface="lo",
        ttl=3, loopback=False))
    assert (pub.id, pub.group, pub.dst_port, pub.family) == (1, GROUP, 40001,
                                                             "ipv4")
    assert pub.configured_source_addr == "127.0.0.1"
    assert pub.source_port == 40002
    assert pub.outgoing_interface == "lo"
    assert pub.outgoing_interface_index == socket.if_nametoindex("lo")
    assert (pub.ttl, pub.loopback) == (3, False)
    assert pub.destination == (GROUP, 40001)
    assert pub.destination_scope_id is None
    assert pub.local_addr() == ("127.0.0.1", 40002)
    assert isinstance(pub.fileno(), int) and pub.fileno() >= 0


def test_bind_sets_source_and_port():
    ctx = mctx.Context()
    pub = ctx.get_publication(ctx.add_publication(
        GROUP, 40001, bind="127.0.0.1:40003", interface="lo"))
    assert (pub.configured_source_addr, pub.source_port) == ("127.0.0.1",
                                                             40003)


def test_take_and_remove():
    sock, port = receiver(GROUP, "lo")
    ctx = mctx.Context()
    first = ctx.add_publication(GROUP, port, interface="lo")
    second = ctx.add_publication(GROUP, port, interface="lo", ttl=2)
    view = ctx.get_publication(first)
    taken = ctx.take_publication(first)
    assert ctx.publication_count() == 1 and not ctx.contains_publication(first)
    with pytest.raises(mctx.PublicationNotFoundError):
        view.send(b"gone")
    assert "removed" in repr(view)

    taken.send(b"taken")
    assert recv(sock)[0] == b"taken"
    assert taken.id == first

    assert ctx.remove_publication(second) is True
    assert ctx.remove_publication(second) is False
    assert ctx.publication_count() == 0
    metrics = ctx.metrics_snapshot()
    assert metrics["publications_added"] == 2
    assert metrics["publications_removed"] == 2
    assert metrics["active_publications"] == 0

    taken.remove()
    with pytest.raises(mctx.PublicationNotFoundError):
        taken.fileno()


def test_send_batch_takes_any_buffer_in_order():
    sock, port = receiver(GROUP, "lo")
    ctx = mctx.Context()
    pub = ctx.get_publication(ctx.add_publication(GROUP, port, interface="lo"))
    big = bytearray(b"0123456789")
    grows = bytearray(b"bytearray")
    payloads = [b"bytes", grows, memoryview(big)[2:6],
                array.array("B", b"array"), b"", b"last"]
    assert pub.send_batch(payloads) == len(payloads)
    sent = [bytes(p) for p in payloads]
    assert [recv(sock)[0] for _ in payloads] == sent
    # The batch released its views: the bytearray may change size again.
    grows.extend(b"more")

    assert ctx.send_batch(pub.id, iter([b"a", b"b"])) == 2
    assert [recv(sock)[0] for _ in range(2)] == [b"a", b"b"]

    metrics = pub.metrics_snapshot()
    assert metrics["packets_sent"] == len(payloads) + 2
    assert metrics["bytes_sent"] == sum(map(len, sent)) + 2
    assert metrics["send_errors"] == 0
    assert "publications_added" not in metrics


def test_send_batch_refuses_what_is_no_contiguous_buffer():
    ctx = mctx.Context()
    pub = ctx.get_publication(ctx.add_publication(GROUP, 40001, interface="lo"))
    with pytest.raises(TypeError):
        pub.send_batch([b"ok", "text is not bytes"])
    with pytest.raises(BufferError):
        pub.send_batch([memoryview(b"abcdef")[::2]])
    with pytest.raises(TypeError):
        pub.send_batch(42)
    with pytest.raises(TypeError):
        pub.send("text")
    # Nothing was sent by a refused batch.
    assert pub.metrics_snapshot()["send_calls"] == 0


def test_ipv6_source_on_lo(private_netns):
    group = "ff31::8000:1234"
    sock, port = receiver(group, "lo")
    ctx = mctx.Context()
    pub = ctx.get_publication(ctx.add_publication(group, port, source="::1",
                                                  interface="lo"))
    report = pub.send(b"six")
    data, addr = recv(sock)
    assert data == b"six" and addr[0] == "::1"
    assert pub.family == "ipv6"
    assert report.destination == (group, port)
    assert report.destination_scope_id == socket.if_nametoindex("lo")
    assert report.source_addr == "::1"
    assert pub.local_scope_id() == 0
