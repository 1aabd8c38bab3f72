"""Benchmark of the private self-check: index build, honest lookups/s with p99, and the attacker's rate.

    python bench/lookup.py                      # ~1.5M inputs, 2 uvicorn workers, 20 s of load at most
    python bench/lookup.py --persons 50000 --bucket-bits 12 --requests 30000   # quicker, same bucket size

1. Builds the index for a synthetic persons table of ``--persons`` persons (about 3 inputs each:
   emails, phone, NIR, each with the birth date), with all cores.
2. Starts the real server (``fuite serve --workers N --rate-limit 0``: the load comes from one address, the
   per-bucket and global budgets stay on) on 127.0.0.1 and drives it with a bounded load generator
   (``--connections`` keep-alive HTTP/1.1 connections, at most ``--requests`` requests and ``--seconds``
   seconds) sending valid blinded elements, spread over the buckets as honest traffic is.
3. The attack of issue 17, against the same index: one known email, ``--addresses`` loopback source
   addresses, ``--attack-seconds`` seconds, birth dates tried in order from 400 days before the true one,
   proofs of work solved in Python when asked. Once with the per-address limit only (the old defence:
   ``--bucket-limit 0 --global-limit 0``), once with the defaults. It prints guesses answered per second and
   whether the true date was found.
4. Prints the figures next to the targets and next to the peer: a Have I Been Pwned-style k-anonymity
   range lookup (hash prefix -> bucket, no OPRF; it lets anyone enumerate a hashed NIR), measured
   in-process on the same index, to show what the OPRF costs per lookup on the server.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import datetime as dt
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
import pysodium

from fuite.lookup import keys, oprf
from fuite.lookup import entries
from fuite.lookup.build import build_index, index_inputs
from fuite.lookup.index import read_index
from fuite.lookup.synthetic import person_values, synthetic_persons

from attack import attack  # noqa: E402  (bench/attack.py, shared with tests/test_server_defences.py)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_requests(count: int, bucket_bits: int, port: int) -> list[bytes]:
    """``count`` distinct HTTP/1.1 lookup requests with valid blinded elements, buckets in a shuffled cycle
    (honest traffic: many people, each their own identifier, spread over every bucket)."""
    out = []
    order = list(range(1 << bucket_bits))
    random.shuffle(order)
    for i in range(count):
        _, blinded = oprf.blind_input(f"bench:{i}".encode())
        bucket = f"{order[i % len(order)]:0{bucket_bits // 4}x}"
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


def tree_cpu_seconds(pid: int, reaped: bool = False) -> float:
    """User + system CPU seconds of ``pid`` and all its descendants (from /proc); with ``reaped``, also of the
    descendants that have ended and been waited for (the build's pool workers, children of the forkserver)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ended = int(fields[13]) + int(fields[14]) if reaped else 0
            stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]) + ended)
    tree, total = {pid}, 0
    changed = True
    while changed:
        children = {p for p, (ppid, _) in stats.items() if ppid in tree} - tree
        changed = bool(children)
        tree |= children
    for p in tree:
        total += stats.get(p, (0, 0))[1]
    return total / os.sysconf("SC_CLK_TCK")


def floor_cpu_us(sk: bytes, rounds: int = 5000) -> dict[str, float]:
    """CPU µs of one libsodium call each, the build's irreducible costs per input: ``crypto_core_ristretto255_
    from_hash`` (hash-to-group's map), ``crypto_scalarmult_ristretto255`` through ctypes on reused buffers (as the
    build calls it) and through pysodium's wrapper."""
    hashes = [hashlib.sha512(f"p{i}".encode()).digest() for i in range(rounds)]
    points = [pysodium.crypto_core_ristretto255_from_hash(h) for h in hashes]
    point, out, key = (ctypes.create_string_buffer(32), ctypes.create_string_buffer(32),
                       ctypes.create_string_buffer(sk, 32))
    from_hash, mult = pysodium.sodium.crypto_core_ristretto255_from_hash, pysodium.sodium.crypto_scalarmult_ristretto255

    def timed(loop) -> float:
        start = time.process_time()
        loop()
        return (time.process_time() - start) / rounds * 1e6

    return {"from_hash": timed(lambda: [from_hash(point, h) for h in hashes]),
            "mult": timed(lambda: [mult(out, key, p) for p in points]),
            "mult_pysodium": timed(lambda: [pysodium.crypto_scalarmult_ristretto255(sk, p) for p in points])}


