"""A small load generator: keep-alive GETs over loopback, bounded in time and in requests.

    python -m bench.load PORT PATH SECONDS MAX_REQUESTS [COOKIE]

Runs as its own process (the benchmark starts it), with a few connections on threads, and prints
{"requests", "seconds", "rps", "errors", "connections"} as JSON. Every answer must be 200.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time

CONNECTIONS = 4


def main(argv: list[str]) -> None:
    port, path, seconds, limit = int(argv[0]), argv[1], float(argv[2]), int(argv[3])
    headers = {"Cookie": argv[4]} if len(argv) > 4 else {}
    lock = threading.Lock()
    state = {"sent": 0, "done": 0, "errors": 0}
    deadline = time.monotonic() + seconds

    def take() -> bool:
        with lock:
            if state["sent"] >= limit or time.monotonic() >= deadline:
                return False
            state["sent"] += 1
            return True

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while take():
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            with lock:
                state["done"] += 1
                if response.status != 200:
                    state["errors"] += 1
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    print(
        json.dumps(
            {
                "requests": state["done"],
                "seconds": elapsed,
                "rps": state["done"] / elapsed if elapsed else 0.0,
                "errors": state["errors"],
                "connections": CONNECTIONS,
            }
        )
    )
    if state["errors"]:
        sys.exit(f"{state['errors']} answers were not 200")


if __name__ == "__main__":
    main(sys.argv[1:])
