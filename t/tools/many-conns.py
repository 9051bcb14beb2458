#!/usr/bin/env python3
"""Opens N TLS connections to 127.0.0.1:PORT at once, holds them all open,
then sends one request on each and reads its answer.  For t/faults.sh.

  many-conns.py --port P [--count N] [--path /healthz] [--deadline S]

Prints one line: "connected=C answered=A status=S1:n1,S2:n2 unanswered=U",
where unanswered counts connections closed (or failed) without a status line.
"""
import argparse
import asyncio
import collections
import ssl


async def one(args, ctx, all_open, state):
    status = None
    writer = None
    try:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", args.port, ssl=ctx, server_hostname="localhost",
            ssl_handshake_timeout=args.deadline)
        state["connected"] += 1
    except OSError:
        pass
    finally:
        state["settled"] += 1
        if state["settled"] == args.count:
            all_open.set()
    await all_open.wait()            # every connection is open (or failed) at once
    if writer is None:
        return None
    try:
        writer.write(("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                      % args.path).encode())
        await writer.drain()
        line = await reader.readline()
        if line.startswith(b"HTTP/"):
            status = line.split()[1].decode()
            await reader.read()
    except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()
    return status


async def run(args):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    all_open = asyncio.Event()
    state = {"connected": 0, "settled": 0}
    tasks = [asyncio.create_task(one(args, ctx, all_open, state)) for _ in range(args.count)]
    done, pending = await asyncio.wait(tasks, timeout=args.deadline)
    for t in pending:
        t.cancel()
    statuses = collections.Counter(t.result() for t in done if t.result() is not None)
    answered = sum(statuses.values())
    print("connected=%d answered=%d status=%s unanswered=%d" % (
        state["connected"], answered,
        ",".join("%s:%d" % kv for kv in sorted(statuses.items())) or "-",
        args.count - answered))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=2500)
    ap.add_argument("--path", default="/healthz")
    ap.add_argument("--deadline", type=float, default=120.0)
    args = ap.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