def print_build(stats, seconds: float, tree_cpu: float, one_process_us: float, floor: dict, workers: int) -> None:
    """The build's figures side by side with libsodium's floor for the same inputs."""
    cores, n = os.cpu_count() or 1, stats.inputs
    per_input = tree_cpu / n * 1e6
    mult, h2g = floor["mult"], floor["mult"] + floor["from_hash"]
    rows = [
        ("index build, wall", f"{seconds:.1f} s, {workers} workers", f"{n * mult / 1e6 / cores:.1f} s scalarmult alone, "
         f"{n * h2g / 1e6 / cores:.1f} s with hash-to-group, on {cores} idle cores", "<= 45 s for ~1.5M"),
        ("CPU per input, all processes", f"{per_input:.1f} µs ({tree_cpu:.1f} s)",
         f"{mult:.1f} µs scalarmult + {floor['from_hash']:.1f} µs hash-to-group = {h2g:.1f} µs", ""),
        ("CPU per input, one process", f"{one_process_us:.1f} µs (Evaluate + seal + bucket)", "", ""),
        ("cores used", f"{tree_cpu / seconds:.2f} of {cores}", "", ""),
        ("scalarmult call", f"{mult:.1f} µs through ctypes", f"{floor['mult_pysodium']:.1f} µs through pysodium",
         ""),
    ]
    print(f"\nindex build: {n:,} inputs from {stats.persons:,} persons; load average {os.getloadavg()[0]:.1f} "
          f"on {cores} cores\n")
    print(f"{'figure':<30} {'fuite':<38} {'floor: libsodium alone':<72} target")
    for name, ours, peer, target in rows:
        print(f"{name:<30} {ours:<38} {peer:<72} {target}")
    print(flush=True)


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
        index.entries_base64(random.getrandbits(bits))
    ours = (time.perf_counter() - start) / rounds * 1e6
    start = time.perf_counter()
    for i in range(rounds):
        prefix = hashlib.sha256(f"nir:{i}".encode()).hexdigest()[:bits // 4]
        index.entries_base64(int(prefix, 16))
    peer = (time.perf_counter() - start) / rounds * 1e6
    return ours, peer


def start_server(index: Path, key_file: Path, workers: int, *options: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "fuite.cli", "serve", "--index", str(index), "--key-file", str(key_file),
         "--port", str(port), "--workers", str(workers), "--log-level", "warning", *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/lookup/config", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return server, port


def run_attack(index: Path, key_file: Path, workers: int, args, options: list[str], email: str,
               true_date: dt.date, bits: int) -> dict:
    server, port = start_server(index, key_file, workers, *options)
    try:
        return asyncio.run(attack(f"http://127.0.0.1:{port}", email, true_date, bits, args.addresses,
                                  args.attack_seconds))
    finally:
        server.terminate()
        server.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=440_000, help="synthetic persons (~3 inputs each)")
    parser.add_argument("--bucket-bits", type=int, default=None, help="force bucket_bits (12 at full size)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--requests", type=int, default=60_000, help="at most this many lookups")
    parser.add_argument("--seconds", type=float, default=20.0, help="at most this long under load")
    parser.add_argument("--addresses", type=int, default=500, help="attacker's loopback source addresses")
    parser.add_argument("--attack-seconds", type=float, default=20.0, help="length of each attack")
    parser.add_argument("--build-only", action="store_true", help="measure the index build alone, then stop")
    parser.add_argument("--build-workers", type=int, default=None, help="processes of the index build (all cores)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        persons = synthetic_persons(args.persons, seed=1)
        generated = time.perf_counter() - t0
        key = keys.new_key()
        key_file = tmp / "lookup.key"
        keys.write_key_file(key_file, key)
        t0, cpu0 = time.perf_counter(), tree_cpu_seconds(os.getpid(), reaped=True)
        stats = build_index(persons, key, tmp / "lookup.idx", bucket_bits=args.bucket_bits,
                            workers=args.build_workers)
        build_seconds = time.perf_counter() - t0
        build_tree_cpu = tree_cpu_seconds(os.getpid(), reaped=True) - cpu0
        index = read_index(tmp / "lookup.idx")
        made = index_inputs(persons.slice(0, 8000))
        cpu = time.process_time()
        entries.evaluate(key.sk, bytes(16), made.inputs, made.plaintexts, workers=1)
        build_cpu_us = (time.process_time() - cpu) / len(made.inputs) * 1e6
        print(f"index: {stats.inputs:,} inputs from {stats.persons:,} persons, bucket_bits {index.bucket_bits}, "
              f"{index.entries_per_bucket} entries/bucket of 48 bytes, {(tmp / 'lookup.idx').stat().st_size / 1e6:.1f} MB "
              f"(synthetic persons generated in {generated:.1f} s)", flush=True)
        print_build(stats, build_seconds, build_tree_cpu, build_cpu_us, floor_cpu_us(key.sk),
                    args.build_workers or os.cpu_count() or 1)
        if args.build_only:
            return 0

        server, port = start_server(tmp / "lookup.idx", key_file, args.workers, "--rate-limit", "0")
        try:
            requests = make_requests(min(1 << index.bucket_bits, 8192), index.bucket_bits, port)
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
        victim = person_values(0, seed=1)
        email, true_date = victim["emails"][0], dt.date.fromisoformat(victim["birth_date"])
        before = run_attack(tmp / "lookup.idx", key_file, args.workers, args,
                            ["--bucket-limit", "0", "--global-limit", "0"], email, true_date, index.bucket_bits)
        after = run_attack(tmp / "lookup.idx", key_file, args.workers, args, [], email, true_date,
                           index.bucket_bits)

    rate = len(latencies) / elapsed
    p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000

    def attack_row(result: dict) -> str:
        outcome = (f"FOUND the birth date after {result['answered']} guesses" if result["found"]
                   else f"not found ({result['answered']} answered, reached day {result['answered']} of 400)")
        return (f"{result['answered'] / result['seconds']:,.1f} guesses/s, {outcome}, {result['refused']:,} refused, "
                f"{result['seconds']:.1f} s")

    rows = [
        ("index build (all cores)", f"{build_seconds:.1f} s for {stats.inputs:,} inputs", "<= 45 s for ~1.5M", ""),
        ("OPRF Evaluate+seal CPU/in", f"{build_cpu_us:.0f} µs (one process, CPU time)", "",
         f"-> {stats.inputs * build_cpu_us / 1e6 / (os.cpu_count() or 1):.0f} s for these inputs on "
         f"{os.cpu_count()} idle cores"),
        ("honest lookups/s", f"{rate:,.0f}/s ({len(latencies):,} in {elapsed:.1f} s, {errors} not 200)",
         ">= 3,000/s", ""),
        ("latency p50 / p99", f"{p50:.1f} ms / {p99:.1f} ms", "p99 <= 20 ms", ""),
        ("CPU per lookup, loaded", f"server {server_cpu:.0f} µs + load generator {client_cpu:.0f} µs", "",
         f"-> at most {os.cpu_count() * 1e6 / (server_cpu + client_cpu):,.0f}/s on this machine if idle"),
        ("server CPU per lookup", f"{ours_us:.0f} µs (OPRF BlindEvaluate + bucket)", "",
         f"{peer_us:.0f} µs (HIBP-style k-anonymity range, no OPRF: enumerable)"),
        ("attacker, before", attack_row(before), "", "per-address limit only (30/min, burst 10)"),
        ("attacker, after", attack_row(after), "never found", "defaults: per-address, per-bucket, global, PoW"),
    ]
    print(f"\nmachine: {os.cpu_count()} cores; server: {args.workers} uvicorn workers; load: "
          f"{args.connections} keep-alive connections from one process on the same machine; attacker: "
          f"{args.addresses} source addresses, {args.attack_seconds:.0f} s, from 400 days before the true date\n")
    print(f"{'figure':<26} {'fuite':<78} {'target':<18} peer / note")
    for name, ours, target, peer in rows:
        print(f"{name:<26} {ours:<78} {target:<18} {peer}")
    print(f"\nmean latency {statistics.fmean(latencies) * 1000:.1f} ms; load average during the run "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work on the machine slows every figure)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
