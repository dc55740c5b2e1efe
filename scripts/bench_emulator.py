"""Topic creations per second against the emulator over real HTTP.

Starts an emulator on a free port (rate limit off), creates one category, then POSTs topics
through keep-alive `requests.Session`s (one per client thread) and prints the rate.

    python scripts/bench_emulator.py [--topics 2000] [--clients 1] [--webhooks]

Issue 3 asks for at least 300 creations a second on the 2-core development machine, so that
benchmarks of the bridge measure the bridge, not the emulator.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from bridge.emulator import start_emulator

KEY = "bench-key"


def _sink() -> ThreadingHTTPServer:
    """A webhook receiver that accepts everything (for --webhooks)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=1, help="concurrent client threads")
    parser.add_argument(
        "--webhooks", action="store_true", help="also emit webhooks to a local sink"
    )
    args = parser.parse_args()

    sink = _sink() if args.webhooks else None
    hook_url = f"http://127.0.0.1:{sink.server_address[1]}/hook" if sink else None
    emu = start_emulator(
        api_key=KEY, rate_limit=0, webhook_url=hook_url, webhook_secret="bench" if sink else None
    )
    headers = {"Api-Key": KEY, "Api-Username": "system"}
    try:
        setup = requests.Session()
        category_id = setup.post(
            f"{emu.url}/categories.json", headers=headers, data={"name": "Benchmark"}, timeout=10
        ).json()["category"]["id"]
        per_client = args.topics // args.clients
        failures: list[str] = []

        def client(index: int) -> None:
            session = requests.Session()
            session.headers.update(headers)
            for n in range(per_client):
                data = {
                    "title": f"Benchmark project {index:02d}-{n:06d} topic",
                    "raw": f"Body of benchmark topic {index}-{n}, long enough to pass the checks.",
                    "category": category_id,
                    "tags[]": ["km0", "pilot", "service"],
                    "external_id": f"bench-{index}-{n}",
                }
                response = session.post(f"{emu.url}/posts.json", data=data, timeout=30)
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text[:200]}")
                    return

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        if failures:
            print(f"failed: {failures[0]}", file=sys.stderr)
            return 1
        created = per_client * args.clients
        print(
            f"{created} topics in {elapsed:.2f} s over HTTP keep-alive with {args.clients} "
            "client(s)"
            f"{' and webhooks' if sink else ''}: {created / elapsed:.0f} topic creations/s"
        )
        return 0
    finally:
        emu.stop()
        if sink:
            sink.shutdown()


if __name__ == "__main__":
    raise SystemExit(main())
