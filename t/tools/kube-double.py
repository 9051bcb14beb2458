#!/usr/bin/env python3
"""A test double of the kube-apiserver's HTTP API, for the watch cache tests.

No kube-apiserver runs on the test machines, so this speaks the part of its
wire protocol the watch cache uses, as the real one does:

  GET /api/v1/<plural>, /apis/<group>/<version>/<plural>
      LIST with ?limit= and ?continue= (pages at one resourceVersion), as a
      PartialObjectMetadataList when the Accept header asks for one, else as
      full objects; a continue token from before a compaction is a 410.
      WATCH with ?watch=1&resourceVersion=RV: a chunked stream of one JSON
      event per line (ADDED, MODIFIED, DELETED, BOOKMARK with
      allowWatchBookmarks, ERROR); an RV older than the history is an ERROR
      event with a 410 Status, as a real server sends it.
  GET /api, /apis, /api/v1, /apis/<group>/<version>: discovery.
  Every request needs "Authorization: Bearer <token>", else a 401 Status.

Faults and changes come through a control port (plain HTTP, loopback):

  POST /event      {"resource", "type", "namespace"?, "name", "labels"?}
  POST /fault      {"cut_next_event": true}   the next event is cut mid-line
                   {"gone": true}             every watch gets ERROR 410
                   {"slow_list_ms": N}        each LIST page waits N ms
                   {"hold_lists": true}       each LIST page waits until
                                              {"hold_lists": false} (300 s at most)
                   {"token": "..."}           the token now expected
                   {"compact": true}          forget the history (old RVs: 410)
                   {"close_watches": true}    end every watch normally
  GET  /stats      {"lists": N, "held_lists": N, "watches": N, "open_watches": N, "rv": N,
                   "watching": {RESOURCE: N}}  (watching: open watches per resource)
                   (lists: LIST pages asked for; held_lists: those waiting now)

Delegated authentication and authorization (t/auth.sh):

  POST /apis/authentication.k8s.io/v1/tokenreviews       TokenReview
  POST /apis/authorization.k8s.io/v1/subjectaccessreviews SubjectAccessReview
  GET  /api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication

and on the control port:

  POST /auth       {"tokens": {TOKEN: {"username", "uid"?, "groups"?, "extra"?}},
                    "allow": [RULE...], "configmap": {DATA} | null,
                    "configmap_forbidden": bool (403, as without the RBAC to read it),
                    "review_delay_ms": N, "review_fail": bool}   (each optional)
                   a RULE allows a SAR when each of its keys (user, group,
                   verb, resource, subresource, name, namespace, path)
                   matches ("deny": true makes it a denial); "reason"
                   is the answer's reason either way
  GET  /reviews    {"sars": [SPEC...], "tokenreviews": N}
  POST /reviews    forgets the reviews seen so far

Usage: kube-double.py --port P --control-port C (--cert F --key F | --plain)
                      --token T [--fixture FILE.json] [--generate pods=N[,labels=5]]
                      [--rv-start N] [--address A (of the API; default 127.0.0.1)]

--plain serves plain HTTP, and --token "" takes any request, as kubectl proxy
does (it adds the credentials itself).  --client-ca FILE requires a client
certificate signed by that CA instead of a token.
"""
import argparse
import base64
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

RESOURCES = {
    # group_resource: (group, version, plural, kind, namespaced)
    "namespaces": ("", "v1", "namespaces", "Namespace", False),
    "nodes": ("", "v1", "nodes", "Node", False),
    "pods": ("", "v1", "pods", "Pod", True),
    "services": ("", "v1", "services", "Service", True),
    "deployments.apps": ("apps", "v1", "deployments", "Deployment", True),
    "statefulsets.apps": ("apps", "v1", "statefulsets", "StatefulSet", True),
    "jobs.batch": ("batch", "v1", "jobs", "Job", True),
    "widgets.example.com": ("example.com", "v1alpha1", "widgets", "Widget", True),
}


