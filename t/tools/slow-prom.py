#!/usr/bin/env python3
"""A Prometheus-speaking HTTP server for tests: answers /api/v1/query slowly
(or fails it), and counts the queries it receives.

    slow-prom.py PORT_FILE [--delay SECONDS] [--mode ok|fail]

Listens on 127.0.0.1, on a port the kernel picks, written to PORT_FILE.
  /api/v1/query  (GET or POST) after DELAY seconds: a vector with one series
                 {namespace="default", pod="web-7d4b9c-x2k4p"} = 1 (mode ok),
                 or at once a 503 with Prometheus' error body (mode fail)
  /stats         {"queries": received, "inflight": being answered, "done": answered}
  /control?mode=ok|fail&delay=S&reset=1   changes the behaviour; reset zeroes the counts
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

state = {"mode": "ok", "delay": 0.0, "queries": 0, "inflight": 0, "done": 0}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def query(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        with lock:
            state["queries"] += 1
            state["inflight"] += 1
            mode, delay = state["mode"], state["delay"]
        try:
            if mode == "fail":
                self.send(503, {"status": "error", "errorType": "unavailable",
                                "error": "overloaded"})
                return
            time.sleep(delay)
            self.send(200, {"status": "success", "data": {"resultType": "vector", "result": [
                {"metric": {"namespace": "default", "pod": "web-7d4b9c-x2k4p"},
                 "value": [time.time(), "1"]}]}})
        finally:
            with lock:
                state["inflight"] -= 1
                state["done"] += 1

    def do_GET(self):
        u = urlsplit(self.path)
        if u.path == "/api/v1/query":
            return self.query()
        if u.path == "/stats":
            with lock:
                return self.send(200, {k: state[k] for k in ("queries", "inflight", "done")})
        if u.path == "/control":
            q = parse_qs(u.query)
            with lock:
                if "mode" in q:
                    state["mode"] = q["mode"][0]
                if "delay" in q:
                    state["delay"] = float(q["delay"][0])
                if "reset" in q:
                    state["queries"] = state["done"] = 0
                return self.send(200, dict(state))
        self.send(404, {"status": "error", "error": "not found"})

    def do_POST(self):
        if urlsplit(self.path).path == "/api/v1/query":
            return self.query()
        self.send(404, {"status": "error", "error": "not found"})


def main():
    args = sys.argv[1:]
    port_file = args.pop(0)
    while args:
        opt = args.pop(0)
        if opt == "--delay":
            state["delay"] = float(args.pop(0))
        elif opt == "--mode":
            state["mode"] = args.pop(0)
        else:
            sys.exit("slow-prom.py: unknown argument " + opt)
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 256
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
