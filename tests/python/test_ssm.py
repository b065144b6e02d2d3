# SSM: a receiver in a peer namespace joined to (source, group) gets the
# datagrams of the publication with that explicit source, and not those of
# another source sending to the same group.
#
# SPDX-License-Identifier: BSD-2-Clause

import pytest

import mctx
from conftest import sh, wait_ipv6_ready

CASES = {
    "ipv4": ("232.54.0.1", "10.54.0.2", "10.54.0.1", "10.54.0.9", 24),
    "ipv6": ("ff3e::8000:54", "fd54::2", "fd54::1", "fd54::9", 64),
}


@pytest.mark.parametrize("family", CASES)
def test_ssm_from_an_explicit_source(netns, family):
    group, source, other, peer_addr, plen = CASES[family]
    ns = netns.peer("ssm" + family[-1])
    here, there = "ssm%sa" % family[-1], "ssm%sb" % family[-1]
    netns.veth(here, ns, there)
    for addr in (other, source):
        sh(f"ip addr add {addr}/{plen} dev {here} nodad")
    sh(f"ip -n {ns} addr add {peer_addr}/{plen} dev {there} nodad")
    wait_ipv6_ready(ns)

    port = 46601
    receiver = netns.receive(ns, 3, timeout=3, group=group, port=port,
                             interface=there, source=source)
    ctx = mctx.Context()
    wanted = ctx.add_publication(group, port, source=source, interface=here)
    unwanted = ctx.add_publication(group, port, source=other, interface=here)
    assert ctx.get_publication(wanted).announce_tuple() == (source, group,
                                                            port)
    # The other source first: a receiver that did not filter would see it.
    for i in range(3):
        ctx.send(unwanted, b"other %d" % i)
    for i in range(3):
        report = ctx.send(wanted, b"ssm %d" % i)
        assert report.source_addr == source
    got = receiver.datagrams()
    assert [(src, head) for src, _, head in got] == [
        (source, b"ssm %d" % i) for i in range(3)]