class State:
    def __init__(self, token, rv_start):
        self.lock = threading.Condition()
        self.token = token
        self.rv = rv_start
        self.objects = {r: {} for r in RESOURCES}      # r -> (ns, name) -> meta, now
        self.base = {r: {} for r in RESOURCES}         # the same as of oldest[r]
        self.history = {r: [] for r in RESOURCES}      # r -> [(rv, type, meta)] since
        self.oldest = {r: rv_start for r in RESOURCES}  # events after this are kept
        self.cut_next = False
        self.gone_epoch = 0
        self.close_epoch = 0
        self.slow_list_ms = 0
        self.hold_lists = False
        self.held_lists = 0
        self.lists = 0
        self.watches = 0
        self.open_watches = 0
        self.watching = {}
        self.uid = 0
        self.tokens = {}
        self.allow = []
        self.configmap = None
        self.configmap_forbidden = False
        self.review_delay_ms = 0
        self.review_fail = False
        self.sars = []
        self.tokenreviews = 0

    def meta(self, r, ns, name, labels):
        self.uid += 1
        m = {"name": name, "uid": "00000000-0000-4000-8000-%012d" % self.uid,
             "resourceVersion": str(self.rv), "labels": labels or {}}
        if RESOURCES[r][4]:
            m["namespace"] = ns
        return m

    def add(self, r, ns, name, labels, kind="ADDED", record=True):
        """Applies one change; the caller holds the lock."""
        self.rv += 1
        key = (ns if RESOURCES[r][4] else "", name)
        old = self.objects[r].get(key)
        if kind == "DELETED":
            if old is None:
                return
            m = dict(old)
            m["resourceVersion"] = str(self.rv)
            del self.objects[r][key]
        else:
            m = self.meta(r, key[0], name, labels)
            if old is not None:
                m["uid"] = old["uid"]
                kind = "MODIFIED" if kind == "ADDED" else kind
            self.objects[r][key] = m
        if record:
            self.history[r].append((self.rv, kind, m))
        else:
            self.base[r] = dict(self.objects[r])
            self.oldest[r] = self.rv
        self.lock.notify_all()

    def as_of(self, r, rv):
        """The objects of r as of rv: the base, then the history up to rv."""
        objs = dict(self.base[r])
        for erv, kind, m in self.history[r]:
            if erv > rv:
                break
            key = (m.get("namespace", ""), m["name"])
            if kind == "DELETED":
                objs.pop(key, None)
            else:
                objs[key] = m
        return objs


def item(r, m, partial):
    g, v, _, kind, _ = RESOURCES[r]
    if partial:
        return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": m}
    return {"kind": kind, "apiVersion": (g + "/" if g else "") + v, "metadata": m,
            "spec": {"note": "a full object carries more than metadata"}}


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def sar_allowed(rules, spec):
    """(allowed, reason) of a SubjectAccessReview spec under the rules."""
    ra = spec.get("resourceAttributes") or {}
    nra = spec.get("nonResourceAttributes") or {}
    have = {"user": spec.get("user", ""), "verb": ra.get("verb", nra.get("verb", "")),
            "resource": ra.get("resource", ""), "subresource": ra.get("subresource", ""),
            "name": ra.get("name", ""), "namespace": ra.get("namespace", ""), "path": nra.get("path", "")}
    for rule in rules:
        ok = all(spec.get("groups") and v in spec["groups"] if k == "group" else have.get(k) == v
                 for k, v in rule.items() if k not in ("reason", "deny"))
        if ok:
            return not rule.get("deny"), rule.get("reason", "")
    return False, ""


def resource_of(path):
    parts = path.strip("/").split("/")
    for r, (g, v, plural, _, _) in RESOURCES.items():
        want = ["api", v, plural] if g == "" else ["apis", g, v, plural]
        if parts == want:
            return r
    return None


class JSONHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, JSON answers, no access log."""
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_json(self, code, obj):
        body = json.dumps(obj, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def make_handler(st):
    class Handler(JSONHandler):

        def chunk(self, data):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def do_GET(self):
            with st.lock:
                token = st.token
            if token and self.headers.get("Authorization") != "Bearer " + token:
                self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
                return
            url = urlsplit(self.path)
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication":
                with st.lock:
                    data, forbidden = st.configmap, st.configmap_forbidden
                if forbidden:
                    self.send_json(403, status(403, "Forbidden", 'configmaps "extension-apiserver-authentication" is '
                                               'forbidden: User "system:serviceaccount:custom-metrics:custom-metrics-fcgi" '
                                               'cannot get resource "configmaps" in API group "" in the namespace "kube-system"'))
                elif data is None:
                    self.send_json(404, status(404, "NotFound", 'configmaps "extension-apiserver-authentication" not found'))
                else:
                    self.send_json(200, {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {
                        "name": "extension-apiserver-authentication", "namespace": "kube-system"}, "data": data})
                return
            if url.path in ("/api", "/apis") or url.path.startswith("/api/") and resource_of(url.path) is None \
                    or url.path.startswith("/apis/") and resource_of(url.path) is None:
                self.discovery(url.path)
                return
            r = resource_of(url.path)
            partial = "as=PartialObjectMetadata" in (self.headers.get("Accept") or "")
            if q.get("watch") in ("1", "true"):
                self.watch(r, q, partial)
            else:
                self.list(r, q, partial)

        def do_POST(self):
            with st.lock:
                token = st.token
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            if token and self.headers.get("Authorization") != "Bearer " + token:
                self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
                return
            spec = body.get("spec") or {}
            path = urlsplit(self.path).path
            with st.lock:
                delay, failing = st.review_delay_ms, st.review_fail
                if path == "/apis/authorization.k8s.io/v1/subjectaccessreviews":
                    st.sars.append(spec)       # seen as it arrives, before any delay
            if delay:
                time.sleep(delay / 1000.0)
            if failing:
                self.send_json(500, status(500, "InternalError", "the review failed"))
                return
            if path == "/apis/authorization.k8s.io/v1/subjectaccessreviews":
                with st.lock:
                    allowed, reason = sar_allowed(st.allow, spec)
                answer = {"allowed": allowed}
                if reason:
                    answer["reason"] = reason
                self.send_json(201, {"kind": "SubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                                     "metadata": {}, "spec": spec, "status": answer})
            elif path == "/apis/authentication.k8s.io/v1/tokenreviews":
                with st.lock:
                    st.tokenreviews += 1
                    user = st.tokens.get(spec.get("token", ""))
                answer = {"authenticated": True, "user": user} if user else {"authenticated": False}
                self.send_json(201, {"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1",
                                     "metadata": {}, "spec": {}, "status": answer})
            else:
                self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))

        def discovery(self, path):
            if path == "/api":
                self.send_json(200, {"kind": "APIVersions", "versions": ["v1"]})
                return
            if path == "/apis":
                groups = sorted({g for g, *_ in RESOURCES.values() if g})
                self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                    {"name": g, "versions": [{"groupVersion": g + "/" + v, "version": v}
                                             for v in sorted({x[1] for x in RESOURCES.values() if x[0] == g})],
                     "preferredVersion": {"groupVersion": g + "/" + [x[1] for x in RESOURCES.values() if x[0] == g][0],
                                          "version": [x[1] for x in RESOURCES.values() if x[0] == g][0]}}
                    for g in groups]})
                return
            parts = path.strip("/").split("/")
            gv = "/".join(parts[1:])
            res = [{"name": plural, "singularName": kind.lower(), "namespaced": nsd, "kind": kind,
                    "verbs": ["get", "list", "watch"]}
                   for g, v, plural, kind, nsd in RESOURCES.values() if (g + "/" + v if g else v) == gv]
            if not res:
                self.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))
                return
            self.send_json(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                                 "resources": res})

        def list(self, r, q, partial):
            with st.lock:
                st.lists += 1
                slow = st.slow_list_ms
                if st.hold_lists:
                    st.held_lists += 1
                    st.lock.wait_for(lambda: not st.hold_lists, timeout=300)
                    st.held_lists -= 1
            if slow:
                time.sleep(slow / 1000.0)
            limit = int(q.get("limit", "0") or 0)
            with st.lock:
                if "continue" in q:
                    c = json.loads(base64.b64decode(q["continue"]))
                    if c["rv"] < st.oldest[r]:
                        self.send_json(410, status(410, "Expired", "The provided continue parameter is too old "
                                                   "to display a consistent list result."))
                        return
                    rv, start = c["rv"], c["start"]
                else:
                    rv, start = st.rv, 0
                objs = st.as_of(r, rv)    # every page of one List: one resourceVersion
                keys = sorted(objs)
                page = keys[start:start + limit] if limit else keys[start:]
                items = [item(r, objs[k], partial) for k in page]
            meta = {"resourceVersion": str(rv)}
            if limit and start + limit < len(keys):
                meta["continue"] = base64.b64encode(json.dumps({"rv": rv, "start": start + limit}).encode()).decode()
            kind = "PartialObjectMetadataList" if partial else RESOURCES[r][3] + "List"
            self.send_json(200, {"kind": kind, "apiVersion": "meta.k8s.io/v1" if partial else "v1",
                                 "metadata": meta, "items": items})

        def watch(self, r, q, partial):
            rv = int(q.get("resourceVersion") or 0)
            deadline = time.time() + min(int(q.get("timeoutSeconds") or 1800), 1800)
            bookmarks = q.get("allowWatchBookmarks") == "true"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            with st.lock:
                st.watches += 1
                st.open_watches += 1
                st.watching[r] = st.watching.get(r, 0) + 1
                gone, closing = st.gone_epoch, st.close_epoch
                too_old = rv < st.oldest[r]
            try:
                if too_old:
                    self.chunk(json.dumps({"type": "ERROR", "object": status(
                        410, "Expired", "too old resource version: %d (%d)" % (rv, st.oldest[r]))}).encode() + b"\n")
                    self.wfile.write(b"0\r\n\r\n")
                    return
                last_bookmark = time.time()
                while time.time() < deadline:
                    with st.lock:
                        pending = [e for e in st.history[r] if e[0] > rv]
                        if not pending and st.gone_epoch == gone and st.close_epoch == closing:
                            st.lock.wait(0.2)
                            pending = [e for e in st.history[r] if e[0] > rv]
                        if st.gone_epoch != gone:
                            self.chunk(json.dumps({"type": "ERROR", "object": status(
                                410, "Expired", "too old resource version: %d" % rv)}).encode() + b"\n")
                            break
                        if st.close_epoch != closing:
                            break
                        cut = st.cut_next and bool(pending)
                        if cut:
                            st.cut_next = False
                    for erv, kind, m in pending:
                        line = json.dumps({"type": kind, "object": item(r, m, partial)}).encode() + b"\n"
                        if cut:
                            self.chunk(line[:len(line) // 2])
                            self.connection.shutdown(2)
                            self.close_connection = True
                            return
                        self.chunk(line)
                        rv = erv
                    if bookmarks and time.time() - last_bookmark > 1.0:
                        with st.lock:
                            brv = max(rv, st.rv) if not [e for e in st.history[r] if e[0] > rv] else rv
                        self.chunk(json.dumps({"type": "BOOKMARK", "object": {
                            "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                            "metadata": {"resourceVersion": str(brv)}}}).encode() + b"\n")
                        rv = brv
                        last_bookmark = time.time()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
                self.close_connection = True
            finally:
                with st.lock:
                    st.open_watches -= 1
                    st.watching[r] -= 1

    return Handler


def make_control(st):
    class Control(JSONHandler):

        def do_GET(self):
            with st.lock:
                if self.path == "/reviews":
                    self.send_json(200, {"sars": st.sars, "tokenreviews": st.tokenreviews})
                    return
                self.send_json(200, {"lists": st.lists, "held_lists": st.held_lists, "watches": st.watches,
                                     "open_watches": st.open_watches, "rv": st.rv,
                                     "watching": st.watching})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            with st.lock:
                if self.path == "/event":
                    st.add(body["resource"], body.get("namespace", ""), body["name"], body.get("labels"),
                           body.get("type", "ADDED"))
                elif self.path == "/auth":
                    if "tokens" in body:
                        st.tokens = body["tokens"]
                    if "allow" in body:
                        st.allow = body["allow"]
                    if "configmap" in body:
                        st.configmap = body["configmap"]
                    if "configmap_forbidden" in body:
                        st.configmap_forbidden = bool(body["configmap_forbidden"])
                    if "review_delay_ms" in body:
                        st.review_delay_ms = int(body["review_delay_ms"])
                    if "review_fail" in body:
                        st.review_fail = bool(body["review_fail"])
                elif self.path == "/reviews":
                    st.sars = []
                    st.tokenreviews = 0
                elif self.path == "/fault":
                    if body.get("cut_next_event"):
                        st.cut_next = True
                    if body.get("gone"):
                        st.gone_epoch += 1
                    if body.get("close_watches"):
                        st.close_epoch += 1
                    if "hold_lists" in body:
                        st.hold_lists = bool(body["hold_lists"])
                    if "slow_list_ms" in body:
                        st.slow_list_ms = int(body["slow_list_ms"])
                    if "token" in body:
                        st.token = body["token"]
                    if body.get("compact"):
                        for r in RESOURCES:
                            st.base[r] = dict(st.objects[r])
                            st.history[r] = []
                            st.oldest[r] = st.rv
                st.lock.notify_all()
                self.send_json(200, {"rv": st.rv})

    return Control


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--address", default="127.0.0.1")   # of the API; control stays on loopback
    ap.add_argument("--control-port", type=int, required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--plain", action="store_true")
    ap.add_argument("--client-ca")
    ap.add_argument("--token", required=True)
    ap.add_argument("--fixture")
    ap.add_argument("--generate", default="")
    ap.add_argument("--rv-start", type=int, default=1000)
    a = ap.parse_args()

    st = State(a.token, a.rv_start)
    with st.lock:
        if a.fixture:
            with open(a.fixture) as f:
                for r, objs in json.load(f).items():
                    for o in objs:
                        st.add(r, o.get("namespace", ""), o["name"], o.get("labels"), record=False)
        if a.generate:
            opts = dict(kv.split("=") for kv in a.generate.split(","))
            n, nl = int(opts.get("pods", 0)), int(opts.get("labels", 5))
            st.add("namespaces", "", "bench", {}, record=False)
            for i in range(n):
                labels = {"group": "g%d" % (i // 1000), "app": "web" if i % 2 == 0 else "db",
                          "pod-template-hash": "h%d" % (i % 7), "tier": "t%d" % (i % 3),
                          "zone": "z%d" % (i % 4)}
                st.add("pods", "bench", "pod-%06d" % i, dict(list(labels.items())[:nl]), record=False)

    api = ThreadingHTTPServer((a.address, a.port), make_handler(st))
    api.daemon_threads = True
    if not a.plain:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        if a.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(a.client_ca)
        api.socket = ctx.wrap_socket(api.socket, server_side=True)
    control = ThreadingHTTPServer(("127.0.0.1", a.control_port), make_control(st))
    control.daemon_threads = True
    threading.Thread(target=control.serve_forever, daemon=True).start()
    print("kube-double: serving on %s://%s:%d (control %d)" % ("http" if a.plain else "https",
          a.address, a.port, a.control_port), flush=True)
    try:
        api.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
