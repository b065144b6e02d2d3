# Every exception class, raised by what a user really does wrong (or by a
# shaped veth that really fills up), with libmctx's code, subject and text.
#
# SPDX-License-Identifier: BSD-2-Clause

import errno
import threading

import pytest

import mctx
from conftest import sh

GROUP = "239.255.12.35"


def add(ctx, *args, **kwargs):
    kwargs.setdefault("interface", "lo")
    return ctx.add_publication(*args, **kwargs)


def test_config_errors_name_the_setting_and_value():
    ctx = mctx.Context()
    with pytest.raises(mctx.ConfigError) as info:
        add(ctx, "10.1.2.3", 5000)
    e = info.value
    assert isinstance(e, ValueError) and isinstance(e, mctx.Error)
    assert (e.code, e.code_name, e.subject) == (
        mctx.E_INVALID_MULTICAST_GROUP, "E_INVALID_MULTICAST_GROUP", "group")
    assert str(e) == e.message == "group 10.1.2.3 is not a multicast address"
    assert e.sys_errno == 0 and e.sent is None

    with pytest.raises(mctx.ConfigError) as info:
        add(ctx, GROUP, 0)
    assert info.value.code == mctx.E_INVALID_DESTINATION_PORT
    assert info.value.subject == "destination_port"

    with pytest.raises(mctx.ConfigError) as info:
        add(ctx, "not-an-address", 5000)
    assert info.value.code == mctx.E_INVALID_ARGUMENT
    assert "not-an-address" in str(info.value)

    with pytest.raises(mctx.ConfigError) as info:
        add(ctx, GROUP, 5000, bind="127.0.0.1:5001", source="127.0.0.1")
    assert info.value.subject == "source_address"

    with pytest.raises(mctx.ConfigError) as info:
        add(ctx, GROUP, 5000, interface_index=1)
    assert info.value.subject == "interface"

    with pytest.raises(mctx.ConfigError) as info:
        add(ctx, GROUP, 70000)
    assert str(info.value) == "destination port 70000 is not valid (1..65535)"

    add(ctx, GROUP, 5000)
    with pytest.raises(mctx.ConfigError) as info:
        add(ctx, GROUP, 5000)
    assert info.value.code == mctx.E_DUPLICATE_PUBLICATION


def test_interface_error():
    with pytest.raises(mctx.InterfaceError) as info:
        mctx.Context().add_publication(GROUP, 5000, interface="nosuch0")
    e = info.value
    assert isinstance(e, RuntimeError)
    assert (e.code, e.subject) == (mctx.E_INTERFACE_NOT_FOUND, "interface")
    assert "nosuch0" in str(e)


def test_publication_not_found():
    ctx = mctx.Context()
    for call in (lambda: ctx.get_publication(7),
                 lambda: ctx.take_publication(7),
                 lambda: ctx.send(7, b"x"),
                 lambda: ctx.send_batch(-1, [b"x"])):
        with pytest.raises(mctx.PublicationNotFoundError) as info:
            call()
        assert isinstance(info.value, LookupError)
        assert info.value.subject == "publication"
    assert str(info.value) == "no publication with id 0"


def test_socket_error_keeps_the_errno():
    with pytest.raises(mctx.SocketError) as info:
        mctx.Context().add_publication(GROUP, 5000, source="192.0.2.1",
                                       interface="lo")
    e = info.value
    assert isinstance(e, OSError)
    assert e.errno == e.sys_errno == errno.EADDRNOTAVAIL
    assert e.subject == "source_address" and "192.0.2.1" in e.message

    ctx = mctx.Context()
    pub = ctx.get_publication(add(ctx, GROUP, 5000))
    with pytest.raises(mctx.SocketError) as info:
        pub.send(bytes(70000))
    assert info.value.code == mctx.E_SEND_FAILED
    assert info.value.errno == errno.EMSGSIZE


def shaped_link(netns, name, qdisc):
    ns = netns.peer(name)
    netns.veth(name + "a", ns, name + "b")
    sh(f"ip addr add 10.52.0.1/24 dev {name}a")
    if sh(f"tc qdisc add dev {name}a root {qdisc}", check=False) != 0:
        pytest.skip("cannot add a tbf qdisc (sch_tbf missing?)")
    return name + "a"


def test_would_block_is_blocking_io_error(netns):
    # 8 kbit/s hold the datagrams in the qdisc, charged to a tiny buffer.
    link = shaped_link(netns, "wb", "tbf rate 8kbit burst 1600 limit 10000000")
    ctx = mctx.Context()
    pub = ctx.get_publication(ctx.add_publication(
        "239.52.0.1", 46401, interface=link, send_buffer_size=4096))
    payload = bytes(1400)
    with pytest.raises(mctx.WouldBlockError) as info:
        for _ in range(1000):
            pub.send(payload)
    e = info.value
    assert isinstance(e, BlockingIOError) and isinstance(e, mctx.SocketError)
    assert e.errno == errno.EAGAIN and e.code == mctx.E_WOULD_BLOCK
    assert e.subject == "socket"

    with pytest.raises(BlockingIOError) as info:
        pub.send_batch([payload] * 50)
    assert info.value.sent == 0
    metrics = pub.metrics_snapshot()
    assert metrics["would_block"] >= 2
    assert metrics["send_calls"] == metrics["packets_sent"] + metrics["send_errors"]


def test_queue_full_is_enobufs(netns):
    # A queue of one datagram drops the rest, and IP_RECVERR says so.
    link = shaped_link(netns, "qf", "tbf rate 8kbit burst 1600 limit 1600")
    ctx = mctx.Context()
    pub = ctx.get_publication(ctx.add_publication(
        "239.52.0.2", 46402, interface=link, send_buffer_size=1 << 20))
    with pytest.raises(mctx.QueueFullError) as info:
        for _ in range(50):
            pub.send(bytes(1400))
    e = info.value
    assert isinstance(e, OSError) and not isinstance(e, BlockingIOError)
    assert e.errno == errno.ENOBUFS and e.code == mctx.E_QUEUE_FULL


def test_a_context_serves_one_thread_at_a_time():
    # A send runs without the GIL; a second thread meanwhile is refused
    # rather than racing libmctx. Each thread sends until both are done.
    ctx = mctx.Context()
    pub_id = add(ctx, GROUP, 5000, loopback=False)
    payloads = [bytes(1000)] * 64
    refused = []
    stop = threading.Event()

    def sender():
        for _ in range(2000):
            if stop.is_set():
                return
            try:
                ctx.send_batch(pub_id, payloads)
            except RuntimeError as e:
                refused.append(str(e))
                stop.set()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if not refused:
        pytest.skip("the two threads never overlapped")
    assert "one thread at a time" in refused[0]
