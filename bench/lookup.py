"""Benchmark of the private self-check: index build time and lookups/s with p99 on loopback.

    python bench/lookup.py                      # ~1.5M inputs, 2 uvicorn workers, 20 s of load at most
    python bench/lookup.py --persons 20000 --requests 5000   # quick run

1. Builds the index for a synthetic persons table of ``--persons`` persons (about 3 inputs each:
   emails, phone, NIR, each with the birth date), with all cores.
2. Starts the real server (``fuite serve --workers N --rate-limit 0``) on 127.0.0.1 and drives it with a
   bounded load generator (``--connections`` keep-alive HTTP/1.1 connections, at most ``--requests``
   requests and ``--seconds`` seconds) sending valid blinded elements to random buckets.
3. Prints the figures next to the targets and next to the peer: a Have I Been Pwned-style k-anonymity
   range lookup (hash prefix -> bucket, no OPRF; it lets anyone enumerate a hashed NIR), measured
   in-process on the same index, to show what the OPRF costs per lookup on the server.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from fuite.lookup import keys, oprf
from fuite.lookup.build import build_index, evaluate_prefixes, person_inputs
from fuite.lookup.index import read_index
from fuite.lookup.synthetic import synthetic_persons


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_requests(count: int, bucket_bits: int, port: int) -> list[bytes]:
    """``count`` distinct HTTP/1.1 lookup requests with valid blinded elements and random buckets."""
    out = []
    for i in range(count):
        _, blinded = oprf.blind_input(f"bench:{i}".encode())
        bucket = f"{random.getrandbits(bucket_bits):0{bucket_bits // 4}x}"
        body = json.dumps({"bucket": bucket, "blinded_element": blinded.hex()}).encode()
        out.append(b"POST /api/v1/lookup HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                   b"Content-Length: %d\r\n\r\n%s" % (port, len(body), body))
    return out


async def connection(port: int, requests: list[bytes], counter: list[int], limit: int, deadline: float,
                     latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while counter[0] < limit and time.perf_counter() < deadline:
            request = requests[counter[0] % len(requests)]
            counter[0] += 1
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if not head.startswith(b"HTTP/1.1 200"):
                errors[0] += 1
    finally:
        writer.close()


async def load(port: int, requests: list[bytes], connections: int, limit: int, seconds: float):
    latencies: list[float] = []
    errors, counter = [0], [0]
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(connection(port, requests, counter, limit, deadline, latencies, errors)
                           for _ in range(connections)))
    return latencies, errors[0], time.perf_counter() - start


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and all its descendants (from /proc)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree, total = {pid}, 0
    changed = True
    while changed:
        children = {p for p, (ppid, _) in stats.items() if ppid in tree} - tree
        changed = bool(children)
        tree |= children
    for p in tree:
        total += stats.get(p, (0, 0))[1]
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def peer_cost(index_path: Path, key, rounds: int = 3000) -> tuple[float, float]:
    """Server CPU per lookup in-process (µs): OPRF BlindEvaluate + bucket vs k-anonymity prefix range only."""
    index = read_index(index_path)
    bits = index.bucket_bits
    blinded = [oprf.blind_input(f"p{i}".encode())[1] for i in range(rounds)]
    start = time.perf_counter()
    for element in blinded:
        oprf.blind_evaluate(key.sk, element)
        index.entries_hex(random.getrandbits(bits))
    ours = (time.perf_counter() - start) / rounds * 1e6
    start = time.perf_counter()
    for i in range(rounds):
        prefix = hashlib.sha256(f"nir:{i}".encode()).hexdigest()[:bits // 4]
        index.entries_hex(int(prefix, 16))
    peer = (time.perf_counter() - start) / rounds * 1e6
    return ours, peer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=440_000, help="synthetic persons (~3 inputs each)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--requests", type=int, default=60_000, help="at most this many lookups")
    parser.add_argument("--seconds", type=float, default=20.0, help="at most this long under load")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        persons = synthetic_persons(args.persons, seed=1)
        generated = time.perf_counter() - t0
        key = keys.new_key()
        key_file = tmp / "lookup.key"
        keys.write_key_file(key_file, key)
        t0 = time.perf_counter()
        stats = build_index(persons, key, tmp / "lookup.idx")
        build_seconds = time.perf_counter() - t0
        index = read_index(tmp / "lookup.idx")
        sample = person_inputs(persons.slice(0, 8000))
        cpu = time.process_time()
        evaluate_prefixes(key.sk, sample, workers=1)
        build_cpu_us = (time.process_time() - cpu) / len(sample) * 1e6
        print(f"index: {stats.inputs:,} inputs from {stats.persons:,} persons, bucket_bits {index.bucket_bits}, "
              f"{index.entries_per_bucket} entries/bucket, {(tmp / 'lookup.idx').stat().st_size / 1e6:.1f} MB "
              f"(synthetic persons generated in {generated:.1f} s)")

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "fuite.cli", "serve", "--index", str(tmp / "lookup.idx"), "--key-file",
             str(key_file), "--port", str(port), "--workers", str(args.workers), "--rate-limit", "0",
             "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(600):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/api/v1/lookup/config", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            requests = make_requests(2000, index.bucket_bits, port)
            asyncio.run(load(port, requests, args.connections, 2000, 10))  # warm-up: caches, JIT-free paths
            server_cpu, client_cpu = tree_cpu_seconds(server.pid), time.process_time()
            latencies, errors, elapsed = asyncio.run(load(port, requests, args.connections, args.requests,
                                                          args.seconds))
            server_cpu = (tree_cpu_seconds(server.pid) - server_cpu) / len(latencies) * 1e6
            client_cpu = (time.process_time() - client_cpu) / len(latencies) * 1e6
        finally:
            server.terminate()
            server.wait(30)
        ours_us, peer_us = peer_cost(tmp / "lookup.idx", key)

    rate = len(latencies) / elapsed
    p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000
    rows = [
        ("index build (all cores)", f"{build_seconds:.1f} s for {stats.inputs:,} inputs", "<= 60 s for ~1.5M", ""),
        ("OPRF Evaluate CPU/input", f"{build_cpu_us:.0f} µs (one process, CPU time)", "",
         f"-> {stats.inputs * build_cpu_us / 1e6 / (os.cpu_count() or 1):.0f} s for these inputs on "
         f"{os.cpu_count()} idle cores"),
        ("lookups/s (loopback)", f"{rate:,.0f}/s ({len(latencies):,} in {elapsed:.1f} s, {errors} errors)",
         ">= 3,000/s", ""),
        ("latency p50 / p99", f"{p50:.1f} ms / {p99:.1f} ms", "p99 <= 20 ms", ""),
        ("CPU per lookup, loaded", f"server {server_cpu:.0f} µs + load generator {client_cpu:.0f} µs", "",
         f"-> at most {os.cpu_count() * 1e6 / (server_cpu + client_cpu):,.0f}/s on this machine if idle"),
        ("server CPU per lookup", f"{ours_us:.0f} µs (OPRF BlindEvaluate + bucket)", "",
         f"{peer_us:.0f} µs (HIBP-style k-anonymity range, no OPRF: enumerable)"),
    ]
    print(f"\nmachine: {os.cpu_count()} cores; server: {args.workers} uvicorn workers; load: "
          f"{args.connections} keep-alive connections from one process on the same machine\n")
    print(f"{'figure':<26} {'fuite':<52} {'target':<20} peer")
    for name, ours, target, peer in rows:
        print(f"{name:<26} {ours:<52} {target:<20} {peer}")
    print(f"\nmean latency {statistics.fmean(latencies) * 1000:.1f} ms; load average during the run "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work on the machine slows every figure)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
