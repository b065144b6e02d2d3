# Receives multicast inside a peer namespace for a test and prints one line
# per datagram: "<source address> <length> <first 16 bytes in hex>".
# Prints "ready" once joined; stops after --count datagrams or --timeout
# seconds.
#
# SPDX-License-Identifier: BSD-2-Clause

import argparse
import os
import select
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcast  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--group", required=True)
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--interface", required=True)
parser.add_argument("--source")
parser.add_argument("--count", type=int, required=True)
parser.add_argument("--timeout", type=float, default=10.0)
args = parser.parse_args()

sock, _ = mcast.receiver(args.group, args.interface, args.source, args.port,
                         rcvbuf=16 << 20)
print("ready", flush=True)
deadline = time.monotonic() + args.timeout
received = 0
while received < args.count:
    left = deadline - time.monotonic()
    if left <= 0 or not select.select([sock], [], [], left)[0]:
        break
    data, addr = sock.recvfrom(65536)
    print(addr[0], len(data), data[:16].hex(), flush=True)
    received += 1
