"""The walkthrough's webhook receiver (docs/api.md): check each delivery's signature, print the
"registered" event as JSON and stop; give up after two minutes. Standard library only."""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.server
import json
import sys
import threading
import time


def genuine(secret: str, signature: str, body: bytes, *, tolerance: int = 300) -> bool:
    parts = dict(item.split("=", 1) for item in signature.split(",") if "=" in item)
    if "t" not in parts or "v1" not in parts or not parts["t"].isdigit():
        return False
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256)
    fresh = abs(time.time() - int(parts["t"])) <= tolerance
    return fresh and hmac.compare_digest(expected.hexdigest(), parts["v1"])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--timeout", type=float, default=120)
    options = parser.parse_args()
    done = threading.Event()

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not genuine(options.secret, self.headers.get("X-Saraban-Signature", ""), body):
                self.send_response(401)  # not from the hub: refuse, the hub would retry
                self.end_headers()
                return
            self.send_response(204)
            self.end_headers()
            event = json.loads(body)
            if event["data"].get("status") == "registered":
                print(json.dumps(event, ensure_ascii=False))
                done.set()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", options.port), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    finished = done.wait(options.timeout)
    server.shutdown()
    return 0 if finished else 1


if __name__ == "__main__":
    sys.exit(main())
