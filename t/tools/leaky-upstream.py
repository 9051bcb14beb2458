#!/usr/bin/env python3
"""A stand-in for a Prometheus (or a proxy before one) whose error answers
carry secrets: internal host names, a token, a password.  For t/faults.sh.

  leaky-upstream.py --port N

POST/GET <prefix>/api/v1/query answers:
  /json/...  422 with a Prometheus error document whose "error" holds the secrets
  /html/...  502 with an HTML page (as a proxy writes) holding the secrets
  /auth/...  200 with one sample for pod default/web-7d4b9c-x2k4p whose value
             is the length of the bearer token the request carried
  anything else 404
Every secret contains the word LEAK so a test can look for any of them.
"""
import argparse
import http.server
import json
import time

SECRETS = ("internal host prom-0.LEAK.svc.cluster.local:9090, "
           "Authorization: Bearer LEAK-tok-8f2d1c, password=LEAK-S3cretPw")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path.startswith("/json/api/v1/query"):
            code, ctype = 422, "application/json"
            body = ('{"status":"error","errorType":"execution","error":"query failed on '
                    + SECRETS + ' ' + "x" * 600 + '"}')
        elif self.path.startswith("/auth/api/v1/query"):
            code, ctype = 200, "application/json"
            auth = self.headers.get("Authorization") or ""
            token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
            body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
                {"metric": {"namespace": "default", "pod": "web-7d4b9c-x2k4p"},
                 "value": [time.time(), str(len(token))]}]}})
        elif self.path.startswith("/html/api/v1/query"):
            code, ctype = 502, "text/html"
            body = "<html><body><h1>502</h1><p>" + SECRETS + "</p></body></html>"
        else:
            code, ctype, body = 404, "text/plain", "not found"
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = answer
    do_POST = answer

    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
