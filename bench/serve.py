"""The server under load: concurrent evaluate requests against `configurator serve`.

    python bench/serve.py [--requests 10000] [--concurrency 200]

Starts `configurator serve` on a free loopback port (its own temporary
database), sends `--requests` POST /api/v1/evaluate requests with at most
`--concurrency` in flight (hepatitis B applicants, a share with a one-year
timeline), and prints p50/p99 latency, requests per second, errors, the
ratio to calling `evaluate` in-process for the same cases, and the server's
memory before and after. Stops by itself; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import queue
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine import START, applicant, timeline  # noqa: E402

from configurator import Environment  # noqa: E402


def cases(count: int, timeline_share: float) -> list[dict]:
    rng = random.Random(11)
    out = []
    for _ in range(count):
        full = rng.random() < timeline_share
        out.append({"policy": {"start": START.isoformat()},
                    "as_of": (START.replace(year=START.year + 1) if full else START).isoformat(),
                    "applicant": applicant(rng), "events": timeline(rng) if full else []})
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def family(pid: int) -> list[int]:
    """`pid` and its living descendants (the server's evaluation workers)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            parents[int(entry.name)] = int(fields[1])
    found, grown = {pid}, True
    while grown:
        more = {child for child, parent in parents.items() if parent in found} - found
        found |= more
        grown = bool(more)
    return sorted(found)


def rss_mb(pid: int) -> float:
    """Resident memory of the server and its workers."""
    total = 0
    for member in family(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the server and its living workers have used."""
    ticks = 0
    for member in family(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def start_server(port: int, folder: str) -> subprocess.Popen:
    exe = Path(sys.executable).parent / "configurator"
    # the server logs every request: into a file, never a pipe nobody reads (it would fill
    # and stop the server)
    log = open(Path(folder) / "server.log", "wb")  # noqa: SIM115 - closed with the folder
    server = subprocess.Popen([str(exe), "serve", "--port", str(port), "--db",
                               str(Path(folder) / "bench.db")], cwd=folder,
                              stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/products", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start: "
                     + (Path(folder) / "server.log").read_text(errors="replace")[-2000:])


def load(port: int, bodies: list[bytes], concurrency: int, processes: int = 4
         ) -> tuple[list[float], int, float]:
    """Latencies (s) of every request, the non-200 answers and the client's CPU seconds.

    `concurrency` blocking keep-alive connections (http.client: far cheaper per request
    than an asyncio client) spread over `processes` processes, so the load generator
    does not become the bottleneck on a small machine.
    """
    shares = [bodies[i::processes] for i in range(processes)]
    threads = max(1, concurrency // processes)
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        parts = pool.starmap(_client, [(port, share, threads) for share in shares])
    latencies = [x for part in parts for x in part[0]]
    return latencies, sum(part[1] for part in parts), sum(part[2] for part in parts)


def _client(port: int, bodies: list[bytes], threads: int) -> tuple[list[float], int, float]:
    began = time.process_time()
    work = queue.SimpleQueue()
    for body in bodies:
        work.put(body)
    latencies: list[float] = []
    errors = [0]

    def connection() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            try:
                body = work.get_nowait()
            except queue.Empty:
                conn.close()
                return
            sent = time.perf_counter()
            conn.request("POST", "/api/v1/evaluate", body,
                         {"Content-Type": "application/json"})
            answer = conn.getresponse()
            answer.read()
            latencies.append(time.perf_counter() - sent)
            errors[0] += answer.status != 200

    running = [threading.Thread(target=connection) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return latencies, errors[0], time.process_time() - began


def in_process_seconds(bodies: list[dict]) -> float:
    env = Environment()
    product = env.load("hepatitis_b")
    began = time.perf_counter()
    for body in bodies:
        env.evaluate(product, env.case(body["case"], product), explain=True).dumps()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--timeline-share", type=float, default=0.2)
    args = parser.parse_args()
    bodies = [{"product": "hepatitis_b", "case": case}
              for case in cases(args.requests, args.timeline_share)]
    encoded = [json.dumps(body).encode() for body in bodies]
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        server = start_server(port, folder)
        try:
            load(port, encoded[:400], args.concurrency)  # warm: compile, caches, connections
            before, cpu = rss_mb(server.pid), cpu_seconds(server.pid)
            began = time.perf_counter()
            latencies, errors, client = load(port, encoded, args.concurrency)
            wall = time.perf_counter() - began
            after, cpu = rss_mb(server.pid), cpu_seconds(server.pid) - cpu
        finally:
            server.terminate()
            server.wait(timeout=30)
    local = in_process_seconds(bodies)
    latencies.sort()
    p50, p99 = statistics.median(latencies), latencies[int(0.99 * (len(latencies) - 1))]
    print(f"{args.requests} evaluate requests, {args.concurrency} in flight "
          f"({args.timeline_share:.0%} with a one-year timeline); {os.cpu_count()} cores")
    print(f"  latency p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms; "
          f"{args.requests / wall:.0f} requests/s; errors {errors}")
    print(f"  in-process evaluate (explain, JSON): {args.requests / local:.0f} cases/s; "
          f"server / in-process throughput {local / wall:.2f}")
    print(f"  server CPU {cpu / args.requests * 1000:.2f} ms a request against "
          f"{local / args.requests * 1000:.2f} ms in-process: the HTTP face costs "
          f"x{cpu / local:.1f}; the client used {client / args.requests * 1000:.2f} ms "
          "a request of the same cores")
    print(f"  server and workers RSS {before:.1f} MB -> {after:.1f} MB over "
          f"{args.requests} requests ({after - before:+.1f} MB)")
    print(json.dumps({"p50_ms": round(p50 * 1000, 1), "p99_ms": round(p99 * 1000, 1),
                      "rps": round(args.requests / wall), "errors": errors,
                      "ratio": round(local / wall, 2), "rss_growth_mb": round(after - before, 1)}))


if __name__ == "__main__":
    main()
