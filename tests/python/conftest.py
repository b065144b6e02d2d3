# Shared set-up of the Python tests.
#
# SPDX-License-Identifier: BSD-2-Clause
#
# As root, the whole pytest process moves into a private network namespace
# first (as the C tests do): lo up, IPv6 multicast routed to lo, nothing
# reaches the machine's networks. Tests that need more (peer namespaces,
# veths, qdiscs) ask for the `netns` fixture, which skips without root.
# Without root the loopback tests still run, in the root namespace, always
# sending through interface lo.

import ctypes
import os
import re
import select
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CLONE_NEWNET = 0x40000000
PRIVATE_NETNS = False
NETNS_SKIP_REASON = "needs root to create network namespaces"


def sh(cmd, check=True):
    """Runs a shell command; a failure fails the test when check is set."""
    result = subprocess.run(cmd, shell=True, capture_output=True, text=True,
                            timeout=30)
    if check and result.returncode != 0:
        raise AssertionError(f"`{cmd}` failed: {result.stderr.strip()}")
    return result.returncode


def _enter_private_netns():
    global PRIVATE_NETNS, NETNS_SKIP_REASON
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        NETNS_SKIP_REASON = ("unshare(CLONE_NEWNET) failed: "
                             + os.strerror(ctypes.get_errno()))
        return
    if sh("ip link set lo up", check=False) != 0:
        NETNS_SKIP_REASON = "the `ip` command (iproute2) is missing"
        return
    sh("ip -6 route add local ff00::/8 dev lo table local 2>/dev/null",
       check=False)
    PRIVATE_NETNS = True


def pytest_configure(config):
    _enter_private_netns()


def _remove_orphans():
    """Removes peer namespaces of test processes that are gone (killed by a
    timeout, which skips the clean-up)."""
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True,
                             text=True, timeout=30).stdout
    for line in listing.splitlines():
        match = re.match(r"(mctxpy-(\d+)-\S+)", line)
        if match and not os.path.exists(f"/proc/{match.group(2)}"):
            sh(f"ip netns del {match.group(1)}", check=False)


class Netns:
    """Peer namespaces and veth pairs of one test, removed after it."""

    def __init__(self):
        self.peers = []
        self.links = []

    def peer(self, name):
        _remove_orphans()
        ns = f"mctxpy-{os.getpid()}-{name}"
        sh(f"ip netns del {ns} 2>/dev/null", check=False)
        sh(f"ip netns add {ns}")
        self.peers.append(ns)
        sh(f"ip -n {ns} link set lo up")
        return ns

    def veth(self, here, ns, there):
        """A veth pair: `here` in this namespace, `there` in ns, both up."""
        sh(f"ip link add {here} type veth peer name {there} netns {ns}")
        self.links.append(here)
        sh(f"ip link set {here} up")
        sh(f"ip -n {ns} link set {there} up")

    def receive(self, ns, count, timeout=10.0, **join):
        """Starts mcast_recv.py in ns (group, port, interface, source) and
        waits until it has joined. Returns a Receiver."""
        cmd = ["ip", "netns", "exec", ns, sys.executable,
               os.path.join(HERE, "mcast_recv.py"), "--count", str(count),
               "--timeout", str(timeout)]
        for key, value in join.items():
            if value is not None:
                cmd += [f"--{key}", str(value)]
        return Receiver(cmd, timeout)

    def cleanup(self):
        for link in self.links:
            sh(f"ip link del {link} 2>/dev/null", check=False)
        for ns in self.peers:
            sh(f"ip netns del {ns}", check=False)


class Receiver:
    def __init__(self, cmd, timeout):
        self.timeout = timeout
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline() if ready else ""
        if line.strip() != "ready":
            self.proc.kill()
            _, err = self.proc.communicate()
            raise AssertionError(f"receiver did not start: {err.strip()}")

    def datagrams(self):
        """Waits for the receiver to finish; [(source, length, head)]."""
        out, err = self.proc.communicate(timeout=self.timeout + 10)
        assert self.proc.returncode == 0, err
        return [(src, int(n), bytes.fromhex(head))
                for src, n, head in (line.split() for line in out.splitlines())]


def wait_ipv6_ready(ns=None, seconds=5.0):
    """Waits (bounded) until no address is tentative (DAD), so binds work."""
    prefix = f"ip -n {ns} " if ns else "ip "
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if sh(prefix + "-6 addr show tentative | grep -q inet6",
              check=False) != 0:
            return
        time.sleep(0.05)


@pytest.fixture
def netns():
    if not PRIVATE_NETNS:
        pytest.skip(NETNS_SKIP_REASON)
    net = Netns()
    yield net
    net.cleanup()


@pytest.fixture
def private_netns():
    """For tests that need the private namespace itself (IPv6 on lo)."""
    if not PRIVATE_NETNS:
        pytest.skip(NETNS_SKIP_REASON)


def pytest_sessionfinish(session, exitstatus):
    # meson counts exit status 77 as "skipped": say so when nothing ran.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or exitstatus != 0:
        return
    stats = reporter.stats
    if stats.get("skipped") and not stats.get("passed"):
        session.exitstatus = 77
